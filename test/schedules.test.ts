// Recurring imports: a config's schedule is a BullMQ job scheduler that follows every change of the
// config, start-up leaves exactly one per scheduled config, and its triggers start runs of the config.
import { reconcileSchedules } from '../src/queues/schedules';
import { WordPressSite } from './fixtures/wordpress-site';
import { createCsvSource, makeListings, startPipelineUnderTest, waitForRun, type PipelineUnderTest } from './harness/pipeline';
import { waitUntil } from './harness/wait';

jest.setTimeout(60_000);

let product: PipelineUnderTest;
beforeAll(async () => (product = await startPipelineUnderTest()));
afterAll(() => product.close());

const api = () => product.admin;
const scheduler = (configId: number) => product.t.ctx.queues.import.getJobScheduler(`config-${configId}`);
const nextRun = async (configId: number) => (await api().get(`/api/v1/pipeline/configs/${configId}`)).body.next_run_at;

test('a daily config shows its next run at 03:00 UTC; changing, pausing and deleting it follow', async () => {
  const { configId } = await createCsvSource(api(), 'Schedule Daily');
  expect(await nextRun(configId)).toBeNull();
  expect(await scheduler(configId)).toBeUndefined();

  const daily = await api().patch(`/api/v1/pipeline/configs/${configId}`, { schedule: 'daily' });
  const next = new Date(daily.body.next_run_at);
  expect(next.getUTCHours()).toBe(3);
  expect(next.getUTCMinutes()).toBe(0);
  expect(next.getTime()).toBeGreaterThan(Date.now());
  expect(next.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600 * 1000);
  expect((await scheduler(configId))?.pattern).toBe('0 3 * * *');
  const listed = (await api().get('/api/v1/pipeline/configs')).body.configs.find((c: { id: number }) => c.id === configId);
  expect(listed.next_run_at).toBe(daily.body.next_run_at);

  await api().patch(`/api/v1/pipeline/configs/${configId}`, { schedule: '30 6 * * 1-5' });
  expect((await scheduler(configId))?.pattern).toBe('30 6 * * 1-5');
  expect(new Date(await nextRun(configId)).getUTCHours()).toBe(6);

  const paused = await api().patch(`/api/v1/pipeline/configs/${configId}`, { active: false });
  expect(paused.body.next_run_at).toBeNull();
  expect(await scheduler(configId)).toBeUndefined();
  await api().patch(`/api/v1/pipeline/configs/${configId}`, { active: true });
  expect(await scheduler(configId)).toBeDefined();

  expect((await api().delete(`/api/v1/pipeline/configs/${configId}`)).status).toBe(200);
  expect(await scheduler(configId)).toBeUndefined();
});

test('start-up reconciles: a scheduler without its config goes, a scheduled config without one gets it', async () => {
  const { configId } = await createCsvSource(api(), 'Schedule Reconcile');
  await api().patch(`/api/v1/pipeline/configs/${configId}`, { schedule: 'weekly' });
  await product.t.ctx.queues.import.removeJobScheduler(`config-${configId}`);
  await product.t.ctx.queues.import.upsertJobScheduler('config-999999', { pattern: '0 3 * * *' }, { name: 'scheduled-import', data: { configId: 999999 } });

  await reconcileSchedules(product.t.ctx);
  expect((await scheduler(configId))?.pattern).toBe('0 3 * * 1');
  expect(await scheduler(999999)).toBeUndefined();
  const again = await reconcileSchedules(product.t.ctx);
  expect(again.removed).toBe(0);
  const ours = (await product.t.ctx.queues.import.getJobSchedulers()).filter((s) => s.key === `config-${configId}`);
  expect(ours).toHaveLength(1);
});

test('a schedule of a file source starts a run that waits for its file, and does not pile up more behind it', async () => {
  const { configId } = await createCsvSource(api(), 'Schedule Every Second');
  // six fields: every second, so the test sees triggers fire
  await api().patch(`/api/v1/pipeline/configs/${configId}`, { schedule: '* * * * * *' });
  const run = await waitUntil('a scheduled run', async () =>
    (await api().get(`/api/v1/pipeline/jobs?configId=${configId}`)).body.jobs[0]);
  expect(run.status).toBe('waiting_for_input');
  const triggeredBy = (await product.t.ctx.db.query('SELECT triggered_by FROM pipeline.jobs WHERE id = $1', [run.id])).rows[0];
  expect(triggeredBy.triggered_by).toBe('schedule');
  // more triggers fire; the run already waiting for its file answers for them
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  await api().patch(`/api/v1/pipeline/configs/${configId}`, { schedule: 'manual' });
  expect((await api().get(`/api/v1/pipeline/jobs?configId=${configId}`)).body.jobs).toHaveLength(1);
});

test('a schedule of a fetching source starts its run straight away, and the run stages what the site holds', async () => {
  const places = makeListings(12).map((row) => ({
    key: row.id, name: row.name, description: row.description, address: row.address, city: row.city, lat: Number(row.lat), lng: Number(row.lng),
  }));
  const site = await WordPressSite.start(places);
  try {
    const dmo = (await api().post('/api/v1/pipeline/dmos', { name: 'Schedule Site', dmo_type_id: 1 })).body;
    const config = (await api().post('/api/v1/pipeline/configs', {
      dmo_id: dmo.id, source_type: 'wordpress', schedule: '* * * * * *',
      config_params: {
        import: { base_url: site.url, per_page: 5, source_id_column: 'acf.listing_id' },
        transform: { map_fields: { 'listings.name': 'title.rendered', 'locations.city': 'acf.location.city', 'locations.lat': 'acf.location.lat', 'locations.lng': 'acf.location.lng' } },
      },
    })).body;
    expect(config.next_run_at).not.toBeNull();
    const run = await waitUntil('a scheduled run', async () => (await api().get(`/api/v1/pipeline/jobs?configId=${config.id}`)).body.jobs[0]);
    const triggeredBy = (await product.t.ctx.db.query('SELECT triggered_by FROM pipeline.jobs WHERE id = $1', [run.id])).rows[0];
    expect(triggeredBy.triggered_by).toBe('schedule');
    // no upload to wait for: the run reads the site's three pages and stages its 12 posts for review
    const staged = await waitForRun(api(), run.id, ['awaiting_review']);
    await api().patch(`/api/v1/pipeline/configs/${config.id}`, { schedule: 'manual' });
    expect(staged.results).toMatchObject({ records_total: 12, records_new: 12, records_error: 0 });
    const rows = (await product.t.ctx.db.query('SELECT source_id FROM staging.rows WHERE job_id = $1 ORDER BY rec_num', [run.id])).rows;
    expect(rows.map((row) => row.source_id)).toEqual(places.map((place) => place.key));
    expect(site.pageRequests.map((request) => request.page)).toEqual([1, 2, 3]);
    // the run awaiting review is the config's one in flight: later triggers started no other
    expect((await api().get(`/api/v1/pipeline/jobs?configId=${config.id}`)).body.jobs).toHaveLength(1);
  } finally {
    await site.close();
  }
});
