// A worker process killed with SIGKILL in the middle of a transform and in the middle of a promote:
// another worker picks the stalled jobs up and the run finishes with nothing staged or promoted twice.
//
// To kill provably mid-step, the test waits until the run's progress shows the step partly done,
// then holds a lock a later batch transaction of the worker needs (the run's row for transform, one
// record's bridge key for promote): the worker blocks inside that transaction, with its batch written
// but not committed, and is killed there. Releasing the lock lets PostgreSQL notice the dead client
// and roll the batch back; the next worker has to redo it exactly once. The lock is held until the
// second worker has the jobs, as when a dead worker's backend is stuck behind a lock for a while.
import pg from 'pg';
import { waitUntil as waitFor } from './harness/wait';
import type { Job } from 'bullmq';
import { createTestContext, startTestServer, userWithRoles, type TestContext, type TestServer } from './harness/context';
import { ApiClient } from './harness/http';
import { csvMapping, listingsCsv, makeListings, recordsNotHandledOnce, startCsvRun, waitForRun } from './harness/pipeline';
import { startWorkerProcess as spawnWorker, stopProcess, type Spawned } from './harness/spawn';
import { jobIds, type QueueName } from '../src/queues/names';

jest.setTimeout(420_000);

// Short enough to keep the test quick, long enough that a busy live worker never looks stalled.

const total = 12_000; // records in the file: raw files of 5,000 (the default split), batches of 2,000
const isBad = (n: number) => n % 1_000 === 0; // no name: rejected into job_errors, not staged
const bad = Array.from({ length: total }, (_, i) => i + 1).filter(isBad).length;
const valid = total - bad;

let t: TestContext;
let server: TestServer;
let admin: ApiClient;
let runId: number;
let dmoId: number;
const processes: Spawned[] = [];

beforeAll(async () => {
  t = await createTestContext();
  server = await startTestServer(t.ctx);
  const user = await userWithRoles(t.ctx, ['super_admin']);
  admin = await ApiClient.signedIn(server.url, user.email, user.password);
});

afterAll(async () => {
  await Promise.all(processes.map(stopProcess));
  await server?.close();
  await t?.close();
});

const count = async (sql: string, params: unknown[] = []) => (await t.ctx.db.query(sql, params)).rows[0].n as number;

/** This file's waits: longer than the harness default, polled every 20 ms. */
const waitUntil = <T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 60_000, everyMs = 20) =>
  waitFor(what, probe, timeoutMs, everyMs);

/** A worker process on this file's database and Redis (shared harness helper). */
const startWorkerProcess = (queues: QueueName[], concurrency = 2) =>
  spawnWorker(t.settings, queues, { concurrency, logLevel: 'info', track: (worker) => processes.push(worker) });

/** Backends (of the worker) waiting on a lock the given session holds, with what they run. */
async function blockedBy(lockerPid: number) {
  const { rows } = await t.ctx.db.query<{ pid: number; writing: boolean; query: string }>(
    `SELECT pid, backend_xid IS NOT NULL AS writing, query FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`,
    [lockerPid],
  );
  return rows;
}

async function killHard(worker: Spawned): Promise<void> {
  await worker.kill('SIGKILL');
  expect(worker.child.signalCode).toBe('SIGKILL');
}

/** Backends blocked by any of these sessions, leaving out those sessions themselves. */
async function blockedByAny(pids: number[]): Promise<string[]> {
  const { rows } = await t.ctx.db.query<{ statement: string }>(
    `SELECT substring(query from '^\\s*(\\S+\\s+\\S+\\s+\\S+)') AS statement FROM pg_stat_activity
      WHERE pg_blocking_pids(pid) && $1::int[] AND NOT pid = ANY($1::int[])`, [pids]);
  return rows.map((row) => row.statement);
}

async function jobState(queue: QueueName, id: string) {
  const job = (await t.ctx.queues[queue].getJob(id)) as Job | undefined;
  return { state: await job?.getState(), stalledCounter: job?.stalledCounter, failedReason: job?.failedReason ?? '' };
}

function fileWithBadRecords(): string {
  const rows = makeListings(total);
  for (const row of rows) if (isBad(Number(row.id.slice(1)))) row.name = '';
  return listingsCsv(rows);
}

describe('a worker killed with SIGKILL mid-step', () => {
  it('mid-transform: a second worker finishes the run with every record staged or rejected exactly once', async () => {
    const dmo = await admin.post('/api/v1/pipeline/dmos', { name: 'Visit Crash Harbour', dmo_type_id: 3 });
    expect(dmo.status).toBe(201);
    dmoId = dmo.body.id;
    const config = await admin.post('/api/v1/pipeline/configs', {
      dmo_id: dmoId, source_type: 'csv',
      config_params: { import: { source_id_column: 'ID' }, transform: { map_fields: csvMapping } },
    });
    expect(config.status).toBe(201);

    const first = await startWorkerProcess(['import', 'transform']);
    runId = await startCsvRun(admin, config.body.id, fileWithBadRecords());

    // the transform is under way: some batches committed, not all
    const partly = await waitUntil('the transform to be partly done', async () => {
      const { body } = await admin.get(`/api/v1/pipeline/jobs/${runId}`);
      if (['failed', 'cancelled'].includes(body.status)) throw new Error(`run ended ${body.status}: ${body.error_summary}`);
      const { stage, done, total: of } = body.progress;
      return stage === 'transform' && of === total && done > 0 && done < total ? body.progress : null;
    });

    // Hold the run's row: each transform batch adds its progress to it in the batch's transaction,
    // after its rows are written, so every transform in flight stops there, mid-batch. (NO KEY: the
    // staged rows' foreign key to the run must not block their insert.)
    const locker = new pg.Client({ connectionString: t.settings.DATABASE_URL });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM pipeline.jobs WHERE id = $1 FOR NO KEY UPDATE', [runId]);
      const lockerPid = (await locker.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      const { blocked, active } = await waitUntil('every transform in flight to block inside its batch', async () => {
        const [blocked, active] = await Promise.all([blockedBy(lockerPid), t.ctx.queues.transform.getActive()]);
        return blocked.length > 0 && blocked.length === active.length ? { blocked, active } : null;
      }, 60_000, 50);
      for (const backend of blocked) {
        expect(backend.query).toMatch(/UPDATE pipeline\.jobs SET progress_done = progress_done \+/);
        expect(backend.writing).toBe(true); // its batch is written, not committed
      }
      const stagedAtKill = await count('SELECT count(*)::int n FROM staging.rows WHERE job_id = $1', [runId]);
      const progressAtKill = (await admin.get(`/api/v1/pipeline/jobs/${runId}`)).body.progress;
      expect(stagedAtKill).toBeGreaterThan(0);
      expect(stagedAtKill).toBeLessThan(valid);
      expect(progressAtKill.done).toBeLessThan(total);

      await killHard(first);
      const killedJobs = active.map((job) => job.id!);
      const zombies = blocked.map((b) => b.pid);
      process.stdout.write(`transform killed: ${stagedAtKill} of ${valid} rows staged (progress ${progressAtKill.done}/${total} ` +
        `records, first seen at ${partly.done}); ${blocked.length} transform job(s) in flight: ${killedJobs.join(', ')}\n`);

      // The dead worker's backends wait on the lock and have not noticed their client is gone: their
      // batches are still pending when the jobs come back. The second worker (room for every job) must
      // wait for those rows, not stage them beside them.
      const started = Date.now();
      await startWorkerProcess(['import', 'transform', 'stage'], 4);
      const waiting = await waitUntil('the second worker to take the killed jobs back and wait on the pending batches', async () => {
        const states = await Promise.all(killedJobs.map((id) => jobState('transform', id)));
        if (!states.every((state) => state.state === 'active' && state.stalledCounter === 1)) return null;
        const [active, waiting] = await Promise.all([t.ctx.queues.transform.getActive(), blockedByAny([lockerPid, ...zombies])]);
        return waiting.length === active.length ? waiting : null;
      }, 120_000, 100);
      expect(await count('SELECT count(*)::int n FROM staging.rows WHERE job_id = $1', [runId])).toBe(stagedAtKill);
      process.stdout.write(`transform taken over ${Math.round((Date.now() - started) / 1000)} s after the second worker was asked to start; ` +
        `its ${waiting.length} transform(s) wait at: ${waiting.sort().join('; ')}\n`);

      // Let go: the dead worker's backends find their client gone and roll their batches back.
      await locker.query('ROLLBACK');
      await waitUntil('the killed worker\'s backends to end', async () =>
        (await count('SELECT count(*)::int n FROM pg_stat_activity WHERE pid = ANY($1::int[])', [zombies])) === 0, 30_000, 50);
      const staged = await waitForRun(admin, runId, ['awaiting_review'], 180_000);
      process.stdout.write(`transform recovered: awaiting_review ${Math.round((Date.now() - started) / 1000)} s after the second worker was asked to start\n`);

      expect(staged.results).toEqual(expect.objectContaining({
        records_total: total, records_new: valid, records_error: bad, records_updated: 0, records_unchanged: 0,
        records_duplicates: 0, records_deleted: 0, records_possible_match: 0,
      }));
      expect(await count('SELECT count(*)::int n FROM staging.rows WHERE job_id = $1', [runId])).toBe(valid);
      expect(await count(
        `SELECT count(*)::int n FROM (SELECT 1 FROM staging.rows WHERE job_id = $1 GROUP BY file_seq, rec_num HAVING count(*) > 1) d`,
        [runId])).toBe(0);
      expect(await count('SELECT count(DISTINCT source_id)::int n FROM staging.rows WHERE job_id = $1', [runId])).toBe(valid);
      expect(await count('SELECT count(*)::int n FROM pipeline.job_errors WHERE job_id = $1', [runId])).toBe(bad);
      // every record of the file was handled exactly once: staged or rejected, never both, none missing
      expect(await recordsNotHandledOnce(t.ctx.db, runId, total)).toBe(0);
      expect(await count(`SELECT count(*)::int n FROM staging.rows WHERE job_id = $1 AND action = 'insert' AND ok_to_promote`, [runId]))
        .toBe(valid);

      // the killed jobs stalled once and were run again, not failed
      for (const id of killedJobs) {
        expect(await jobState('transform', id)).toEqual({ state: 'completed', stalledCounter: 1, failedReason: '' });
      }
      expect((await jobState('stage', jobIds.stage(runId))).state).toBe('completed');
    } finally {
      await locker.end();
    }
  });

  it('mid-promote: a second worker finishes the promote with N listings and 2N bridge rows, none twice', async () => {
    const approved = await admin.post('/api/v1/pipeline/staging/review', { jobId: runId, filter: { proposed: true }, decision: 'approve' });
    expect(approved.body).toEqual({ updated: valid });

    const first = await startWorkerProcess(['promote']);
    expect((await admin.post('/api/v1/pipeline/staging/promote', { jobId: runId })).status).toBe(202);

    const partly = await waitUntil('the promote to be partly done', async () => {
      const { body } = await admin.get(`/api/v1/pipeline/jobs/${runId}`);
      if (['failed', 'cancelled'].includes(body.status)) throw new Error(`run ended ${body.status}: ${body.error_summary}`);
      const { stage, done, total: of } = body.progress;
      return body.status === 'promoting' && stage === 'promote' && of === valid && done > 0 && done < valid ? body.progress : null;
    });

    // Hold, uncommitted, the bridge key of one record ten batches ahead (as a concurrent promote writing
    // the same record would). A batch writes its bridge rows after its listings, listing_info and the
    // rest, so the batch with that record stops there, everything else written, nothing committed.
    const ahead = (await t.ctx.db.query(
      `SELECT source_id FROM staging.rows WHERE job_id = $1 AND review_status = 'approved' AND promoted_at IS NULL
        ORDER BY id OFFSET 5000 LIMIT 1`, [runId])).rows[0].source_id as string;
    const locker = new pg.Client({ connectionString: t.settings.DATABASE_URL });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(
        `INSERT INTO pipeline.bridge_source_target (dmo_id, source_id, target_type, target_id) VALUES ($1, $2, 'listing', 0)`,
        [dmoId, ahead]);
      const lockerPid = (await locker.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      const [zombie] = await waitUntil('the promote batch to block inside its transaction', async () => {
        const rows = await blockedBy(lockerPid);
        return rows.length ? rows : null;
      }, 60_000, 50);
      expect(zombie!.query).toMatch(/INSERT INTO pipeline\.bridge_source_target/);
      expect(zombie!.writing).toBe(true);

      const listingsAtKill = await count('SELECT count(*)::int n FROM public.listings');
      const promotedAtKill = await count('SELECT count(*)::int n FROM staging.rows WHERE job_id = $1 AND promoted_at IS NOT NULL', [runId]);
      expect(listingsAtKill).toBeGreaterThan(0);
      expect(listingsAtKill).toBeLessThan(valid);
      expect(promotedAtKill).toBe(listingsAtKill); // committed batches are whole: each created listing's row is marked
      expect(await count('SELECT count(*)::int n FROM pipeline.bridge_source_target WHERE dmo_id = $1', [dmoId])).toBe(2 * listingsAtKill);

      await killHard(first);
      process.stdout.write(`promote killed: ${listingsAtKill} of ${valid} listings created (progress first seen at ${partly.done}), ` +
        `one batch written but uncommitted, its rows still held by the dead worker's backend\n`);

      // The dead worker's backend waits on the lock and has not noticed its client is gone: it still
      // holds its batch's rows when the job comes back. The second worker must wait for them, not
      // skip them and call the run promoted.
      const started = Date.now();
      await startWorkerProcess(['promote']);
      const waiting = await waitUntil('the second worker to take the job and wait for the held batch (or to finish)', async () => {
        const run = (await admin.get(`/api/v1/pipeline/jobs/${runId}`)).body;
        if (run.status !== 'promoting') return { status: run.status as string, blocked: 0 };
        const blocked = (await blockedBy(zombie!.pid)).length;
        return blocked ? { status: run.status as string, blocked } : null;
      }, 120_000, 100);
      expect(waiting).toEqual({ status: 'promoting', blocked: 1 });
      expect(await count('SELECT count(*)::int n FROM public.listings')).toBe(listingsAtKill);
      expect(await jobState('promote', jobIds.promote(runId))).toEqual({ state: 'active', stalledCounter: 1, failedReason: '' });
      process.stdout.write(`promote taken over ${Math.round((Date.now() - started) / 1000)} s after the second worker was asked to start; ` +
        'it waits for the batch the dead worker\'s backend holds\n');

      // Let go: the dead worker's backend finds its client gone and rolls its batch back.
      await locker.query('ROLLBACK');
      await waitUntil('the killed worker\'s backend to end', async () =>
        (await count('SELECT count(*)::int n FROM pg_stat_activity WHERE pid = $1', [zombie!.pid])) === 0, 30_000, 50);

      const promoted = await waitForRun(admin, runId, ['promoted'], 180_000);
      process.stdout.write(`promote recovered: promoted ${Math.round((Date.now() - started) / 1000)} s after the second worker was asked to start\n`);

      expect(promoted.promote_results).toEqual({ inserted: valid, updated: 0, deleted: 0, unchanged: 0, skipped: 0, listings_created: valid });
      expect(promoted.progress).toMatchObject({ stage: 'promote', done: valid, total: valid });
      expect(await count('SELECT count(*)::int n FROM staging.rows WHERE job_id = $1 AND promoted_at IS NULL', [runId])).toBe(0);
      expect(await count('SELECT count(*)::int n FROM public.listings')).toBe(valid);
      expect(await count('SELECT count(DISTINCT match_hash)::int n FROM public.listings')).toBe(valid);
      expect(await count('SELECT count(*)::int n FROM public.locations')).toBe(valid);
      expect(await count('SELECT count(*)::int n FROM public.listing_info WHERE dmo_id = $1', [dmoId])).toBe(valid);
      expect(await count('SELECT count(DISTINCT source_id)::int n FROM public.listing_info WHERE dmo_id = $1', [dmoId])).toBe(valid);
      expect(await count('SELECT count(*)::int n FROM public.contact_info')).toBe(valid);
      expect(await count('SELECT count(*)::int n FROM pipeline.bridge_source_target WHERE dmo_id = $1', [dmoId])).toBe(2 * valid);
      // each staged row points at the listing and listing_info its bridge rows name, created by this run
      expect(await count(
        `SELECT count(*)::int n FROM staging.rows r
           JOIN pipeline.bridge_source_target bl ON bl.dmo_id = r.dmo_id AND bl.source_id = r.source_id AND bl.target_type = 'listing'
           JOIN pipeline.bridge_source_target bi ON bi.dmo_id = r.dmo_id AND bi.source_id = r.source_id AND bi.target_type = 'listing_info'
           JOIN public.listing_info li ON li.id = bi.target_id
          WHERE r.job_id = $1 AND r.promoted_at IS NOT NULL AND r.created_listing
            AND bl.target_id = r.listing_id AND bi.target_id = r.listing_info_id AND li.listing_id = r.listing_id`,
        [runId])).toBe(valid);
      expect(await count(`SELECT count(*)::int n FROM pipeline.change_log WHERE job_id = $1 AND change = 'insert' AND entity_type = 'listing'`, [runId]))
        .toBe(valid);
      expect(await count(`SELECT count(*)::int n FROM pipeline.change_log WHERE job_id = $1 AND change = 'insert' AND entity_type = 'listing_info'`, [runId]))
        .toBe(valid);

      expect(await jobState('promote', jobIds.promote(runId))).toEqual({ state: 'completed', stalledCounter: 1, failedReason: '' });
    } finally {
      await locker.end();
    }
  });
});
