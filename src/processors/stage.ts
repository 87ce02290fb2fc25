import { RunFailure, type Processor } from './processor';

export const stageProcessor: Processor<'stage'> = {
  queue: 'stage',
  async process(job) {
    throw new RunFailure(`The stage step is not available yet (job ${job.id})`);
  },
};
