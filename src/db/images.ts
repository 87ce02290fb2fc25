// A run's images in SQL (DESIGN.md step 5): staged by the stage step for new or changed image lists,
// taken from what was stored before for the same DMO record where possible, filled by the `image`
// job of each URL, and written to production (listing_images) for the records already promoted.
import crypto from 'node:crypto';
import type { ImageCounts, ImagesQuery, ImageStatus, StagedImage } from '../contract/images';
import type { Queryable } from './pool';

/** The 32 hex digits an image URL is known by (job ids, indexes): its sha256's first half. */
export const urlKeyOf = (url: string) => crypto.createHash('sha256').update(url, 'utf8').digest('hex').slice(0, 32);
const urlKeySql = (url: string) => `left(encode(sha256(convert_to(${url}, 'UTF8')), 'hex'), 32)`;

/** SQL true when `url` can be fetched at all: an http(s) URL without white space. */
const fetchableUrl = (url: string) => `${url} ~* '^https?://[^\\s]+$'`;

/** A staged record whose image list is to be fetched: a new or changed list of a record to insert or update. */
const fetchesImages = (r: string) => `(${r}.action IN ('insert', 'update') AND ${r}.images_action IN ('insert', 'update'))`;

/**
 * SQL true when staged image `i` is kept in its record's gallery: stored, and no other stored image of
 * the same record is the same picture (same sha256, or perceptual hashes at most `similarBits` apart)
 * in a better copy. The rule of src/domain/image-similarity.ts galleryOf, set-based.
 */
export function keptImage(i: string, similarBits: number): string {
  const bits = Math.trunc(similarBits);
  const pixels = (alias: string) => `(${alias}.width::bigint * ${alias}.height)`;
  return `(${i}.status = 'stored' AND NOT EXISTS (
    SELECT 1 FROM staging.images o
     WHERE o.row_id = ${i}.row_id AND o.status = 'stored' AND o.id <> ${i}.id
       AND (o.sha256 = ${i}.sha256 OR bit_count((o.phash # ${i}.phash)::bit(64)) <= ${bits})
       AND (${pixels('o')} > ${pixels(i)} OR (${pixels('o')} = ${pixels(i)} AND (o.rank < ${i}.rank OR (o.rank = ${i}.rank AND o.id < ${i}.id))))))`;
}

/** Columns of a stored image, as staging.images and pipeline.stored_images both hold them. */
const storedColumns = ['sha256', 'phash', 'width', 'height', 'format', 'bytes', 'canonical_url', 'variants', 'etag', 'last_modified'] as const;

/**
 * The stage step's image part: each image of each record with a new or changed list becomes a staged
 * image; one stored before for the same DMO record from the same URL is stored at once (no request);
 * a URL that is not http(s) fails at once. Idempotent: a retried stage keeps what is staged.
 */
export async function stageRunImages(db: Queryable, runId: number, rowIds?: number[]): Promise<void> {
  // only these rows (a reviewer's override re-decided them), or the whole run
  const onlyRows = (r: string) => (rowIds ? `AND ${r}.id = ANY($2::bigint[])` : '');
  const params = rowIds ? [runId, rowIds] : [runId];
  // a retried stage (or an override) whose decisions changed: images of records that no longer fetch any go
  await db.query(
    `DELETE FROM staging.images i USING staging.rows r
      WHERE i.job_id = $1 AND r.id = i.row_id AND NOT ${fetchesImages('r')} ${onlyRows('r')}`,
    params,
  );
  await db.query(
    `INSERT INTO staging.images (job_id, row_id, dmo_id, rank, source_url, url_key, folder, status, failure)
     SELECT r.job_id, r.id, r.dmo_id, img.ord - 1, img.url, ${urlKeySql('img.url')}, coalesce(r.listing_id::text, 's' || r.id),
            CASE WHEN ${fetchableUrl('img.url')} THEN 'pending' ELSE 'failed' END,
            CASE WHEN ${fetchableUrl('img.url')} THEN NULL ELSE 'not an http(s) URL' END
       FROM staging.rows r, jsonb_array_elements_text(r.images) WITH ORDINALITY AS img(url, ord)
      WHERE r.job_id = $1 AND r.file_seq > 0 AND ${fetchesImages('r')} ${onlyRows('r')}
     ON CONFLICT (row_id, rank) DO NOTHING`,
    params,
  );
  await db.query(
    `UPDATE staging.images i SET status = 'stored', failure = NULL, fetched_at = s.stored_at,
            ${storedColumns.map((column) => `${column} = s.${column}`).join(', ')}
       FROM staging.rows r, pipeline.stored_images s
      WHERE i.job_id = $1 AND i.status = 'pending' AND r.id = i.row_id ${onlyRows('r')}
        AND s.dmo_id = i.dmo_id AND s.source_id = r.source_id AND s.url_key = i.url_key`,
    params,
  );
}

/** An image URL of a run, by its key: what one image job fetches. */
export interface ImageUrl {
  urlKey: string;
  url: string;
}

/** The run's URLs still to fetch, a page at a time in url_key order. */
export async function pendingImageUrls(db: Queryable, runId: number, after: string, limit: number): Promise<ImageUrl[]> {
  const { rows } = await db.query<ImageUrl>(
    `SELECT url_key AS "urlKey", min(source_url) AS url FROM staging.images
      WHERE job_id = $1 AND status = 'pending' AND url_key > $2 GROUP BY url_key ORDER BY url_key LIMIT $3`,
    [runId, after, limit],
  );
  return rows;
}

/** A staged image waiting for its URL's job, with the record it belongs to. */
export interface ImageToFetch {
  id: number;
  row_id: number;
  dmo_id: number;
  source_id: string;
  folder: string;
  source_url: string;
  /** what an earlier fetch of it found (a re-fetch keeps it until it has a new answer) */
  sha256: string | null;
  canonical_url: string | null;
  failure: string | null;
  etag: string | null;
  last_modified: string | null;
}

/** The run's pending images of one URL, with what each held from an earlier answer (a re-fetch keeps it). */
export async function imagesToFetch(db: Queryable, runId: number, urlKey: string): Promise<ImageToFetch[]> {
  const { rows } = await db.query<ImageToFetch>(
    `SELECT i.id::int, i.row_id::int, i.dmo_id, r.source_id, i.folder, i.source_url, i.sha256, i.canonical_url, i.failure,
            i.etag, i.last_modified
       FROM staging.images i JOIN staging.rows r ON r.id = i.row_id
      WHERE i.job_id = $1 AND i.url_key = $2 AND i.status = 'pending'
      ORDER BY i.id`,
    [runId, urlKey],
  );
  return rows;
}

/** What the job found for one staged image. */
export type ImageOutcome =
  | {
    status: 'stored';
    sha256: string; phash: bigint; width: number; height: number; format: string; bytes: number;
    canonical_url: string; variants: Record<string, { url: string; width: number; height: number }>;
    etag: string | null; last_modified: string | null;
  }
  /** a 304: what the earlier fetch found stands */
  | { status: 'unchanged'; etag: string | null; last_modified: string | null }
  /** `transient`: no answer (a timeout, a 5xx, the store down): a copy stored before stays, noted with the failure */
  | { status: 'failed'; failure: string; transient: boolean; etag: string | null; last_modified: string | null };

/**
 * Records one outcome on its staged image and, when stored, for its DMO record in the store's record
 * (so a later run of the same URL needs no request). Each staging row is locked first: a promote in
 * flight for it finishes before, so what it wrote to production is seen by refreshGalleries.
 */
export async function recordImageOutcomes(db: Queryable, outcomes: { image: ImageToFetch; outcome: ImageOutcome }[]): Promise<void> {
  const rowIds = [...new Set(outcomes.map(({ image }) => image.row_id))].sort((a, b) => a - b);
  await db.query('SELECT id FROM staging.rows WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE', [rowIds]);
  for (const { image, outcome } of outcomes) {
    if (outcome.status === 'stored') {
      const values = [outcome.sha256, outcome.phash.toString(), outcome.width, outcome.height, outcome.format, outcome.bytes,
        outcome.canonical_url, JSON.stringify(outcome.variants), outcome.etag, outcome.last_modified];
      await db.query(
        `UPDATE staging.images SET status = 'stored', failure = NULL, fetched_at = now(),
                ${storedColumns.map((column, i) => `${column} = $${i + 2}`).join(', ')}
          WHERE id = $1 AND status = 'pending'`,
        [image.id, ...values],
      );
      await db.query(
        `INSERT INTO pipeline.stored_images (dmo_id, source_id, url_key, source_url, ${storedColumns.join(', ')})
         VALUES ($1, $2, $3, $4, ${storedColumns.map((_, i) => `$${i + 5}`).join(', ')})
         ON CONFLICT (dmo_id, source_id, url_key) DO UPDATE SET stored_at = now(),
                ${storedColumns.map((column) => `${column} = excluded.${column}`).join(', ')}`,
        [image.dmo_id, image.source_id, urlKeyOf(image.source_url), image.source_url, ...values],
      );
    } else if (outcome.status === 'unchanged') {
      // stored before: it stays stored; failed before: it fails again for the same reason
      await db.query(
        `UPDATE staging.images SET fetched_at = now(), etag = coalesce($2, etag), last_modified = coalesce($3, last_modified),
                status = CASE WHEN sha256 IS NOT NULL AND canonical_url IS NOT NULL THEN 'stored' ELSE 'failed' END,
                failure = CASE WHEN sha256 IS NOT NULL AND canonical_url IS NOT NULL THEN NULL
                               ELSE 'unchanged at the source since it was fetched: ' || coalesce(failure, 'no stored copy') END
          WHERE id = $1 AND status = 'pending'`,
        [image.id, outcome.etag, outcome.last_modified],
      );
    } else if (outcome.transient) {
      await db.query(`UPDATE staging.images SET ${failedUnlessStored} WHERE id = $1 AND status = 'pending'`,
        [image.id, outcome.failure.slice(0, 1000)]);
    } else {
      // an answer (a 404, a file that is no image): what was stored before is gone from the source
      await db.query(
        `UPDATE staging.images SET status = 'failed', failure = $2, fetched_at = now(), etag = $3, last_modified = $4, ${noCopy}
          WHERE id = $1 AND status = 'pending'`,
        [image.id, outcome.failure.slice(0, 1000), outcome.etag, outcome.last_modified],
      );
    }
  }
}

/**
 * An image job that failed for good without recording an outcome (its worker died twice, the store
 * refused its files): the images it left pending fail with that reason, so the run's count of images
 * to fetch reaches 0 and a re-fetch can bring them in.
 */
export async function failPendingImages(db: Queryable, runId: number, urlKey: string, reason: string): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE staging.images SET ${failedUnlessStored} WHERE job_id = $1 AND url_key = $3 AND status = 'pending'`,
    [runId, `could not be fetched and stored: ${reason}`.slice(0, 1000), urlKey],
  );
  return rowCount ?? 0;
}

const noCopy = 'sha256 = NULL, phash = NULL, width = NULL, height = NULL, format = NULL, bytes = NULL, canonical_url = NULL, variants = NULL';

/**
 * SET clause for a fetch that got no answer ($2 the reason): an image stored before stays stored
 * (production keeps showing it), the failure noted beside it; one never stored fails.
 */
const failedUnlessStored = `fetched_at = now(),
  status = CASE WHEN sha256 IS NOT NULL AND canonical_url IS NOT NULL THEN 'stored' ELSE 'failed' END,
  failure = CASE WHEN sha256 IS NOT NULL AND canonical_url IS NOT NULL THEN 'the last re-fetch got no answer, the stored copy stays: ' || $2::text
                 ELSE $2::text END`;

/**
 * What production gets of records' images: their kept stored images (keptImage) as listing_images
 * rows, ranked again from 0 in the source's order. `from` joins staging.images `i` to what says which
 * listing_info each record is (`infoId`, one record per `record` value); promote and
 * refreshGalleries both write through it.
 */
export function insertProductionImages(from: string, infoId: string, record: string, where: string, similarBits: number): string {
  return `INSERT INTO public.listing_images (listing_info_id, image, rank, sha256, phash, width, height, variants)
     SELECT ${infoId}, i.canonical_url, (row_number() OVER (PARTITION BY ${record} ORDER BY i.rank) - 1)::int,
            i.sha256, i.phash, i.width, i.height, i.variants
       FROM ${from}
      WHERE ${where} AND ${keptImage('i', similarBits)}`;
}

/**
 * The galleries of these staged records that were promoted already, rewritten from their staged
 * images: an image stored after its record's promotion reaches production here, a failed one never.
 * Only a record whose list is the one production shows: its own promote wrote it, no later promoted
 * run changed it, and a person's edit of the record holds unless the run's config overrides it.
 */
export async function refreshGalleries(db: Queryable, rowIds: number[], options: { similarBits: number; overrideManual: boolean }): Promise<number> {
  const { rows: promoted } = await db.query<{ listing_info_id: number }>(
    `SELECT DISTINCT r.listing_info_id FROM staging.rows r
      WHERE r.id = ANY($1::bigint[]) AND r.promoted_at IS NOT NULL AND r.listing_info_id IS NOT NULL AND ${fetchesImages('r')}`,
    [rowIds],
  );
  if (!promoted.length) return 0;
  // the records' galleries are locked first, in their own statement (a promote of a later run locks
  // them too, before it writes images): the check below then sees what such a promote committed
  await db.query('SELECT id FROM public.listing_info WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE',
    [promoted.map((row) => row.listing_info_id)]);
  const { rows: owners } = await db.query<{ row_id: number; listing_info_id: number }>(
    `SELECT r.id::int AS row_id, r.listing_info_id FROM staging.rows r JOIN public.listing_info li ON li.id = r.listing_info_id
      WHERE r.id = ANY($1::bigint[]) AND r.promoted_at IS NOT NULL AND ${fetchesImages('r')}
        AND NOT (li.manually_modified AND NOT $2::boolean)
        AND NOT EXISTS (SELECT 1 FROM staging.rows later
                         WHERE later.listing_info_id = r.listing_info_id AND later.id > r.id AND later.promoted_at IS NOT NULL
                           AND ${fetchesImages('later')})`,
    [rowIds, options.overrideManual],
  );
  if (!owners.length) return 0;
  const infoIds = owners.map((owner) => owner.listing_info_id);
  await db.query('DELETE FROM public.listing_images WHERE listing_info_id = ANY($1::int[])', [infoIds]);
  await db.query(
    insertProductionImages('staging.images i JOIN staging.rows r ON r.id = i.row_id', 'r.listing_info_id', 'i.row_id',
      'i.row_id = ANY($1::bigint[])', options.similarBits),
    [owners.map((owner) => owner.row_id)],
  );
  return owners.length;
}

// ------------------------------------------------------------------ the API's view of a run's images

/** `GET /jobs/:id/images`: the run's staged images, failed first, with counts by status. */
export async function listRunImages(db: Queryable, runId: number, query: ImagesQuery, similarBits: number): Promise<{ images: StagedImage[]; total: number; counts: ImageCounts }> {
  const params: unknown[] = [runId];
  const where = ['i.job_id = $1'];
  if (query.status) where.push(`i.status = $${params.push(query.status)}`);
  // one statement, so one snapshot: the page and the counts never disagree while images settle
  const { rows: [reply] } = await db.query<{ images: StagedImage[]; counts: ImageCounts }>(
    `WITH page AS (
       SELECT i.id::int, i.job_id::int, i.row_id::int, r.source_id, r.name AS listing_name, r.listing_id, i.rank, i.source_url, i.status,
              i.failure, i.canonical_url, i.variants, i.width, i.height, i.format, i.bytes, i.sha256,
              (i.status = 'stored' AND NOT ${keptImage('i', similarBits)}) AS duplicate,
              to_char(i.fetched_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS fetched_at,
              CASE i.status WHEN 'failed' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END AS status_order
         FROM staging.images i JOIN staging.rows r ON r.id = i.row_id
        WHERE ${where.join(' AND ')}
        ORDER BY status_order, i.row_id, i.rank
        LIMIT $${params.push(query.pageSize)} OFFSET $${params.push((query.page - 1) * query.pageSize)})
     SELECT coalesce((SELECT json_agg(to_jsonb(page) - 'status_order' ORDER BY status_order, row_id, rank) FROM page), '[]') AS images,
            (SELECT json_build_object('pending', count(*) FILTER (WHERE status = 'pending'), 'stored', count(*) FILTER (WHERE status = 'stored'),
                                      'failed', count(*) FILTER (WHERE status = 'failed'))
               FROM staging.images WHERE job_id = $1) AS counts`,
    params,
  );
  const counts = reply!.counts;
  // the page's total is the counts' (of its status, or of all)
  const total = query.status ? counts[query.status] : counts.pending + counts.stored + counts.failed;
  return { images: reply!.images, total, counts };
}

/**
 * Puts images of the run back to be fetched: one (imageId), the failed ones, or all. What they held
 * stays until the new answer comes (a 304 keeps it). Returns the URLs whose jobs are to be queued.
 */
export async function markForRefetch(db: Queryable, runId: number, choice: { imageId?: number; failedOnly: boolean }): Promise<{ images: number; urls: ImageUrl[] }> {
  const params: unknown[] = [runId];
  const where = [`job_id = $1`, fetchableUrl('source_url')];
  if (choice.imageId !== undefined) where.push(`id = $${params.push(choice.imageId)}`);
  else if (choice.failedOnly) where.push(`status = 'failed'`);
  // all: a pending image too, whose job may have been lost
  else where.push(`status IN ('failed', 'stored', 'pending')`);
  const { rows } = await db.query<{ url_key: string; source_url: string }>(
    `UPDATE staging.images SET status = 'pending' WHERE ${where.join(' AND ')} RETURNING url_key, source_url`,
    params,
  );
  const urls = new Map(rows.map((row) => [row.url_key, row.source_url]));
  return { images: rows.length, urls: [...urls].map(([urlKey, url]) => ({ urlKey, url })) };
}

/** The image of a run by id (a re-fetch of one names it). */
export async function imageOfRun(db: Queryable, runId: number, imageId: number): Promise<{ id: number; status: ImageStatus } | null> {
  const { rows } = await db.query<{ id: number; status: ImageStatus }>(
    'SELECT id::int, status FROM staging.images WHERE job_id = $1 AND id = $2',
    [runId, imageId],
  );
  return rows[0] ?? null;
}

/** Runs whose images are still wanted and that have some to fetch: after Redis was lost their jobs are queued again. */
export async function runsWithPendingImages(db: Queryable): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(
    `SELECT j.id::int FROM pipeline.jobs j
      WHERE j.status IN ('awaiting_review', 'promoting', 'promoted')
        AND EXISTS (SELECT 1 FROM staging.images i WHERE i.job_id = j.id AND i.status = 'pending')
      ORDER BY j.id`,
  );
  return rows.map((row) => row.id);
}
