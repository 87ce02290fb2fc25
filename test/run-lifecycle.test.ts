// The run lifecycle through the API with real workers: retry resumes the step that failed (of that
// run only), cancel removes the run's jobs, and two requests at the same moment leave the run as one
// of them alone would.
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { jobIds } from '../src/queues/names';
import {
  approveAndPromote, createCsvSource, listingsCsv, makeListings, startCsvRun, startPipelineUnderTest, waitForRun,
  type PipelineUnderTest,
} from './harness/pipeline';
import { waitUntil } from './harness/wait';

jest.setTimeout(120_000);

let product: PipelineUnderTest;
beforeAll(async () => (product = await startPipelineUnderTest()));
afterAll(() => product.close());

const api = () => product.admin;
let sources = 0;
const source = () => createCsvSource(api(), `Lifecycle ${(sources += 1)}`);

/** A run whose transforms wait (the transform queue is paused) once its raw files are written. */
async function runHeldBeforeTransform(rows: number, from: number) {
  const { configId } = await source();
  await product.t.ctx.queues.transform.pause();
  const runId = await startCsvRun(api(), configId, listingsCsv(makeListings(rows, from)));
  for (;;) {
    const run = (await api().get(`/api/v1/pipeline/jobs/${runId}`)).body;
    const files = (await api().get(`/api/v1/pipeline/jobs/${runId}/files`)).body.files;
    if (run.status === 'running' && files.some((file: { kind: string }) => file.kind === 'raw')) {
      // the stage flow is added right after the import job finishes
      if (await product.t.ctx.queues.stage.getJob(jobIds.stage(runId))) return { runId, configId, files };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('retry', () => {
  it('a run that failed in transform, after its import, resumes there and reaches review; no other run is touched', async () => {
    const { runId, files } = await runHeldBeforeTransform(30, 1_000);
    const raw = files.find((file: { kind: string }) => file.kind === 'raw');
    const key = (await product.t.ctx.db.query('SELECT storage_key FROM pipeline.job_files WHERE id = $1', [raw.id])).rows[0].storage_key;
    const content = await buffer(await product.t.ctx.store.get(key));
    await product.t.ctx.store.delete(key);
    // another run PostgreSQL says is queued but that has no job: a retry of the first must not start it
    const other = await source();
    const idle = (await product.t.ctx.db.query(
      `INSERT INTO pipeline.jobs (config_id, dmo_id, data_domain, status) SELECT id, dmo_id, data_domain, 'queued'
         FROM pipeline.configs WHERE id = $1 RETURNING id`, [other.configId])).rows[0].id;
    await product.t.ctx.queues.transform.resume();

    const failed = await waitForRun(api(), runId, ['failed'], 60_000);
    expect(failed.stage).toBe('transform');
    expect(failed.error_summary).toMatch(/^transform step failed: /);

    await product.t.ctx.store.put(key, Readable.from([content]));
    const retried = await api().post(`/api/v1/pipeline/jobs/${runId}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe('running');
    expect(retried.body.error_summary).toBeNull();
    const staged = await waitForRun(api(), runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: 30, records_new: 30, records_error: 0 });
    expect(await product.t.ctx.queues.import.getJob(jobIds.import(idle))).toBeUndefined();
    expect((await api().get(`/api/v1/pipeline/jobs/${idle}`)).body.status).toBe('queued');
  });

  it('a failed transform retried in Bull Board moves its run back to running, and the run reaches review', async () => {
    const { runId, files } = await runHeldBeforeTransform(12, 8_000);
    const raw = files.find((file: { kind: string }) => file.kind === 'raw');
    const key = (await product.t.ctx.db.query('SELECT storage_key FROM pipeline.job_files WHERE id = $1', [raw.id])).rows[0].storage_key;
    const content = await buffer(await product.t.ctx.store.get(key));
    await product.t.ctx.store.delete(key);
    await product.t.ctx.queues.transform.resume();
    await waitForRun(api(), runId, ['failed'], 60_000);

    // the stage retried alone would decide on part of the run: it refuses, saying what to retry and why
    const stageJob = await product.t.ctx.queues.stage.getJob(jobIds.stage(runId));
    // BullMQ fails the parent of a failed child as it finishes the child, which on a busy machine can
    // land a moment after the run was marked failed by the child's 'failed' event
    await waitUntil('the stage parent failed with its transform', async () => stageJob!.isFailed(), 15_000);
    await stageJob!.retry('failed');
    const refusedAt = Date.now() + 30_000;
    let refused = (await api().get(`/api/v1/pipeline/jobs/${runId}`)).body;
    while (!/retry the failed transform/.test(refused.error_summary ?? '') && Date.now() < refusedAt) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      refused = (await api().get(`/api/v1/pipeline/jobs/${runId}`)).body;
    }
    expect(refused).toMatchObject({ status: 'failed', stage: 'stage' });
    expect(refused.error_summary).toMatch(/1 of the run's transform jobs did not finish \(run-\d+-transform-1: no blob under key .*\): retry the failed transform \(or the run\), not the stage/);
    expect((await api().get(`/api/v1/pipeline/staging/counts?jobId=${runId}`)).body.total).toBe(0);

    await product.t.ctx.store.put(key, Readable.from([content]));
    // what Bull Board's "Retry" does to the failed job
    const transformJob = await product.t.ctx.queues.transform.getJob(jobIds.transform(runId, raw.seq));
    await transformJob!.retry('failed');
    const deadline = Date.now() + 30_000;
    while ((await api().get(`/api/v1/pipeline/jobs/${runId}`)).body.status === 'failed' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const staged = await waitForRun(api(), runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: 12, records_new: 12 });
  });

  it('a transform that fails for good leaves its run failed with that error: the other files do not bring it back', async () => {
    const { configId } = await createCsvSource(api(), `Lifecycle ${(sources += 1)}`, 3, { import: { source_id_column: 'ID', split_records: 5 } });
    await product.t.ctx.queues.transform.pause();
    const runId = await startCsvRun(api(), configId, listingsCsv(makeListings(15, 9_000)));
    let raws: { id: number; seq: number; kind: string }[] = [];
    const heldUntil = Date.now() + 20_000;
    while (Date.now() < heldUntil) {
      raws = (await api().get(`/api/v1/pipeline/jobs/${runId}/files`)).body.files.filter((f: { kind: string }) => f.kind === 'raw');
      if (raws.length === 3 && (await product.t.ctx.queues.stage.getJob(jobIds.stage(runId)))) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(raws).toHaveLength(3);
    const key = (await product.t.ctx.db.query('SELECT storage_key FROM pipeline.job_files WHERE id = $1', [raws[0]!.id])).rows[0].storage_key;
    await product.t.ctx.store.delete(key);
    await product.t.ctx.queues.transform.resume();
    await waitForRun(api(), runId, ['failed'], 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const after = (await api().get(`/api/v1/pipeline/jobs/${runId}`)).body;
    expect(after).toMatchObject({ status: 'failed', stage: 'transform' });
    expect(after.error_summary).toMatch(/^transform step failed: no blob/);
  });

  it('two retries at the same moment: one moves the run, the other answers 409 naming its status', async () => {
    const { configId } = await source();
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]);
    const runId = await startCsvRun(api(), configId, png, 'logo.csv');
    await waitForRun(api(), runId, ['failed']);
    const both = await Promise.all([1, 2].map(() => api().post(`/api/v1/pipeline/jobs/${runId}/retry`)));
    expect(both.map((reply) => reply.status).sort()).toEqual([200, 409]);
    const refused = both.find((reply) => reply.status === 409)!;
    expect(refused.body.error.message).toMatch(new RegExp(`^Run ${runId} is (queued|running|failed)`));
    // the retried import fails again the same way, once
    const again = await waitForRun(api(), runId, ['failed']);
    expect(again.error_summary).toMatch(/logo\.csv/);
  });
});

describe('cancel', () => {
  it("removes the run's waiting jobs, so nothing of it is staged afterwards", async () => {
    const { runId, files } = await runHeldBeforeTransform(20, 2_000);
    const cancelled = await api().post(`/api/v1/pipeline/jobs/${runId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(await product.t.ctx.queues.stage.getJob(jobIds.stage(runId))).toBeUndefined();
    for (const file of files.filter((f: { kind: string }) => f.kind === 'raw')) {
      expect(await product.t.ctx.queues.transform.getJob(jobIds.transform(runId, file.seq))).toBeUndefined();
    }
    await product.t.ctx.queues.transform.resume();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await api().get(`/api/v1/pipeline/staging/rows?jobId=${runId}`)).body.total).toBe(0);
    const again = await api().post(`/api/v1/pipeline/jobs/${runId}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error.message).toBe(`Run ${runId} is cancelled: it can be cancelled only when it is waiting for input, queued, running, awaiting review`);
  });
});

describe('a step whose work committed but whose hand-on was lost', () => {
  it('the stage job tried again (as BullMQ retries it) finds the run promoting and adds the promote job it lacks', async () => {
    const { configId } = await createCsvSource(api(), 'Lifecycle unattended', 3, {
      import: { source_id_column: 'ID' }, promote: { auto_promote: true },
    });
    const { queues } = product.t.ctx;
    await queues.promote.pause();
    try {
      const runId = await startCsvRun(api(), configId, listingsCsv(makeListings(5, 6_000)));
      await waitForRun(api(), runId, ['promoting']);
      // as if Redis had failed between the stage's commit and its enqueuePromote
      const lost = await queues.promote.getJob(jobIds.promote(runId));
      await lost!.remove();
      const stageJob = await queues.stage.getJob(jobIds.stage(runId));
      expect(await stageJob!.getState()).toBe('completed');
      await stageJob!.retry('completed');
      await waitUntil('the promote job added again', () => queues.promote.getJob(jobIds.promote(runId)));
      await queues.promote.resume();
      const promoted = await waitForRun(api(), runId, ['promoted']);
      expect(promoted.promote_results.inserted + promoted.promote_results.listings_created).toBeGreaterThan(0);
      const listed = (await product.t.ctx.db.query('SELECT count(*)::int AS n FROM public.listing_info WHERE last_job_id = $1', [runId])).rows[0].n;
      expect(listed).toBe(5);
    } finally {
      await queues.promote.resume();
    }
  });
});

describe('cancel while the stage job is active', () => {
  it('the stage finds the run cancelled when it hands on: all it wrote rolls back and the older run is not superseded', async () => {
    const { configId } = await source();
    const older = await startCsvRun(api(), configId, listingsCsv(makeListings(4, 7_000)));
    await waitForRun(api(), older, ['awaiting_review']);
    const { queues } = product.t.ctx;
    const locker = await product.t.ctx.db.connect();
    try {
      // the transforms stage the rows; the stage waits (its queue paused) until the test holds them
      await queues.stage.pause();
      const runId = await startCsvRun(api(), configId, listingsCsv(makeListings(4, 7_100)));
      await waitUntil('the transforms done, the stage job waiting', async () => {
        const job = await queues.stage.getJob(jobIds.stage(runId));
        return job && (await job.getState()) === 'waiting';
      }, 60_000);
      // the stage's UPDATE that decides each row's action waits on these row locks, mid-transaction
      const lockerPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM staging.rows WHERE job_id = $1 FOR UPDATE', [runId]);
      await queues.stage.resume();
      await waitUntil('the stage job active and waiting on the row locks', async () => {
        const job = await queues.stage.getJob(jobIds.stage(runId));
        if (!job || !(await job.isActive())) return false;
        // a backend the test's row locks block (its query text may be cut at track_activity_query_size)
        const waiting = await product.t.ctx.db.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND $1 = ANY (pg_blocking_pids(pid))`, [lockerPid]);
        return waiting.rowCount! > 0;
      }, 60_000);
      const cancelled = await api().post(`/api/v1/pipeline/jobs/${runId}/cancel`);
      expect(cancelled.status).toBe(200);
      await locker.query('COMMIT');

      await waitUntil('the stage job done', async () => {
        const job = await product.t.ctx.queues.stage.getJob(jobIds.stage(runId));
        return job && ['completed', 'failed'].includes(await job.getState());
      }, 60_000);
      const run = (await api().get(`/api/v1/pipeline/jobs/${runId}`)).body;
      expect(run.status).toBe('cancelled');
      expect(run.staged_at).toBeNull();
      const decided = (await product.t.ctx.db.query(
        'SELECT count(*)::int AS n FROM staging.rows WHERE job_id = $1 AND action IS NOT NULL', [runId])).rows[0].n;
      expect(decided).toBe(0);
      expect((await api().get(`/api/v1/pipeline/jobs/${older}`)).body.status).toBe('awaiting_review');
    } finally {
      await queues.stage.resume();
      await locker.query('ROLLBACK').catch(() => undefined);
      locker.release();
    }
  });
});

describe('two different requests at the same moment', () => {
  it('promote and discard, ten times: exactly one wins each time, and what the run says is what production holds', async () => {
    for (let i = 0; i < 10; i += 1) {
      const { configId } = await source();
      const runId = await startCsvRun(api(), configId, listingsCsv(makeListings(3, 3_000 + i * 10)));
      await waitForRun(api(), runId, ['awaiting_review']);
      await api().post('/api/v1/pipeline/staging/review', { jobId: runId, filter: { proposed: true }, decision: 'approve' });
      const [promote, discard] = await Promise.all([
        api().post('/api/v1/pipeline/staging/promote', { jobId: runId }),
        api().post(`/api/v1/pipeline/jobs/${runId}/discard`),
      ]);
      expect([promote.status, discard.status].filter((status) => status < 300)).toHaveLength(1);
      const listings = async () => (await product.t.ctx.db.query(
        'SELECT count(*)::int AS n FROM public.listing_info WHERE last_job_id = $1', [runId])).rows[0].n;
      if (promote.status === 202) {
        expect(discard.status).toBe(409);
        expect((await waitForRun(api(), runId, ['promoted'])).promote_results).toMatchObject({ inserted: 3 });
        expect(await listings()).toBe(3);
      } else {
        expect(promote.status).toBe(409);
        expect((await api().get(`/api/v1/pipeline/jobs/${runId}`)).body.status).toBe('cancelled');
        expect((await api().get(`/api/v1/pipeline/staging/rows?jobId=${runId}`)).body.total).toBe(0);
        expect(await listings()).toBe(0);
      }
    }
  });

  it('cancel and promote, five times: one wins each time; a cancelled run is never promoted', async () => {
    for (let i = 0; i < 5; i += 1) {
      const { configId } = await source();
      const runId = await startCsvRun(api(), configId, listingsCsv(makeListings(3, 4_000 + i * 10)));
      await waitForRun(api(), runId, ['awaiting_review']);
      await api().post('/api/v1/pipeline/staging/review', { jobId: runId, filter: { proposed: true }, decision: 'approve' });
      const [cancel, promote] = await Promise.all([
        api().post(`/api/v1/pipeline/jobs/${runId}/cancel`),
        api().post('/api/v1/pipeline/staging/promote', { jobId: runId }),
      ]);
      expect([cancel.status, promote.status].filter((status) => status < 300)).toHaveLength(1);
      const final = await waitForRun(api(), runId, cancel.status === 200 ? ['cancelled'] : ['promoted']);
      const listed = (await product.t.ctx.db.query('SELECT count(*)::int AS n FROM public.listing_info WHERE last_job_id = $1', [runId])).rows[0].n;
      expect({ status: final.status, listings: listed }).toEqual(cancel.status === 200 ? { status: 'cancelled', listings: 0 } : { status: 'promoted', listings: 3 });
    }
  });

  it('a review decided while the run moves to promote waits for the move, then changes nothing (409)', async () => {
    const { configId } = await source();
    const runId = await startCsvRun(api(), configId, listingsCsv(makeListings(3, 6_000)));
    await waitForRun(api(), runId, ['awaiting_review']);
    // the promote request's move of the run, held uncommitted while the review arrives
    const mover = await product.t.ctx.db.connect();
    try {
      await mover.query('BEGIN');
      await mover.query(`UPDATE pipeline.jobs SET status = 'promoting', stage = 'promote' WHERE id = $1`, [runId]);
      const decided = api().post('/api/v1/pipeline/staging/review', { jobId: runId, filter: { proposed: true }, decision: 'approve' });
      // the review has read the run as awaiting_review and now waits for the run's row
      await waitUntil('the review waiting for the run', async () => (await product.t.ctx.db.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows.length > 0 || null, 10_000);
      await mover.query('COMMIT');
      const reply = await decided;
      expect(reply.status).toBe(409);
      expect(reply.body.error.message).toMatch(/promoting/);
    } finally {
      mover.release();
    }
    const { rows: [approved] } = await product.t.ctx.db.query(
      `SELECT count(*)::int AS n FROM staging.rows WHERE job_id = $1 AND review_status = 'approved'`, [runId]);
    expect(approved.n).toBe(0);
  });

  it('promoting a promoted run again answers its status and changes nothing', async () => {
    const { configId } = await source();
    const runId = await startCsvRun(api(), configId, listingsCsv(makeListings(2, 5_000)));
    const inReview = await waitForRun(api(), runId, ['awaiting_review']);
    // a run waiting for review has not finished: it was staged
    expect(inReview.staged_at).not.toBeNull();
    expect(inReview.finished_at).toBeNull();
    const promoted = await approveAndPromote(api(), runId);
    expect(promoted.staged_at).toBe(inReview.staged_at);
    expect(new Date(promoted.finished_at).getTime()).toBeGreaterThanOrEqual(new Date(inReview.staged_at).getTime());
    const again = await api().post('/api/v1/pipeline/staging/promote', { jobId: runId });
    expect(again.status).toBe(202);
    expect(again.body.status).toBe('promoted');
  });
});

describe('one run in flight per config', () => {
  it('two triggers of a fetching source at the same moment start one run; both answer with it', async () => {
    const dmo = (await api().post('/api/v1/pipeline/dmos', { name: 'Lifecycle site', dmo_type_id: 1 })).body;
    const site = (await api().post('/api/v1/pipeline/configs', {
      dmo_id: dmo.id, source_type: 'wordpress', config_params: { import: { base_url: 'https://site.example.org' } },
    })).body;
    await product.t.ctx.queues.import.pause();
    try {
      const both = await Promise.all([1, 2].map(() => api().post('/api/v1/pipeline/executeStage', { configId: site.id })));
      expect(both.map((reply) => reply.status).sort()).toEqual([200, 202]);
      expect(both[0]!.body.jobId).toBe(both[1]!.body.jobId);
      const runsOfConfig = (await api().get(`/api/v1/pipeline/jobs?configId=${site.id}`)).body.jobs;
      expect(runsOfConfig).toHaveLength(1);
    } finally {
      await product.t.ctx.queues.import.resume();
    }
  });

  it('a file run cannot continue while another run of the config is in flight, and stays waiting for it', async () => {
    const { runId: busy, configId } = await runHeldBeforeTransform(10, 6_000);
    try {
      // an earlier run of the same config, in review, waits for the busy one
      const second = (await api().post('/api/v1/pipeline/executeStage', { configId })).body.jobId;
      const form = new FormData();
      form.append('jobId', String(second));
      form.append('file', new Blob([listingsCsv(makeListings(4, 6_100))]), 'second.csv');
      expect((await api().request('POST', '/api/v1/pipeline/uploadStageFile', form)).status).toBe(201);
      const refused = await api().post('/api/v1/pipeline/executeStage', { jobId: second, continue: true });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('run_in_flight');
      expect(refused.body.error.message).toContain(`Run ${busy} of this config is running`);
      expect((await api().get(`/api/v1/pipeline/jobs/${second}`)).body.status).toBe('waiting_for_input');
    } finally {
      await product.t.ctx.queues.transform.resume();
    }
    await waitForRun(api(), busy, ['awaiting_review']);
  });

  it('promote waits for the config’s run in flight', async () => {
    const { configId } = await source();
    const inReview = await startCsvRun(api(), configId, listingsCsv(makeListings(3, 7_000)));
    await waitForRun(api(), inReview, ['awaiting_review']);
    await api().post('/api/v1/pipeline/staging/review', { jobId: inReview, filter: { proposed: true }, decision: 'approve' });
    await product.t.ctx.queues.transform.pause();
    let busy: number;
    try {
      busy = await startCsvRun(api(), configId, listingsCsv(makeListings(3, 7_100)));
      await waitForRun(api(), busy, ['running']);
      const refused = await api().post('/api/v1/pipeline/staging/promote', { jobId: inReview });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('run_in_flight');
      expect((await api().get(`/api/v1/pipeline/jobs/${inReview}`)).body.status).toBe('awaiting_review');
    } finally {
      await product.t.ctx.queues.transform.resume();
    }
    await waitForRun(api(), busy!, ['awaiting_review']);
  });
});
