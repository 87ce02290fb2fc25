// The fleet as ops run it, with real worker processes: two transform workers sharing one run's jobs,
// a Redis restarted under running workers (its AOF keeps the queues), and a Redis emptied mid-run
// (the next worker start re-enqueues the run's step from PostgreSQL). Each test's Redis is one this
// file starts itself on a free port, so restarting or flushing it touches nothing else on the machine.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import type { Worker } from 'bullmq';
import { processors } from '../src/processors';
import { processorMap, startWorkers } from '../src/queues/workers';
import { jobIds, type QueueName } from '../src/queues/names';
import { createTestContext, startTestServer, userWithRoles, type TestContext, type TestServer } from './harness/context';
import { ApiClient } from './harness/http';
import { createCsvSource, listingsCsv, makeListings, recordsNotHandledOnce, startCsvRun, waitForRun } from './harness/pipeline';
import { freePort } from './harness/private-postgres';
import { spawnRedisServer } from './harness/private-redis';
import { spawnEntry, startWorkerProcess as spawnWorker, stopProcess, type Spawned } from './harness/spawn';
import { sleep, waitUntil as waitFor } from './harness/wait';

jest.setTimeout(180_000);

const isBad = (n: number) => n % 1_000 === 0; // no name: rejected into job_errors, not staged

let redisDir: string;
let redisPort: number;
let redisServer: ChildProcess | undefined;
let redisExited: Promise<void> | undefined;
let t: TestContext;
let server: TestServer;
let admin: ApiClient;
let importAndStage: Worker[] | undefined;
const processes: Spawned[] = [];

const waitUntil = <T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 60_000, everyMs = 50) =>
  waitFor(what, probe, timeoutMs, everyMs);

/** This file's own redis-server (a child of the test, stopped by its pid), persisting to an AOF in redisDir. */
async function startRedis(): Promise<void> {
  const started = await spawnRedisServer(redisPort, redisDir, ['--appendonly', 'yes', '--save', '']);
  redisExited = started.exited;
  redisServer = started.child;
}

/** SIGTERM: Redis shuts down as on `redis-cli shutdown`, flushing its AOF first. */
async function stopRedis(): Promise<void> {
  if (!redisServer || redisServer.exitCode !== null || redisServer.signalCode !== null) return;
  redisServer.kill('SIGTERM');
  await redisExited;
  redisServer = undefined;
}

async function withRedis<T>(fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(t.settings.REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

beforeAll(async () => {
  redisDir = fs.mkdtempSync(path.join(os.tmpdir(), 'listings-fleet-redis-'));
  redisPort = await freePort();
  await startRedis();
  t = await createTestContext({ REDIS_URL: `redis://127.0.0.1:${redisPort}` });
  // this process's queues print each refused reconnect to the console while Redis is down
  for (const queue of Object.values(t.ctx.queues) as { on(event: 'error', listener: () => void): unknown }[]) queue.on('error', () => undefined);
  server = await startTestServer(t.ctx);
  const user = await userWithRoles(t.ctx, ['super_admin']);
  admin = await ApiClient.signedIn(server.url, user.email, user.password);
});

afterAll(async () => {
  for (const child of processes) await child.kill('SIGKILL');
  await Promise.all(importAndStage?.map((worker) => worker.close()) ?? []);
  await server?.close();
  if (!redisServer && redisDir) await startRedis().catch(() => undefined); // the context closes its queues on it
  await t?.close();
  await stopRedis();
  if (redisDir) fs.rmSync(redisDir, { recursive: true, force: true });
});

/** A worker process on this file's database and Redis (shared harness helper). */
const startWorkerProcess = (queues: QueueName[], concurrency: number) =>
  spawnWorker(t.settings, queues, { concurrency, logLevel: 'debug', track: (worker) => processes.push(worker) });

/** The raw files a worker process says it transformed for this run (its "transformed raw file" lines). */
function filesTransformedBy(worker: Spawned, runId: number): number[] {
  return worker.output().split('\n').flatMap((line) => {
    if (!line.includes('"msg":"transformed raw file"')) return [];
    const entry = JSON.parse(line) as { runId: number; seq: number; pid: number };
    expect(entry.pid).toBe(worker.child.pid);
    return entry.runId === runId ? [entry.seq] : [];
  });
}

/** What a worker process logged at warn level and above, for the report. */
function troubles(worker: Spawned): string[] {
  return worker.output().split('\n').flatMap((line) => {
    try {
      const entry = JSON.parse(line) as { level: number; msg: string; err?: string; jobId?: string };
      return entry.level >= 40 ? [`${entry.msg}${entry.jobId ? ` ${entry.jobId}` : ''}: ${entry.err ?? ''}`] : [];
    } catch {
      return line.trim() ? [line.trim()] : [];
    }
  });
}

const count = async (sql: string, params: unknown[] = []) => (await t.ctx.db.query(sql, params)).rows[0].n as number;

function fileWithBadRecords(total: number): string {
  const rows = makeListings(total);
  for (const row of rows) if (isBad(Number(row.id.slice(1)))) row.name = '';
  return listingsCsv(rows);
}

/** The run staged every record of the file exactly once: staged or rejected, never both, none missing, none twice. */
async function expectExactlyStaged(runId: number, staged: { results: unknown }, total: number) {
  const bad = Array.from({ length: total }, (_, i) => i + 1).filter(isBad).length;
  const valid = total - bad;
  expect(staged.results).toEqual(expect.objectContaining({
    records_total: total, records_new: valid, records_error: bad, records_updated: 0, records_unchanged: 0,
    records_duplicates: 0, records_deleted: 0, records_possible_match: 0,
  }));
  expect(await count('SELECT count(*)::int n FROM staging.rows WHERE job_id = $1', [runId])).toBe(valid);
  expect(await count('SELECT count(DISTINCT source_id)::int n FROM staging.rows WHERE job_id = $1', [runId])).toBe(valid);
  expect(await count('SELECT count(*)::int n FROM pipeline.job_errors WHERE job_id = $1', [runId])).toBe(bad);
  expect(await recordsNotHandledOnce(t.ctx.db, runId, total)).toBe(0);
}

const rawFiles = (runId: number) =>
  count(`SELECT count(*)::int n FROM pipeline.job_files WHERE job_id = $1 AND kind = 'raw'`, [runId]);

/** Waits until the run's transform is partly done (some batches committed, not all). */
function transformPartlyDone(runId: number, total: number) {
  return waitUntil('the transform to be partly done', async () => {
    const { body } = await admin.get(`/api/v1/pipeline/jobs/${runId}`);
    if (['failed', 'cancelled'].includes(body.status)) throw new Error(`run ended ${body.status}: ${body.error_summary}`);
    const { stage, done, total: of } = body.progress;
    return stage === 'transform' && of === total && done > 0 && done < total ? body.progress as { done: number } : null;
  }, 90_000, 20);
}

describe('two transform worker processes on one queue', () => {
  it('share a run\'s transform jobs, each job runs once, and the counts are exact', async () => {
    const total = 20_000;
    const files = 20;
    const { configId } = await createCsvSource(admin, 'Visit Twin Harbour', 3, {
      import: { source_id_column: 'ID', split_records: total / files },
    });
    // concurrency 1 each: a worker busy with one file leaves the next to the other
    // one after the other: two processes starting at the same moment race for the migration lock (see the last test)
    const workers = [await startWorkerProcess(['transform'], 1), await startWorkerProcess(['transform'], 1)];
    // import and stage run in this process; transform only in the two worker processes
    importAndStage = startWorkers({ ctx: t.ctx, processors: processorMap(processors), queues: ['import', 'stage'], concurrency: 2 });
    try {
      const runId = await startCsvRun(admin, configId, fileWithBadRecords(total));
      const staged = await waitForRun(admin, runId, ['awaiting_review'], 120_000);
      expect(await rawFiles(runId)).toBe(files);

      const [byFirst, bySecond] = workers.map((worker) => filesTransformedBy(worker, runId));
      process.stdout.write(`two transform workers: ${byFirst!.length} and ${bySecond!.length} of ${files} files\n`);
      expect(byFirst!.length).toBeGreaterThanOrEqual(1);
      expect(bySecond!.length).toBeGreaterThanOrEqual(1);
      // every file transformed once, by one of them
      expect([...byFirst!, ...bySecond!].sort((a, b) => a - b)).toEqual(Array.from({ length: files }, (_, i) => i + 1));

      for (let seq = 1; seq <= files; seq++) {
        const job = await t.ctx.queues.transform.getJob(jobIds.transform(runId, seq));
        expect({ seq, state: await job!.getState(), attemptsStarted: job!.attemptsStarted, attemptsMade: job!.attemptsMade,
          stalledCounter: job!.stalledCounter, failedReason: job!.failedReason ?? '' })
          .toEqual({ seq, state: 'completed', attemptsStarted: 1, attemptsMade: 1, stalledCounter: 0, failedReason: '' });
      }
      await expectExactlyStaged(runId, staged, total);
    } finally {
      await Promise.all(importAndStage.map((worker) => worker.close()));
      importAndStage = undefined;
      await Promise.all(workers.map(stopProcess));
    }
  });
});

describe('Redis under a running fleet', () => {
  it('restarted mid-transform (AOF on): the worker processes reconnect and the run finishes with exact counts', async () => {
    const total = 40_000;
    const { configId } = await createCsvSource(admin, 'Visit Restart Harbour', 3, {
      import: { source_id_column: 'ID', split_records: 5_000 },
    });
    const workers = [
      await startWorkerProcess(['import', 'transform', 'stage'], 2), await startWorkerProcess(['import', 'transform', 'stage'], 2),
    ];
    try {
      const runId = await startCsvRun(admin, configId, fileWithBadRecords(total));
      const partly = await transformPartlyDone(runId, total);
      const stageKey = `${t.settings.QUEUE_PREFIX}:stage:${jobIds.stage(runId)}`;
      expect(await withRedis((redis) => redis.exists(stageKey))).toBe(1);

      await stopRedis();
      const stoppedAt = Date.now();
      await sleep(1_500); // the workers carry on with PostgreSQL and find Redis gone
      await startRedis();
      // the AOF brought the queues back: the run's stage parent is still there
      expect(await withRedis((redis) => redis.exists(stageKey))).toBe(1);
      process.stdout.write(`redis restarted at ${partly.done}/${total} records, down ${Date.now() - stoppedAt} ms\n`);

      const staged = await waitForRun(admin, runId, ['awaiting_review'], 120_000);
      process.stdout.write(`after the restart: awaiting_review ${Date.now() - stoppedAt} ms after Redis stopped; the workers logged:\n  ` +
        `${[...new Set(workers.flatMap(troubles))].join('\n  ')}\n`);
      await expectExactlyStaged(runId, staged, total);
      for (const worker of workers) expect(worker.child.exitCode).toBeNull(); // neither died of the restart
      // what ops ship to their log store: every line JSON, the outage said once per error and connection, and its end
      for (const worker of workers) {
        const lines = worker.output().split('\n').filter((line) => line.trim());
        expect(lines.filter((line) => !line.startsWith('{'))).toEqual([]);
        const entries = lines.map((line) => JSON.parse(line) as { msg: string; queue?: string; err?: string; connection?: string });
        const redisErrors = entries.filter((entry) => entry.msg === 'redis error' || entry.msg === 'worker error');
        expect(redisErrors.length).toBeGreaterThan(0);
        expect(new Set(redisErrors.map((e) => `${e.connection} ${e.queue} ${e.err}`)).size).toBe(redisErrors.length);
        expect(entries.some((entry) => entry.msg === 'redis connection back')).toBe(true);
        // the steps waited for Redis instead of failing an attempt
        expect(entries.filter((entry) => entry.msg === 'job failed')).toEqual([]);
      }
      const files = await rawFiles(runId);
      for (let seq = 1; seq <= files; seq++) {
        expect(await t.ctx.queues.transform.getJobState(jobIds.transform(runId, seq))).toBe('completed');
      }
      expect(await t.ctx.queues.stage.getJobState(jobIds.stage(runId))).toBe('completed');
    } finally {
      await Promise.all(workers.map(stopProcess));
    }
  });

  it('emptied mid-run (workers killed, FLUSHALL): the next worker start re-enqueues from PostgreSQL and the counts are exact', async () => {
    const total = 40_000;
    const { configId } = await createCsvSource(admin, 'Visit Empty Harbour', 3, {
      import: { source_id_column: 'ID', split_records: 5_000 },
    });
    const first = await startWorkerProcess(['import', 'transform', 'stage'], 2);
    const runId = await startCsvRun(admin, configId, fileWithBadRecords(total));
    const partly = await transformPartlyDone(runId, total);

    await first.kill('SIGKILL');
    await withRedis(async (redis) => {
      await redis.flushall();
      expect(await redis.dbsize()).toBe(0);
    });
    expect(await t.ctx.queues.stage.getJob(jobIds.stage(runId))).toBeUndefined();
    const stagedAtFlush = await count('SELECT count(*)::int n FROM staging.rows WHERE job_id = $1', [runId]);
    process.stdout.write(`redis emptied at ${partly.done}/${total} records, ${stagedAtFlush} rows staged\n`);

    const restartedAt = Date.now();
    const second = await startWorkerProcess(['import', 'transform', 'stage'], 2);
    try {
      const staged = await waitForRun(admin, runId, ['awaiting_review'], 120_000);
      process.stdout.write(`after the flush: awaiting_review ${Date.now() - restartedAt} ms after the new worker was asked to start; it logged:\n  ` +
        `${[...new Set(troubles(second))].join('\n  ')}\n`);
      await expectExactlyStaged(runId, staged, total);
      expect(await t.ctx.queues.stage.getJobState(jobIds.stage(runId))).toBe('completed');
    } finally {
      await stopProcess(second);
    }
  });
});

describe('worker processes starting at the same moment', () => {
  // Each entry point migrates on start (prepareDatabase → node-pg-migrate), whose advisory lock mode
  // defaults to 'fail': a replica that starts while another holds the migration lock exits instead of
  // waiting, even with nothing to apply. Holding that lock here stands in for the other replica.
  test('a worker that finds another process migrating waits for it and starts', async () => {
    const migrationLock = '7241865325823964'; // node-pg-migrate's PG_MIGRATE_LOCK_ID
    const other = new pg.Client({ connectionString: t.settings.DATABASE_URL });
    await other.connect();
    try {
      await other.query(`SELECT pg_advisory_lock(${migrationLock})`);
      const worker = spawnEntry('src/worker.ts', ['--queues', 'transform'], {
        DATABASE_URL: t.settings.DATABASE_URL, REDIS_URL: t.settings.REDIS_URL, QUEUE_PREFIX: t.settings.QUEUE_PREFIX,
        STORAGE_URL: t.settings.STORAGE_URL, LOG_LEVEL: 'info',
      });
      processes.push(worker);
      const exited = worker.exited().then((code) => `exited ${code}: ${worker.output().trim().split('\n').pop()}`);
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([exited, new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still starting'), 15_000)))]);
      clearTimeout(timer);
      expect(outcome).toBe('still starting'); // waiting on the lock, not gone
      await other.query(`SELECT pg_advisory_unlock(${migrationLock})`);
      await worker.waitFor(/"msg":"worker started"/, 60_000);
      await stopProcess(worker);
    } finally {
      await other.end();
    }
  });
});
