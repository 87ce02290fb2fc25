// A worker process: `npm run worker -- --queues transform,stage --concurrency 4`.
import { parseArgs } from 'node:util';
import type { Worker } from 'bullmq';
import { loadSettingsOrExit } from './config';
import { runEntryPoint, stopOnSignal } from './entry-point';
import { closeContext, createContext, type PipelineContext } from './context';
import { createLogger } from './logger';
import { processors } from './processors';
import { isQueueName, queueNames, type QueueName } from './queues/names';
import { processorMap, startWorkers } from './queues/workers';
import { prepareDatabase } from './bootstrap';
import { resumeRuns } from './queues/run-flow';

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

export async function stopWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(workers.map((worker) => worker.close()));
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
  const ctx = createContext(settings, log);
  const workers = startWorkerFleet(ctx, args.queues, args.concurrency);
  await resumeRuns(ctx);
  log.info({ queues: args.queues, concurrency: args.concurrency, lockDurationMs: settings.WORKER_LOCK_DURATION_MS,
    stalledIntervalMs: settings.WORKER_STALLED_INTERVAL_MS }, 'worker started');
  stopOnSignal(async () => {
    log.info('worker stopping: finishing active jobs');
    await stopWorkers(workers);
    await closeContext(ctx);
  });
}

if (require.main === module) runEntryPoint(main);
