// Query strings, bodies and replies of a run's images (DESIGN.md step 5): the staged images of
// `GET /jobs/:id/images` and the re-fetch of `POST /jobs/:id/images/refetch`. For the server and the
// admin UI alike: zod only, no I/O.
import { z } from 'zod';
import { maxSerialId } from './sources';

/**
 * A staged image's state: `pending` until its job has fetched it, `stored` once its canonical copy and
 * variants are in the blob store, `failed` with the reason (never promoted).
 */
export const imageStatuses = ['pending', 'stored', 'failed'] as const;
export type ImageStatus = (typeof imageStatuses)[number];

export const imagesPageSize = { default: 60, max: 500 };

/** `GET /jobs/:id/images?status=&page=&pageSize=` */
export const imagesQuery = z.object({
  status: z.enum(imageStatuses, { error: `expected one of ${imageStatuses.join(', ')}` }).optional(),
  page: z.coerce.number({ error: 'expected a page number from 1' }).int({ error: 'expected a page number from 1' })
    .min(1, { error: 'expected a page number from 1' }).max(1_000_000).default(1),
  pageSize: z.coerce.number({ error: `expected a page size from 1 to ${imagesPageSize.max}` }).int()
    .min(1, { error: `expected a page size from 1 to ${imagesPageSize.max}` })
    .max(imagesPageSize.max, { error: `expected a page size from 1 to ${imagesPageSize.max}` }).default(imagesPageSize.default),
});
export type ImagesQuery = z.infer<typeof imagesQuery>;

/** One made size of a stored image (large, medium, thumb by default). */
export const imageVariant = z.object({ url: z.string(), width: z.number().int(), height: z.number().int() });
export type ImageVariant = z.infer<typeof imageVariant>;

/** One image of one staged row (a listing of the run), as the Images page shows it. */
export const stagedImage = z.object({
  id: z.number().int(),
  job_id: z.number().int(),
  /** the staged row (the listing record of this run) the image belongs to */
  row_id: z.number().int(),
  source_id: z.string(),
  listing_name: z.string().nullable(),
  listing_id: z.number().int().nullable(),
  /** its place in the record's list, from 0 */
  rank: z.number().int(),
  /** where the source said the image is */
  source_url: z.string(),
  status: z.enum(imageStatuses),
  /**
   * why a failed image failed, in words (a 404, a timeout, HTML served as an image, too many pixels…);
   * on a stored image, why its last re-fetch got no answer (the stored copy stays)
   */
  failure: z.string().nullable(),
  /** our stored copy (never the source's host); null until stored */
  canonical_url: z.string().nullable(),
  variants: z.record(z.string(), imageVariant).nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  /** the type read from the bytes: jpeg, png, webp, avif or gif */
  format: z.string().nullable(),
  bytes: z.number().int().nullable(),
  sha256: z.string().nullable(),
  /** true when another image of the same record is the same picture in a better resolution: it is not shown */
  duplicate: z.boolean(),
  fetched_at: z.string().nullable(),
});
export type StagedImage = z.infer<typeof stagedImage>;

export const imageCounts = z.object({ pending: z.number().int(), stored: z.number().int(), failed: z.number().int() });
export type ImageCounts = z.infer<typeof imageCounts>;

export const imagesReply = z.object({ images: z.array(stagedImage), total: z.number().int(), counts: imageCounts });
export type ImagesReply = z.infer<typeof imagesReply>;

/**
 * `POST /jobs/:id/images/refetch {failed_only?, image_id?}`: one image whatever its status (image_id;
 * failed_only is then not read), or the run's failed images (failed_only, the default), or every image
 * of the run (failed_only: false). A re-fetch sends the earlier answer's ETag / Last-Modified, so an
 * unchanged image costs no download.
 */
export const refetchBody = z.object({
  failed_only: z.boolean({ error: 'expected true or false' }).default(true),
  image_id: z.number({ error: `expected an image id: a whole number from 1 to ${maxSerialId}` }).int()
    .min(1).max(maxSerialId, { error: `expected an image id: a whole number from 1 to ${maxSerialId}` }).optional(),
}).strict();
export type RefetchBody = z.infer<typeof refetchBody>;

/** 202: how many images were put back on the `image` queue. */
export const refetchReply = z.object({ jobId: z.number().int(), images: z.number().int() });
export type RefetchReply = z.infer<typeof refetchReply>;
