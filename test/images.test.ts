// Images end to end (DESIGN.md step 5): CSV runs whose listings carry image URLs on a local image
// host (test/fixtures/image-server.ts serving real JPEG, PNG, WebP, AVIF and GIF files), real
// PostgreSQL, Redis and workers, the local blob store. What an admin would check: every picture
// stored with its sizes, production pointing only at our copies, each picture once in a gallery,
// failures named per image without holding anything back, re-fetch, and a re-import that costs nothing.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { ApiClient } from './harness/http';
import type { TestContext } from './harness/context';
import { approveAndPromote, createCsvSource, csvMapping, makeListings, startCsvRun, startPipelineUnderTest, waitForRun, type PipelineUnderTest } from './harness/pipeline';
import { waitUntil } from './harness/wait';
import { ImageServer, type PictureFormat } from './fixtures/image-server';
import { resumeRuns } from '../src/queues/run-flow';

jest.setTimeout(180_000);

let product: PipelineUnderTest;
let t: TestContext;
let admin: ApiClient;
let host: ImageServer;

const timeoutMs = 1_500;
const maxBytes = 4 * 1024 * 1024;

beforeAll(async () => {
  product = await startPipelineUnderTest({
    IMAGE_FETCH_TIMEOUT_MS: String(timeoutMs), IMAGE_MAX_BYTES: String(maxBytes), IMAGE_ATTEMPTS: '2', IMAGE_RETRY_DELAY_MS: '200',
    IMAGE_HOST_RATE_PER_SEC: '50', IMAGE_HOST_CONCURRENCY: '4',
  });
  ({ t, admin } = product);
  host = await ImageServer.start({ oversizeBytes: maxBytes + 1024 * 1024 });
});
afterAll(async () => {
  await host?.close();
  await product?.close();
});

const mapping = { ...csvMapping, 'listing_images.image': 'Images' };

/** The harness's listings as a CSV with an Images column (URLs split on |). */
function csvWithImages(rows: { images: string[] }[], from = 1): string {
  const listings = makeListings(rows.length, from);
  const quote = (value: string) => (/[",\n|]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  return ['ID,Name,Address,City,Latitude,Longitude,Description,Email,Images',
    ...listings.map((r, i) => [r.id, r.name, r.address, r.city, r.lat, r.lng, r.description, r.email, rows[i]!.images.join('|')].map(quote).join(',')),
  ].join('\n') + '\n';
}

async function runImages(runId: number, status?: string) {
  const reply = await admin.get(`/api/v1/pipeline/jobs/${runId}/images?pageSize=500${status ? `&status=${status}` : ''}`);
  expect(reply.status).toBe(200);
  return reply.body as { images: any[]; total: number; counts: { pending: number; stored: number; failed: number } };
}

/** Waits until no image of the run is still to fetch. */
async function imagesSettled(runId: number) {
  return waitUntil(`images of run ${runId} fetched`, async () => {
    const reply = await runImages(runId);
    return reply.counts.pending === 0 ? reply : null;
  }, 120_000, 200);
}

async function productionImages(dmoId: number) {
  const { rows } = await t.ctx.db.query(
    `SELECT li.source_id, i.image, i.source_url, i.rank, i.width, i.height FROM public.listing_images i
       JOIN public.listing_info li ON li.id = i.listing_info_id WHERE li.dmo_id = $1 ORDER BY li.source_id, i.rank`,
    [dmoId],
  );
  return rows;
}

/** The blob store file behind one of our image URLs (/images/{key}). */
const storedFile = (url: string) => path.join(t.storageDir, url.replace(/^\/images\//, ''));

let seed = 100;
async function gallery(count: number, formats: PictureFormat[] = ['jpeg']) {
  const urls: string[] = [];
  for (let i = 0; i < count; i += 1) {
    seed += 1;
    const format = formats[i % formats.length]!;
    const file = `/photos/${seed}.${format === 'jpeg' ? 'jpg' : format}`;
    await host.servePicture(file, seed, format);
    urls.push(host.url(file));
  }
  return urls;
}

describe('a run of 20 listings with 3 images each', () => {
  let runId: number;
  let dmoId: number;
  let configId: number;
  let csv: string;

  beforeAll(async () => {
    const source = await createCsvSource(admin, 'Visit Images', 3, { transform: { map_fields: mapping } });
    ({ dmoId, configId } = source);
    const lists = [];
    for (let i = 0; i < 20; i += 1) lists.push({ images: await gallery(3, i === 0 ? ['png', 'webp', 'gif'] : i === 1 ? ['avif', 'jpeg', 'jpeg'] : ['jpeg']) });
    csv = csvWithImages(lists);
    host.reset();
    runId = await startCsvRun(admin, configId, csv);
    await waitForRun(admin, runId, ['awaiting_review']);
  });

  it('stores 60 canonical images and their variants at the right sizes, named by content', async () => {
    const { images, counts } = await imagesSettled(runId);
    expect(counts).toEqual({ pending: 0, stored: 60, failed: 0 });
    expect(host.requests.length).toBe(60); // one download per URL
    for (const image of images) {
      expect(image).toMatchObject({ status: 'stored', failure: null, width: 2000, height: 1500, duplicate: false });
      expect(image.canonical_url).toMatch(new RegExp(`^/images/dev-images/${dmoId}/s\\d+/${image.sha256}-canonical\\.(jpg|png|webp|avif)$`));
      expect(image.variants).toEqual({
        large: { url: expect.stringMatching(/-large\.webp$/), width: 1600, height: 1200 },
        medium: { url: expect.stringMatching(/-medium\.webp$/), width: 800, height: 600 },
        thumb: { url: expect.stringMatching(/-thumb\.webp$/), width: 320, height: 240 },
      });
      const canonical = await sharp(fs.readFileSync(storedFile(image.canonical_url))).metadata();
      expect([canonical.width, canonical.height]).toEqual([2000, 1500]);
      expect(canonical.exif).toBeUndefined();
      for (const variant of Object.values(image.variants) as { url: string; width: number; height: number }[]) {
        const made = await sharp(fs.readFileSync(storedFile(variant.url))).metadata();
        expect(made).toMatchObject({ format: 'webp', width: variant.width, height: variant.height });
      }
    }
    expect(new Set(images.map((image) => image.format))).toEqual(new Set(['jpeg', 'png', 'webp', 'gif', 'avif']));
  });

  it('serves a stored copy to anyone, and nothing but images', async () => {
    const { images } = await runImages(runId, 'stored');
    const answer = await fetch(`${product.server.url}${images[0].variants.thumb.url}`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('image/webp');
    expect(answer.headers.get('cache-control')).toContain('immutable');
    for (const probe of ['/images/dev-data/raw/x.ndjson.gz', '/images/../package.json', `/images/dev-images/${dmoId}/x.txt`, '/images/%2e%2e/secret']) {
      const refused = await fetch(`${product.server.url}${probe}`);
      expect([404]).toContain(refused.status);
    }
  });

  it('promote writes the ranks and our canonical URLs; no production row points at the source host', async () => {
    await approveAndPromote(admin, runId);
    const rows = await productionImages(dmoId);
    expect(rows).toHaveLength(60);
    const hostName = new URL(host.url('/')).host;
    for (const row of rows) {
      expect(row.image).toMatch(/^\/images\/dev-images\//);
      expect(JSON.stringify(row)).not.toContain(hostName);
    }
    const ranks = new Map<string, number[]>();
    for (const row of rows) ranks.set(row.source_id, [...(ranks.get(row.source_id) ?? []), row.rank]);
    expect([...ranks.values()].every((list) => list.join() === '0,1,2')).toBe(true);
    // the order is the source's
    const { images } = await runImages(runId, 'stored');
    const first = images.filter((image) => image.source_id === 'L1').sort((a, b) => a.rank - b.rank).map((image) => image.canonical_url);
    expect(rows.filter((row) => row.source_id === 'L1').map((row) => row.image)).toEqual(first);
  });

  it('re-importing the same file downloads nothing; a changed list downloads only its new URL', async () => {
    host.reset();
    const again = await startCsvRun(admin, configId, csv);
    await waitForRun(admin, again, ['awaiting_review']);
    expect((await imagesSettled(again)).total).toBe(0);
    await approveAndPromote(admin, again);
    expect(host.requests.length).toBe(0);

    const [added] = await gallery(1);
    const changed = csv.replace(/(L2,[^\n]*)"\n/, `$1|${added}"\n`);
    expect(changed).not.toBe(csv);
    host.reset();
    const third = await startCsvRun(admin, configId, changed);
    await waitForRun(admin, third, ['awaiting_review']);
    const settled = await imagesSettled(third);
    expect(settled.counts).toEqual({ pending: 0, stored: 4, failed: 0 });
    expect(host.requests.map((request) => request.path)).toEqual([new URL(added!).pathname]);
    await approveAndPromote(admin, third);
    expect((await productionImages(dmoId)).filter((row) => row.source_id === 'L2')).toHaveLength(4);
  });
});

describe('the same picture twice', () => {
  it('one DMO giving one photo under two URLs stores it once and shows it once', async () => {
    const source = await createCsvSource(admin, 'Visit Twice', 3, { transform: { map_fields: mapping } });
    const bytes = await ImageServer.jpeg(500);
    host.serve('/twice/a.jpg', bytes, { contentType: 'image/jpeg' });
    host.serve('/twice/b.jpg', bytes, { contentType: 'image/jpeg' });
    const [other] = await gallery(1);
    const runId = await startCsvRun(admin, source.configId, csvWithImages([{ images: [host.url('/twice/a.jpg'), other!, host.url('/twice/b.jpg')] }]));
    await waitForRun(admin, runId, ['awaiting_review']);
    const { images } = await imagesSettled(runId);
    const copies = images.filter((image) => image.source_url.includes('/twice/'));
    expect(copies.map((image) => image.canonical_url)).toEqual([copies[0].canonical_url, copies[0].canonical_url]);
    expect(copies.map((image) => image.duplicate).sort()).toEqual([false, true]);
    const folder = path.dirname(storedFile(copies[0].canonical_url));
    expect(fs.readdirSync(folder).filter((name) => name.startsWith(copies[0].sha256))).toHaveLength(4); // canonical + 3 variants, once
    await approveAndPromote(admin, runId);
    expect((await productionImages(source.dmoId)).map((row) => row.rank)).toEqual([0, 1]);
  });

  it('two DMOs of one listing giving it as a JPEG and as a smaller PNG show it once, the larger copy', async () => {
    const jpeg = await ImageServer.jpeg(600);
    const png = await ImageServer.png(600, { width: 1000, height: 750 });
    host.serve('/dmo-a/harbour.jpg', jpeg, { contentType: 'image/jpeg' });
    host.serve('/dmo-b/harbour.png', png, { contentType: 'image/png' });
    const first = await createCsvSource(admin, 'Visit Harbour A', 3, { transform: { map_fields: mapping } });
    const second = await createCsvSource(admin, 'Harbour Partner B', 4, { transform: { map_fields: mapping } });
    const one = await startCsvRun(admin, second.configId, csvWithImages([{ images: [host.url('/dmo-b/harbour.png')] }], 900));
    await waitForRun(admin, one, ['awaiting_review']);
    await imagesSettled(one);
    await approveAndPromote(admin, one);
    const two = await startCsvRun(admin, first.configId, csvWithImages([{ images: [host.url('/dmo-a/harbour.jpg')] }], 900));
    await waitForRun(admin, two, ['awaiting_review']);
    await imagesSettled(two);
    await approveAndPromote(admin, two);

    const { rows } = await t.ctx.db.query('SELECT DISTINCT listing_id FROM public.listing_info WHERE dmo_id = ANY($1)', [[first.dmoId, second.dmoId]]);
    expect(rows).toHaveLength(1);
    const listing = (await admin.get(`/api/v1/pipeline/listings/${rows[0].listing_id}`)).body;
    expect(listing.images).toHaveLength(2);
    expect(listing.gallery).toHaveLength(1);
    expect(listing.gallery[0]).toMatchObject({ width: 2000, height: 1500 });
    const publicListing = (await fetch(`${product.server.url}/v1/listings/${rows[0].listing_id}`).then((answer) => answer.json())) as any;
    expect(publicListing.images).toEqual([expect.objectContaining({ url: listing.gallery[0].image, width: 2000, height: 1500 })]);
  });
});

describe('images that fail', () => {
  it('a 404, HTML as an image, a file over the limit, a 50,000 × 50,000 PNG and no answer each fail with their reason; the listing promotes without them; a re-fetch brings them in', async () => {
    const faults = { '/bad/missing.jpg': 'not-found', '/bad/error-page.jpg': 'html-as-image', '/bad/huge.jpg': 'oversize',
      '/bad/giant.png': 'giant-png', '/bad/silent.jpg': 'never-answers' } as const;
    let n = 700;
    for (const [file, fault] of Object.entries(faults)) {
      n += 1;
      await host.servePicture(file, n, file.endsWith('.png') ? 'png' : 'jpeg');
      host.fault(file, fault);
    }
    const [good] = await gallery(1);
    const source = await createCsvSource(admin, 'Visit Broken Images', 3, { transform: { map_fields: mapping } });
    const runId = await startCsvRun(admin, source.configId, csvWithImages([
      { images: [good!, ...Object.keys(faults).map((file) => host.url(file))] }, { images: [] },
    ]));
    const run = await waitForRun(admin, runId, ['awaiting_review']);
    expect(run.error_summary).toBeNull();
    const { counts, images } = await imagesSettled(runId);
    expect(counts).toEqual({ pending: 0, stored: 1, failed: 5 });
    const reason = (file: string) => images.find((image) => image.source_url.endsWith(file))?.failure;
    expect(reason('/bad/missing.jpg')).toMatch(/not found at the source \(HTTP 404\)/);
    expect(reason('/bad/error-page.jpg')).toMatch(/not an image: the file is an HTML page/);
    expect(reason('/bad/huge.jpg')).toMatch(/larger than the 4 MB taken \(IMAGE_MAX_BYTES\)/);
    expect(reason('/bad/giant.png')).toMatch(/50000 × 50000 pixels/);
    expect(reason('/bad/silent.jpg')).toMatch(/did not answer within 1.5 s/);

    await approveAndPromote(admin, runId);
    expect(await productionImages(source.dmoId)).toEqual([expect.objectContaining({ source_id: 'L1', rank: 0, source_url: null })]);

    for (const file of Object.keys(faults)) host.clearFault(file);
    const refetch = await admin.post(`/api/v1/pipeline/jobs/${runId}/images/refetch`, { failed_only: true });
    expect(refetch.status).toBe(202);
    expect(refetch.body).toEqual({ jobId: runId, images: 5 });
    const after = await imagesSettled(runId);
    expect(after.counts).toEqual({ pending: 0, stored: 6, failed: 0 });
    // stored after its listing was promoted: its job adds it to production, in the source's order
    await waitUntil('the re-fetched images in production', async () => (await productionImages(source.dmoId)).length === 6 || null, 30_000);
    expect((await productionImages(source.dmoId)).map((row) => row.rank)).toEqual([0, 1, 2, 3, 4, 5]);

    // a re-fetch of a stored image asks "changed since?" and keeps its copy on a 304
    const goodImage = after.images.find((image) => image.source_url === good);
    host.reset();
    const one = await admin.post(`/api/v1/pipeline/jobs/${runId}/images/refetch`, { image_id: goodImage.id });
    expect(one.body).toEqual({ jobId: runId, images: 1 });
    await imagesSettled(runId);
    const goodPath = new URL(good!).pathname;
    expect(host.requestsTo(goodPath, 304)).toBe(1);
    expect(host.requests.find((request) => request.path === goodPath)?.headers['if-none-match']).toBeTruthy();
    expect((await runImages(runId, 'stored')).total).toBe(6);
  });

  it('a blob store that refuses the files fails the image (after its tries) with the reason, and a re-fetch stores it once fixed', async () => {
    const source = await createCsvSource(admin, 'Visit Full Disk', 3, { transform: { map_fields: mapping } });
    // the DMO's image folder cannot be made: a file stands where it would be
    const blocker = path.join(t.storageDir, 'dev-images', String(source.dmoId));
    fs.mkdirSync(path.dirname(blocker), { recursive: true });
    fs.writeFileSync(blocker, 'not a folder');
    const [url] = await gallery(1);
    const runId = await startCsvRun(admin, source.configId, csvWithImages([{ images: [url!] }]));
    await waitForRun(admin, runId, ['awaiting_review']);
    const { counts, images } = await imagesSettled(runId);
    expect(counts).toEqual({ pending: 0, stored: 0, failed: 1 });
    expect(images[0].failure).toMatch(/^could not be fetched and stored: .*(ENOTDIR|EEXIST)/);
    expect((await admin.get(`/api/v1/pipeline/jobs/${runId}`)).body.status).toBe('awaiting_review');

    fs.rmSync(blocker);
    expect((await admin.post(`/api/v1/pipeline/jobs/${runId}/images/refetch`, {})).body.images).toBe(1);
    expect((await imagesSettled(runId)).counts).toEqual({ pending: 0, stored: 1, failed: 0 });
  });

  it('a re-fetch is refused, naming why, for a run without staged images or an image of another run', async () => {
    const missing = await admin.post('/api/v1/pipeline/jobs/999999/images/refetch', {});
    expect(missing.status).toBe(404);
    const source = await createCsvSource(admin, 'Visit Waiting', 3, { transform: { map_fields: mapping } });
    const waiting = (await admin.post('/api/v1/pipeline/executeStage', { configId: source.configId })).body.jobId;
    const refused = await admin.post(`/api/v1/pipeline/jobs/${waiting}/images/refetch`, { failed_only: true });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/waiting_for_input/);
    const bad = await admin.post(`/api/v1/pipeline/jobs/${waiting}/images/refetch`, { failed_only: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/failed_only/);
  });
});

describe('how hard one host is pressed', () => {
  it('review does not wait for images, and one host never has more downloads in flight than IMAGE_HOST_CONCURRENCY', async () => {
    // a host slow to answer: 16 pictures of 400 ms each (the test product allows 4 at once, 50 a second)
    const urls: string[] = [];
    for (let i = 0; i < 16; i += 1) {
      const file = `/slow/${i}.jpg`;
      await host.servePicture(file, 800 + i, 'jpeg', { width: 400, height: 300, delayMs: 400 });
      urls.push(host.url(file));
    }
    const source = await createCsvSource(admin, 'Visit Slow Host', 3, { transform: { map_fields: mapping } });
    host.reset();
    const runId = await startCsvRun(admin, source.configId, csvWithImages(Array.from({ length: 8 }, (_, i) => ({ images: urls.slice(i * 2, i * 2 + 2) }))));
    await waitForRun(admin, runId, ['awaiting_review']);
    expect((await runImages(runId)).counts.pending).toBeGreaterThan(0); // reviewable before its images are in
    expect((await imagesSettled(runId)).counts).toEqual({ pending: 0, stored: 16, failed: 0 });
    expect(host.requests).toHaveLength(16);
    expect(host.mostInFlight).toBeLessThanOrEqual(4);
    expect(host.mostInFlight).toBeGreaterThanOrEqual(2); // and they do overlap: the limit is used
  });

  it('the rate per host (kept in Redis, so shared by every worker): never more requests a second than IMAGE_HOST_RATE_PER_SEC', async () => {
    const slowRate = await startPipelineUnderTest({ IMAGE_HOST_RATE_PER_SEC: '3', IMAGE_HOST_CONCURRENCY: '8', IMAGE_RETRY_DELAY_MS: '200' });
    try {
      const urls: string[] = [];
      for (let i = 0; i < 9; i += 1) {
        const file = `/rated/${i}.jpg`;
        await host.servePicture(file, 850 + i, 'jpeg', { width: 320, height: 240 });
        urls.push(host.url(file));
      }
      const source = await createCsvSource(slowRate.admin, 'Visit Rated Host', 3, { transform: { map_fields: mapping } });
      host.reset();
      const runId = await startCsvRun(slowRate.admin, source.configId, csvWithImages(urls.map((url) => ({ images: [url] }))));
      await waitForRun(slowRate.admin, runId, ['awaiting_review']);
      await waitUntil('9 images stored', async () =>
        (await slowRate.admin.get(`/api/v1/pipeline/jobs/${runId}/images`)).body.counts.stored === 9 || null, 60_000, 200);
      const times = host.requests.map((request) => request.at).sort((a, b) => a - b);
      expect(times).toHaveLength(9);
      // any 4 requests in a row span more than a second: at most 3 fall in any one second
      for (let i = 0; i + 3 < times.length; i += 1) expect(times[i + 3]! - times[i]!).toBeGreaterThanOrEqual(1_000);
    } finally {
      await slowRate.close();
    }
  });
});

describe('a reviewer\'s decisions and re-fetches', () => {
  it('a duplicate the reviewer makes an insert gets its images fetched and promoted', async () => {
    const [first, second] = await gallery(2);
    const source = await createCsvSource(admin, 'Visit Overrides', 3, { transform: { map_fields: mapping } });
    // two records of one place (same name, address and point): the second is a within-run duplicate
    const place950 = 'L951,Harbour Place 950,950 Water Street,Lunenburg,44.69500,-63.59500';
    const csv = csvWithImages([{ images: [first!] }, { images: [second!] }], 950).replace('L951,Harbour Place 951,951 Water Street,Halifax,44.69510,-63.59510', place950);
    expect(csv).toContain(place950);
    const runId = await startCsvRun(admin, source.configId, csv);
    await waitForRun(admin, runId, ['awaiting_review']);
    const rows = (await admin.get(`/api/v1/pipeline/staging/rows?jobId=${runId}`)).body.rows;
    const duplicate = rows.find((row: any) => row.source_id === 'L951');
    expect(duplicate.action).toBe('duplicate');
    expect((await imagesSettled(runId)).images.map((image) => image.source_url)).toEqual([first]);

    const override = await admin.post('/api/v1/pipeline/staging/review', { jobId: runId, ids: [duplicate.id], decision: 'approve', override_action: 'insert' });
    expect(override.status).toBe(200);
    const { images } = await imagesSettled(runId);
    expect(images.map((image) => [image.source_id, image.status])).toEqual([['L950', 'stored'], ['L951', 'stored']]);
    await approveAndPromote(admin, runId);
    expect((await productionImages(source.dmoId)).map((row) => row.source_id)).toEqual(['L950', 'L951']);
  });

  it('a re-fetch that gets no answer keeps the stored copy, in production too; a 404 is an answer and removes it', async () => {
    const file = '/flaky/harbour.jpg';
    await host.servePicture(file, 990, 'jpeg', { width: 400, height: 300 });
    const source = await createCsvSource(admin, 'Visit Flaky Host', 3, { transform: { map_fields: mapping } });
    const runId = await startCsvRun(admin, source.configId, csvWithImages([{ images: [host.url(file)] }]));
    await waitForRun(admin, runId, ['awaiting_review']);
    const [image] = (await imagesSettled(runId)).images;
    await approveAndPromote(admin, runId);
    expect(await productionImages(source.dmoId)).toHaveLength(1);

    host.fault(file, 'never-answers');
    await admin.post(`/api/v1/pipeline/jobs/${runId}/images/refetch`, { image_id: image.id });
    const [kept] = (await imagesSettled(runId)).images;
    expect(kept).toMatchObject({ status: 'stored', canonical_url: image.canonical_url });
    expect(kept.failure).toMatch(/^the last re-fetch got no answer, the stored copy stays: the source did not answer/);
    expect(await productionImages(source.dmoId)).toEqual([expect.objectContaining({ image: image.canonical_url })]);

    host.fault(file, 'not-found');
    await admin.post(`/api/v1/pipeline/jobs/${runId}/images/refetch`, { image_id: image.id });
    const [gone] = (await imagesSettled(runId)).images;
    expect(gone).toMatchObject({ status: 'failed', canonical_url: null, failure: 'not found at the source (HTTP 404)' });
    await waitUntil('the image gone from production', async () => (await productionImages(source.dmoId)).length === 0 || null, 10_000);
    host.clearFault(file);
  });
});

describe('one URL in several listings of a run', () => {
  it('is downloaded once and stored in each listing\'s folder', async () => {
    const [shared] = await gallery(1);
    const [own] = await gallery(1);
    const source = await createCsvSource(admin, 'Visit Chain', 3, { transform: { map_fields: mapping } });
    host.reset();
    const runId = await startCsvRun(admin, source.configId, csvWithImages([{ images: [shared!, own!] }, { images: [shared!] }, { images: [shared!] }]));
    await waitForRun(admin, runId, ['awaiting_review']);
    const { images } = await imagesSettled(runId);
    expect(host.requestsTo(new URL(shared!).pathname)).toBe(1);
    const copies = images.filter((image) => image.source_url === shared);
    expect(copies).toHaveLength(3);
    expect(new Set(copies.map((image) => path.dirname(image.canonical_url))).size).toBe(3);
    for (const image of copies) expect(fs.existsSync(storedFile(image.canonical_url))).toBe(true);
  });
});

describe('after Redis lost the image jobs', () => {
  it('the images still to fetch are queued again at start', async () => {
    // no image worker: the run's images wait on the queue
    const noImages = await startPipelineUnderTest({}, ['import', 'transform', 'geocode', 'stage', 'promote']);
    try {
      const urls = await gallery(3);
      const source = await createCsvSource(noImages.admin, 'Visit Lost Jobs', 3, { transform: { map_fields: mapping } });
      const runId = await startCsvRun(noImages.admin, source.configId, csvWithImages([{ images: urls }]));
      await waitForRun(noImages.admin, runId, ['awaiting_review']);
      const queue = noImages.t.ctx.queues.image;
      // queued by the stage job's hand-on, just after the run became reviewable
      await waitUntil('3 image jobs waiting', async () => (await queue.getJobCounts('waiting')).waiting === 3 || null, 10_000);
      const job = (await queue.getJobs(['waiting']))[0]!;
      expect(urls).toContain(job.data.url); // Bull Board shows which image
      await queue.obliterate({ force: true });
      expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 0 });
      await resumeRuns(noImages.t.ctx);
      expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 3 });
    } finally {
      await noImages.close();
    }
  });
});
