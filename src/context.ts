// What every process holds once: settings, the pg pools, Redis, the queues, the blob store, the logger.
import type { Redis } from 'ioredis';
import { apiReadPoolSize, type Settings } from './config';
import { createPool, createReadinessPool, type Db } from './db/pool';
import { ReadPool } from './db/read-pool';
import { createLogger, type Logger } from './logger';
import { createRedis } from './queues/connection';
import { queueNames } from './queues/names';
import { closeQueues, createQueues, type Queues } from './queues/queues';
import { RedisErrorLog } from './queues/redis-errors';
import { createBlobStore, type BlobStore } from './storage/blob-store';

export interface PipelineContext {
  settings: Settings;
  /** writes, sign-in and every worker step */
  db: Db;
  /** the API's read-only routes (searches, listing lists, review pages, the public API); never workers */
  apiReads: ReadPool;
  /** /readyz's own connection */
  readinessDb: Db;
  redis: Redis;
  queues: Queues;
  store: BlobStore;
  log: Logger;
}

/**
 * A worker process's steps also use the queues' connection (to hand on to the next step): there it
 * waits through a Redis restart like the workers' own connections, instead of failing the job's
 * attempt. The API's fails fast, so a request answers 503 rather than hanging.
 */
export function createContext(settings: Settings, log: Logger = createLogger(settings.LOG_LEVEL), redisRole: 'queue' | 'worker' = 'queue'): PipelineContext {
  const redis = createRedis(settings.REDIS_URL, redisRole);
  const queues = createQueues(redis, settings.QUEUE_PREFIX);
  // the queues share this connection: its errors, and each queue's, are one outage's log lines
  const redisErrors = new RedisErrorLog(log, redis, { connection: 'queues' });
  redisErrors.listen(redis);
  for (const name of queueNames) redisErrors.listen(queues[name], { queue: name });
  redisErrors.listen(queues.flows, { queue: 'flows' });
  return {
    settings,
    // pg pools connect at their first query: a worker process never opens apiReads, nor readinessDb
    // unless its /readyz is served (WORKER_METRICS_PORT)
    db: createPool(settings.DATABASE_URL, settings.DB_POOL_SIZE),
    apiReads: new ReadPool(settings.DATABASE_URL, apiReadPoolSize(settings.DB_POOL_SIZE), settings.API_READ_TIMEOUT_MS),
    readinessDb: createReadinessPool(settings.DATABASE_URL),
    redis,
    queues,
    store: createBlobStore(settings.STORAGE_URL, { endpoint: settings.S3_ENDPOINT, region: settings.S3_REGION }),
    log,
  };
}

export async function closeContext(ctx: PipelineContext): Promise<void> {
  await closeQueues(ctx.queues);
  ctx.redis.disconnect();
  await Promise.all([ctx.db.end(), ctx.apiReads.end(), ctx.readinessDb.end()]);
}
