// What the fleet's runs add up to, read from PostgreSQL: the API's cluster-wide Prometheus gauges
// (read at each scrape, so each query is one pass over an index or a small table) and the figures of
// GET /metrics/summary over a window of days.
import { runStatuses, type RunStatus } from '../domain/run-lifecycle';
import type { Queryable } from './pool';

export type StatusCounts = Record<RunStatus, number>;

const zeroCounts = (): StatusCounts => Object.fromEntries(runStatuses.map((status) => [status, 0])) as StatusCounts;

/** Every run on record by its status now, each status present. */
export async function runsByStatus(db: Queryable): Promise<StatusCounts> {
  const { rows } = await db.query<{ status: RunStatus; n: number }>('SELECT status, count(*)::bigint AS n FROM pipeline.jobs GROUP BY status');
  const counts = zeroCounts();
  for (const row of rows) counts[row.status] = row.n;
  return counts;
}

/** The statuses in which a run waits for a person: an upload, or a review. */
export const waitingForPeople = ['waiting_for_input', 'awaiting_review'] as const;

/**
 * How long the longest-waiting run of each status has waited for a person, in seconds (0 when none):
 * since it was created for an upload, since it was staged for a review.
 */
export async function oldestRunWaits(db: Queryable): Promise<Record<(typeof waitingForPeople)[number], number>> {
  const { rows } = await db.query<{ waiting_for_input: number | null; awaiting_review: number | null }>(
    `SELECT extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'waiting_for_input'))::float8 AS waiting_for_input,
            extract(epoch FROM now() - min(coalesce(staged_at, updated_at)) FILTER (WHERE status = 'awaiting_review'))::float8 AS awaiting_review
       FROM pipeline.jobs WHERE status IN ('waiting_for_input', 'awaiting_review')`,
  );
  return { waiting_for_input: Math.max(0, rows[0]?.waiting_for_input ?? 0), awaiting_review: Math.max(0, rows[0]?.awaiting_review ?? 0) };
}

export interface ConfigLastRun {
  config_id: number;
  dmo_id: number;
  dmo_name: string;
  run_id: number;
  /** the config's latest run that is not in progress (waiting for a file, queued or running) failed */
  failed: boolean;
  /** of the config's latest staged run: rejected records and duplicates over records delivered (0 before any) */
  error_ratio: number;
  duplicate_ratio: number;
}

/** Per config: whether its latest settled run failed, and the error and duplicate shares of its latest staged run. */
export async function configLastRuns(db: Queryable): Promise<ConfigLastRun[]> {
  const { rows } = await db.query<ConfigLastRun>(
    `WITH settled AS (
       SELECT DISTINCT ON (config_id) config_id, dmo_id, id AS run_id, status = 'failed' AS failed
         FROM pipeline.jobs WHERE status NOT IN ('waiting_for_input', 'queued', 'running')
        ORDER BY config_id, id DESC
     ), staged AS (
       SELECT DISTINCT ON (j.config_id) j.config_id,
              r.records_error::float8 / nullif(r.records_total, 0) AS error_ratio,
              r.records_duplicates::float8 / nullif(r.records_total, 0) AS duplicate_ratio
         FROM pipeline.jobs j JOIN pipeline.job_results r ON r.job_id = j.id
        WHERE j.staged_at IS NOT NULL
        ORDER BY j.config_id, j.id DESC
     )
     SELECT s.config_id, s.dmo_id, d.name AS dmo_name, s.run_id, s.failed,
            coalesce(st.error_ratio, 0) AS error_ratio, coalesce(st.duplicate_ratio, 0) AS duplicate_ratio
       FROM settled s JOIN public.dmos d ON d.id = s.dmo_id LEFT JOIN staged st USING (config_id)
      ORDER BY s.config_id`,
  );
  return rows;
}

// ---------------------------------------------------------------- the summary's window

/** The window's first day (UTC, YYYY-MM-DD) and its start, for `days` days ending today. */
export function windowStart(days: number, now = new Date()): { day: string; from: Date } {
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
  return { day: from.toISOString().slice(0, 10), from };
}

/** Runs created on each UTC day from `from` on, by their status now; days without runs are absent. */
export async function runsPerDay(db: Queryable, from: Date): Promise<{ day: string; status: RunStatus; n: number }[]> {
  const { rows } = await db.query<{ day: string; status: RunStatus; n: number }>(
    `SELECT (created_at AT TIME ZONE 'UTC')::date::text AS day, status, count(*)::bigint AS n
       FROM pipeline.jobs WHERE created_at >= $1 GROUP BY 1, 2 ORDER BY 1`,
    [from],
  );
  return rows;
}

export interface WindowTotals {
  imported: number;
  staged_new: number;
  staged_updated: number;
  staged_unchanged: number;
  staged_deleted: number;
  staged_duplicates: number;
  staged_possible_match: number;
  rejected: number;
  promoted_inserted: number;
  promoted_updated: number;
  promoted_deleted: number;
  runs_ended: number;
  runs_failed: number;
  staged_runs: number;
  staged_records: number;
  busy_seconds: number;
}

/**
 * Over the runs created from `from` on: records per step (results and promote_results), how many
 * ended and failed; and over the runs staged from `from` on, their records and the seconds from
 * start to staged.
 */
export async function windowTotals(db: Queryable, from: Date): Promise<WindowTotals> {
  const { rows } = await db.query<WindowTotals>(
    `WITH created AS (
       SELECT j.status, r.*, j.promote_results
         FROM pipeline.jobs j LEFT JOIN pipeline.job_results r ON r.job_id = j.id
        WHERE j.created_at >= $1
     ), staged AS (
       SELECT r.records_total, extract(epoch FROM j.staged_at - j.started_at) AS seconds
         FROM pipeline.jobs j JOIN pipeline.job_results r ON r.job_id = j.id
        WHERE j.staged_at >= $1 AND j.started_at IS NOT NULL AND j.staged_at >= j.started_at
     )
     SELECT coalesce(sum(records_total), 0)::bigint AS imported,
            coalesce(sum(records_new), 0)::bigint AS staged_new,
            coalesce(sum(records_updated), 0)::bigint AS staged_updated,
            coalesce(sum(records_unchanged), 0)::bigint AS staged_unchanged,
            coalesce(sum(records_deleted), 0)::bigint AS staged_deleted,
            coalesce(sum(records_duplicates), 0)::bigint AS staged_duplicates,
            coalesce(sum(records_possible_match), 0)::bigint AS staged_possible_match,
            coalesce(sum(records_error), 0)::bigint AS rejected,
            coalesce(sum((promote_results->>'inserted')::bigint), 0)::bigint AS promoted_inserted,
            coalesce(sum((promote_results->>'updated')::bigint), 0)::bigint AS promoted_updated,
            coalesce(sum((promote_results->>'deleted')::bigint), 0)::bigint AS promoted_deleted,
            count(*) FILTER (WHERE status IN ('promoted', 'failed', 'cancelled', 'superseded'))::bigint AS runs_ended,
            count(*) FILTER (WHERE status = 'failed')::bigint AS runs_failed,
            (SELECT count(*) FROM staged)::bigint AS staged_runs,
            (SELECT coalesce(sum(records_total), 0) FROM staged)::bigint AS staged_records,
            (SELECT coalesce(sum(seconds), 0) FROM staged)::float8 AS busy_seconds
       FROM created`,
    [from],
  );
  return rows[0]!;
}

export interface BlobBytesOfDmo {
  dmo_id: number;
  dmo_name: string;
  files: number;
  upload_bytes: number;
  raw_bytes: number;
  bytes: number;
}

/** Bytes of the files (uploads and raw files) written to the blob store from `from` on, by DMO, most first. */
export async function blobBytesPerDmo(db: Queryable, from: Date): Promise<BlobBytesOfDmo[]> {
  const { rows } = await db.query<BlobBytesOfDmo>(
    `SELECT f.dmo_id, d.name AS dmo_name, count(*)::bigint AS files,
            coalesce(sum(f.bytes) FILTER (WHERE f.kind = 'upload'), 0)::bigint AS upload_bytes,
            coalesce(sum(f.bytes) FILTER (WHERE f.kind = 'raw'), 0)::bigint AS raw_bytes,
            coalesce(sum(f.bytes), 0)::bigint AS bytes
       FROM pipeline.job_files f JOIN public.dmos d ON d.id = f.dmo_id
      WHERE f.created_at >= $1
      GROUP BY f.dmo_id, d.name ORDER BY bytes DESC, f.dmo_id`,
    [from],
  );
  return rows;
}
