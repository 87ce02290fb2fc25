// Queue `image`: wired so the fleet's topology is whole, but its work (DESIGN.md step 5) is not
// built yet: a job here fails at once with that message rather than pretending to succeed.
import { RunFailure, type Processor } from './processor';

export const imageProcessor: Processor<'image'> = {
  queue: 'image',
  async process(job) {
    throw new RunFailure(`The image step is not available in this version (job ${job.id})`);
  },
};
