// What the reliability suite runs and what it expects: chains of two CSV runs of one config (a first
// import of new records, then a re-import with updates, deletions and new records), and checks that a
// run ended with exactly the staged and promoted rows its file calls for, record by record, however
// often its workers or its database were killed on the way.
//
// RELIABILITY=full (npm run test:reliability) runs the many-runs mode; anything else the quick one
// that npm test runs. RELIABILITY_SEED replays a run's random choices.
import type { ApiClient } from '../harness/http';
import type { ListingRow } from '../harness/pipeline';
import type { Queryable } from '../../src/db/pool';

export const fullMode = process.env.RELIABILITY === 'full';

/** mulberry32: small, seedable, good enough to draw kill points. */
export function seededRandom(label: string): { seed: number; random: () => number } {
  const given = process.env.RELIABILITY_SEED;
  const seed = given !== undefined && given !== '' ? Number(given) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
  process.stdout.write(`${label}: RELIABILITY_SEED=${seed} (${fullMode ? 'full' : 'quick'} mode; set RELIABILITY_SEED=${seed} to replay)\n`);
  let state = seed;
  return {
    seed,
    random() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** A listing of the harness's CSV, with what this suite adds to it. */
export interface PlannedRecord extends ListingRow {
  amenities: string[];
  hours: string;
  /** opening_hours rows its hours make */
  hourRows: number;
  image: string | null;
  /** no name: rejected into job_errors, never staged */
  bad: boolean;
}

export type RecordAction = 'insert' | 'update' | 'unchanged' | 'delete';

export interface PlannedRun {
  chain: number;
  /** 0: the config's first import; 1: its re-import */
  round: 0 | 1;
  /** in file order: rec_num is the position, from 1 */
  records: PlannedRecord[];
  /** the action each staged record must get, by source id (deletions included) */
  actions: Map<string, RecordAction>;
  /** production's listing_info of the DMO once this run is promoted, by source id: the record it holds, and whether it is visible */
  production: Map<string, { record: PlannedRecord; visible: boolean }>;
  results: {
    records_total: number; records_new: number; records_updated: number; records_unchanged: number;
    records_deleted: number; records_duplicates: number; records_possible_match: number; records_error: number;
  };
  promoteResults: { inserted: number; updated: number; deleted: number; unchanged: number; skipped: number; listings_created: number };
}

export const csvHeader = 'ID,Name,Address,City,Latitude,Longitude,Description,Email,Amenities,Hours,Images';

export const scenarioMapping = {
  'listings.name': 'Name', 'locations.address1': 'Address', 'locations.city': 'City',
  'locations.lat': 'Latitude', 'locations.lng': 'Longitude', 'listing_info.description': 'Description',
  'contact_info.email': 'Email', 'attributes.names': 'Amenities', 'opening_hours.text': 'Hours', 'listing_images.image': 'Images',
};

/** The config_params of a scenario's config: raw files of `splitRecords`, so a run has several transform jobs. */
export const scenarioParams = (splitRecords: number) => ({
  import: { source_id_column: 'ID', split_records: splitRecords },
  transform: { map_fields: scenarioMapping },
});

export function scenarioCsv(records: PlannedRecord[]): string {
  const quote = (value: string) => (/[",\n|]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  return [csvHeader, ...records.map((r) =>
    [r.id, r.bad ? '' : r.name, r.address, r.city, r.lat, r.lng, r.description, r.email, r.amenities.join('|'), r.hours, r.image ?? '']
      .map(quote).join(','))].join('\n') + '\n';
}

const weekdays = 'Mon-Fri 09:00-17:00';
const weekend = 'Sat-Sun 10:00-16:00';

/**
 * A chain's two runs. Each chain lives in its own square degree (no fuzzy match reaches another
 * chain's listings); the re-import's new records sit a tenth of a degree apart from the rest, under
 * names unlike theirs, so they are plain inserts. `imageUrl(chain, n, round)` gives a few records a
 * picture (null: none), a new one in the re-import.
 */
export function planChain(chain: number, size: number,
  imageUrl: (chain: number, n: number, round: 0 | 1) => string | null = () => null): [PlannedRun, PlannedRun] {
  const baseLat = 10 + (chain % 60);
  const baseLng = -170 + Math.floor(chain / 60) * 2;
  const record = (n: number, fresh: boolean): PlannedRecord => ({
    id: `C${chain}-${fresh ? 'N' : 'L'}${n}`,
    name: fresh ? `Tidewater Lodge ${chain}-${n}` : `Harbour Place ${chain}-${n}`,
    address: `${n} ${fresh ? 'Ridge Road' : 'Water Street'}`,
    city: n % 2 ? 'Halifax' : 'Lunenburg',
    lat: (baseLat + (fresh ? 0.5 : 0) + n / 20_000).toFixed(5),
    lng: (baseLng - (fresh ? 0.5 : 0) - n / 20_000).toFixed(5),
    description: `A fine place number ${n} of chain ${chain}, by the sea.`,
    email: `info${n}@chain${chain}.example.org`,
    amenities: n % 3 ? ['Wheelchair access', 'Gift shop'] : ['Parking', 'Café'],
    hours: weekdays,
    hourRows: 5,
    image: fresh ? null : imageUrl(chain, n, 0),
    bad: !fresh && n % 100 === 50,
  });

  const first = Array.from({ length: size }, (_, i) => record(i + 1, false));
  const valid = first.filter((r) => !r.bad);
  const firstRun: PlannedRun = {
    chain, round: 0, records: first,
    actions: new Map(valid.map((r) => [r.id, 'insert'])),
    production: new Map(valid.map((r) => [r.id, { record: r, visible: true }])),
    results: {
      records_total: size, records_new: valid.length, records_updated: 0, records_unchanged: 0, records_deleted: 0,
      records_duplicates: 0, records_possible_match: 0, records_error: size - valid.length,
    },
    promoteResults: { inserted: valid.length, updated: 0, deleted: 0, unchanged: 0, skipped: 0, listings_created: valid.length },
  };

  // the re-import: every 20th record gone (a deletion), every 7th and each with a picture described
  // anew (every 21st also with new hours), a new record after every 25th; the bad ones stay bad
  const second: PlannedRecord[] = [];
  const actions = new Map<string, RecordAction>();
  const production = new Map<string, { record: PlannedRecord; visible: boolean }>();
  let fresh = 0;
  for (const r of first) {
    const n = Number(r.id.split('L')[1]);
    if (!r.bad && n % 20 === 0) {
      actions.set(r.id, 'delete');
      production.set(r.id, { record: r, visible: false }); // soft-deleted: it keeps what it had
    } else if (!r.bad && (n % 7 === 0 || r.image)) {
      // a record with a picture gets a new one (its image jobs run again) besides its new description
      const changed = { ...r, description: `${r.description} Renovated in the spring.`, ...(n % 21 === 0 ? { hours: weekend, hourRows: 2 } : {}),
        image: r.image ? imageUrl(chain, n, 1) : null };
      second.push(changed);
      actions.set(r.id, 'update');
      production.set(r.id, { record: changed, visible: true });
    } else {
      second.push(r);
      if (!r.bad) {
        actions.set(r.id, 'unchanged');
        production.set(r.id, { record: r, visible: true });
      }
    }
    if (n % 25 === 0) {
      fresh += 1;
      const added = record(fresh, true);
      second.push(added);
      actions.set(added.id, 'insert');
      production.set(added.id, { record: added, visible: true });
    }
  }
  const count = (action: RecordAction) => [...actions.values()].filter((a) => a === action).length;
  const bad = second.filter((r) => r.bad).length;
  const secondRun: PlannedRun = {
    chain, round: 1, records: second, actions, production,
    results: {
      records_total: second.length, records_new: count('insert'), records_updated: count('update'), records_unchanged: count('unchanged'),
      records_deleted: count('delete'), records_duplicates: 0, records_possible_match: 0, records_error: bad,
    },
    promoteResults: {
      inserted: count('insert'), updated: count('update'), deleted: count('delete'), unchanged: count('unchanged'), skipped: 0,
      listings_created: count('insert'),
    },
  };
  return [firstRun, secondRun];
}

const rows = async <T = any>(db: Queryable, sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows as T[];

/** Differences between two lists of lines, for a failure message that names the records concerned. */
function difference(label: string, actual: string[], expected: string[]): string[] {
  const want = new Map<string, number>();
  for (const line of expected) want.set(line, (want.get(line) ?? 0) + 1);
  const extra: string[] = [];
  for (const line of actual) {
    const left = want.get(line) ?? 0;
    if (left > 0) want.set(line, left - 1);
    else extra.push(line);
  }
  const missing = [...want.entries()].flatMap(([line, n]) => Array<string>(n).fill(line));
  if (!extra.length && !missing.length) return [];
  return [`${label}: ${missing.length} missing (${missing.slice(0, 5).join('; ')}), ${extra.length} unexpected or doubled (${extra.slice(0, 5).join('; ')})`];
}

/**
 * What is wrong with a staged run, as sentences (none when it is exact): its counts, each valid record
 * staged once under its rec_num and source id with its action, each bad one rejected once, each
 * deletion proposed once.
 */
export async function stagingProblems(db: Queryable, runId: number, plan: PlannedRun): Promise<string[]> {
  const problems: string[] = [];
  const results = (await rows(db, `SELECT to_jsonb(r) AS results FROM pipeline.job_results r WHERE r.job_id = $1`, [runId]))[0]?.results ?? {};
  for (const [key, value] of Object.entries(plan.results)) {
    if (results[key] !== value) problems.push(`results.${key} is ${results[key]}, expected ${value}`);
  }
  const staged = await rows<{ rec_num: number; source_id: string; action: string }>(db,
    'SELECT rec_num, source_id, action FROM staging.rows WHERE job_id = $1 AND file_seq > 0', [runId]);
  const expectedStaged = plan.records.flatMap((r, i) => (r.bad ? [] : [`${i + 1} ${r.id} ${plan.actions.get(r.id)}`]));
  problems.push(...difference('staged records (rec_num source_id action)', staged.map((r) => `${r.rec_num} ${r.source_id} ${r.action}`), expectedStaged));
  const deletions = await rows<{ source_id: string; action: string }>(db,
    'SELECT source_id, action FROM staging.rows WHERE job_id = $1 AND file_seq = 0', [runId]);
  const expectedDeletions = [...plan.actions.entries()].filter(([, a]) => a === 'delete').map(([id]) => `${id} delete`);
  problems.push(...difference('proposed deletions', deletions.map((r) => `${r.source_id} ${r.action}`), expectedDeletions));
  const rejected = await rows<{ rec_num: number }>(db, 'SELECT DISTINCT rec_num FROM pipeline.job_errors WHERE job_id = $1', [runId]);
  const expectedRejected = plan.records.flatMap((r, i) => (r.bad ? [String(i + 1)] : []));
  problems.push(...difference('rejected records (rec_num)', rejected.map((r) => String(r.rec_num)), expectedRejected));
  // (the harness's recordsNotHandledOnce reads deletions' rows, whose rec_num is a listing_info id, as records)
  const [{ n: notOnce }] = await rows(db,
    `SELECT count(*)::int n FROM generate_series(1, $2::int) g(rec_num)
       LEFT JOIN (SELECT rec_num, count(*) n FROM staging.rows WHERE job_id = $1 AND file_seq > 0 GROUP BY 1) s USING (rec_num)
       LEFT JOIN (SELECT DISTINCT rec_num, 1 n FROM pipeline.job_errors WHERE job_id = $1) e USING (rec_num)
      WHERE coalesce(s.n, 0) + coalesce(e.n, 0) <> 1`,
    [runId, plan.records.length]);
  if (notOnce) problems.push(`${notOnce} record(s) of the file not handled exactly once (staged or rejected)`);
  return problems;
}

/**
 * What is wrong with production after a run's promote (none when exact): the DMO's listing_info are
 * the plan's, each once, with its description, visibility, one listing of its own with one location,
 * its contact, attributes and opening hours once, and its two bridge rows; the run's change_log holds
 * each insert, update and delete once; promote_results and the progress add up.
 */
export async function productionProblems(db: Queryable, runId: number, dmoId: number, plan: PlannedRun,
  { withImages = true }: { /** false when the run's images may still be arriving: their count is checked apart */ withImages?: boolean } = {}): Promise<string[]> {
  const problems: string[] = [];
  const run = (await rows(db, 'SELECT promote_results, progress_done, progress_total FROM pipeline.jobs WHERE id = $1', [runId]))[0];
  for (const [key, value] of Object.entries(plan.promoteResults)) {
    if (run.promote_results?.[key] !== value) problems.push(`promote_results.${key} is ${run.promote_results?.[key]}, expected ${value}`);
  }
  const approved = plan.actions.size;
  if (Number(run.progress_done) !== approved || Number(run.progress_total) !== approved) {
    problems.push(`progress is ${run.progress_done}/${run.progress_total}, expected ${approved}/${approved}`);
  }
  const unpromoted = await rows(db, `SELECT count(*)::int n FROM staging.rows WHERE job_id = $1 AND promoted_at IS NULL`, [runId]);
  if (unpromoted[0].n) problems.push(`${unpromoted[0].n} approved row(s) never promoted`);

  const infos = await rows(db,
    `WITH shared_contacts AS (
       SELECT contact_info_id FROM public.listing_info WHERE contact_info_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1),
     -- opening_hours has no index on its date: one join for the DMO, not a scan per record
     hours AS (
       SELECT d.listing_info_id, count(*) n FROM public.opening_dates d JOIN public.opening_hours h ON h.opening_date_id = d.id
        WHERE d.listing_info_id IN (SELECT id FROM public.listing_info WHERE dmo_id = $1) GROUP BY 1)
     SELECT li.source_id, li.description, li.info_visible, li.info_status,
            (SELECT count(*) FROM public.listing_info o WHERE o.listing_id = li.listing_id)::int AS infos_of_listing,
            (l.location_id IS NOT NULL AND (SELECT count(*) FROM public.listings x WHERE x.location_id = l.location_id) = 1) AS own_location,
            (li.contact_info_id IS NOT NULL AND li.contact_info_id NOT IN (SELECT contact_info_id FROM shared_contacts)) AS own_contact,
            c.email,
            (SELECT count(*) FROM public.bridge_attributes_listings b WHERE b.listing_id = li.listing_id)::int AS attributes,
            (SELECT count(*) FROM public.opening_dates d WHERE d.listing_info_id = li.id)::int AS periods,
            coalesce(hours.n, 0)::int AS hours,
            (SELECT count(*) FROM public.listing_images i WHERE i.listing_info_id = li.id)::int AS images,
            (SELECT count(*) FROM pipeline.bridge_source_target b WHERE b.dmo_id = li.dmo_id AND b.source_id = li.source_id)::int AS bridge_rows,
            (SELECT count(*) FROM pipeline.bridge_source_target b WHERE b.dmo_id = li.dmo_id AND b.source_id = li.source_id
                AND ((b.target_type = 'listing' AND b.target_id = li.listing_id) OR (b.target_type = 'listing_info' AND b.target_id = li.id)))::int AS bridge_right
       FROM public.listing_info li JOIN public.listings l ON l.id = li.listing_id LEFT JOIN public.contact_info c ON c.id = li.contact_info_id
       LEFT JOIN hours ON hours.listing_info_id = li.id
      WHERE li.dmo_id = $1`, [dmoId]);
  const describe = (r: { source_id: string; description: string | null; visible: boolean; email: string | null; attributes: number;
    periods: number; hours: number; images: number }) =>
    `${r.source_id} visible=${r.visible} attributes=${r.attributes} periods=${r.periods} hours=${r.hours} images=${r.images} email=${r.email} "${r.description}"`;
  const actual = infos.map((r) => {
    const shape = [r.infos_of_listing === 1 ? '' : ` listing shared by ${r.infos_of_listing}`, r.own_location ? '' : ' no own location',
      r.own_contact ? '' : ' no own contact', r.bridge_rows === 2 && r.bridge_right === 2 ? '' : ` bridge ${r.bridge_right}/${r.bridge_rows}`].join('');
    return describe({ ...r, visible: r.info_visible && r.info_status === 'active' }) + shape;
  });
  const planned = [...plan.production.entries()].map(([id, { record, visible }]) => describe({
    source_id: id, description: record.description, visible, email: record.email, attributes: 2, periods: 1, hours: record.hourRows,
    images: record.image && withImages ? 1 : 0,
  }));
  problems.push(...difference('production listing_info of the DMO', actual, planned));

  const changes = await rows<{ entity_type: string; change: string; field: string | null; n: number }>(db,
    `SELECT entity_type, change, field, count(*)::int n FROM pipeline.change_log WHERE job_id = $1 GROUP BY 1, 2, 3`, [runId]);
  const got = changes.map((c) => `${c.entity_type} ${c.change}${c.field ? ` ${c.field}` : ''} ×${c.n}`);
  const p = plan.promoteResults;
  const want = [
    ...(p.listings_created ? [`listing insert ×${p.listings_created}`, `listing_info insert ×${p.inserted}`] : []),
    ...(p.updated ? [`listing_info update description ×${p.updated}`] : []),
    ...(p.deleted ? [`listing delete ×${p.deleted}`, `listing_info delete ×${p.deleted}`] : []),
  ];
  problems.push(...difference(`change_log of run ${runId}`, got, want));
  const doubled = await rows(db,
    `SELECT count(*)::int n FROM (SELECT 1 FROM pipeline.change_log WHERE job_id = $1
      GROUP BY entity_type, entity_id, change, field HAVING count(*) > 1) d`, [runId]);
  if (doubled[0].n) problems.push(`${doubled[0].n} change_log entries of run ${runId} written twice`);
  return problems;
}

/** Nothing anywhere in production that no listing_info owns: a rolled-back batch leaves no orphan. */
export async function orphanProblems(db: Queryable): Promise<string[]> {
  const [row] = await rows(db,
    `SELECT (SELECT count(*) FROM public.listings l WHERE NOT EXISTS (SELECT 1 FROM public.listing_info li WHERE li.listing_id = l.id))::int AS listings,
            (SELECT count(*) FROM public.locations x WHERE NOT EXISTS (SELECT 1 FROM public.listings l WHERE l.location_id = x.id))::int AS locations,
            (SELECT count(*) FROM public.contact_info x WHERE NOT EXISTS (SELECT 1 FROM public.listing_info li WHERE li.contact_info_id = x.id))::int AS contacts,
            (SELECT count(*) FROM public.opening_dates d WHERE NOT EXISTS (SELECT 1 FROM public.listing_info li WHERE li.id = d.listing_info_id))::int AS periods`);
  return Object.entries(row as Record<string, number>).filter(([, n]) => n > 0).map(([what, n]) => `${n} ${what} that nothing refers to`);
}

/** Approves every row nobody decided yet, deletions too (they are never proposed). */
export async function approveAll(admin: ApiClient, runId: number): Promise<void> {
  const approved = await admin.post('/api/v1/pipeline/staging/review', { jobId: runId, filter: {}, decision: 'approve' });
  if (approved.status !== 200) throw new Error(`review: ${approved.status} ${JSON.stringify(approved.body)}`);
}

export async function requestPromote(admin: ApiClient, runId: number): Promise<void> {
  const promote = await admin.post('/api/v1/pipeline/staging/promote', { jobId: runId });
  if (promote.status !== 202) throw new Error(`promote: ${promote.status} ${JSON.stringify(promote.body)}`);
}
