// pipeline.provider_usage: calls to paid or rate-limited providers per UTC day, provider, endpoint and
// DMO, the fleet's running total behind the Metrics page's cost tracking. A worker that calls a
// provider records the call here and in Prometheus (countProviderCall in src/metrics.ts): the counter
// is that process's, gone when it restarts; this row is what GET /metrics/summary reads.
import type { ProviderCallOutcome } from '../metrics';
import type { Queryable } from './pool';

export interface ProviderUsage {
  provider: string;
  endpoint: string;
  dmoId: number;
  /** calls made, with their outcome; a batch of n calls of one outcome may be recorded at once */
  outcome?: ProviderCallOutcome;
  calls?: number;
  /** lookups the cache answered instead of a call */
  cacheHits?: number;
}

/** Adds calls (of one outcome) and cache hits to today's row (UTC) of the provider, endpoint and DMO. */
export async function recordProviderUsage(db: Queryable, usage: ProviderUsage): Promise<void> {
  const calls = usage.calls ?? (usage.outcome ? 1 : 0);
  const errors = usage.outcome === 'error' || usage.outcome === 'quota_exceeded' ? calls : 0;
  const quotaErrors = usage.outcome === 'quota_exceeded' ? calls : 0;
  const cacheHits = usage.cacheHits ?? 0;
  if (calls === 0 && cacheHits === 0) return;
  await db.query(
    `INSERT INTO pipeline.provider_usage AS u (day, provider, endpoint, dmo_id, calls, errors, quota_errors, cache_hits)
     VALUES ((now() AT TIME ZONE 'UTC')::date, $1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (day, provider, endpoint, dmo_id) DO UPDATE SET
       calls = u.calls + excluded.calls, errors = u.errors + excluded.errors,
       quota_errors = u.quota_errors + excluded.quota_errors, cache_hits = u.cache_hits + excluded.cache_hits,
       updated_at = now()`,
    [usage.provider, usage.endpoint, usage.dmoId, calls, errors, quotaErrors, cacheHits],
  );
}

export interface ProviderUsageTotal {
  provider: string;
  endpoint: string;
  calls: number;
  errors: number;
  quota_errors: number;
  cache_hits: number;
}

/** Totals per provider and endpoint from the UTC day `from` on, most calls first. */
export async function providerUsageSince(db: Queryable, from: string): Promise<ProviderUsageTotal[]> {
  const { rows } = await db.query<ProviderUsageTotal>(
    `SELECT provider, endpoint, sum(calls)::bigint AS calls, sum(errors)::bigint AS errors,
            sum(quota_errors)::bigint AS quota_errors, sum(cache_hits)::bigint AS cache_hits
       FROM pipeline.provider_usage WHERE day >= $1::date
      GROUP BY provider, endpoint ORDER BY calls DESC, provider, endpoint`,
    [from],
  );
  return rows;
}
