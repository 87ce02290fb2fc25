// The six queues, and in one place how each retries a failed job and how long finished jobs stay.
import { FlowProducer, Queue, type DefaultJobOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { queueNames, type QueueName } from './names';

// Bull Board shows recent history; old jobs go, PostgreSQL keeps the record of every run.
const retention = {
  removeOnComplete: { age: 7 * 24 * 3600, count: 5_000 },
  removeOnFail: { age: 30 * 24 * 3600, count: 10_000 },
};

/**
 * Attempts and backoff per queue. Steps of a run resume where they stopped, so a retry is cheap;
 * network-bound ones (geocode, image) get more tries and longer waits, for providers and hosts that
 * are briefly down. A job's last failure fails its run (image aside).
 */
export const jobOptionsOf: Record<QueueName, DefaultJobOptions> = {
  import: { attempts: 3, backoff: { type: 'exponential', delay: 5_000 }, ...retention },
  transform: { attempts: 3, backoff: { type: 'exponential', delay: 5_000 }, ...retention },
  geocode: { attempts: 5, backoff: { type: 'exponential', delay: 10_000 }, ...retention },
  stage: { attempts: 3, backoff: { type: 'exponential', delay: 5_000 }, ...retention },
  image: { attempts: 4, backoff: { type: 'exponential', delay: 10_000 }, ...retention },
  promote: { attempts: 5, backoff: { type: 'exponential', delay: 5_000 }, ...retention },
};

/**
 * Fair sharing between runs: a run's batches (its transform jobs, one per raw file) take turns with
 * every other run's. Batch k of any run goes before batch k+1 of any run, so a 200-record run queued
 * behind a 50,000-record one waits for one of its batches, not all of them (BullMQ serves the
 * lowest priority number first, first come first served within one). Never 0: BullMQ serves jobs
 * without a priority before every prioritized one.
 */
export function batchPriority(batch: number): number {
  return Math.min(Math.max(1, Math.trunc(batch)), maxPriority);
}

// BullMQ's largest priority (2^21 - 1)
const maxPriority = 2_097_151;

export type Queues = Record<QueueName, Queue> & { flows: FlowProducer };

export function createQueues(connection: Redis, prefix: string): Queues {
  const queues = Object.fromEntries(
    queueNames.map((name) => [name, new Queue(name, { connection, prefix, defaultJobOptions: jobOptionsOf[name] })]),
  ) as Record<QueueName, Queue>;
  return { ...queues, flows: new FlowProducer({ connection, prefix }) };
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all([...queueNames.map((name) => queues[name].close()), queues.flows.close()]);
}
