// Sign-in throttling under parallel bursts, what a success clears, and cookies and Authorization
// headers of any shape, all against the real server over HTTP.
import net from 'node:net';
import { createTestContext, startTestServer, userWithRoles, type TestContext, type TestServer } from './harness/context';
import { ApiClient, type Reply } from './harness/http';

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

// The app trusts X-Forwarded-For from loopback: each test signs in from addresses of its own.
let lastAddress = 0;
const newAddress = () => `198.51.100.${++lastAddress}`;

const signIn = (email: string, password: string, address: string) =>
  new ApiClient(server.url).request('POST', '/api/v1/auth/login', { email, password }, { 'x-forwarded-for': address });

async function counter(key: string): Promise<{ failures: number; last_failed_at: string } | undefined> {
  const { rows } = await t.ctx.db.query('SELECT failures, last_failed_at::text FROM public.login_failures WHERE key = $1', [key]);
  return rows[0];
}

/** Moves these keys' last failure back, as if the caller had waited that long. */
const waitedFor = (seconds: number, ...keys: string[]) =>
  t.ctx.db.query(`UPDATE public.login_failures SET last_failed_at = last_failed_at - make_interval(secs => $2) WHERE key = ANY($1)`, [keys, seconds]);

const statusCounts = (replies: Reply[]) =>
  replies.reduce<Record<number, number>>((counts, reply) => ({ ...counts, [reply.status]: (counts[reply.status] ?? 0) + 1 }), {});

/** A key with this many failures in the window, the last long enough ago that its wait has passed: one more guess is due. */
const oneMoreDue = (key: string, failures: number) =>
  t.ctx.db.query(
    `INSERT INTO public.login_failures (key, failures, first_failed_at, last_failed_at)
     VALUES ($1, $2, now() - interval '10 minutes', now() - interval '5 minutes')`,
    [key, failures],
  );

/** Guesses past the five free ones the rule can let through in a burst this long: the k-th extra comes 1 + 2 + … + 2^(k-1) s after the fifth. */
const extraGuessesWithin = (ms: number) => Math.floor(Math.log2(ms / 1000 + 1));

describe('a parallel burst of guesses', () => {
  it('thirty parallel wrong passwords from scratch: the five free ones are checked (401), the rest answer 429, and the counters hold the checked ones', async () => {
    const user = await userWithRoles(t.ctx, ['viewer']);
    const address = newAddress();
    // the pool's connections opened beforehand, so the burst is as short as this machine allows
    await Promise.all(Array.from({ length: t.settings.DB_POOL_SIZE }, () => t.ctx.db.query('SELECT pg_sleep(0.05)')));
    const started = Date.now();
    const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => signIn(user.email, `guess ${i}`, address)));
    const lasted = Date.now() - started;
    const { 401: checked = 0, 429: refused = 0 } = statusCounts(replies);
    // five when the burst lasts under the second the fifth failure makes the next wait; more only as time passed
    expect(checked).toBeGreaterThanOrEqual(5);
    expect(checked).toBeLessThanOrEqual(5 + extraGuessesWithin(lasted));
    expect(refused).toBe(30 - checked);
    for (const reply of replies.filter((r) => r.status === 429)) {
      expect(Number(reply.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(reply.body.error).toMatchObject({ code: 'too_many_failures', message: expect.stringMatching(/^Too many failed sign-ins: try again in \d+ s$/) });
    }
    expect((await counter(`email:${user.email}`))?.failures).toBe(checked);
    expect((await counter(`ip:${address}`))?.failures).toBe(checked);
  });

  it.each([['a known email', true], ['an unknown email', false]])(
    'thirty parallel guesses at %s from an address with one guess due: exactly one is checked, 29 wait 256 s',
    async (_name, known) => {
      const email = known ? (await userWithRoles(t.ctx, ['viewer'])).email : `nobody-${Date.now()}@test.local`;
      const address = newAddress();
      await oneMoreDue(`ip:${address}`, 12); // the 12th failure's 128 s have passed; the 13th waits 256 s
      const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => signIn(email, `guess ${i}`, address)));
      expect(statusCounts(replies)).toEqual({ 401: 1, 429: 29 });
      expect(replies.find((r) => r.status === 401)!.body.error).toEqual({ code: 'invalid_credentials', message: 'Wrong email or password' });
      for (const reply of replies.filter((r) => r.status === 429)) {
        expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(240);
        expect(Number(reply.headers.get('retry-after'))).toBeLessThanOrEqual(256);
      }
      expect((await counter(`ip:${address}`))?.failures).toBe(13);
      expect((await counter(`email:${email}`))?.failures).toBe(1);
    },
  );

  it('after the wait one more guess is checked, and the wait after it doubles', async () => {
    const user = await userWithRoles(t.ctx, ['viewer']);
    const address = newAddress();
    const keys = [`email:${user.email}`, `ip:${address}`];
    for (let i = 0; i < 5; i++) expect((await signIn(user.email, `guess ${i}`, address)).status).toBe(401);
    const slowed = await signIn(user.email, user.password, address);
    expect(slowed.status).toBe(429);
    expect(slowed.headers.get('retry-after')).toBe('1');
    await waitedFor(1, ...keys);
    expect((await signIn(user.email, 'guess 5', address)).status).toBe(401);
    const doubled = await signIn(user.email, user.password, address);
    expect(doubled.status).toBe(429);
    expect(doubled.headers.get('retry-after')).toBe('2');
    expect((await counter(keys[0]!))?.failures).toBe(6); // the refused attempts were not counted
    await waitedFor(2, ...keys);
    expect((await signIn(user.email, user.password, address)).status).toBe(200);
  });

  it('a wrong password for an unknown email costs a password hash like one for a known email', async () => {
    const user = await userWithRoles(t.ctx, ['viewer']);
    const timed = async (email: string) => {
      const started = process.hrtime.bigint();
      expect((await signIn(email, 'a wrong password', newAddress())).status).toBe(401);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 4; i++) {
      known.push(await timed(user.email));
      unknown.push(await timed(`unknown-${i}@test.local`));
    }
    // the same scrypt either way; skipping it for unknown emails would make them ~20 times faster
    expect(median(unknown)).toBeGreaterThan(median(known) / 2);
  });

  it('twenty parallel wrong current passwords on the password change, one guess due: one 400, nineteen 429, one counted', async () => {
    const user = await userWithRoles(t.ctx, ['viewer']);
    const address = newAddress();
    const browser = new ApiClient(server.url);
    expect((await browser.request('POST', '/api/v1/auth/login', { email: user.email, password: user.password }, { 'x-forwarded-for': address })).status).toBe(200);
    await oneMoreDue(`email:${user.email}`, 12);
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      browser.request('POST', '/api/v1/auth/password', { current: `guess ${i}`, new: 'a long new password' }, { 'x-forwarded-for': address })));
    expect(statusCounts(replies)).toEqual({ 400: 1, 429: 19 });
    expect((await counter(`email:${user.email}`))?.failures).toBe(13);
    expect((await counter(`ip:${address}`))?.failures).toBe(1);
  });
});

describe('a successful sign-in', () => {
  it("clears its account's failures and takes back only its own attempt on the address", async () => {
    const user = await userWithRoles(t.ctx, ['viewer']);
    const address = newAddress();
    for (let i = 0; i < 3; i++) expect((await signIn(user.email, `guess ${i}`, address)).status).toBe(401);
    const before = await counter(`ip:${address}`);
    expect(before?.failures).toBe(3);
    expect((await signIn(user.email, user.password, address)).status).toBe(200);
    expect(await counter(`email:${user.email}`)).toBeUndefined();
    expect(await counter(`ip:${address}`)).toEqual(before); // the same count and the same clock
  });

  it('to one account leaves an address that failed against others slowed', async () => {
    const others = await Promise.all(Array.from({ length: 6 }, () => userWithRoles(t.ctx, ['viewer'])));
    const own = await userWithRoles(t.ctx, ['viewer']);
    const address = newAddress();
    // one guess at each of five accounts: no account is slowed, the address has five failures
    for (const other of others.slice(0, 5)) expect((await signIn(other.email, 'a guess', address)).status).toBe(401);
    expect((await signIn(own.email, own.password, address)).status).toBe(429);
    await waitedFor(1, `ip:${address}`);
    expect((await signIn(own.email, own.password, address)).status).toBe(200);
    expect((await counter(`ip:${address}`))?.failures).toBe(5);
    // the address's clock is its last failure's, not the success's: the next guess is checked, the one after waits
    expect((await signIn(others[5]!.email, 'a guess', address)).status).toBe(401);
    const slowed = await signIn(others[5]!.email, 'another guess', address);
    expect(slowed.status).toBe(429);
    expect(slowed.headers.get('retry-after')).toBe('2');
    // ...and so is a guess at one of the first accounts
    expect((await signIn(others[0]!.email, 'a guess', address)).status).toBe(429);
  });
});

// ---------------------------------------------------------------- cookies and Authorization of any shape

/** One HTTP/1.1 request written byte for byte (fetch and http refuse some of these headers): its status and body. */
function rawRequest(method: string, path: string, headers: Array<[string, string]>, body?: unknown): Promise<{ status: number; body: string }> {
  const { port } = new URL(server.url);
  const payload = body === undefined ? '' : JSON.stringify(body);
  const head = [
    `${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close',
    ...(body === undefined ? [] : ['Content-Type: application/json', `Content-Length: ${Buffer.byteLength(payload)}`]),
    ...headers.map(([name, value]) => `${name}: ${value}`),
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      if (!status) return reject(new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 200))}`));
      resolve({ status: Number(status), body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    // latin1: each character one byte, so a header may carry any byte from 0x00 to 0xff. write, not
    // end: Node's server drops a request whose client half-closed before the answer was ready
    socket.write(Buffer.from(`${head}\r\n\r\n${payload}`, 'latin1'));
  });
}

const deeplyNested = `j:${'['.repeat(3000)}${']'.repeat(3000)}`;
const wellShapedButUnknown = `s_${'A'.repeat(43)}`;
const oddCookies: Array<[string, string]> = [
  ['JSON object (cookie-parser makes it an object)', 'sid=j:{"a":1}'],
  ['JSON array', 'sid=j:["s_x","s_y"]'],
  ['JSON number', 'sid=j:12345'],
  ['JSON string', `sid=j:"${wellShapedButUnknown}"`],
  ['JSON with __proto__', 'sid=j:{"__proto__":{"admin":true}}'],
  ['JSON nested 3000 deep', `sid=${deeplyNested}`],
  ['percent-encoded JSON', 'sid=j%3A%7B%22a%22%3A1%7D'],
  ['empty', 'sid='],
  ['no value at all', 'sid'],
  ['quoted', 'sid="s_quoted"'],
  ['8 KB long', `sid=${'a'.repeat(8000)}`],
  ['percent-encoded NUL', 'sid=s_%00abc'],
  ['invalid percent-encoding', 'sid=%E0%A4%A'],
  ['a lone percent sign', 'sid=%'],
  ['bytes above ASCII', 'sid=s_\u00e9\u00ff\u0080'],
  ['well shaped but unknown', `sid=${wellShapedButUnknown}`],
  ['duplicate sid', 'sid=one; sid=two; sid=j:{}'],
  ['400 cookies', Array.from({ length: 400 }, (_, i) => `c${i}=v${i}`).join('; ') + '; sid=junk'],
  ['__proto__ and constructor names', '__proto__=j:{"sid":"x"}; constructor=j:{}; toString=1'],
  ['no names, only separators', '=; ;;; =sid; ='],
];

describe('a session cookie of any shape is no session', () => {
  it.each(oddCookies)('%s: 401 on a signed-in route, public routes still answer', async (_name, cookie) => {
    const me = await rawRequest('GET', '/api/v1/auth/me', [['Cookie', cookie]]);
    expect({ status: me.status, code: JSON.parse(me.body).error.code }).toEqual({ status: 401, code: 'unauthenticated' });
    expect((await rawRequest('GET', '/healthz', [['Cookie', cookie]])).status).toBe(200);
    expect((await rawRequest('POST', '/api/v1/auth/logout', [['Cookie', cookie]], {})).status).toBe(200);
  });

  it('sign-in works whatever cookies came along', async () => {
    const user = await userWithRoles(t.ctx, ['viewer']);
    for (const [name, cookie] of oddCookies) {
      const reply = await rawRequest('POST', '/api/v1/auth/login', [['Cookie', cookie], ['X-Forwarded-For', newAddress()]],
        { email: user.email, password: user.password });
      expect({ name, status: reply.status }).toEqual({ name, status: 200 });
    }
  });

  it('NUL and other control bytes in a header are refused by Node (400) before the app, and the server answers on', async () => {
    for (const byte of ['\u0000', '\u0001', '\u001f', '\u007f']) {
      for (const header of [['Cookie', `sid=s_${byte}x`], ['Authorization', `Bearer lpt_${byte}x`]] as Array<[string, string]>) {
        const reply = await rawRequest('GET', '/api/v1/auth/me', [header]);
        expect({ header: header[0], byte: byte.charCodeAt(0), status: reply.status }).toEqual({ header: header[0], byte: byte.charCodeAt(0), status: 400 });
      }
    }
    expect((await rawRequest('GET', '/healthz', [])).status).toBe(200);
  });

  it('a real session still signs in among many junk cookies', async () => {
    const user = await userWithRoles(t.ctx, ['viewer']);
    const login = await signIn(user.email, user.password, newAddress());
    const session = login.headers.get('set-cookie')!.split(';')[0]!;
    const cookie = ['a=j:{"b":1}', 'x=%E0%A4%A', session, ...Array.from({ length: 200 }, (_, i) => `c${i}=${i}`)].join('; ');
    const me = await rawRequest('GET', '/api/v1/auth/me', [['Cookie', cookie]]);
    expect(me.status).toBe(200);
    expect(JSON.parse(me.body).user.email).toBe(user.email);
  });
});

describe('an Authorization header of any shape is no user', () => {
  const oddAuthorizations: Array<[string, string]> = [
    ['Bearer alone', 'Bearer'],
    ['two words', 'Bearer lpt_a lpt_b'],
    ['JSON-looking', 'Bearer j:{"a":1}'],
    ['bytes above ASCII', `Bearer lpt_${'\u00e9'.repeat(43)}`],
    ['percent-encoded NUL', 'Bearer lpt_%00'],
    ['10 KB long', `Bearer ${'a'.repeat(10_000)}`],
    ['Basic', 'Basic dXNlcjpwYXNz'],
    ['well shaped but unknown', `Bearer lpt_${'A'.repeat(43)}`],
    ['a session secret as a token', `bearer ${wellShapedButUnknown}`],
  ];

  it.each(oddAuthorizations)('%s: 401 on a signed-in route, public routes still answer', async (_name, authorization) => {
    const me = await rawRequest('GET', '/api/v1/auth/me', [['Authorization', authorization]]);
    expect({ status: me.status, code: JSON.parse(me.body).error.code }).toEqual({ status: 401, code: 'unauthenticated' });
    expect((await rawRequest('GET', '/healthz', [['Authorization', authorization]])).status).toBe(200);
  });

  it('a junk bearer beside a real session cookie decides: 401', async () => {
    const user = await userWithRoles(t.ctx, ['viewer']);
    const login = await signIn(user.email, user.password, newAddress());
    const session = login.headers.get('set-cookie')!.split(';')[0]!;
    expect((await rawRequest('GET', '/api/v1/auth/me', [['Cookie', session]])).status).toBe(200);
    expect((await rawRequest('GET', '/api/v1/auth/me', [['Cookie', session], ['Authorization', 'Bearer j:{}']])).status).toBe(401);
  });

  it('a header past Node\u2019s 16 KB limit is refused with 431 before the app, and the server answers on', async () => {
    expect((await rawRequest('GET', '/api/v1/auth/me', [['Authorization', `Bearer ${'a'.repeat(20_000)}`]])).status).toBe(431);
    expect((await rawRequest('GET', '/api/v1/auth/me', [['Cookie', `sid=${'a'.repeat(20_000)}`]])).status).toBe(431);
    expect((await rawRequest('GET', '/healthz', [])).status).toBe(200);
  });
});
