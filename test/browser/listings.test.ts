// The Listings pages in a real browser, after real promoted runs: accent-insensitive search, a name made
// of markup shown as text, a listing's DMO records and timeline, a manual edit, hide/show and
// archive/un-archive, and a soft-deleted listing restored from the Soft-deleted view. The feed's image
// URLs are on a local image host (test/fixtures/image-server.ts, allowed by the test settings'
// ALLOW_PRIVATE_HOSTS=127.0.0.1): the product downloads them and the pages show our own copies.
import type { Browser, Locator } from 'playwright-core';
import { ImageServer } from '../fixtures/image-server';
import { launchBrowser, openAdmin, screenshot, signIn, type AdminBrowser } from '../harness/browser';
import { userWithRoles } from '../harness/context';
import {
  approveAndPromote, createCsvSource, startCsvRun, startPipelineUnderTest, waitForRun, type PipelineUnderTest,
} from '../harness/pipeline';

const markupName = '<img src=x onerror=alert(1)>';

interface Place {
  id: string; name: string; category: string; address: string; city: string; zip: string; lat: string; lng: string;
  description: string; email: string; phone: string; website: string; hours: string;
  /** paths on the image host, '|'-separated */
  images: string;
}

const places: Place[] = [
  {
    id: 'NS-001', name: 'Café Québec', category: 'Café', address: '1 Rue du Petit-Champlain', city: 'Halifax', zip: 'B3H 1A1',
    lat: '44.64521', lng: '-63.57291', description: 'French-Canadian pastries and coffee by the harbour.',
    email: 'bonjour@cafe-quebec.example', phone: '902-555-0101', website: 'https://cafe-quebec.example',
    hours: 'Mon-Fri 08:00-17:00; Sat 09:00-15:00', images: '/cafe-1.jpg|/cafe-2.jpg',
  },
  {
    id: 'NS-002', name: 'Script Lane Test House', category: 'Test', address: '2 Script Lane', city: 'Halifax', zip: 'B3H 2B2',
    lat: '44.64610', lng: '-63.57402', description: 'A record a person renames to an HTML tag.', email: 'x@example.org', phone: '',
    website: '', hours: '', images: '',
  },
  {
    id: 'NS-003', name: 'Citadel Hill Museum', category: 'Museum', address: '5425 Sackville Street', city: 'Halifax', zip: 'B3J 3Y3',
    lat: '44.64765', lng: '-63.58010', description: 'A star-shaped fort above downtown.', email: 'info@citadel.example',
    phone: '902-555-0103', website: 'https://citadel.example', hours: 'Mon-Sun 09:00-17:00', images: '',
  },
  {
    id: 'NS-004', name: "Peggy's Cove Lighthouse", category: 'Attraction', address: '185 Peggys Point Road', city: "Peggy's Cove",
    zip: 'B3Z 3S1', lat: '44.49171', lng: '-63.91866', description: 'The most photographed lighthouse in Canada.',
    email: 'hello@peggys.example', phone: '902-555-0104', website: '', hours: '', images: '',
  },
  {
    id: 'NS-005', name: 'Lunenburg Fisheries Museum', category: 'Museum', address: '68 Bluenose Drive', city: 'Lunenburg',
    zip: 'B0J 2C0', lat: '44.37611', lng: '-64.31190', description: 'Schooners, dories and the story of the Bluenose.',
    email: 'info@fisheries.example', phone: '902-555-0105', website: '', hours: 'Mon-Sat 10:00-17:00', images: '',
  },
  {
    id: 'NS-006', name: 'Harbour Hopper Tours', category: 'Tour', address: '1751 Lower Water Street', city: 'Halifax', zip: 'B3J 1S5',
    lat: '44.64601', lng: '-63.57121', description: 'An amphibious bus tour of the waterfront.', email: 'tours@hopper.example',
    phone: '902-555-0106', website: 'https://hopper.example', hours: '', images: '',
  },
  {
    id: 'NS-007', name: 'Auberge du Vieux-Port', category: 'Hotel', address: '1 Water Street', city: 'Lunenburg', zip: 'B0J 2C0',
    lat: '44.37702', lng: '-64.30911', description: 'Twelve rooms over the old port.', email: 'reservations@auberge.example',
    phone: '902-555-0107', website: '', hours: '', images: '',
  },
];

const columns = ['ID', 'Name', 'Category', 'Address', 'City', 'Zip', 'Latitude', 'Longitude', 'Description', 'Email', 'Phone', 'Website', 'Hours', 'Images'];
const mapping = {
  'listings.name': 'Name', 'listings.category': 'Category', 'locations.address1': 'Address', 'locations.city': 'City',
  'locations.zip': 'Zip', 'locations.lat': 'Latitude', 'locations.lng': 'Longitude', 'listing_info.description': 'Description',
  'contact_info.email': 'Email', 'contact_info.local_phone': 'Phone', 'contact_info.website_url': 'Website',
  'opening_hours.text': 'Hours', 'listing_images.image': 'Images',
};

/** A feed of the places, their image paths as URLs on the image host. */
function csvOf(rows: Place[]): string {
  const quote = (value: string) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  const imageUrls = (paths: string) => (paths ? paths.split('|').map((path) => imageServer.url(path)).join('|') : '');
  const line = (row: Place) => [row.id, row.name, row.category, row.address, row.city, row.zip, row.lat, row.lng, row.description,
    row.email, row.phone, row.website, row.hours, imageUrls(row.images)].map(quote).join(',');
  return [columns.join(','), ...rows.map(line)].join('\n') + '\n';
}

/**
 * The DMOs' image host: the café's two pictures, and the partner's picture of the café, which is the
 * first one again in a smaller copy (the gallery shows it once, the larger copy).
 */
async function serveImages(server: ImageServer) {
  await server.servePicture('/cafe-1.jpg', 1, 'jpeg', { width: 1200, height: 900 });
  await server.servePicture('/cafe-2.jpg', 2, 'jpeg', { width: 1200, height: 900 });
  await server.servePicture('/trail-cafe.jpg', 1, 'jpeg', { width: 800, height: 600 });
}

/**
 * The product downloads a run's images itself, after staging: waits until none of them is pending,
 * and checks that none failed (and that `stored` were stored, when given).
 */
async function waitForImages(runId: number, stored?: number, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await pipeline.admin.get(`/api/v1/pipeline/jobs/${runId}/images`);
    if (status !== 200) throw new Error(`images of run ${runId}: ${status} ${JSON.stringify(body)}`);
    if (body.counts.pending === 0) {
      if (body.counts.failed !== 0 || (stored !== undefined && body.counts.stored !== stored)) {
        throw new Error(`images of run ${runId}: expected ${stored ?? 'all'} stored and none failed, got ${JSON.stringify(body.counts)}: ${JSON.stringify(body.images)}`);
      }
      return body;
    }
    if (Date.now() > deadline) throw new Error(`images of run ${runId} are still pending: ${JSON.stringify(body.counts)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The pixels of an <img> once loaded: its naturalWidth, 0 for a broken one (decode() fails). */
const loadedWidth = (img: Locator) =>
  img.evaluate((element: HTMLImageElement) => element.decode().then(() => element.naturalWidth, () => 0));

let imageServer: ImageServer;
let pipeline: PipelineUnderTest;
let browser: Browser;
let tab: AdminBrowser;
let dmoId: number;
let configId: number;
const dialogs: string[] = [];

const api = (path: string) => pipeline.admin.get(`/api/v1/pipeline${path}`);
const listingNamed = async (name: string) => {
  const { body } = await api(`/listings?q=${encodeURIComponent(name)}`);
  const row = body.rows.find((candidate: { name: string }) => candidate.name === name);
  if (!row) throw new Error(`no listing named ${name}: ${JSON.stringify(body)}`);
  return (await api(`/listings/${row.id}`)).body;
};

beforeAll(async () => {
  imageServer = await ImageServer.start();
  await serveImages(imageServer);
  pipeline = await startPipelineUnderTest(); // its settings allow 127.0.0.1, the image host
  browser = await launchBrowser();
  const source = await createCsvSource(pipeline.admin, 'Discover Halifax', 3,
    { import: { source_id_column: 'ID' }, transform: { map_fields: mapping } });
  dmoId = source.dmoId;
  configId = source.configId;
  const run = await startCsvRun(pipeline.admin, configId, csvOf(places));
  await waitForRun(pipeline.admin, run, ['awaiting_review']);
  await waitForImages(run, 2);
  await approveAndPromote(pipeline.admin, run);
  // an import turns HTML into its text, so markup in a name comes from a person's edit: the pages must show it as text
  const scripted = await listingNamed('Script Lane Test House');
  const renamed = await pipeline.admin.patch(`/api/v1/pipeline/listings/${scripted.id}`, { name: markupName });
  if (renamed.status !== 200) throw new Error(`rename: ${renamed.status} ${JSON.stringify(renamed.body)}`);

  // a partner that also lists the café: the same listing gets a second DMO record
  const partner = await createCsvSource(pipeline.admin, 'Maritime Food Trails', 4,
    { import: { source_id_column: 'ID' }, transform: { map_fields: mapping } });
  const partnerRun = await startCsvRun(pipeline.admin, partner.configId, csvOf([{
    ...places[0]!, id: 'MFT-17', description: 'Stop 3 of the Halifax pastry trail: try the sugar pie.', email: 'trail@foodtrails.example',
    phone: '902-555-0199', website: 'https://foodtrails.example/cafe-quebec', hours: 'Sat 09:00-15:00', images: '/trail-cafe.jpg',
  }]));
  await waitForRun(pipeline.admin, partnerRun, ['awaiting_review']);
  await waitForImages(partnerRun, 1);
  await approveAndPromote(pipeline.admin, partnerRun);

  const admin = await userWithRoles(pipeline.t.ctx, ['super_admin'], 'claire.admin@visit-nova.example');
  tab = await openAdmin(browser, pipeline.server.url);
  tab.page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await signIn(tab.page, admin.email, admin.password, '/admin/listings');
});
afterAll(async () => {
  await tab?.close();
  await browser?.close();
  await pipeline?.close();
  await imageServer?.close();
});

test('searching quebec finds Café Québec, and the search lives in the URL', async () => {
  const { page } = tab;
  await page.goto('/admin/listings');
  await page.getByRole('link', { name: 'Citadel Hill Museum' }).waitFor();
  await expect(page.getByTestId('listing-count').textContent()).resolves.toBe(`${places.length} listings`);
  await screenshot(page, 'listings');

  await page.getByLabel('Search').fill('quebec');
  await page.waitForURL(/[?&]q=quebec/);
  await page.getByTestId('listing-count').filter({ hasText: /^1 listing$/ }).waitFor();
  await expect(page.getByRole('link', { name: 'Café Québec' }).isVisible()).resolves.toBe(true);
  await expect(page.getByRole('link', { name: 'Citadel Hill Museum' }).count()).resolves.toBe(0);

  await page.reload();
  await page.getByRole('link', { name: 'Café Québec' }).waitFor();
  await expect(page.getByLabel('Search').inputValue()).resolves.toBe('quebec');
  // the sidebar link starts a new search: the box follows the address
  await page.getByRole('navigation', { name: 'Pipeline' }).getByRole('link', { name: 'Listings' }).click();
  await page.getByTestId('listing-count').filter({ hasText: `${places.length} listings` }).waitFor();
  await expect(page.getByLabel('Search').inputValue()).resolves.toBe('');

  // the DMO filter: only the partner's listing
  const partnerDmo = (await api('/dmos')).body.dmos.find((dmo: { name: string }) => dmo.name === 'Maritime Food Trails');
  await page.goto(`/admin/listings?dmo=${partnerDmo.id}`);
  await page.getByTestId('listing-count').filter({ hasText: /^1 listing$/ }).waitFor();
  await expect(page.getByRole('link', { name: 'Café Québec' }).isVisible()).resolves.toBe(true);
  expect(tab.problems).toEqual([]);
});

test('the public API finds it too, without a cookie', async () => {
  const anonymous = await browser.newContext({ baseURL: pipeline.server.url });
  try {
    expect(await anonymous.cookies()).toEqual([]);
    const reply = await anonymous.request.get('/v1/listings?q=quebec');
    expect(reply.status()).toBe(200);
    const body = await reply.json();
    expect(body.listings.map((listing: { name: string }) => listing.name)).toEqual(['Café Québec']);
    expect(body.listings[0].listing_info.map((info: { dmo: { name: string } }) => info.dmo.name).sort())
      .toEqual(['Discover Halifax', 'Maritime Food Trails']);
  } finally {
    await anonymous.close();
  }
});

test('a listing whose name is markup shows it as text, on the list and on its page', async () => {
  const { page } = tab;
  await page.goto(`/admin/listings?q=${encodeURIComponent('onerror')}`);
  const link = page.getByRole('link', { name: markupName, exact: true });
  await link.waitFor();
  await expect(link.textContent()).resolves.toBe(markupName);
  await expect(page.locator('img[src="x"]').count()).resolves.toBe(0);

  await link.click();
  await page.getByTestId('listing-name').filter({ hasText: markupName }).waitFor();
  await expect(page.getByTestId('listing-name').textContent()).resolves.toBe(markupName);
  await page.getByRole('tab', { name: /Timeline/ }).click();
  await page.getByTestId('timeline').waitFor();
  await expect(page.locator('img[src="x"]').count()).resolves.toBe(0);
  expect(dialogs).toEqual([]);
  expect(tab.problems).toEqual([]);
});

test("a listing's page shows each DMO's record, its contact, opening hours, images and the timeline", async () => {
  const { page } = tab;
  await page.goto('/admin/listings?q=quebec');
  await page.getByRole('link', { name: 'Café Québec' }).click();
  await page.getByTestId('listing-name').filter({ hasText: 'Café Québec' }).waitFor();
  const listing = await listingNamed('Café Québec');
  expect(new URL(page.url()).pathname).toBe(`/admin/listings/${listing.id}`);

  await expect(page.getByText('1 Rue du Petit-Champlain').isVisible()).resolves.toBe(true);
  const own = page.getByTestId(`listing-info-${listing.listing_info.find((info: { dmo_id: number }) => info.dmo_id === dmoId).id}`);
  await expect(own.getByRole('heading', { name: 'Discover Halifax' }).isVisible()).resolves.toBe(true);
  await expect(own.getByText('client').isVisible()).resolves.toBe(true);
  await expect(own.getByText('French-Canadian pastries and coffee by the harbour.').isVisible()).resolves.toBe(true);
  await expect(own.getByText('bonjour@cafe-quebec.example').isVisible()).resolves.toBe(true);
  await expect(own.getByText('NS-001').isVisible()).resolves.toBe(true);
  await expect(own.getByTestId('opening-hours').textContent()).resolves.toMatch(/Monday: 08:00–17:00.*Saturday: 09:00–15:00/);
  // each DMO card shows the images its feed gave, as our own copies: the small one, opening the large one
  type Image = { listing_info_id: number; width: number; variants: Record<string, { url: string }> };
  const ownInfoId = listing.listing_info.find((info: { dmo_id: number }) => info.dmo_id === dmoId).id;
  const ownImages = listing.images.filter((image: Image) => image.listing_info_id === ownInfoId);
  expect(ownImages.map((image: Image) => image.width)).toEqual([1200, 1200]);
  await expect(own.getByRole('img').count()).resolves.toBe(2);
  await expect(own.getByRole('img').first().getAttribute('src')).resolves.toBe(ownImages[0].variants.thumb.url);
  await expect(own.getByRole('link', { name: 'Image 1 from Discover Halifax' }).getAttribute('href')).resolves.toBe(ownImages[0].variants.large.url);
  for (const img of await own.getByRole('img').all()) {
    expect(await img.getAttribute('src')).toMatch(/^\/images\//);
    expect(await loadedWidth(img)).toBeGreaterThan(0);
  }
  await expect(page.getByRole('heading', { name: 'Maritime Food Trails' }).isVisible()).resolves.toBe(true);
  await expect(page.getByText('Stop 3 of the Halifax pastry trail: try the sugar pie.').isVisible()).resolves.toBe(true);
  const partner = page.getByTestId(`listing-info-${listing.listing_info.find((info: { dmo_id: number }) => info.dmo_id !== dmoId).id}`);
  await expect(partner.getByRole('img').count()).resolves.toBe(1);
  expect(await partner.getByRole('img').getAttribute('src')).toMatch(/^\/images\//);
  expect(await loadedWidth(partner.getByRole('img'))).toBeGreaterThan(0);

  // the gallery: each picture once; the partner's smaller copy of the first picture is left out for the café's own
  expect(listing.images).toHaveLength(3);
  expect(listing.gallery.map((image: Image) => [image.listing_info_id, image.width])).toEqual([[ownInfoId, 1200], [ownInfoId, 1200]]);
  const gallery = page.getByTestId('listing-gallery');
  await expect(gallery.getByRole('img').count()).resolves.toBe(2);
  const first = gallery.getByRole('img', { name: 'Café Québec, picture 1 of 2', exact: true });
  await expect(first.getAttribute('src')).resolves.toBe(listing.gallery[0].variants.thumb.url);
  const opens = gallery.getByRole('link', { name: 'Café Québec, picture 1 of 2', exact: true });
  await expect(opens.getAttribute('href')).resolves.toBe(listing.gallery[0].variants.large.url);
  await expect(opens.getAttribute('target')).resolves.toBe('_blank');
  await expect(gallery.getByRole('img', { name: 'Café Québec, picture 2 of 2', exact: true }).isVisible()).resolves.toBe(true);
  for (const img of await gallery.getByRole('img').all()) {
    expect(await img.getAttribute('src')).toMatch(/^\/images\//);
    expect(await loadedWidth(img)).toBeGreaterThan(0);
  }
  await expect(gallery.getByTestId('gallery-note').textContent()).resolves.toMatch(/^2 pictures shown; 1 duplicate across DMOs hidden/);
  // the browser never asks the DMOs' host: the product downloaded the pictures
  await expect(page.locator(`img[src^="${imageServer.url('')}"]`).count()).resolves.toBe(0);
  expect(imageServer.requests.filter((request) => request.headers['user-agent']?.includes('Chrom')).length).toBe(0);

  await page.getByRole('tab', { name: /Source records/ }).click();
  await page.getByTestId('sources-table').waitFor();
  await expect(page.getByTestId('sources-table').getByText('MFT-17').count()).resolves.toBe(2); // its listing and its DMO record

  await page.getByRole('tab', { name: /Timeline/ }).click();
  await page.waitForURL(/tab=timeline/);
  const timeline = page.getByTestId('timeline');
  await timeline.waitFor();
  const inserts = timeline.locator('tr[data-change="insert"]');
  await expect(inserts.count()).resolves.toBe(3); // the listing and two DMO records, each by its run
  for (const row of await inserts.all()) await expect(row.getByRole('link', { name: /^Run #\d+$/ }).count()).resolves.toBe(1);
  expect(tab.problems).toEqual([]);
});

test('a manual edit of the name shows on the timeline and marks the listing manually modified', async () => {
  const { page } = tab;
  const before = await listingNamed('Café Québec');
  expect(before.manually_modified).toBe(false);
  await page.goto(`/admin/listings/${before.id}`);
  await page.getByRole('button', { name: 'Edit' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByText(/marks this listing as manually modified/).isVisible()).resolves.toBe(true);

  // the server's own rule, as one types: a listing needs a name
  await dialog.getByLabel(/^Name/).fill('  ');
  await dialog.getByText('a listing needs a name').waitFor();
  await expect(dialog.getByRole('button', { name: 'Save changes' }).isDisabled()).resolves.toBe(true);

  await dialog.getByLabel(/^Name/).fill('Café Québec on the Waterfront');
  await dialog.getByLabel('Country').fill('CA');
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await dialog.waitFor({ state: 'hidden' });

  const latest = page.getByTestId('last-change');
  await expect(latest.textContent()).resolves.toContain('2 fields changed; the listing is marked manually modified.');
  await expect(latest.getByRole('row').filter({ hasText: 'Café Québec on the Waterfront' }).textContent()).resolves.toMatch(/You.*Changed.*Listing.*Name.*Café Québec.*→.*Café Québec on the Waterfront/);
  await expect(page.getByTestId('listing-name').textContent()).resolves.toBe('Café Québec on the Waterfront');
  await expect(page.getByTestId('manual-badge').isVisible()).resolves.toBe(true);

  await page.getByRole('tab', { name: /Timeline/ }).click();
  await page.getByTestId('timeline').waitFor();
  const row = page.getByTestId('timeline').locator('tr[data-change="update"]').filter({ hasText: 'Name' });
  await expect(row.textContent()).resolves.toMatch(/You.*Café Québec.*→.*Café Québec on the Waterfront/);

  const after = (await api(`/listings/${before.id}`)).body;
  expect(after).toMatchObject({ name: 'Café Québec on the Waterfront', manually_modified: true, location: { country: 'CA' } });
  expect(after.timeline[0]).toMatchObject({ change: 'update', user_id: expect.any(Number) });
});

test('hide then show one DMO record, and archive then un-archive the listing: each asks, then shows on the timeline and in the API', async () => {
  const { page } = tab;
  const listing = await listingNamed('Café Québec on the Waterfront');
  const partnerInfo = listing.listing_info.find((info: { dmo_id: number }) => info.dmo_id !== dmoId);
  await page.goto(`/admin/listings/${listing.id}`);
  const card = page.getByTestId(`listing-info-${partnerInfo.id}`);

  await card.getByRole('button', { name: 'Hide for this DMO' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.textContent()).resolves.toContain('will no longer be shown on the public site');
  await dialog.getByRole('button', { name: 'Hide', exact: true }).click();
  await page.getByTestId('last-change').filter({ hasText: 'Hidden' }).waitFor();
  await expect(card.getByText('Hidden by an admin').isVisible()).resolves.toBe(true);
  let now = (await api(`/listings/${listing.id}`)).body;
  expect(now.listing_info.find((info: { id: number }) => info.id === partnerInfo.id)).toMatchObject({ info_visible: false, info_status: 'removed' });
  expect(now.listing_visible).toBe(true); // the other DMO's record still shows it
  expect(now.timeline[0]).toMatchObject({ change: 'hide', entity_id: partnerInfo.id });

  await card.getByRole('button', { name: 'Show' }).click();
  await dialog.getByRole('button', { name: 'Show', exact: true }).click();
  await page.getByTestId('last-change').filter({ hasText: 'Shown again' }).waitFor();
  now = (await api(`/listings/${listing.id}`)).body;
  expect(now.listing_info.find((info: { id: number }) => info.id === partnerInfo.id)).toMatchObject({ info_visible: true, info_status: 'active' });
  expect(now.timeline[0]).toMatchObject({ change: 'show', entity_id: partnerInfo.id });

  await page.getByRole('button', { name: 'Archive' }).click();
  await expect(dialog.textContent()).resolves.toContain('taken off the public site for every DMO');
  await dialog.getByRole('button', { name: 'Archive', exact: true }).click();
  await page.getByTestId('last-change').filter({ hasText: 'Archived' }).waitFor();
  await expect(page.getByText('Not on the site').first().isVisible()).resolves.toBe(true);
  now = (await api(`/listings/${listing.id}`)).body;
  expect(now).toMatchObject({ listing_visible: false, listing_status: 'archived' });
  expect(now.timeline[0]).toMatchObject({ change: 'archive', field: 'listing_status', old_value: 'active', new_value: 'archived' });
  const hiddenFromPublic = await pipeline.admin.get('/v1/listings?q=quebec');
  expect(hiddenFromPublic.body.total).toBe(0);

  await page.getByRole('button', { name: 'Un-archive' }).click();
  await dialog.getByRole('button', { name: 'Un-archive', exact: true }).click();
  await page.getByTestId('last-change').filter({ hasText: 'Un-archived' }).waitFor();
  now = (await api(`/listings/${listing.id}`)).body;
  expect(now).toMatchObject({ listing_visible: true, listing_status: 'active' });
  expect(now.timeline[0]).toMatchObject({ change: 'unarchive', new_value: 'active' });

  await page.getByRole('tab', { name: /Timeline/ }).click();
  const timeline = page.getByTestId('timeline');
  await timeline.waitFor();
  for (const change of ['hide', 'show', 'archive', 'unarchive']) {
    await expect(timeline.locator(`tr[data-change="${change}"]`).count()).resolves.toBe(1);
  }
  await page.getByTestId('last-change').getByRole('button').first().click(); // close the note: the screenshot shows the page itself
  await page.getByTestId('last-change').waitFor({ state: 'hidden' });
  await screenshot(page, 'listing');
  expect(dialogs).toEqual([]);
  expect(tab.problems).toEqual([]);
});

test('a listing an import soft-deleted is in the Soft-deleted view, and Restore brings it back', async () => {
  const { page } = tab;
  const gone = places.find((place) => place.id === 'NS-004')!;
  const run = await startCsvRun(pipeline.admin, configId, csvOf(places.filter((place) => place !== gone)));
  await waitForRun(pipeline.admin, run, ['awaiting_review']);
  await waitForImages(run);
  const approved = await pipeline.admin.post('/api/v1/pipeline/staging/review', { jobId: run, filter: { action: 'delete' }, decision: 'approve' });
  expect(approved.body.updated).toBe(1);
  await approveAndPromote(pipeline.admin, run);
  const deleted = await listingNamed(gone.name);
  expect(deleted).toMatchObject({ listing_visible: false, listing_status: 'missing_from_import' });

  await page.goto('/admin/listings');
  await page.getByText('Soft-deleted', { exact: true }).click();
  await page.waitForURL(/view=deleted/);
  const row = page.getByTestId('deleted-table').locator(`tr[data-listing-id="${deleted.id}"]`);
  await row.getByText('Discover Halifax').waitFor();
  await expect(row.getByText('Missing from import').first().isVisible()).resolves.toBe(true);
  await expect(page.getByTestId('listing-count').textContent()).resolves.toBe('1 listing');
  await expect(page.getByTestId('deleted-table').locator('tbody tr').count()).resolves.toBe(1);

  await row.getByRole('button', { name: /Restore/ }).click();
  await page.getByText(`${gone.name} is back on the site`).waitFor();
  await page.getByText('nothing to restore').waitFor();

  const restored = (await api(`/listings/${deleted.id}`)).body;
  expect(restored).toMatchObject({ listing_visible: true, listing_status: 'active' });
  expect(restored.listing_info[0]).toMatchObject({ info_visible: true, info_status: 'active' });
  expect(restored.timeline[0]).toMatchObject({ change: 'restore', user_id: expect.any(Number) });

  await page.getByText('All listings', { exact: true }).click();
  await page.getByRole('link', { name: gone.name }).waitFor();
  expect(tab.problems).toEqual([]);
});

test('a viewer sees listings and their timeline but is offered no change', async () => {
  const viewer = await userWithRoles(pipeline.t.ctx, ['viewer']);
  const tab2 = await openAdmin(browser, pipeline.server.url);
  try {
    const { page } = tab2;
    const listing = await listingNamed('Café Québec on the Waterfront');
    await signIn(page, viewer.email, viewer.password, `/admin/listings/${listing.id}`);
    await page.getByTestId('listing-name').waitFor();
    await page.getByTestId(`listing-info-${listing.listing_info[0].id}`).waitFor();
    for (const name of ['Edit', 'Archive', 'Hide for this DMO']) {
      await expect(page.getByRole('button', { name }).count()).resolves.toBe(0);
    }
    await page.getByRole('tab', { name: /Timeline/ }).click();
    await page.getByTestId('timeline').locator('tr[data-change="update"]').first().waitFor();
    // the timeline names the person who edited, also for those who may not list users
    await expect(page.getByTestId('timeline').getByText('claire.admin@visit-nova.example').first().isVisible()).resolves.toBe(true);

    await page.goto('/admin/listings?view=deleted&kind=offline');
    await page.getByText('Every listing is on the site.').waitFor();
    expect(tab2.problems).toEqual([]);
  } finally {
    await tab2.close();
  }
});
