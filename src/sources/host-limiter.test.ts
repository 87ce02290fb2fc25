import type { Redis } from 'ioredis';
import { RateLimiter, type RateDecision } from '../queues/rate-limiter';
import { HostLimiter, HostSlots } from './host-limiter';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('requests in flight per host', () => {
  it('at most the limit at once; the next waits for a slot to free, in the order they came', async () => {
    const slots = new HostSlots();
    const started: number[] = [];
    const releases: (() => void)[] = [];
    const takers = [1, 2, 3, 4].map((n) => slots.take('site.example', 2).then((release) => { started.push(n); releases.push(release); }));
    await tick();
    expect(started).toEqual([1, 2]);
    expect(slots.inFlight('site.example')).toBe(2);
    releases[0]!();
    releases[0]!(); // a second release of the same slot frees nothing more
    await tick();
    expect(started).toEqual([1, 2, 3]);
    expect(slots.inFlight('site.example')).toBe(2);
    releases[1]!();
    releases[2]!();
    await Promise.all(takers);
    expect(started).toEqual([1, 2, 3, 4]);
    releases[3]!();
    expect(slots.inFlight('site.example')).toBe(0);
  });

  it('two releases at once give two slots, never one slot twice', async () => {
    const slots = new HostSlots();
    const [a, b] = await Promise.all([slots.take('h', 2), slots.take('h', 2)]);
    let woken = 0;
    const waiting = [slots.take('h', 2), slots.take('h', 2), slots.take('h', 2)].map((taken) => taken.then((release) => { woken += 1; return release; }));
    a();
    b();
    await tick();
    expect(woken).toBe(2);
    expect(slots.inFlight('h')).toBe(2);
    for (const release of await Promise.all(waiting.slice(0, 2))) release();
    for (const release of await Promise.all(waiting.slice(2))) release();
    expect(slots.inFlight('h')).toBe(0);
  });

  it('hosts are counted apart', async () => {
    const slots = new HostSlots();
    await slots.take('a.example', 1);
    const other = await slots.take('b.example', 1);
    expect(slots.inFlight('a.example')).toBe(1);
    expect(slots.inFlight('b.example')).toBe(1);
    other();
  });

  it('a cancelled wait gives up its place and takes no slot', async () => {
    const slots = new HostSlots();
    const first = await slots.take('h', 1);
    const cancel = new AbortController();
    const cancelled = slots.take('h', 1, cancel.signal);
    const after = slots.take('h', 1);
    cancel.abort(new Error('run cancelled'));
    await expect(cancelled).rejects.toThrow('run cancelled');
    first();
    const release = await after;
    expect(slots.inFlight('h')).toBe(1);
    release();
    expect(slots.inFlight('h')).toBe(0);
  });
});

describe('waiting for the rate', () => {
  it('a refusal longer than a timer can hold (2^31 ms) sleeps as long as one can, not 1 ms in a loop on Redis', async () => {
    const asked: string[] = [];
    // a limiter whose every answer is "in 3,000,000 s" (about 35 days)
    class RefusingLimiter extends RateLimiter {
      override async acquire(key: string): Promise<RateDecision> {
        asked.push(key);
        return { granted: false, retryAfterMs: 3_000_000_000 };
      }
    }
    const limiter = new HostLimiter(new RefusingLimiter(undefined as unknown as Redis, 'test'), new HostSlots());
    const cancel = new AbortController();
    const run = limiter.run('slow.example', { perSecond: 1e-9, concurrency: 1 }, async () => 'read', cancel.signal);
    run.catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 100));
    cancel.abort(new Error('run cancelled'));
    await expect(run).rejects.toThrow();
    expect(asked).toEqual(['website:slow.example']);
  });
});
