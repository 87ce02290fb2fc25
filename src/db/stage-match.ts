// The stage step's fuzzy matching (DESIGN.md step 4b): staged rows that neither their source_id nor
// their exact match hash linked to production get candidate listings from SQL (trigram-similar names
// within 2 km of precise coordinates, or in the same city when there are none), which the pure scorer
// (src/domain/matching.ts) turns into a confidence and evidence. At or above stage.auto_match_threshold
// the row is matched (match_method 'fuzzy'); from stage.review_threshold it is a possible_match that a
// reviewer resolves; below, a new listing. Pages of rows by id keep memory flat.
import { classifyMatch, prepareSubject, scorePrepared, type MatchEvidence, type MatchThresholds, type PreparedSubject } from '../domain/matching';
import type { Queryable } from './pool';

const page = 2_000;
/** candidates per row the SQL hands the scorer, most similar names first */
const candidatesPerRow = 5;
/** the shown candidates of a possible match */
const shownCandidates = 3;

const radiusM = 2_000;
const degreesPerMetre = 1 / 111_320;

/** Forgets what an earlier try of the stage matched fuzzily (a reviewer's pick stays: it is an override). */
export async function resetFuzzyMatches(db: Queryable, runId: number): Promise<void> {
  await db.query(
    `UPDATE staging.rows SET listing_id = CASE WHEN match_method = 'fuzzy' THEN NULL ELSE listing_id END,
            match_method = CASE WHEN match_method = 'fuzzy' THEN NULL ELSE match_method END,
            certainty_score = NULL, match_candidates = NULL
      WHERE job_id = $1 AND NOT action_overridden AND (match_method = 'fuzzy' OR match_candidates IS NOT NULL)`,
    [runId],
  );
}

interface CandidateRow {
  row_id: string;
  r_name: string | null; r_address1: string | null; r_city: string | null; r_zip: string | null; r_country: string | null;
  r_lat: string | null; r_lng: string | null; r_precise: boolean; r_phone: string | null; r_website: string | null;
  listing_id: number | null;
  name: string | null; address1: string | null; city: string | null; zip: string | null; country: string | null;
  lat: string | null; lng: string | null; precise: boolean | null; phone: string | null; website: string | null;
}

// The staged side: coordinates are precise unless the gazetteer gave a city centre.
const rowPrecise = `(r.lat IS NOT NULL AND r.lng IS NOT NULL AND r.geocode_precision IS DISTINCT FROM 'city')`;
/**
 * How alike a candidate's name is: trigram similarity of the row's name key (folded once per row)
 * and the listing's stored one. Only a prefilter and an order (the scorer judges names itself);
 * word_similarity beside it doubled the query's time and found no more true pairs on the labelled set.
 */
const likeness = (candidateKey: string) => `similarity(${candidateKey}, r.name_key)`;
/**
 * The nearest listings a row with precise coordinates is compared with, at most, before names. Each
 * one more costs every row of every run; on the labelled set (bench/matching), whose chains put
 * branches close together, 15 find as many true pairs as 25 (99.2 % automatic, 99.7 % with review)
 * in two thirds of the time, and 10 lose a few (98.8 %, 99.3 %).
 */
const nearest = 15;

/**
 * One page of unmatched rows with their candidates (a row with none comes once with listing_id NULL).
 * Two searches, each one an index answers, and only one runs for a row (its other arm's condition on
 * the row alone is a one-time filter). Near: the locations' point index gives the 15 nearest within
 * 2 km, then names at least a little alike; the cost per row is bounded however dense the city.
 * Without precise coordinates: the names' trigram index, then the same city. Contacts are read for
 * the candidates kept only.
 */
async function candidatePage(db: Queryable, runId: number, afterId: string): Promise<CandidateRow[]> {
  const listingColumns = 'l.id AS listing_id, l.name, l.owner_dmo_id, loc.address1, loc.city, loc.zip, loc.country, loc.lat, loc.lng, loc.geocode_precision';
  const { rows } = await db.query<CandidateRow>(
    `WITH todo AS (
       SELECT r.*, ${rowPrecise} AS precise, public.search_text(r.name) AS name_key FROM staging.rows r
        WHERE r.job_id = $1 AND r.file_seq > 0 AND r.listing_id IS NULL AND r.action IS NULL AND NOT r.action_overridden
          AND r.id > $2 AND coalesce(r.name, '') <> ''
        ORDER BY r.id LIMIT $3)
     SELECT r.id AS row_id, r.name AS r_name, r.address1 AS r_address1, r.city AS r_city, r.zip AS r_zip, r.country AS r_country,
            r.lat AS r_lat, r.lng AS r_lng, r.precise AS r_precise,
            coalesce(r.contact->>'international_phone', r.contact->>'local_phone') AS r_phone, r.contact->>'website_url' AS r_website,
            c.listing_id, c.name, c.address1, c.city, c.zip, c.country, c.lat, c.lng,
            (c.lat IS NOT NULL AND c.geocode_precision IS DISTINCT FROM 'city') AS precise, ci.phone, ci.website
       FROM todo r
       LEFT JOIN LATERAL (
         (SELECT near.*, ${likeness('near.name_key')} AS likeness
            FROM (SELECT ${listingColumns}, l.name_key
                    -- the nearest locations first, alone on their index, then their listings: a join
                    -- before the limit lets a planner with stale statistics scan every listing per row
                    FROM (SELECT * FROM public.locations loc
                           WHERE r.precise AND loc.lat IS NOT NULL AND loc.lng IS NOT NULL
                             AND point(loc.lng::float8, loc.lat::float8) <@ box(
                                   point(r.lng::float8 - $4 / greatest(cos(radians(r.lat::float8)), 0.01), r.lat::float8 - $4),
                                   point(r.lng::float8 + $4 / greatest(cos(radians(r.lat::float8)), 0.01), r.lat::float8 + $4))
                           ORDER BY point(loc.lng::float8, loc.lat::float8) <-> point(r.lng::float8, r.lat::float8)
                           LIMIT $6) loc
                    JOIN public.listings l ON l.location_id = loc.id
                   WHERE l.listing_status IN ('active', 'missing_from_import')) near
           WHERE ${likeness('near.name_key')} >= 0.2
           ORDER BY likeness DESC, near.listing_id LIMIT $5)
         UNION ALL
         (SELECT ${listingColumns}, NULL::text AS name_key, ${likeness('l.name_key')} AS likeness
            FROM public.listings l JOIN public.locations loc ON loc.id = l.location_id
           WHERE NOT r.precise AND public.search_text(l.name) % r.name_key
             AND public.search_text(coalesce(loc.city, '')) = public.search_text(coalesce(r.city, ''))
             AND l.listing_status IN ('active', 'missing_from_import')
           ORDER BY likeness DESC, l.id LIMIT $5)) c ON true
       LEFT JOIN LATERAL (
         SELECT coalesce(ci.international_phone, ci.local_phone) AS phone, ci.website_url AS website
           FROM public.listing_info li JOIN public.contact_info ci ON ci.id = li.contact_info_id
          WHERE li.listing_id = c.listing_id ORDER BY (li.dmo_id = c.owner_dmo_id) DESC, li.id LIMIT 1) ci ON true
      ORDER BY r.id, c.likeness DESC`,
    [runId, afterId, page, radiusM * degreesPerMetre, candidatesPerRow, nearest],
  );
  return rows;
}

const num = (value: string | null) => (value === null ? null : Number(value));

export interface MatchOutcome {
  matched: number;
  possible: number;
}

/**
 * Scores every unmatched row of the run against its candidates and writes the decisions page by page.
 * A listing that two rows of the run would both take automatically is left to a reviewer for both.
 */
export async function fuzzyMatch(db: Queryable, runId: number, thresholds: MatchThresholds, defaultCountry?: string): Promise<MatchOutcome> {
  const restore = await plannerForMatching(db);
  const outcome: MatchOutcome = { matched: 0, possible: 0 };
  const listings = new PreparedListings(defaultCountry);
  // Pipelined: the next page's candidates are asked for before this page is scored, so PostgreSQL
  // searches while Node scores (a page's rows are past the last one's, so no write of this page
  // changes the next). Each promise gets a handler at once: a failure surfaces where it is awaited
  // and is never an unhandled rejection while another is awaited.
  const handled = <T>(promise: Promise<T>) => (promise.catch(() => undefined), promise);
  let next = handled(candidatePage(db, runId, '0'));
  let written: Promise<unknown> = Promise.resolve();
  for (;;) {
    const rows = await next;
    if (rows.length === 0) break;
    next = handled(candidatePage(db, runId, rows[rows.length - 1]!.row_id));
    const decisions = decide(rows, thresholds, listings, defaultCountry);
    await written;
    if (decisions.length === 0) continue;
    written = handled(writeDecisions(db, runId, decisions));
    for (const d of decisions) outcome[d.decision === 'match' ? 'matched' : 'possible'] += 1;
  }
  await written;
  await demoteSharedMatches(db, runId);
  await restore();
  return outcome;
}

/**
 * The plan matching needs, whatever the statistics say, for the caller's transaction until the
 * returned function puts the settings back. A run's staged rows are new and a promote's listings
 * may be too, so a planner that has not analyzed them guesses one row where there are thousands
 * and hashes every listing for every row (a page of 2,000 took minutes instead of 0.2 s): index
 * lookups and nested loops only. And no JIT: the laterals' cost estimate crosses jit_above_cost,
 * and compiling the query took longer than running it (0.7 s a page, every page).
 */
const matchingPlanner = { jit: 'off', enable_hashjoin: 'off', enable_mergejoin: 'off', enable_seqscan: 'off' };

async function plannerForMatching(db: Queryable): Promise<() => Promise<void>> {
  const names = Object.keys(matchingPlanner);
  const { rows: [before] } = await db.query<Record<string, string>>(
    `SELECT ${names.map((name, i) => `current_setting($${i + 1}) AS ${name}`).join(', ')}`, names);
  const set = (values: Record<string, string>) => db.query(
    `SELECT ${names.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ')}`,
    names.flatMap((name) => [name, values[name]!]));
  await set(matchingPlanner);
  return async () => void (await set(before!));
}

async function writeDecisions(db: Queryable, runId: number, decisions: readonly Decision[]): Promise<void> {
  await db.query(
    `WITH d AS (SELECT * FROM unnest($2::bigint[], $3::int[], $4::text[], $5::float8[], $6::jsonb[]) AS d(id, listing_id, decision, confidence, candidates))
     UPDATE staging.rows r SET
       listing_id = CASE WHEN d.decision = 'match' THEN d.listing_id ELSE r.listing_id END,
       match_method = CASE WHEN d.decision = 'match' THEN 'fuzzy' ELSE r.match_method END,
       action = CASE WHEN d.decision = 'possible_match' THEN 'possible_match' ELSE r.action END,
       ok_to_promote = CASE WHEN d.decision = 'possible_match' THEN false ELSE r.ok_to_promote END,
       certainty_score = round(d.confidence::numeric, 4), match_candidates = d.candidates
       FROM d WHERE r.id = d.id AND r.job_id = $1`,
    [runId, decisions.map((d) => d.id), decisions.map((d) => d.listingId), decisions.map((d) => d.decision),
      decisions.map((d) => d.confidence), decisions.map((d) => JSON.stringify(d.candidates))],
  );
}

/**
 * Listings as the scorer compares them, each read once (its phone parsed, its website normalized):
 * a listing is a candidate of several records, not always of one page. At most `limit` are kept.
 */
class PreparedListings {
  private readonly sides = new Map<number, PreparedSubject>();

  constructor(private readonly defaultCountry: string | undefined, private readonly limit = 50_000) {}

  of(c: CandidateRow): PreparedSubject {
    let side = this.sides.get(c.listing_id!);
    if (!side) {
      side = prepareSubject({
        name: c.name, address1: c.address1, city: c.city, zip: c.zip, country: c.country,
        lat: num(c.lat), lng: num(c.lng), precise: c.precise ?? false, phone: c.phone, website: c.website,
      }, { defaultCountry: this.defaultCountry });
      // the oldest out first (a Map iterates in insertion order)
      if (this.sides.size >= this.limit) this.sides.delete(this.sides.keys().next().value!);
      this.sides.set(c.listing_id!, side);
    }
    return side;
  }
}

interface Decision {
  id: string;
  listingId: number;
  decision: 'match' | 'possible_match';
  confidence: number;
  candidates: ShownCandidate[];
}

export interface ShownCandidate {
  listing_id: number;
  confidence: number;
  name: string | null;
  city: string | null;
  name_similarity: number;
  distance_m: number | null;
  evidence: MatchEvidence;
}

function decide(rows: readonly CandidateRow[], thresholds: MatchThresholds, listings: PreparedListings, defaultCountry?: string): Decision[] {
  const byRow = new Map<string, CandidateRow[]>();
  for (const row of rows) {
    if (row.listing_id === null) continue;
    const list = byRow.get(row.row_id) ?? [];
    list.push(row);
    byRow.set(row.row_id, list);
  }
  const decisions: Decision[] = [];
  for (const [id, list] of byRow) {
    const first = list[0]!;
    const record = prepareSubject({
      name: first.r_name, address1: first.r_address1, city: first.r_city, zip: first.r_zip, country: first.r_country,
      lat: num(first.r_lat), lng: num(first.r_lng), precise: first.r_precise, phone: first.r_phone, website: first.r_website,
    }, { defaultCountry });
    const scored = list.map((c) => {
      const score = scorePrepared(record, listings.of(c));
      return { listing_id: c.listing_id!, confidence: score.confidence, name: c.name, city: c.city,
        name_similarity: score.evidence.name_similarity, distance_m: score.evidence.distance_m, evidence: score.evidence };
    }).sort((a, b) => b.confidence - a.confidence || a.listing_id - b.listing_id);
    const best = scored[0]!;
    const decision = classifyMatch(best.confidence, thresholds);
    if (decision === 'none') continue;
    // two candidates both sure enough: a person tells them apart
    const rival = scored[1] && classifyMatch(scored[1].confidence, thresholds) === 'match';
    decisions.push({
      id, listingId: best.listing_id, decision: decision === 'match' && !rival ? 'match' : 'possible_match',
      confidence: best.confidence, candidates: scored.slice(0, shownCandidates),
    });
  }
  return decisions;
}

/**
 * Two rows of one run matched to one listing (not duplicates of each other, which the stage marks
 * next): neither is sure, both go to review with their candidates.
 */
async function demoteSharedMatches(db: Queryable, runId: number): Promise<void> {
  await db.query(
    // the shared listings first, once: as a subquery, a planner that thinks the run's rows are few
    // (they are new, not yet analyzed) groups all of them again for every row, quadratic in the run
    `WITH shared AS MATERIALIZED (
       SELECT listing_id FROM staging.rows WHERE job_id = $1 AND match_method = 'fuzzy'
        GROUP BY listing_id HAVING count(DISTINCT coalesce(match_hash, id::text)) > 1)
     UPDATE staging.rows r SET listing_id = NULL, match_method = NULL, action = 'possible_match', ok_to_promote = false
       FROM shared WHERE r.job_id = $1 AND r.match_method = 'fuzzy' AND NOT r.action_overridden AND r.listing_id = shared.listing_id`,
    [runId],
  );
}
