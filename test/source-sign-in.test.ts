// Sites that need signing in: a WordPress application password and a Drupal user's password, stored
// as encrypted credentials, are sent as HTTP Basic, and appear in no API answer, log line, raw file
// or staged row. A wrong or missing one fails the run saying so.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import type { Worker } from 'bullmq';
import { closeContext, createContext } from '../src/context';
import type { PipelineContext } from '../src/context';
import { processors } from '../src/processors';
import { queueNames } from '../src/queues/names';
import { processorMap, startWorkers } from '../src/queues/workers';
import { createTestContext, startTestServer, userWithRoles, type TestContext, type TestServer } from './harness/context';
import { ApiClient } from './harness/http';
import { makeListings, waitForRun } from './harness/pipeline';
import { DrupalSite } from './fixtures/drupal-site';
import type { SitePlace } from './fixtures/site-server';
import { WordPressSite } from './fixtures/wordpress-site';

const applicationPassword = 'Xq7v 2LmN 9pQr TsUv WxYz 4aBc';
const drupalPassword = 'correct horse battery staple 42';

let t: TestContext;
let ctx: PipelineContext;
let server: TestServer;
let workers: Worker[];
let admin: ApiClient;
let wordpress: WordPressSite;
let drupal: DrupalSite;
const logLines: string[] = [];

const places: SitePlace[] = makeListings(30, 400).map((row) => ({
  key: row.id, name: row.name, description: row.description, address: row.address, city: row.city, lat: Number(row.lat), lng: Number(row.lng), email: row.email,
}));

beforeAll(async () => {
  t = await createTestContext({ SECRETS_KEY: crypto.randomBytes(32).toString('base64'), LOG_LEVEL: 'debug' });
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => logLines.push(...chunk.toString().split('\n').filter(Boolean)));
  // the same settings and services, with a logger whose every line the test reads
  ctx = createContext(t.settings, pino({ level: 'debug' }, sink));
  server = await startTestServer(ctx);
  workers = startWorkers({ ctx, processors: processorMap(processors), queues: queueNames, concurrency: 2 });
  const user = await userWithRoles(ctx, ['super_admin']);
  admin = await ApiClient.signedIn(server.url, user.email, user.password);
  wordpress = await WordPressSite.start(places, { signIn: { username: 'importer', password: applicationPassword } });
  drupal = await DrupalSite.start(places, { signIn: { username: 'feed', password: drupalPassword } });
});
afterAll(async () => {
  await Promise.all((workers ?? []).map((worker) => worker.close()));
  await server?.close();
  await wordpress?.close();
  await drupal?.close();
  if (ctx) await closeContext(ctx);
  await t?.close();
});

async function source(body: Record<string, unknown>) {
  const dmo = (await admin.post('/api/v1/pipeline/dmos', { name: `Signed-in DMO ${crypto.randomBytes(3).toString('hex')}`, dmo_type_id: 3 })).body;
  const config = await admin.post('/api/v1/pipeline/configs', { dmo_id: dmo.id, ...body });
  expect(config.status).toBe(201);
  return config.body.id as number;
}
const wordpressConfig = (username: string | undefined, password: string | undefined) => ({
  source_type: 'wordpress',
  config_params: {
    import: { base_url: wordpress.url, source_id_column: 'acf.listing_id', ...(username ? { username } : {}) },
    transform: { map_fields: { 'listings.name': 'title.rendered', 'locations.city': 'acf.location.city', 'locations.address1': 'acf.street_address' } },
  },
  ...(password ? { credentials: { application_password: password } } : {}),
});
async function run(configId: number, statuses: string[]) {
  const { body } = await admin.post('/api/v1/pipeline/executeStage', { configId });
  return waitForRun(admin, body.jobId, statuses);
}

/** Every answer an admin could fetch about a run and its config, as text. */
async function everythingShown(configId: number, runId: number): Promise<string> {
  const paths = [`/api/v1/pipeline/configs/${configId}`, '/api/v1/pipeline/configs', `/api/v1/pipeline/jobs/${runId}`,
    `/api/v1/pipeline/jobs/${runId}/files`, `/api/v1/pipeline/jobs/${runId}/errors`, `/api/v1/pipeline/staging/rows?jobId=${runId}&pageSize=100`];
  const answers = await Promise.all(paths.map((path) => admin.get(path)));
  return answers.map((answer) => JSON.stringify(answer.body)).join('\n');
}

test('a WordPress site that needs signing in is read with the application password, which appears nowhere', async () => {
  const configId = await source(wordpressConfig('importer', applicationPassword));
  const done = await run(configId, ['awaiting_review']);
  expect(done.results).toMatchObject({ records_total: 30, records_new: 30, records_error: 0 });
  const expected = `Basic ${Buffer.from(`importer:${applicationPassword}`).toString('base64')}`;
  expect(wordpress.pageRequests.length).toBeGreaterThan(0);
  for (const request of wordpress.requests) expect(request.authorization).toBe(expected);

  const shown = await everythingShown(configId, done.id);
  expect(shown).toContain('Harbour Place 401');
  expect(shown).not.toContain(applicationPassword);
  expect(shown).not.toContain(Buffer.from(`importer:${applicationPassword}`).toString('base64'));
  // the raw files as written to the store, and as downloaded
  const files = (await admin.get(`/api/v1/pipeline/jobs/${done.id}/files`)).body.files as { id: number; kind: string; storage_key: string }[];
  const raw = files.filter((file) => file.kind === 'raw');
  expect(raw.length).toBeGreaterThan(0);
  for (const file of raw) {
    const chunks: Buffer[] = [];
    for await (const chunk of await ctx.store.get(file.storage_key)) chunks.push(chunk as Buffer);
    const stored = gunzipSync(Buffer.concat(chunks)).toString();
    expect(stored).toContain('Harbour Place 4');
    expect(stored).not.toContain(applicationPassword);
  }
  expect(logLines.length).toBeGreaterThan(0);
  expect(logLines.join('\n')).not.toContain(applicationPassword);
  expect(logLines.join('\n')).not.toContain(Buffer.from(`importer:${applicationPassword}`).toString('base64'));
});

test('a Drupal site that needs signing in is read with the user\'s password', async () => {
  const configId = await source({
    source_type: 'drupal', credentials: { password: drupalPassword },
    config_params: {
      import: { base_url: drupal.url, bundle: 'listing', username: 'feed', source_id_column: 'field_listing_id' },
      transform: { map_fields: { 'listings.name': 'title', 'locations.city': 'field_address.locality', 'locations.address1': 'field_address.address_line1' } },
    },
  });
  const done = await run(configId, ['awaiting_review']);
  expect(done.results).toMatchObject({ records_total: 30, records_new: 30 });
  expect(drupal.requests.every((request) => request.authorization === `Basic ${Buffer.from(`feed:${drupalPassword}`).toString('base64')}`)).toBe(true);
  expect(await everythingShown(configId, done.id)).not.toContain(drupalPassword);
  expect(logLines.join('\n')).not.toContain(drupalPassword);
});

test.each([
  ['a wrong password', 'importer', 'not the password', /answered 401.*the site refused the sign-in; check import\.username and the password credential/],
  ['no sign-in at all', undefined, undefined, /answered 401.*the site needs signing in; set import\.username and the password credential/],
  ['a user without the password', 'importer', undefined, /import\.username is set but the application_password credential is not/],
])('%s fails the run saying what to fix, and stages nothing', async (_what, username, password, message) => {
  const configId = await source(wordpressConfig(username, password));
  const failed = await run(configId, ['failed']);
  expect(failed.error_summary).toMatch(message);
  expect(failed.error_summary).not.toContain('not the password');
  expect((await admin.get(`/api/v1/pipeline/staging/rows?jobId=${failed.id}`)).body.total).toBe(0);
});

test('a signed-in site whose address redirects to another origin fails the run naming it, and the password goes only where it was set', async () => {
  // the DMO's old address, moved to the site: the sign-in must not go on to (or be lost on the way to) another origin
  const moved = http.createServer((request, response) => response.writeHead(301, { location: `${wordpress.url}${request.url}` }).end());
  await new Promise<void>((resolve) => moved.listen(0, '127.0.0.1', resolve));
  const oldAddress = `http://127.0.0.1:${(moved.address() as AddressInfo).port}`;
  try {
    wordpress.reset();
    const configId = await source({ ...wordpressConfig('importer', applicationPassword), config_params: {
      ...wordpressConfig('importer', applicationPassword).config_params,
      import: { base_url: oldAddress, username: 'importer', source_id_column: 'acf.listing_id' },
    } });
    const failed = await run(configId, ['failed']);
    expect(failed.error_summary).toContain(`was redirected to ${wordpress.url}/wp-json/wp/v2/posts`);
    expect(failed.error_summary).toMatch(/which is refused: it is on another origin than http:\/\/127\.0\.0\.1:\d+, and this call signs in only there/);
    expect(wordpress.requests).toHaveLength(0);
    expect(failed.error_summary).not.toContain(applicationPassword);
  } finally {
    await new Promise((resolve) => moved.close(resolve));
  }
});
