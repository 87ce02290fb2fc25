// Queue `geocode`: wired so the fleet's topology is whole, but its work (DESIGN.md step 4a) is not
// built yet: a job here fails at once with that message rather than pretending to succeed.
import { RunFailure, type Processor } from './processor';

export const geocodeProcessor: Processor<'geocode'> = {
  queue: 'geocode',
  async process(job) {
    throw new RunFailure(`The geocode step is not available in this version (job ${job.id})`);
  },
};
