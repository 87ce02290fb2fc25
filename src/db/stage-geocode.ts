// The stage step's geocoding (DESIGN.md step 4a) in set-based SQL over a run's staged rows: rows that
// lack coordinates take them from production when their listing already has them, then from the cache
// by provider and normalised address; what is left is resolved by the caller (inline for the
// gazetteer, geocode jobs for network providers) and written back in one UPDATE. Coordinates found are
// written to lat/lng only: the hashes keep covering what the source delivered.
import type { GeocodeProvider } from '../geocode/geocoder';
import type { Queryable } from './pool';

/** A DMO's area: results outside it are flagged, not accepted. */
export interface Box {
  min_lat: number;
  max_lat: number;
  min_lng: number;
  max_lng: number;
}

/** The normalised address a cache entry is keyed by (md5 of it): accents, case and punctuation folded. */
const normalisedAddress = (r: string) =>
  `btrim(regexp_replace(public.search_text(concat_ws(' ', ${r}.address1, ${r}.city, ${r}.state, ${r}.zip, ${r}.country)), '[^[:alnum:]]+', ' ', 'g'))`;
/** The address as it is sent to a provider: the source's own spelling, parts that are there. */
const queryAddress = (r: string) =>
  `concat_ws(', ', nullif(btrim(${r}.address1), ''), nullif(btrim(${r}.city), ''), nullif(btrim(${r}.state), ''), nullif(btrim(${r}.zip), ''), nullif(btrim(${r}.country), ''))`;

export const geocodeWarnings = {
  noAddress: 'geocoding: no coordinates, and no city or postcode to find them from',
  notFound: 'geocoding: no place was found for this address; check it or add coordinates',
  outOfBounds: "geocoding: the place found is outside the DMO's area (validate.business_rules.dmo_geographic_bounds); check the address",
  failed: 'geocoding failed',
};

const outside = (lat: string, lng: string) =>
  `($2::float8 IS NOT NULL AND NOT (${lat} BETWEEN $2 AND $3 AND ${lng} BETWEEN $4 AND $5))`;
const boxParams = (box: Box | null) => [box?.min_lat ?? null, box?.max_lat ?? null, box?.min_lng ?? null, box?.max_lng ?? null];

/**
 * A row matched to a production listing whose location has coordinates, at the same address (or with
 * the same google_place_id), takes them: nobody is called for a place we already know.
 */
export async function takeProductionLocations(db: Queryable, runId: number): Promise<number> {
  const updated = await db.query(
    `UPDATE staging.rows r SET lat = loc.lat, lng = loc.lng, geocode_status = 'found', geocode_provider = 'production'
       FROM public.listings l JOIN public.locations loc ON loc.id = l.location_id
      WHERE r.job_id = $1 AND r.geocode_status = 'pending' AND r.listing_id = l.id AND loc.lat IS NOT NULL AND loc.lng IS NOT NULL
        AND ((r.google_place_id IS NOT NULL AND r.google_place_id = l.google_place_id)
          OR (public.search_text(coalesce(r.address1, '')) = public.search_text(coalesce(loc.address1, ''))
              AND public.search_text(coalesce(r.city, '')) = public.search_text(coalesce(loc.city, ''))))`,
    [runId],
  );
  return updated.rowCount ?? 0;
}

/** With geocoding off (provider none), rows without coordinates stay so, and say they were not looked up. */
export async function skipGeocoding(db: Queryable, runId: number): Promise<void> {
  await db.query(`UPDATE staging.rows SET geocode_status = 'not_needed' WHERE job_id = $1 AND geocode_status = 'pending'`, [runId]);
}

/** Keys each row still to geocode by its address; a row with neither city nor postcode is marked for review. */
export async function keyAddresses(db: Queryable, runId: number): Promise<void> {
  await db.query(
    `UPDATE staging.rows r SET geocode_status = 'not_found', warnings = r.warnings || to_jsonb($2::text)
      WHERE r.job_id = $1 AND r.geocode_status = 'pending' AND coalesce(btrim(r.city), '') = '' AND coalesce(btrim(r.zip), '') = ''`,
    [runId, geocodeWarnings.noAddress],
  );
  await db.query(
    `UPDATE staging.rows r SET address_key = md5(${normalisedAddress('r')})
      WHERE r.job_id = $1 AND r.geocode_status = 'pending' AND r.address_key IS DISTINCT FROM md5(${normalisedAddress('r')})`,
    [runId],
  );
}

export interface Place {
  city: string;
  state: string | null;
  country: string | null;
}

/** The distinct places (city, state, country) of rows still to geocode: what the gazetteer resolves. */
export async function placesToGeocode(db: Queryable, runId: number): Promise<Place[]> {
  const { rows } = await db.query<Place>(
    `SELECT DISTINCT city, state, country FROM staging.rows
      WHERE job_id = $1 AND geocode_status = 'pending' AND coalesce(btrim(city), '') <> ''`,
    [runId],
  );
  return rows;
}

export interface PlaceResult extends Place {
  lat: number | null;
  lng: number | null;
}

/** Writes the gazetteer's answers (city centres, low precision) onto the rows of each place, in pages. */
export async function applyPlaceResults(db: Queryable, runId: number, results: readonly PlaceResult[], box: Box | null): Promise<void> {
  for (let i = 0; i < results.length; i += 5_000) {
    const page = results.slice(i, i + 5_000);
    await db.query(
      `WITH found AS (
         SELECT * FROM unnest($6::text[], $7::text[], $8::text[], $9::float8[], $10::float8[]) AS f(city, state, country, lat, lng))
       UPDATE staging.rows r SET
         geocode_provider = 'gazetteer', geocode_precision = CASE WHEN f.lat IS NULL THEN NULL ELSE 'city' END,
         geocode_status = CASE WHEN f.lat IS NULL THEN 'not_found' WHEN ${outside('f.lat', 'f.lng')} THEN 'out_of_bounds' ELSE 'found' END,
         lat = CASE WHEN f.lat IS NULL OR ${outside('f.lat', 'f.lng')} THEN NULL ELSE f.lat END,
         lng = CASE WHEN f.lat IS NULL OR ${outside('f.lat', 'f.lng')} THEN NULL ELSE f.lng END,
         warnings = r.warnings || CASE WHEN f.lat IS NULL THEN to_jsonb(ARRAY[$11::text])
                                       WHEN ${outside('f.lat', 'f.lng')} THEN to_jsonb(ARRAY[$12::text]) ELSE '[]'::jsonb END
         FROM found f
        WHERE r.job_id = $1 AND r.geocode_status = 'pending' AND r.city = f.city
          AND r.state IS NOT DISTINCT FROM f.state AND r.country IS NOT DISTINCT FROM f.country`,
      [runId, ...boxParams(box), page.map((p) => p.city), page.map((p) => p.state), page.map((p) => p.country),
        page.map((p) => p.lat), page.map((p) => p.lng), geocodeWarnings.notFound, geocodeWarnings.outOfBounds],
    );
  }
}

/**
 * Rows whose address the cache answered (found or not found, or failed in this run) take the answer.
 * Returns how many distinct addresses an earlier run had paid for: the cache hits.
 */
export async function applyCachedResults(db: Queryable, runId: number, provider: GeocodeProvider, box: Box | null): Promise<{ rows: number; hits: number }> {
  const { rows } = await db.query<{ rows: number; hits: number }>(
    `WITH answered AS (
       UPDATE staging.rows r SET
         geocode_provider = c.provider, geocode_precision = c.precision,
         geocode_status = CASE WHEN c.status <> 'found' THEN c.status WHEN ${outside('c.lat', 'c.lng')} THEN 'out_of_bounds' ELSE 'found' END,
         lat = CASE WHEN c.status = 'found' AND NOT ${outside('c.lat', 'c.lng')} THEN c.lat END,
         lng = CASE WHEN c.status = 'found' AND NOT ${outside('c.lat', 'c.lng')} THEN c.lng END,
         google_place_id = CASE WHEN c.provider = 'google' AND c.status = 'found' AND NOT ${outside('c.lat', 'c.lng')}
                                THEN coalesce(r.google_place_id, c.place_id) ELSE r.google_place_id END,
         warnings = r.warnings || CASE WHEN c.status = 'not_found' THEN to_jsonb(ARRAY[$7::text])
                                       WHEN c.status = 'failed' THEN to_jsonb(ARRAY[$8::text || ': ' || coalesce(c.error, 'no answer')])
                                       WHEN ${outside('c.lat', 'c.lng')} THEN to_jsonb(ARRAY[$9::text]) ELSE '[]'::jsonb END
         FROM pipeline.geocode_cache c
        WHERE r.job_id = $1 AND r.geocode_status = 'pending' AND c.provider = $6 AND c.address_key = r.address_key
          AND (c.status IN ('found', 'not_found') OR (c.status = 'failed' AND c.job_id = $1))
        RETURNING r.address_key, c.job_id)
     SELECT count(*)::int AS rows, count(DISTINCT address_key) FILTER (WHERE job_id IS DISTINCT FROM $1)::int AS hits FROM answered`,
    [runId, ...boxParams(box), provider, geocodeWarnings.notFound, geocodeWarnings.failed, geocodeWarnings.outOfBounds],
  );
  return rows[0] ?? { rows: 0, hits: 0 };
}

/**
 * Claims a cache entry for every distinct address still to geocode that has none (or failed in an
 * earlier run: worth another try now); the entry names this run and keeps the first row's spelling
 * to send. Existing entries, pending in another run's hands, are left to that run's job.
 */
export async function claimAddresses(db: Queryable, runId: number, provider: GeocodeProvider): Promise<void> {
  await db.query(
    `INSERT INTO pipeline.geocode_cache AS c (provider, address_key, address, status, job_id)
     SELECT DISTINCT ON (r.address_key) $2, r.address_key, ${queryAddress('r')}, 'pending', $1
       FROM staging.rows r WHERE r.job_id = $1 AND r.geocode_status = 'pending' AND r.address_key IS NOT NULL
      ORDER BY r.address_key, r.file_seq, r.rec_num
     ON CONFLICT (provider, address_key) DO UPDATE SET status = 'pending', job_id = excluded.job_id, error = NULL, attempts = 0
      WHERE c.status = 'failed' AND c.job_id IS DISTINCT FROM excluded.job_id`,
    [runId, provider],
  );
}

/** A page of the distinct addresses of the run still waiting for an answer, after `after` (keyset). */
export async function pendingAddressKeys(db: Queryable, runId: number, provider: GeocodeProvider, after: string, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ address_key: string }>(
    `SELECT DISTINCT r.address_key FROM staging.rows r
       JOIN pipeline.geocode_cache c ON c.provider = $2 AND c.address_key = r.address_key AND c.status = 'pending'
      WHERE r.job_id = $1 AND r.geocode_status = 'pending' AND r.address_key > $3
      ORDER BY r.address_key LIMIT $4`,
    [runId, provider, after, limit],
  );
  return rows.map((row) => row.address_key);
}

/** Rows whose lookup never finished (its job gone or failed without a word) are marked failed for review. */
export async function markUnanswered(db: Queryable, runId: number): Promise<number> {
  const updated = await db.query(
    `UPDATE staging.rows SET geocode_status = 'failed', warnings = warnings || to_jsonb($2::text)
      WHERE job_id = $1 AND geocode_status = 'pending' AND address_key IS NOT NULL`,
    [runId, `${geocodeWarnings.failed}: the lookup did not finish`],
  );
  return updated.rowCount ?? 0;
}
