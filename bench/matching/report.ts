// Prints the matcher's figures on a labelled set: npx tsx bench/matching/report.ts [places] [seed]
import { evaluateMatching, type MatchExample, type MatchingFigures } from './evaluate';
import { labelledSet } from './labelled-set';

const percent = (value: number) => `${(value * 100).toFixed(2)}%`;

export function formatFigures(figures: MatchingFigures): string {
  return [
    `incoming records        ${figures.incoming} (${figures.pairs} with a true pair)`,
    `automatic matches       ${figures.automaticMatches}: precision ${percent(figures.autoPrecision)}, recall ${percent(figures.autoRecall)}`,
    `possible matches        ${figures.possibleMatches}; recall with review ${percent(figures.withReviewRecall)}`,
    `pairs the prefilter missed ${figures.pairsNotFound}`,
    `false automatic matches ${figures.falseAutoMatches.length}`,
    `evaluation took         ${figures.evaluationMs} ms`,
  ].join('\n');
}

export function formatExample({ incoming, matched, truth, score }: MatchExample): string {
  const side = (label: string, s: { name: string | null; address1: string | null; city: string | null; phone: string | null; website: string | null }) =>
    `  ${label.padEnd(9)} ${s.name} | ${s.address1 ?? '-'} | ${s.city} | ${s.phone ?? '-'} | ${s.website ?? '-'}`;
  return [
    `${score.confidence} ${JSON.stringify(score.evidence)} (${incoming.story.join(', ')})`,
    side('incoming', incoming),
    side('matched', matched),
    truth === null ? '  truth     (none: a place production lacks)' : side('truth', truth),
  ].join('\n');
}

if (require.main === module) {
  const places = Number(process.argv[2] ?? 3_000);
  const seed = Number(process.argv[3] ?? 20_260_101);
  const started = performance.now();
  const set = labelledSet({ places, seed });
  const generatedMs = Math.round(performance.now() - started);
  const figures = evaluateMatching(set, { auto_match_threshold: 0.8, review_threshold: 0.5 });
  console.log(`labelled set of ${places} places (seed ${seed}) generated in ${generatedMs} ms`);
  console.log(formatFigures(figures));
  for (const example of figures.falseAutoMatches.slice(0, 10)) console.log(formatExample(example));
}
