import { RunFailure, type Processor } from './processor';

export const promoteProcessor: Processor<'promote'> = {
  queue: 'promote',
  async process(job) {
    throw new RunFailure(`The promote step is not available yet (job ${job.id})`);
  },
};
