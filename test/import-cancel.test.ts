// A run cancelled while its source is read (a site that answers slowly, a scrape at 1 request/s)
// stops reading: the import step aborts its requests within a few seconds instead of going on for hours.
import { jobIds } from '../src/queues/names';
import { makeListings, startPipelineUnderTest, waitForRun, type PipelineUnderTest } from './harness/pipeline';
import { waitUntil } from './harness/wait';
import { WordPressSite } from './fixtures/wordpress-site';

let product: PipelineUnderTest;
let site: WordPressSite;

beforeAll(async () => {
  // a page that never answers would hold the import for a minute without the cancel
  product = await startPipelineUnderTest({ HTTP_TIMEOUT_MS: '60000' });
  site = await WordPressSite.start(makeListings(150, 600).map((row) => ({
    key: row.id, name: row.name, description: row.description, address: row.address, city: row.city, lat: Number(row.lat), lng: Number(row.lng),
  })));
});
afterAll(async () => {
  await site?.close();
  await product?.close();
});

test('cancelling a run whose site hangs on page 2 ends its import step within seconds, and nothing is staged', async () => {
  const { admin } = product;
  site.inject(2, 'timeout');
  const dmo = (await admin.post('/api/v1/pipeline/dmos', { name: 'Slow Site DMO', dmo_type_id: 3 })).body;
  const config = (await admin.post('/api/v1/pipeline/configs', {
    dmo_id: dmo.id, source_type: 'wordpress',
    config_params: { import: { base_url: site.url, source_id_column: 'acf.listing_id' }, transform: { map_fields: { 'listings.name': 'title.rendered', 'locations.city': 'acf.location.city' } } },
  })).body;
  const runId = (await admin.post('/api/v1/pipeline/executeStage', { configId: config.id })).body.jobId as number;
  await waitUntil('page 2 asked for', async () => site.pageRequests.some((request) => request.page === 2), 20_000);

  const cancelledAt = Date.now();
  expect((await admin.post(`/api/v1/pipeline/jobs/${runId}/cancel`, {})).status).toBe(200);
  await waitForRun(admin, runId, ['cancelled']);
  const job = await waitUntil('the import job to end', async () => {
    const found = await product.t.ctx.queues.import.getJob(jobIds.import(runId));
    return found?.finishedOn ? found : null;
  }, 20_000);
  // the run's check comes every 5 s; the hung request is aborted then, not after its 60 s timeout
  expect(job.finishedOn! - cancelledAt).toBeLessThan(9_000);
  expect(job.returnvalue).toBe('skipped');
  expect(site.pageRequests.filter((request) => request.page !== null && request.page > 2)).toEqual([]);
  const staged = await product.t.ctx.db.query('SELECT count(*)::int AS n FROM staging.rows WHERE job_id = $1', [runId]);
  expect(staged.rows[0].n).toBe(0);
});
