// The fleet-wide rate limit as geocoding (and later scraping and image fetches) will use it: three
// separate processes asking at once for one key never get more than the rate in any one-second window
// of Redis's clock, share it between them, and use it.
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { HostLeases } from '../src/queues/host-leases';
import { RateLimiter, transitMarginMicros } from '../src/queues/rate-limiter';
import { testRedisUrl } from './harness/services';
import { spawnEntry } from './harness/spawn';

jest.setTimeout(60_000);

const prefix = `{test-${crypto.randomBytes(4).toString('hex')}}`;
let redis: Redis;
beforeAll(() => (redis = new Redis(testRedisUrl)));
afterAll(() => redis.disconnect());

it('three processes on one key: at most the rate in any one-second window, and the rate used', async () => {
  const perSecond = 5;
  const durationMs = 4_000;
  const clients = Array.from({ length: 3 }, () => spawnEntry('test/fixtures/rate-limit-client.ts', [], {
    REDIS_URL: testRedisUrl, QUEUE_PREFIX: prefix, RATE_KEY: 'geocode:nominatim:https://nominatim.test',
    RATE_PER_SEC: String(perSecond), RATE_DURATION_MS: String(durationMs),
  }));
  const perClient = await Promise.all(clients.map(async (client) => {
    const [, json] = await client.waitFor(/GRANTS (\[.*\])/, 45_000);
    return JSON.parse(json!) as number[];
  }));
  const grants = perClient.flat().sort((a, b) => a - b);
  // any window of one second and the transit margin holds at most perSecond grants: grant i and
  // grant i + perSecond are that far apart
  for (let i = 0; i + perSecond < grants.length; i += 1) {
    expect(grants[i + perSecond]! - grants[i]!).toBeGreaterThanOrEqual(1_000_000 + transitMarginMicros);
  }
  // the rate is used: over the span of the grants, close to perSecond a second (a refused client's
  // timer can wake late on a busy machine, hence 80 %), and never more than the windows allow
  const seconds = (grants[grants.length - 1]! - grants[0]!) / 1_000_000;
  const windowSeconds = 1 + transitMarginMicros / 1_000_000;
  expect(grants.length).toBeGreaterThanOrEqual(Math.floor((0.8 * Math.floor(seconds) * perSecond) / windowSeconds));
  expect(grants.length).toBeLessThanOrEqual((Math.floor(seconds / windowSeconds) + 1) * perSecond);
  for (const own of perClient) expect(own.length).toBeGreaterThan(0);
  process.stdout.write(`rate limit ${perSecond}/s: ${grants.length} grants over ${seconds.toFixed(2)} s, ` +
    `per process ${perClient.map((own) => own.length).join(', ')}\n`);
});

it('grants are spaced evenly: a refused caller learns when its slot frees; other keys are not affected', async () => {
  const limiter = new RateLimiter(redis, prefix);
  expect((await limiter.acquire('host:a.test', 2)).granted).toBe(true);
  // 2 a second is spread out (one at least every 1.1/3 s: a second and the transit margin), not two at once then a wait
  const refused = await limiter.acquire('host:a.test', 2);
  expect(refused.granted).toBe(false);
  if (refused.granted) return;
  expect(refused.retryAfterMs).toBeGreaterThan(330);
  expect(refused.retryAfterMs).toBeLessThanOrEqual(368);
  expect((await limiter.acquire('host:b.test', 2)).granted).toBe(true);
  await new Promise((resolve) => setTimeout(resolve, refused.retryAfterMs));
  expect((await limiter.acquire('host:a.test', 2)).granted).toBe(true);
  // a rate below 1 is one grant per 1/rate seconds; a fractional one above 1 is rounded down
  expect((await limiter.acquire('host:c.test', 0.5)).granted).toBe(true);
  const slow = await limiter.acquire('host:c.test', 0.5);
  expect(slow.granted === false && slow.retryAfterMs > 2_000 && slow.retryAfterMs <= 2_101).toBe(true);
  expect((await limiter.acquire('host:d.test', 2.5)).granted).toBe(true);
  const rounded = await limiter.acquire('host:d.test', 2.5);
  expect(rounded.granted === false && rounded.retryAfterMs > 330 && rounded.retryAfterMs <= 368).toBe(true);
  // and the window still holds at most the rate: a third grant of 2/s waits for the first to leave it
  await new Promise((resolve) => setTimeout(resolve, rounded.granted ? 0 : rounded.retryAfterMs));
  expect((await limiter.acquire('host:d.test', 2.5)).granted).toBe(true);
  const full = await limiter.acquire('host:d.test', 2.5);
  expect(full.granted === false && full.retryAfterMs > 330 && full.retryAfterMs <= 735).toBe(true);
  await expect(limiter.acquire('host:a.test', 0)).rejects.toThrow('rate for host:a.test: expected requests a second above 0 (got 0)');
  await expect(limiter.acquire('host:a.test', Number.NaN)).rejects.toThrow(/got NaN/);
});

describe('host leases: at most so many downloads from one host in flight, fleet-wide', () => {
  it('a lease is refused while the limit is held, given again once one is released, and lapses when its holder dies', async () => {
    const leases = new HostLeases(redis, prefix);
    const [first, second] = [await leases.take('image-host:photos.test', 2, 10_000), await leases.take('image-host:photos.test', 2, 10_000)];
    expect(first && second).toBeTruthy();
    expect(await leases.take('image-host:photos.test', 2, 10_000)).toBeNull();
    expect(await leases.take('image-host:other.test', 2, 10_000)).not.toBeNull(); // another host has its own
    await first!.release();
    const third = await leases.take('image-host:photos.test', 2, 300);
    expect(third).not.toBeNull();
    expect(await leases.held('image-host:photos.test')).toBe(2);
    await second!.release();
    // third's holder never releases it: it lapses after its 300 ms
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await leases.held('image-host:photos.test')).toBe(0);
  });
});
