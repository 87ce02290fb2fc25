// Promote: apply a batch of approved staged rows to production in one set-based transaction.
// Batches are small and each marks its rows promoted, so a crash loses at most the batch in flight,
// which is redone from scratch. Identities are re-resolved through the bridge's unique key first, so
// a stale insert never makes a second listing.
import { contactKeys } from '../domain/canonical';
import type { MergePolicy, ResolvedConfig } from '../domain/config-params';
import { insertProductionImages } from './images';
import { visibilityRules } from './listings';
import type { Queryable } from './pool';

// Authority over a listing's shared parts: client > partner > travel site > scraped.
const authorityRank = (dmoType: string) => `CASE ${dmoType} WHEN 3 THEN 4 WHEN 4 THEN 3 WHEN 2 THEN 2 ELSE 1 END`;

/**
 * Manual visibility sticks (listings.ts visibilityRules): a delivered row brings back what an import
 * soft-deleted, never what a person hid or archived. SQL over promote_batch pb and its listing l: the
 * listing stays as it is when archived, or when the row's own listing_info is held hidden.
 */
const listingStaysDown = `(${visibilityRules.listingHeldArchived('l')} OR EXISTS (
  SELECT 1 FROM public.listing_info held WHERE held.id = pb.listing_info_id AND ${visibilityRules.infoHeldHidden('held')}))`;

/** The new value of a field under a merge policy; `old` and `incoming` are column expressions of ours. */
function merged(policy: MergePolicy, old: string, incoming: string): string {
  if (policy === 'skip_if_exists') return `coalesce(${old}, ${incoming})`;
  if (policy === 'field_level_merge') return `coalesce(${incoming}, ${old})`;
  return incoming;
}

interface FieldUpdate {
  table: 'public.listings' | 'public.locations' | 'public.listing_info' | 'public.contact_info';
  entity: 'listing' | 'location' | 'listing_info' | 'contact_info';
  /** pb column holding the id of the row to change */
  target: string;
  /** condition on pb (and t) for the rows to change; `incoming` reads the staged row r */
  when: string;
  fields: { column: string; incoming: string }[];
  policy: MergePolicy;
  /** shared parts written by a source without authority only fill empty fields */
  fillOnlyWhen?: string;
}

/** Logs each field that changes into change_log, then updates it. */
async function applyFieldUpdate(db: Queryable, runId: number, update: FieldUpdate): Promise<void> {
  const value = (field: FieldUpdate['fields'][number]) => {
    const policyValue = merged(update.policy, `t.${field.column}`, field.incoming);
    return update.fillOnlyWhen
      ? `CASE WHEN ${update.fillOnlyWhen} THEN coalesce(t.${field.column}, ${field.incoming}) ELSE ${policyValue} END`
      : policyValue;
  };
  const values = update.fields.map((field) => `('${field.column}', t.${field.column}::text, (${value(field)})::text)`).join(', ');
  await db.query(
    `INSERT INTO pipeline.change_log (entity_type, entity_id, listing_id, change, field, old_value, new_value, job_id)
     SELECT '${update.entity}', t.id, pb.listing_id, 'update', v.field, v.old, v.new, $1
       FROM promote_batch pb JOIN ${update.table} t ON t.id = pb.${update.target} JOIN staging.rows r ON r.id = pb.id,
            LATERAL (VALUES ${values}) AS v(field, old, new)
      WHERE ${update.when} AND v.old IS DISTINCT FROM v.new
     ON CONFLICT DO NOTHING`,
    [runId],
  );
  await db.query(
    `UPDATE ${update.table} t SET ${update.fields.map((field) => `${field.column} = ${value(field)}`).join(', ')}, updated_at = now()
       FROM promote_batch pb JOIN staging.rows r ON r.id = pb.id WHERE t.id = pb.${update.target} AND ${update.when}`,
  );
}

/**
 * The next approved rows not yet promoted after row `afterId` (0 at first), locked for this batch. A
 * batch resumes where the one before ended instead of reading the promoted rows again (which made
 * the run's promote quadratic). It waits for rows another transaction holds rather than skipping
 * them: that holder may be the backend of a killed worker, still stuck behind a lock when the job
 * runs again, whose batch will roll back. Skipping its rows would end the loop early and mark the run
 * promoted with them never applied.
 */
export async function nextPromoteBatch(db: Queryable, runId: number, size: number, afterId = 0): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(
    `SELECT id FROM staging.rows WHERE job_id = $1 AND id > $3 AND review_status = 'approved' AND promoted_at IS NULL
      ORDER BY id LIMIT $2 FOR UPDATE`,
    [runId, size, afterId],
  );
  return rows.map((row) => Number(row.id));
}

export async function promoteBatch(db: Queryable, runId: number, ids: number[], config: ResolvedConfig['promote'], imageSimilarBits: number): Promise<void> {
  const policyOf = (table: 'listings' | 'listing_info' | 'locations' | 'contact_info') =>
    config.conflict_resolution[table] ?? config.merge_policy;
  const manualOk = config.override_manual ? 'true' : 'false';

  // Narrow: ids and decisions only, rewritten by the updates below; the values are read from the
  // staged row (r, by primary key) where they are written. A copy of whole rows was rewritten by
  // each update, 2,500 pages for 2,000 rows.
  await db.query(
    `CREATE TEMP TABLE promote_batch ON COMMIT DROP AS
     SELECT r.id, r.dmo_id, r.source_id, r.match_hash, r.action, r.l_action, r.li_action, r.location_action, r.contact_action,
            r.images_action, r.open_action, r.attributes_action, r.listing_id, r.listing_info_id, r.match_method, r.certainty_score,
            NULL::integer AS location_id, NULL::integer AS contact_id, false AS created_listing, false AS created_info,
            ${authorityRank('d.dmo_type_id')} AS rank, NULL::boolean AS has_authority, NULL::boolean AS listing_manual,
            NULL::boolean AS info_manual
       FROM staging.rows r JOIN public.dmos d ON d.id = r.dmo_id
      WHERE r.id = ANY($1::bigint[])`,
    [ids],
  );
  await analyzeBatch(db);

  // Re-resolve: another run may have created these records since this one was staged.
  await db.query(
    `UPDATE promote_batch pb SET listing_info_id = b.target_id FROM pipeline.bridge_source_target b
      WHERE pb.listing_info_id IS NULL AND b.dmo_id = pb.dmo_id AND b.source_id = pb.source_id AND b.target_type = 'listing_info'`,
  );
  await db.query(
    `UPDATE promote_batch pb SET listing_id = li.listing_id FROM public.listing_info li
      WHERE pb.listing_info_id = li.id AND pb.listing_id IS DISTINCT FROM li.listing_id`,
  );
  await db.query(
    `UPDATE promote_batch pb SET listing_id = coalesce(
        (SELECT b.target_id FROM pipeline.bridge_source_target b
          WHERE b.dmo_id = pb.dmo_id AND b.source_id = pb.source_id AND b.target_type = 'listing'),
        (SELECT l.id FROM public.listings l WHERE l.match_hash = pb.match_hash ORDER BY l.listing_visible DESC, l.id LIMIT 1))
      WHERE pb.listing_id IS NULL AND pb.action IN ('insert', 'update')`,
  );

  // The batch's existing records are locked now, in id order, before anything of theirs is written:
  // an image job adding to one of their galleries (src/db/images.ts refreshGalleries) locks them the
  // same way, so the two wait for each other instead of deadlocking over listing_images.
  await db.query(
    `SELECT li.id FROM public.listing_info li WHERE li.id IN (SELECT listing_info_id FROM promote_batch) ORDER BY li.id FOR UPDATE OF li`,
  );

  // A stale insert whose record exists by now becomes an update of it, part by part, so its values
  // still arrive under the merge policy and authority rules instead of being dropped.
  await db.query(
    `UPDATE promote_batch SET
        l_action = CASE WHEN l_action = 'insert' THEN 'update' ELSE l_action END,
        location_action = CASE WHEN location_action = 'insert' THEN 'update' ELSE location_action END,
        attributes_action = CASE WHEN attributes_action = 'insert' THEN 'update' ELSE attributes_action END
      WHERE listing_id IS NOT NULL AND l_action = 'insert'`,
  );
  await db.query(
    `UPDATE promote_batch SET action = 'update', li_action = 'update',
        contact_action = CASE WHEN contact_action = 'insert' THEN 'update' ELSE contact_action END,
        images_action = CASE WHEN images_action = 'insert' THEN 'update' ELSE images_action END,
        open_action = CASE WHEN open_action = 'insert' THEN 'update' ELSE open_action END
      WHERE listing_info_id IS NOT NULL AND li_action = 'insert'`,
  );

  // New listings, with their location and attributes.
  await db.query(
    `UPDATE promote_batch pb SET listing_id = n.listing_id, location_id = n.location_id, created_listing = true
       FROM (${inStagedOrder("nextval('public.listings_id_seq') AS listing_id, nextval('public.locations_id_seq') AS location_id",
         "listing_id IS NULL AND action IN ('insert', 'update')")}) n
      WHERE pb.id = n.id`,
  );
  await analyzeBatch(db);
  await db.query(
    `INSERT INTO public.locations (id, address1, address2, city, state, zip, country, lat, lng, region_name, geocode_precision)
     SELECT pb.location_id, r.address1, r.address2, r.city, r.state, r.zip, r.country, r.lat, r.lng, r.region_name, r.geocode_precision
       FROM promote_batch pb JOIN staging.rows r ON r.id = pb.id WHERE pb.created_listing`,
  );
  await db.query(
    `INSERT INTO public.listings (id, name, category, google_place_id, location_id, match_hash, owner_dmo_id, part_hashes, last_job_id)
     SELECT pb.listing_id, r.name, r.category, r.google_place_id, pb.location_id, pb.match_hash, pb.dmo_id,
            jsonb_build_object('listing', r.hashes->'listing', 'location', r.hashes->'location', 'attributes', r.hashes->'attributes'), $1
       FROM promote_batch pb JOIN staging.rows r ON r.id = pb.id WHERE pb.created_listing`,
    [runId],
  );
  await db.query(
    `INSERT INTO pipeline.change_log (entity_type, entity_id, listing_id, change, job_id)
     SELECT 'listing', listing_id, listing_id, 'insert', $1 FROM promote_batch WHERE created_listing ON CONFLICT DO NOTHING`,
    [runId],
  );

  // Which rows may write the shared parts of their listing: authority and the manual-edit guard.
  await db.query(
    `UPDATE promote_batch pb SET
        has_authority = l.owner_dmo_id IS NULL OR l.owner_dmo_id = pb.dmo_id OR pb.rank > ${authorityRank('od.dmo_type_id')},
        listing_manual = l.manually_modified AND NOT ${manualOk}
       FROM public.listings l LEFT JOIN public.dmos od ON od.id = l.owner_dmo_id
      WHERE l.id = pb.listing_id`,
  );

  const sharedWhen = (action: string) =>
    `NOT pb.created_listing AND pb.${action} = 'update' AND pb.action IN ('insert', 'update') AND NOT pb.listing_manual`;
  await applyFieldUpdate(db, runId, {
    table: 'public.listings', entity: 'listing', target: 'listing_id', when: sharedWhen('l_action'), policy: policyOf('listings'),
    fillOnlyWhen: 'NOT pb.has_authority',
    fields: [{ column: 'name', incoming: 'r.name' }, { column: 'category', incoming: 'r.category' },
      { column: 'google_place_id', incoming: 'r.google_place_id' }],
  });
  await withLocationIds(db);
  await applyFieldUpdate(db, runId, {
    table: 'public.locations', entity: 'location', target: 'location_id', when: sharedWhen('location_action'),
    policy: policyOf('locations'), fillOnlyWhen: 'NOT pb.has_authority',
    fields: ['address1', 'address2', 'city', 'state', 'zip', 'country', 'lat', 'lng', 'region_name']
      .map((column) => ({ column, incoming: `r.${column}` })),
  });
  await db.query(
    `INSERT INTO pipeline.change_log (entity_type, entity_id, listing_id, change, job_id)
     SELECT DISTINCT 'listing', l.id, l.id, 'restore', $1::bigint FROM promote_batch pb JOIN public.listings l ON l.id = pb.listing_id
      WHERE NOT pb.created_listing AND pb.action IN ('insert', 'update') AND NOT l.listing_visible AND NOT ${listingStaysDown}
     ON CONFLICT DO NOTHING`,
    [runId],
  );
  await db.query(
    `UPDATE public.listings l SET last_job_id = $1, updated_at = now(),
            listing_visible = CASE WHEN ${listingStaysDown} THEN l.listing_visible ELSE true END,
            listing_status = CASE WHEN ${listingStaysDown} THEN l.listing_status ELSE 'active' END,
            owner_dmo_id = CASE WHEN pb.has_authority THEN pb.dmo_id ELSE l.owner_dmo_id END,
            match_hash = CASE WHEN pb.has_authority AND NOT pb.listing_manual THEN pb.match_hash ELSE l.match_hash END,
            part_hashes = CASE WHEN pb.has_authority AND NOT pb.listing_manual
                               THEN jsonb_build_object('listing', r.hashes->'listing', 'location', r.hashes->'location',
                                                       'attributes', r.hashes->'attributes')
                               ELSE l.part_hashes END
       FROM promote_batch pb JOIN staging.rows r ON r.id = pb.id
      WHERE l.id = pb.listing_id AND NOT pb.created_listing AND pb.action IN ('insert', 'update')`,
    [runId],
  );

  // Attributes of new listings, and of listings whose owner's list changed.
  await db.query(
    `INSERT INTO public.ref_attributes (name)
     SELECT DISTINCT a.name FROM promote_batch pb JOIN staging.rows r ON r.id = pb.id, jsonb_array_elements_text(r.attributes) AS a(name)
      WHERE pb.created_listing OR (pb.attributes_action = 'update' AND pb.has_authority AND NOT pb.listing_manual)
     ON CONFLICT (lower(name)) DO NOTHING`,
  );
  await db.query(
    `DELETE FROM public.bridge_attributes_listings b USING promote_batch pb
      WHERE b.listing_id = pb.listing_id AND NOT pb.created_listing AND pb.attributes_action = 'update'
        AND pb.action IN ('insert', 'update') AND pb.has_authority AND NOT pb.listing_manual`,
  );
  await db.query(
    `INSERT INTO public.bridge_attributes_listings (attribute_id, listing_id)
     SELECT DISTINCT ra.id, pb.listing_id
       FROM promote_batch pb JOIN staging.rows r ON r.id = pb.id, jsonb_array_elements_text(r.attributes) AS a(name)
       JOIN public.ref_attributes ra ON lower(ra.name) = lower(a.name)
      WHERE pb.action IN ('insert', 'update')
        AND (pb.created_listing OR (pb.attributes_action = 'update' AND pb.has_authority AND NOT pb.listing_manual))
     ON CONFLICT (listing_id, attribute_id) DO NOTHING`,
  );

  // New listing_info with contact, images, opening dates and hours.
  await db.query(
    `UPDATE promote_batch pb SET listing_info_id = n.listing_info_id, contact_id = n.contact_id, created_info = true
       FROM (${inStagedOrder("nextval('public.listing_info_id_seq') AS listing_info_id, nextval('public.contact_info_id_seq') AS contact_id",
         "listing_info_id IS NULL AND action IN ('insert', 'update')")}) n
      WHERE pb.id = n.id`,
  );
  await analyzeBatch(db);
  await db.query(
    `INSERT INTO public.contact_info (id, name, email, local_phone, international_phone, website_url, facebook_url, instagram_url,
                                      youtube_url, tiktok_url, twitter_url, pinterest_url, tripadvisor_url, yelp_url)
     SELECT pb.contact_id, c.name, c.email, c.local_phone, c.international_phone, c.website_url, c.facebook_url, c.instagram_url,
            c.youtube_url, c.tiktok_url, c.twitter_url, c.pinterest_url, c.tripadvisor_url, c.yelp_url
       FROM promote_batch pb JOIN staging.rows r ON r.id = pb.id, jsonb_populate_record(NULL::public.contact_info, r.contact) c
      WHERE pb.created_info`,
  );
  await db.query(
    `INSERT INTO public.listing_info (id, listing_id, dmo_id, source_id, name, description, contact_info_id, source_hashes,
                                      last_seen_at, last_job_id)
     SELECT pb.listing_info_id, pb.listing_id, pb.dmo_id, pb.source_id, r.info_name, r.description, pb.contact_id, r.hashes, now(), $1
       FROM promote_batch pb JOIN staging.rows r ON r.id = pb.id WHERE pb.created_info`,
    [runId],
  );
  await db.query(
    `INSERT INTO pipeline.change_log (entity_type, entity_id, listing_id, change, job_id)
     SELECT 'listing_info', listing_info_id, listing_id, 'insert', $1 FROM promote_batch WHERE created_info ON CONFLICT DO NOTHING`,
    [runId],
  );

  // Existing listing_info: this DMO's own parts, unless a person edited them.
  await db.query(
    `UPDATE promote_batch pb SET info_manual = li.manually_modified AND NOT ${manualOk}, contact_id = li.contact_info_id
       FROM public.listing_info li WHERE li.id = pb.listing_info_id AND NOT pb.created_info`,
  );
  const ownWhen = (action: string) => `NOT pb.created_info AND pb.${action} = 'update' AND pb.action = 'update' AND NOT pb.info_manual`;
  // A listing_info made elsewhere (an older system, a person) may have no contact row yet: give it an
  // empty one, which the update below fills and logs field by field.
  await db.query(
    `WITH linked AS (
       UPDATE promote_batch pb SET contact_id = nextval('public.contact_info_id_seq')
        WHERE pb.contact_id IS NULL AND ${ownWhen('contact_action')} RETURNING pb.contact_id, pb.listing_info_id),
     created AS (INSERT INTO public.contact_info (id) SELECT contact_id FROM linked)
     UPDATE public.listing_info li SET contact_info_id = linked.contact_id FROM linked WHERE li.id = linked.listing_info_id`,
  );
  await applyFieldUpdate(db, runId, {
    table: 'public.listing_info', entity: 'listing_info', target: 'listing_info_id', when: ownWhen('li_action'),
    policy: policyOf('listing_info'),
    fields: [{ column: 'name', incoming: 'r.info_name' }, { column: 'description', incoming: 'r.description' }],
  });
  await applyFieldUpdate(db, runId, {
    table: 'public.contact_info', entity: 'contact_info', target: 'contact_id', when: ownWhen('contact_action'),
    policy: policyOf('contact_info'),
    fields: contactKeys.map((column) => ({ column, incoming: `(r.contact->>'${column}')` })),
  });

  // Lists are replaced whole: images and opening times of new rows and of changed ones.
  const listWhen = (action: string) => `(pb.created_info OR (pb.${action} = 'update' AND pb.action = 'update' AND NOT pb.info_manual))`;
  await db.query(
    `DELETE FROM public.listing_images i USING promote_batch pb WHERE i.listing_info_id = pb.listing_info_id AND ${listWhen('images_action')}`,
  );
  // only the copies already stored, each picture once (keptImage); an image stored later is added by its job
  await db.query(insertProductionImages('promote_batch pb JOIN staging.images i ON i.row_id = pb.id', 'pb.listing_info_id', 'pb.id',
    `pb.action IN ('insert', 'update') AND ${listWhen('images_action')}`, imageSimilarBits));
  await db.query(
    `DELETE FROM public.opening_dates d USING promote_batch pb WHERE d.listing_info_id = pb.listing_info_id AND ${listWhen('open_action')}`,
  );
  await db.query(
    `WITH periods AS MATERIALIZED (
       SELECT nextval('public.opening_dates_id_seq') AS id, pb.listing_info_id, p.period
         FROM promote_batch pb JOIN staging.rows r ON r.id = pb.id, jsonb_array_elements(r.opening) AS p(period)
        WHERE pb.action IN ('insert', 'update') AND ${listWhen('open_action')}),
     dates AS (
       INSERT INTO public.opening_dates (id, listing_info_id, start_date, end_date)
       SELECT id, listing_info_id, period->>'start_date', period->>'end_date' FROM periods)
     INSERT INTO public.opening_hours (opening_date_id, day_id, open_time, close_time)
     SELECT periods.id, (h->>'day')::int, h->>'open', h->>'close'
       FROM periods, jsonb_array_elements(periods.period->'hours') AS h`,
  );

  // Every row this source delivered: seen now, restored if an import had soft-deleted it (a person's
  // hide stays), its hashes kept for next time. The restore is logged before it happens.
  await db.query(
    `INSERT INTO pipeline.change_log (entity_type, entity_id, listing_id, change, job_id)
     SELECT 'listing_info', li.id, li.listing_id, 'restore', $1 FROM promote_batch pb JOIN public.listing_info li ON li.id = pb.listing_info_id
      WHERE pb.action IN ('insert', 'update', 'unchanged') AND NOT pb.created_info AND ${visibilityRules.importRestoresInfo('li')}
     ON CONFLICT DO NOTHING`,
    [runId],
  );
  await db.query(
    `UPDATE public.listing_info li SET last_seen_at = now(), last_job_id = $1, source_hashes = r.hashes,
            info_visible = CASE WHEN ${visibilityRules.infoHeldHidden('li')} THEN li.info_visible ELSE true END,
            info_status = CASE WHEN ${visibilityRules.infoHeldHidden('li')} THEN li.info_status ELSE 'active' END,
            updated_at = now()
       FROM promote_batch pb JOIN staging.rows r ON r.id = pb.id
      WHERE li.id = pb.listing_info_id AND pb.action IN ('insert', 'update', 'unchanged')`,
    [runId],
  );

  // Bridge rows: the source's record maps to this listing and listing_info, saying how it was linked
  // (made the listing, match hash, fuzzy with its certainty, a person) when the link is new.
  if (config.update_bridge_table) {
    await db.query(
      `INSERT INTO pipeline.bridge_source_target (dmo_id, source_id, target_type, target_id, job_id, match_method, certainty_score)
       SELECT dmo_id, source_id, t.target_type, t.target_id, $1,
              CASE WHEN created_listing THEN 'created' WHEN match_method IN ('match_hash', 'fuzzy', 'manual') THEN match_method END,
              CASE WHEN match_method = 'fuzzy' THEN coalesce(certainty_score, 1) ELSE 1 END
         FROM promote_batch, LATERAL (VALUES ('listing', listing_id), ('listing_info', listing_info_id)) AS t(target_type, target_id)
        WHERE action IN ('insert', 'update', 'unchanged') AND t.target_id IS NOT NULL
       ON CONFLICT (dmo_id, source_id, target_type) DO UPDATE SET target_id = excluded.target_id, job_id = excluded.job_id,
              match_method = excluded.match_method, certainty_score = excluded.certainty_score, updated_at = now()
        WHERE pipeline.bridge_source_target.target_id IS DISTINCT FROM excluded.target_id`,
      [runId],
    );
  }

  // Soft deletes: the listing_info, and the listing when no other visible listing_info remains.
  await db.query(
    `WITH gone AS (
       UPDATE public.listing_info li SET info_visible = false, info_status = 'missing_from_import', last_job_id = $1, updated_at = now()
         FROM promote_batch pb WHERE li.id = pb.listing_info_id AND pb.action = 'delete' AND li.info_visible
       RETURNING li.id, li.listing_id)
     INSERT INTO pipeline.change_log (entity_type, entity_id, listing_id, change, job_id)
     SELECT 'listing_info', id, listing_id, 'delete', $1 FROM gone ON CONFLICT DO NOTHING`,
    [runId],
  );
  await db.query(
    `WITH gone AS (
       UPDATE public.listings l SET listing_visible = false, listing_status = 'missing_from_import', last_job_id = $1, updated_at = now()
         FROM promote_batch pb
        WHERE l.id = pb.listing_id AND pb.action = 'delete' AND pb.l_action = 'delete' AND l.listing_visible
          AND NOT EXISTS (SELECT 1 FROM public.listing_info o WHERE o.listing_id = l.id AND o.info_visible)
       RETURNING l.id)
     INSERT INTO pipeline.change_log (entity_type, entity_id, listing_id, change, job_id)
     SELECT 'listing', id, id, 'delete', $1 FROM gone ON CONFLICT DO NOTHING`,
    [runId],
  );

  await db.query(
    `UPDATE staging.rows r SET promoted_at = now(), listing_id = pb.listing_id, listing_info_id = pb.listing_info_id,
            created_listing = pb.created_listing,
            promote_outcome = CASE pb.action WHEN 'insert' THEN 'inserted' WHEN 'update' THEN 'updated' WHEN 'delete' THEN 'deleted'
                                             WHEN 'unchanged' THEN 'unchanged' ELSE 'skipped' END
       FROM promote_batch pb WHERE r.id = pb.id`,
  );
}

/**
 * New ids for the batch rows matching `where`, drawn in the staged rows' order: records get their
 * ids in the order of the file, whatever order the batch's updates left its table in.
 */
function inStagedOrder(ids: string, where: string): string {
  return `SELECT o.id, ${ids} FROM (SELECT id FROM promote_batch WHERE ${where} ORDER BY id) o`;
}

/**
 * A temp table has no statistics until analyzed, and its flags change as the batch goes: planned
 * with stale ones (say "no row is new"), a join of the batch's new rows with a production table
 * became a nested loop scanning that table whole for each row (1.1 s of a 2,000-row batch).
 */
async function analyzeBatch(db: Queryable): Promise<void> {
  await db.query('ANALYZE promote_batch');
}

/** The location row of each batch row's listing. */
async function withLocationIds(db: Queryable): Promise<void> {
  await db.query(
    `UPDATE promote_batch pb SET location_id = l.location_id FROM public.listings l WHERE l.id = pb.listing_id AND NOT pb.created_listing`,
  );
}

export async function promoteResults(db: Queryable, runId: number): Promise<Record<string, number>> {
  const { rows } = await db.query(
    `SELECT count(*) FILTER (WHERE promote_outcome = 'inserted')::int AS inserted,
            count(*) FILTER (WHERE promote_outcome = 'updated')::int AS updated,
            count(*) FILTER (WHERE promote_outcome = 'deleted')::int AS deleted,
            count(*) FILTER (WHERE promote_outcome = 'unchanged')::int AS unchanged,
            count(*) FILTER (WHERE promote_outcome = 'skipped' OR promote_outcome IS NULL)::int AS skipped,
            count(*) FILTER (WHERE created_listing)::int AS listings_created
       FROM staging.rows WHERE job_id = $1`,
    [runId],
  );
  return rows[0];
}
