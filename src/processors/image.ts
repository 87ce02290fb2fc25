// Queue `image`, one job per distinct image URL of a run (DESIGN.md step 5), queued after the stage
// step: take a slot of the URL's host (fleet-wide concurrency and rate), download it once through the
// HTTP client (a re-fetch asks "changed since?"), make the canonical copy and the variants, store them
// in each record's folder, and record the outcome on every staged image of that URL. A failure is the
// image's, never the run's: a 404 or a bad file fails it at once, a timeout or a 5xx on the last try.
import { Readable } from 'node:stream';
import type { PipelineContext } from '../context';
import { inTransaction } from '../db/pool';
import { imagesToFetch, recordImageOutcomes, refreshGalleries, type ImageOutcome, type ImageToFetch } from '../db/images';
import { HttpError, httpClientFromSettings, redactUrl, type HttpBufferResponse } from '../http/client';
import { BadImage, makePicture, type MadeFile, type Picture } from '../images/picture';
import { countBlobBytesWritten, countImageFetch } from '../metrics';
import { HostLeases } from '../queues/host-leases';
import { RateLimiter } from '../queues/rate-limiter';
import { imageKey } from '../storage/blob-keys';
import { loadRunStep, RetryLater, type Processor } from './processor';

/** Runs whose images are still wanted: review does not wait for them, and promotion may come first. */
const imageRunStatuses = ['awaiting_review', 'promoting', 'promoted'] as const;

export const imageProcessor: Processor<'image'> = {
  queue: 'image',
  async process(job, ctx) {
    const { runId, urlKey } = job.data;
    const step = await loadRunStep(ctx, runId, imageRunStatuses);
    if (!step) return 'skipped';
    const images = await imagesToFetch(ctx.db, runId, urlKey);
    if (!images.length) return 'skipped'; // fetched already (an earlier try, a re-fetch's other job)
    const url = images[0]!.source_url;
    const s = ctx.settings;
    const host = hostOf(url);
    if (!host) {
      await inTransaction(ctx.db, (client) => recordImageOutcomes(client, images.map((image) => ({
        image, outcome: { status: 'failed', failure: 'not a valid URL', transient: false, etag: null, last_modified: null },
      }))));
      return 'success';
    }

    const lease = await new HostLeases(ctx.redis, s.QUEUE_PREFIX).take(`image-host:${host}`, s.IMAGE_HOST_CONCURRENCY, s.IMAGE_FETCH_TIMEOUT_MS * 2 + 60_000);
    if (!lease) throw new RetryLater(250 + Math.floor(Math.random() * 500), `${s.IMAGE_HOST_CONCURRENCY} downloads from ${host} are in flight`);
    let downloaded: Downloaded;
    try {
      const slot = await new RateLimiter(ctx.redis, s.QUEUE_PREFIX).acquire(`image-host:${host}`, s.IMAGE_HOST_RATE_PER_SEC);
      if (!slot.granted) throw new RetryLater(slot.retryAfterMs, `the rate for ${host} is used up`);
      downloaded = await download(ctx, images, job.isFinalAttempt);
    } finally {
      await lease.release(); // the host's slot is for the download only, not the resizing
    }
    const fetched = 'outcome' in downloaded ? downloaded : await makeFrom(ctx, downloaded.response);
    if (fetched.picture) await storeCopies(ctx, images, fetched.picture, step.run.dmo_id);
    await inTransaction(ctx.db, async (client) => {
      await recordImageOutcomes(client, images.map((image) => ({
        image, outcome: fetched.picture ? storedOutcome(ctx, image, fetched.picture, fetched.outcome) : fetched.outcome,
      })));
      await refreshGalleries(client, images.map((image) => image.row_id),
        { similarBits: s.IMAGE_SIMILAR_BITS, overrideManual: step.config.promote.override_manual });
    });
    if (!fetched.picture && fetched.outcome.status === 'failed') ctx.log.info({ url: redactUrl(url), reason: fetched.outcome.failure }, 'image failed');
    return 'success';
  },
};

/** A download that may be tried again (a timeout, a 5xx, a dropped connection): thrown until the last try. */
class TransientImageFailure extends Error {}

/** What a download gave: a picture to store (with the answer's validators), or an outcome as it is. */
type Fetched =
  | { picture: Picture; outcome: { etag: string | null; last_modified: string | null } }
  | { picture?: undefined; outcome: ImageOutcome };

/** A download's answer with a body, or the outcome it already is (a 304, a failure). */
type Downloaded = { response: HttpBufferResponse } | { outcome: ImageOutcome; picture?: undefined };

/** Downloads the URL once; what went wrong becomes the images' failure, unless another try may fix it. */
async function download(ctx: PipelineContext, images: ImageToFetch[], isFinalAttempt: boolean): Promise<Downloaded> {
  const s = ctx.settings;
  const http = httpClientFromSettings(s, { timeoutMs: s.IMAGE_FETCH_TIMEOUT_MS, maxBytes: s.IMAGE_MAX_BYTES, retries: 0 });
  let response: HttpBufferResponse;
  try {
    response = await http.getBuffer(images[0]!.source_url, {
      headers: { accept: 'image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.5', ...conditionalHeaders(images) },
    });
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    const transient = error.kind === 'timeout' || error.kind === 'network' || error.kind === 'retry_after_too_long'
      || (error.kind === 'status' && (error.status === 429 || (error.status ?? 0) >= 500));
    countImageFetch(error.kind === 'too_large' ? 'too_large' : error.status === 404 || error.status === 410 ? 'not_found' : 'failed');
    if (transient && !isFinalAttempt) throw new TransientImageFailure(error.message);
    return { outcome: { status: 'failed', failure: failureOf(error, s.IMAGE_MAX_BYTES, s.IMAGE_FETCH_TIMEOUT_MS), transient, etag: null, last_modified: null } };
  }
  if (response.status === 304) {
    countImageFetch('unchanged');
    return { outcome: { status: 'unchanged', ...validatorsOf(response) } };
  }
  return { response };
}

/** The picture made from a downloaded body, or why it is none we store. */
async function makeFrom(ctx: PipelineContext, response: HttpBufferResponse): Promise<Fetched> {
  const s = ctx.settings;
  const validators = validatorsOf(response);
  try {
    const picture = await makePicture(response.body, {
      maxPixels: s.IMAGE_MAX_PIXELS, variants: s.IMAGE_VARIANTS, format: s.IMAGE_FORMAT, quality: s.IMAGE_QUALITY,
    });
    countImageFetch('stored');
    return { picture, outcome: validators };
  } catch (error) {
    if (!(error instanceof BadImage)) throw error;
    countImageFetch(error.message.startsWith('not an image') ? 'not_image' : error.message.startsWith('too large') ? 'too_large' : 'failed');
    return { outcome: { status: 'failed', failure: error.message, transient: false, ...validators } };
  }
}

/** Each record's folder gets the canonical copy and the variants (a key that exists is the same bytes: named by content). */
async function storeCopies(ctx: PipelineContext, images: ImageToFetch[], picture: Picture, dmoId: number): Promise<void> {
  const folders = [...new Set(images.map((image) => image.folder))];
  for (const folder of folders) {
    for (const file of [picture.canonical, ...picture.variants]) {
      const key = imageKey(ctx.settings.PIPELINE_ENV, dmoId, folder, picture.sha256, file.name, file.extension);
      if (await ctx.store.stat(key)) continue;
      const { bytes } = await ctx.store.put(key, bufferStream(file.data), {
        contentType: file.contentType,
        metadata: { kind: 'image', dmo: String(dmoId), sha256: picture.sha256, variant: file.name, width: String(file.width), height: String(file.height) },
      });
      countBlobBytesWritten(dmoId, 'image', bytes);
    }
  }
}

/** A stored picture as one staged image records it: the URLs of the copies in its own record's folder. */
function storedOutcome(ctx: PipelineContext, image: ImageToFetch, picture: Picture, validators: { etag: string | null; last_modified: string | null }): ImageOutcome {
  const urlOf = (file: MadeFile) =>
    `${ctx.settings.IMAGE_PUBLIC_URL}/${imageKey(ctx.settings.PIPELINE_ENV, image.dmo_id, image.folder, picture.sha256, file.name, file.extension)}`;
  return {
    status: 'stored', sha256: picture.sha256, phash: picture.phash, width: picture.width, height: picture.height,
    format: picture.format, bytes: picture.bytes, ...validators,
    canonical_url: urlOf(picture.canonical),
    variants: Object.fromEntries(picture.variants.map((file) => [file.name, { url: urlOf(file), width: file.width, height: file.height }])),
  };
}

/** The failure in words a content admin can act on. */
function failureOf(error: HttpError, maxBytes: number, timeoutMs: number): string {
  if (error.kind === 'status' && (error.status === 404 || error.status === 410)) return `not found at the source (HTTP ${error.status})`;
  if (error.kind === 'status') return `the source answered HTTP ${error.status}`;
  if (error.kind === 'timeout') return `the source did not answer within ${timeoutMs / 1000} s (IMAGE_FETCH_TIMEOUT_MS)`;
  if (error.kind === 'too_large') return `larger than the ${Math.round(maxBytes / 1024 / 1024)} MB taken (IMAGE_MAX_BYTES)`;
  if (error.kind === 'blocked_address') return `refused: the address is private or local (${error.message.replace(/^GET \S+ /, '')})`;
  return error.message.replace(/^GET \S+ /, '');
}

const header = (response: HttpBufferResponse, name: string): string | null => {
  const value = response.headers[name];
  return typeof value === 'string' && value.length <= 500 ? value : null;
};

const validatorsOf = (response: HttpBufferResponse) => ({ etag: header(response, 'etag'), last_modified: header(response, 'last-modified') });


const bufferStream = (data: Buffer) => Readable.from([data]);

/**
 * "Changed since?" only when every image of the URL holds the same earlier answer (the same stored
 * copy, or the same failure) with its validators: a 304 then stands for all of them. An image never
 * fetched, or one whose earlier try got no answer, asks plainly.
 */
function conditionalHeaders(images: ImageToFetch[]): Record<string, string> {
  const answerOf = (image: ImageToFetch) => (image.sha256 && image.canonical_url ? `stored ${image.sha256}` : image.failure ? `failed ${image.failure}` : null);
  const first = images[0]!;
  const answer = answerOf(first);
  if (!answer || (!first.etag && !first.last_modified)) return {};
  if (images.some((image) => answerOf(image) !== answer || image.etag !== first.etag || image.last_modified !== first.last_modified)) return {};
  return { ...(first.etag ? { 'if-none-match': first.etag } : {}), ...(first.last_modified ? { 'if-modified-since': first.last_modified } : {}) };
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host.toLowerCase() || null;
  } catch {
    return null;
  }
}
