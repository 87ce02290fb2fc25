// The one HTTP client (src/http/client.ts) against real local servers: retries and Retry-After, the
// refusal of private addresses (literal, resolved, redirected), size and time limits, redirects, JSON
// and schemas, the User-Agent, keys kept out of messages, and getStream's body read as it arrives.
// No mock of got: every case is a socket.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import zlib from 'node:zlib';
import { z } from 'zod';
import packageJson from '../package.json';
import { createHttpClient, HttpError, httpClientFromSettings, type HttpClientOptions } from '../src/http/client';

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

interface SeenRequest {
  path: string;
  at: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface TestServer {
  /** http://host:port, as a URL names it. */
  origin: string;
  port: number;
  seen: SeenRequest[];
  route(path: string, handler: Handler): void;
  hits(path: string): number;
  close(): Promise<void>;
}

async function startServer(host: string): Promise<TestServer> {
  const routes = new Map<string, Handler>();
  const seen: SeenRequest[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      seen.push({ path, at: Date.now(), headers: request.headers, body: Buffer.concat(chunks).toString() });
      const handler = routes.get(path);
      if (handler) handler(request, response);
      else response.writeHead(404).end('no such route');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    seen,
    route: (path, handler) => routes.set(path, handler),
    hits: (path) => seen.filter((request) => request.path === path).length,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Writes `text` every `everyMs` until the client goes: a body that never ends. */
function dripForever(response: http.ServerResponse, text: string, everyMs = 5): void {
  const timer = setInterval(() => response.write(text), everyMs);
  response.on('close', () => clearInterval(timer));
}

/** The HttpError a call fails with; fails the test when it succeeds or throws anything else. */
async function failure(call: Promise<unknown>): Promise<HttpError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected the call to fail with an HttpError');
}

// The source under test (127.0.0.1), and a target no test may reach unless allowed: it listens on
// every address of both families, so ::1, 0.0.0.0 and ::ffff:127.0.0.1 all arrive there when not refused.
let source: TestServer;
let target: TestServer;
let route = 0;
const path = (name: string) => `/${name}-${++route}`;
const local: HttpClientOptions = { allowPrivateHosts: ['127.0.0.1'], retryDelayMs: 50 };

beforeAll(async () => {
  source = await startServer('127.0.0.1');
  target = await startServer('::');
  target.route('/', (_request, response) => response.end('target reached'));
});

afterAll(async () => {
  await Promise.all([source.close(), target.close()]);
});

describe('retries', () => {
  test('a 503 with Retry-After: 1 is tried again a second later and its answer returned', async () => {
    const at = path('busy');
    let calls = 0;
    source.route(at, (_request, response) => {
      if (++calls === 1) response.writeHead(503, { 'retry-after': '1' }).end();
      else response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await expect(createHttpClient(local).getJson(`${source.origin}${at}`)).resolves.toEqual({ ok: true });
    const [first, second] = source.seen.filter((request) => request.path === at);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
  });

  test('a 429 with Retry-After as an HTTP date waits until that date', async () => {
    const at = path('throttled');
    let calls = 0;
    source.route(at, (_request, response) => {
      // HTTP dates have whole seconds: two seconds ahead is between one and two seconds from now
      if (++calls === 1) response.writeHead(429, { 'retry-after': new Date(Date.now() + 2000).toUTCString() }).end();
      else response.end('{"ok":true}');
    });
    await expect(createHttpClient(local).getJson(`${source.origin}${at}`)).resolves.toEqual({ ok: true });
    const [first, second] = source.seen.filter((request) => request.path === at);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
  });

  test('a 500 every time fails with its status after 1 + retries tries', async () => {
    const at = path('broken');
    source.route(at, (_request, response) => response.writeHead(500).end());
    const error = await failure(createHttpClient(local).getJson(`${source.origin}${at}`, { retries: 2 }));
    expect(error).toMatchObject({ kind: 'status', status: 500, attempts: 3 });
    expect(error.message).toBe(`GET ${source.origin}${at} answered 500 after 3 tries`);
    expect(source.hits(at)).toBe(3);
  });

  test('retries: 0 sends once', async () => {
    const at = path('broken-once');
    source.route(at, (_request, response) => response.writeHead(502).end());
    await expect(failure(createHttpClient({ ...local, retries: 0 }).getText(`${source.origin}${at}`))).resolves.toMatchObject({ kind: 'status', status: 502 });
    expect(source.hits(at)).toBe(1);
  });

  test('a 404 is not tried again', async () => {
    const at = path('missing');
    source.route(at, (_request, response) => response.writeHead(404).end());
    const error = await failure(createHttpClient(local).getJson(`${source.origin}${at}`));
    expect(error).toMatchObject({ kind: 'status', status: 404, attempts: 1 });
    expect(error.message).toBe(`GET ${source.origin}${at} answered 404`);
    expect(source.hits(at)).toBe(1);
  });

  test('a connection dropped mid-request is tried again', async () => {
    const at = path('reset');
    let calls = 0;
    source.route(at, (request, response) => {
      if (++calls === 1) request.socket.destroy();
      else response.end('"fine"');
    });
    await expect(createHttpClient(local).getJson(`${source.origin}${at}`)).resolves.toBe('fine');
    expect(source.hits(at)).toBe(2);
  });

  test('a POST is not retried unless the call says it is idempotent', async () => {
    const plain = path('post');
    const safe = path('post-idempotent');
    for (const at of [plain, safe]) {
      let calls = 0;
      source.route(at, (_request, response) => {
        if (++calls === 1) response.writeHead(503).end();
        else response.end('{"places":[]}');
      });
    }
    const client = createHttpClient(local);
    await expect(failure(client.postJson(`${source.origin}${plain}`, { textQuery: 'x' }))).resolves.toMatchObject({ kind: 'status', status: 503, attempts: 1 });
    await expect(client.postJson(`${source.origin}${safe}`, { textQuery: 'café' }, { idempotent: true })).resolves.toEqual({ places: [] });
    const sent = source.seen.filter((request) => request.path === safe);
    expect(sent).toHaveLength(2);
    expect(JSON.parse(sent[1]!.body)).toEqual({ textQuery: 'café' });
    expect(sent[1]!.headers['content-type']).toMatch(/^application\/json/);
  });

  test('a Retry-After longer than the client waits fails at once, carrying it for the queue job', async () => {
    const at = path('come-back-later');
    source.route(at, (_request, response) => response.writeHead(429, { 'retry-after': '120' }).end());
    const started = Date.now();
    const error = await failure(createHttpClient({ ...local, maxRetryWaitMs: 5_000 }).getJson(`${source.origin}${at}`));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(error).toMatchObject({ kind: 'retry_after_too_long', status: 429, retryAfterMs: 120_000 });
    expect(error.message).toMatch(/answered 429 and asked to retry after 120 s, longer than the 5 s/);
    expect(source.hits(at)).toBe(1);
  });
});

describe('private addresses', () => {
  test('the local server is refused unless ALLOW_PRIVATE_HOSTS names it, and then it answers', async () => {
    const at = path('private');
    source.route(at, (_request, response) => response.end('"hello"'));
    const literal = await failure(createHttpClient().getJson(`${source.origin}${at}`));
    expect(literal.kind).toBe('blocked_address');
    expect(literal.message).toBe(`GET ${source.origin}${at} is refused: 127.0.0.1 is in the loopback range, not a public address; list the host in ALLOW_PRIVATE_HOSTS if it is meant to be reached`);
    const named = await failure(createHttpClient().getJson(`http://localhost:${source.port}${at}`));
    expect(named.kind).toBe('blocked_address');
    expect(named.message).toContain('is refused: localhost resolves to 127.0.0.1, which is in the loopback range');
    expect(source.hits(at)).toBe(0);

    const settings = { ALLOW_PRIVATE_HOSTS: ['127.0.0.1'], HTTP_TIMEOUT_MS: 5_000, HTTP_MAX_BYTES: 1_000 };
    await expect(httpClientFromSettings(settings).getJson(`${source.origin}${at}`)).resolves.toBe('hello');
    // the name as written, or the address it resolves to
    await expect(createHttpClient({ allowPrivateHosts: ['localhost'] }).getJson(`http://localhost:${source.port}${at}`)).resolves.toBe('hello');
    await expect(createHttpClient({ allowPrivateHosts: ['127.0.0.1'] }).getJson(`http://localhost:${source.port}${at}`)).resolves.toBe('hello');
    expect(source.hits(at)).toBe(3);
  });

  test.each([
    ['::1', `[::1]`],
    ['0.0.0.0', '0.0.0.0'],
    ['::ffff:127.0.0.1', '[::ffff:127.0.0.1]'],
    ['127.0.0.1 written as one number', '2130706433'],
  ])('the literal address %s is refused before connecting, and reached once allowed', async (_name, host) => {
    const before = target.hits('/');
    const url = `http://${host}:${target.port}/`;
    const error = await failure(createHttpClient({ allowPrivateHosts: ['localhost'] }).getText(url, { retries: 0 }));
    expect(error.kind).toBe('blocked_address');
    expect(target.hits('/')).toBe(before);
    // the same URL with its host allowed does connect: the refusal above is the guard's, not the network's
    const allowed = new URL(url).hostname.replace(/^\[|\]$/g, '');
    await expect(createHttpClient({ allowPrivateHosts: [allowed] }).getText(url)).resolves.toBe('target reached');
  });

  test.each([
    ['a loopback IPv6 literal', () => `http://[::1]:${target.port}/`],
    ['the cloud metadata service', () => 'http://169.254.169.254/latest/meta-data'],
    ['a private IPv4 network', () => 'http://10.0.0.1/'],
    ['an IPv4-mapped loopback other than the allowed one', () => `http://[::ffff:127.0.0.2]:${target.port}/`],
  ])('a redirect from an allowed host to %s is refused without connecting', async (_name, location) => {
    const at = path('redirect');
    source.route(at, (_request, response) => response.writeHead(302, { location: location() }).end());
    const before = target.hits('/');
    const error = await failure(createHttpClient(local).getText(`${source.origin}${at}`, { timeoutMs: 3_000 }));
    expect(error.kind).toBe('blocked_address');
    expect(error.message).toContain(`GET ${source.origin}${at} was redirected to ${new URL(location()).href}, which is refused: `);
    expect(error.attempts).toBe(1);
    expect(target.hits('/')).toBe(before);
  });

  test('a redirect to a name that resolves to a private address is refused by the lookup', async () => {
    // The source on 127.0.0.2 is allowed; localhost (127.0.0.1) is not, though it is the target's address.
    const other = await startServer('127.0.0.2');
    try {
      other.route('/to-localhost', (_request, response) => response.writeHead(301, { location: `http://localhost:${target.port}/` }).end());
      const before = target.hits('/');
      const error = await failure(createHttpClient({ allowPrivateHosts: ['127.0.0.2'] }).getText(`${other.origin}/to-localhost`));
      expect(error.kind).toBe('blocked_address');
      expect(error.message).toContain(`was redirected to http://localhost:${target.port}/, which is refused: localhost resolves to 127.0.0.1, which is in the loopback range`);
      expect(target.hits('/')).toBe(before);
    } finally {
      await other.close();
    }
  });

  test('only http and https, and no credentials in the URL unless the call allows them', async () => {
    const at = path('credentials');
    source.route(at, (request, response) => response.end(JSON.stringify(request.headers.authorization ?? null)));
    const client = createHttpClient(local);
    await expect(failure(client.getText('ftp://example.org/file'))).resolves.toMatchObject({ kind: 'invalid_url' });
    await expect(failure(client.getText('not a url'))).resolves.toMatchObject({ kind: 'invalid_url' });
    const withUser = `http://dmo:hunter22@127.0.0.1:${source.port}${at}`;
    const refused = await failure(client.getJson(withUser));
    expect(refused.kind).toBe('invalid_url');
    expect(refused.message).not.toContain('hunter22');
    expect(source.hits(at)).toBe(0);
    await expect(client.getJson(withUser, { allowCredentialsInUrl: true })).resolves.toBe(`Basic ${Buffer.from('dmo:hunter22').toString('base64')}`);

    const toFile = path('to-file');
    source.route(toFile, (_request, response) => response.writeHead(302, { location: 'file:///etc/passwd' }).end());
    await expect(failure(client.getText(`${source.origin}${toFile}`))).resolves.toMatchObject({ kind: 'invalid_url', message: expect.stringContaining('was redirected to a URL that is not http: or https:') });
  });
});

describe('limits', () => {
  const small = { ...local, maxBytes: 1_000 };

  test.each(['getBuffer', 'getStream'] as const)('a body announced larger than the limit is refused by %s before it is read', async (call) => {
    const at = path('announced');
    source.route(at, (_request, response) => response.writeHead(200, { 'content-length': 5_000 }).end('x'.repeat(5_000)));
    const error = await failure(createHttpClient(small)[call](`${source.origin}${at}`));
    expect(error).toMatchObject({ kind: 'too_large' });
    expect(error.message).toMatch(/announced 5000 bytes, more than the 1000 allowed/);
  });

  test('a chunked body with no length is cut off once it passes the limit', async () => {
    const at = path('endless');
    source.route(at, (_request, response) => {
      // never ends: only a client that counts as it reads gets past this
      response.writeHead(200, { 'content-type': 'text/plain' });
      dripForever(response, 'y'.repeat(256));
    });
    const error = await failure(createHttpClient({ ...small, timeoutMs: 5_000, retries: 0 }).getText(`${source.origin}${at}`));
    expect(error).toMatchObject({ kind: 'too_large' });
    expect(error.message).toMatch(/sent more than the 1000 bytes allowed/);
  });

  test('a gzip body counts as inflated: small on the wire, too large once decoded', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(200_000, '0'));
    const fine = zlib.gzipSync(Buffer.from('z'.repeat(900)));
    expect(bomb.length).toBeLessThan(1_000);
    for (const [at, body] of [['/gzip-bomb', bomb], ['/gzip-fine', fine]] as const) {
      source.route(at, (_request, response) => response.writeHead(200, { 'content-encoding': 'gzip', 'content-length': body.length }).end(body));
    }
    const client = createHttpClient(small);
    await expect(failure(client.getBuffer(`${source.origin}/gzip-bomb`))).resolves.toMatchObject({ kind: 'too_large' });
    await expect(client.getText(`${source.origin}/gzip-fine`)).resolves.toBe('z'.repeat(900));
  });

  test('a server that never answers times out within the timeout', async () => {
    const at = path('silent');
    source.route(at, () => undefined);
    const started = Date.now();
    const error = await failure(createHttpClient({ ...local, timeoutMs: 300, retries: 0 }).getJson(`${source.origin}${at}`));
    const took = Date.now() - started;
    expect(error.kind).toBe('timeout');
    expect(error.message).toBe(`GET ${source.origin}${at} did not finish within 300 ms (timeoutMs, HTTP_TIMEOUT_MS)`);
    expect(took).toBeGreaterThanOrEqual(280);
    expect(took).toBeLessThan(1_500);
  });

  test('a per-call timeout wins over the client\'s', async () => {
    const at = path('silent-call');
    source.route(at, () => undefined);
    const started = Date.now();
    await expect(failure(createHttpClient({ ...local, timeoutMs: 20_000, retries: 0 }).getText(`${source.origin}${at}`, { timeoutMs: 300 })))
      .resolves.toMatchObject({ kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  test('a redirect to another origin carries none of the caller\'s headers but the harmless ones, whatever a key header is called', async () => {
    const other = await startServer('127.0.0.1');
    try {
      other.route('/landing', (_request, response) => response.end('landed'));
      const at = path('moved');
      source.route(at, (_request, response) => response.writeHead(302, { location: `${other.origin}/landing` }).end());
      const headers = { apikey: 'secret-one', 'X-ApiKey': 'secret-two', refid: 'secret-three', accept: 'text/plain', 'accept-language': 'fr' };
      await expect(createHttpClient(local).getText(`${source.origin}${at}`, { headers })).resolves.toBe('landed');
      const first = source.seen.find((request) => request.path === at)!;
      expect(first.headers).toMatchObject({ apikey: 'secret-one', 'x-apikey': 'secret-two', refid: 'secret-three' });
      const landed = other.seen.find((request) => request.path === '/landing')!;
      expect(landed.headers).toMatchObject({ accept: 'text/plain', 'accept-language': 'fr' });
      expect(landed.headers.apikey).toBeUndefined();
      expect(landed.headers['x-apikey']).toBeUndefined();
      expect(landed.headers.refid).toBeUndefined();
    } finally {
      await other.close();
    }
  });

  test('a redirect loop stops at the redirect limit', async () => {
    const at = path('loop');
    source.route(at, (_request, response) => response.writeHead(302, { location: at }).end());
    const error = await failure(createHttpClient({ ...local, maxRedirects: 3 }).getText(`${source.origin}${at}`));
    expect(error.kind).toBe('too_many_redirects');
    expect(error.message).toBe(`GET ${source.origin}${at} was redirected more than 3 times (maxRedirects)`);
    expect(source.hits(at)).toBe(4);
  });
});

describe('answers', () => {
  test('malformed JSON is invalid_json', async () => {
    const at = path('malformed');
    source.route(at, (_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"results": [1, 2'));
    const error = await failure(createHttpClient(local).getJson(`${source.origin}${at}`));
    expect(error).toMatchObject({ kind: 'invalid_json', status: 200 });
    expect(error.message).toMatch(new RegExp(`^GET ${source.origin}${at} answered 200 with malformed JSON`));
  });

  test('a zod schema types the answer, and a mismatch names the path of the first difference', async () => {
    const at = path('geocode');
    source.route(at, (_request, response) => response.end(JSON.stringify({ results: [{ lat: 44.65, lng: -63.57 }, { lat: '44.6', lng: -63.5 }] })));
    const schema = z.object({ results: z.array(z.object({ lat: z.number(), lng: z.number() })) });
    const error = await failure(createHttpClient(local).getJson(`${source.origin}${at}`, { schema }));
    expect(error.kind).toBe('invalid_json');
    expect(error.message).toMatch(/answered JSON that is not what we expect at results\.1\.lat: /);

    const good = path('geocode-good');
    source.route(good, (_request, response) => response.end(JSON.stringify({ results: [{ lat: 44.65, lng: -63.57 }] })));
    const answer = await createHttpClient(local).getJson(`${source.origin}${good}`, { schema });
    const lat: number = answer.results[0]!.lat; // typed by the schema
    expect(lat).toBe(44.65);
  });

  test('the User-Agent names the product and its version, and a contact when given', async () => {
    const at = path('whoami');
    source.route(at, (request, response) => response.end(JSON.stringify(request.headers['user-agent'])));
    const version = packageJson.version.replace(/\./g, '\\.');
    await expect(createHttpClient(local).getJson(`${source.origin}${at}`, { headers: { 'User-Agent': 'curl/8' } }))
      .resolves.toMatch(new RegExp(`^listings-pipeline/${version} \\(\\+https://github\\.com/[^/]+/listings-pipeline\\)$`));
    await expect(createHttpClient({ ...local, userAgentContact: 'ops@example.org' }).getJson(`${source.origin}${at}`))
      .resolves.toMatch(new RegExp(`^listings-pipeline/${version} \\(\\+https://github\\.com/[^/]+/listings-pipeline; ops@example\\.org\\)$`));
  });

  test('an API key in the query string or a key header never appears in an error', async () => {
    const at = path('places');
    source.route(at, (_request, response) => response.writeHead(403).end());
    const error = await failure(createHttpClient({ ...local, headers: { 'X-Goog-Api-Key': 'header-secret-1' } })
      .getJson(`${source.origin}${at}?query=caf%C3%A9&key=AIzaSecret123`, { searchParams: { api_key: 'other-secret-2', token: 'third-secret-3' } }));
    for (const text of [error.message, error.url, JSON.stringify(error), String(error.stack)]) {
      expect(text).not.toMatch(/AIzaSecret123|other-secret-2|third-secret-3|header-secret-1/);
    }
    expect(error.message).toBe(`GET ${source.origin}${at}?query=caf%C3%A9&key=REDACTED&api_key=REDACTED&token=REDACTED answered 403`);
    // the key did reach the server
    const sent = source.seen.find((request) => request.path === at)!;
    expect(sent.headers['x-goog-api-key']).toBe('header-secret-1');
  });

  test('getBuffer returns a 304 to a conditional request as an answer', async () => {
    const at = path('image');
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]);
    source.route(at, (request, response) => {
      if (request.headers['if-none-match'] === '"v1"') response.writeHead(304, { etag: '"v1"' }).end();
      else response.writeHead(200, { etag: '"v1"', 'content-type': 'image/png' }).end(png);
    });
    const client = createHttpClient(local);
    const first = await client.getBuffer(`${source.origin}${at}`);
    expect(first).toMatchObject({ status: 200, url: `${source.origin}${at}` });
    expect(first.body.equals(png)).toBe(true);
    expect(first.headers.etag).toBe('"v1"');
    const again = await client.getBuffer(`${source.origin}${at}`, { headers: { 'If-None-Match': '"v1"' } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    // other calls do not take a 304 as an answer
    await expect(failure(client.getText(`${source.origin}${at}`, { headers: { 'If-None-Match': '"v1"' } }))).resolves.toMatchObject({ kind: 'status', status: 304 });
  });

  test('getText decodes the charset the server names', async () => {
    const at = path('latin1');
    source.route(at, (_request, response) => response.writeHead(200, { 'content-type': 'text/plain; charset=iso-8859-1' }).end(Buffer.from([0x51, 0x75, 0xe9, 0x62, 0x65, 0x63])));
    await expect(createHttpClient(local).getText(`${source.origin}${at}`)).resolves.toBe('Québec');
  });

  test('a caller\'s abort ends the wait between tries', async () => {
    const at = path('abort');
    source.route(at, (_request, response) => response.writeHead(503, { 'retry-after': '5' }).end());
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    const error = await failure(createHttpClient(local).getJson(`${source.origin}${at}`, { signal: controller.signal }));
    expect(error.kind).toBe('aborted');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(source.hits(at)).toBe(1);
  });
});

/** Reads a getStream body to its end or its error: the bytes that arrived, and the error if any. */
async function drain(body: Readable): Promise<{ bytes: number; error?: unknown }> {
  let bytes = 0;
  try {
    for await (const chunk of body) bytes += (chunk as Buffer).length;
    return { bytes };
  } catch (error) {
    return { bytes, error };
  }
}

/** A body of `total` bytes written as the client reads it, so the server holds no more than a chunk. */
function slowlyRead(total: number, chunk = Buffer.alloc(64 * 1024, 'g')): Readable {
  let sent = 0;
  return new Readable({
    read() {
      const size = Math.min(chunk.length, total - sent);
      sent += size;
      this.push(size > 0 ? chunk.subarray(0, size) : null);
    },
  });
}

describe('getStream', () => {
  test('a 50 MB body arrives as a stream, the heap growing by a small part of it', async () => {
    const total = 50 * 1024 * 1024;
    const at = path('big-geojson');
    source.route(at, (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/geo+json', 'content-length': total });
      slowlyRead(total).pipe(response);
    });
    // jest runs without --expose-gc; as bench/memory.ts does, switch it on to measure what is held, not garbage
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const held = () => {
      gc();
      gc(); // the second waits for the first's sweep of ArrayBuffers, which runs beside the program
      const usage = process.memoryUsage();
      return usage.heapUsed + usage.arrayBuffers; // Buffers live outside the JS heap
    };
    const before = held();
    let peak = 0;
    let bytes = 0;
    let nextSample = 0;
    // the client's limit stays at 20 MB: this call asks for more
    const response = await createHttpClient({ ...local, maxBytes: 20 * 1024 * 1024 }).getStream(`${source.origin}${at}`, { maxBytes: 64 * 1024 * 1024 });
    expect(response).toMatchObject({ status: 200, url: `${source.origin}${at}` });
    expect(response.headers['content-type']).toBe('application/geo+json');
    for await (const chunk of response.body) {
      bytes += (chunk as Buffer).length;
      if (bytes >= nextSample) {
        peak = Math.max(peak, held() - before);
        nextSample += 5 * 1024 * 1024;
      }
    }
    expect(bytes).toBe(total);
    expect(peak).toBeLessThan(total / 5);
  }, 30_000);

  test('a 503 is retried before the body begins, and the 200 after it streamed', async () => {
    const at = path('stream-busy');
    let calls = 0;
    source.route(at, (_request, response) => {
      if (++calls === 1) response.writeHead(503, { 'retry-after': '0' }).end();
      else response.end('{"type":"FeatureCollection","features":[]}');
    });
    const response = await createHttpClient(local).getStream(`${source.origin}${at}`);
    expect(response.status).toBe(200);
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('{"type":"FeatureCollection","features":[]}');
    expect(source.hits(at)).toBe(2);
  });

  test('a status that is not an answer fails the call like the others, its body unread', async () => {
    const at = path('stream-missing');
    source.route(at, (_request, response) => response.writeHead(404).end('not here'));
    const error = await failure(createHttpClient(local).getStream(`${source.origin}${at}`));
    expect(error).toMatchObject({ kind: 'status', status: 404, attempts: 1 });
    expect(error.message).toBe(`GET ${source.origin}${at} answered 404`);
  });

  test('a connection cut mid-body destroys the stream with an HttpError naming the URL, redacted, and the bytes received', async () => {
    const at = path('stream-cut');
    source.route(at, (request, response) => {
      response.writeHead(200, { 'content-length': 100_000 });
      response.write(Buffer.alloc(30_000, 'c'), () => setTimeout(() => request.socket.destroy(), 50));
    });
    const response = await createHttpClient(local).getStream(`${source.origin}${at}?key=SecretKey123`);
    const { bytes, error } = await drain(response.body);
    expect(bytes).toBe(30_000);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ kind: 'network', url: `${source.origin}${at}?key=REDACTED` });
    const { message } = error as HttpError;
    expect(message).toMatch(new RegExp(`^GET ${source.origin}${at}\\?key=REDACTED failed: .* after 30000 bytes of its body$`));
    expect(message).not.toContain('SecretKey123');
    expect(source.hits(at)).toBe(1); // a body once begun is not tried again
  });

  test('a body that grows past maxBytes, counted inflated, destroys the stream with too_large', async () => {
    const endless = path('stream-endless');
    source.route(endless, (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      dripForever(response, 'y'.repeat(256));
    });
    const bomb = zlib.gzipSync(Buffer.alloc(200_000, '0'));
    const gzip = path('stream-gzip-bomb');
    source.route(gzip, (_request, response) => response.writeHead(200, { 'content-encoding': 'gzip', 'content-length': bomb.length }).end(bomb));
    const client = createHttpClient({ ...local, maxBytes: 10_000 });
    for (const at of [endless, gzip]) {
      const { bytes, error } = await drain((await client.getStream(`${source.origin}${at}`)).body);
      expect(bytes).toBeLessThanOrEqual(10_000);
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ kind: 'too_large', message: expect.stringMatching(/sent more than the 10000 bytes allowed/) });
    }
  });

  test('timeoutMs bounds the wait for the headers and each pause of the body, not the whole download', async () => {
    const silent = path('stream-silent');
    source.route(silent, () => undefined);
    const client = createHttpClient({ ...local, timeoutMs: 300, retries: 0 });
    const started = Date.now();
    const noAnswer = await failure(client.getStream(`${source.origin}${silent}`));
    expect(noAnswer).toMatchObject({ kind: 'timeout', message: `GET ${source.origin}${silent} sent no answer within 300 ms (timeoutMs, HTTP_TIMEOUT_MS)` });
    expect(Date.now() - started).toBeLessThan(1_500);

    const stalled = path('stream-stalled');
    source.route(stalled, (_request, response) => {
      response.writeHead(200);
      response.write('z'.repeat(1_000)); // then nothing, the connection held open
    });
    const { bytes, error } = await drain((await client.getStream(`${source.origin}${stalled}`)).body);
    expect(bytes).toBe(1_000);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({
      kind: 'timeout',
      message: `GET ${source.origin}${stalled} sent nothing for 300 ms after 1000 bytes of its body (timeoutMs, HTTP_TIMEOUT_MS)`,
    });

    // 1.2 s of body in steps of 100 ms: longer than timeoutMs in all, never silent that long
    const steady = path('stream-steady');
    source.route(steady, (_request, response) => {
      response.writeHead(200);
      let sent = 0;
      const timer = setInterval(() => {
        response.write('s'.repeat(100));
        if (++sent === 12) {
          clearInterval(timer);
          response.end();
        }
      }, 100);
      response.on('close', () => clearInterval(timer));
    });
    await expect(drain((await client.getStream(`${source.origin}${steady}`)).body)).resolves.toEqual({ bytes: 1_200 });
  });

  test('a redirect to a private address is refused before the body, without connecting', async () => {
    const at = path('stream-redirect');
    source.route(at, (_request, response) => response.writeHead(302, { location: `http://[::1]:${target.port}/` }).end());
    const before = target.hits('/');
    const error = await failure(createHttpClient(local).getStream(`${source.origin}${at}`));
    expect(error).toMatchObject({ kind: 'blocked_address', attempts: 1 });
    expect(error.message).toContain(`GET ${source.origin}${at} was redirected to http://[::1]:${target.port}/, which is refused: `);
    expect(target.hits('/')).toBe(before);
  });

  test('a caller that has read enough destroys the body, and the request is aborted', async () => {
    const at = path('stream-enough');
    let serverSawClose!: () => void;
    const closed = new Promise<void>((resolve) => { serverSawClose = resolve; });
    source.route(at, (_request, response) => {
      response.writeHead(200);
      dripForever(response, 'e'.repeat(4_096));
      response.on('close', () => serverSawClose());
    });
    const { body } = await createHttpClient(local).getStream(`${source.origin}${at}`);
    const errors: unknown[] = [];
    body.on('error', (error) => errors.push(error));
    await new Promise((resolve) => body.once('data', resolve));
    body.destroy();
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(errors).toEqual([]);
  });
});
