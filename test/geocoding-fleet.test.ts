// Geocoding as a fleet: geocode workers in separate processes share one fleet-wide rate per provider
// endpoint (measured where it matters, at the provider), and a fleet killed mid-run and restarted,
// then the same file imported again, pays for each distinct address exactly once.
import { FakeNominatim, achievedRate, maxInAnyWindow } from './fixtures/geocode-providers';
import { createCsvSource, startCsvRun, startPipelineUnderTest, waitForRun, type PipelineUnderTest } from './harness/pipeline';
import { startWorkerProcess, stopProcess, type Spawned } from './harness/spawn';
import { waitUntil } from './harness/wait';

jest.setTimeout(300_000);

const mapping = { 'listings.name': 'Name', 'locations.address1': 'Address', 'locations.city': 'City', 'locations.country': 'Country' };
const csv = (from: number, count: number) =>
  ['ID,Name,Address,City,Country', ...Array.from({ length: count }, (_, i) => `P${from + i},Place ${from + i},${from + i} Harbour Road,Halifax,CA`)]
    .join('\n') + '\n';
const found = (query: string) => {
  const n = Number(/^(\d+) /.exec(query)?.[1] ?? 0);
  return { lat: 44.6 + n / 100_000, lng: -63.5 - n / 100_000, kind: 'address' as const };
};

let nominatim: FakeNominatim;
let product: PipelineUnderTest;
const workers: Spawned[] = [];

async function startGeocodeWorkers(count: number, rate: number): Promise<Spawned[]> {
  const env = {
    GEOCODER: 'nominatim', NOMINATIM_URL: nominatim.url, ALLOW_PRIVATE_HOSTS: '127.0.0.1', GEOCODE_RATE_PER_SEC: String(rate),
    GEOCODE_ATTEMPTS: '3', GEOCODE_RETRY_DELAY_MS: '200',
  };
  const started = await Promise.all(Array.from({ length: count }, () =>
    startWorkerProcess(product.t.settings, ['geocode'], { concurrency: 2, env, track: (w) => workers.push(w) })));
  return started;
}

beforeAll(async () => {
  nominatim = await FakeNominatim.start({ resolve: found });
});

afterAll(async () => {
  await Promise.all(workers.map(stopProcess));
  await product?.close();
  await nominatim.close();
});

async function startProduct(rate: number) {
  await product?.close();
  product = await startPipelineUnderTest({
    GEOCODER: 'nominatim', NOMINATIM_URL: nominatim.url, ALLOW_PRIVATE_HOSTS: '127.0.0.1', GEOCODE_RATE_PER_SEC: String(rate),
  }, ['import', 'transform', 'stage', 'promote']);
}

it('three geocode worker processes at 5/s: at most 5 granted per second and margin, so never more than 6 in any second at the provider (one more only if a request waits 100 ms longer than another on a loaded machine), and at least 4/s achieved', async () => {
  await startProduct(5);
  const fleet = await startGeocodeWorkers(3, 5);
  const { configId } = await createCsvSource(product.admin, 'Rate DMO', 3, { transform: { map_fields: mapping } });
  const runId = await startCsvRun(product.admin, configId, csv(1, 200));
  const staged = await waitForRun(product.admin, runId, ['awaiting_review'], 180_000);
  expect(staged.results.records_new).toBe(200);

  const arrivals = nominatim.arrivals();
  const queries = nominatim.requests.map((r) => r.query);
  expect(new Set(queries).size).toBe(200);
  expect(queries).toHaveLength(200);
  const busiest = maxInAnyWindow(arrivals, 1_000);
  const rate = achievedRate(arrivals);
  process.stdout.write(`geocoding at 5/s with 3 worker processes: ${arrivals.length} calls, busiest second ${busiest}, achieved ${rate.toFixed(2)}/s\n`);
  expect(busiest).toBeLessThanOrEqual(6);
  expect(rate).toBeGreaterThanOrEqual(4);
  const { rows } = await product.t.ctx.db.query(
    `SELECT count(*) FILTER (WHERE geocode_status = 'found')::int AS found, count(*)::int AS total FROM staging.rows WHERE job_id = $1`, [runId]);
  expect(rows[0]).toEqual({ found: 200, total: 200 });
  await Promise.all(fleet.map(stopProcess));
});

it('a fleet killed halfway and restarted, then the same file again: exactly one call per distinct address', async () => {
  nominatim.requests.length = 0;
  await startProduct(1);
  const fleet = await startGeocodeWorkers(3, 1);
  const { configId } = await createCsvSource(product.admin, 'Crash DMO', 3, { transform: { map_fields: mapping } });
  const file = csv(1_001, 14);
  const runId = await startCsvRun(product.admin, configId, file);
  // at 1 request a second, 400 ms after the sixth arrived its answer is written and the next is not sent yet
  await waitUntil('six addresses asked', async () => nominatim.requests.length >= 6, 60_000, 20);
  await new Promise((resolve) => setTimeout(resolve, 400));
  await Promise.all(fleet.map((worker) => worker.kill('SIGKILL')));
  const askedBeforeKill = nominatim.requests.length;
  expect(askedBeforeKill).toBeLessThan(14);

  await startGeocodeWorkers(2, 1);
  await waitForRun(product.admin, runId, ['awaiting_review'], 120_000);
  const second = await startCsvRun(product.admin, configId, file);
  const again = await waitForRun(product.admin, second, ['awaiting_review'], 60_000);
  expect(again.results.records_total ?? 14).toBe(14);

  const queries = nominatim.requests.map((r) => r.query);
  process.stdout.write(`killed after ${askedBeforeKill} calls; ${queries.length} calls in all for 14 addresses\n`);
  expect(new Set(queries).size).toBe(14);
  expect(queries).toHaveLength(14);
  const { rows } = await product.t.ctx.db.query(
    `SELECT job_id, count(*) FILTER (WHERE geocode_status = 'found')::int AS found FROM staging.rows WHERE job_id IN ($1, $2) GROUP BY job_id ORDER BY job_id`,
    [runId, second]);
  expect(rows.map((row) => row.found)).toEqual([14, 14]);
});
