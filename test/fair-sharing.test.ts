// Fair sharing between DMOs: a 200-record run queued after a 50,000-record one must not wait for all
// of the large run's transforms. One transform worker process with one slot makes the queue the only
// thing that decides the order; import and stage run in this process.
import {
  createCsvSource, listingsCsv, makeListings, startCsvRun, startPipelineUnderTest, waitForRun, type PipelineUnderTest,
} from './harness/pipeline';
import { startWorkerProcess, stopProcess, type Spawned } from './harness/spawn';
import { waitUntil } from './harness/wait';

jest.setTimeout(240_000);

let product: PipelineUnderTest;
let transformWorker: Spawned | undefined;
const admin = () => product.admin;

beforeAll(async () => {
  product = await startPipelineUnderTest({}, ['import', 'stage', 'promote']);
  transformWorker = await startWorkerProcess(product.t.settings, ['transform'], { concurrency: 1 });
});

afterAll(async () => {
  if (transformWorker) await stopProcess(transformWorker);
  await product?.close();
});

interface RunView {
  status: string;
  progress: { stage: string; done: number; total: number };
  staged_at: string | null;
}

const getRun = async (runId: number) => (await admin().get(`/api/v1/pipeline/jobs/${runId}`)).body as RunView;

it('a 200-record run queued after a 50,000-record one is staged while the large run is still transforming', async () => {
  // 1,000-record raw files: the large run is 50 transform jobs, the small one a single job
  const split = { import: { source_id_column: 'ID', split_records: 1_000 } };
  const large = await createCsvSource(admin(), 'Visit Big Province', 3, split);
  const small = await createCsvSource(admin(), 'Visit Small Harbour', 3, split);

  const largeRun = await startCsvRun(admin(), large.configId, listingsCsv(makeListings(50_000)), 'province.csv');
  // the large run's transforms are queued, and a few of its 50 have run, before the small run is added
  await waitUntil('the large run transforming with most of its batches still waiting', async () => {
    const run = await getRun(largeRun);
    return run.progress.stage === 'transform' && run.progress.done >= 2_000 && run.progress.done <= 10_000;
  }, 120_000, 20);

  const smallRun = await startCsvRun(admin(), small.configId, listingsCsv(makeListings(200, 1)), 'harbour.csv');
  const smallStaged = await waitForRun(admin(), smallRun, ['awaiting_review'], 120_000);
  const largeWhenSmallStaged = await getRun(largeRun);

  expect(smallStaged.results.records_new).toBe(200);
  // the small run waited for the batch in hand, not for the 40-odd still queued before it
  expect(largeWhenSmallStaged.status).toBe('running');
  expect(largeWhenSmallStaged.progress.stage).toBe('transform');
  expect(largeWhenSmallStaged.progress.done).toBeLessThan(30_000);

  const largeStaged = await waitForRun(admin(), largeRun, ['awaiting_review'], 180_000);
  expect(largeStaged.results.records_new).toBe(50_000);
  // the order, from what PostgreSQL recorded: the small run was staged first
  expect(Date.parse(smallStaged.staged_at)).toBeLessThan(Date.parse(largeStaged.staged_at));
  process.stdout.write(`fair sharing: the 200-record run was staged when the 50,000-record run had transformed ` +
    `${largeWhenSmallStaged.progress.done} records\n`);
});
