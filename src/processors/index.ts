// Every processor of the fleet, one per queue (src/queues/workers.ts refuses a gap or a double).
import { geocodeProcessor } from './geocode';
import { imageProcessor } from './image';
import { importProcessor } from './import';
import { promoteProcessor } from './promote';
import { stageProcessor } from './stage';
import { transformProcessor } from './transform';
import type { Processor } from './processor';

export const processors: readonly Processor[] = [
  importProcessor,
  transformProcessor,
  geocodeProcessor,
  stageProcessor,
  imageProcessor,
  promoteProcessor,
] as Processor[];
