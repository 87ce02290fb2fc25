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
