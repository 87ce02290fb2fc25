// The Images page in a real browser, over a CSV run whose pictures come from a local image server
// (test/fixtures/image-server.ts) through the real image workers: four listings with two pictures each,
// one of them a 404 at the source. The failed one is listed with its address as text and the reason;
// the seven stored ones show as pictures loaded from our own copies, never from the source's host; once
// the host serves the picture again, "Fetch again" stores it and it joins the others. A viewer sees the
// same and is offered no re-fetch. A listing's smaller copy of a picture it also has larger is marked as
// not shown.
import type { Browser } from 'playwright-core';
import { ImageServer } from '../fixtures/image-server';
import { launchBrowser, openAdmin, screenshot, signIn, type AdminBrowser } from '../harness/browser';
import { userWithRoles } from '../harness/context';
import {
  createCsvSource, csvMapping, listingsCsv, makeListings, startCsvRun, startPipelineUnderTest, waitForRun, type ListingRow,
  type PipelineUnderTest,
} from '../harness/pipeline';

jest.setTimeout(90_000);

let pipeline: PipelineUnderTest;
let images: ImageServer;
let browser: Browser;
let tab: AdminBrowser;
let admin: { email: string; password: string };
let run = 0;

const places = makeListings(4);
const picturePath = (n: number, side: 'a' | 'b') => `/photos/harbour-${n}-${side}.jpg`;
const pictureSize = { width: 1200, height: 900 };
// the third place's second picture is gone from the source's host
const missing = picturePath(3, 'b');

/** The harness's CSV with an Images column: each row's picture URLs, split on "|". */
function csvWithImages(rows: ListingRow[], paths: (row: number) => string[]): string {
  const [header, ...lines] = listingsCsv(rows).trimEnd().split('\n');
  return [`${header},Images`, ...lines.map((line, i) => `${line},${paths(i + 1).map((path) => images.url(path)).join('|')}`)].join('\n') + '\n';
}

async function imageRun(name: string, rows: ListingRow[], paths: (row: number) => string[]): Promise<number> {
  const source = await createCsvSource(pipeline.admin, name, 3, { transform: { map_fields: { ...csvMapping, 'listing_images.image': 'Images' } } });
  const id = await startCsvRun(pipeline.admin, source.configId, csvWithImages(rows, paths), `${name}.csv`);
  await waitForRun(pipeline.admin, id, ['awaiting_review']);
  return id;
}

const imagesOf = async (runId: number, status: string) => (await pipeline.admin.get(`/api/v1/pipeline/jobs/${runId}/images?status=${status}`)).body;

/** Every <img> of the stored grid has loaded a picture (a broken one has naturalWidth 0). */
async function loadedThumbnails(count: number) {
  await tab.page.waitForFunction((expected) => {
    const shown = [...document.querySelectorAll<HTMLImageElement>('[data-testid="stored-images"] img')];
    return shown.length === expected && shown.every((img) => img.complete && img.naturalWidth > 0);
  }, count);
  return tab.page.getByTestId('stored-images').locator('img').evaluateAll((shown) =>
    shown.map((img) => ({ alt: img.getAttribute('alt'), src: img.getAttribute('src'), width: (img as HTMLImageElement).naturalWidth })));
}

const counts = () => tab.page.getByTestId('image-counts');

beforeAll(async () => {
  images = await ImageServer.start();
  for (let n = 1; n <= places.length; n++) {
    await images.servePicture(picturePath(n, 'a'), n * 10 + 1, 'jpeg', pictureSize);
    await images.servePicture(picturePath(n, 'b'), n * 10 + 2, 'jpeg', pictureSize);
  }
  images.fault(missing, 'not-found');
  pipeline = await startPipelineUnderTest({ ALLOW_PRIVATE_HOSTS: '127.0.0.1' });
  browser = await launchBrowser();
  admin = await userWithRoles(pipeline.t.ctx, ['pipeline_admin'], 'robin.photos@visit-lunenburg.example');
  run = await imageRun('Lunenburg Harbour Walks', places, (n) => [picturePath(n, 'a'), picturePath(n, 'b')]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await pipeline?.close();
  await images?.close();
});
beforeEach(async () => {
  tab = await openAdmin(browser, pipeline.server.url);
});
afterEach(async () => tab.close());

test('the failed picture is listed with its address and why; the seven stored ones show from our own copies', async () => {
  const { page } = tab;
  await signIn(page, admin.email, admin.password, '/admin/runs');
  await page.getByRole('navigation', { name: 'Pipeline' }).getByRole('link', { name: 'Images' }).click();
  await page.getByText('Choose a run to see its images.').waitFor();
  await page.getByRole('combobox', { name: 'Run' }).click();
  await page.getByRole('option', { name: new RegExp(`^#${run} · Lunenburg Harbour Walks · awaiting review · `) }).click();
  await page.waitForURL(new RegExp(`/admin/images/${run}$`));

  // the page asks again while pictures wait, so it gets there by itself
  await counts().filter({ hasText: 'Stored: 7' }).filter({ hasText: 'Failed: 1' }).filter({ hasText: 'Waiting: 0' }).waitFor({ timeout: 45_000 });
  const failed = page.getByTestId('failed-images').locator('tbody tr');
  await expect(failed.count()).resolves.toBe(1);
  await expect(failed.getAttribute('data-source-id')).resolves.toBe('L3');
  await expect(failed.textContent()).resolves.toContain('Harbour Place 3');
  await expect(failed.getByTestId('source-url').textContent()).resolves.toBe(images.url(missing));
  await expect(failed.getByTestId('failure').textContent()).resolves.toMatch(/404/);
  await expect(page.getByRole('button', { name: 'Fetch all failed again (1)' }).isVisible()).resolves.toBe(true);

  const shown = await loadedThumbnails(7);
  expect(shown.map((img) => img.alt).sort()).toEqual([
    'Harbour Place 1, image 1', 'Harbour Place 1, image 2', 'Harbour Place 2, image 1', 'Harbour Place 2, image 2',
    'Harbour Place 3, image 1', 'Harbour Place 4, image 1', 'Harbour Place 4, image 2',
  ]);
  // our own copies, from this server: nothing on the page is loaded from the source's host
  for (const img of shown) expect(img.src).toMatch(/^\/images\//);
  await expect(page.locator(`img[src^="${images.url('/')}"]`).count()).resolves.toBe(0);
  await expect(page.getByTestId('image-facts').first().textContent()).resolves.toMatch(/^1200 × 900 · JPEG · \d/);
  await expect(page.getByText('Not shown: same picture as a better copy').count()).resolves.toBe(0);
  await screenshot(page, 'images');
  expect(tab.problems).toEqual([]);
});

test('a viewer sees the failed picture and why, and is offered no re-fetch', async () => {
  const viewer = await userWithRoles(pipeline.t.ctx, ['viewer']);
  await signIn(tab.page, viewer.email, viewer.password, `/admin/images/${run}`);
  await counts().filter({ hasText: 'Failed: 1' }).waitFor();
  await expect(tab.page.getByTestId('failed-images').getByTestId('failure').textContent()).resolves.toMatch(/404/);
  await expect(tab.page.getByRole('button', { name: /again/ }).count()).resolves.toBe(0);
  await loadedThumbnails(7);
  expect(tab.problems).toEqual([]);
});

test('once the source serves the picture again, "Fetch again" stores it and it joins the others', async () => {
  const { page } = tab;
  await signIn(page, admin.email, admin.password, `/admin/runs/${run}`);
  await page.getByRole('main').getByRole('link', { name: 'Images', exact: true }).click();
  await page.waitForURL(new RegExp(`/admin/images/${run}$`));
  await counts().filter({ hasText: 'Failed: 1' }).waitFor();

  images.clearFault(missing);
  await page.getByTestId('failed-images').locator('tr[data-source-id="L3"]').getByRole('button', { name: 'Fetch image 2 of Harbour Place 3 again' }).click();
  await page.getByText('1 image will be fetched again').waitFor();
  await counts().filter({ hasText: 'Stored: 8' }).filter({ hasText: 'Failed: 0' }).filter({ hasText: 'Waiting: 0' }).waitFor({ timeout: 45_000 });
  await page.getByText('No image failed.').waitFor();
  const shown = await loadedThumbnails(8);
  expect(shown.map((img) => img.alt)).toContain('Harbour Place 3, image 2');
  expect((await imagesOf(run, 'stored')).counts).toEqual({ pending: 0, stored: 8, failed: 0 });
  expect(tab.problems).toEqual([]);
});

test('a picture the listing also has in a better copy is stored but marked as not shown', async () => {
  const { page } = tab;
  await images.servePicture('/rocks/lighthouse-small.jpg', 99, 'jpeg', { width: 600, height: 450 });
  await images.servePicture('/rocks/lighthouse.jpg', 99, 'jpeg', pictureSize);
  const second = await imageRun('Blue Rocks Trail', makeListings(1, 50), () => ['/rocks/lighthouse-small.jpg', '/rocks/lighthouse.jpg']);
  await signIn(page, admin.email, admin.password, `/admin/images/${second}`);
  await counts().filter({ hasText: 'Stored: 2' }).filter({ hasText: 'Waiting: 0' }).waitFor({ timeout: 45_000 });
  await loadedThumbnails(2);
  const card = (rank: number) => page.getByTestId('stored-images').locator(`[data-image-id]`).nth(rank);
  await expect(card(0).textContent()).resolves.toMatch(/Harbour Place 50.*Image 1.*600 × 450 · JPEG.*Not shown: same picture as a better copy/);
  await expect(card(1).textContent()).resolves.toMatch(/Harbour Place 50.*Image 2.*1200 × 900 · JPEG/);
  await expect(card(1).textContent()).resolves.not.toContain('Not shown');
  await expect(page.getByText('No image failed.').isVisible()).resolves.toBe(true);
  expect(tab.problems).toEqual([]);
});
