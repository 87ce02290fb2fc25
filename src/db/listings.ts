// Production listings as admins see them, and their manual edits.
import { containsPattern, type DbClient, type Queryable } from './pool';

export interface ListingFilter {
  q?: string;
  dmoId?: number;
  visible?: boolean;
}

export async function listListings(db: Queryable, filter: ListingFilter, limit: number, offset: number) {
  const params: unknown[] = [];
  const where: string[] = [];
  if (filter.q) {
    params.push(containsPattern(filter.q));
    where.push(`(l.name ILIKE $${params.length} OR loc.city ILIKE $${params.length})`);
  }
  if (filter.dmoId !== undefined) {
    params.push(filter.dmoId);
    where.push(`EXISTS (SELECT 1 FROM public.listing_info li WHERE li.listing_id = l.id AND li.dmo_id = $${params.length})`);
  }
  if (filter.visible !== undefined) {
    params.push(filter.visible);
    where.push(`l.listing_visible = $${params.length}`);
  }
  const from = `FROM public.listings l LEFT JOIN public.locations loc ON loc.id = l.location_id
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
  const total = await db.query<{ n: number }>(`SELECT count(*)::int AS n ${from}`, params);
  const rows = await db.query(
    `SELECT l.id, l.name, l.category, loc.city, loc.lat, loc.lng, l.listing_visible, l.listing_status, l.manually_modified,
            l.owner_dmo_id, l.updated_at,
            (SELECT count(*)::int FROM public.listing_info li WHERE li.listing_id = l.id) AS info_count
       ${from} ORDER BY l.id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, limit, offset],
  );
  return { rows: rows.rows, total: total.rows[0]!.n };
}

/** A listing with its location, what each DMO says of it, the source records behind it and its history. */
export async function getListing(db: Queryable, listingId: number) {
  const listing = await db.query(
    `SELECT l.id, l.name, l.category, l.google_place_id, l.match_hash, l.listing_visible, l.listing_status, l.manually_modified,
            l.manually_modified_at, l.manually_modified_by, l.owner_dmo_id, l.created_at, l.updated_at,
            to_jsonb(loc) - 'created_at' - 'updated_at' AS location
       FROM public.listings l LEFT JOIN public.locations loc ON loc.id = l.location_id WHERE l.id = $1`,
    [listingId],
  );
  if (!listing.rowCount) return null;
  const [info, sources, images, timeline] = await Promise.all([
    db.query(
      `SELECT li.id, li.dmo_id, d.name AS dmo_name, d.dmo_type_id, li.source_id, li.name, li.description, li.info_visible,
              li.info_status, li.manually_modified, li.last_seen_at, li.last_job_id,
              to_jsonb(ci) - 'id' - 'created_at' - 'updated_at' AS contact
         FROM public.listing_info li JOIN public.dmos d ON d.id = li.dmo_id
         LEFT JOIN public.contact_info ci ON ci.id = li.contact_info_id
        WHERE li.listing_id = $1 ORDER BY li.id`,
      [listingId],
    ),
    db.query(
      `SELECT b.dmo_id, b.source_id, b.target_type, b.target_id, b.job_id FROM pipeline.bridge_source_target b
        WHERE (b.target_type = 'listing' AND b.target_id = $1)
           OR (b.target_type = 'listing_info' AND b.target_id IN (SELECT id FROM public.listing_info WHERE listing_id = $1))
        ORDER BY b.dmo_id, b.source_id, b.target_type`,
      [listingId],
    ),
    db.query(
      `SELECT i.listing_info_id, i.image, i.source_url, i.rank FROM public.listing_images i
         JOIN public.listing_info li ON li.id = i.listing_info_id WHERE li.listing_id = $1 ORDER BY i.listing_info_id, i.rank`,
      [listingId],
    ),
    db.query(
      `SELECT entity_type, entity_id, change, field, old_value, new_value, job_id, user_id, changed_at FROM pipeline.change_log
        WHERE listing_id = $1 ORDER BY changed_at DESC, id DESC LIMIT 200`,
      [listingId],
    ),
  ]);
  return { ...listing.rows[0], listing_info: info.rows, sources: sources.rows, images: images.rows, timeline: timeline.rows };
}

// Columns a person may edit, by table: the only identifiers that reach the SQL below.
export const editableListingColumns = ['name', 'category', 'google_place_id'] as const;
export const editableLocationColumns = ['address1', 'address2', 'city', 'state', 'zip', 'country', 'lat', 'lng', 'region_name'] as const;

export interface ListingEdit {
  listing: Partial<Record<(typeof editableListingColumns)[number], string | null>>;
  location: Partial<Record<(typeof editableLocationColumns)[number], string | number | null>>;
}

/**
 * A person's edit of a listing's shared parts: the changed fields go to change_log with the user, and
 * the listing is marked manually_modified so imports stop overwriting it (unless a config says so).
 * match_hash keeps the value the sources gave: it is how their records find this listing, and they
 * still send what they sent before the edit.
 * Returns the number of fields that changed, or null when the listing does not exist.
 */
export async function editListing(db: DbClient, listingId: number, edit: ListingEdit, userId: number): Promise<number | null> {
  const current = await db.query<{ location_id: number | null }>(
    'SELECT location_id FROM public.listings WHERE id = $1 FOR UPDATE',
    [listingId],
  );
  if (!current.rowCount) return null;
  let locationId = current.rows[0]!.location_id;
  if (locationId === null && Object.values(edit.location).some((value) => value !== null && value !== undefined)) {
    locationId = (await db.query<{ id: number }>('INSERT INTO public.locations DEFAULT VALUES RETURNING id')).rows[0]!.id;
    await db.query('UPDATE public.listings SET location_id = $2 WHERE id = $1', [listingId, locationId]);
  }
  const changed =
    (await editRow(db, { table: 'public.listings', entity: 'listing', id: listingId, listingId, userId,
      allowed: editableListingColumns, values: edit.listing })) +
    (locationId === null ? 0 : await editRow(db, { table: 'public.locations', entity: 'location', id: locationId, listingId, userId,
      allowed: editableLocationColumns, values: edit.location }));
  if (changed) {
    await db.query(
      `UPDATE public.listings SET manually_modified = true, manually_modified_at = now(), manually_modified_by = $2, updated_at = now()
        WHERE id = $1`,
      [listingId, userId],
    );
  }
  return changed;
}

interface RowEdit {
  table: 'public.listings' | 'public.locations';
  entity: 'listing' | 'location';
  id: number;
  listingId: number;
  userId: number;
  allowed: readonly string[];
  values: Record<string, unknown>;
}

/** Writes the given fields of one row and logs those whose value differs; returns how many did. */
async function editRow(db: DbClient, edit: RowEdit): Promise<number> {
  const columns = Object.keys(edit.values).filter((column) => edit.allowed.includes(column));
  if (!columns.length) return 0;
  const assignments = columns.map((column, i) => `${column} = $${i + 4}`).join(', ');
  const compared = columns.map((column) => `('${column}', b.${column}::text, a.${column}::text)`).join(', ');
  // Old and new are compared as the column stores them, so 44.7 and 44.70000000 are the same value.
  const logged = await db.query(
    `WITH before AS (SELECT * FROM ${edit.table} WHERE id = $1),
          after AS (UPDATE ${edit.table} SET ${assignments}, updated_at = now() WHERE id = $1 RETURNING *)
     INSERT INTO pipeline.change_log (entity_type, entity_id, listing_id, change, field, old_value, new_value, user_id)
     SELECT '${edit.entity}', $1, $2, 'update', v.field, v.old, v.new, $3
       FROM before b, after a, LATERAL (VALUES ${compared}) AS v(field, old, new)
      WHERE v.old IS DISTINCT FROM v.new`,
    [edit.id, edit.listingId, edit.userId, ...columns.map((column) => edit.values[column] ?? null)],
  );
  return logged.rowCount ?? 0;
}

/** A listing_info an archive took down stays down: restoring is for what an import or a person removed. */
export class NotRestorable extends Error {}

const restorable = ['missing_from_import', 'removed'];

/**
 * Makes a soft-deleted listing_info visible again, and its listing with it when that too was removed
 * (not archived); logged as a person's restore. Returns the listing id, or null when there is no such
 * listing_info.
 */
export async function restoreListingInfo(db: DbClient, listingInfoId: number, userId: number): Promise<number | null> {
  const { rows } = await db.query<{ listing_id: number; info_status: string }>(
    'SELECT listing_id, info_status FROM public.listing_info WHERE id = $1 FOR UPDATE',
    [listingInfoId],
  );
  if (!rows[0]) return null;
  const { listing_id: listingId, info_status: status } = rows[0];
  if (status === 'active') return listingId;
  if (!restorable.includes(status)) {
    throw new NotRestorable(`Listing info ${listingInfoId} is ${status}; only ${restorable.join(' or ')} listing info can be restored`);
  }
  await db.query(
    `UPDATE public.listing_info SET info_visible = true, info_status = 'active', updated_at = now() WHERE id = $1`,
    [listingInfoId],
  );
  const listing = await db.query(
    `UPDATE public.listings SET listing_visible = true, listing_status = 'active', updated_at = now()
      WHERE id = $1 AND listing_status = ANY($2::text[]) RETURNING id`,
    [listingId, restorable],
  );
  const logRestore = (entity: 'listing' | 'listing_info', entityId: number) =>
    db.query(
      `INSERT INTO pipeline.change_log (entity_type, entity_id, listing_id, change, user_id) VALUES ($1, $2, $3, 'restore', $4)`,
      [entity, entityId, listingId, userId],
    );
  await logRestore('listing_info', listingInfoId);
  if (listing.rowCount) await logRestore('listing', listingId);
  return listingId;
}
