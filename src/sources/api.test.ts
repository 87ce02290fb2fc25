// openApi read directly against the fake partner API (test/fixtures/partner-api.ts) with a key in
// credentials, as the import step will pass it once the credential store exists: how the key travels,
// that it never reaches a message, and the fleet-wide rate. Real Redis for the limiter.
import crypto from 'node:crypto';
import nodeHttp from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { resolveConfig, type ConfigParams } from '../domain/config-params';
import { createHttpClient, HttpError } from '../http/client';
import { makeHotels, PartnerApi } from '../../test/fixtures/partner-api';
import { maxInAnyWindow } from '../../test/fixtures/geocode-providers';
import { testRedisUrl } from '../../test/harness/services';
import { openApi } from './api';
import type { SourceProblem, SourceRecord } from './source';

const key = 'partner-secret-key-0001';
const hotels = makeHotels(250);
const records = 'getHotels.results.hotel_data';
let api: PartnerApi;
let redis: Redis;
const http = createHttpClient({ allowPrivateHosts: ['127.0.0.1'], timeoutMs: 800, retries: 1, retryDelayMs: 50, maxBytes: 256 * 1024 });

beforeAll(async () => {
  api = await PartnerApi.start(hotels, { apiKey: key, oversizedBytes: 512 * 1024 });
  redis = new Redis(testRedisUrl);
});
afterAll(async () => {
  await api.close();
  redis.disconnect();
});
beforeEach(() => api.serve(hotels));

async function read(importParams: NonNullable<ConfigParams['import']>, credentials: Record<string, string> = { api_key: key }) {
  const problems: SourceProblem[] = [];
  const source = await openApi({
    config: resolveConfig({ import: { base_url: api.hotelsUrl, records_path: records, rate_per_sec: 100, ...importParams } }, 'api'),
    upload: null, http, credentials, redis, queuePrefix: `{test-${crypto.randomBytes(4).toString('hex')}}`, log: undefined as never,
  }, (problem) => void problems.push(problem));
  const read: SourceRecord[] = [];
  for await (const record of source.records) read.push(record);
  return { records: read, problems };
}

/** Redis whose rate-limiter calls (EVAL) are counted. */
function countingEvals(target: Redis): { redis: Redis; evals: () => number } {
  let evals = 0;
  const redis = new Proxy(target, {
    get(object, name) {
      const value = Reflect.get(object, name, object) as unknown;
      if (typeof value !== 'function') return value;
      return name === 'eval' ? (...args: unknown[]) => { evals += 1; return (value as (...a: unknown[]) => unknown).apply(object, args); } : value.bind(object);
    },
  });
  return { redis, evals: () => evals };
}

/** The error a read fails with, and that its every word is free of the key. */
async function failure(importParams: NonNullable<ConfigParams['import']>): Promise<Error> {
  const error = await read(importParams).then(() => null, (thrown: Error) => thrown);
  expect(error).toBeInstanceOf(Error);
  expect(`${error!.message} ${JSON.stringify(error)}`).not.toContain(key);
  return error!;
}

const offsetPaging = { type: 'offset', size_param: 'rows', page_size: 100 } as const;

describe('the API key', () => {
  it('goes in the header import.auth names, never in the URL', async () => {
    const { records: got } = await read({ pagination: offsetPaging, auth: { header: 'X-Api-Key' } });
    expect(got.map((record) => record.fields)).toEqual(hotels);
    expect(api.pageRequests.map((request) => request.query.get('offset'))).toEqual(['0', '100', '200']);
    expect(api.pageRequests.every((request) => !request.query.has('refid'))).toBe(true);
  });

  it('goes in the query parameter import.auth names; a failure on that page names the URL without it', async () => {
    const ok = await read({ pagination: offsetPaging, auth: { query_param: 'refid' } });
    expect(ok.records).toHaveLength(250);
    expect(api.pageRequests.every((request) => request.query.get('refid') === key)).toBe(true);

    api.serve(hotels);
    api.inject(2, 'html');
    const error = await failure({ pagination: offsetPaging, auth: { query_param: 'refid' } });
    expect(error.message).toBe(`GET ${api.hotelsUrl}?rows=100&offset=100 answered an HTML page ("Site under maintenance") (text/html; charset=UTF-8), not JSON: check import.base_url and the API key`);
  });

  it('a wrong key is the API\'s 401, named without the key', async () => {
    const error = await read({ auth: { query_param: 'refid' } }, { api_key: 'wrong-key-1234' }).then(() => null, (thrown: Error) => thrown);
    expect(error).toBeInstanceOf(HttpError);
    expect(error!.message).toBe(`GET ${api.hotelsUrl}?refid=REDACTED answered 401`);
  });

  it.each([
    ['a redirect to a private address', 'redirect-private' as const, 'which is refused'],
    ['a page that never answers', 'timeout' as const, 'did not finish within 800 ms'],
    ['an oversized page', 'oversized' as const, 'more than the 262144 bytes allowed'],
  ])('%s fails naming the URL, with the key in the query redacted', async (_name, fault, message) => {
    api.inject(2, fault);
    const error = await failure({ pagination: offsetPaging, auth: { query_param: 'refid' } });
    expect(error).toBeInstanceOf(HttpError);
    expect(error.message).toContain(`GET ${api.hotelsUrl}?rows=100&offset=100&refid=REDACTED`);
    expect(error.message).toContain(message);
  });

  it('import.auth without a key in the credentials is refused before any request', async () => {
    await expect(read({ auth: { header: 'X-Api-Key' } }, {})).rejects.toThrow('import.auth says how to send an API key, but the config has no API key');
    expect(api.requests).toHaveLength(0);
  });

  it('an Authorization header with a scheme is sent as the scheme and the key', async () => {
    const { records: got } = await read({ auth: { header: 'Authorization', scheme: 'Bearer' } });
    expect(got).toHaveLength(100);
    expect(api.requests.map((request) => request.answer)).toEqual(['ok']);
  });
});

describe('a redirect to another origin', () => {
  let redirector: nodeHttp.Server;
  let redirectorUrl: string;
  beforeAll(async () => {
    // another origin (another port) that sends every request on to the partner API, query and all
    redirector = nodeHttp.createServer((request, response) => {
      response.writeHead(302, { location: `${api.url}${request.url}` });
      response.end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => redirector.close(resolve)));

  it.each([
    ['a header', { header: 'X-Api-Key' }],
    ['a query parameter', { query_param: 'refid' }],
  ])('with the key in %s is refused: the key never goes there, nor is the API read on without it', async (_where, auth) => {
    const error = await failure({ base_url: `${redirectorUrl}/v2/hotels`, auth });
    expect(error).toBeInstanceOf(HttpError);
    expect(error.message).toContain(`was redirected to ${api.url}/v2/hotels`);
    expect(error.message).toContain(`which is refused: it is on another origin than ${redirectorUrl}`);
    expect(api.requests).toHaveLength(0);
  });
});

describe('the rate', () => {
  it('a rate so low its wait passes 2^31 ms sleeps as long as a timer can, not 1 ms in a loop on Redis', async () => {
    const counted = countingEvals(redis);
    const cancel = new AbortController();
    const source = await openApi({
      config: resolveConfig({ import: { base_url: api.hotelsUrl, records_path: records, rate_per_sec: 1e-7, pagination: offsetPaging } }, 'api'),
      upload: null, http, credentials: { api_key: key }, redis: counted.redis, queuePrefix: `{test-${crypto.randomBytes(4).toString('hex')}}`,
      log: undefined as never, signal: cancel.signal,
    }, () => {});
    const reading = (async () => { for await (const _record of source.records); })();
    reading.catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 300));
    cancel.abort(new Error('run cancelled'));
    await expect(reading).rejects.toThrow();
    expect(api.pageRequests).toHaveLength(1); // the first page; the second waits ~3 years for its grant
    expect(counted.evals()).toBe(2);
  });

  it('import.rate_per_sec spaces the pages of the whole fleet to the API\'s origin', async () => {
    const started = performance.now();
    const { records: got } = await read({ pagination: { type: 'page', size_param: 'rows', page_size: 25 }, rate_per_sec: 5 });
    expect(got).toHaveLength(250);
    // ten full pages, then an empty eleventh that says the list has ended
    expect(api.pageRequests.map((request) => request.page)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    // 11 requests at 5 a second (4.5 with the limiter's transit margin): over 2 s, never 6 in a second
    expect(performance.now() - started).toBeGreaterThan(1_900);
    expect(maxInAnyWindow(api.requestTimes)).toBeLessThanOrEqual(5);
  });
});
