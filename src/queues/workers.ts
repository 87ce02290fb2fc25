// Starts BullMQ workers for the chosen queues, each running the one processor registered for it.
import { DelayedError, UnrecoverableError, WaitingChildrenError, WaitingError, Worker, type Job, type WorkerOptions } from 'bullmq';
import type { PipelineContext } from '../context';
import { failPendingImages } from '../db/images';
import { applyRunEvent, getRun } from '../db/runs';
import { retryEvent, type RunStage } from '../domain/run-lifecycle';
import { RateLimited, RetryLater, RunFailure, type ChildJob, type Processor } from '../processors/processor';
import { createRedis } from './connection';
import { RedisErrorLog } from './redis-errors';
import { isQueueName, jobPayloads, queueNames, type JobPayload, type QueueName } from './names';
import { jobDuration, jobFailures } from '../metrics';
import { jobOptionsOf } from './queues';
import { onStepDone, removeWaitingRunJobs } from './run-flow';
import { purgeStaging, purgeStagingJob, scheduledImportJob, scheduledImportPayload, startScheduledRun } from './schedules';

export type ProcessorMap = { [Q in QueueName]: Processor<Q> };

/** One processor per queue: a queue with none or with two stops start-up. */
export function processorMap(processors: readonly Processor[]): ProcessorMap {
  const map: Partial<Record<QueueName, Processor>> = {};
  for (const processor of processors) {
    if (map[processor.queue]) throw new Error(`Two processors are registered for queue "${processor.queue}"`);
    map[processor.queue] = processor;
  }
  const missing = queueNames.filter((name) => !map[name]);
  if (missing.length) throw new Error(`No processor is registered for queue(s): ${missing.join(', ')}`);
  return map as ProcessorMap;
}

export interface StartWorkersOptions {
  ctx: PipelineContext;
  processors: ProcessorMap;
  queues: readonly QueueName[];
  concurrency: number;
  /** over the settings' lock and stall intervals (tests shorten them) */
  workerOptions?: Partial<WorkerOptions>;
}

// The jobs each worker is running, as "queue/job id": what a stop whose grace ended names.
const jobsOf = new WeakMap<Worker, Set<string>>();

export function jobsRunning(workers: readonly Worker[]): string[] {
  return workers.flatMap((worker) => [...(jobsOf.get(worker) ?? [])]);
}

export function startWorkers({ ctx, processors, queues, concurrency, workerOptions }: StartWorkersOptions): Worker[] {
  return queues.map((queue) => {
    const connection = createRedis(ctx.settings.REDIS_URL, 'worker');
    const jobs = new Set<string>();
    const worker: Worker = new Worker(queue, async (job: Job, token?: string) => {
      // BullMQ fetches once more as a closing worker's blocking connection ends: a job it hands out
      // then goes back to the queue untouched, for another worker
      if (worker.closing && token) {
        await job.moveToWait(token);
        throw new WaitingError();
      }
      const name = `${queue}/${job.id}`;
      jobs.add(name);
      try {
        return await runJob(ctx, processors[queue] as Processor, queue, job, token);
      } catch (error) {
        // a job handed back is no failure: it waits without holding a slot, and no try is counted
        if (error instanceof RateLimited) {
          await worker.rateLimit(error.retryAfterMs);
          throw Worker.RateLimitError();
        }
        if (error instanceof RetryLater && token) {
          await job.moveToDelayed(Date.now() + error.delayMs, token);
          throw new DelayedError();
        }
        throw error;
      } finally {
        jobs.delete(name);
      }
    }, {
      connection,
      prefix: ctx.settings.QUEUE_PREFIX,
      concurrency,
      // a job whose worker died (lock lapsed) goes back to wait once; a second stall fails it (maxStalledCount 1)
      lockDuration: ctx.settings.WORKER_LOCK_DURATION_MS,
      stalledInterval: ctx.settings.WORKER_STALLED_INTERVAL_MS,
      maxStalledCount: 1,
      // BullMQ honours worker.rateLimit only on a queue with a limiter; ours is the fleet-wide one in
      // src/queues/rate-limiter.ts, so this one is set far above any provider's rate
      ...(queue === 'geocode' || queue === 'image' ? { limiter: { max: 10_000, duration: 1_000 } } : {}),
      ...workerOptions,
    });
    jobsOf.set(worker, jobs);
    jobFailures.inc({ queue }, 0); // the series exists from the start: a first failure is an increase, not a new series
    // a connection passed in stays open after close(): this worker owns it
    worker.on('closed', () => connection.disconnect());
    new RedisErrorLog(ctx.log, connection, { connection: 'worker', queue }).listen(worker, {}, 'worker error');
    worker.on('failed', (job, error) => {
      jobFailures.inc({ queue });
      ctx.log.warn({ queue, jobId: job?.id, runId: (job?.data as { runId?: number } | undefined)?.runId, attempt: job?.attemptsMade,
        err: error.message }, 'job failed');
      // BullMQ also fails a job itself (stalled more often than allowed) without running it: its run fails too
      if (job) void failRunOfFailedJob(ctx, queue, job, error.message);
    });
    return worker;
  });
}

/** The step of a run each queue carries out: what a failure fails, and so what a retry resumes. */
const stepOfQueue: Record<QueueName, RunStage | null> = {
  import: 'import', transform: 'transform', stage: 'stage', promote: 'promote',
  // an address whose lookup failed for good is marked failed on its rows by the stage, which goes on
  geocode: null,
  image: null, // a failed image never fails its run: production only ever points at stored copies
};

/** A step failed for good: its run fails with the error, and the run's other jobs that wait are removed. */
async function failRun(ctx: PipelineContext, queue: QueueName, step: RunStage, runId: number, message: string): Promise<void> {
  try {
    const move = await applyRunEvent(ctx.db, runId, 'step_failed', { stage: step, errorSummary: `${queue} step failed: ${message}`.slice(0, 2000) });
    // a sibling transform waiting to start would otherwise run for a failed run
    if (move.moved) await removeWaitingRunJobs(ctx, runId);
  } catch (error) {
    // not swallowed: a run left in flight with a failed job blocks its config (DESIGN: one at a time)
    ctx.log.error({ runId, queue, err: (error as Error).message }, 'the run of a failed job could not be marked failed');
  }
}

async function failRunOfFailedJob(ctx: PipelineContext, queue: QueueName, job: Job, message: string): Promise<void> {
  const step = stepOfQueue[queue];
  const parsed = jobPayloads[queue].safeParse(job.data);
  if (!parsed.success || job.name === scheduledImportJob || job.name === purgeStagingJob) return;
  if (!step && queue !== 'image') return;
  if (!(await job.isFailed().catch(() => false))) return; // an attempt that will be tried again
  if (queue === 'image') {
    // an image's failure is the image's: it is marked so, never its run
    const { runId, urlKey } = parsed.data as JobPayload<'image'>;
    await failPendingImages(ctx.db, runId, urlKey, message).catch((error: unknown) =>
      ctx.log.error({ runId, urlKey, err: (error as Error).message }, 'the images of a failed image job could not be marked failed'));
    return;
  }
  await failRun(ctx, queue, step!, parsed.data.runId, message);
}

/**
 * A job of a failed run only runs again when someone retried it (Bull Board; the API's retry moves the
 * run first): the run goes back to the status of that job's step, as the lifecycle's retry does.
 */
async function resumeIfRetried(ctx: PipelineContext, queue: QueueName, step: RunStage, runId: number, job: Job) {
  // only a job that failed before was retried; any other job of a failed run just finds it failed
  if (job.attemptsMade === 0 && !job.stacktrace?.length) return;
  const run = await getRun(ctx.db, runId);
  if (run?.status !== 'failed') return;
  const move = await applyRunEvent(ctx.db, runId, retryEvent(step), { stage: step, errorSummary: null });
  if (move.moved) ctx.log.info({ runId, queue, jobId: job.id, status: move.status }, 'a failed job of the run was retried: the run resumes');
}

/** Why a parent's failed children failed, read from the children themselves (keys are prefix:queue:id). */
async function failedChildReasons(ctx: PipelineContext, job: Job): Promise<string[]> {
  const { failed = [] } = await job.getDependencies({ failed: { count: 5 } });
  const reasons: string[] = [];
  for (const key of failed) {
    const [queue, id] = key.slice(ctx.settings.QUEUE_PREFIX.length + 1).split(':');
    if (!queue || !id || !isQueueName(queue)) continue;
    const child = await ctx.queues[queue].getJob(id);
    if (child?.failedReason) reasons.push(`${id}: ${child.failedReason}`);
  }
  return reasons;
}

/** Adds a step's children under it (JobHandle.addChildren); a child's failure leaves the parent to go on. */
async function addChildren(ctx: PipelineContext, job: Job, children: readonly ChildJob[]): Promise<void> {
  const parent = { id: job.id!, queue: job.queueQualifiedName };
  for (let i = 0; i < children.length; i += 500) {
    const slice = children.slice(i, i + 500);
    for (const queue of new Set(slice.map((child) => child.queue))) {
      await ctx.queues[queue].addBulk(slice.filter((child) => child.queue === queue).map((child) => ({
        name: queue,
        data: child.data,
        opts: {
          ...jobOptionsOf[queue], jobId: child.jobId, parent,
          ...(child.attempts ? { attempts: child.attempts } : {}),
          ...(child.backoffMs ? { backoff: { type: 'exponential', delay: child.backoffMs } } : {}),
          // a child's own failure is recorded by its step (a geocode marks its address failed): the parent goes on
          failParentOnFailure: false, ignoreDependencyOnFailure: true,
        },
      })));
    }
  }
}

async function runJob(ctx: PipelineContext, processor: Processor, queue: QueueName, job: Job, token?: string): Promise<string> {
  // a schedule's trigger starts a run; the run's own import job then carries out the step
  if (queue === 'import' && job.name === scheduledImportJob) {
    const trigger = scheduledImportPayload.safeParse(job.data);
    if (!trigger.success) throw new UnrecoverableError(`Scheduled job ${job.id} has a bad payload: ${trigger.error.issues[0]?.message}`);
    return (await startScheduledRun(ctx, trigger.data.configId)) === null ? 'skipped' : 'success';
  }
  if (queue === 'stage' && job.name === purgeStagingJob) {
    await purgeStaging(ctx);
    return 'success';
  }
  const parsed = jobPayloads[queue].safeParse(job.data);
  if (!parsed.success) {
    throw new UnrecoverableError(`Job ${job.id} on queue ${queue} has a bad payload: ${parsed.error.issues[0]?.message}`);
  }
  // every line a step logs names its run and job (structured JSON: ops filter on runId / jobId)
  ctx = { ...ctx, log: ctx.log.child({ queue, jobId: job.id, runId: parsed.data.runId }) };
  const attempt = job.attemptsMade + 1;
  const isFinalAttempt = attempt >= (job.opts.attempts ?? 1);
  const stopTimer = jobDuration.startTimer({ queue });
  const step = stepOfQueue[queue];
  try {
    if (step) await resumeIfRetried(ctx, queue, step, parsed.data.runId, job);
    const unfinishedChildren = async () => {
      const counts = await job.getDependenciesCount({ unprocessed: true, failed: true });
      return { count: (counts.unprocessed ?? 0) + (counts.failed ?? 0), failures: await failedChildReasons(ctx, job) };
    };
    const outcome = await processor.process({
      id: job.id ?? '', data: parsed.data as never, attempt, isFinalAttempt, unfinishedChildren,
      addChildren: (children) => addChildren(ctx, job, children),
      waitForChildren: async () => {
        if (!token) throw new Error(`job ${job.id} has no lock token: it cannot wait for children`);
        return job.moveToWaitingChildren(token);
      },
    }, ctx);
    stopTimer({ outcome });
    // parked until its children are done: it runs again then, and hands on that time
    if (outcome === 'waiting') throw new WaitingChildrenError();
    // also after a skip: a step whose work committed but whose hand-on failed (Redis gone at that
    // moment) is retried by BullMQ, finds its work done and hands on now (the hand-on is idempotent)
    await onStepDone(ctx, queue, parsed.data.runId);
    return outcome;
  } catch (error) {
    if (error instanceof WaitingChildrenError || error instanceof RateLimited || error instanceof RetryLater) throw error;
    stopTimer({ outcome: 'failed' });
    const message = error instanceof Error ? error.message : String(error);
    const permanent = error instanceof RunFailure || error instanceof UnrecoverableError;
    if ((permanent || isFinalAttempt) && step) await failRun(ctx, queue, step, parsed.data.runId, message);
    if (error instanceof RunFailure) throw new UnrecoverableError(message);
    throw error;
  }
}
