// The matcher's quality on a labelled set of 3,000 places with the variations real DMOs make
// (bench/matching/labelled-set.ts): the targets at the config's default thresholds.
import { evaluateMatching } from '../bench/matching/evaluate';
import { labelledSet } from '../bench/matching/labelled-set';
import { formatExample, formatFigures } from '../bench/matching/report';

test('automatic matches are ≥ 99.5% precise with ≥ 90% recall, and ≥ 98% of pairs are found with review', () => {
  const set = labelledSet({ places: 3_000, seed: 20_260_101 });
  const figures = evaluateMatching(set, { auto_match_threshold: 0.8, review_threshold: 0.5 });
  console.log([formatFigures(figures), ...figures.falseAutoMatches.slice(0, 5).map(formatExample)].join('\n'));

  const unpaired = (figures.incoming - figures.pairs) / figures.incoming;
  expect(unpaired).toBeGreaterThanOrEqual(0.25);
  expect(unpaired).toBeLessThanOrEqual(0.35);
  expect(figures.autoPrecision).toBeGreaterThanOrEqual(0.995);
  expect(figures.autoRecall).toBeGreaterThanOrEqual(0.9);
  expect(figures.withReviewRecall).toBeGreaterThanOrEqual(0.98);
});
