// Review of staged rows: listing with filters, counts for the review tabs, one row against production,
// and decisions.
import { z } from 'zod';
import {
  matchCandidate, recordActions, reviewStatuses, stagedRow, type MatchCandidate, type RecordAction, type ReviewStatus,
  type RowsQuery, type StagedRow, type StagingCounts,
} from '../contract/runs';
import { stageRunImages } from './images';
import { computeActions, proposeRows, countResults } from './stage-run';
import { containsPattern, type Queryable } from './pool';

export { recordActions, reviewStatuses, type RecordAction, type ReviewStatus };

/** What a listing or a bulk decision selects rows by (the review body's filter is the same without q). */
export type RowFilter = Pick<RowsQuery, 'action' | 'review' | 'proposed' | 'warnings' | 'q'>;

export interface Selection {
  ids?: number[];
  filter?: RowFilter;
}

/** The stage step stages the deletions it proposes under file_seq 0 (rec_num is then the listing_info id). */
const proposedDeletion = (table: string) => `${table}.file_seq = 0`;
const sourceRecord = (table: string) => `${table}.file_seq > 0`;

/**
 * WHERE clause of a selection; values are parameters, never text spliced into SQL. `table` qualifies
 * the columns when the query joins staging.rows to itself.
 */
function selectionWhere(runId: number, selection: Selection, params: unknown[] = [], table = 'staging.rows') {
  const column = (name: string) => `${table}.${name}`;
  params.push(runId);
  const where = [`${column('job_id')} = $${params.length}`];
  if (selection.ids) {
    params.push(selection.ids);
    where.push(`${column('id')} = ANY($${params.length}::bigint[])`);
  }
  const f = selection.filter ?? {};
  if (f.action) (params.push(f.action), where.push(`${column('action')} = $${params.length}`));
  if (f.review) (params.push(f.review), where.push(`${column('review_status')} = $${params.length}`));
  if (f.proposed !== undefined) (params.push(f.proposed), where.push(`${column('ok_to_promote')} = $${params.length}`));
  if (f.warnings !== undefined) where.push(`${column('warnings')} ${f.warnings ? '<>' : '='} '[]'::jsonb`);
  if (f.q) {
    params.push(containsPattern(f.q));
    const like = `$${params.length}`;
    where.push(`(${column('name')} ILIKE ${like} OR ${column('city')} ILIKE ${like} OR ${column('source_id')} ILIKE ${like})`);
  }
  return { sql: where.join(' AND '), params };
}

// the columns are the contract's fields: what the API promises is what is selected
const rowColumnNames = Object.keys(stagedRow.shape);
const rowColumns = (table: string) => rowColumnNames.map((name) => `${table}.${name}`).join(', ');

/** A staged row as PostgreSQL gives it: timestamps are Dates until they are sent. */
type StagedRowRecord = Omit<StagedRow, 'reviewed_at' | 'promoted_at'> & { reviewed_at: Date | null; promoted_at: Date | null };

const presentRow = (row: StagedRowRecord): StagedRow => ({
  ...row, reviewed_at: row.reviewed_at?.toISOString() ?? null, promoted_at: row.promoted_at?.toISOString() ?? null,
});

/**
 * One page of a run's staged rows in review order: the source's records by record number, then the
 * deletions the stage step proposes. Each part is paged on its own in the order of the unique index
 * (job_id, file_seq, rec_num), and only that key is sorted and skipped (an index-only scan when no
 * filter needs the row) before the page's own rows are read: sorting whole rows to find page 2,000 of
 * a 100k-row run spilled 117 MB to disk on every request.
 */
export async function listRows(db: Queryable, runId: number, filter: RowFilter, page: number, pageSize: number) {
  const { sql, params } = selectionWhere(runId, { filter });
  const offset = (page - 1) * pageSize;
  // The counts and the page of records need not wait for each other (on the pool they run side by
  // side: until a vacuum marks a new run's pages all-visible, each reads the run's heap); only a page
  // reaching past the records into the deletions needs the counts to know where those start.
  const [counted, records] = await Promise.all([
    // two counts, each of which an index can answer: all the selected rows, and the deletions among them
    db.query<{ total: number; deletions: number }>(
      `SELECT (SELECT count(*) FROM staging.rows WHERE ${sql})::int AS total,
              (SELECT count(*) FROM staging.rows WHERE ${sql} AND ${proposedDeletion('staging.rows')})::int AS deletions`,
      params,
    ),
    pageOfRows(db, sql, params, sourceRecord('staging.rows'), pageSize, offset),
  ]);
  const { total, deletions } = counted.rows[0]!;
  const rows = records;
  if (rows.length < pageSize && deletions > 0 && offset + pageSize > total - deletions) {
    const deletionOffset = Math.max(0, offset - (total - deletions));
    rows.push(...(await pageOfRows(db, sql, params, proposedDeletion('staging.rows'), pageSize - rows.length, deletionOffset)));
  }
  return { rows: rows.map(presentRow), total };
}

async function pageOfRows(db: Queryable, where: string, params: unknown[], part: string, limit: number, offset: number): Promise<StagedRowRecord[]> {
  const { rows } = await db.query<StagedRowRecord>(
    `SELECT ${rowColumns('r')}
       FROM (SELECT job_id, file_seq, rec_num FROM staging.rows WHERE ${where} AND ${part}
              ORDER BY file_seq, rec_num LIMIT $${params.length + 1} OFFSET $${params.length + 2}) page
       JOIN staging.rows r ON (r.job_id, r.file_seq, r.rec_num) = (page.job_id, page.file_seq, page.rec_num)
      ORDER BY r.file_seq, r.rec_num`,
    [...params, limit, offset],
  );
  return rows;
}

/** The numbers on the review tabs, from one pass over the run's rows. */
export async function countRows(db: Queryable, runId: number): Promise<StagingCounts> {
  const { rows } = await db.query<{ action: RecordAction | null; review_status: ReviewStatus; n: number; warnings: number; proposed: number }>(
    `SELECT action, review_status, count(*)::int AS n,
            count(*) FILTER (WHERE warnings <> '[]'::jsonb)::int AS warnings, count(*) FILTER (WHERE ok_to_promote)::int AS proposed
       FROM staging.rows WHERE job_id = $1 GROUP BY action, review_status`,
    [runId],
  );
  const counts: StagingCounts = {
    total: 0,
    actions: Object.fromEntries(recordActions.map((action) => [action, 0])) as StagingCounts['actions'],
    review: Object.fromEntries(reviewStatuses.map((status) => [status, 0])) as StagingCounts['review'],
    approved: Object.fromEntries(recordActions.map((action) => [action, 0])) as StagingCounts['approved'],
    warnings: 0,
    proposed: 0,
  };
  for (const group of rows) {
    counts.total += group.n;
    // a row has no action until the stage step decides it
    if (group.action) counts.actions[group.action] += group.n;
    if (group.action && group.review_status === 'approved') counts.approved[group.action] += group.n;
    counts.review[group.review_status] += group.n;
    counts.warnings += group.warnings;
    counts.proposed += group.proposed;
  }
  return counts;
}

export async function getRow(db: Queryable, rowId: number): Promise<StagedRow | null> {
  const { rows } = await db.query<StagedRowRecord>(`SELECT ${rowColumns('staging.rows')} FROM staging.rows WHERE id = $1`, [rowId]);
  return rows[0] ? presentRow(rows[0]) : null;
}

/** A row's fuzzy-match candidates, best first (none unless the stage step found some). */
export async function matchCandidates(db: Queryable, rowId: number): Promise<MatchCandidate[]> {
  const { rows } = await db.query<{ candidates: unknown }>('SELECT match_candidates AS candidates FROM staging.rows WHERE id = $1', [rowId]);
  const parsed = z.array(matchCandidate).safeParse(rows[0]?.candidates ?? []);
  return parsed.success ? parsed.data : [];
}

/** True when a listing has this id: a reviewer's match_listing_id must name one. */
export async function listingExists(db: Queryable, listingId: number): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM public.listings WHERE id = $1', [listingId]);
  return (rowCount ?? 0) > 0;
}

/** The production record a staged row would change, in the staged row's shape. */
export async function productionRecord(db: Queryable, listingId: number | null, listingInfoId: number | null) {
  if (!listingId) return null;
  const { rows } = await db.query(
    `SELECT l.id AS listing_id, l.name, l.category, l.google_place_id, l.listing_visible, l.listing_status, l.manually_modified,
            loc.address1, loc.address2, loc.city, loc.state, loc.zip, loc.country, loc.lat, loc.lng, loc.region_name,
            li.id AS listing_info_id, li.name AS info_name, li.description, li.info_visible, li.info_status,
            to_jsonb(ci) - 'id' - 'created_at' - 'updated_at' AS contact,
            coalesce((SELECT jsonb_agg(coalesce(i.source_url, (SELECT s.source_url FROM pipeline.stored_images s
                               WHERE s.dmo_id = li.dmo_id AND s.source_id = li.source_id AND s.canonical_url = i.image LIMIT 1), i.image)
                               ORDER BY i.rank) FROM public.listing_images i
                       WHERE i.listing_info_id = li.id), '[]'::jsonb) AS images,
            coalesce((SELECT jsonb_agg(a.name ORDER BY a.name) FROM public.bridge_attributes_listings b
                        JOIN public.ref_attributes a ON a.id = b.attribute_id WHERE b.listing_id = l.id), '[]'::jsonb) AS attributes
       FROM public.listings l
       LEFT JOIN public.locations loc ON loc.id = l.location_id
       LEFT JOIN public.listing_info li ON li.id = $2
       LEFT JOIN public.contact_info ci ON ci.id = li.contact_info_id
      WHERE l.id = $1`,
    [listingId, listingInfoId],
  );
  return rows[0] ?? null;
}

const diffFields = ['name', 'category', 'google_place_id', 'address1', 'address2', 'city', 'state', 'zip', 'country', 'lat',
  'lng', 'region_name', 'info_name', 'description', 'contact', 'images', 'attributes'] as const;

export function fieldDiff(staged: Record<string, unknown>, production: Record<string, unknown> | null) {
  const empty = (value: unknown) => value === null || value === undefined || value === '' ||
    (Array.isArray(value) && value.length === 0);
  const comparable = (value: unknown) => (empty(value) ? null : typeof value === 'object' ? JSON.stringify(value) : String(value));
  return diffFields.map((field) => {
    let stagedValue = staged[field];
    let productionValue = production ? production[field] : null;
    if (field === 'contact') {
      const s = (stagedValue ?? {}) as Record<string, unknown>;
      const p = (productionValue ?? {}) as Record<string, unknown>;
      const keys = Object.keys(s).filter((k) => !empty(s[k]) || !empty(p[k])).sort();
      stagedValue = Object.fromEntries(keys.map((k) => [k, s[k] ?? null]));
      productionValue = production ? Object.fromEntries(keys.map((k) => [k, p[k] ?? null])) : null;
    }
    return { field, staged: stagedValue ?? null, production: productionValue ?? null,
      changed: comparable(stagedValue) !== comparable(productionValue) };
  });
}

export interface ReviewOptions {
  overrideAction?: 'insert' | 'update' | 'unchanged' | 'delete';
  matchListingId?: number;
  createNew?: boolean;
}

/** Approves or rejects the selected, unpromoted rows; returns how many changed. */
export async function approveRows(
  db: Queryable,
  runId: number,
  selection: Selection,
  decision: 'approve' | 'reject',
  userId: number | null,
  options: ReviewOptions = {},
): Promise<number> {
  // A bulk approval ("approve all proposed") leaves rows a person rejected alone, unless its filter
  // names a review status; a rejection reaches approved rows too, and rows named by id are decided as asked.
  if (decision === 'approve' && !selection.ids && selection.filter?.review === undefined) {
    selection = { ...selection, filter: { ...selection.filter, review: 'pending' } };
  }
  const overriding = options.overrideAction !== undefined || options.matchListingId !== undefined || options.createNew === true;
  if (overriding) {
    // An override changes the very columns a filter selects on: pin the rows first, then decide those.
    selection = { ids: await selectedIds(db, runId, selection) };
    await overrideActions(db, runId, selection, options);
  }
  const { sql, params } = selectionWhere(runId, selection, [decision === 'approve' ? 'approved' : 'rejected', userId]);
  const updated = await db.query(
    `UPDATE staging.rows SET review_status = $1, reviewed_by = $2, reviewed_at = now() WHERE ${sql} AND promoted_at IS NULL`,
    params,
  );
  if (overriding) {
    await proposeRows(db, runId);
    await countResults(db, runId);
    // a row that became an insert or an update gets its images staged (their jobs are queued once this commits)
    await stageRunImages(db, runId, selection.ids);
  }
  return updated.rowCount ?? 0;
}

async function selectedIds(db: Queryable, runId: number, selection: Selection): Promise<number[]> {
  const { sql, params } = selectionWhere(runId, selection);
  const { rows } = await db.query<{ id: number }>(
    `SELECT id FROM staging.rows WHERE ${sql} AND promoted_at IS NULL ORDER BY id FOR UPDATE`,
    params,
  );
  return rows.map((row) => row.id);
}

/** A reviewer's correction of the pipeline's decision for the selected, unpromoted rows. */
async function overrideActions(db: Queryable, runId: number, selection: Selection, options: ReviewOptions): Promise<void> {
  const { sql, params } = selectionWhere(runId, selection);
  const where = `${sql} AND promoted_at IS NULL`;
  if (options.matchListingId !== undefined || options.createNew) {
    // a possible match resolved by a person: re-decide the row's actions against that listing (or none)
    await db.query(
      `UPDATE staging.rows SET listing_id = $${params.length + 1}, listing_info_id = NULL,
              match_method = CASE WHEN $${params.length + 1}::int IS NULL THEN NULL ELSE 'manual' END,
              action = NULL, action_overridden = true
        WHERE ${where}`,
      [...params, options.createNew ? null : options.matchListingId],
    );
    await computeActions(db, runId);
  } else if (options.overrideAction === 'insert' || options.overrideAction === 'update') {
    await refuseRepeatedSourceIds(db, runId, selection);
    await db.query(`UPDATE staging.rows SET action = NULL, duplicate_of = NULL, action_overridden = true WHERE ${where} AND action = 'duplicate'`, params);
    await computeActions(db, runId);
  } else if (options.overrideAction === 'unchanged') {
    await db.query(`UPDATE staging.rows SET action = 'unchanged', action_overridden = true WHERE ${where} AND listing_info_id IS NOT NULL`, params);
  } else if (options.overrideAction === 'delete') {
    await db.query(
      `UPDATE staging.rows SET action = 'delete', li_action = 'delete', action_overridden = true,
              l_action = CASE WHEN EXISTS (SELECT 1 FROM public.listing_info o WHERE o.listing_id = staging.rows.listing_id
                                             AND o.id <> staging.rows.listing_info_id AND o.info_visible) THEN 'unchanged' ELSE 'delete' END
        WHERE ${where} AND listing_info_id IS NOT NULL`,
      params,
    );
  }
}

/** One source record is one listing_info: a duplicate by source_id cannot become a second insert. */
async function refuseRepeatedSourceIds(db: Queryable, runId: number, selection: Selection): Promise<void> {
  const { sql, params } = selectionWhere(runId, selection, [], 'r');
  const { rows } = await db.query<{ id: number; source_id: string; first: number }>(
    `SELECT r.id, r.source_id, first.id AS first FROM staging.rows r
       JOIN staging.rows first ON first.job_id = r.job_id AND first.file_seq > 0 AND first.source_id = r.source_id
                              AND first.rec_num < r.rec_num
      WHERE ${sql} AND r.promoted_at IS NULL AND r.action = 'duplicate'
      ORDER BY r.rec_num, first.rec_num LIMIT 1`,
    params,
  );
  if (rows[0]) {
    throw new ReviewConflict(
      `Row ${rows[0].id} repeats source_id ${rows[0].source_id} of row ${rows[0].first}: a source record can be promoted once, ` +
        'so it cannot be overridden to an insert; approve the row you want to keep instead',
    );
  }
}

/** A review decision that contradicts the Rules: the API answers 409 with this message. */
export class ReviewConflict extends Error {}

/** An unpromoted run's staged rows are dropped. */
export async function discardRows(db: Queryable, runId: number): Promise<void> {
  await db.query('DELETE FROM staging.rows WHERE job_id = $1', [runId]);
}
