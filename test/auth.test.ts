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
// every test signs in from 127.0.0.1, and a success no longer clears the address's failures: each starts with none
beforeEach(() => t.ctx.db.query('DELETE FROM public.login_failures'));

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

/** The session cookie a login set, to replay it from elsewhere as an old browser tab would. */
const cookieOf = (reply: { headers: Headers }) => reply.headers.get('set-cookie')!.split(';')[0]!;
const meWithCookie = (cookie: string) => new ApiClient(server.url).request('GET', '/api/v1/auth/me', undefined, { cookie });

describe('API tokens', () => {
  it('the list shows each token by name and times, never its secret; a token revoked there answers 401 at once', async () => {
    const user = await userWithRoles(t.ctx, ['viewer']);
    const browser = new ApiClient(server.url);
    await browser.login(user.email, user.password);
    const nightly = (await browser.post('/api/v1/auth/tokens', { name: 'nightly import' })).body;
    const laptop = (await browser.post('/api/v1/auth/tokens', { name: 'laptop' })).body;
    await new ApiClient(server.url, laptop.token).get('/api/v1/auth/me');

    const list = await browser.get('/api/v1/auth/tokens');
    expect(list.status).toBe(200);
    expect(list.body.tokens).toEqual([
      { id: nightly.id, name: 'nightly import', created_at: expect.any(String), last_used_at: null },
      { id: laptop.id, name: 'laptop', created_at: expect.any(String), last_used_at: expect.any(String) },
    ]);
    expect(JSON.stringify(list.body)).not.toContain(laptop.token);
    expect(JSON.stringify(list.body)).not.toMatch(/hash/);

    expect((await browser.delete(`/api/v1/auth/tokens/${laptop.id}`)).status).toBe(200);
    expect((await new ApiClient(server.url, laptop.token).get('/api/v1/auth/me')).status).toBe(401);
    expect((await new ApiClient(server.url, nightly.token).get('/api/v1/auth/me')).status).toBe(200);
    expect((await browser.get('/api/v1/auth/tokens')).body.tokens.map((token: any) => token.name)).toEqual(['nightly import']);
  });

  it("another user's token and a missing one answer 404 and keep working", async () => {
    const owner = await userWithRoles(t.ctx, ['viewer']);
    const ownerClient = await ApiClient.signedIn(server.url, owner.email, owner.password);
    const [ownerToken] = (await ownerClient.get('/api/v1/auth/tokens')).body.tokens;
    const other = await userWithRoles(t.ctx, ['super_admin']);
    const otherClient = await ApiClient.signedIn(server.url, other.email, other.password);
    const revoke = await otherClient.delete(`/api/v1/auth/tokens/${ownerToken.id}`);
    expect(revoke.status).toBe(404);
    expect(revoke.body.error.message).toBe(`Token ${ownerToken.id} was not found`);
    expect((await otherClient.delete('/api/v1/auth/tokens/999999')).status).toBe(404);
    expect((await ownerClient.get('/api/v1/auth/me')).status).toBe(200);
    expect((await otherClient.get('/api/v1/auth/tokens')).body.tokens).toHaveLength(1);
  });
});

describe('changing one\u2019s password', () => {
  it('a wrong current password is 400 naming current; a new one under 8 characters is 400 naming new', async () => {
    const user = await userWithRoles(t.ctx, ['viewer']);
    const browser = new ApiClient(server.url);
    await browser.login(user.email, user.password);
    const wrong = await browser.post('/api/v1/auth/password', { current: 'not it', new: 'a long new password' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details).toEqual([{ path: 'current', message: expect.any(String) }]);
    const short = await browser.post('/api/v1/auth/password', { current: user.password, new: 'short' });
    expect(short.status).toBe(400);
    expect(short.body.error.details.map((d: any) => d.path)).toEqual(['new']);
    expect((await new ApiClient(server.url).post('/api/v1/auth/login', { email: user.email, password: user.password })).status).toBe(200);
  });

  it('after a change the old session cookie and every token answer 401, and the browser that changed it is still signed in', async () => {
    const user = await userWithRoles(t.ctx, ['viewer']);
    const browser = new ApiClient(server.url);
    const oldCookie = cookieOf(await browser.login(user.email, user.password));
    const otherTab = cookieOf(await new ApiClient(server.url).login(user.email, user.password));
    const script = await ApiClient.signedIn(server.url, user.email, user.password);

    const changed = await browser.post('/api/v1/auth/password', { current: user.password, new: 'a brand new password' });
    expect(changed.status).toBe(200);
    expect(changed.body.user.email).toBe(user.email);
    expect((await browser.get('/api/v1/auth/me')).status).toBe(200);
    expect((await meWithCookie(oldCookie)).status).toBe(401);
    expect((await meWithCookie(otherTab)).status).toBe(401);
    expect((await script.get('/api/v1/auth/me')).status).toBe(401);

    const signIn = (password: string) => new ApiClient(server.url).post('/api/v1/auth/login', { email: user.email, password });
    expect((await signIn(user.password)).status).toBe(401);
    expect((await signIn('a brand new password')).status).toBe(200);
  });

  it('wrong current passwords count as failed sign-ins and are slowed down the same way', async () => {
    const user = await userWithRoles(t.ctx, ['viewer']);
    const browser = new ApiClient(server.url);
    await browser.login(user.email, user.password);
    for (let i = 0; i < 5; i++) {
      expect((await browser.post('/api/v1/auth/password', { current: `guess ${i}`, new: 'a long new password' })).status).toBe(400);
    }
    const slowed = await browser.post('/api/v1/auth/password', { current: user.password, new: 'a long new password' });
    expect(slowed.status).toBe(429);
    expect(Number(slowed.headers.get('retry-after'))).toBeGreaterThan(0);
    // the account's sign-in is slowed as well
    expect((await new ApiClient(server.url).post('/api/v1/auth/login', { email: user.email, password: user.password })).status).toBe(429);
    await t.ctx.db.query(`UPDATE public.login_failures SET last_failed_at = now() - interval '10 minutes'`);
    expect((await browser.post('/api/v1/auth/password', { current: user.password, new: 'a long new password' })).status).toBe(200);
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

  it('a user who started runs cannot be deleted (409: disable instead); one who did not can', async () => {
    const admin = await userWithRoles(t.ctx, ['super_admin']);
    const client = await ApiClient.signedIn(server.url, admin.email, admin.password);
    const starter = await userWithRoles(t.ctx, ['pipeline_admin']);
    const idle = await userWithRoles(t.ctx, ['viewer']);
    await t.ctx.db.query(`INSERT INTO public.dmos (id, name, dmo_type_id) VALUES (900, 'Visit Delete', 3)`);
    await t.ctx.db.query(`INSERT INTO pipeline.configs (id, dmo_id, source_type) VALUES (900, 900, 'csv')`);
    const run = await t.ctx.db.query(
      `INSERT INTO pipeline.jobs (config_id, dmo_id, data_domain, status, created_by) VALUES (900, 900, 'listings', 'cancelled', $1) RETURNING id`,
      [starter.id],
    );
    const refused = await client.delete(`/api/v1/admin/users/${starter.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain(`#${run.rows[0].id}`);
    expect(refused.body.error.message).toContain('disable');
    expect((await client.get('/api/v1/admin/users')).body.users.map((u: any) => u.id)).toContain(starter.id);
    expect((await client.delete(`/api/v1/admin/users/${idle.id}`)).status).toBe(200);
  });
});

describe('an admin ends a user\u2019s access', () => {
  async function viewerWithAccess() {
    const user = await userWithRoles(t.ctx, ['viewer']);
    const browser = new ApiClient(server.url);
    await browser.login(user.email, user.password);
    const token = (await browser.post('/api/v1/auth/tokens', { name: 'script' })).body.token as string;
    return { user, browser, script: new ApiClient(server.url, token) };
  }

  it("a disabled user's session and token answer 401, and the token stays dead when the user is enabled again", async () => {
    const adminUser = await userWithRoles(t.ctx, ['super_admin']);
    const admin = await ApiClient.signedIn(server.url, adminUser.email, adminUser.password);
    const { user, browser, script } = await viewerWithAccess();
    const disabled = await admin.patch(`/api/v1/admin/users/${user.id}`, { disabled: true });
    expect(disabled.status).toBe(200);
    expect(disabled.body.user).toMatchObject({ id: user.id, email: user.email, disabled: true, roles: ['viewer'] });
    expect((await browser.get('/api/v1/auth/me')).status).toBe(401);
    expect((await script.get('/api/v1/auth/me')).status).toBe(401);

    expect((await admin.patch(`/api/v1/admin/users/${user.id}`, { disabled: false })).body.user.disabled).toBe(false);
    expect((await script.get('/api/v1/auth/me')).status).toBe(401);
    expect((await new ApiClient(server.url).post('/api/v1/auth/login', { email: user.email, password: user.password })).status).toBe(200);
  });

  it("a password reset ends the user's sessions and tokens; the new password signs in", async () => {
    const adminUser = await userWithRoles(t.ctx, ['super_admin']);
    const admin = await ApiClient.signedIn(server.url, adminUser.email, adminUser.password);
    const { user, browser, script } = await viewerWithAccess();
    const reset = await admin.patch(`/api/v1/admin/users/${user.id}`, { password: 'reset by the admin' });
    expect(reset.status).toBe(200);
    expect((await browser.get('/api/v1/auth/me')).status).toBe(401);
    expect((await script.get('/api/v1/auth/me')).status).toBe(401);
    expect((await new ApiClient(server.url).post('/api/v1/auth/login', { email: user.email, password: 'reset by the admin' })).status).toBe(200);
  });

  it('a role change answers the user with the new roles', async () => {
    const adminUser = await userWithRoles(t.ctx, ['super_admin']);
    const admin = await ApiClient.signedIn(server.url, adminUser.email, adminUser.password);
    const user = await userWithRoles(t.ctx, ['viewer']);
    const changed = await admin.patch(`/api/v1/admin/users/${user.id}`, { roles: ['reviewer', 'ops'] });
    expect(changed.body.user).toEqual({
      id: user.id, email: user.email, name: null, disabled: false, created_at: expect.any(String), roles: ['ops', 'reviewer'],
    });
    expect((await admin.patch('/api/v1/admin/users/999999', { disabled: true })).status).toBe(404);
  });

  it('the last users:admin cannot disable or demote themselves (409); once another admin exists they can', async () => {
    const adminUser = await userWithRoles(t.ctx, ['super_admin']);
    const admin = await ApiClient.signedIn(server.url, adminUser.email, adminUser.password);
    // make this the only admin: the other tests' admins lose the role
    await t.ctx.db.query(`DELETE FROM public.user_roles WHERE role = 'super_admin' AND user_id <> $1`, [adminUser.id]);

    for (const patch of [{ disabled: true }, { roles: ['pipeline_admin'] }, { roles: [] }]) {
      const refused = await admin.patch(`/api/v1/admin/users/${adminUser.id}`, patch);
      expect({ patch, status: refused.status }).toEqual({ patch, status: 409 });
      expect(refused.body.error.message).toMatch(/no enabled user with users:admin/);
    }
    // nothing of the refused changes stayed: still an enabled super_admin whose token works
    const self = (await admin.get('/api/v1/admin/users')).body.users.find((u: any) => u.id === adminUser.id);
    expect(self).toMatchObject({ disabled: false, roles: ['super_admin'] });

    const second = await admin.post('/api/v1/admin/users', { email: 'second-admin@test.local', password: 'long enough pw', roles: ['super_admin'] });
    expect(second.status).toBe(201);
    const demoted = await admin.patch(`/api/v1/admin/users/${adminUser.id}`, { roles: ['viewer'] });
    expect(demoted.status).toBe(200);
    expect(demoted.body.user.roles).toEqual(['viewer']);
    expect((await admin.get('/api/v1/admin/users')).status).toBe(403);
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
