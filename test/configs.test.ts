// DMOs and configs through the API: bad config_params are refused with the field path.
import { createTestContext, startTestServer, userWithRoles, type TestContext, type TestServer } from './harness/context';
import { ApiClient } from './harness/http';

let t: TestContext;
let server: TestServer;
let admin: ApiClient;
let dmoId: number;

beforeAll(async () => {
  t = await createTestContext();
  server = await startTestServer(t.ctx);
  const user = await userWithRoles(t.ctx, ['pipeline_admin']);
  admin = await ApiClient.signedIn(server.url, user.email, user.password);
  dmoId = (await admin.post('/api/v1/pipeline/dmos', { name: 'Visit Testland', dmo_type_id: 3 })).body.id;
});
afterAll(async () => {
  await server.close();
  await t.close();
});

const config = (overrides: Record<string, unknown> = {}) => ({ dmo_id: dmoId, source_type: 'csv', ...overrides });

describe('config_params validation', () => {
  it.each([
    [{ source_type: 'ftp' }, /source_type: expected one of csv, json, xlsx, wordpress/],
    [{ config_params: { import: { sheet: 'Listings' } } }, /config_params\.import\.sheet: not a setting of csv sources \(xlsx sources have it\)/],
    [{ source_type: 'wordpress', config_params: { import: { base_url: 'https://example.org', post_typ: 'listings' } } },
      /config_params\.import\.post_typ: unknown key; did you mean post_type\?/],
    [{ source_type: 'wordpress', config_params: { import: { base_url: 'ftp://example.org' } } }, /config_params\.import\.base_url: expected an http\(s\) URL/],
    [{ source_type: 'drupal', config_params: { import: { include: ['field image'] } } }, /config_params\.import\.include\[0\]: expected a relationship field name/],
    [{ source_type: 'website', config_params: { import: { next: { link: 'a[rel=next]', page_pattern: '/p/{page}' } } } }, /config_params\.import\.next: set link or page_pattern, not both/],
    [{ source_type: 'website', config_params: { import: { fields: { url: { selector: 'a' } } } } }, /config_params\.import\.fields\.url: url is the page each record was read from/],
    [{ source_type: 'api', config_params: { import: { pagination: { type: 'pages' } } } }, /config_params\.import\.pagination\.type: /],
    [{ source_type: 'website', config_params: { import: { rate_per_sec: 0.0000001 } } }, /config_params\.import\.rate_per_sec: expected at least one request a minute/],
    [{ config_params: { transform: { map_fields: { 'listings.nme': 'Name' } } } }, /config_params\.transform\.map_fields\["listings\.nme"\]|listings\.nme/],
    [{ config_params: { transform: { round_lat_lng: -1 } } }, /config_params\.transform\.round_lat_lng: /],
    [{ config_params: { promote: { merge_policy: 'newest' } } }, /config_params\.promote\.merge_policy: /],
    [{ config_params: { stage: { auto_match_treshold: 0.9 } } }, /config_params\.stage: auto_match_treshold: unknown key; did you mean auto_match_threshold\?/],
    [{ config_params: { import: { source_id_colum: 'ID' } } }, /config_params\.import\.source_id_colum: unknown key; did you mean source_id_column\?/],
    [{ config_params: { transform: { colour: 'red' } } }, /config_params\.transform: colour: unknown key; expected one of map_fields, normalize_fields/],
    [{ config_params: { promot: {} } }, /config_params: promot: unknown key; did you mean promote\?/],
    [{ config_params: { validate: { required_fields: ['listings.name', 'locations.town'] } } }, /config_params\.validate\.required_fields\[1\]: unknown canonical field "locations.town"/],
    [{ schedule: 'every tuesday' }, /schedule: expected manual, hourly, daily, weekly, monthly or a cron pattern/],
    [{ dmo_id: 424242 }, /dmo_id: DMO 424242 does not exist/],
  ])('refuses %j naming the field', async (overrides, message) => {
    const reply = await admin.post('/api/v1/pipeline/configs', config(overrides));
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('invalid_request');
    expect(reply.body.error.message).toMatch(message);
  });

  it('accepts a full config, and a PATCH bumps the version', async () => {
    const created = await admin.post('/api/v1/pipeline/configs', config({
      schedule: '0 3 * * *',
      config_params: {
        import: { source_id_column: 'ID', full_snapshot: true, max_delete_ratio: 0.3, delimiter: ';' },
        transform: { map_fields: { 'listings.name': 'Name', 'locations.city': 'Town' }, round_lat_lng: 4 },
        promote: { merge_policy: 'field_level_merge', auto_promote: false },
      },
    }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ version: 1, schedule: '0 3 * * *', data_domain: 'listings', active: true });
    expect(created.body.config_params.import.delimiter).toBe(';');
    const patched = await admin.patch(`/api/v1/pipeline/configs/${created.body.id}`, { active: false });
    expect(patched.body).toMatchObject({ version: 2, active: false });
    expect((await admin.get(`/api/v1/pipeline/configs/${created.body.id}`)).body.version).toBe(2);
  });

  it('import settings are checked against the source type, on a PATCH of either', async () => {
    const sheet = await admin.post('/api/v1/pipeline/configs', config({ source_type: 'xlsx', config_params: { import: { sheet: 'Listings' } } }));
    expect(sheet.status).toBe(201);
    const csv = await admin.post('/api/v1/pipeline/configs', config({ config_params: { import: { delimiter: ';' } } }));
    const retyped = await admin.patch(`/api/v1/pipeline/configs/${csv.body.id}`, { source_type: 'wordpress' });
    expect(retyped.status).toBe(400);
    expect(retyped.body.error.message).toMatch(/config_params\.import\.delimiter: not a setting of wordpress sources \(csv sources have it\)/);
    const reparamed = await admin.patch(`/api/v1/pipeline/configs/${sheet.body.id}`, { config_params: { import: { post_type: 'listings' } } });
    expect(reparamed.body.error.message).toMatch(/config_params\.import\.post_type: not a setting of xlsx sources \(wordpress sources have it\)/);
    expect((await admin.get(`/api/v1/pipeline/configs/${csv.body.id}`)).body).toMatchObject({ source_type: 'csv', version: 1 });
  });

  it('a PATCH changes only what it names: renaming keeps the schedule, the state and every setting', async () => {
    const created = await admin.post('/api/v1/pipeline/configs', config({
      schedule: 'weekly', active: false,
      config_params: { transform: { map_fields: { 'listings.name': 'Name' } } },
    }));
    const renamed = await admin.patch(`/api/v1/pipeline/configs/${created.body.id}`, { name: 'Weekly export' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Weekly export', schedule: 'weekly', active: false, data_domain: 'listings' });
    expect(renamed.body.config_params.transform.map_fields).toEqual({ 'listings.name': 'Name' });
  });
});

describe('configs with unfinished runs', () => {
  it('a PATCH or DELETE answers 409 listing them unless on_pending_runs says what to do', async () => {
    const id = (await admin.post('/api/v1/pipeline/configs', config())).body.id;
    const run = await t.ctx.db.query(
      `INSERT INTO pipeline.jobs (config_id, dmo_id, data_domain, status) VALUES ($1, $2, 'listings', 'awaiting_review') RETURNING id`,
      [id, dmoId],
    );
    const runId = run.rows[0].id;
    const refused = await admin.patch(`/api/v1/pipeline/configs/${id}`, { schedule: 'daily' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.details.runs).toEqual([{ id: runId, status: 'awaiting_review' }]);
    expect((await admin.patch(`/api/v1/pipeline/configs/${id}`, { schedule: 'daily', on_pending_runs: 'keep' })).status).toBe(200);
    expect((await admin.delete(`/api/v1/pipeline/configs/${id}`)).status).toBe(409);
    expect((await admin.delete(`/api/v1/pipeline/configs/${id}?on_pending_runs=cancel`)).status).toBe(200);
    const after = await t.ctx.db.query('SELECT status FROM pipeline.jobs WHERE id = $1', [runId]);
    expect(after.rows[0].status).toBe('cancelled');
    expect((await admin.get(`/api/v1/pipeline/configs/${id}`)).status).toBe(404);
  });
});

describe('DMOs', () => {
  it('refuses a bad type and will not delete a DMO that has configs', async () => {
    const bad = await admin.post('/api/v1/pipeline/dmos', { name: 'X', dmo_type_id: 7 });
    expect(bad.body.error.message).toMatch(/dmo_type_id: expected 1 scraped, 2 travel site, 3 client or 4 partner/);
    await admin.post('/api/v1/pipeline/configs', config());
    expect((await admin.delete(`/api/v1/pipeline/dmos/${dmoId}`)).status).toBe(409);
  });
});
