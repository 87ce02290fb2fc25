// GET /metrics/summary (API.md): the whole fleet's figures for the admin UI's Metrics page, read from
// PostgreSQL (on the API's read pool) and Redis at request time. Prometheus /metrics is per process;
// this answer is the same whichever server process gives it.
import type { PipelineContext } from '../context';
import { metricsSummaryPath, metricsSummaryQuery, runStatuses, type MetricsSummary, type RunStatusCounts } from '../contract/metrics';
import { providerUsageSince } from '../db/provider-usage';
import { blobBytesPerDmo, runsByStatus, runsPerDay, windowStart, windowTotals } from '../db/run-metrics';
import { queueDepths } from '../queues/queue-depth';
import { ApiError, parseInput } from './errors';
import type { RouteSpec } from './routes';

const zeroStatuses = (): RunStatusCounts => Object.fromEntries(runStatuses.map((status) => [status, 0])) as RunStatusCounts;
const share = (part: number, whole: number) => (whole > 0 ? Math.min(1, part / whole) : 0);

/** Every day from `from` to today (UTC), oldest first. */
function daysFrom(from: Date, now: Date): string[] {
  const days: string[] = [];
  for (const day = new Date(from); day <= now; day.setUTCDate(day.getUTCDate() + 1)) days.push(day.toISOString().slice(0, 10));
  return days;
}

async function readQueues(ctx: PipelineContext) {
  try {
    return await queueDepths(ctx.queues);
  } catch (error) {
    throw new ApiError(503, 'redis_unavailable', `Redis cannot be reached (${(error as Error).message}), so the queue depths ` +
      'of the summary cannot be read; try again in a moment');
  }
}

export async function metricsSummary(ctx: PipelineContext, days: number): Promise<MetricsSummary> {
  const now = new Date();
  const { day: firstDay, from } = windowStart(days, now);
  const db = ctx.apiReads;
  const [byStatus, perDay, totals, usage, blobs, queues] = await Promise.all([
    runsByStatus(db), runsPerDay(db, from), windowTotals(db, from), providerUsageSince(db, firstDay), blobBytesPerDmo(db, from), readQueues(ctx),
  ]);

  const dayCounts = new Map(daysFrom(from, now).map((day) => [day, zeroStatuses()]));
  for (const row of perDay) {
    const counts = dayCounts.get(row.day);
    if (counts) counts[row.status] = row.n;
  }
  // every provider the pipeline calls is a geocoder (DESIGN.md): the geocode figures are their sum
  const sum = (key: 'calls' | 'errors' | 'cache_hits') => usage.reduce((total, row) => total + row[key], 0);

  return {
    generated_at: now.toISOString(),
    window: { days, from: from.toISOString(), to: now.toISOString() },
    runs: {
      by_status: byStatus,
      per_day: [...dayCounts].map(([day, counts]) => ({ day, total: Object.values(counts).reduce((a, b) => a + b, 0), by_status: counts })),
    },
    rows: {
      imported: totals.imported,
      staged: {
        new: totals.staged_new, updated: totals.staged_updated, unchanged: totals.staged_unchanged, deleted: totals.staged_deleted,
        duplicates: totals.staged_duplicates, possible_match: totals.staged_possible_match,
      },
      rejected: totals.rejected,
      promoted: { inserted: totals.promoted_inserted, updated: totals.promoted_updated, deleted: totals.promoted_deleted },
    },
    error_rate: { records: share(totals.rejected, totals.imported), runs: share(totals.runs_failed, totals.runs_ended) },
    throughput: {
      runs: totals.staged_runs,
      records: totals.staged_records,
      busy_minutes: totals.busy_seconds / 60,
      records_per_minute: totals.busy_seconds > 0 ? totals.staged_records / (totals.busy_seconds / 60) : null,
    },
    queues: queues.map(({ queue, counts, oldestWaitingSeconds }) => ({ queue, counts, oldest_waiting_seconds: oldestWaitingSeconds })),
    geocode: { calls: sum('calls'), errors: sum('errors'), cache_hits: sum('cache_hits') },
    cost: {
      provider_calls: usage,
      blob_bytes: blobs,
      blob_bytes_total: blobs.reduce((total, row) => total + row.bytes, 0),
    },
  };
}

export function metricsRoutes(ctx: PipelineContext): RouteSpec[] {
  return [
    {
      method: 'get', path: metricsSummaryPath, access: 'pipeline:read',
      handler: async (req) => metricsSummary(ctx, parseInput(metricsSummaryQuery, req.query).days),
    },
  ];
}
