// Runs the matcher over a labelled set as the stage step would: candidates as the SQL finds them,
// each scored, the best one decided by the thresholds; then counts what it got right.
import { classifyMatch, haversineMetres, scoreCandidate, type MatchScore, type MatchThresholds } from '../../src/domain/matching';
import { normalize } from '../../src/domain/normalize';
import type { Incoming, LabelledSet, Place } from './labelled-set';

/** The SQL's reach around a record with precise coordinates. */
const searchRadiusMetres = 2_000;
/** The SQL keeps this many candidates, most similar first. */
const candidateLimit = 5;
/**
 * The SQL's prefilter: pg_trgm similarity of the normalized names at least 0.3, the default
 * `pg_trgm.similarity_threshold` that its `%` operator uses. Simulated here trigram for trigram.
 */
const trigramBar = 0.3;

/** pg_trgm's trigrams: each word padded with two spaces before and one after. */
function trigrams(text: string): Set<string> {
  const grams = new Set<string>();
  for (const word of normalize(text).split(' ')) {
    if (word === '') continue;
    const padded = `  ${word} `;
    for (let i = 0; i + 3 <= padded.length; i++) grams.add(padded.slice(i, i + 3));
  }
  return grams;
}

function trigramSimilarity(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const gram of a) if (b.has(gram)) shared++;
  const union = a.size + b.size - shared;
  return union === 0 ? 0 : shared / union;
}

type Candidate = { index: number; score: MatchScore };
export type MatchExample = { incoming: Incoming; matched: Place; truth: Place | null; score: MatchScore };
export type MatchingFigures = {
  incoming: number;
  pairs: number;
  automaticMatches: number;
  autoPrecision: number;
  autoRecall: number;
  withReviewRecall: number;
  possibleMatches: number;
  /** true pairs the prefilter never offered the scorer (no fault of the scorer) */
  pairsNotFound: number;
  falseAutoMatches: MatchExample[];
  evaluationMs: number;
};

/** Grid cells of about 2 km, so a 2 km search looks at its cell and the eight around it. */
const cellLat = 0.02;
const cellLng = 0.04;
const cellOf = (lat: number, lng: number) => `${Math.floor(lat / cellLat)}:${Math.floor(lng / cellLng)}`;

function candidateFinder(production: Place[]) {
  const grams = production.map((place) => trigrams(place.name ?? ''));
  const byCell = new Map<string, number[]>();
  const byCity = new Map<string, number[]>();
  production.forEach((place, index) => {
    if (place.lat !== null && place.lng !== null && place.precise) {
      const cell = cellOf(place.lat, place.lng);
      byCell.set(cell, [...(byCell.get(cell) ?? []), index]);
    }
    const city = normalize(place.city);
    byCity.set(city, [...(byCity.get(city) ?? []), index]);
  });
  return (record: Incoming): number[] => {
    let near: number[] = [];
    if (record.precise && record.lat !== null && record.lng !== null) {
      const [row, column] = cellOf(record.lat, record.lng).split(':').map(Number) as [number, number];
      for (let dRow = -1; dRow <= 1; dRow++) for (let dColumn = -1; dColumn <= 1; dColumn++) near.push(...(byCell.get(`${row + dRow}:${column + dColumn}`) ?? []));
      near = near.filter((index) => {
        const place = production[index] as Place;
        return haversineMetres(record.lat as number, record.lng as number, place.lat as number, place.lng as number) <= searchRadiusMetres;
      });
    } else {
      near = byCity.get(normalize(record.city)) ?? [];
    }
    const recordGrams = trigrams(record.name ?? '');
    return near
      .map((index) => ({ index, similarity: trigramSimilarity(recordGrams, grams[index] as Set<string>) }))
      .filter(({ similarity }) => similarity >= trigramBar)
      .sort((a, b) => b.similarity - a.similarity || a.index - b.index)
      .slice(0, candidateLimit)
      .map(({ index }) => index);
  };
}

export function evaluateMatching(set: LabelledSet, thresholds: MatchThresholds): MatchingFigures {
  const started = performance.now();
  const findCandidates = candidateFinder(set.production);
  let pairs = 0;
  let automatic = 0;
  let correctAutomatic = 0;
  let possible = 0;
  let pairInReview = 0;
  let pairsNotFound = 0;
  const falseAutoMatches: MatchExample[] = [];
  for (const record of set.incoming) {
    if (record.truth !== null) pairs++;
    const candidates: Candidate[] = findCandidates(record).map((index) => ({
      index,
      score: scoreCandidate(record, set.production[index] as Place, { defaultCountry: record.dmoCountry }),
    }));
    if (record.truth !== null && !candidates.some(({ index }) => index === record.truth)) pairsNotFound++;
    const best = candidates.reduce<Candidate | null>((top, candidate) => (top === null || candidate.score.confidence > top.score.confidence ? candidate : top), null);
    if (best === null) continue;
    const decision = classifyMatch(best.score.confidence, thresholds);
    if (decision === 'match') {
      automatic++;
      if (best.index === record.truth) correctAutomatic++;
      else falseAutoMatches.push({ incoming: record, matched: set.production[best.index] as Place, truth: record.truth === null ? null : (set.production[record.truth] as Place), score: best.score });
    } else if (decision === 'possible_match') {
      possible++;
      // A reviewer sees every candidate above the review threshold and can pick the right one.
      if (candidates.some(({ index, score }) => index === record.truth && score.confidence >= thresholds.review_threshold)) pairInReview++;
    }
  }
  const ratio = (part: number, whole: number) => (whole === 0 ? 1 : part / whole);
  return {
    incoming: set.incoming.length,
    pairs,
    automaticMatches: automatic,
    autoPrecision: ratio(correctAutomatic, automatic),
    autoRecall: ratio(correctAutomatic, pairs),
    withReviewRecall: ratio(correctAutomatic + pairInReview, pairs),
    possibleMatches: possible,
    pairsNotFound,
    falseAutoMatches,
    evaluationMs: Math.round(performance.now() - started),
  };
}
