// Source credentials through the API: kept apart from config_params, sealed with SECRETS_KEY, shown
// only as "set", refused without a key, and dropped with a change of source type.
import crypto from 'node:crypto';
import { loadSettings } from '../src/config';
import { loadCredentials } from '../src/db/credentials';
import { createTestContext, startTestServer, userWithRoles, type TestContext, type TestServer } from './harness/context';
import { ApiClient } from './harness/http';

const secretsKey = crypto.randomBytes(32).toString('base64');
const password = 'abcd EFGH 1234 ijkl MNOP 5678';

let t: TestContext;
let server: TestServer;
let admin: ApiClient;
let dmoId: number;

beforeAll(async () => {
  t = await createTestContext({ SECRETS_KEY: secretsKey });
  server = await startTestServer(t.ctx);
  const user = await userWithRoles(t.ctx, ['pipeline_admin']);
  admin = await ApiClient.signedIn(server.url, user.email, user.password);
  dmoId = (await admin.post('/api/v1/pipeline/dmos', { name: 'Visit Secret Harbour', dmo_type_id: 3 })).body.id;
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

const wordpress = (credentials: Record<string, string | null>) => ({
  dmo_id: dmoId, source_type: 'wordpress', config_params: { import: { base_url: 'http://127.0.0.1:9/', username: 'importer' } }, credentials,
});

test('a credential is stored sealed and only ever shown as set', async () => {
  const created = await admin.post('/api/v1/pipeline/configs', wordpress({ application_password: password }));
  expect(created.status).toBe(201);
  expect(created.body.credentials).toEqual({ application_password: 'set' });
  expect(created.body.config_params.import).toEqual({ base_url: 'http://127.0.0.1:9/', username: 'importer' });
  const one = await admin.get(`/api/v1/pipeline/configs/${created.body.id}`);
  const all = await admin.get('/api/v1/pipeline/configs');
  for (const reply of [created, one, all]) expect(JSON.stringify(reply.body)).not.toContain(password);
  expect(all.body.configs.find((c: { id: number }) => c.id === created.body.id).credentials).toEqual({ application_password: 'set' });

  // in the database: ciphertext, and nothing of the password in any column of any config row
  const { rows } = await t.ctx.db.query('SELECT * FROM pipeline.config_credentials WHERE config_id = $1', [created.body.id]);
  expect(rows).toHaveLength(1);
  expect(rows[0].ciphertext.includes(Buffer.from(password))).toBe(false);
  const config = await t.ctx.db.query('SELECT row_to_json(c)::text AS row FROM pipeline.configs c WHERE id = $1', [created.body.id]);
  expect(config.rows[0].row).not.toContain(password);
  expect(await loadCredentials(t.ctx.db, created.body.id, secretsKey)).toEqual({ application_password: password });

  // another key, or the row copied onto another config, does not open it
  await expect(loadCredentials(t.ctx.db, created.body.id, crypto.randomBytes(32).toString('base64'))).rejects.toThrow(/cannot be decrypted with this SECRETS_KEY/);
  const other = await admin.post('/api/v1/pipeline/configs', wordpress({}));
  await t.ctx.db.query(
    `INSERT INTO pipeline.config_credentials (config_id, name, iv, ciphertext, tag)
     SELECT $2, name, iv, ciphertext, tag FROM pipeline.config_credentials WHERE config_id = $1`, [created.body.id, other.body.id]);
  await expect(loadCredentials(t.ctx.db, other.body.id, secretsKey)).rejects.toThrow(/credential application_password cannot be decrypted/);
});

test('null removes a credential, a change of type drops the old type\'s, and a PATCH of one bumps the version', async () => {
  const created = (await admin.post('/api/v1/pipeline/configs', wordpress({ application_password: password }))).body;
  const removed = await admin.patch(`/api/v1/pipeline/configs/${created.id}`, { credentials: { application_password: null } });
  expect(removed.body).toMatchObject({ credentials: {}, version: 2 });
  const again = await admin.patch(`/api/v1/pipeline/configs/${created.id}`, { credentials: { application_password: 'new one' } });
  expect(again.body).toMatchObject({ credentials: { application_password: 'set' }, version: 3 });
  const retyped = await admin.patch(`/api/v1/pipeline/configs/${created.id}`, { source_type: 'csv', config_params: {} });
  expect(retyped.status).toBe(200);
  expect(retyped.body.credentials).toEqual({});
  expect(await loadCredentials(t.ctx.db, created.id, secretsKey)).toEqual({});
});

test('moving base_url to another site needs the credentials sent again, so a stored one never goes elsewhere', async () => {
  const created = (await admin.post('/api/v1/pipeline/configs', wordpress({ application_password: password }))).body;
  const elsewhere = { import: { base_url: 'https://collector.example', username: 'importer' } };
  const moved = await admin.patch(`/api/v1/pipeline/configs/${created.id}`, { config_params: elsewhere });
  expect(moved.status).toBe(400);
  expect(moved.body.error.message).toMatch(/credentials\.application_password: import\.base_url moves to https:\/\/collector\.example; send the credentials again/);
  expect((await admin.get(`/api/v1/pipeline/configs/${created.id}`)).body.config_params.import.base_url).toBe('http://127.0.0.1:9/');
  // the same site (another path) keeps them; another site with the password sent again is fine
  const samePlace = await admin.patch(`/api/v1/pipeline/configs/${created.id}`, { config_params: { import: { base_url: 'http://127.0.0.1:9/blog', username: 'importer' } } });
  expect(samePlace.body.credentials).toEqual({ application_password: 'set' });
  const resent = await admin.patch(`/api/v1/pipeline/configs/${created.id}`, { config_params: elsewhere, credentials: { application_password: 'for the new site' } });
  expect(resent.status).toBe(200);
  expect(await loadCredentials(t.ctx.db, created.id, secretsKey)).toEqual({ application_password: 'for the new site' });
});

test('a sealed credential whose tag was shortened in the database does not open', async () => {
  const created = (await admin.post('/api/v1/pipeline/configs', wordpress({ application_password: password }))).body;
  await t.ctx.db.query('UPDATE pipeline.config_credentials SET tag = substring(tag from 1 for 4) WHERE config_id = $1', [created.id]);
  await expect(loadCredentials(t.ctx.db, created.id, secretsKey)).rejects.toThrow(/cannot be decrypted with this SECRETS_KEY/);
});

test.each([
  [{ source_type: 'csv', credentials: { api_key: 'k' } }, /credentials\.api_key: csv sources have no credentials/],
  [wordpress({ api_key: 'k' }), /credentials\.api_key: not a credential of wordpress sources; expected application_password/],
  [wordpress({ application_password: '' }), /credentials\.application_password: send null to remove a credential/],
])('refuses %j naming the credential', async (body, message) => {
  const reply = await admin.post('/api/v1/pipeline/configs', { ...body, dmo_id: dmoId });
  expect(reply.status).toBe(400);
  expect(reply.body.error.message).toMatch(message);
});

test('without SECRETS_KEY a config that sets a credential is refused naming SECRETS_KEY, and nothing is created', async () => {
  const bare = await createTestContext();
  const bareServer = await startTestServer(bare.ctx);
  try {
    const user = await userWithRoles(bare.ctx, ['pipeline_admin']);
    const client = await ApiClient.signedIn(bareServer.url, user.email, user.password);
    const dmo = (await client.post('/api/v1/pipeline/dmos', { name: 'Visit No Key', dmo_type_id: 3 })).body;
    const reply = await client.post('/api/v1/pipeline/configs', { ...wordpress({ application_password: password }), dmo_id: dmo.id });
    expect(reply.status).toBe(400);
    expect(reply.body.error).toMatchObject({ code: 'secrets_key_missing' });
    expect(reply.body.error.message).toMatch(/credentials\.application_password: .*SECRETS_KEY is not set/);
    expect(JSON.stringify(reply.body)).not.toContain(password);
    expect((await client.get('/api/v1/pipeline/configs')).body.configs).toEqual([]);
    // a config without credentials is fine, and removing one needs no key
    const plain = await client.post('/api/v1/pipeline/configs', { ...wordpress({}), dmo_id: dmo.id });
    expect(plain.status).toBe(201);
    expect((await client.patch(`/api/v1/pipeline/configs/${plain.body.id}`, { credentials: { application_password: null } })).status).toBe(200);
  } finally {
    await bareServer.close();
    await bare.close();
  }
});

test('a wrong SECRETS_KEY stops the process with one line that does not repeat it', () => {
  const wrong = 'not-a-key-but-secret-anyway';
  expect(() => loadSettings({ SECRETS_KEY: wrong })).toThrow(
    `Setting SECRETS_KEY is wrong: expected 32 bytes in base64, e.g. the output of openssl rand -base64 32 (got ${wrong.length} characters)`);
  expect(() => loadSettings({ SECRETS_KEY: crypto.randomBytes(16).toString('base64') })).toThrow(/SECRETS_KEY is wrong/);
  expect(loadSettings({ SECRETS_KEY: secretsKey }).SECRETS_KEY).toBe(secretsKey);
});
