import { RunFailure, type Processor } from './processor';

export const transformProcessor: Processor<'transform'> = {
  queue: 'transform',
  async process(job) {
    throw new RunFailure(`The transform step is not available yet (job ${job.id})`);
  },
};
