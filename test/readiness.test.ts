// /readyz under a flood of slow searches, on a real server and PostgreSQL: the searches are made
// slow for real (another connection holds an ACCESS EXCLUSIVE lock on the tables they read, as a
// migration or a long ALTER would), so every read connection sits waiting on the lock. The instance
// must stay in rotation, the stuck searches end in a 503 naming the timeout, and writes go through.
import pg from 'pg';
import { apiReadPoolSize } from '../src/config';
import { ApiClient, type Reply } from './harness/http';
import {
  approveAndPromote, createCsvSource, listingsCsv, makeListings, startCsvRun, startPipelineUnderTest, waitForRun,
  type PipelineUnderTest,
} from './harness/pipeline';
import { sleep, waitUntil } from './harness/wait';

jest.setTimeout(120_000);

const poolSize = 4;
const readTimeoutMs = 1_000;
const readConnections = apiReadPoolSize(poolSize); // 2
const searchesPerEndpoint = 10;

let product: PipelineUnderTest;
let anonymous: ApiClient;
let runId: number;

beforeAll(async () => {
  product = await startPipelineUnderTest({ DB_POOL_SIZE: String(poolSize), API_READ_TIMEOUT_MS: String(readTimeoutMs) });
  anonymous = new ApiClient(product.server.url);
  const { configId } = await createCsvSource(product.admin, 'Visit Harbour');
  runId = await startCsvRun(product.admin, configId, listingsCsv(makeListings(30)));
  await waitForRun(product.admin, runId, ['awaiting_review']);
  await approveAndPromote(product.admin, runId);
});
afterAll(() => product.close());

/** The three kinds of search the flood sends: the admin's listings, the public API, a review page. */
const searches = () => [
  ...Array.from({ length: searchesPerEndpoint }, () => () => product.admin.get('/api/v1/pipeline/listings?q=harbour')),
  ...Array.from({ length: searchesPerEndpoint }, () => () => anonymous.get('/v1/listings?q=harbour')),
  ...Array.from({ length: searchesPerEndpoint }, () => () => product.admin.get(`/api/v1/pipeline/staging/rows?jobId=${runId}&q=harbour`)),
];

async function timed(request: () => Promise<Reply>): Promise<Reply & { ms: number }> {
  const started = Date.now();
  const reply = await request();
  return { ...reply, ms: Date.now() - started };
}

/** This database's connections by the pool they belong to (application_name), and what they wait on. */
async function connectionsByPool(observer: pg.Client) {
  const { rows } = await observer.query<{ application_name: string; wait_event_type: string | null; state: string }>(
    `SELECT application_name, wait_event_type, state FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()`);
  return rows;
}

it('searches flooding every read connection leave /readyz at 200, end in 503 query_timeout, and writes go through', async () => {
  const databaseUrl = product.t.database.url;
  expect((await anonymous.get('/v1/listings?q=harbour')).body.total).toBe(30);

  const locker = new pg.Client({ connectionString: databaseUrl });
  const observer = new pg.Client({ connectionString: databaseUrl });
  await Promise.all([locker.connect(), observer.connect()]);
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE public.listings, staging.rows IN ACCESS EXCLUSIVE MODE');

    const flood = searches();
    let floodSettled = false;
    const floodReplies = Promise.all(flood.map((request) => timed(request))).finally(() => (floodSettled = true));

    const probes: { status: number; ms: number }[] = [];
    const polling = (async () => {
      while (!floodSettled) {
        const probe = await timed(() => anonymous.get('/readyz'));
        probes.push({ status: probe.status, ms: probe.ms });
        await sleep(50);
      }
    })();

    // while every read connection waits on the lock: what PostgreSQL shows, and writes on the main pool
    // (once /readyz has answered once: on a loaded machine its first connect can take longer than 300 ms)
    await waitUntil('a first /readyz answer', async () => probes.length > 0 || null, 10_000, 20);
    await sleep(300);
    const during = await connectionsByPool(observer);
    const writes: { status: number; ms: number }[] = [];
    for (let i = 1; i <= 5; i++) {
      const write = await timed(() => product.admin.post('/api/v1/pipeline/dmos', { name: `Written meanwhile ${i}`, dmo_type_id: 3 }));
      writes.push({ status: write.status, ms: write.ms });
    }
    const writesFinishedDuringFlood = !floodSettled;

    const replies = await floodReplies;
    await polling;
    await locker.query('ROLLBACK');

    // the read pool is capped and saturated: its connections, and only those, are the ones stuck on the lock
    const readPool = during.filter((c) => c.application_name === 'listings-pipeline-api-read');
    expect(readPool).toHaveLength(readConnections);
    expect(readPool.every((c) => c.state === 'active' && c.wait_event_type === 'Lock')).toBe(true);
    expect(during.filter((c) => c.wait_event_type === 'Lock')).toHaveLength(readConnections);
    expect(during.filter((c) => c.application_name === 'listings-pipeline-readiness')).toHaveLength(1);

    // the instance stayed in rotation: every probe 200, and quickly (its own connection, not a queue)
    expect(probes.length).toBeGreaterThanOrEqual(10);
    expect(probes.filter((p) => p.status !== 200)).toEqual([]);
    expect(Math.max(...probes.map((p) => p.ms))).toBeLessThan(500);

    // each stuck search answered 503 query_timeout naming the limit, within about twice it (wait + run), never a 500
    expect(replies).toHaveLength(3 * searchesPerEndpoint);
    expect(replies.filter((r) => r.status !== 503)).toEqual([]);
    for (const reply of replies) {
      expect(reply.body.error).toMatchObject({
        code: 'query_timeout', message: expect.stringMatching(/^The query took too long: .*API_READ_TIMEOUT_MS/),
        details: { timeout_ms: readTimeoutMs, waited_for: expect.stringMatching(/^(query|connection)$/) },
      });
      expect(reply.ms).toBeLessThan(3 * readTimeoutMs);
    }
    // the statements holding the read connections were cancelled by statement_timeout; the rest gave up waiting
    const cancelled = replies.filter((r) => r.body.error.details.waited_for === 'query');
    expect(cancelled.length).toBeGreaterThanOrEqual(readConnections);
    expect(cancelled[0]!.body.error.message).toContain(`the database cancelled it after ${readTimeoutMs} ms`);

    // writes went through on the main pool while the reads were stuck
    expect(writesFinishedDuringFlood).toBe(true);
    expect(writes.map((w) => w.status)).toEqual([201, 201, 201, 201, 201]);
    expect(Math.max(...writes.map((w) => w.ms))).toBeLessThan(readTimeoutMs);

    // the lock gone, searches answer again on the same pool
    expect((await anonymous.get('/v1/listings?q=harbour')).body.total).toBe(30);
    expect((await product.admin.get('/api/v1/pipeline/listings?q=harbour')).status).toBe(200);
    expect((await anonymous.get('/readyz')).body).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  } finally {
    await locker.end();
    await observer.end();
  }
});

it('a lost readiness connection is replaced: the next probe opens another', async () => {
  expect((await anonymous.get('/readyz')).status).toBe(200);
  const observer = new pg.Client({ connectionString: product.t.database.url });
  await observer.connect();
  try {
    const ended = await observer.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'listings-pipeline-readiness'`);
    expect(ended.rowCount).toBe(1);
    await sleep(100); // the pool hears the connection close and drops it
    const probe = await anonymous.get('/readyz');
    expect(probe.status).toBe(200);
    expect(probe.body.checks.postgres).toBe('ok');
  } finally {
    await observer.end();
  }
});
