// A worker process: `npm run worker -- --queues transform,stage --concurrency 4`.
import { parseArgs } from 'node:util';
import type { Worker } from 'bullmq';
import { loadSettingsOrExit } from './config';
import { runEntryPoint, stopOnSignal } from './entry-point';
import { closeContext, createContext, type PipelineContext } from './context';
import { createLogger, type Logger } from './logger';
import { processors } from './processors';
import { isQueueName, queueNames, type QueueName } from './queues/names';
import { jobsRunning, processorMap, startWorkers } from './queues/workers';
import { prepareDatabase } from './bootstrap';
import { resumeRuns } from './queues/run-flow';
import { reconcileSchedules } from './queues/schedules';
import { closeWorkerHttp, startWorkerHttp, workerHttpUrl } from './worker-http';

export function parseWorkerArgs(argv: string[]): { queues: QueueName[]; concurrency: number } {
  const { values } = parseArgs({
    args: argv,
    options: { queues: { type: 'string' }, concurrency: { type: 'string' } },
    strict: true,
  });
  const queues = (values.queues ?? queueNames.join(',')).split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = queues.filter((name) => !isQueueName(name));
  if (unknown.length || !queues.length) {
    throw new Error(`--queues: unknown queue ${unknown.join(', ') || '(none)'}; expected a comma list of ${queueNames.join(', ')}`);
  }
  const concurrency = Number(values.concurrency ?? 2);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new Error(`--concurrency: expected a whole number from 1 to 64 (got ${values.concurrency})`);
  }
  return { queues: queues as QueueName[], concurrency };
}

export function startWorkerFleet(ctx: PipelineContext, queues: readonly QueueName[], concurrency: number): Worker[] {
  return startWorkers({ ctx, processors: processorMap(processors), queues, concurrency });
}

/**
 * Stops taking jobs at once and waits up to graceMs for the active ones to finish. Resolves with
 * the jobs still running when the grace ended (none when every worker closed). Those must be left
 * as they are: their locks lapse and another worker takes them (closing the pool or Redis under
 * them would fail them instead).
 */
export async function stopWorkers(workers: readonly Worker[], graceMs = Infinity): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const closed = Promise.all(workers.map((worker) => worker.close())).then(() => true);
  const graceOver = Number.isFinite(graceMs) ? new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))) : null;
  const finished = await (graceOver ? Promise.race([closed, graceOver]) : closed);
  clearTimeout(timer);
  return finished ? [] : jobsRunning(workers);
}

/** The log line of a stop whose grace ended with jobs running. */
export function logJobsLeftToStalledRecovery(log: Logger, jobs: string[], graceMs: number): void {
  log.warn({ jobs, graceMs },
    `shutdown grace of ${graceMs} ms ended with ${jobs.length} job(s) still running: ${jobs.join(', ')}; ` +
    'left to BullMQ stalled-job recovery (their locks lapse and another worker takes them)');
}

async function main() {
  const settings = loadSettingsOrExit();
  const log = createLogger(settings.LOG_LEVEL, 'worker');
  let args;
  try {
    args = parseWorkerArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  await prepareDatabase(settings, log);
  const ctx = createContext(settings, log, 'worker');
  // before any job is taken: a port in use stops start-up (WORKER_METRICS_PORT unset: no endpoint)
  const port = settings.WORKER_METRICS_PORT;
  const metricsServer = port === undefined ? undefined : await startWorkerHttp(ctx, port);
  const workers = startWorkerFleet(ctx, args.queues, args.concurrency);
  const graceMs = settings.WORKER_SHUTDOWN_GRACE_MS;
  stopOnSignal(log, {
    graceMs,
    leftBehind: () => ({ jobs: jobsRunning(workers), note: 'left to BullMQ stalled-job recovery' }),
    async stop() {
      const left = await stopWorkers(workers, graceMs);
      // answers health checks and scrapes until the workers stopped, then closes before the exit
      if (metricsServer) await closeWorkerHttp(metricsServer);
      if (left.length) return logJobsLeftToStalledRecovery(log, left, graceMs);
      await closeContext(ctx);
    },
  });
  await resumeRuns(ctx);
  if (args.queues.includes('import')) await reconcileSchedules(ctx);
  // (crash-recovery.test.ts reads the lock and interval keys last, before the message)
  log.info({ queues: args.queues, concurrency: args.concurrency, shutdownGraceMs: graceMs,
    metricsUrl: metricsServer ? workerHttpUrl(metricsServer) : null,
    lockDurationMs: settings.WORKER_LOCK_DURATION_MS, stalledIntervalMs: settings.WORKER_STALLED_INTERVAL_MS }, 'worker started');
}

if (require.main === module) runEntryPoint(main);
