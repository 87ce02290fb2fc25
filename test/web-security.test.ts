// What a browser is protected from: writes a foreign page sends with the user's cookie, and pages that
// could be framed, sniffed or made to run foreign scripts.
import { loadSettings } from '../src/config';
import { createTestContext, startTestServer, userWithRoles, type TestContext, type TestServer } from './harness/context';
import { ApiClient } from './harness/http';
import type { RoleName } from '../src/auth/permissions';

const uiDevServer = 'http://localhost:5173';
let t: TestContext;
let server: TestServer;

beforeAll(async () => {
  t = await createTestContext({ ALLOWED_ORIGINS: uiDevServer });
  server = await startTestServer(t.ctx);
});
afterAll(async () => {
  await server.close();
  await t.close();
});

async function browserOf(roles: RoleName[]): Promise<ApiClient> {
  const user = await userWithRoles(t.ctx, roles);
  const browser = new ApiClient(server.url);
  await browser.login(user.email, user.password);
  return browser;
}

let dmoCount = 0;
/** Asks to create a DMO; answers the reply and whether the DMO now exists. */
async function createDmo(client: ApiClient, headers: Record<string, string>) {
  const name = `Cross-origin probe ${++dmoCount}`;
  const reply = await client.request('POST', '/api/v1/pipeline/dmos', { name, dmo_type_id: 3 }, headers);
  const { rowCount } = await t.ctx.db.query('SELECT 1 FROM public.dmos WHERE name = $1', [name]);
  return { reply, created: rowCount === 1 };
}

describe('cross-origin writes with a session cookie', () => {
  it('a cookie POST with Origin https://evil.example answers 403 cross_origin and creates no DMO', async () => {
    const browser = await browserOf(['pipeline_admin']);
    const { reply, created } = await createDmo(browser, { origin: 'https://evil.example' });
    expect(reply.status).toBe(403);
    expect(reply.body.error.code).toBe('cross_origin');
    expect(reply.body.error.message).toContain('https://evil.example');
    expect(reply.body.error.message).toContain('ALLOWED_ORIGINS');
    expect(created).toBe(false);
  });

  it('Sec-Fetch-Site cross-site or same-site is refused; same-origin and none pass', async () => {
    const browser = await browserOf(['pipeline_admin']);
    for (const site of ['cross-site', 'same-site']) {
      const { reply, created } = await createDmo(browser, { 'sec-fetch-site': site });
      expect({ site, status: reply.status, code: reply.body.error?.code, created }).toEqual({ site, status: 403, code: 'cross_origin', created: false });
    }
    for (const site of ['same-origin', 'none']) {
      const { reply, created } = await createDmo(browser, { 'sec-fetch-site': site, origin: server.url });
      expect({ site, status: reply.status, created }).toEqual({ site, status: 201, created: true });
    }
  });

  it('every write method is covered: PATCH, PUT and DELETE from another site are refused too', async () => {
    const browser = await browserOf(['super_admin']);
    const victim = await userWithRoles(t.ctx, ['viewer']);
    const foreign = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
    expect((await browser.request('PATCH', `/api/v1/admin/users/${victim.id}`, { disabled: true }, foreign)).status).toBe(403);
    expect((await browser.request('DELETE', `/api/v1/admin/users/${victim.id}`, undefined, foreign)).status).toBe(403);
    expect((await browser.request('PUT', '/admin/queues/api/queues/import/pause', undefined, foreign)).status).toBe(403);
    expect(await t.ctx.queues.import.isPaused()).toBe(false);
    const { rows } = await t.ctx.db.query('SELECT disabled FROM public.users WHERE id = $1', [victim.id]);
    expect(rows).toEqual([{ disabled: false }]);
  });

  it("an older browser's Origin equal to the server's own passes; the same host on another scheme does not", async () => {
    const browser = await browserOf(['pipeline_admin']);
    expect((await createDmo(browser, { origin: server.url })).created).toBe(true);
    const otherScheme = server.url.replace('http://', 'https://');
    expect((await createDmo(browser, { origin: otherScheme })).reply.status).toBe(403);
    expect((await createDmo(browser, { origin: 'null' })).reply.status).toBe(403);
  });

  it('behind a proxy on this machine, the public origin it forwards is the server\'s own', async () => {
    const browser = await browserOf(['pipeline_admin']);
    const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'listings.example.org' };
    expect((await createDmo(browser, { ...proxied, origin: 'https://listings.example.org' })).created).toBe(true);
    expect((await createDmo(browser, { ...proxied, origin: 'http://listings.example.org' })).reply.status).toBe(403);
  });

  it('ALLOWED_ORIGINS=http://localhost:5173 lets that origin write, even as Sec-Fetch-Site same-site', async () => {
    const browser = await browserOf(['pipeline_admin']);
    expect((await createDmo(browser, { origin: uiDevServer })).created).toBe(true);
    expect((await createDmo(browser, { origin: uiDevServer, 'sec-fetch-site': 'same-site' })).created).toBe(true);
    expect((await createDmo(browser, { origin: 'http://localhost:5174', 'sec-fetch-site': 'same-site' })).reply.status).toBe(403);
  });

  it('a request without Origin or Sec-Fetch-Site (curl) passes, and reads from anywhere are untouched', async () => {
    const browser = await browserOf(['pipeline_admin']);
    expect((await createDmo(browser, {})).created).toBe(true);
    const read = await browser.request('GET', '/api/v1/pipeline/dmos', undefined, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(read.status).toBe(200);
  });

  it('a bearer-token POST with a foreign Origin passes', async () => {
    const user = await userWithRoles(t.ctx, ['pipeline_admin']);
    const script = await ApiClient.signedIn(server.url, user.email, user.password);
    const { reply, created } = await createDmo(script, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(reply.status).toBe(201);
    expect(created).toBe(true);
  });
});

describe('cross-site sign-in', () => {
  it('a cross-site login POST is refused and sets no cookie, however the path is spelled', async () => {
    const user = await userWithRoles(t.ctx, ['viewer']);
    const attacker = new ApiClient(server.url);
    const credentials = { email: user.email, password: user.password };
    for (const [path, headers] of [
      ['/api/v1/auth/login', { 'sec-fetch-site': 'cross-site' }],
      ['/api/v1/auth/login', { origin: 'https://evil.example' }],
      ['/API/v1/auth/Login/', { origin: 'https://evil.example' }],
    ] as const) {
      const reply = await attacker.request('POST', path, credentials, headers);
      expect({ path, status: reply.status, code: reply.body.error?.code }).toEqual({ path, status: 403, code: 'cross_origin' });
      expect(reply.headers.get('set-cookie')).toBeNull();
    }
    // the admin UI's own sign-in still works
    const own = await new ApiClient(server.url).request('POST', '/api/v1/auth/login', credentials, { 'sec-fetch-site': 'same-origin', origin: server.url });
    expect(own.status).toBe(200);
  });
});

describe('the ALLOWED_ORIGINS setting', () => {
  it('takes comma-separated origins and refuses anything else, naming the setting', () => {
    expect(loadSettings({ ALLOWED_ORIGINS: 'http://localhost:5173/, https://Admin.Example.org' }).ALLOWED_ORIGINS)
      .toEqual(['http://localhost:5173', 'https://admin.example.org']);
    expect(loadSettings({}).ALLOWED_ORIGINS).toEqual([]);
    expect(() => loadSettings({ ALLOWED_ORIGINS: 'localhost:5173' })).toThrow(/ALLOWED_ORIGINS.*origins like/);
    expect(() => loadSettings({ ALLOWED_ORIGINS: 'https://admin.example.org/ui' })).toThrow(/ALLOWED_ORIGINS/);
  });
});

describe('security headers', () => {
  const csp = (reply: { headers: Headers }) => reply.headers.get('content-security-policy') ?? '';
  const expectBaseHeaders = (reply: { headers: Headers }) => {
    expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
    expect(reply.headers.get('referrer-policy')).toBe('same-origin');
    expect(reply.headers.get('x-frame-options')).toBe('DENY');
  };

  it("the admin page has a CSP with script-src 'self' and may not be framed", async () => {
    const page = await new ApiClient(server.url).get('/admin/');
    expectBaseHeaders(page);
    expect(csp(page)).toContain("script-src 'self';");
    expect(csp(page)).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp(page)).toContain("frame-ancestors 'none'");
    expect(csp(page)).toContain("object-src 'none'");
  });

  it('API replies carry them too, errors included', async () => {
    const reply = await new ApiClient(server.url).get('/api/v1/auth/me');
    expect(reply.status).toBe(401);
    expectBaseHeaders(reply);
    expect(csp(reply)).toContain("default-src 'self'");
  });

  it('Bull Board still answers 200 HTML to a signed-in user and its scripts load; it has no CSP but the other headers', async () => {
    const browser = await browserOf(['ops']);
    const page = await browser.get('/admin/queues');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expectBaseHeaders(page);
    expect(page.headers.get('content-security-policy')).toBeNull();
    const base = /<base href="([^"]+)"/.exec(page.body)![1]!;
    // its scripts and styles are files of its own (the CSP it goes without would allow those)
    const assets = [...(page.body as string).matchAll(/(?:src|href)="(static\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets.filter((asset) => asset.endsWith('.js')).length).toBeGreaterThan(0);
    for (const asset of assets) {
      const url = new URL(asset, new URL(base, server.url)).pathname;
      expect({ url, status: (await browser.get(url)).status }).toEqual({ url, status: 200 });
    }
    expect((await browser.get('/admin/queues/api/queues')).status).toBe(200);
  });
});
