// What a processor is: a plain function of its job's payload and the context. It knows nothing of
// BullMQ; src/queues/workers.ts adapts it.
import type { PipelineContext } from '../context';
import { getRun, getRunSnapshot, type RunRow, type RunSnapshot, type RunStatus } from '../db/runs';
import { resolveConfig, type ResolvedConfig } from '../domain/config-params';
import type { JobPayload, QueueName } from '../queues/names';

export interface JobHandle<Q extends QueueName> {
  id: string;
  data: JobPayload<Q>;
  /** 1 for the first try */
  attempt: number;
  isFinalAttempt: boolean;
  /** child jobs (a stage's transforms) that have not completed, with why those that failed did: a step must not run on part of its input */
  unfinishedChildren(): Promise<{ count: number; failures: string[] }>;
}

export type JobOutcome = 'success' | 'skipped';

export interface Processor<Q extends QueueName = QueueName> {
  queue: Q;
  process(job: JobHandle<Q>, ctx: PipelineContext): Promise<JobOutcome>;
}

/** A failure that retrying cannot fix (a file that cannot be parsed): the run fails with this message at once. */
export class RunFailure extends Error {}

export interface RunStep {
  run: RunRow;
  snapshot: RunSnapshot;
  /** the config as it was when the run started, with defaults filled in */
  config: ResolvedConfig;
}

/**
 * The run a job works on, with its config snapshot; null when the run has left `statuses` (cancelled,
 * superseded or already past this step), so the job has nothing left to do.
 */
export async function loadRunStep(ctx: PipelineContext, runId: number, statuses: readonly RunStatus[]): Promise<RunStep | null> {
  const run = await getRun(ctx.db, runId);
  if (!run || !statuses.includes(run.status)) return null;
  const snapshot = await getRunSnapshot(ctx.db, runId);
  return { run, snapshot, config: resolveConfig(snapshot.config_params, snapshot.source_type) };
}
