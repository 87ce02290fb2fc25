// Loading transformed records into staging.rows: identity lookups in batches, then COPY through a
// temp table and INSERT ... ON CONFLICT DO NOTHING, so a retried file never stages a record twice.
import type { CanonicalRecord } from '../domain/canonical';
import type { PartHashes } from '../domain/hashes';
import { copyRows } from './copy';
import { inTransaction, type Db, type Queryable } from './pool';

export interface StagedRecord {
  fileSeq: number;
  recNum: number;
  line: number;
  sourceId: string;
  matchHash: string;
  record: CanonicalRecord;
  hashes: PartHashes;
  warnings: string[];
  listingId?: number | null;
  listingInfoId?: number | null;
  matchMethod?: 'bridge' | 'match_hash' | null;
}

export interface Identity {
  listingId: number | null;
  listingInfoId: number | null;
  matchMethod: 'bridge' | 'match_hash' | null;
}

/**
 * Bridge first (the source's own record), then the match hash (the same place from elsewhere).
 * `known` is materialized: inlined, each of its lookups ran again wherever the query below reads it.
 */
export async function resolveIdentities(db: Queryable, dmoId: number, records: { sourceId: string; matchHash: string }[]): Promise<Identity[]> {
  const { rows } = await db.query<{ ord: number; listing_id: number | null; listing_info_id: number | null; method: Identity['matchMethod'] }>(
    `WITH input AS (
       SELECT * FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(source_id, match_hash, ord)),
     known AS MATERIALIZED (
       SELECT i.ord, i.match_hash,
              coalesce((SELECT b.target_id FROM pipeline.bridge_source_target b
                         WHERE b.dmo_id = $1 AND b.source_id = i.source_id AND b.target_type = 'listing_info'),
                       (SELECT li.id FROM public.listing_info li WHERE li.dmo_id = $1 AND li.source_id = i.source_id)) AS listing_info_id,
              (SELECT b.target_id FROM pipeline.bridge_source_target b
                WHERE b.dmo_id = $1 AND b.source_id = i.source_id AND b.target_type = 'listing') AS bridge_listing_id
         FROM input i)
     SELECT k.ord, k.listing_info_id,
            coalesce(k.bridge_listing_id, li.listing_id, by_hash.id) AS listing_id,
            CASE WHEN k.bridge_listing_id IS NOT NULL OR li.listing_id IS NOT NULL THEN 'bridge'
                 WHEN by_hash.id IS NOT NULL THEN 'match_hash' END AS method
       FROM known k
       LEFT JOIN public.listing_info li ON li.id = k.listing_info_id
       LEFT JOIN LATERAL (SELECT l.id FROM public.listings l WHERE l.match_hash = k.match_hash
                           ORDER BY l.listing_visible DESC, l.id LIMIT 1) by_hash
              ON k.bridge_listing_id IS NULL AND li.listing_id IS NULL
      ORDER BY k.ord`,
    [dmoId, records.map((r) => r.sourceId), records.map((r) => r.matchHash)],
  );
  return rows.map((row) => ({ listingId: row.listing_id, listingInfoId: row.listing_info_id, matchMethod: row.method }));
}

const columns = [
  'job_id', 'file_seq', 'rec_num', 'line', 'dmo_id', 'source_id', 'match_hash', 'name', 'category', 'google_place_id',
  'address1', 'address2', 'city', 'state', 'zip', 'country', 'lat', 'lng', 'region_name', 'info_name', 'description',
  'contact', 'images', 'attributes', 'opening', 'opening_text', 'hashes', 'warnings', 'listing_id', 'listing_info_id',
  'match_method', 'geocode_status',
] as const;

function rowValues(runId: number, dmoId: number, staged: StagedRecord): unknown[] {
  const r = staged.record;
  return [
    runId, staged.fileSeq, staged.recNum, staged.line, dmoId, staged.sourceId, staged.matchHash, r.name, r.category,
    r.google_place_id, r.address1, r.address2, r.city, r.state, r.zip, r.country, r.lat, r.lng, r.region_name, r.info_name,
    r.description, r.contact, r.images, r.attributes, r.opening, r.opening_text, staged.hashes, staged.warnings,
    staged.listingId ?? null, staged.listingInfoId ?? null, staged.matchMethod ?? null,
    r.lat !== null && r.lng !== null ? 'not_needed' : 'pending',
  ];
}

/**
 * Resolves the batch's identities and stages it in one transaction (with whatever else the caller
 * writes in it). Returns rows added.
 */
export async function stageBatch(
  db: Db,
  runId: number,
  dmoId: number,
  batch: StagedRecord[],
  /** runs in the same transaction, told how many rows were new (a retry's repeats are not) */
  alsoInTransaction?: (client: Queryable, inserted: number) => Promise<void>,
): Promise<number> {
  return inTransaction(db, async (client) => {
    const identities = await resolveIdentities(client, dmoId, batch);
    batch.forEach((staged, i) => Object.assign(staged, identities[i]));
    await client.query('CREATE TEMP TABLE IF NOT EXISTS staging_load (LIKE staging.rows INCLUDING DEFAULTS) ON COMMIT DELETE ROWS');
    if (batch.length) await copyRows(client, 'staging_load', columns, batch.map((staged) => rowValues(runId, dmoId, staged)));
    const inserted = await client.query(
      `INSERT INTO staging.rows (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM staging_load
       ON CONFLICT (job_id, file_seq, rec_num) DO NOTHING`,
    );
    if (alsoInTransaction) await alsoInTransaction(client, inserted.rowCount ?? 0);
    return inserted.rowCount ?? 0;
  });
}

/** The last record of a file already staged or rejected: a retried transform starts after it. */
export async function lastHandledRecord(db: Queryable, runId: number, fileSeq: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT greatest(
        (SELECT max(rec_num) FROM staging.rows WHERE job_id = $1 AND file_seq = $2),
        (SELECT max(rec_num) FROM pipeline.job_errors WHERE job_id = $1 AND file_seq = $2), 0)::int AS n`,
    [runId, fileSeq],
  );
  return rows[0]!.n;
}
