// Issue 9's figures: geocoding throughput at a configured rate and through the cache
// (geocoding-rate.ts), matching precision and recall end to end on the labelled set
// (matching-quality.ts), and matching time against transform time (matching-time.ts).
import { formatExample } from './matching/report';
import { geocodeCeilingPerSec, type BenchEnvironment } from './environment';
import { benchGeocoding, geocodedAddresses, geocodeRatePerSec, geocodingProblems, type GeocodingResult } from './geocoding-rate';
import { benchMatchingQuality, type MatchingQualityResult } from './matching-quality';
import { benchMatchingTime, type MatchingTimeResult } from './matching-time';
import { count, ratio, seconds, table } from './report';

export interface GeocodeMatchResult {
  geocoding: GeocodingResult | null;
  quality: MatchingQualityResult | null;
  time: MatchingTimeResult | null;
  /** what failed or broke the limits, in words; null when all is well */
  failure: string | null;
}

const shownFalseMatches = 5;

/**
 * Runs the three sections in order (the labelled set's production before the large one, so its
 * candidates are its own); a section that fails ends the rest, keeping the figures before it.
 * `production` is the pipeline section's largest run, promoted for the matching time.
 */
export async function benchGeocodeMatch(env: BenchEnvironment, production: { runId: number; rows: number }, timeoutMs: number,
  say: (line: string) => void): Promise<GeocodeMatchResult> {
  const result: GeocodeMatchResult = { geocoding: null, quality: null, time: null, failure: null };
  let section = 'geocoding';
  try {
    say(`geocoding: ${geocodedAddresses} addresses through a fake Nominatim at ${geocodeRatePerSec}/s, then the same file again…`);
    result.geocoding = await benchGeocoding(env, timeoutMs);
    const problems = geocodingProblems(result.geocoding);
    if (problems.length) throw new Error(problems.join('; '));
    section = 'matching quality';
    result.quality = await benchMatchingQuality(env, timeoutMs, say);
    section = 'matching time';
    result.time = await benchMatchingTime(env, production, timeoutMs, say);
  } catch (error) {
    result.failure = `${section}: ${(error as Error).message}`;
  }
  return result;
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

function geocodingReport(g: GeocodingResult): string {
  const line = (label: string, r: GeocodingResult['first']) => [
    label, r.run.results.records_total ?? '–', r.providerRequests, r.calls, r.cacheHits,
    r.providerRequests ? seconds(r.spanMs) : '–', r.providerRequests ? r.achievedPerSec.toFixed(2) : '–',
    r.providerRequests ? (r.achievedPerSec / g.ratePerSec).toFixed(2) : '–', r.busiestSecond, g.ratePerSec, seconds(r.run.wallMs),
  ];
  return [
    table(`Geocoding: ${g.addresses} listings without coordinates, each its own address, through a fake Nominatim at the config's ` +
      `rate_per_sec ${g.ratePerSec} (ceiling GEOCODE_RATE_PER_SEC ${geocodeCeilingPerSec})`,
    ['import', 'rows', 'requests at the provider', 'calls counted', 'cache hits', 'first → last request s', 'achieved /s',
      '÷ configured', 'busiest second', 'allowed', 'upload → awaiting_review s'],
    [line('first', g.first), line('same file again', g.again)]),
    '  calls counted and cache hits from pipeline.provider_usage; the rest from the arrival times the fake recorded;\n' +
      '  busiest second: the most requests in any one-second window, allowed at most the rate (the limiter\'s\n' +
      '  window is a second and 100 ms, so what is achieved tops out at the rate ÷ 1.1)',
  ].join('\n');
}

function qualityReport(q: MatchingQualityResult): string {
  const { staged, pure } = q;
  return [
    table(`Matching on the labelled set (${count(q.places)} places, seed ${q.seed}: ${count(staged.incoming)} incoming records, ` +
      `${count(staged.pairs)} with a true pair), stage thresholds 0.8 / 0.5`,
    ['evaluation', 'automatic matches', 'precision', 'recall', 'possible matches', 'recall with review'],
    [
      ['end to end: CSV → stage SQL → staging.rows', count(staged.automaticMatches), percent(staged.autoPrecision), percent(staged.autoRecall),
        count(staged.possibleMatches), percent(staged.withReviewRecall)],
      ['pure: evaluateMatching, prefilter simulated', count(pure.automaticMatches), percent(pure.autoPrecision), percent(pure.autoRecall),
        count(pure.possibleMatches), percent(pure.withReviewRecall)],
    ]),
    `  end to end, ${count(staged.byMatchHash)} of the automatic matches are by the exact match hash (name, street and city alike), the rest fuzzy;\n` +
      `  the pure evaluation's prefilter missed ${pure.pairsNotFound} true pairs; production: ${count(q.listed)} of ${count(q.places)} places listed ` +
      `(DMO A staged in ${seconds(q.productionRun.wallMs)} s, promoted in ${seconds(q.promoteMs)} s); DMO B staged in ${seconds(q.incomingRun.wallMs)} s`,
    staged.falseAutoMatches.length === 0
      ? '  no false automatic matches'
      : [`  false automatic matches, end to end (${staged.falseAutoMatches.length}; up to ${shownFalseMatches} shown):`,
        ...staged.falseAutoMatches.slice(0, shownFalseMatches).map(formatExample)].join('\n'),
  ].join('\n');
}

function timeReport(t: MatchingTimeResult): string {
  const { transform } = t.incomingRun.steps;
  const over = t.outcome === null ? '> ' : '';
  return [
    table(`Matching time: ${count(t.rows)} records of another DMO (names written another way, moved 10–50 m) against ${count(t.rows)} listings`,
      ['rows', 'listings', 'transform s', 'matching s', 'matching ÷ transform', 'matched', 'possible', 'match hash shared'],
      [[count(t.rows), count(t.rows), seconds(transform), over + seconds(t.matchingMs), over + ratio(t.matchingMs / transform),
        t.outcome ? count(t.outcome.matched) : '–', t.outcome ? count(t.outcome.possible) : '–', t.byMatchHash]]),
    `  the records were staged first, then the pipeline section's ${count(t.rows)}-row run was approved and promoted as production ` +
      `(${seconds(t.promoteMs)} s);\n  matching: what it adds to the stage — resetFuzzyMatches, fuzzyMatch (its transaction and two search connections) and computeActions applying the matches,\n  less computeActions alone on the same rows (${seconds(t.actionsAloneMs)} s), each on a vacuumed staging.rows and rolled back after` +
      (t.outcome === null ? `, stopped after ${t.budgetMs / 60_000} min` : '') +
      `;\n  planner statistics: autovacuum ${t.statistics.autovacuum}, listings ${t.statistics.listingsAnalyzed ? 'analyzed' : 'never analyzed'}`,
  ].join('\n');
}

export function geocodeMatchReport(result: GeocodeMatchResult): string {
  return [
    result.geocoding && geocodingReport(result.geocoding),
    result.quality && qualityReport(result.quality),
    result.time && timeReport(result.time),
  ].filter(Boolean).join('\n\n');
}
