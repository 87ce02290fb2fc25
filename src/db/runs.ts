// pipeline.jobs: the runs. PostgreSQL is the truth about a run; BullMQ only carries out its steps.
import type { Queryable } from './pool';

export const runStatuses = [
  'waiting_for_input', 'queued', 'running', 'awaiting_review', 'promoting', 'promoted', 'failed', 'cancelled', 'superseded',
] as const;
export type RunStatus = (typeof runStatuses)[number];
export type RunStage = 'import' | 'transform' | 'stage' | 'review' | 'promote';

/** Statuses a run can still move on from. */
export const activeStatuses: RunStatus[] = ['waiting_for_input', 'queued', 'running', 'awaiting_review', 'promoting'];

export interface RunRow {
  id: number;
  config_id: number;
  dmo_id: number;
  data_domain: string;
  status: RunStatus;
  stage: RunStage;
  progress_done: number;
  progress_total: number;
  triggered_by: 'manual' | 'schedule';
  created_by: number | null;
  error_summary: string | null;
  delete_guard: string | null;
  promote_results: Record<string, number> | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export async function getRun(db: Queryable, runId: number): Promise<RunRow | null> {
  const { rows } = await db.query<RunRow>('SELECT * FROM pipeline.jobs WHERE id = $1', [runId]);
  return rows[0] ?? null;
}

/** Moves a run to `to` only from one of `from`; returns false when the run was elsewhere (a cancel won). */
export async function transitionRun(
  db: Queryable,
  runId: number,
  from: RunStatus[],
  to: RunStatus,
  extra: { stage?: RunStage; errorSummary?: string | null } = {},
): Promise<boolean> {
  const finished = ['awaiting_review', 'promoted', 'failed', 'cancelled', 'superseded'].includes(to);
  const result = await db.query(
    `UPDATE pipeline.jobs
        SET status = $3,
            stage = coalesce($4, stage),
            error_summary = CASE WHEN $5::boolean THEN $6 ELSE error_summary END,
            started_at = CASE WHEN $3 = 'running' THEN coalesce(started_at, now()) ELSE started_at END,
            finished_at = CASE WHEN $7::boolean THEN now() ELSE NULL END,
            updated_at = now()
      WHERE id = $1 AND status = ANY($2::text[])`,
    [runId, from, to, extra.stage ?? null, extra.errorSummary !== undefined, extra.errorSummary ?? null, finished],
  );
  return result.rowCount === 1;
}

export async function markRunFailed(db: Queryable, runId: number, message: string): Promise<void> {
  await transitionRun(db, runId, ['queued', 'running', 'promoting'], 'failed', { errorSummary: message.slice(0, 2000) });
}

/** Live progress of the step the run is in. */
export async function setRunProgress(db: Queryable, runId: number, stage: RunStage, done: number, total: number): Promise<void> {
  await db.query(
    `UPDATE pipeline.jobs SET stage = $2, progress_done = $3, progress_total = $4, updated_at = now() WHERE id = $1`,
    [runId, stage, done, total],
  );
}

export async function addRunProgress(db: Queryable, runId: number, done: number): Promise<void> {
  await db.query(`UPDATE pipeline.jobs SET progress_done = progress_done + $2, updated_at = now() WHERE id = $1`, [runId, done]);
}
