// The six queues with the same defaults: attempts, backoff and retention of finished jobs.
import { FlowProducer, Queue, type DefaultJobOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { queueNames, type QueueName } from './names';

export const defaultJobOptions: DefaultJobOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 5_000 },
  // Bull Board shows recent history; old jobs go, PostgreSQL keeps the record of every run.
  removeOnComplete: { age: 7 * 24 * 3600, count: 5_000 },
  removeOnFail: { age: 30 * 24 * 3600, count: 10_000 },
};

export type Queues = Record<QueueName, Queue> & { flows: FlowProducer };

export function createQueues(connection: Redis, prefix: string): Queues {
  const queues = Object.fromEntries(
    queueNames.map((name) => [name, new Queue(name, { connection, prefix, defaultJobOptions })]),
  ) as Record<QueueName, Queue>;
  return { ...queues, flows: new FlowProducer({ connection, prefix }) };
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all([...queueNames.map((name) => queues[name].close()), queues.flows.close()]);
}
