// A person re-links one DMO source record: force-match moves it onto a listing they name, unmerge
// gives it a new listing of its own. Production changes at once (its DMO record, listing_info, moves
// with its contact, hours and images), the bridge says a person did it, and both listings' timelines
// get the event. Call each inside one transaction (inRemapTransaction).
//
// Locks: first a transaction-level advisory lock on the source record, so two changes of one record
// run one after the other and the second reads what the first did; then the listings involved in id
// order, then the listing_info, as promote and the admin's hide/show take them (listing, then
// listing_info), so none of them can deadlock with another force-match.
import type { Db, DbClient } from './pool';
import { inTransaction } from './pool';
import { hiddenStatus, importDeletedStatus, mergedStatus } from './listings';
import type { MappingChangeReply } from '../contract/mappings';

export interface SourceRecord {
  dmoId: number;
  sourceId: string;
}

/** The bridge knows no such source record: the API answers 404. */
export class SourceRecordNotFound extends Error {
  constructor(readonly record: SourceRecord) {
    super(`Source record ${JSON.stringify(record.sourceId)} of DMO ${record.dmoId} was not found: no import has linked it to a listing`);
  }
}

/** The listing to match to does not exist: the API answers 404 naming listing_id. */
export class TargetListingNotFound extends Error {
  constructor(readonly listingId: number) {
    super(`Listing ${listingId} was not found`);
  }
}

/** The change cannot be made as things stand (409), with a code for callers and a message for people. */
export class RemapRefused extends Error {
  constructor(readonly code: 'no_record_in_production' | 'nothing_to_unmerge', message: string) {
    super(message);
  }
}

type LeftListing = MappingChangeReply['left'][number];

export interface RemapOutcome {
  changed: boolean;
  /** the listing the record is on now */
  listingId: number;
  /** the listings it left, as they are after the change */
  left: LeftListing[];
}

interface Links {
  dmoName: string;
  listingInfoId: number;
  /** the listing the listing_info is on */
  infoListingId: number;
  /** the listing the 'listing' bridge row points at, when there is one */
  bridgeListingId: number | null;
}

/** The listing_info as read under its lock. */
interface LockedInfo {
  visible: boolean;
  status: string;
  /** the run that last promoted it: its staged row is what the source last delivered */
  lastJobId: number | null;
}

// PostgreSQL's deadlock_detected and serialization_failure: the transaction did nothing, so it may run again
const retryableCodes = new Set(['40P01', '40001']);

/** One transaction, run again (up to three times) when PostgreSQL chose it as a deadlock's victim (a promote batch took the same listings in another order). */
export async function inRemapTransaction<T>(db: Db, fn: (client: DbClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTransaction(db, fn);
    } catch (error) {
      if (attempt >= 3 || !retryableCodes.has((error as { code?: string }).code ?? '')) throw error;
    }
  }
}

/**
 * Serialises the changes of one source record, then reads its links; null when the bridge does not
 * know it. Only a change of this same record moves its listing_info, so what is read here holds.
 */
async function lockSourceRecord(db: DbClient, record: SourceRecord): Promise<Links | null> {
  await db.query(`SELECT pg_advisory_xact_lock(hashtextextended('pipeline.bridge_source_target: ' || $1 || ' ' || $2, 0))`,
    [record.dmoId, record.sourceId]);
  const { rows } = await db.query<{ known: boolean; dmo_name: string | null; listing_info_id: number | null; bridge_listing_id: number | null }>(
    `SELECT EXISTS (SELECT 1 FROM pipeline.bridge_source_target WHERE dmo_id = $1 AND source_id = $2) AS known,
            (SELECT name FROM public.dmos WHERE id = $1) AS dmo_name,
            coalesce((SELECT target_id FROM pipeline.bridge_source_target WHERE dmo_id = $1 AND source_id = $2 AND target_type = 'listing_info'),
                     (SELECT id FROM public.listing_info WHERE dmo_id = $1 AND source_id = $2)) AS listing_info_id,
            (SELECT target_id FROM pipeline.bridge_source_target WHERE dmo_id = $1 AND source_id = $2 AND target_type = 'listing') AS bridge_listing_id`,
    [record.dmoId, record.sourceId],
  );
  const found = rows[0]!;
  if (!found.known) return null;
  const dmoName = found.dmo_name ?? `DMO ${record.dmoId}`;
  const info = found.listing_info_id === null ? undefined
    : (await db.query<{ listing_id: number }>('SELECT listing_id FROM public.listing_info WHERE id = $1', [found.listing_info_id])).rows[0];
  if (!info) {
    throw new RemapRefused('no_record_in_production',
      `Source record ${JSON.stringify(record.sourceId)} of ${dmoName} has no record in production to move yet: promote a run that has it first`);
  }
  return { dmoName, listingInfoId: found.listing_info_id!, infoListingId: info.listing_id, bridgeListingId: found.bridge_listing_id };
}

/**
 * Locks these listings in id order, then the record's listing_info, and reads its visibility then (a
 * hide or show of it has to wait for its listing's lock, which is held now). Returns the listings'
 * names; missing ids are absent.
 */
async function lockListingsAndInfo(db: DbClient, links: Links, ids: number[]): Promise<{ names: Map<number, string>; info: LockedInfo }> {
  const { rows } = await db.query<{ id: number; name: string }>(
    'SELECT id, name FROM public.listings WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE', [[...new Set(ids)]]);
  const info = (await db.query<{ info_visible: boolean; info_status: string; last_job_id: number | null }>(
    'SELECT info_visible, info_status, last_job_id FROM public.listing_info WHERE id = $1 FOR UPDATE', [links.listingInfoId])).rows[0]!;
  return {
    names: new Map(rows.map((row) => [row.id, row.name])),
    info: { visible: info.info_visible, status: info.info_status, lastJobId: info.last_job_id },
  };
}

/** The listings the record is on now: its listing_info's, and its bridge row's when that differs. */
const currentListings = (links: Links) =>
  [...new Set([links.infoListingId, ...(links.bridgeListingId === null ? [] : [links.bridgeListingId])])];

/**
 * POST /mappings/force-match: the record's listing_info moves onto `listingId`, its 'listing' bridge
 * row points there (certainty 1, manual). A listing left with no record shown goes off the site as
 * merged; the listing reached comes back on the site if it was down only for want of a shown record.
 * Matching it to the listing it is already on changes nothing.
 */
export async function forceMatch(db: DbClient, record: SourceRecord, listingId: number, userId: number): Promise<RemapOutcome> {
  const links = await lockSourceRecord(db, record);
  if (!links) throw new SourceRecordNotFound(record);
  const from = currentListings(links);
  const { names } = await lockListingsAndInfo(db, links, [...from, listingId]);
  if (!names.has(listingId)) throw new TargetListingNotFound(listingId);
  if (from.every((id) => id === listingId)) return { changed: false, listingId, left: [] };
  return moveRecord(db, record, links, listingId, 'match', userId);
}

/**
 * POST /mappings/unmerge: the record gets a listing of its own, made from what its source last
 * delivered, and its listing_info moves there. Refused when no other record is on its listing.
 */
export async function unmerge(db: DbClient, record: SourceRecord, userId: number): Promise<RemapOutcome> {
  const links = await lockSourceRecord(db, record);
  if (!links) throw new SourceRecordNotFound(record);
  const { names, info } = await lockListingsAndInfo(db, links, currentListings(links));
  const others = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM public.listing_info WHERE listing_id = $1 AND id <> $2', [links.infoListingId, links.listingInfoId]);
  if (others.rows[0]!.n === 0) {
    throw new RemapRefused('nothing_to_unmerge',
      `Source record ${JSON.stringify(record.sourceId)} of ${links.dmoName} is the only record on listing ${links.infoListingId} ` +
      `(${names.get(links.infoListingId) ?? 'unnamed'}): it already has a listing of its own, so there is nothing to unmerge it from`);
  }
  const own = await createOwnListing(db, record, links, info);
  return moveRecord(db, record, links, own, 'unmerge', userId);
}

async function moveRecord(db: DbClient, record: SourceRecord, links: Links, to: number, change: 'match' | 'unmerge', userId: number): Promise<RemapOutcome> {
  await db.query('UPDATE public.listing_info SET listing_id = $2, updated_at = now() WHERE id = $1 AND listing_id <> $2',
    [links.listingInfoId, to]);
  // a person decided it: certain, manual, and no run wrote it (the listing page says "a person")
  await db.query(
    `INSERT INTO pipeline.bridge_source_target (dmo_id, source_id, target_type, target_id, certainty_score, match_method, job_id)
     VALUES ($1, $2, 'listing', $3, 1, 'manual', NULL)
     ON CONFLICT (dmo_id, source_id, target_type) DO UPDATE
       SET target_id = excluded.target_id, certainty_score = 1, match_method = 'manual', job_id = NULL, updated_at = now()`,
    [record.dmoId, record.sourceId, to],
  );
  const left = currentListings(links).filter((id) => id !== to);
  const cameFrom = links.infoListingId !== to ? links.infoListingId : left[0]!;
  const log = (listingId: number, from: number) => logChange(db, {
    entity: 'listing_info', entityId: links.listingInfoId, listingId, change, field: 'listing_id', from: String(from), to: String(to), userId,
  });
  for (const listingId of left) await log(listingId, listingId);
  await log(to, cameFrom);
  for (const listingId of left) {
    await offTheSiteWhenNothingShown(db, listingId, change, userId);
    await releaseOwnership(db, listingId, record.dmoId);
  }
  await backOnTheSiteWhenShown(db, to, change, userId);
  const { rows } = await db.query<LeftListing>(
    'SELECT id, name, listing_visible, listing_status FROM public.listings WHERE id = ANY($1::int[]) ORDER BY id', [left]);
  return { changed: true, listingId: to, left: rows };
}

interface Change {
  entity: 'listing' | 'listing_info';
  entityId: number;
  listingId: number;
  change: 'match' | 'unmerge';
  field: string;
  from: string | null;
  to: string | null;
  userId: number;
}

async function logChange(db: DbClient, c: Change): Promise<void> {
  // stamped when the change is made, after the locks, not when the transaction began (now()): of two
  // force-matches at once, the one that waited began first but changed last, and the timeline must
  // show its change as the latest
  await db.query(
    `INSERT INTO pipeline.change_log (entity_type, entity_id, listing_id, change, field, old_value, new_value, user_id, changed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, clock_timestamp())`,
    [c.entity, c.entityId, c.listingId, c.change, c.field, c.from, c.to, c.userId],
  );
}

/** A listing whose last shown record left goes off the site, saying why (listing_status merged). */
async function offTheSiteWhenNothingShown(db: DbClient, listingId: number, change: Change['change'], userId: number) {
  const { rows } = await db.query<{ old_status: string }>(
    `WITH before AS (SELECT listing_status FROM public.listings WHERE id = $1)
     UPDATE public.listings l SET listing_visible = false, listing_status = '${mergedStatus}', updated_at = now()
       FROM before
      WHERE l.id = $1 AND l.listing_visible
        AND NOT EXISTS (SELECT 1 FROM public.listing_info WHERE listing_id = $1 AND info_visible)
      RETURNING before.listing_status AS old_status`,
    [listingId],
  );
  for (const row of rows) {
    await logChange(db, { entity: 'listing', entityId: listingId, listingId, change, field: 'listing_status', from: row.old_status, to: mergedStatus, userId });
  }
}

/**
 * The listing a shown record arrives on goes back on the site when it was down only for want of one
 * (as listings.ts listingFollowsItsInfo does); never an archived one: only un-archiving does that.
 */
async function backOnTheSiteWhenShown(db: DbClient, listingId: number, change: Change['change'], userId: number) {
  const { rows } = await db.query<{ old_status: string }>(
    `WITH before AS (SELECT listing_status FROM public.listings WHERE id = $1)
     UPDATE public.listings l SET listing_visible = true, listing_status = 'active', updated_at = now()
       FROM before
      WHERE l.id = $1 AND NOT l.listing_visible AND l.listing_status = ANY($2::text[])
        AND EXISTS (SELECT 1 FROM public.listing_info WHERE listing_id = $1 AND info_visible)
      RETURNING before.listing_status AS old_status`,
    [listingId, [importDeletedStatus, hiddenStatus, mergedStatus]],
  );
  for (const row of rows) {
    await logChange(db, { entity: 'listing', entityId: listingId, listingId, change, field: 'listing_status', from: row.old_status, to: 'active', userId });
  }
}

/**
 * The DMO that owns a listing's shared parts (name, location) decides what later imports may
 * overwrite: once none of its records is on the listing, no one owns it, so the next source to
 * deliver it takes it over instead of deferring to a DMO that left.
 */
async function releaseOwnership(db: DbClient, listingId: number, dmoId: number) {
  await db.query(
    `UPDATE public.listings l SET owner_dmo_id = NULL
      WHERE l.id = $1 AND l.owner_dmo_id = $2 AND NOT EXISTS (SELECT 1 FROM public.listing_info WHERE listing_id = $1 AND dmo_id = $2)`,
    [listingId, dmoId],
  );
}

/**
 * A new listing for the record, owned by its DMO, shown when its record is: name, location and
 * attributes as its source last delivered them (its staged row of the run that last promoted it).
 * When staging no longer has that row (purged after STAGING_RETENTION_DAYS), the old listing's name
 * and location stand in, and the record's hashes of those parts are dropped so that the source's next
 * import writes its own values. Returns the new listing's id.
 */
async function createOwnListing(db: DbClient, record: SourceRecord, links: Links, info: LockedInfo): Promise<number> {
  const status = info.visible ? 'active' : info.status === importDeletedStatus ? importDeletedStatus : hiddenStatus;
  const delivered = info.lastJobId === null ? undefined : (await db.query<{ id: number }>(
    `SELECT id FROM staging.rows WHERE job_id = $1 AND dmo_id = $2 AND source_id = $3 AND promoted_at IS NOT NULL
        AND action IN ('insert', 'update', 'unchanged')
      ORDER BY id DESC LIMIT 1`,
    [info.lastJobId, record.dmoId, record.sourceId])).rows[0];
  if (delivered) {
    const { rows } = await db.query<{ id: number }>(
      `WITH r AS (SELECT * FROM staging.rows WHERE id = $1),
            loc AS (INSERT INTO public.locations (address1, address2, city, state, zip, country, lat, lng, region_name, geocode_precision)
                    SELECT address1, address2, city, state, zip, country, lat, lng, region_name, geocode_precision FROM r RETURNING id)
       INSERT INTO public.listings (name, category, google_place_id, location_id, match_hash, owner_dmo_id, part_hashes,
                                    listing_visible, listing_status)
       SELECT r.name, r.category, r.google_place_id, loc.id, r.match_hash, r.dmo_id,
              jsonb_build_object('listing', r.hashes->'listing', 'location', r.hashes->'location', 'attributes', r.hashes->'attributes'),
              $2, $3
         FROM r, loc RETURNING id`,
      [delivered.id, status === 'active', status],
    );
    const listingId = rows[0]!.id;
    await db.query(
      `INSERT INTO public.ref_attributes (name)
       SELECT DISTINCT a.name FROM staging.rows r, jsonb_array_elements_text(r.attributes) AS a(name) WHERE r.id = $1
       ON CONFLICT (lower(name)) DO NOTHING`,
      [delivered.id],
    );
    await db.query(
      `INSERT INTO public.bridge_attributes_listings (attribute_id, listing_id)
       SELECT DISTINCT ra.id, $2::int FROM staging.rows r, jsonb_array_elements_text(r.attributes) AS a(name)
         JOIN public.ref_attributes ra ON lower(ra.name) = lower(a.name)
        WHERE r.id = $1
       ON CONFLICT (listing_id, attribute_id) DO NOTHING`,
      [delivered.id, listingId],
    );
    return listingId;
  }
  // Without the delivered row: the old listing's name and location, not its google_place_id or match
  // hash, which may be another DMO's place and would draw that DMO's records here.
  const { rows } = await db.query<{ id: number }>(
    `WITH old AS (SELECT * FROM public.listings WHERE id = $1),
          loc AS (INSERT INTO public.locations (address1, address2, city, state, zip, country, lat, lng, region_name, geocode_precision)
                  SELECT c.address1, c.address2, c.city, c.state, c.zip, c.country, c.lat, c.lng, c.region_name, c.geocode_precision
                    FROM old JOIN public.locations c ON c.id = old.location_id RETURNING id)
     INSERT INTO public.listings (name, category, location_id, owner_dmo_id, listing_visible, listing_status)
     SELECT old.name, old.category, (SELECT id FROM loc), $2, $3, $4 FROM old RETURNING id`,
    [links.infoListingId, record.dmoId, status === 'active', status],
  );
  await db.query(
    `UPDATE public.listing_info SET source_hashes = source_hashes - 'listing' - 'location' - 'attributes' WHERE id = $1`,
    [links.listingInfoId],
  );
  return rows[0]!.id;
}
