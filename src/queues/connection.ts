// Redis connections for BullMQ. Queues share one connection; each worker gets its own blocking one.
import { Redis, type RedisOptions } from 'ioredis';

export function createRedis(redisUrl: string, role: 'queue' | 'worker'): Redis {
  const options: RedisOptions = {
    // Workers block on Redis and must keep retrying through a Redis restart, as BullMQ requires.
    maxRetriesPerRequest: role === 'worker' ? null : 3,
    enableOfflineQueue: role === 'worker',
    lazyConnect: false,
  };
  return new Redis(redisUrl, options);
}

/** Removes every key under a queue prefix: for throwaway environments (tests, benchmarks), never production. */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
