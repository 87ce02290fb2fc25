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
  /** Adds these jobs as children of this one (an id that exists is left as it is); add in pages. */
  addChildren(children: readonly ChildJob[]): Promise<void>;
  /**
   * When a child has not finished, parks this job until they all have: true then, and the processor
   * returns 'waiting'; it runs again from the top once they are done. A child's failure does not fail
   * this job.
   */
  waitForChildren(): Promise<boolean>;
}

export interface ChildJob<Q extends QueueName = QueueName> {
  queue: Q;
  jobId: string;
  data: JobPayload<Q>;
  /** over the queue's defaults (a step's settings may shorten retries) */
  attempts?: number;
  backoffMs?: number;
}

/** 'waiting': parked until its children are done (waitForChildren); no hand-on yet. */
export type JobOutcome = 'success' | 'skipped' | 'waiting';

export interface Processor<Q extends QueueName = QueueName> {
  queue: Q;
  process(job: JobHandle<Q>, ctx: PipelineContext): Promise<JobOutcome>;
}

/** A failure that retrying cannot fix (a file that cannot be parsed): the run fails with this message at once. */
export class RunFailure extends Error {}

/**
 * Not a failure: the fleet-wide rate for what this job calls is used up for `retryAfterMs`. The job goes
 * back to its queue without counting as a try, and the queue's workers pause that long (BullMQ's
 * worker.rateLimit), so nobody holds a slot while waiting.
 */
export class RateLimited extends Error {
  constructor(readonly retryAfterMs: number, what: string) {
    super(`rate limit for ${what}: next slot in ${retryAfterMs} ms`);
  }
}

/** Not a failure: someone else is doing this job's work (a claim held); look again in `delayMs`. */
export class RetryLater extends Error {
  constructor(readonly delayMs: number, why: string) {
    super(why);
  }
}

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
