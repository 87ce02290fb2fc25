// Retention: the staged rows of runs over for longer than STAGING_RETENTION_DAYS are purged by a daily
// job, in bounded batches; runs, results, errors and files stay, and nothing of a live run is touched.
import { purgeExpiredStagedRows } from '../src/db/retention';
import { reconcileSchedules } from '../src/queues/schedules';
import {
  approveAndPromote, createCsvSource, listingsCsv, makeListings, startCsvRun, startPipelineUnderTest, waitForRun,
  type PipelineUnderTest,
} from './harness/pipeline';

jest.setTimeout(60_000);

let product: PipelineUnderTest;
beforeAll(async () => (product = await startPipelineUnderTest({ STAGING_RETENTION_DAYS: '30' })));
afterAll(() => product.close());

const api = () => product.admin;
const db = () => product.t.ctx.db;
const stagedRows = async (runId: number) => (await db().query('SELECT count(*)::int AS n FROM staging.rows WHERE job_id = $1', [runId])).rows[0].n;
const ageRun = (runId: number, days: number) =>
  db().query(`UPDATE pipeline.jobs SET finished_at = now() - make_interval(days => $2), staged_at = now() - make_interval(days => $2)
               WHERE id = $1`, [runId, days]);

async function stagedRun(name: string, rows: number, from: number) {
  const { configId } = await createCsvSource(api(), name);
  const runId = await startCsvRun(api(), configId, listingsCsv(makeListings(rows, from)));
  await waitForRun(api(), runId, ['awaiting_review']);
  return runId;
}

test('rows of runs promoted or cancelled over 30 days ago go; the runs and their results stay; live and recent runs keep theirs', async () => {
  const oldPromoted = await stagedRun('Retention old promoted', 5, 1);
  await approveAndPromote(api(), oldPromoted);
  await ageRun(oldPromoted, 40);
  const recentPromoted = await stagedRun('Retention recent promoted', 3, 100);
  await approveAndPromote(api(), recentPromoted);
  await ageRun(recentPromoted, 5);
  const oldCancelled = await stagedRun('Retention old cancelled', 4, 200);
  await api().post(`/api/v1/pipeline/jobs/${oldCancelled}/cancel`);
  await ageRun(oldCancelled, 45);
  const inReview = await stagedRun('Retention in review', 2, 300);
  await db().query(`UPDATE pipeline.jobs SET staged_at = now() - interval '60 days' WHERE id = $1`, [inReview]);

  // bounded batches: two rows a statement still reaches every row of every expired run
  const purged = await purgeExpiredStagedRows(db(), 30, 2);
  expect(purged).toEqual({ rows: 9, runs: 2 });
  expect(await stagedRows(oldPromoted)).toBe(0);
  expect(await stagedRows(oldCancelled)).toBe(0);
  expect(await stagedRows(recentPromoted)).toBe(3);
  expect(await stagedRows(inReview)).toBe(2);

  const run = (await api().get(`/api/v1/pipeline/jobs/${oldPromoted}`)).body;
  expect(run.status).toBe('promoted');
  expect(run.results).toMatchObject({ records_total: 5, records_new: 5 });
  expect(run.promote_results).toMatchObject({ inserted: 5 });
  expect((await api().get(`/api/v1/pipeline/jobs/${oldPromoted}/files`)).body.files.length).toBeGreaterThan(0);
  // promoted listings are production's, not staging's
  expect((await db().query('SELECT count(*)::int AS n FROM public.listing_info WHERE last_job_id = $1', [oldPromoted])).rows[0].n).toBe(5);
  expect(await purgeExpiredStagedRows(db(), 30)).toEqual({ rows: 0, runs: 0 });
});

test('the purge is a daily job scheduler on the stage queue, and its job purges', async () => {
  await reconcileSchedules(product.t.ctx);
  const scheduler = await product.t.ctx.queues.stage.getJobScheduler('purge-staging');
  expect(scheduler?.pattern).toBe('30 4 * * *');
  expect(new Date(scheduler!.next!).getUTCHours()).toBe(4);

  const expired = await stagedRun('Retention by the job', 3, 400);
  await approveAndPromote(api(), expired);
  await ageRun(expired, 31);
  const job = await product.t.ctx.queues.stage.add('purge-staging', {});
  const deadline = Date.now() + 20_000;
  while (!(await job.isCompleted()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(await job.isCompleted()).toBe(true);
  expect(await stagedRows(expired)).toBe(0);
});
