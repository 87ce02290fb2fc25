// Issue 11's figures: what one image worker gets through. A CSV run of 200 listings × 3 image URLs
// (600 distinct JPEGs drawn by the test fixture test/fixtures/image-server.ts, served by a child
// process so serving shares neither the worker's event loop nor its memory), staged with the image
// queue not yet worked; then exactly one worker on the `image` queue, at a known concurrency, is
// started and timed until no image of the run is pending. Once at 2000 × 1500 and once at 800 × 600,
// each with this process's peak memory during the image phase, beside a baseline measured in the same
// run: downloading the same 600 files with the project's HTTP client at the same concurrency.
//
// `node --import tsx bench/images.ts serve <count> <W>x<H>…` is the child: it prints the host's URL,
// draws count pictures per size, and prints "pictures ready" with their sizes.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Worker } from 'bullmq';
import type { Settings } from '../src/config';
import { closeContext, createContext, type PipelineContext } from '../src/context';
import { urlKeyOf } from '../src/db/images';
import { httpClientFromSettings } from '../src/http/client';
import { processors } from '../src/processors';
import { jobIds } from '../src/queues/names';
import { processorMap, startWorkers } from '../src/queues/workers';
import { ImageServer } from '../test/fixtures/image-server';
import { spawnEntry, stopProcess, type Spawned } from '../test/harness/spawn';
import { bestOf, type BaselineTiming } from './baselines';
import type { BenchEnvironment } from './environment';
import { listingColumns, listingMapping, listingValues, writeCsv } from './listings-csv';
import { measurePeakMemory, type MemoryPeak } from './memory';
import { createCsvSource, pollMs, timeCsvRun, type RunTiming } from './pipeline-run';
import { count, megabytes, ratio, seconds, table } from './report';

export const imageListings = 200;
export const imagesPerListing = 3;
const pictureCount = imageListings * imagesPerListing;
/** the fixture's default size first, then a smaller one to show how the cost scales with pixels */
export const pictureSizes = [{ width: 2000, height: 1500 }, { width: 800, height: 600 }] as const;

/** What the bench's image worker runs with: the loopback host allowed, and a host limit far above what one worker asks. */
export const imageHostSettings = { ALLOW_PRIVATE_HOSTS: ['127.0.0.1'], IMAGE_HOST_RATE_PER_SEC: 1000, IMAGE_HOST_CONCURRENCY: 8 };

/** the download takes about a second: more tries, so a busy moment of a shared machine is not the floor */
const baselineTries = 5;

export interface ImageCase {
  width: number;
  height: number;
  listings: number;
  /** distinct URLs, one job each */
  images: number;
  /** the served JPEGs' total size */
  fileBytes: number;
  run: RunTiming;
  /** from starting the image worker to no image of the run pending */
  imagePhaseMs: number;
  /** CPU time of this process (user + system, every thread: sharp's too) during the image phase */
  cpuMs: number;
  stored: number;
  failed: number;
  memory: MemoryPeak;
  /** a job's time in its processor (BullMQ's processedOn → finishedOn), the median of the run's */
  medianJobMs: number;
  /** the same files downloaded only, best of the tries */
  download: BaselineTiming;
}

export interface ImagesResult {
  concurrency: number;
  settings: Pick<Settings, 'IMAGE_FORMAT' | 'IMAGE_QUALITY' | 'IMAGE_VARIANTS'>;
  cases: ImageCase[];
}

const sizeName = ({ width, height }: { width: number; height: number }) => `${width}x${height}`;
const picturePath = (size: { width: number; height: number }, n: number) => `/pictures/${sizeName(size)}/${n}.jpg`;

/** Listing n's gallery: pictures 3n-2, 3n-1 and 3n of the size. */
const galleryOf = (origin: string, size: { width: number; height: number }, n: number) =>
  Array.from({ length: imagesPerListing }, (_, i) => `${origin}${picturePath(size, (n - 1) * imagesPerListing + i + 1)}`);

async function waitUntil<T>(what: string, timeoutMs: number, check: () => Promise<T | null>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== null) return value;
    if (performance.now() > deadline) throw new Error(`${what}: not after ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

async function imageCounts(ctx: PipelineContext, runId: number): Promise<{ pending: number; stored: number; failed: number; urls: number }> {
  const { rows } = await ctx.db.query<{ pending: number; stored: number; failed: number; urls: number }>(
    `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'stored')::int AS stored,
            count(*) FILTER (WHERE status = 'failed')::int AS failed, count(DISTINCT url_key)::int AS urls
       FROM staging.images WHERE job_id = $1`,
    [runId],
  );
  return rows[0]!;
}

/** The same files through the image processor's own client and limits (one client per file, as each job makes), `concurrency` at a time. */
async function downloadOnly(settings: Settings, urls: string[], concurrency: number): Promise<BaselineTiming & { bytes: number }> {
  let next = 0;
  let bytes = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < urls.length) {
      const url = urls[next++]!;
      const http = httpClientFromSettings(settings, { timeoutMs: settings.IMAGE_FETCH_TIMEOUT_MS, maxBytes: settings.IMAGE_MAX_BYTES, retries: 0 });
      const response = await http.getBuffer(url);
      if (response.status !== 200) throw new Error(`download baseline: ${url} answered ${response.status}`);
      bytes += response.body.length;
    }
  }));
  return { ms: performance.now() - started, rows: urls.length, bytes };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function medianJobMs(ctx: PipelineContext, runId: number, urls: string[]): Promise<number> {
  const jobs = await Promise.all(urls.map((url) => ctx.queues.image.getJob(jobIds.image(runId, urlKeyOf(url)))));
  return median(jobs.map((job) => (job?.finishedOn ?? NaN) - (job?.processedOn ?? NaN)));
}

async function benchCase(env: BenchEnvironment, imageCtx: PipelineContext, origin: string, pictures: Promise<unknown>,
  size: { width: number; height: number }, concurrency: number, timeoutMs: number, say: (line: string) => void): Promise<ImageCase> {
  const name = sizeName(size);
  const file = path.join(env.csvDir, `images-${name}.csv`);
  await writeCsv(file, [...listingColumns, 'Images'], imageListings, (n) => [...listingValues(n), galleryOf(origin, size, n).join('|')]);
  const urls = Array.from({ length: imageListings }, (_, i) => galleryOf(origin, size, i + 1)).flat();
  const { configId } = await createCsvSource(env.api, `Bench images ${name}`, {
    import: { source_id_column: 'ID' }, transform: { map_fields: { ...listingMapping, 'listing_images.image': 'Images' } },
  });
  say(`images ${name}: ${imageListings} listings × ${imagesPerListing} images; staging the run (no image worker yet)…`);
  const run = await timeCsvRun(env.api, env.ctx, configId, file, timeoutMs);
  fs.rmSync(file);
  const staged = await imageCounts(env.ctx, run.runId);
  if (staged.urls !== urls.length || staged.pending !== urls.length) {
    throw new Error(`images ${name}: run ${run.runId} staged ${JSON.stringify(staged)}; expected ${urls.length} distinct pending images`);
  }
  // the stage queues the image jobs once it is done: all of them wait before the clock starts
  await waitUntil(`images ${name}: ${urls.length} image jobs queued`, 60_000, async () => {
    const jobs = await env.ctx.queues.image.getJobCounts('waiting', 'prioritized');
    return (jobs.waiting ?? 0) + (jobs.prioritized ?? 0) >= urls.length ? true : null;
  });
  await pictures;

  const [worker] = startWorkers({ ctx: imageCtx, processors: processorMap(processors), queues: ['image'], concurrency, workerOptions: { autorun: false } }) as [Worker];
  let phase: { ms: number; cpuMs: number; counts: Awaited<ReturnType<typeof imageCounts>> };
  let memory: MemoryPeak;
  try {
    await worker.waitUntilReady();
    say(`images ${name}: ${urls.length} jobs queued; one image worker, concurrency ${concurrency}, starts now…`);
    ({ value: phase, memory } = await measurePeakMemory(async () => {
      const started = performance.now();
      const cpu = process.cpuUsage();
      worker.run().catch((error: Error) => say(`images ${name}: the image worker stopped: ${error.message}`));
      // generous, as the run's: a second per image on top of the run's timeout
      const counts = await waitUntil(`images ${name}: no image of run ${run.runId} pending`, timeoutMs + urls.length * 1000, async () => {
        const now = await imageCounts(env.ctx, run.runId);
        return now.pending === 0 ? now : null;
      });
      const used = process.cpuUsage(cpu);
      return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000, counts };
    }));
  } finally {
    await worker.close();
  }
  // what the Images page shows of the run says the same
  const reply = await env.api.get<{ counts: { pending: number; stored: number; failed: number } }>(`/api/v1/pipeline/jobs/${run.runId}/images?pageSize=1`);
  if (reply.counts.pending !== 0 || reply.counts.stored !== urls.length || reply.counts.failed !== 0) {
    throw new Error(`images ${name}: run ${run.runId} has ${JSON.stringify(reply.counts)}; expected all ${urls.length} stored`);
  }
  const jobMs = await medianJobMs(env.ctx, run.runId, urls);
  say(`images ${name}: ${phase.counts.stored} stored in ${seconds(phase.ms)} s; timing the download alone (best of ${baselineTries})…`);

  let fileBytes = 0;
  const download = await bestOf(baselineTries, async () => {
    const timing = await downloadOnly(imageCtx.settings, urls, concurrency);
    fileBytes = timing.bytes;
    return timing;
  });
  return {
    ...size, listings: imageListings, images: urls.length, fileBytes, run, imagePhaseMs: phase.ms, cpuMs: phase.cpuMs,
    stored: phase.counts.stored, failed: phase.counts.failed, memory, medianJobMs: jobMs, download,
  };
}

/** The image host in a child process: drawing 1,200 pictures here would leave this process's RSS some 500 MB higher. */
async function startHost(): Promise<{ origin: string; pictures: Promise<unknown>; stop(): Promise<void> }> {
  const child: Spawned = spawnEntry('bench/images.ts', ['serve', String(pictureCount), ...pictureSizes.map(sizeName)], {});
  try {
    const origin = (await child.waitFor(/image host at (\S+)/, 60_000))[1]!;
    // drawn while the run is staged; awaited before the first image worker starts
    const pictures = child.waitFor(/pictures ready/, 600_000);
    pictures.catch(() => undefined);
    return { origin, pictures, stop: () => stopProcess(child) };
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
}

export async function benchImages(env: BenchEnvironment, concurrency: number, timeoutMs: number, say: (line: string) => void): Promise<ImagesResult> {
  const host = await startHost();
  // the bench's own image worker (one of all six queues') stays paused: the section's worker is the only one
  const ownImageWorkers = env.workers.filter((worker) => worker.name === 'image');
  await Promise.all(ownImageWorkers.map((worker) => worker.pause()));
  const settings: Settings = { ...env.settings, ...imageHostSettings };
  const imageCtx = createContext(settings, env.ctx.log, 'worker');
  try {
    say(`images: host at ${host.origin}, drawing ${count(pictureCount)} JPEGs per size (${pictureSizes.map(sizeName).join(', ')})…`);
    const cases: ImageCase[] = [];
    for (const size of pictureSizes) cases.push(await benchCase(env, imageCtx, host.origin, host.pictures, size, concurrency, timeoutMs, say));
    return { concurrency, settings: { IMAGE_FORMAT: settings.IMAGE_FORMAT, IMAGE_QUALITY: settings.IMAGE_QUALITY, IMAGE_VARIANTS: settings.IMAGE_VARIANTS }, cases };
  } finally {
    await closeContext(imageCtx).catch(() => undefined);
    for (const worker of ownImageWorkers) worker.resume();
    await host.stop();
  }
}

const perSecond = (n: number, ms: number) => (n / (ms / 1000)).toFixed(1);

export function imagesReport(result: ImagesResult): string {
  const { cases, concurrency, settings } = result;
  const variants = settings.IMAGE_VARIANTS.map((variant) => `${variant.name} ${variant.longSide} px`).join(', ');
  return [
    table(`Images: ${imageListings} listings × ${imagesPerListing} images per run, one image worker (in this process, concurrency ${concurrency}), ` +
      'from its start (the run at awaiting_review, its image jobs queued) to no image pending',
    ['picture px', 'images', 'JPEG KB avg', 'stored', 'failed', 'image phase s', 'images/s per worker', 'median job ms', 'CPU ms per image',
      'download only s',
      'images/s downloading', 'phase ÷ download'],
    cases.map((c) => [`${c.width} × ${c.height}`, c.images, (c.fileBytes / c.images / 1024).toFixed(0), c.stored, c.failed,
      seconds(c.imagePhaseMs), perSecond(c.stored, c.imagePhaseMs), c.medianJobMs.toFixed(0), (c.cpuMs / c.stored).toFixed(0), seconds(c.download.ms),
      perSecond(c.download.rows, c.download.ms), ratio(c.imagePhaseMs / c.download.ms)])),
    [
      `  each image: downloaded, checked, hashed (sha256, dHash), its canonical copy (full size, its own type) and ${variants}`,
      `  in ${settings.IMAGE_FORMAT} q${settings.IMAGE_QUALITY} made with sharp (src/images/picture.ts), stored in the local blob store, recorded in staging.images;`,
      '  every image job was queued before the worker started, and the clock starts with the worker; it stops when no image',
      `  of the run is pending (a SQL count polled every ${pollMs} ms; GET /jobs/:id/images then checked: all stored, none failed);`,
      '  CPU ms per image: this process\'s CPU time (all its threads, sharp\'s included) over the phase ÷ images stored;',
      `  download only: the same files with httpClientFromSettings(...).getBuffer, ${concurrency} at a time, best of ${baselineTries};`,
      '  the host: test/fixtures/image-server.ts in a child process (drawn pictures compress far better than photos: a camera',
      '  JPEG of 2000 × 1500 is nearer 1 MB); the worker\'s settings allow the loopback host (ALLOW_PRIVATE_HOSTS=127.0.0.1) and',
      `  set IMAGE_HOST_RATE_PER_SEC=${imageHostSettings.IMAGE_HOST_RATE_PER_SEC}, IMAGE_HOST_CONCURRENCY=${imageHostSettings.IMAGE_HOST_CONCURRENCY}: ` +
        'the per-host limiter is not what is measured',
    ].join('\n'),
    table('Memory of this process during the image phase (server + every queue\'s workers, the others idle), sampled every 25 ms',
      ['picture px', 'RSS at start MB', 'peak RSS MB', 'RSS growth MB', 'peak heap MB'],
      cases.map((c) => [`${c.width} × ${c.height}`, megabytes(c.memory.startRss), megabytes(c.memory.peakRss),
        megabytes(c.memory.peakRss - c.memory.startRss), megabytes(c.memory.peakHeap)])),
    '  the smaller pictures run second: their RSS starts where the larger ones left it (freed native memory stays with the process)',
  ].join('\n');
}

/** The child: the fixture host serving count JPEGs of each size (listing n's are 3n-2…3n, seeds alike). */
async function drawPictures(host: ImageServer, pictures: number, sizes: readonly { width: number; height: number }[]): Promise<Record<string, { files: number; bytes: number }>> {
  const drawn: Record<string, { files: number; bytes: number }> = {};
  for (const size of sizes) {
    const tally = (drawn[sizeName(size)] = { files: 0, bytes: 0 });
    let next = 1;
    // a few at a time: each picture is drawn as raw pixels (9 MB at 2000 × 1500) before it is encoded
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next <= pictures) {
        const n = next++;
        const file = await host.servePicture(picturePath(size, n), n, 'jpeg', size);
        tally.files += 1;
        tally.bytes += file.body.length;
      }
    }));
  }
  return drawn;
}

if (require.main === module) {
  const [command, pictures, ...sizes] = process.argv.slice(2);
  const parsed = sizes.map((text) => /^(\d+)x(\d+)$/.exec(text)).map((match) => match && { width: Number(match[1]), height: Number(match[2]) });
  if (command !== 'serve' || !Number.isSafeInteger(Number(pictures)) || !parsed.length || parsed.some((size) => !size)) {
    throw new Error('usage: images.ts serve <count> <width>x<height>…');
  }
  void ImageServer.start().then(async (host) => {
    process.stdout.write(`image host at ${host.url('/').replace(/\/$/, '')}\n`);
    const drawn = await drawPictures(host, Number(pictures), parsed as { width: number; height: number }[]);
    process.stdout.write(`pictures ready ${JSON.stringify(drawn)}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}
