// The fleet as ops run it: real `src/worker.ts` processes instead of this process's workers (which
// are paused meanwhile). Measures a run's throughput with one and with two transform worker
// processes, the wait of a 200-record DMO's run queued behind a large one (against the same run
// alone), and the longest event-loop stall each worker process reported on its /metrics.
import path from 'node:path';
import { spawnEntry, stopProcess, type Spawned } from '../test/harness/spawn';
import type { BenchEnvironment } from './environment';
import { writeListingsCsv } from './listings-csv';
import { createBenchSource, finishTimedRun, pollMs, startTimedRun, timeCsvRun, type RunTiming } from './pipeline-run';

export interface FleetResult {
  rows: number;
  concurrency: number;
  /** the same size run with 1 and with 2 transform worker processes */
  throughput: { transformWorkers: number; run: RunTiming }[];
  smallRows: number;
  smallAlone: RunTiming;
  smallBehind: RunTiming;
  /** records of the large run transformed when the small run reached awaiting_review */
  largeDoneWhenSmallStaged: number;
  large: RunTiming;
  /** the longest event-loop delay seen in each kind of worker process, from nodejs_eventloop_lag_max_seconds */
  stallMs: Record<'steps' | 'transform', number>;
}

const smallRows = 200;

interface WorkerProcess {
  role: 'steps' | 'transform';
  process: Spawned;
  metricsUrl: string;
}

async function startWorkerProcess(env: BenchEnvironment, role: WorkerProcess['role'], concurrency: number): Promise<WorkerProcess> {
  const queues = role === 'transform' ? 'transform' : 'import,stage,promote';
  const process = spawnEntry('src/worker.ts', ['--queues', queues, '--concurrency', String(concurrency)], {
    DATABASE_URL: env.settings.DATABASE_URL, REDIS_URL: env.settings.REDIS_URL, QUEUE_PREFIX: env.settings.QUEUE_PREFIX,
    STORAGE_URL: env.settings.STORAGE_URL, PIPELINE_ENV: env.settings.PIPELINE_ENV, LOG_LEVEL: 'info', WORKER_METRICS_PORT: '0',
  });
  const [, metricsUrl] = await process.waitFor(/"metricsUrl":"([^"]+)"/, 90_000);
  return { role, process, metricsUrl: metricsUrl! };
}

/** Scrapes every worker process's /metrics while the section runs and keeps each role's longest stall. */
class StallWatch {
  readonly stallMs = { steps: 0, transform: 0 };
  private readonly processes = new Set<WorkerProcess>();
  private timer: NodeJS.Timeout | undefined;

  watch(worker: WorkerProcess): void {
    this.processes.add(worker);
  }

  /** the last scrape first: prom-client keeps the maximum since the previous one */
  async forget(worker: WorkerProcess): Promise<void> {
    await this.scrape(worker);
    this.processes.delete(worker);
  }

  start(): void {
    const tick = async () => {
      await Promise.all([...this.processes].map((worker) => this.scrape(worker)));
      this.timer = setTimeout(tick, 250);
    };
    void tick();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private async scrape(worker: WorkerProcess): Promise<void> {
    const text = await fetch(`${worker.metricsUrl}/metrics`).then((res) => res.text()).catch(() => '');
    const max = /^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text);
    if (max) this.stallMs[worker.role] = Math.max(this.stallMs[worker.role], Number(max[1]) * 1000);
  }
}

async function withTransformWorkers<T>(env: BenchEnvironment, stalls: StallWatch, count: number, concurrency: number, fn: () => Promise<T>): Promise<T> {
  const started: WorkerProcess[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const worker = await startWorkerProcess(env, 'transform', concurrency);
      started.push(worker);
      stalls.watch(worker);
    }
    return await fn();
  } finally {
    for (const worker of started) {
      await stalls.forget(worker);
      await stopProcess(worker.process);
    }
  }
}

export async function benchFleet(env: BenchEnvironment, rows: number, concurrency: number, timeoutMs: number,
  say: (line: string) => void): Promise<FleetResult> {
  const largeFile = path.join(env.csvDir, `fleet-${rows}.csv`);
  const smallFile = path.join(env.csvDir, `fleet-${smallRows}.csv`);
  await writeListingsCsv(largeFile, rows);
  await writeListingsCsv(smallFile, smallRows);

  await Promise.all(env.workers.map((worker) => worker.pause()));
  const stalls = new StallWatch();
  const steps = await startWorkerProcess(env, 'steps', concurrency);
  stalls.watch(steps);
  stalls.start();
  try {
    const throughput: FleetResult['throughput'] = [];
    for (const transformWorkers of [1, 2]) {
      say(`fleet: ${rows} rows with ${transformWorkers} transform worker process(es)…`);
      const configId = await createBenchSource(env.api, `Fleet ${rows} listings, ${transformWorkers} transform workers`);
      const run = await withTransformWorkers(env, stalls, transformWorkers, concurrency,
        () => timeCsvRun(env.api, env.ctx, configId, largeFile, timeoutMs));
      throughput.push({ transformWorkers, run });
    }

    say(`fleet: a ${smallRows}-row DMO alone, then queued behind ${rows} rows (1 transform worker process)…`);
    const result = await withTransformWorkers(env, stalls, 1, concurrency, async () => {
      const smallAlone = await timeCsvRun(env.api, env.ctx, await createBenchSource(env.api, 'Fleet small DMO alone'), smallFile, timeoutMs);
      const largeConfig = await createBenchSource(env.api, `Fleet large DMO ${rows}`);
      const smallConfig = await createBenchSource(env.api, 'Fleet small DMO behind a large one');
      const large = await startTimedRun(env.api, largeConfig, largeFile);
      // queued once the large run's transforms are queued and under way
      for (;;) {
        const run = await env.api.get(`/api/v1/pipeline/jobs/${large.runId}`);
        if (run.progress.stage === 'transform' && run.progress.done > 0) break;
        if (!['queued', 'running'].includes(run.status)) throw new Error(`fleet: large run ${large.runId} ended ${run.status}`);
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
      const smallBehind = await timeCsvRun(env.api, env.ctx, smallConfig, smallFile, timeoutMs);
      const largeDoneWhenSmallStaged = (await env.api.get(`/api/v1/pipeline/jobs/${large.runId}`)).progress.done as number;
      return { smallAlone, smallBehind, largeDoneWhenSmallStaged, large: await finishTimedRun(env.api, env.ctx, large, timeoutMs) };
    });
    await stalls.forget(steps);
    return { rows, concurrency, throughput, smallRows, ...result, stallMs: { ...stalls.stallMs } };
  } finally {
    stalls.stop();
    await stopProcess(steps.process);
    for (const worker of env.workers) worker.resume();
  }
}
