// Sign-in, tokens, throttling, and a permission check on every route the app declares.
import { routeGroups } from '../src/api/app';
import { createTestContext, startTestServer, userWithRoles, type TestContext, type TestServer } from './harness/context';
import { ApiClient } from './harness/http';

let t: TestContext;
let server: TestServer;

beforeAll(async () => {
  t = await createTestContext();
  server = await startTestServer(t.ctx);
});
afterAll(async () => {
  await server.close();
  await t.close();
});

const allRoutes = () =>
  routeGroups(t.ctx).flatMap((group) =>
    group.routes.map((route) => ({ ...route, url: `${group.prefix}${route.path.replace(/:[a-zA-Z]+/g, '1')}` })),
  );

describe('sign-in', () => {
  it('a right password gives a session that /me recognises; a wrong one is 401', async () => {
    const user = await userWithRoles(t.ctx, ['viewer']);
    const browser = new ApiClient(server.url);
    expect((await browser.post('/api/v1/auth/login', { email: user.email, password: 'wrong password' })).status).toBe(401);
    const login = await browser.post('/api/v1/auth/login', { email: user.email.toUpperCase(), password: user.password });
    expect(login.status).toBe(200);
    expect(login.body.user).toMatchObject({ email: user.email, roles: ['viewer'], permissions: ['pipeline:read'] });
    expect(login.headers.get('set-cookie')).toMatch(/HttpOnly/i);
    expect(login.headers.get('set-cookie')).toMatch(/SameSite=Lax/i);
    expect((await browser.get('/api/v1/auth/me')).body.user.email).toBe(user.email);
    await browser.post('/api/v1/auth/logout');
    expect((await browser.get('/api/v1/auth/me')).status).toBe(401);
  });

  it('a bearer token acts with the permissions of its user and is stored only hashed', async () => {
    const user = await userWithRoles(t.ctx, ['viewer']);
    const client = await ApiClient.signedIn(server.url, user.email, user.password);
    expect((await client.get('/api/v1/auth/me')).body.user.email).toBe(user.email);
    const stored = await t.ctx.db.query('SELECT token_hash FROM public.api_tokens');
    expect(stored.rows.every((row) => /^[0-9a-f]{64}$/.test(row.token_hash))).toBe(true);
    expect((await new ApiClient(server.url, 'lpt_not-a-real-token').get('/api/v1/auth/me')).status).toBe(401);
  });

  it('repeated failed sign-ins are slowed down, then the right password works again after the wait', async () => {
    const user = await userWithRoles(t.ctx, ['viewer']);
    const browser = new ApiClient(server.url);
    for (let i = 0; i < 5; i++) {
      expect((await browser.post('/api/v1/auth/login', { email: user.email, password: `guess ${i}` })).status).toBe(401);
    }
    const slowed = await browser.post('/api/v1/auth/login', { email: user.email, password: user.password });
    expect(slowed.status).toBe(429);
    expect(Number(slowed.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(slowed.body.error.message).toMatch(/try again in \d+ s/);
    // the failures came from this address too: clear both keys' clocks by moving them back in time
    await t.ctx.db.query(`UPDATE public.login_failures SET last_failed_at = now() - interval '10 minutes'`);
    expect((await browser.post('/api/v1/auth/login', { email: user.email, password: user.password })).status).toBe(200);
  });

  it('a disabled user cannot sign in', async () => {
    const user = await userWithRoles(t.ctx, ['viewer']);
    await t.ctx.db.query('UPDATE public.users SET disabled = true WHERE id = $1', [user.id]);
    expect((await new ApiClient(server.url).post('/api/v1/auth/login', { email: user.email, password: user.password })).status).toBe(401);
  });
});

describe('every declared route checks access', () => {
  it('answers 401 without a session or token', async () => {
    const anonymous = new ApiClient(server.url);
    const guarded = allRoutes().filter((route) => route.access !== 'public');
    expect(guarded.length).toBeGreaterThan(15);
    for (const route of guarded) {
      const reply = await anonymous.request(route.method.toUpperCase(), route.url, route.method === 'get' ? undefined : {});
      expect({ route: `${route.method} ${route.url}`, status: reply.status }).toEqual({ route: `${route.method} ${route.url}`, status: 401 });
      expect(reply.body.error.code).toBe('unauthenticated');
    }
  });

  it('answers 403 naming the permission to a signed-in user without it', async () => {
    const user = await userWithRoles(t.ctx, []);
    const client = await ApiClient.signedIn(server.url, user.email, user.password);
    const permissioned = allRoutes().filter((route) => route.access.includes(':'));
    for (const route of permissioned) {
      const reply = await client.request(route.method.toUpperCase(), route.url, route.method === 'get' ? undefined : {});
      expect({ route: `${route.method} ${route.url}`, status: reply.status }).toEqual({ route: `${route.method} ${route.url}`, status: 403 });
      expect(reply.body.error.message).toContain(route.access);
    }
  });

  it('a user with pipeline:read only can read and cannot write', async () => {
    const user = await userWithRoles(t.ctx, ['viewer']);
    const client = await ApiClient.signedIn(server.url, user.email, user.password);
    expect((await client.get('/api/v1/pipeline/dmos')).status).toBe(200);
    expect((await client.get('/api/v1/pipeline/configs')).status).toBe(200);
    const write = await client.post('/api/v1/pipeline/dmos', { name: 'Nope', dmo_type_id: 3 });
    expect(write.status).toBe(403);
    expect(write.body.error.message).toContain('pipeline:write');
    const writes = allRoutes().filter((route) => route.access.startsWith('pipeline:') && route.access !== 'pipeline:read');
    for (const route of writes) {
      expect((await client.request(route.method.toUpperCase(), route.url, {})).status).toBe(403);
    }
  });
});

describe('users and roles', () => {
  it('an admin creates a reviewer who can then sign in with those permissions', async () => {
    const admin = await userWithRoles(t.ctx, ['super_admin']);
    const client = await ApiClient.signedIn(server.url, admin.email, admin.password);
    const created = await client.post('/api/v1/admin/users', { email: 'rita@example.org', password: 'long enough pw', roles: ['reviewer'] });
    expect(created.status).toBe(201);
    expect(created.body.user.permissions.sort()).toEqual(['pipeline:read', 'pipeline:review']);
    const roles = await client.get('/api/v1/admin/roles');
    expect(roles.body.roles.find((role: any) => role.name === 'ops').permissions).toEqual(['pipeline:queues', 'pipeline:read']);
    const bad = await client.post('/api/v1/admin/users', { email: 'not-an-email', password: 'x', roles: ['wizard'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/email/);
    expect(bad.body.error.message).toMatch(/password/);
    expect(bad.body.error.message).toMatch(/roles\[0\]/);
  });
});

describe('Bull Board', () => {
  it('is behind the login, read-only with pipeline:read, and lets pipeline:queues act', async () => {
    const anonymous = await fetch(`${server.url}/admin/queues/api/queues`, { redirect: 'manual' });
    expect(anonymous.status).toBe(401);

    const viewer = await userWithRoles(t.ctx, ['viewer']);
    const readOnly = await ApiClient.signedIn(server.url, viewer.email, viewer.password);
    const queues = await readOnly.get('/admin/queues/api/queues');
    expect(queues.status).toBe(200);
    expect(queues.body.queues.map((q: any) => q.name).sort()).toEqual(['geocode', 'image', 'import', 'promote', 'stage', 'transform']);
    expect(queues.body.queues.every((q: any) => q.readOnlyMode)).toBe(true);
    expect((await readOnly.request('PUT', '/admin/queues/api/queues/import/pause')).status).toBeGreaterThanOrEqual(400);
    expect(await t.ctx.queues.import.isPaused()).toBe(false);

    const opsUser = await userWithRoles(t.ctx, ['ops']);
    const ops = await ApiClient.signedIn(server.url, opsUser.email, opsUser.password);
    const full = await ops.get('/admin/queues/api/queues');
    expect(full.body.queues.every((q: any) => !q.readOnlyMode)).toBe(true);
    expect((await ops.request('PUT', '/admin/queues/api/queues/import/pause')).status).toBe(200);
    expect(await t.ctx.queues.import.isPaused()).toBe(true);
    await t.ctx.queues.import.resume();
  });
});

describe('health', () => {
  it('/healthz, /readyz and /metrics answer without a session', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await (await fetch(`${server.url}/readyz`)).json();
    expect(ready).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/pipeline_queue_jobs\{queue="transform",state="waiting"\} 0/);
  });
});
