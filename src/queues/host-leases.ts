// At most `limit` requests in flight to one host from the whole fleet: a lease per request, held in
// a Redis sorted set scored by when it lapses (Redis's clock), so a worker that dies mid-download
// frees its lease when that time passes instead of holding the host's slot for ever. The rate of
// requests is the RateLimiter's; this bounds how many overlap.
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';

const takeScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
  return 1
end
return 0
`;

export interface HostLease {
  release(): Promise<void>;
}

export class HostLeases {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  /** A lease on one of `limit` slots of `key` for at most `ttlMs`, or null when all are taken. */
  async take(key: string, limit: number, ttlMs: number): Promise<HostLease | null> {
    const token = crypto.randomUUID();
    const redisKey = `${this.prefix}:leases:${key}`;
    const taken = (await this.redis.eval(takeScript, 1, redisKey, limit, token, Math.ceil(ttlMs))) as number;
    if (taken !== 1) return null;
    return { release: async () => void (await this.redis.zrem(redisKey, token)) };
  }

  /** Leases of `key` held now (for tests and logs). */
  async held(key: string): Promise<number> {
    const redisKey = `${this.prefix}:leases:${key}`;
    await this.redis.zremrangebyscore(redisKey, '-inf', Date.now());
    return this.redis.zcard(redisKey);
  }
}
