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
