// One fleet-wide rate limit per key (a provider endpoint, a host): however many workers on however
// many machines ask, at most `perSecond` grants fall in any one-second window. Redis decides, in one
// script, on its own clock (TIME), so machines whose clocks differ still agree. Nothing here sleeps:
// a refused caller learns how long until a slot frees and hands its job back (BullMQ's
// worker.rateLimit + RateLimitError), so it holds no worker slot while it waits.
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';

/** A grant says when it was given, in Redis's clock (µs since the epoch), the one all machines share. */
export type RateDecision = { granted: true; atMicros: number } | { granted: false; retryAfterMs: number };

// A sliding log of the grants of the last second, as a sorted set scored by Redis time in µs.
// Grant when fewer than the limit are in it; else say when its oldest leaves the window.
const acquireScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = 1000000
local limit = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], 2000)
  return {1, tostring(now)}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tostring(math.floor((tonumber(oldest[2]) + window - now) / 1000) + 1)}
`;

export class RateLimiter {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  /** One grant for `key` when the last second holds fewer than `perSecond`; `perSecond` must be a whole number ≥ 1. */
  async acquire(key: string, perSecond: number): Promise<RateDecision> {
    if (!Number.isInteger(perSecond) || perSecond < 1) throw new Error(`rate for ${key}: expected a whole number of requests a second ≥ 1 (got ${perSecond})`);
    const [granted, value] = (await this.redis.eval(acquireScript, 1, this.keyOf(key), perSecond, crypto.randomUUID())) as [number, string];
    return granted === 1 ? { granted: true, atMicros: Number(value) } : { granted: false, retryAfterMs: Number(value) };
  }

  private keyOf(key: string): string {
    return `${this.prefix}:rate:${key}`;
  }
}
