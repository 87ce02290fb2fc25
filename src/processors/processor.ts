// What a processor is: a plain function of its job's payload and the context. It knows nothing of
// BullMQ; src/queues/workers.ts adapts it.
import type { PipelineContext } from '../context';
import type { JobPayload, QueueName } from '../queues/names';

export interface JobHandle<Q extends QueueName> {
  id: string;
  data: JobPayload<Q>;
  /** 1 for the first try */
  attempt: number;
  isFinalAttempt: boolean;
}

export type JobOutcome = 'success' | 'skipped';

export interface Processor<Q extends QueueName = QueueName> {
  queue: Q;
  process(job: JobHandle<Q>, ctx: PipelineContext): Promise<JobOutcome>;
}

/** A failure that retrying cannot fix (a file that cannot be parsed): the run fails with this message at once. */
export class RunFailure extends Error {}
