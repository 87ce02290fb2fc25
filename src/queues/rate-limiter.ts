// One fleet-wide rate limit per key (a provider endpoint, a host): however many workers on however
// many machines ask, at most `perSecond` grants fall in any one-second window, with room to spare for
// the network between a grant and its request reaching the provider. Redis decides, in one
// script, on its own clock (TIME), so machines whose clocks differ still agree. acquire() never
// sleeps: a refused caller learns how long until a slot frees and hands its job back (BullMQ's
// worker.rateLimit + RateLimitError), so it holds no worker slot while it waits. Only a caller
// midway through something it cannot hand back (a source reading page after page) waits, in
// waitForGrant().
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';

/** A grant says when it was given, in Redis's clock (µs since the epoch), the one all machines share. */
export type RateDecision = { granted: true; atMicros: number } | { granted: false; retryAfterMs: number };

// A sliding log of the grants of the last window (the second plus a transit margin), as a sorted set
// scored by Redis time in µs. Grant when fewer than the limit are in it and the newest is at least
// window/(limit + 1) old: grants are spread out, not sent in bursts, so the milliseconds between a
// grant and its request reaching the provider cannot crowd one of the provider's own seconds (the
// spacing is a little under window/limit, so a slot lost to a late caller can be caught up). Else say
// when the next slot frees.
const acquireScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[3])
local limit = tonumber(ARGV[1])
local spacing = math.floor(window / (limit + 1))
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local wait = 0
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  wait = tonumber(oldest[2]) + window - now
end
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if newest[2] then
  wait = math.max(wait, tonumber(newest[2]) + spacing - now)
end
if wait <= 0 then
  redis.call('ZADD', KEYS[1], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], math.floor(window / 500) + 1)
  return {1, tostring(now)}
end
return {0, tostring(math.floor(wait / 1000) + 1)}
`;

/**
 * The window is a second (1/rate seconds below 1 a second) plus this much: requests granted a second
 * apart can reach the provider closer together when one waits longer on a busy event loop or network,
 * and the provider counts what reaches it. 100 ms costs a tenth of the rate (5/s is 4.5/s at most).
 */
export const transitMarginMicros = 100_000;

/** The longest a Node timer waits: a longer delay fires after 1 ms, and a loop on it would ask Redis every millisecond. */
export const longestTimerMs = 2 ** 31 - 1;

export class RateLimiter {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  /**
   * One grant for `key` when the last second holds fewer than `perSecond`. A rate below 1 is one grant
   * per 1/rate seconds; a fractional rate above 1 is rounded down (a limit may be met, never passed).
   */
  async acquire(key: string, perSecond: number): Promise<RateDecision> {
    if (!Number.isFinite(perSecond) || perSecond <= 0) throw new Error(`rate for ${key}: expected requests a second above 0 (got ${perSecond})`);
    const [limit, windowMicros] = perSecond < 1 ? [1, Math.ceil(1_000_000 / perSecond)] : [Math.floor(perSecond), 1_000_000];
    const window = windowMicros + transitMarginMicros;
    const [granted, value] = (await this.redis.eval(acquireScript, 1, this.keyOf(key), limit, crypto.randomUUID(), window)) as [number, string];
    return granted === 1 ? { granted: true, atMicros: Number(value) } : { granted: false, retryAfterMs: Number(value) };
  }

  /** Waits until `key` has a grant (asking again after each refusal's wait, at most a timer's longest). */
  async waitForGrant(key: string, perSecond: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const decision = await this.acquire(key, perSecond);
      if (decision.granted) return;
      await sleep(Math.min(decision.retryAfterMs, longestTimerMs), undefined, signal ? { signal } : undefined);
    }
  }

  private keyOf(key: string): string {
    return `${this.prefix}:rate:${key}`;
  }
}
