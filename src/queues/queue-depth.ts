// How full each queue is now, read from Redis: jobs per state, how long the oldest waiting job has
// waited, and how many workers are connected. The API's /metrics gauges and GET /metrics/summary read
// it at request time.
import type { Queue } from 'bullmq';
import { queueStates, type QueueState } from '../contract/metrics';
import { queueNames, type QueueName } from './names';
import type { Queues } from './queues';

export interface QueueDepth {
  queue: QueueName;
  counts: Record<QueueState, number>;
  /** null when no job waits */
  oldestWaitingSeconds: number | null;
}

// Prioritized jobs (transform batches, queues.ts batchPriority) are served by priority, not age: the
// first ones to be served are read and the oldest of them taken. Every batch of a run is added at
// once, so those first ones carry the age of each run that has batches waiting; a scan of the whole
// set at every scrape would cost as much as the queue is long.
const prioritizedLooked = 200;

/** When the oldest job waiting to be picked up (waiting or prioritized) was added, in ms; null when none. */
async function oldestWaitingSince(queue: Queue): Promise<number | null> {
  // the wait list is pushed on the left and served from the right: ascending order starts with the oldest
  const [oldestWaiting] = await queue.getJobs(['wait'], 0, 0, true);
  const prioritized = await queue.getJobs(['prioritized'], 0, prioritizedLooked - 1, true);
  const stamps = [oldestWaiting, ...prioritized].filter((job) => job !== undefined).map((job) => job.timestamp);
  return stamps.length ? Math.min(...stamps) : null;
}

export async function queueDepth(queues: Queues, name: QueueName, now = Date.now()): Promise<QueueDepth> {
  const queue = queues[name];
  const counts = await queue.getJobCounts(...queueStates);
  const since = await oldestWaitingSince(queue);
  return {
    queue: name,
    counts: Object.fromEntries(queueStates.map((state) => [state, counts[state] ?? 0])) as Record<QueueState, number>,
    oldestWaitingSeconds: since === null ? null : Math.max(0, (now - since) / 1000),
  };
}

export async function queueDepths(queues: Queues): Promise<QueueDepth[]> {
  const now = Date.now();
  return Promise.all(queueNames.map((name) => queueDepth(queues, name, now)));
}
