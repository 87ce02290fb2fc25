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
import { startTestServer, userWithRoles, type TestServer } from '../harness/context';
import { ApiClient } from '../harness/http';
import { startCsvRun, waitForRun } from '../harness/pipeline';
import { startPrivatePostgres, type PrivatePostgres } from '../harness/private-postgres';
import { startPrivateRedis, type PrivateRedis } from '../harness/private-redis';
import { startWorkerProcess, stopProcess, type Spawned } from '../harness/spawn';
import { waitUntil } from '../harness/wait';
import {
  approveAll, fullMode, orphanProblems, planChain, productionProblems, requestPromote, scenarioCsv, scenarioParams, seededRandom,
  stagingProblems, type PlannedRun,
} from './scenario';

jest.setTimeout(fullMode ? 1_800_000 : 240_000);

const recordsPerRun = 4_000;
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

/** A moment of a step drawn at random: a progress threshold in its first three quarters. */
const partlyDone = (runId: number, stage: string, status: string) => {
  const share = 0.05 + random() * 0.7;
  return async () => {
    const p = await progressOf(runId).catch(() => null);
    if (p && ['failed', 'cancelled'].includes(p.status)) throw new Error(`run ${runId} ended ${p.status}`);
    return p && p.status === status && p.stage === stage && p.total > 0 && p.done >= share * p.total && p.done < p.total
      ? `${p.done}/${p.total} done` : null;
  };
};

describe('PostgreSQL restarted while a run is in flight', () => {
  it('runs started before a restart end with exactly their staged and promoted rows', async () => {
    for (let chain = 0; chain < chains; chain += 1) {
      const dmo = await admin.post('/api/v1/pipeline/dmos', { name: `Restart DMO ${chain}`, dmo_type_id: 3 });
      const config = await admin.post('/api/v1/pipeline/configs', { dmo_id: dmo.body.id, source_type: 'csv', config_params: scenarioParams(splitRecords) });
      expect([dmo.status, config.status]).toEqual([201, 201]);
      for (const plan of planChain(chain, recordsPerRun)) {
        const runId = await startCsvRun(admin, config.body.id, scenarioCsv(plan.records));
        const label = `chain ${chain} round ${plan.round} (run ${runId})`;
        const modes: ['fast' | 'immediate', 'fast' | 'immediate'] = plan.round === 0 ? ['fast', 'immediate'] : ['immediate', 'fast'];
        if (plan.round === 0) {
          await restartDuring(`${label}: transform`, modes[0], partlyDone(runId, 'transform', 'running'));
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
        await restartDuring(`${label}: promote`, modes[1], partlyDone(runId, 'promote', 'promoting'));
        const promoteRestartedAt = Date.now();
        await waitForRun(admin, runId, ['promoted'], 180_000);
        restarts.push(`${label}: promoted ${Date.now() - promoteRestartedAt} ms after the restart`);
        const problems = [...await productionProblems(ctx!.db, runId, dmo.body.id, plan), ...await orphanProblems(ctx!.db)];
        expect({ run: label, problems }).toEqual({ run: label, problems: [] });
        restarts.push(`${label}: ${await failedAttempts(runId, plan)} job attempt(s) failed by the restarts and were retried`);
      }
    }
    process.stdout.write(`postgres restarts:\n  ${restarts.join('\n  ')}\n`);
  });
});
