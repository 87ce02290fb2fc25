// Production listings: as admins see them (search, detail, manual edits, the visibility an admin
// decides) and as the public API shows them. The rules of manual visibility live here too, because
// stage and promote must honour what these admin actions decide.
import type {
  AdminListingList, AdminListingRow, LatLng, ListingDetail, ListingEditBody, ListingImage, ListingStatus, PublicListing,
} from '../contract/listings';
import { galleryOf } from '../domain/image-similarity';
import { containsPattern, type DbClient, type Queryable } from './pool';

/** A timestamptz as JSON shows a Date (ISO 8601, UTC, milliseconds), so row types can say string honestly. */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

// ---------------------------------------------------------------- search

/**
 * The LIKE pattern of a search: `q` anywhere, its %, _ and backslash literal. Compared as
 * `search_text(column) LIKE search_text(pattern)` (migration 0002: accents and case folded, indexed).
 * NFKC first: unaccent turns fullwidth ％ ＿ ＼ into % _ \, which would otherwise arrive unescaped.
 */
export function searchPattern(q: string): string {
  return containsPattern(q.normalize('NFKC').replace(/\u2216/g, '\\'));
}

/**
 * Listings whose name or city contains the pattern in parameter `param`. Two indexed lookups, one per
 * table: an OR across the join could use neither index.
 */
const listingMatches = (listing: string, param: string) =>
  `${listing}.id IN (SELECT id FROM public.listings WHERE public.search_text(name) LIKE public.search_text(${param})
     UNION ALL
     SELECT x.id FROM public.listings x JOIN public.locations c ON c.id = x.location_id
      WHERE public.search_text(c.city) LIKE public.search_text(${param}))`;

// ---------------------------------------------------------------- manual visibility

/** What an admin's hide sets on a listing_info, and an archive on a listing (DESIGN.md statuses). */
export const hiddenStatus = 'removed' satisfies ListingStatus;
export const archivedStatus = 'archived' satisfies ListingStatus;
/** The one status an import sets when a record goes missing, and so the one an import undoes. */
export const importDeletedStatus = 'missing_from_import' satisfies ListingStatus;
/** What a listing goes down as when a person moved every record shown on it to other listings (db/remap.ts). */
export const mergedStatus = 'merged' satisfies ListingStatus;

/**
 * Manual visibility sticks (DESIGN.md, Data model): a listing_info a person hid, or a listing a person
 * archived, is not shown again by an import; only a person shows or un-archives it. An import brings
 * back only what an import soft-deleted. Each rule is SQL over a table alias, for stage and promote.
 */
export const visibilityRules = {
  /** A listing_info an import soft-deleted: the same record arriving again restores it. */
  importRestoresInfo: (li: string) => `(NOT ${li}.info_visible AND ${li}.info_status = '${importDeletedStatus}')`,
  /** A listing_info a person took down (hidden, or archived one by one): imports leave its visibility alone. */
  infoHeldHidden: (li: string) => `(${li}.info_status IN ('${hiddenStatus}', '${archivedStatus}'))`,
  /** A listing a person archived: imports leave its visibility alone. */
  listingHeldArchived: (l: string) => `(${l}.listing_status = '${archivedStatus}')`,
};

/**
 * What a staged row says when it meets a person's decision. Notes, not doubts: they do not hold the
 * row back from the proposal (stage-run.ts proposalOf), since promote keeps the decision anyway.
 */
export const visibilityNotes = {
  infoHidden: 'hidden by an admin: promote keeps this listing_info hidden (POST /listing-info/:id/show brings it back)',
  listingArchived: 'listing archived by an admin: promote keeps it archived (POST /listings/:id/unarchive brings it back)',
};

// ---------------------------------------------------------------- admin: list and detail

export interface ListingFilter {
  q?: string;
  dmoId?: number;
  visible?: boolean;
  status?: ListingStatus;
  infoStatus?: ListingStatus;
}

export async function listListings(db: Queryable, filter: ListingFilter, limit: number, offset: number): Promise<AdminListingList> {
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  const where: string[] = [];
  if (filter.q) where.push(listingMatches('l', param(searchPattern(filter.q))));
  if (filter.dmoId !== undefined || filter.infoStatus !== undefined) {
    // one listing_info that is both of the DMO and in the status: "DMO 3's hidden records"
    const info = [
      ...(filter.dmoId !== undefined ? [`li.dmo_id = ${param(filter.dmoId)}`] : []),
      ...(filter.infoStatus !== undefined ? [`li.info_status = ${param(filter.infoStatus)}`] : []),
    ];
    where.push(`EXISTS (SELECT 1 FROM public.listing_info li WHERE li.listing_id = l.id AND ${info.join(' AND ')})`);
  }
  if (filter.visible !== undefined) where.push(`l.listing_visible = ${param(filter.visible)}`);
  if (filter.status !== undefined) where.push(`l.listing_status = ${param(filter.status)}`);
  const from = 'FROM public.listings l LEFT JOIN public.locations loc ON loc.id = l.location_id';
  const filtered = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = await db.query<{ n: number }>(`SELECT count(*)::int AS n ${from} ${filtered}`, params);
  const rows = await db.query<AdminListingRow>(
    `SELECT l.id, l.name, l.category, loc.city, loc.lat, loc.lng, l.listing_visible, l.listing_status, l.manually_modified,
            l.owner_dmo_id, ${iso('l.updated_at')} AS updated_at, info.info_count, info.hidden_info_count,
            info.hidden_info_count > 0 AS has_hidden_info
       ${from}
       CROSS JOIN LATERAL (SELECT count(*)::int AS info_count, (count(*) FILTER (WHERE NOT li.info_visible))::int AS hidden_info_count
                             FROM public.listing_info li WHERE li.listing_id = l.id) info
      ${filtered}
      ORDER BY l.id LIMIT ${param(limit)} OFFSET ${param(offset)}`,
    params,
  );
  return { rows: rows.rows, total: total.rows[0]!.n };
}

/** A production image with what its gallery compares (the hashes stay in the database). */
type ProductionImage = ListingImage & { id: number; sha256: string | null; phash: string | null };
const productionImageFields = 'i.id, i.listing_info_id, i.image, i.source_url, i.rank, i.width, i.height, i.variants, i.sha256, i.phash';
const asCopy = (image: ProductionImage) => ({ ...image, phash: image.phash === null ? null : BigInt(image.phash) });
const listingImageOf = ({ listing_info_id, image, source_url, rank, width, height, variants }: ListingImage): ListingImage =>
  ({ listing_info_id, image, source_url, rank, width, height, variants });

/** A listing with its location, what each DMO says of it (with opening times), the source records behind it and its history. */
export async function getListing(db: Queryable, listingId: number, options: { similarBits: number }): Promise<ListingDetail | null> {
  type ListingPart = Omit<ListingDetail, 'listing_info' | 'sources' | 'images' | 'gallery' | 'timeline'>;
  const listing = await db.query<ListingPart>(
    `SELECT l.id, l.name, l.category, l.google_place_id, l.match_hash, l.listing_visible, l.listing_status, l.manually_modified,
            ${iso('l.manually_modified_at')} AS manually_modified_at, l.manually_modified_by, l.owner_dmo_id,
            ${iso('l.created_at')} AS created_at, ${iso('l.updated_at')} AS updated_at,
            to_jsonb(loc) - 'created_at' - 'updated_at' AS location
       FROM public.listings l LEFT JOIN public.locations loc ON loc.id = l.location_id WHERE l.id = $1`,
    [listingId],
  );
  if (!listing.rowCount) return null;
  const [info, sources, images, timeline] = await Promise.all([
    db.query<ListingDetail['listing_info'][number]>(
      `SELECT li.id, li.dmo_id, d.name AS dmo_name, d.dmo_type_id, li.source_id, li.name, li.description, li.info_visible,
              li.info_status, li.manually_modified, ${iso('li.last_seen_at')} AS last_seen_at, li.last_job_id,
              to_jsonb(ci) - 'id' - 'created_at' - 'updated_at' AS contact,
              coalesce((SELECT jsonb_agg(jsonb_build_object('id', od.id, 'start_date', od.start_date, 'end_date', od.end_date,
                                 'hours', coalesce((SELECT jsonb_agg(jsonb_build_object('day_id', h.day_id, 'day', rd.name,
                                                                'open_time', h.open_time, 'close_time', h.close_time)
                                                             ORDER BY h.day_id, h.open_time, h.id)
                                                      FROM public.opening_hours h JOIN public.ref_days rd ON rd.id = h.day_id
                                                     WHERE h.opening_date_id = od.id), '[]'::jsonb)) ORDER BY od.id)
                          FROM public.opening_dates od WHERE od.listing_info_id = li.id), '[]'::jsonb) AS opening
         FROM public.listing_info li JOIN public.dmos d ON d.id = li.dmo_id
         LEFT JOIN public.contact_info ci ON ci.id = li.contact_info_id
        WHERE li.listing_id = $1 ORDER BY li.id`,
      [listingId],
    ),
    db.query<ListingDetail['sources'][number]>(
      `SELECT b.dmo_id, b.source_id, b.target_type, b.target_id, b.job_id FROM pipeline.bridge_source_target b
        WHERE (b.target_type = 'listing' AND b.target_id = $1)
           OR (b.target_type = 'listing_info' AND b.target_id IN (SELECT id FROM public.listing_info WHERE listing_id = $1))
        ORDER BY b.dmo_id, b.source_id, b.target_type`,
      [listingId],
    ),
    db.query<ProductionImage>(
      `SELECT ${productionImageFields} FROM public.listing_images i
         JOIN public.listing_info li ON li.id = i.listing_info_id WHERE li.listing_id = $1 ORDER BY i.listing_info_id, i.rank`,
      [listingId],
    ),
    db.query<ListingDetail['timeline'][number]>(
      `SELECT c.entity_type, c.entity_id, c.change, c.field, c.old_value, c.new_value, c.job_id, c.user_id,
              coalesce(u.name, u.email) AS user_name, ${iso('c.changed_at')} AS changed_at
         FROM pipeline.change_log c LEFT JOIN public.users u ON u.id = c.user_id
        WHERE c.listing_id = $1 ORDER BY c.changed_at DESC, c.id DESC LIMIT 200`,
      [listingId],
    ),
  ]);
  const shown = new Set(info.rows.filter((record) => record.info_visible).map((record) => record.id));
  return {
    ...listing.rows[0]!, listing_info: info.rows, sources: sources.rows, images: images.rows.map(listingImageOf),
    gallery: galleryOf(images.rows.filter((image) => shown.has(image.listing_info_id)).map(asCopy), options.similarBits).map(listingImageOf),
    timeline: timeline.rows,
  };
}

// ---------------------------------------------------------------- admin: manual edits

// Columns a person may edit, by table: the only identifiers that reach the SQL below.
export const editableListingColumns = ['name', 'category', 'google_place_id'] as const;
export const editableLocationColumns = ['address1', 'address2', 'city', 'state', 'zip', 'country', 'lat', 'lng', 'region_name'] as const;

/** An edit body split by table. */
export interface ListingEdit {
  listing: Omit<ListingEditBody, 'location'>;
  location: NonNullable<ListingEditBody['location']>;
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

// ---------------------------------------------------------------- admin: visibility

/** A listing_info that cannot be brought back this way (it is archived); the API answers 409. */
export class NotRestorable extends Error {}

const restorable: ListingStatus[] = [importDeletedStatus, hiddenStatus];

interface VisibilityChange {
  entity: 'listing' | 'listing_info';
  entityId: number;
  listingId: number;
  change: 'restore' | 'show' | 'hide' | 'archive' | 'unarchive';
  field: 'info_status' | 'listing_status';
  from: string;
  to: string;
  userId: number;
}

/** One entry on the listing's timeline: who changed which status from what to what. */
async function logVisibility(db: DbClient, c: VisibilityChange): Promise<void> {
  await db.query(
    `INSERT INTO pipeline.change_log (entity_type, entity_id, listing_id, change, field, old_value, new_value, user_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [c.entity, c.entityId, c.listingId, c.change, c.field, c.from, c.to, c.userId],
  );
}

/**
 * Locks a listing_info and its listing, listing first (promote's order: no deadlock with it). Two
 * admins hiding a listing's last two listing_info one after the other then see each other's hide.
 */
async function lockListingInfo(db: DbClient, listingInfoId: number) {
  for (;;) {
    const owner = await db.query<{ id: number; listing_status: ListingStatus }>(
      `SELECT l.id, l.listing_status FROM public.listings l
        WHERE l.id = (SELECT listing_id FROM public.listing_info WHERE id = $1) FOR UPDATE OF l`,
      [listingInfoId],
    );
    if (!owner.rows[0]) return null;
    const info = await db.query<{ listing_id: number; info_status: ListingStatus }>(
      'SELECT listing_id, info_status FROM public.listing_info WHERE id = $1 FOR UPDATE',
      [listingInfoId],
    );
    // moved to another listing (an unmerge) between the two reads: lock that one instead
    if (info.rows[0]?.listing_id === owner.rows[0].id) return { listingId: owner.rows[0].id, status: info.rows[0].info_status };
  }
}

/**
 * A listing follows its listing_info: once none of them is visible it is taken down too (as an
 * import's last delete does), and it comes back with the first one shown again, unless archived
 * (a merged listing too: the record shown again is one that stayed on it).
 */
async function listingFollowsItsInfo(db: DbClient, listingId: number, change: VisibilityChange['change'], userId: number) {
  const { rows } = await db.query<{ old_status: string; new_status: string }>(
    `WITH before AS (SELECT listing_status FROM public.listings WHERE id = $1),
          shown AS (SELECT EXISTS (SELECT 1 FROM public.listing_info WHERE listing_id = $1 AND info_visible) AS any)
     UPDATE public.listings l
        SET listing_visible = shown.any, listing_status = CASE WHEN shown.any THEN 'active' ELSE '${hiddenStatus}' END,
            updated_at = now()
       FROM before, shown
      WHERE l.id = $1 AND NOT ${visibilityRules.listingHeldArchived('l')}
        AND ((l.listing_visible AND NOT shown.any) OR (NOT l.listing_visible AND shown.any AND l.listing_status = ANY($2::text[])))
      RETURNING before.listing_status AS old_status, l.listing_status AS new_status`,
    [listingId, [...restorable, mergedStatus]],
  );
  for (const row of rows) {
    await logVisibility(db, { entity: 'listing', entityId: listingId, listingId, change, field: 'listing_status',
      from: row.old_status, to: row.new_status, userId });
  }
}

/**
 * Makes a soft-deleted or hidden listing_info visible again, and its listing with it when that had
 * gone down with it (never an archived listing); logged as the person's `restore` or `show`.
 * Returns the listing id, or null when there is no such listing_info.
 */
export async function showListingInfo(db: DbClient, listingInfoId: number, userId: number, change: 'restore' | 'show' = 'show'): Promise<number | null> {
  const locked = await lockListingInfo(db, listingInfoId);
  if (!locked) return null;
  const { listingId, status } = locked;
  if (status === 'active') return listingId;
  if (!restorable.includes(status)) {
    const verb = change === 'restore' ? 'restored' : 'shown';
    throw new NotRestorable(`Listing info ${listingInfoId} is ${status}; only ${restorable.join(' or ')} listing info can be ${verb}`);
  }
  await db.query(`UPDATE public.listing_info SET info_visible = true, info_status = 'active', updated_at = now() WHERE id = $1`, [listingInfoId]);
  await logVisibility(db, { entity: 'listing_info', entityId: listingInfoId, listingId, change, field: 'info_status', from: status, to: 'active', userId });
  await listingFollowsItsInfo(db, listingId, change, userId);
  return listingId;
}

/** POST /listing-info/:id/restore: what an import or a person removed comes back (show, under its older name). */
export const restoreListingInfo = (db: DbClient, listingInfoId: number, userId: number) =>
  showListingInfo(db, listingInfoId, userId, 'restore');

/**
 * A person hides one DMO's record of a listing: `removed`, which imports keep (visibilityRules). When
 * it was the last one visible, the listing goes down with it. Returns the listing id, or null.
 */
export async function hideListingInfo(db: DbClient, listingInfoId: number, userId: number): Promise<number | null> {
  const locked = await lockListingInfo(db, listingInfoId);
  if (!locked) return null;
  const { listingId, status } = locked;
  if (status === hiddenStatus) return listingId;
  await db.query(
    `UPDATE public.listing_info SET info_visible = false, info_status = '${hiddenStatus}', updated_at = now() WHERE id = $1`,
    [listingInfoId],
  );
  await logVisibility(db, { entity: 'listing_info', entityId: listingInfoId, listingId, change: 'hide', field: 'info_status', from: status, to: hiddenStatus, userId });
  await listingFollowsItsInfo(db, listingId, 'hide', userId);
  return listingId;
}

/**
 * A person archives a listing: every DMO's record of it is off the public API, and imports keep it so.
 * Its listing_info rows are left as they are, so they go on following their sources (an import may
 * still update or soft-delete them) and un-archiving needs to put back only the listing's own status.
 * Returns the listing id, or null when there is no such listing.
 */
export async function archiveListing(db: DbClient, listingId: number, userId: number): Promise<number | null> {
  const { rows } = await db.query<{ listing_status: ListingStatus }>('SELECT listing_status FROM public.listings WHERE id = $1 FOR UPDATE', [listingId]);
  if (!rows[0]) return null;
  const status = rows[0].listing_status;
  if (status === archivedStatus) return listingId;
  await db.query(
    `UPDATE public.listings SET listing_visible = false, listing_status = '${archivedStatus}', updated_at = now() WHERE id = $1`,
    [listingId],
  );
  await logVisibility(db, { entity: 'listing', entityId: listingId, listingId, change: 'archive', field: 'listing_status', from: status, to: archivedStatus, userId });
  return listingId;
}

/**
 * Un-archiving puts back the status the listing had before its archive (its timeline says which),
 * checked against its listing_info as they are now, since imports went on while it was archived:
 * it is `active` when one of them is visible (or it has none at all, as a listing made by hand);
 * otherwise it keeps the soft-deleted status it had, `missing_from_import` when it had none.
 * Returns the listing id, or null when there is no such listing.
 */
export async function unarchiveListing(db: DbClient, listingId: number, userId: number): Promise<number | null> {
  const { rows } = await db.query<{ listing_status: ListingStatus }>('SELECT listing_status FROM public.listings WHERE id = $1 FOR UPDATE', [listingId]);
  if (!rows[0]) return null;
  if (rows[0].listing_status !== archivedStatus) return listingId;
  const updated = await db.query<{ listing_status: ListingStatus }>(
    `WITH before AS (
       SELECT coalesce((SELECT old_value FROM pipeline.change_log
                         WHERE listing_id = $1 AND entity_type = 'listing' AND entity_id = $1 AND change = 'archive'
                         ORDER BY id DESC LIMIT 1), 'active') AS status),
     after AS (
       SELECT CASE WHEN EXISTS (SELECT 1 FROM public.listing_info WHERE listing_id = $1 AND info_visible)
                     OR NOT EXISTS (SELECT 1 FROM public.listing_info WHERE listing_id = $1) THEN 'active'
                   WHEN before.status = ANY($2::text[]) THEN before.status
                   ELSE '${importDeletedStatus}' END AS status
         FROM before)
     UPDATE public.listings l SET listing_status = after.status, listing_visible = after.status = 'active', updated_at = now()
       FROM after WHERE l.id = $1 RETURNING l.listing_status`,
    [listingId, restorable],
  );
  const status = updated.rows[0]!.listing_status;
  await logVisibility(db, { entity: 'listing', entityId: listingId, listingId, change: 'unarchive', field: 'listing_status', from: archivedStatus, to: status, userId });
  return listingId;
}

// ---------------------------------------------------------------- public API

export interface PublicSearch {
  q?: string;
  dmoId?: number;
  near?: LatLng & { radiusKm: number };
}

/** Mean Earth radius (IUGG), the sphere of the haversine below. */
const earthRadiusKm = 6371.0088;
const degrees = (radians: number) => (radians * 180) / Math.PI;
const radians = (deg: number) => (deg * Math.PI) / 180;

export interface BoundingBox {
  minLat: number;
  maxLat: number;
  /** one range, or two when the circle crosses the antimeridian */
  lngRanges: [number, number][];
}

/**
 * The latitude/longitude box around a circle on the sphere (J. Matuschek, "Finding points within a
 * distance of a latitude/longitude"): the widest longitude span is asin(sin(r)/cos(lat)), not r/cos(lat).
 * A circle over a pole takes every longitude.
 */
export function boundingBox(centre: LatLng, radiusKm: number): BoundingBox {
  const angular = radiusKm / earthRadiusKm;
  const minLat = centre.lat - degrees(angular);
  const maxLat = centre.lat + degrees(angular);
  const everyLng: [number, number][] = [[-180, 180]];
  if (minLat <= -90 || maxLat >= 90) return { minLat: Math.max(minLat, -90), maxLat: Math.min(maxLat, 90), lngRanges: everyLng };
  const spread = Math.sin(angular) / Math.cos(radians(centre.lat));
  if (spread >= 1) return { minLat, maxLat, lngRanges: everyLng };
  const dLng = degrees(Math.asin(spread));
  const west = centre.lng - dLng;
  const east = centre.lng + dLng;
  if (west < -180) return { minLat, maxLat, lngRanges: [[west + 360, 180], [-180, east]] };
  if (east > 180) return { minLat, maxLat, lngRanges: [[west, 180], [-180, east - 360]] };
  return { minLat, maxLat, lngRanges: [[west, east]] };
}

/** What the public may see: a visible, active listing. */
const publiclyVisible = (l: string) => `(${l}.listing_visible AND ${l}.listing_status = 'active')`;

/**
 * Visible listings, by id, or nearest first within `near`'s radius with their distance: a box on the
 * locations' point index first, then the haversine distance on what the box let through.
 */
export async function listPublicListings(db: Queryable, search: PublicSearch, limit: number, offset: number, similarBits: number) {
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  const where = [publiclyVisible('l')];
  if (search.q) where.push(listingMatches('l', param(searchPattern(search.q))));
  if (search.dmoId !== undefined) {
    where.push(`EXISTS (SELECT 1 FROM public.listing_info li WHERE li.listing_id = l.id AND li.dmo_id = ${param(search.dmoId)} AND li.info_visible)`);
  }
  let distance = 'NULL::float8';
  if (search.near) {
    const { lat, lng, radiusKm } = search.near;
    const box = boundingBox(search.near, radiusKm);
    const point = 'point(loc.lng::float8, loc.lat::float8)';
    where.push('loc.lat IS NOT NULL AND loc.lng IS NOT NULL', `(${box.lngRanges.map(([west, east]) =>
      `${point} <@ box(point(${param(west)}::float8, ${param(box.minLat)}::float8), point(${param(east)}::float8, ${param(box.maxLat)}::float8))`)
      .join(' OR ')})`);
    const [cLat, cLng] = [param(lat), param(lng)];
    distance = `2 * ${earthRadiusKm} * asin(least(1, sqrt(
        power(sin(radians(loc.lat::float8 - ${cLat}::float8) / 2), 2)
        + cos(radians(${cLat}::float8)) * cos(radians(loc.lat::float8)) * power(sin(radians(loc.lng::float8 - ${cLng}::float8) / 2), 2))))`;
  }
  const found = `SELECT l.id, ${distance} AS distance_km
                   FROM public.listings l LEFT JOIN public.locations loc ON loc.id = l.location_id
                  WHERE ${where.join(' AND ')}`;
  const within = search.near ? `WHERE f.distance_km <= ${param(search.near.radiusKm)}` : '';
  const total = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${found}) f ${within}`, params);
  const page = await db.query<{ id: number; distance_km: number | null }>(
    `SELECT f.id, round(f.distance_km::numeric, 3) AS distance_km FROM (${found}) f ${within}
      ORDER BY ${search.near ? 'f.distance_km, ' : ''}f.id LIMIT ${param(limit)} OFFSET ${param(offset)}`,
    params,
  );
  const shown = await publicRecords(db, page.rows.map((row) => row.id), similarBits);
  const listings = page.rows.flatMap((row) => {
    const listing = shown.get(row.id);
    if (!listing) return []; // hidden between the two reads
    return [row.distance_km === null ? listing : { ...listing, distance_km: row.distance_km }];
  });
  return { listings, total: total.rows[0]!.n };
}

/** One visible listing as the public sees it, or null. */
export async function getPublicListing(db: Queryable, listingId: number, similarBits: number): Promise<PublicListing | null> {
  return (await publicRecords(db, [listingId], similarBits)).get(listingId) ?? null;
}

/** The public shape of these listings, those still visible: per DMO only its visible listing_info. */
async function publicRecords(db: Queryable, ids: number[], similarBits: number): Promise<Map<number, PublicListing>> {
  if (!ids.length) return new Map();
  const { rows } = await db.query<PublicListing>(
    `SELECT l.id, l.name, l.category,
            CASE WHEN loc.id IS NOT NULL THEN jsonb_build_object(
              'address', nullif(concat_ws(', ', nullif(loc.address1, ''), nullif(loc.address2, '')), ''),
              'city', loc.city, 'state', loc.state, 'zip', loc.zip, 'country', loc.country, 'lat', loc.lat, 'lng', loc.lng) END AS location,
            coalesce((SELECT jsonb_agg(jsonb_build_object(
                        'dmo', jsonb_build_object('id', d.id, 'name', d.name),
                        'description', li.description,
                        'contact', jsonb_build_object('website', ci.website_url,
                                                      'phone', coalesce(ci.international_phone, ci.local_phone), 'email', ci.email))
                        ORDER BY li.id)
                        FROM public.listing_info li JOIN public.dmos d ON d.id = li.dmo_id
                        LEFT JOIN public.contact_info ci ON ci.id = li.contact_info_id
                       WHERE li.listing_id = l.id AND li.info_visible), '[]'::jsonb) AS listing_info
       FROM public.listings l LEFT JOIN public.locations loc ON loc.id = l.location_id
      WHERE l.id = ANY($1::int[]) AND ${publiclyVisible('l')}`,
    [ids],
  );
  const images = await db.query<ProductionImage & { listing_id: number }>(
    `SELECT li.listing_id, ${productionImageFields} FROM public.listing_images i JOIN public.listing_info li ON li.id = i.listing_info_id
      WHERE li.listing_id = ANY($1::int[]) AND li.info_visible ORDER BY li.listing_id, i.listing_info_id, i.rank`,
    [rows.map((row) => row.id)],
  );
  const galleries = new Map<number, ProductionImage[]>();
  for (const image of images.rows) {
    const gallery = galleries.get(image.listing_id) ?? [];
    if (!gallery.length) galleries.set(image.listing_id, gallery);
    gallery.push(image);
  }
  return new Map(rows.map((row) => [row.id, {
    ...row,
    images: galleryOf((galleries.get(row.id) ?? []).map(asCopy), similarBits)
      .map(({ image, width, height, variants }) => ({ url: image, width, height, variants })),
  }]));
}
