// pipeline.jobs: the runs. PostgreSQL is the truth about a run; BullMQ only carries out its steps.
import { finishedStatuses, lifecycle, type RunEvent, type RunStage, type RunStatus } from '../domain/run-lifecycle';
import type { Queryable } from './pool';

export { runStatuses, type RunStage, type RunStatus } from '../domain/run-lifecycle';


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
  imported_at: Date | null;
  created_at: Date;
  started_at: Date | null;
  staged_at: Date | null;
  finished_at: Date | null;
}

export async function getRun(db: Queryable, runId: number): Promise<RunRow | null> {
  const { rows } = await db.query<RunRow>('SELECT * FROM pipeline.jobs WHERE id = $1', [runId]);
  return rows[0] ?? null;
}

// staged_at: when staging ended (the run became ready for review, or went on to promote unattended)
const stagedEvents: readonly RunEvent[] = ['staged_for_review', 'staged_unattended'];

/** migrations/0003: at most one run of a config queued, running or promoting */
const oneInFlightIndex = 'jobs_one_in_flight_per_config';
const inFlightStatuses: readonly RunStatus[] = ['queued', 'running', 'promoting'];

/** A move refused because another run of the same config is in flight (DESIGN.md: one at a time). */
export class RunInFlight extends Error {
  constructor(readonly runId: number, readonly status: RunStatus) {
    super(`Run ${runId} of this config is ${status}: a config runs one run at a time, so wait until it has finished`);
  }
}

const isOneInFlightViolation = (error: unknown) =>
  (error as { code?: string; constraint?: string }).code === '23505' && (error as { constraint?: string }).constraint === oneInFlightIndex;

/** The config's run in flight, if any. */
export async function runInFlight(db: Queryable, configId: number): Promise<{ id: number; status: RunStatus } | null> {
  const { rows } = await db.query<{ id: string; status: RunStatus }>(
    'SELECT id, status FROM pipeline.jobs WHERE config_id = $1 AND status = ANY($2::text[]) ORDER BY id LIMIT 1',
    [configId, inFlightStatuses],
  );
  return rows[0] ? { id: Number(rows[0].id), status: rows[0].status } : null;
}

/** The config's run waiting for its file, if any: a schedule does not pile up another behind it. */
export async function runWaitingForFile(db: Queryable, configId: number): Promise<number | null> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM pipeline.jobs WHERE config_id = $1 AND status = 'waiting_for_input' ORDER BY id DESC LIMIT 1`, [configId]);
  return rows[0] ? Number(rows[0].id) : null;
}

async function refuseSecondInFlight(db: Queryable, runId: number): Promise<never> {
  const { rows } = await db.query<{ config_id: number }>('SELECT config_id FROM pipeline.jobs WHERE id = $1', [runId]);
  const other = rows[0] ? await runInFlight(db, rows[0].config_id) : null;
  throw new RunInFlight(other?.id ?? 0, other?.status ?? 'running');
}

export interface RunMove {
  /** whether this call moved the run (false: another request moved it first, or the table refuses) */
  moved: boolean;
  /** the run's status after the call; null when there is no such run */
  status: RunStatus | null;
}

/**
 * Applies a lifecycle event as one compare-and-set: the run moves only from a status the event allows
 * (src/domain/run-lifecycle.ts), so of two requests at the same moment exactly one moves it.
 */
export async function applyRunEvent(
  db: Queryable,
  runId: number,
  event: RunEvent,
  extra: { stage?: RunStage; errorSummary?: string | null } = {},
): Promise<RunMove> {
  const { from, to } = lifecycle[event];
  const result = await db.query<{ status: RunStatus }>(
    `UPDATE pipeline.jobs
        SET status = $3,
            stage = coalesce($4, stage),
            error_summary = CASE WHEN $5::boolean THEN $6 ELSE error_summary END,
            started_at = CASE WHEN $3 = 'running' THEN coalesce(started_at, now()) ELSE started_at END,
            finished_at = CASE WHEN $7::boolean THEN now() ELSE NULL END,
            staged_at = CASE WHEN $8::boolean THEN now() ELSE staged_at END,
            updated_at = now()
      WHERE id = $1 AND status = ANY($2::text[])
      RETURNING status`,
    [runId, from, to, extra.stage ?? null, extra.errorSummary !== undefined, extra.errorSummary ?? null,
      finishedStatuses.includes(to), stagedEvents.includes(event)],
  ).catch((error: unknown) => (isOneInFlightViolation(error) ? refuseSecondInFlight(db, runId) : Promise.reject(error)));
  if (result.rows[0]) return { moved: true, status: result.rows[0].status };
  const current = await db.query<{ status: RunStatus }>('SELECT status FROM pipeline.jobs WHERE id = $1', [runId]);
  return { moved: false, status: current.rows[0]?.status ?? null };
}

/** The lifecycle's newer_run_staged, set-based: a run staged makes the config's older unpromoted runs stale. */
export async function supersedeOlderRuns(db: Queryable, configId: number, runId: number): Promise<number> {
  const { from, to } = lifecycle.newer_run_staged;
  const result = await db.query(
    `UPDATE pipeline.jobs SET status = $4, finished_at = now(), updated_at = now(), error_summary = 'Superseded by run ' || $2::bigint
      WHERE config_id = $1 AND id < $2 AND status = ANY($3::text[])`,
    [configId, runId, from, to],
  );
  return result.rowCount ?? 0;
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

export interface RunSnapshot {
  job_id: number;
  config_id: number;
  dmo_id: number;
  source_type: import('../domain/config-params').SourceType;
  data_domain: string;
  config_params: import('../domain/config-params').ConfigParams;
  config_version: number;
}

/**
 * Creates a run of a config with a snapshot of the config as it is now (a later edit never changes it).
 * A queued run while another of the config is in flight is not created: that run's id is thrown as RunInFlight.
 */
export async function createRun(
  db: Queryable,
  configId: number,
  status: 'waiting_for_input' | 'queued',
  createdBy: number | null,
  triggeredBy: 'manual' | 'schedule' = 'manual',
): Promise<number> {
  const inserted = await db.query<{ id: number }>(
    `WITH config AS (SELECT * FROM pipeline.configs WHERE id = $1 AND deleted_at IS NULL),
          run AS (
            INSERT INTO pipeline.jobs (config_id, dmo_id, data_domain, status, created_by, triggered_by)
            SELECT id, dmo_id, data_domain, $2, $3, $4 FROM config RETURNING id),
          snapshot AS (
            INSERT INTO pipeline.job_configs (job_id, config_id, dmo_id, source_type, data_domain, config_params,
                                              config_version, schedule, source_updated_at)
            SELECT run.id, c.id, c.dmo_id, c.source_type, c.data_domain, c.config_params, c.version, c.schedule, c.updated_at
              FROM run, config c),
          results AS (INSERT INTO pipeline.job_results (job_id) SELECT id FROM run)
     SELECT id FROM run`,
    [configId, status, createdBy, triggeredBy],
  ).catch(async (error: unknown) => {
    if (!isOneInFlightViolation(error)) throw error;
    const other = await runInFlight(db, configId);
    // the run in flight finished between the two statements: the slot is free, so try once more
    if (!other) return null;
    throw new RunInFlight(other.id, other.status);
  });
  if (inserted === null) return createRun(db, configId, status, createdBy, triggeredBy);
  const id = inserted.rows[0]?.id;
  if (id === undefined) throw new Error(`Config ${configId} does not exist`);
  return id;
}

export async function getRunSnapshot(db: Queryable, runId: number): Promise<RunSnapshot> {
  const { rows } = await db.query<RunSnapshot>('SELECT * FROM pipeline.job_configs WHERE job_id = $1', [runId]);
  if (!rows[0]) throw new Error(`Run ${runId} has no config snapshot`);
  return rows[0];
}

/** The mapping actually used (a suggested one when the config named none) is kept with the run. */
export async function saveSnapshotMapping(db: Queryable, runId: number, mapping: Record<string, string>): Promise<void> {
  await db.query(
    `UPDATE pipeline.job_configs
        SET config_params = jsonb_set(config_params, '{transform}',
              coalesce(config_params->'transform', '{}'::jsonb) || jsonb_build_object('map_fields', $2::jsonb))
      WHERE job_id = $1`,
    [runId, JSON.stringify(mapping)],
  );
}

export async function markImported(db: Queryable, runId: number, recordsTotal: number, importErrors: number): Promise<void> {
  await db.query('UPDATE pipeline.jobs SET imported_at = now(), updated_at = now() WHERE id = $1', [runId]);
  await db.query(
    'UPDATE pipeline.job_results SET records_total = $2, records_error = $3, updated_at = now() WHERE job_id = $1',
    [runId, recordsTotal, importErrors],
  );
}

export interface RunResults {
  records_total: number;
  records_new: number;
  records_updated: number;
  records_deleted: number;
  records_duplicates: number;
  records_unchanged: number;
  records_possible_match: number;
  records_error: number;
}

export async function listRuns(db: Queryable, filter: { configId?: number; status?: RunStatus }, limit = 100, offset = 0) {
  const { rows } = await db.query(
    `SELECT j.*, to_jsonb(r) - 'job_id' - 'updated_at' AS results
       FROM pipeline.jobs j LEFT JOIN pipeline.job_results r ON r.job_id = j.id
      WHERE ($1::bigint IS NULL OR j.config_id = $1) AND ($2::text IS NULL OR j.status = $2)
      ORDER BY j.id DESC LIMIT $3 OFFSET $4`,
    [filter.configId ?? null, filter.status ?? null, limit, offset],
  );
  return rows as (RunRow & { results: RunResults | null })[];
}

export async function getRunWithResults(db: Queryable, runId: number) {
  const { rows } = await db.query(
    `SELECT j.*, to_jsonb(r) - 'job_id' - 'updated_at' AS results
       FROM pipeline.jobs j LEFT JOIN pipeline.job_results r ON r.job_id = j.id WHERE j.id = $1`,
    [runId],
  );
  return (rows[0] as (RunRow & { results: RunResults | null }) | undefined) ?? null;
}

/** Runs PostgreSQL says should be moving: after Redis was lost they are enqueued again. */
export async function runsToResume(db: Queryable): Promise<Pick<RunRow, 'id' | 'status' | 'stage' | 'imported_at'>[]> {
  const { rows } = await db.query(
    `SELECT id, status, stage, imported_at FROM pipeline.jobs WHERE status IN ('queued', 'running', 'promoting') ORDER BY id`,
  );
  return rows;
}
