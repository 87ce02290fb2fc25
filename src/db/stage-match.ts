// The stage step's fuzzy matching (DESIGN.md step 4b): staged rows that neither their source_id nor
// their exact match hash linked to production get candidate listings from SQL (trigram-similar names
// within 2 km of precise coordinates, or in the same city when there are none), which the pure scorer
// (src/domain/matching.ts) turns into a confidence and evidence. At or above stage.auto_match_threshold
// the row is matched (match_method 'fuzzy'); from stage.review_threshold it is a possible_match that a
// reviewer resolves; below, a new listing. A cursor over the unmatched rows, read a page at a time,
// keeps memory flat.
import { classifyMatch, prepareSubject, scorePrepared, type MatchEvidence, type MatchThresholds, type PreparedSubject } from '../domain/matching';
import { transactionOn, type Db, type Queryable } from './pool';

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

/** A staged row as the page query returns it, with its candidates (null when none), most alike first. */
interface PageRow {
  row_id: string;
  /** what tells two rows of the run apart as places: their match hash, or the row itself */
  place_key: string;
  name: string | null; address1: string | null; city: string | null; zip: string | null; country: string | null;
  lat: string | null; lng: string | null; precise: boolean; phone: string | null; website: string | null;
  candidates: Candidate[] | null;
}

/** A candidate listing, as JSON: its name and place, and the contact of its own DMO's listing_info. */
interface Candidate {
  listing_id: number;
  name: string | null; address1: string | null; city: string | null; zip: string | null; country: string | null;
  lat: number | null; lng: number | null; precise: boolean; phone: string | null; website: string | null;
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
 * The run's rows still unmatched, in id order, read through a cursor page by page: one scan of the
 * run for the whole matching (a query per page that looked for "unmatched, after id N" again read
 * every unmatched row of the run each time, most of the matching's time at 100k rows).
 */
class UnmatchedRows {
  private readonly cursor: string;

  private constructor(private readonly db: Queryable, runId: number) {
    this.cursor = `fuzzy_unmatched_${runId}`;
  }

  static async open(db: Queryable, runId: number): Promise<UnmatchedRows> {
    const rows = new UnmatchedRows(db, runId);
    await db.query(
      `DECLARE ${rows.cursor} NO SCROLL CURSOR FOR
         SELECT id FROM staging.rows
          WHERE job_id = ${Number(runId)} AND file_seq > 0 AND listing_id IS NULL AND action IS NULL AND NOT action_overridden
            AND coalesce(name, '') <> ''
          ORDER BY id`,
    );
    return rows;
  }

  async next(): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(`FETCH ${page} FROM ${this.cursor}`);
    return rows.map((row) => row.id);
  }

  async close(): Promise<void> {
    await this.db.query(`CLOSE ${this.cursor}`);
  }
}

/**
 * These rows, each with its candidates as one JSON array (a row per candidate repeated the row's
 * fields, and reading them cost Node more than scoring). Two searches, each one an index answers,
 * and only one runs for a row (its other arm's condition on the row alone is a one-time filter).
 * Near: the locations' point index gives the 15 nearest within 2 km, then names at least a little
 * alike; the cost per row is bounded however dense the city. Without precise coordinates: the
 * names' trigram index, then the same city. Contacts are read for the candidates kept only.
 */
async function candidatePage(db: Queryable, rowIds: readonly string[]): Promise<PageRow[]> {
  const listingColumns = 'l.id AS listing_id, l.name, l.owner_dmo_id, loc.address1, loc.city, loc.zip, loc.country, loc.lat, loc.lng, loc.geocode_precision';
  const { rows } = await db.query<PageRow>(
    // materialized: each row's name key is folded once, not again for each of its candidates
    `WITH todo AS MATERIALIZED (
       SELECT r.id, coalesce(r.match_hash, r.id::text) AS place_key, r.name, r.address1, r.city, r.zip, r.country, r.lat, r.lng,
              coalesce(r.contact->>'international_phone', r.contact->>'local_phone') AS phone, r.contact->>'website_url' AS website,
              ${rowPrecise} AS precise, public.search_text(r.name) AS name_key
         FROM unnest($1::bigint[]) AS t(id) JOIN staging.rows r ON r.id = t.id)
     SELECT r.id AS row_id, r.place_key, r.name, r.address1, r.city, r.zip, r.country, r.lat, r.lng, r.precise, r.phone, r.website,
            (SELECT json_agg(json_build_object(
                      'listing_id', c.listing_id, 'name', c.name, 'address1', c.address1, 'city', c.city, 'zip', c.zip,
                      'country', c.country, 'lat', c.lat, 'lng', c.lng,
                      'precise', c.lat IS NOT NULL AND c.geocode_precision IS DISTINCT FROM 'city',
                      'phone', ci.phone, 'website', ci.website) ORDER BY c.likeness DESC, c.listing_id)
               FROM (
                 (SELECT near.*, ${likeness('near.name_key')} AS likeness
                    FROM (SELECT ${listingColumns}, l.name_key
                            -- the nearest locations first, alone on their index, then their listings: a join
                            -- before the limit lets a planner with stale statistics scan every listing per row
                            FROM (SELECT * FROM public.locations loc
                                   WHERE r.precise AND loc.lat IS NOT NULL AND loc.lng IS NOT NULL
                                     AND point(loc.lng::float8, loc.lat::float8) <@ box(
                                           point(r.lng::float8 - $2 / greatest(cos(radians(r.lat::float8)), 0.01), r.lat::float8 - $2),
                                           point(r.lng::float8 + $2 / greatest(cos(radians(r.lat::float8)), 0.01), r.lat::float8 + $2))
                                   ORDER BY point(loc.lng::float8, loc.lat::float8) <-> point(r.lng::float8, r.lat::float8)
                                   LIMIT $4) loc
                            JOIN public.listings l ON l.location_id = loc.id
                           WHERE l.listing_status IN ('active', 'missing_from_import')) near
                   WHERE ${likeness('near.name_key')} >= 0.2
                   ORDER BY likeness DESC, near.listing_id LIMIT $3)
                 UNION ALL
                 (SELECT ${listingColumns}, NULL::text AS name_key, ${likeness('l.name_key')} AS likeness
                    FROM public.listings l JOIN public.locations loc ON loc.id = l.location_id
                   WHERE NOT r.precise AND public.search_text(l.name) % r.name_key
                     AND public.search_text(coalesce(loc.city, '')) = public.search_text(coalesce(r.city, ''))
                     AND l.listing_status IN ('active', 'missing_from_import')
                   ORDER BY likeness DESC, l.id LIMIT $3)) c
               LEFT JOIN LATERAL (
                 SELECT coalesce(ci.international_phone, ci.local_phone) AS phone, ci.website_url AS website
                   FROM public.listing_info li JOIN public.contact_info ci ON ci.id = li.contact_info_id
                  WHERE li.listing_id = c.listing_id ORDER BY (li.dmo_id = c.owner_dmo_id) DESC, li.id LIMIT 1) ci ON true
            ) AS candidates
       FROM todo r
      ORDER BY r.id`,
    [rowIds, radiusM * degreesPerMetre, candidatesPerRow, nearest],
  );
  return rows;
}

const num = (value: string | null) => (value === null ? null : Number(value));

export interface MatchOutcome {
  matched: number;
  possible: number;
}

export interface MatchOptions {
  /**
   * Where candidates are searched, when given: connections of their own (searchConnections), each
   * in a read-only transaction, so PostgreSQL searches the next pages on other backends while the
   * stage's transaction writes this page's decisions. They read what that transaction leaves
   * alone: the rows' names, addresses and coordinates (committed by the transforms and the
   * geocoding) and production.
   */
  search?: Db;
  defaultCountry?: string;
}

/**
 * Scores every unmatched row of the run against its candidates, page by page, in the caller's
 * transaction: possible matches are written onto their rows, automatic matches into
 * fuzzyMatchesTable, which computeActions (with `fuzzyMatches`) applies later in that transaction.
 * A listing that two rows of the run would both take automatically is left to a reviewer for both.
 */
export async function fuzzyMatch(db: Queryable, runId: number, thresholds: MatchThresholds, options: MatchOptions = {}): Promise<MatchOutcome> {
  const restore = await plannerForMatching(db);
  await createFuzzyMatches(db);
  const { search } = options;
  const outcome = search
    ? await withSearchers(search, db, (searchers) => matchPages(db, searchers, runId, thresholds, options.defaultCountry))
    : await matchPages(db, [db], runId, thresholds, options.defaultCountry);
  await demoteSharedMatches(db, runId);
  await restore();
  return outcome;
}

/** Connections searching at once beside the stage's transaction: the search is most of matching's time. */
const searchConnections = 2;

/**
 * Up to `searchConnections` read-only transactions on connections of `pool`, with the matching
 * planner, for `fn`; the caller's own transaction when the pool has none to spare. Only connections
 * the pool gives at once are taken (pg-pool hands them out in the same tick): a stage holding its
 * transaction while it waited for more could wait forever on a pool that other stages hold. One the
 * server refuses (max_connections, a pooler's limit) is one searcher fewer.
 */
async function withSearchers<T>(pool: Db, own: Queryable, fn: (searchers: Queryable[]) => Promise<T>): Promise<T> {
  const spare = pool.idleCount + Math.max(0, (pool.options.max ?? 10) - pool.totalCount) - pool.waitingCount;
  const taking = Array.from({ length: Math.max(0, Math.min(searchConnections, spare)) }, () => pool.connect());
  const clients = (await Promise.allSettled(taking)).flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  let entered = 0;
  // lock_timeout: the stage's transaction holds its lock on staging.rows; behind a request for an
  // exclusive lock (a migration's ALTER TABLE) a searcher would wait for a lock the stage keeps
  // while the stage waits for the searcher, which PostgreSQL cannot see as a deadlock. Failing,
  // the stage rolls back (letting the other go first) and its job is retried.
  const searching = (taken: Queryable[]): Promise<T> => {
    if (entered === clients.length) return fn(taken.length > 0 ? taken : [own]);
    return transactionOn(clients[entered++]!, async (search) => {
      await plannerForMatching(search);
      return searching([...taken, search]);
    }, { readOnly: true, lockTimeoutMs: 10_000 });
  };
  try {
    return await searching([]);
  } finally {
    // those a failure came before: transactionOn releases the others
    for (const client of clients.slice(entered)) client.release();
  }
}

async function matchPages(db: Queryable, searchers: readonly Queryable[], runId: number, thresholds: MatchThresholds, defaultCountry?: string): Promise<MatchOutcome> {
  const outcome: MatchOutcome = { matched: 0, possible: 0 };
  const listings = new PreparedListings(defaultCountry);
  // Pipelined: as many pages are searched ahead as there are searchers, while Node scores and the
  // transaction writes (a page's rows are past the last one's, so no write of a page changes the
  // next). Each promise gets a handler at once: a failure surfaces where it is awaited and is
  // never an unhandled rejection while another is awaited.
  const handled = <T>(promise: Promise<T>) => (promise.catch(() => undefined), promise);
  const unmatched = await UnmatchedRows.open(db, runId);
  const searching: Promise<PageRow[]>[] = [];
  let turn = 0;
  let more = true;
  let stopped = false;
  const searchAhead = async () => {
    while (more && !stopped && searching.length < searchers.length) {
      const ids = await unmatched.next();
      more = ids.length > 0;
      if (more && !stopped) searching.push(handled(candidatePage(searchers[turn++ % searchers.length]!, ids)));
    }
  };
  let ahead = handled(searchAhead());
  let written: Promise<unknown> = Promise.resolve();
  try {
    await ahead;
    while (searching.length > 0) {
      const rows = await searching.shift()!;
      ahead = handled(searchAhead());
      const decisions = await decide(rows, thresholds, listings, defaultCountry);
      await ahead;
      await written;
      if (decisions.length === 0) continue;
      written = handled(writeDecisions(db, runId, decisions));
      for (const d of decisions) outcome[d.decision === 'match' ? 'matched' : 'possible'] += 1;
    }
    await written;
  } catch (error) {
    // nothing of this matching may still be queued when the caller rolls back and hands the
    // connections back to the pool
    stopped = true;
    await ahead.catch(() => undefined);
    await Promise.allSettled([written, ...searching]);
    throw error;
  }
  await unmatched.close();
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

/**
 * The automatic matches of the stage's transaction, kept apart from staging.rows until
 * computeActions applies them in the rewrite of every row it makes anyway: writing them onto the
 * rows here as well cost a second rewrite of each matched row (60 to 70 µs a row, a third of the
 * matching's time at 100k rows). Dropped at commit.
 */
export const fuzzyMatchesTable = 'pg_temp.stage_fuzzy_matches';

async function createFuzzyMatches(db: Queryable): Promise<void> {
  await db.query(
    `CREATE TEMPORARY TABLE IF NOT EXISTS stage_fuzzy_matches (
       id bigint PRIMARY KEY, place_key text NOT NULL, listing_id int NOT NULL, certainty_score numeric(5, 4) NOT NULL, candidates jsonb NOT NULL
     ) ON COMMIT DROP`);
  await db.query(`TRUNCATE ${fuzzyMatchesTable}`);
}

/** A page's decisions: possible matches onto their rows (a few), automatic matches into the table above. */
async function writeDecisions(db: Queryable, runId: number, decisions: readonly Decision[]): Promise<void> {
  // one JSON document for the page: a jsonb[] parameter had every candidate list quoted into an
  // array literal first, a tenth of the scoring's time
  const document = (kind: Decision['decision']) => JSON.stringify(decisions.filter((d) => d.decision === kind));
  const columns = `id bigint, "placeKey" text, "listingId" int, confidence float8, candidates jsonb`;
  if (decisions.some((d) => d.decision === 'match')) {
    await db.query(
      `INSERT INTO ${fuzzyMatchesTable} (id, place_key, listing_id, certainty_score, candidates)
       SELECT d.id, d."placeKey", d."listingId", round(d.confidence::numeric, 4), d.candidates FROM json_to_recordset($1::json) AS d(${columns})`,
      [document('match')]);
  }
  if (decisions.some((d) => d.decision === 'possible_match')) {
    await db.query(
      `UPDATE staging.rows r SET action = 'possible_match', ok_to_promote = false,
              certainty_score = round(d.confidence::numeric, 4), match_candidates = d.candidates
         FROM json_to_recordset($2::json) AS d(${columns}) WHERE r.id = d.id AND r.job_id = $1`,
      [runId, document('possible_match')]);
  }
}

/**
 * Listings as the scorer compares them, each read once (its phone parsed, its website normalized):
 * a listing is a candidate of several records, not always of one page. At most `limit` are kept.
 */
class PreparedListings {
  private readonly sides = new Map<number, PreparedSubject>();

  constructor(private readonly defaultCountry: string | undefined, private readonly limit = 50_000) {}

  of(c: Candidate): PreparedSubject {
    let side = this.sides.get(c.listing_id);
    if (!side) {
      const { listing_id: _, ...subject } = c;
      side = prepareSubject(subject, { defaultCountry: this.defaultCountry });
      // the oldest out first (a Map iterates in insertion order)
      if (this.sides.size >= this.limit) this.sides.delete(this.sides.keys().next().value!);
      this.sides.set(c.listing_id, side);
    }
    return side;
  }
}

interface Decision {
  id: string;
  placeKey: string;
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

/** Rows scored between two turns of the event loop, so the next page's queries go out meanwhile. */
const rowsPerTurn = 100;

async function decide(rows: readonly PageRow[], thresholds: MatchThresholds, listings: PreparedListings, defaultCountry?: string): Promise<Decision[]> {
  const decisions: Decision[] = [];
  let scoredRows = 0;
  for (const { row_id: id, place_key: placeKey, candidates, lat, lng, ...row } of rows) {
    if (candidates === null) continue;
    // node-postgres sends a queued query only when it reads the end of the one before: a page
    // scored in one go would leave PostgreSQL idle instead of searching the next page meanwhile
    if (++scoredRows % rowsPerTurn === 0) await new Promise((resolve) => setImmediate(resolve));
    const record = prepareSubject({ ...row, lat: num(lat), lng: num(lng) }, { defaultCountry });
    const scored = candidates.map((c) => {
      const score = scorePrepared(record, listings.of(c));
      return { listing_id: c.listing_id, confidence: score.confidence, name: c.name, city: c.city,
        name_similarity: score.evidence.name_similarity, distance_m: score.evidence.distance_m, evidence: score.evidence };
    }).sort((a, b) => b.confidence - a.confidence || a.listing_id - b.listing_id);
    const best = scored[0]!;
    const decision = classifyMatch(best.confidence, thresholds);
    if (decision === 'none') continue;
    // two candidates both sure enough: a person tells them apart
    const rival = scored[1] && classifyMatch(scored[1].confidence, thresholds) === 'match';
    decisions.push({
      id, placeKey, listingId: best.listing_id, decision: decision === 'match' && !rival ? 'match' : 'possible_match',
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
    `WITH shared AS MATERIALIZED (
       SELECT listing_id FROM ${fuzzyMatchesTable} GROUP BY listing_id HAVING count(DISTINCT place_key) > 1),
     demoted AS (
       DELETE FROM ${fuzzyMatchesTable} m USING shared WHERE m.listing_id = shared.listing_id
       RETURNING m.id, m.certainty_score, m.candidates)
     UPDATE staging.rows r SET action = 'possible_match', ok_to_promote = false,
            certainty_score = d.certainty_score, match_candidates = d.candidates
       FROM demoted d WHERE r.id = d.id AND r.job_id = $1`,
    [runId],
  );
}
