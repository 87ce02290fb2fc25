// PostgreSQL restarted under a run in flight: the product (this process's API, and worker processes)
// runs on a PostgreSQL this file starts itself with initdb in a temporary folder, on a free port, so
// restarting it (pg_ctl restart -m fast: every session ended; -m immediate: a crash, recovered from WAL)
// touches nothing else on the machine. The product creates its database and migrates it as at any
// start. Each run started before a restart must end with exactly the rows its file calls for.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSettings, type Settings } from '../../src/config';
import { prepareDatabase } from '../../src/bootstrap';
import { closeContext, createContext, type PipelineContext } from '../../src/context';
import { createLogger } from '../../src/logger';
import { jobIds } from '../../src/queues/names';
import { promoteBatchSize } from '../../src/processors/promote';
import { startTestServer, userWithRoles, type TestServer } from '../harness/context';
import { ApiClient } from '../harness/http';
import { startCsvRun, waitForRun } from '../harness/pipeline';
import { startPrivatePostgres, type PrivatePostgres } from '../harness/private-postgres';
import { startPrivateRedis, type PrivateRedis } from '../harness/private-redis';
import { startWorkerProcess, stopProcess, type Spawned } from '../harness/spawn';
import { sleep, waitUntil } from '../harness/wait';
import {
  approveAll, fullMode, orphanProblems, planChain, productionProblems, requestPromote, scenarioCsv, scenarioParams, seededRandom,
  stagingProblems, type PlannedRun,
} from './scenario';

jest.setTimeout(fullMode ? 1_800_000 : 240_000);

/** two promote batches at least, so a restart can come between them */
const recordsPerRun = Math.max(4_000, Math.ceil(2.2 * promoteBatchSize));
const splitRecords = 500;
/** chains of two runs, each run with two restarts (quick: one chain) */
const chains = fullMode ? 4 : 1;

const { random } = seededRandom('postgres restarts');

let postgres: PrivatePostgres | undefined;
let redis: PrivateRedis | undefined;
let storageDir: string | undefined;
let settings: Settings;
let ctx: PipelineContext | undefined;
let server: TestServer | undefined;
let admin: ApiClient;
const workers: Spawned[] = [];

beforeAll(async () => {
  postgres = await startPrivatePostgres();
  redis = await startPrivateRedis();
  storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'listings-pg-restart-store-'));
  settings = loadSettings({
    DATABASE_URL: postgres.url('listings'), REDIS_URL: redis.url, QUEUE_PREFIX: '{reliability-pg}',
    STORAGE_URL: `file://${storageDir}`, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  });
  // as every entry point does at start: create the database, migrate
  await prepareDatabase(settings, createLogger('silent'));
  ctx = createContext(settings, createLogger(settings.LOG_LEVEL, 'test'));
  // the API's queues and pools reconnect by themselves; their errors meanwhile are expected
  for (const queue of Object.values(ctx.queues) as { on(event: 'error', listener: () => void): unknown }[]) queue.on('error', () => undefined);
  server = await startTestServer(ctx);
  const user = await userWithRoles(ctx, ['super_admin']);
  admin = await ApiClient.signedIn(server.url, user.email, user.password);
  await Promise.all([
    startWorkerProcess(settings, ['import', 'transform', 'stage', 'geocode'], { concurrency: 2, track: (worker) => workers.push(worker) }),
    startWorkerProcess(settings, ['promote', 'image'], { concurrency: 1, track: (worker) => workers.push(worker) }),
  ]);
});

afterAll(async () => {
  await Promise.all(workers.map(stopProcess));
  await server?.close();
  if (ctx) await closeContext(ctx);
  await redis?.stop();
  postgres?.destroy();
  if (storageDir) fs.rmSync(storageDir, { recursive: true, force: true });
});

const restarts: string[] = [];

/** Restarts PostgreSQL once `inFlight` says the step is partly done, and says what was in flight. */
async function restartDuring(what: string, mode: 'fast' | 'immediate', inFlight: () => Promise<string | null>): Promise<void> {
  const state = await waitUntil(`${what} to be in flight`, inFlight, 180_000, 20);
  const { downMs } = await postgres!.restart(mode);
  restarts.push(`${mode} restart (${downMs} ms) during ${what}: ${state}`);
}

async function progressOf(runId: number) {
  const { rows } = await ctx!.db.query('SELECT status, stage, progress_done::int AS done, progress_total::int AS total FROM pipeline.jobs WHERE id = $1', [runId]);
  return rows[0] as { status: string; stage: string; done: number; total: number };
}

/** How many attempts of the run's jobs failed (a restart that hit a statement fails its attempt, retried later). */
async function failedAttempts(runId: number, plan: PlannedRun): Promise<number> {
  // attemptsMade counts the successful attempt too
  const q = ctx!.queues;
  const jobs = await Promise.all([
    q.import.getJob(jobIds.import(runId)), q.stage.getJob(jobIds.stage(runId)), q.promote.getJob(jobIds.promote(runId)),
    ...Array.from({ length: Math.ceil(plan.records.length / splitRecords) }, (_, i) => q.transform.getJob(jobIds.transform(runId, i + 1))),
  ]);
  const states = await Promise.all(jobs.map((job) => job?.getState()));
  return jobs.reduce((sum, job, i) => sum + (job ? job.attemptsMade - (states[i] === 'completed' ? 1 : 0) : 0), 0);
}

/** What the probes of the last wait saw, in order, for a failure's report. */
let probed: string[] = [];
const sawProbe = (what: string) => {
  if (probed[probed.length - 1] !== what) probed.push(what);
};

/**
 * A moment of a step drawn at random: the step's progress past one of its batch boundaries other than
 * the last (so a batch is still to come), then a random pause of up to `pauseMs`. Progress moves a
 * batch at a time (a raw file for transform, promoteBatchSize rows for promote), so only boundaries
 * are sure to be seen.
 */
const partlyDone = (runId: number, stage: string, status: string, batch: number, pauseMs: number) => {
  const draw = random();
  const pause = Math.round(random() * pauseMs);
  probed = [];
  let crossed: string | null = null;
  return async () => {
    if (!crossed) {
      const p = await progressOf(runId).catch((error: Error) => (sawProbe(`error ${error.message}`), null));
      if (!p) return null;
      const boundaries = Math.ceil(p.total / batch) - 1;
      const threshold = Math.max(1, 1 + Math.floor(draw * boundaries)) * batch;
      sawProbe(`${p.status} ${p.stage} ${p.done}/${p.total} (waiting for ${threshold})`);
      if (['failed', 'cancelled'].includes(p.status)) throw new Error(`run ${runId} ended ${p.status}`);
      if (!(p.status === status && p.stage === stage && p.total > 0 && p.done >= threshold)) return null;
      crossed = `${p.done}/${p.total} done`;
      await sleep(pause);
    }
    return `${crossed}, then ${pause} ms`;
  };
};

/** What the worker processes went through, the queues and the database's sessions, for a failure's report. */
async function failureReport(): Promise<string> {
  const processes = workers.map((worker) => {
    const lines = worker.output().split('\n').filter((line) => line.trim());
    return `worker ${worker.child.pid} (exit ${worker.child.exitCode ?? worker.child.signalCode ?? 'running'}):\n    ${lines.slice(-12).map((line) => line.slice(0, 300)).join('\n    ')}`;
  });
  const queues = await Promise.all((['import', 'transform', 'stage', 'promote'] as const).map(async (name) =>
    `${name}: ${JSON.stringify(await ctx!.queues[name].getJobCounts())}`)).catch((error: Error) => [`queues: ${error.message}`]);
  const sessions = await ctx!.db.query(
    `SELECT pid, application_name, client_port, state, wait_event_type, wait_event, now() - query_start AS for, left(query, 120) AS query
       FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).then(
    ({ rows }) => rows.map((row) => JSON.stringify(row)), (error: Error) => [`sessions: ${error.message}`]);
  const promotes = await ctx!.queues.promote.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed']).then((jobs) => jobs.map((job) =>
    `${job.id}: attempts ${job.attemptsMade}, returned ${JSON.stringify(job.returnvalue)}, processed ${job.processedOn}, finished ${job.finishedOn}`));
  return [...processes, ...queues, ...promotes, `the last wait's probes saw: ${probed.join(' → ')}`, ...sessions].join('\n');
}

describe('PostgreSQL restarted while a run is in flight', () => {
  it('runs started before a restart end with exactly their staged and promoted rows', async () => {
    try {
      await restartedRuns();
    } catch (error) {
      process.stdout.write(`postgres restarts so far:\n  ${restarts.join('\n  ')}\n${await failureReport()}\n`);
      throw error;
    }
    process.stdout.write(`postgres restarts:\n  ${restarts.join('\n  ')}\n`);
  });
});

/** Chains of two runs, each run with a PostgreSQL restart while it is staged and another while it is promoted. */
async function restartedRuns(): Promise<void> {
  for (let chain = 0; chain < chains; chain += 1) {
    const dmo = await admin.post('/api/v1/pipeline/dmos', { name: `Restart DMO ${chain}`, dmo_type_id: 3 });
    const config = await admin.post('/api/v1/pipeline/configs', { dmo_id: dmo.body.id, source_type: 'csv', config_params: scenarioParams(splitRecords) });
    expect([dmo.status, config.status]).toEqual([201, 201]);
    for (const plan of planChain(chain, recordsPerRun)) {
      const runId = await startCsvRun(admin, config.body.id, scenarioCsv(plan.records));
      const label = `chain ${chain} round ${plan.round} (run ${runId})`;
      const modes: ['fast' | 'immediate', 'fast' | 'immediate'] = plan.round === 0 ? ['fast', 'immediate'] : ['immediate', 'fast'];
      if (plan.round === 0) {
        await restartDuring(`${label}: transform`, modes[0], partlyDone(runId, 'transform', 'running', splitRecords, 200));
      } else {
        // a step of the staging drawn at random, as soon as it is seen under way
        const step = (['import', 'transform', 'stage'] as const)[Math.floor(random() * 3)]!;
        await restartDuring(`${label}: ${step}`, modes[0], async () => {
          const p = await progressOf(runId).catch(() => null);
          if (!p) return null;
          if (p.status === 'running' && p.stage === step) return `${p.stage} ${p.done}/${p.total}`;
          return p.status === 'awaiting_review' ? `too late: the run was ${p.status} already` : null;
        });
      }
      const restartedAt = Date.now();
      await waitForRun(admin, runId, ['awaiting_review'], 180_000);
      restarts.push(`${label}: awaiting review ${Date.now() - restartedAt} ms after the restart`);
      expect({ run: label, problems: await stagingProblems(ctx!.db, runId, plan) }).toEqual({ run: label, problems: [] });

      await approveAll(admin, runId);
      await requestPromote(admin, runId);
      await restartDuring(`${label}: promote`, modes[1], partlyDone(runId, 'promote', 'promoting', promoteBatchSize, 300));
      const promoteRestartedAt = Date.now();
      await waitForRun(admin, runId, ['promoted'], 180_000);
      restarts.push(`${label}: promoted ${Date.now() - promoteRestartedAt} ms after the restart`);
      const problems = [...await productionProblems(ctx!.db, runId, dmo.body.id, plan), ...await orphanProblems(ctx!.db)];
      expect({ run: label, problems }).toEqual({ run: label, problems: [] });
      restarts.push(`${label}: ${await failedAttempts(runId, plan)} job attempt(s) failed by the restarts and were retried`);
    }
  }
}
