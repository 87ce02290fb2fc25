// The edge of GET /api/v1/pipeline/metrics/summary (API.md "counts per status, throughput, error
// rates, geocode calls and cache hits"), as zod schemas: the server parses its query and checks its
// answer with them, the admin UI's Metrics page takes its types from them. Answered from PostgreSQL
// (runs, their results, files, provider usage) and Redis (queue depths), so it is the whole fleet's
// picture, unlike one process's Prometheus /metrics. Timestamps are ISO 8601 strings; days are UTC
// dates (YYYY-MM-DD). Pure: zod and pure modules only (the browser imports this file).
import { z } from 'zod';
import { runStatuses } from '../domain/run-lifecycle';
import { queueNames } from '../queues/names';

export { runStatuses, type RunStatus } from '../domain/run-lifecycle';
export { queueNames, type QueueName } from '../queues/names';

/** Under the pipeline prefix (/api/v1/pipeline), pipeline:read. */
export const metricsSummaryPath = '/metrics/summary';

export const defaultSummaryDays = 30;
export const maxSummaryDays = 365;
export const metricsSummaryQuery = z.object({
  /** the window: today (UTC) and the days before it, `days` in all */
  days: z.coerce.number({ error: `expected a whole number of days from 1 to ${maxSummaryDays}` })
    .int({ error: `expected a whole number of days from 1 to ${maxSummaryDays}` })
    .min(1, { error: `expected a whole number of days from 1 to ${maxSummaryDays}` })
    .max(maxSummaryDays, { error: `at most ${maxSummaryDays} days` })
    .default(defaultSummaryDays),
});
export type MetricsSummaryQuery = z.infer<typeof metricsSummaryQuery>;

const count = z.number().int().nonnegative();
/** a share from 0 to 1; 0 when there was nothing to divide */
const ratio = z.number().min(0).max(1);
const timestamp = z.iso.datetime();

/** One count per run status, every status present (zero when none). */
export const runStatusCounts = z.record(z.enum(runStatuses), count);
export type RunStatusCounts = z.infer<typeof runStatusCounts>;

export const queueStates = ['waiting', 'prioritized', 'active', 'delayed', 'waiting-children', 'failed', 'completed'] as const;
export type QueueState = (typeof queueStates)[number];

export const metricsSummary = z.object({
  generated_at: timestamp,
  window: z.object({
    days: z.number().int().positive(),
    /** the first day's start (00:00 UTC) */
    from: timestamp,
    /** now */
    to: timestamp,
  }),
  runs: z.object({
    /** every run on record, by the status it has now */
    by_status: runStatusCounts,
    /** every day of the window, oldest first, zeros included: the runs created that day, by the status they have now */
    per_day: z.array(z.object({ day: z.iso.date(), total: count, by_status: runStatusCounts })),
  }),
  /**
   * Records per step, over the runs created in the window: what the sources delivered (imported),
   * what staging proposed by the record's action, what validation rejected, and what promote wrote
   * to production (inserted, updated, deleted).
   */
  rows: z.object({
    imported: count,
    staged: z.object({ new: count, updated: count, unchanged: count, deleted: count, duplicates: count, possible_match: count }),
    rejected: count,
    promoted: z.object({ inserted: count, updated: count, deleted: count }),
  }),
  error_rate: z.object({
    /** records rejected by validation over records imported, in the window */
    records: ratio,
    /** runs of the window that ended failed, over those that ended (promoted, failed, cancelled, superseded) */
    runs: ratio,
  }),
  /**
   * The runs staged in the window (import, transform and stage done): their records over the minutes
   * from their start to staged, added up. records_per_minute is null when there is no such run.
   */
  throughput: z.object({
    runs: count,
    records: count,
    busy_minutes: z.number().nonnegative(),
    records_per_minute: z.number().nonnegative().nullable(),
  }),
  /** now, from Redis: every queue with a count per state, and how long its oldest waiting job has waited */
  queues: z.array(z.object({
    queue: z.enum(queueNames),
    counts: z.record(z.enum(queueStates), count),
    /** null when nothing waits */
    oldest_waiting_seconds: z.number().nonnegative().nullable(),
  })),
  /** geocoding over the window (pipeline.provider_usage): provider calls, the failed ones among them, and lookups the cache answered */
  geocode: z.object({ calls: count, errors: count, cache_hits: count }),
  /** what the notes call cost tracking, over the window */
  cost: z.object({
    /** calls to paid or rate-limited providers, by provider and endpoint, most calls first */
    provider_calls: z.array(z.object({
      provider: z.string(),
      endpoint: z.string(),
      calls: count,
      errors: count,
      /** errors that were the provider refusing for quota or rate */
      quota_errors: count,
      cache_hits: count,
    })),
    /** bytes written to the blob store (uploads and raw files), by DMO, most bytes first */
    blob_bytes: z.array(z.object({
      dmo_id: z.number().int().positive(),
      dmo_name: z.string(),
      files: count,
      upload_bytes: count,
      raw_bytes: count,
      bytes: count,
    })),
    blob_bytes_total: count,
  }),
});
export type MetricsSummary = z.infer<typeof metricsSummary>;
