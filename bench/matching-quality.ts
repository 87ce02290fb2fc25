// Matching precision and recall end to end (issue 9): the labelled set's production places are one
// DMO's CSV, staged and promoted through the API; the incoming records are another DMO's CSV, staged.
// Each incoming row's outcome is read back from staging.rows and held against the truth, beside the
// pure evaluation (bench/matching/evaluate.ts, the SQL prefilter simulated) of the same set.
import path from 'node:path';
import type { MatchEvidence } from '../src/domain/matching';
import type { BenchEnvironment } from './environment';
import { writeCsv } from './listings-csv';
import { evaluateMatching, type MatchExample, type MatchingFigures } from './matching/evaluate';
import { labelledSet, type Incoming, type LabelledSet, type Place } from './matching/labelled-set';
import { createCsvSource, promoteRun, timeCsvRun, type RunTiming } from './pipeline-run';

export const labelledPlaces = 3_000;
/** the seed test/matching-quality.test.ts holds its targets on */
export const labelledSeed = 20_260_101;
/** the stage's defaults, as a config that names none gets them */
const thresholds = { auto_match_threshold: 0.8, review_threshold: 0.5 };

export interface StagedFigures {
  incoming: number;
  pairs: number;
  automaticMatches: number;
  /** of the automatic ones, linked by the exact match hash rather than fuzzily */
  byMatchHash: number;
  autoPrecision: number;
  autoRecall: number;
  withReviewRecall: number;
  possibleMatches: number;
  falseAutoMatches: MatchExample[];
}

export interface MatchingQualityResult {
  places: number;
  seed: number;
  /** production places that became listings (a place the stage held back has no listing to be matched to) */
  listed: number;
  staged: StagedFigures;
  pure: MatchingFigures;
  productionRun: RunTiming;
  promoteMs: number;
  incomingRun: RunTiming;
}

const columns = ['ID', 'Name', 'Address', 'City', 'Zip', 'Country', 'Latitude', 'Longitude', 'Phone', 'Website'];
const mapping = {
  'listings.name': 'Name', 'locations.address1': 'Address', 'locations.city': 'City', 'locations.zip': 'Zip',
  'locations.country': 'Country', 'locations.lat': 'Latitude', 'locations.lng': 'Longitude',
  'contact_info.local_phone': 'Phone', 'contact_info.website_url': 'Website',
};
const configParams = {
  import: { source_id_column: 'ID' },
  transform: { map_fields: mapping },
  // a record with no or city-level coordinates comes without them and gets its city's centre, as the set has it
  geocode: { provider: 'gazetteer' },
};

const productionId = (index: number) => `P${index}`;
const incomingId = (index: number) => `I${index}`;

/** A place as a DMO's CSV row: coordinates only where they place the door. */
function csvValues(id: string, place: Place | Incoming): string[] {
  const at = place.precise && place.lat !== null && place.lng !== null ? [String(place.lat), String(place.lng)] : ['', ''];
  return [id, place.name ?? '', place.address1 ?? '', place.city ?? '', place.zip ?? '', place.country ?? '', ...at, place.phone ?? '', place.website ?? ''];
}

interface StagedOutcome {
  source_id: string;
  listing_id: number | null;
  match_method: string | null;
  action: string | null;
  match_candidates: { listing_id: number; confidence: number; evidence: MatchEvidence }[] | null;
}

async function stagedOutcomes(env: BenchEnvironment, runId: number): Promise<Map<string, StagedOutcome>> {
  const { rows } = await env.ctx.db.query<StagedOutcome>(
    `SELECT source_id, listing_id, match_method, action, match_candidates FROM staging.rows WHERE job_id = $1 AND file_seq > 0`,
    [runId],
  );
  return new Map(rows.map((row) => [row.source_id, row]));
}

/** Production index → listing id, through DMO A's listing_info.source_id. */
async function listingsOfPlaces(env: BenchEnvironment, dmoId: number): Promise<Map<number, number>> {
  const { rows } = await env.ctx.db.query<{ source_id: string; listing_id: number }>(
    'SELECT source_id, listing_id FROM public.listing_info WHERE dmo_id = $1', [dmoId]);
  return new Map(rows.map((row) => [Number(row.source_id.slice(1)), row.listing_id]));
}

/** The pure evaluation's counts, from what the stage wrote on each incoming row. */
function stagedFigures(set: LabelledSet, outcomes: Map<string, StagedOutcome>, listingOf: Map<number, number>): StagedFigures {
  const placeOf = new Map([...listingOf].map(([index, listingId]) => [listingId, index]));
  let pairs = 0;
  let automatic = 0;
  let byMatchHash = 0;
  let correctAutomatic = 0;
  let possible = 0;
  let pairInReview = 0;
  const falseAutoMatches: MatchExample[] = [];
  set.incoming.forEach((record, index) => {
    const truthListing = record.truth === null ? undefined : listingOf.get(record.truth);
    if (record.truth !== null) pairs++;
    const row = outcomes.get(incomingId(index));
    if (!row) throw new Error(`incoming record ${incomingId(index)} was not staged`);
    if (row.listing_id !== null && (row.match_method === 'fuzzy' || row.match_method === 'match_hash')) {
      automatic++;
      if (row.match_method === 'match_hash') byMatchHash++;
      if (row.listing_id === truthListing) correctAutomatic++;
      else {
        const best = row.match_candidates?.find((candidate) => candidate.listing_id === row.listing_id);
        falseAutoMatches.push({
          incoming: record,
          matched: set.production[placeOf.get(row.listing_id) ?? -1] ?? ({ name: `listing ${row.listing_id} (not of the set)` } as Place),
          truth: record.truth === null ? null : set.production[record.truth]!,
          score: { confidence: best?.confidence ?? 1, evidence: best?.evidence ?? ({} as MatchEvidence) },
        });
      }
    } else if (row.action === 'possible_match') {
      possible++;
      const shown = row.match_candidates ?? [];
      if (shown.some((candidate) => candidate.listing_id === truthListing && candidate.confidence >= thresholds.review_threshold)) pairInReview++;
    }
  });
  const ratio = (part: number, whole: number) => (whole === 0 ? 1 : part / whole);
  return {
    incoming: set.incoming.length, pairs, automaticMatches: automatic, byMatchHash,
    autoPrecision: ratio(correctAutomatic, automatic), autoRecall: ratio(correctAutomatic, pairs),
    withReviewRecall: ratio(correctAutomatic + pairInReview, pairs), possibleMatches: possible, falseAutoMatches,
  };
}

export async function benchMatchingQuality(env: BenchEnvironment, timeoutMs: number, say: (line: string) => void): Promise<MatchingQualityResult> {
  const set = labelledSet({ places: labelledPlaces, seed: labelledSeed });
  const productionFile = path.join(env.csvDir, 'labelled-production.csv');
  const incomingFile = path.join(env.csvDir, 'labelled-incoming.csv');
  await writeCsv(productionFile, columns, set.production.length, (n) => csvValues(productionId(n - 1), set.production[n - 1]!));
  await writeCsv(incomingFile, columns, set.incoming.length, (n) => csvValues(incomingId(n - 1), set.incoming[n - 1]!));

  say(`matching: ${set.production.length} labelled places promoted as DMO A, then ${set.incoming.length} records of DMO B staged…`);
  const a = await createCsvSource(env.api, 'Bench matching: production DMO', configParams);
  const productionRun = await timeCsvRun(env.api, env.ctx, a.configId, productionFile, timeoutMs);
  const promoteMs = await promoteRun(env.api, productionRun.runId, timeoutMs);
  const b = await createCsvSource(env.api, 'Bench matching: incoming DMO', configParams);
  const incomingRun = await timeCsvRun(env.api, env.ctx, b.configId, incomingFile, timeoutMs);

  const listingOf = await listingsOfPlaces(env, a.dmoId);
  const staged = stagedFigures(set, await stagedOutcomes(env, incomingRun.runId), listingOf);
  const pure = evaluateMatching(set, thresholds);
  return { places: labelledPlaces, seed: labelledSeed, listed: listingOf.size, staged, pure, productionRun, promoteMs, incomingRun };
}
