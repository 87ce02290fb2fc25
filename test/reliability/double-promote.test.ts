// Two promotes of one run at once. Through the API: promote requests sent at the same moment, with two
// promote worker processes waiting for the job; exactly one request moves the run, every one answers
// its status, one job runs. In the workers: a promote worker frozen (SIGSTOP) mid-promote until its
// lock lapses and a second worker takes the job over, then thawed (SIGCONT), so two workers apply
// the same run's batches at once. Either way nothing doubles: listing_info rows are the records,
// change_log holds each change once, promote_results and the progress add up.
import fs from 'node:fs';
import type { Job } from 'bullmq';
import { createTestContext, startTestServer, userWithRoles, type TestContext, type TestServer } from '../harness/context';
import { ApiClient } from '../harness/http';
import { startCsvRun, waitForRun } from '../harness/pipeline';
import { startPrivateRedis, type PrivateRedis } from '../harness/private-redis';
import { startWorkerProcess, stopProcess, type Spawned } from '../harness/spawn';
import { sleep, waitUntil } from '../harness/wait';
import { jobIds } from '../../src/queues/names';
import { promoteBatchSize } from '../../src/processors/promote';
import {
  approveAll, fullMode, orphanProblems, planChain, productionProblems, scenarioCsv, scenarioParams, seededRandom, stagingProblems,
  type PlannedRun,
} from './scenario';

jest.setTimeout(fullMode ? 1_800_000 : 240_000);

/** three promote batches at least: one whole batch is still to come after the first */
const recordsPerRun = Math.max(2_500, Math.ceil(2.25 * promoteBatchSize));
const apiChains = fullMode ? 5 : 1;
const workerChains = fullMode ? 4 : 1;

const { random } = seededRandom('double promotes');

let redis: PrivateRedis;
let t: TestContext;
let server: TestServer;
let admin: ApiClient;
const processes: Spawned[] = [];
let promoters: Spawned[] = [];

const startPromoter = () => startWorkerProcess(t.settings, ['promote'], { concurrency: 1, track: (worker) => processes.push(worker) });

beforeAll(async () => {
  redis = await startPrivateRedis();
  t = await createTestContext({ REDIS_URL: redis.url });
  server = await startTestServer(t.ctx);
  const user = await userWithRoles(t.ctx, ['super_admin']);
  admin = await ApiClient.signedIn(server.url, user.email, user.password);
  await startWorkerProcess(t.settings, ['import', 'transform', 'stage', 'geocode', 'image'], { concurrency: 2, track: (worker) => processes.push(worker) });
  promoters = await Promise.all([startPromoter(), startPromoter()]);
});

afterAll(async () => {
  for (const worker of processes) if (worker.child.exitCode === null) worker.child.kill('SIGCONT');
  await Promise.all(processes.map(stopProcess));
  await server?.close();
  await t?.close();
  await redis?.stop();
});

let chainNumber = 0;
async function stagedChain(): Promise<{ dmoId: number; configId: number; plans: [PlannedRun, PlannedRun] }> {
  chainNumber += 1;
  const dmo = await admin.post('/api/v1/pipeline/dmos', { name: `Double Promote DMO ${chainNumber}`, dmo_type_id: 3 });
  const config = await admin.post('/api/v1/pipeline/configs', { dmo_id: dmo.body.id, source_type: 'csv', config_params: scenarioParams(1_000) });
  expect([dmo.status, config.status]).toEqual([201, 201]);
  return { dmoId: dmo.body.id, configId: config.body.id, plans: planChain(100 + chainNumber, recordsPerRun) };
}

async function stageRun(configId: number, plan: PlannedRun): Promise<number> {
  const runId = await startCsvRun(admin, configId, scenarioCsv(plan.records));
  await waitForRun(admin, runId, ['awaiting_review'], 120_000);
  expect({ runId, problems: await stagingProblems(t.ctx.db, runId, plan) }).toEqual({ runId, problems: [] });
  await approveAll(admin, runId);
  return runId;
}

/** Every promote job the queue holds for the run, whatever its state. */
async function promoteJobsOf(runId: number): Promise<string[]> {
  const jobs = await t.ctx.queues.promote.getJobs(['active', 'waiting', 'delayed', 'prioritized', 'completed', 'failed', 'waiting-children']);
  return jobs.filter((job) => (job.data as { runId: number }).runId === runId).map((job) => job.id!);
}

async function expectPromotedExactly(runId: number, dmoId: number, plan: PlannedRun) {
  const problems = [...await productionProblems(t.ctx.db, runId, dmoId, plan), ...await orphanProblems(t.ctx.db)];
  expect({ runId, problems }).toEqual({ runId, problems: [] });
}

const notes: string[] = [];

/** The local TCP ports of a process's sockets (Linux /proc): its PostgreSQL sessions are those with these client ports. */
function socketPortsOf(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      /* closed meanwhile */
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      if (columns.length > 9 && inodes.has(columns[9]!)) ports.push(parseInt(columns[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/** Watches one process's PostgreSQL sessions until stopped: how many distinct promote batch transactions it was seen in. */
function watchTransactions(pid: number) {
  const seen = new Set<string>();
  let watching = true;
  const done = (async () => {
    while (watching) {
      const ports = socketPortsOf(pid);
      const { rows } = await t.ctx.db.query(
        `SELECT pid, xact_start FROM pg_stat_activity WHERE client_port = ANY($1::int[]) AND xact_start IS NOT NULL
            AND (query ILIKE '%promote_batch%' OR query ILIKE '%promoted_at IS NULL%')`, [ports]);
      for (const row of rows) seen.add(`${row.pid} ${(row.xact_start as Date).toISOString()}`);
      await sleep(10);
    }
  })();
  return async () => {
    watching = false;
    await done;
    return seen.size;
  };
}

describe('two promotes of one run at once', () => {
  it('promote requests sent at the same moment, two promote workers: one move, one job, nothing doubled', async () => {
    for (let i = 0; i < apiChains; i += 1) {
      const chain = await stagedChain();
      for (const plan of chain.plans) {
        const started = Date.now();
        const runId = await stageRun(chain.configId, plan);
        const staged = Date.now();
        const requests = 2 + Math.floor(random() * 3);
        const replies = await Promise.all(Array.from({ length: requests }, () => admin.post('/api/v1/pipeline/staging/promote', { jobId: runId })));
        // the same request repeated is harmless: each answers the run's status
        expect(replies.map((reply) => [reply.status, reply.body.jobId])).toEqual(replies.map(() => [202, runId]));
        for (const reply of replies) expect(['promoting', 'promoted']).toContain(reply.body.status);
        await waitForRun(admin, runId, ['promoted'], 120_000);
        expect(await promoteJobsOf(runId)).toEqual([jobIds.promote(runId)]);
        const job = (await t.ctx.queues.promote.getJob(jobIds.promote(runId))) as Job;
        expect({ attemptsMade: job.attemptsMade, stalledCounter: job.stalledCounter }).toEqual({ attemptsMade: 1, stalledCounter: 0 });
        await expectPromotedExactly(runId, chain.dmoId, plan);
        // and once promoted, another request answers so and changes nothing
        const again = await admin.post('/api/v1/pipeline/staging/promote', { jobId: runId });
        expect([again.status, again.body.status]).toEqual([202, 'promoted']);
        await expectPromotedExactly(runId, chain.dmoId, plan);
        notes.push(`run ${runId}: ${requests} promote requests at once, all 202 (${replies.map((reply) => reply.body.status).join(', ')}), one job ` +
          `(staged in ${staged - started} ms, promoted and checked in ${Date.now() - staged} ms)`);
      }
    }
  });

  it('a promote worker frozen past its lock and thawed after a second one took its job over: both run it, nothing doubled', async () => {
    // one promote worker, so it is known to hold the job
    await stopProcess(promoters.pop()!);
    let takeovers = 0;
    for (let i = 0; takeovers < 2 * workerChains && i < workerChains + 3; i += 1) {
      const chain = await stagedChain();
      for (const plan of chain.plans) {
        const started = Date.now();
        const runId = await stageRun(chain.configId, plan);
        const staged = Date.now();
        const first = promoters[0]!;
        // frozen inside a batch transaction (its rows locked, nothing committed), or once a batch has committed
        const inBatch = random() < 0.5;
        const pause = Math.round(random() * 150);
        const resp = await admin.post('/api/v1/pipeline/staging/promote', { jobId: runId });
        expect(resp.status).toBe(202);
        const frozenAt = await waitUntil(`run ${runId}'s promote to be ${inBatch ? 'inside a batch' : 'past its first batch'}`, async () => {
          const { rows } = await t.ctx.db.query('SELECT status, progress_done::int AS done, progress_total::int AS total FROM pipeline.jobs WHERE id = $1', [runId]);
          const run = rows[0];
          if (run.status !== 'promoting') throw new Error(`run ${runId} is ${run.status} before the freeze`);
          if (!inBatch) return run.done > 0 ? `${run.done}/${run.total}, past a batch` : null;
          const batch = await t.ctx.db.query(
            `SELECT 1 FROM pg_stat_activity WHERE client_port = ANY($1::int[]) AND state <> 'idle' AND query ILIKE '%promote_batch%'`,
            [socketPortsOf(first.child.pid!)]);
          return batch.rowCount ? `${run.done}/${run.total}, inside a batch` : null;
        }, 120_000, 5);
        await sleep(pause);
        process.kill(first.child.pid!, 'SIGSTOP');
        // a promote that ended in the moment before the freeze is no takeover: thawed, checked, and not counted
        const job0 = await t.ctx.queues.promote.getJob(jobIds.promote(runId));
        if ((await job0?.getState()) !== 'active') {
          process.kill(first.child.pid!, 'SIGCONT');
          await waitForRun(admin, runId, ['promoted'], 120_000);
          await expectPromotedExactly(runId, chain.dmoId, plan);
          notes.push(`run ${runId}: its promote had finished as the freeze came (${frozenAt} +${pause} ms): not counted`);
          continue;
        }
        takeovers += 1;
        const second = await startPromoter();
        // the frozen worker's lock lapses: the second worker takes the job (it may wait on the frozen one's batch)
        await waitUntil('the second worker to take the promote job over', async () => {
          const job = await t.ctx.queues.promote.getJob(jobIds.promote(runId));
          const state = await job?.getState();
          return (job?.stalledCounter === 1 && (state === 'active' || state === 'completed')) || null;
        }, 60_000, 50);
        await sleep(Math.round(random() * 1_000));
        const stopWatching = watchTransactions(first.child.pid!);
        process.kill(first.child.pid!, 'SIGCONT');
        await waitForRun(admin, runId, ['promoted'], 120_000);
        // the thawed worker finishes its own loop too: wait until no promote statement runs
        await waitUntil('both workers to be done with the run', async () => {
          const { rows } = await t.ctx.db.query(
            `SELECT count(*)::int n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
                AND state <> 'idle'`);
          return rows[0].n === 0 || null;
        }, 60_000, 100);
        await sleep(500);
        const thawedTransactions = await stopWatching();
        await expectPromotedExactly(runId, chain.dmoId, plan);
        const job = (await t.ctx.queues.promote.getJob(jobIds.promote(runId))) as Job;
        expect(await job.getState()).toBe('completed');
        const firstSaid = first.output().split('\n').filter((line) => /"level":(4|5)0/.test(line)).map((line) => JSON.parse(line).msg as string);
        notes.push(`run ${runId}: frozen at ${frozenAt} (+${pause} ms), taken over and thawed; the thawed worker was then seen in ${thawedTransactions} ` +
          `promote batch transaction(s) of its own beside the second's, and said: ${[...new Set(firstSaid)].join(' | ') || 'nothing'} ` +
          `(staged in ${staged - started} ms, promoted and checked in ${Date.now() - staged} ms)`);
        // the second one is the only promote worker for the next run
        await stopProcess(first);
        promoters = [second];
      }
    }
    process.stdout.write(`double promotes:\n  ${notes.join('\n  ')}\n`);
    expect(takeovers).toBeGreaterThanOrEqual(2 * workerChains);
  });
});
