import { RunFailure, type Processor } from './processor';

export const importProcessor: Processor<'import'> = {
  queue: 'import',
  async process(job) {
    throw new RunFailure(`The import step is not available yet (job ${job.id})`);
  },
};
