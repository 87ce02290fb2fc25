// What every process holds once: settings, the pg pool, Redis, the queues, the blob store, the logger.
import type { Redis } from 'ioredis';
import type { Settings } from './config';
import { createPool, type Db } from './db/pool';
import { createLogger, type Logger } from './logger';
import { createRedis } from './queues/connection';
import { queueNames } from './queues/names';
import { closeQueues, createQueues, type Queues } from './queues/queues';
import { RedisErrorLog } from './queues/redis-errors';
import { createBlobStore, type BlobStore } from './storage/blob-store';

export interface PipelineContext {
  settings: Settings;
  db: Db;
  redis: Redis;
  queues: Queues;
  store: BlobStore;
  log: Logger;
}

export function createContext(settings: Settings, log: Logger = createLogger(settings.LOG_LEVEL)): PipelineContext {
  const redis = createRedis(settings.REDIS_URL, 'queue');
  const queues = createQueues(redis, settings.QUEUE_PREFIX);
  // the queues share this connection: its errors, and each queue's, are one outage's log lines
  const redisErrors = new RedisErrorLog(log, redis, { connection: 'queues' });
  redisErrors.listen(redis);
  for (const name of queueNames) redisErrors.listen(queues[name], { queue: name });
  redisErrors.listen(queues.flows, { queue: 'flows' });
  return {
    settings,
    db: createPool(settings.DATABASE_URL),
    redis,
    queues,
    store: createBlobStore(settings.STORAGE_URL, { endpoint: settings.S3_ENDPOINT, region: settings.S3_REGION }),
    log,
  };
}

export async function closeContext(ctx: PipelineContext): Promise<void> {
  await closeQueues(ctx.queues);
  ctx.redis.disconnect();
  await ctx.db.end();
}
