// pipeline.geocode_cache, one entry per provider and normalised address: a geocode job claims the
// entry (a lease) before it calls, so a retry, a resumed run and two workers racing make one call.
import type { GeocodeProvider } from '../geocode/geocoder';
import type { Queryable } from './pool';

export type CacheStatus = 'pending' | 'found' | 'not_found' | 'failed';

export interface GeocodeAnswer {
  status: 'found' | 'not_found';
  lat?: number;
  lng?: number;
  precision?: string;
  placeId?: string;
  placeName?: string;
}

export type Claim =
  | { state: 'claimed'; address: string; attempts: number }
  /** answered already: nothing to call */
  | { state: 'resolved' }
  /** another holder's lease runs for this long */
  | { state: 'held'; retryInMs: number }
  | { state: 'missing' };

/**
 * Takes the entry for `holder` for `leaseMs` when it is pending and not held by anyone else (a lease
 * that lapsed, its holder dead, may be taken). One statement, so two claimants cannot both win.
 */
export async function claimAddress(db: Queryable, provider: GeocodeProvider, addressKey: string, holder: string, leaseMs: number): Promise<Claim> {
  const claimed = await db.query<{ address: string; attempts: number }>(
    `UPDATE pipeline.geocode_cache SET claimed_by = $3, claimed_until = now() + make_interval(secs => $4::float8 / 1000),
            attempts = attempts + 1
      WHERE provider = $1 AND address_key = $2 AND status = 'pending'
        AND (claimed_until IS NULL OR claimed_until < now() OR claimed_by = $3)
      RETURNING address, attempts`,
    [provider, addressKey, holder, leaseMs],
  );
  if (claimed.rows[0]) return { state: 'claimed', ...claimed.rows[0] };
  const { rows } = await db.query<{ status: CacheStatus; wait_ms: number | null }>(
    `SELECT status, ceil(extract(epoch FROM claimed_until - now()) * 1000)::int AS wait_ms
       FROM pipeline.geocode_cache WHERE provider = $1 AND address_key = $2`,
    [provider, addressKey],
  );
  const entry = rows[0];
  if (!entry) return { state: 'missing' };
  if (entry.status !== 'pending') return { state: 'resolved' };
  return { state: 'held', retryInMs: Math.max(100, entry.wait_ms ?? 100) };
}

/** The entry's status, or null when there is none: looked at before spending a rate slot. */
export async function cacheStatus(db: Queryable, provider: GeocodeProvider, addressKey: string): Promise<CacheStatus | null> {
  const { rows } = await db.query<{ status: CacheStatus }>(
    'SELECT status FROM pipeline.geocode_cache WHERE provider = $1 AND address_key = $2',
    [provider, addressKey],
  );
  return rows[0]?.status ?? null;
}

/** The provider's answer, written once: a later answer to the same pending entry cannot overwrite it. */
export async function resolveAddress(db: Queryable, provider: GeocodeProvider, addressKey: string, answer: GeocodeAnswer): Promise<void> {
  await db.query(
    `UPDATE pipeline.geocode_cache SET status = $3, lat = $4, lng = $5, precision = $6, place_id = $7, place_name = $8,
            error = NULL, claimed_by = NULL, claimed_until = NULL, resolved_at = now()
      WHERE provider = $1 AND address_key = $2 AND status = 'pending'`,
    [provider, addressKey, answer.status, answer.lat ?? null, answer.lng ?? null, answer.precision ?? null,
      answer.placeId ?? null, answer.placeName ?? null],
  );
}

/** The lookup failed for good (its tries used up): its rows are marked for review; a later run tries again. */
export async function failAddress(db: Queryable, provider: GeocodeProvider, addressKey: string, error: string): Promise<void> {
  await db.query(
    `UPDATE pipeline.geocode_cache SET status = 'failed', error = $3, claimed_by = NULL, claimed_until = NULL, resolved_at = now()
      WHERE provider = $1 AND address_key = $2 AND status = 'pending'`,
    [provider, addressKey, error.slice(0, 500)],
  );
}

/** A try that will be tried again gives its claim back, so the next try need not wait for the lease. */
export async function releaseClaim(db: Queryable, provider: GeocodeProvider, addressKey: string, holder: string, error: string): Promise<void> {
  await db.query(
    `UPDATE pipeline.geocode_cache SET claimed_by = NULL, claimed_until = NULL, error = $4
      WHERE provider = $1 AND address_key = $2 AND status = 'pending' AND claimed_by = $3`,
    [provider, addressKey, holder, error.slice(0, 500)],
  );
}
