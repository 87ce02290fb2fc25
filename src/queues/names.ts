// Every queue of the fleet, the payload each carries, and the deterministic job ids of a run's steps.
import { z } from 'zod';

export const queueNames = ['import', 'transform', 'geocode', 'stage', 'image', 'promote'] as const;
export type QueueName = (typeof queueNames)[number];

const runId = z.number().int().positive();

/** The payload of the (single) job name on each queue. */
export const jobPayloads = {
  import: z.object({ runId }),
  transform: z.object({ runId, fileId: z.number().int().positive(), seq: z.number().int().positive() }),
  geocode: z.object({ runId, addressKey: z.string().min(1) }),
  stage: z.object({ runId }),
  // one job per distinct image URL of a run: the URL's key (src/db/images.ts urlKeyOf), not the URL itself
  image: z.object({ runId, urlKey: z.string().regex(/^[0-9a-f]{32}$/), url: z.string().max(2000).optional() }),
  promote: z.object({ runId }),
} satisfies Record<QueueName, z.ZodType>;

export type JobPayload<Q extends QueueName> = z.infer<(typeof jobPayloads)[Q]>;

export function isQueueName(name: string): name is QueueName {
  return (queueNames as readonly string[]).includes(name);
}

/**
 * Ids derived from the run, so adding a step twice is harmless: BullMQ ignores an add whose id exists.
 * (BullMQ ids may not contain ':' and may not be plain integers.)
 */
export const jobIds = {
  import: (run: number) => `run-${run}-import`,
  transform: (run: number, seq: number) => `run-${run}-transform-${seq}`,
  stage: (run: number) => `run-${run}-stage`,
  promote: (run: number) => `run-${run}-promote`,
  geocode: (run: number, addressKey: string) => `run-${run}-geocode-${addressKey}`,
  image: (run: number, urlKey: string) => `run-${run}-image-${urlKey}`,
  /** a re-fetch asked for by a person: a new id, as the first job of that URL may be kept as completed */
  imageRefetch: (run: number, urlKey: string, at: number) => `run-${run}-image-${urlKey}-refetch-${at}`,
};
