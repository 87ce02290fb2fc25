// The website source end to end: runs scrape a local tourism site (test/fixtures/scraped-site.ts)
// over its list and detail pages, with real PostgreSQL, Redis and workers. The site measures what a
// polite robot must hold to (its rate and concurrency per host, robots.txt); every request stays on
// 127.0.0.1 (ALLOW_PRIVATE_HOSTS=127.0.0.1 only).
import { createHttpClient } from '../src/http/client';
import type { TestContext } from './harness/context';
import type { ApiClient } from './harness/http';
import { approveAndPromote, makeListings, startPipelineUnderTest, waitForRun, type PipelineUnderTest } from './harness/pipeline';
import { queueNames } from '../src/queues/names';
import { ScrapedSite, type ScrapedPlace } from './fixtures/scraped-site';

jest.setTimeout(90_000);

let product: PipelineUnderTest;
let t: TestContext;
let admin: ApiClient;
let site: ScrapedSite;

beforeAll(async () => {
  // no image worker: the site's pages name images on the same host, and this file counts and times
  // the scraper's own requests (downloading images is test/images.test.ts's)
  product = await startPipelineUnderTest({}, queueNames.filter((queue) => queue !== 'image'));
  ({ t, admin } = product);
  site = await ScrapedSite.start();
});
afterAll(async () => {
  await site?.close();
  await product?.close();
});

/** The harness's listings as a DMO's website shows them: an & in some names, entities and a second paragraph in some descriptions, 0-3 images, every 27th behind /private/. */
function sitePlaces(count: number): ScrapedPlace[] {
  return makeListings(count).map((row, i) => ({
    key: row.id, name: i % 5 === 0 ? `${row.name} Fish & Chips` : row.name,
    description: i % 4 === 0 ? `${row.description}\n\nCafé & bakery <open> “all day”, the harbour’s best.` : row.description,
    address: row.address, city: row.city, lat: Number(row.lat), lng: Number(row.lng), email: row.email,
    images: [`/images/place-${i + 1}-a.jpg`, `../images/place-${i + 1}-b.jpg`, `/images/place-${i + 1}-c.jpg`].slice(0, i % 4),
    ...(i % 27 === 26 ? { hidden: true } : {}),
  }));
}

/** The fields of a detail page: microdata, a data attribute, the description's HTML, every image of the gallery. */
const detailFields = {
  name: { selector: 'h1[itemprop=name]' },
  address: { selector: '[itemprop=streetAddress]' },
  city: { selector: '[itemprop=addressLocality]' },
  lat: { selector: '[itemprop=latitude]', attr: 'content' },
  lng: { selector: '.map', attr: 'data-lng' },
  description: { selector: '.description' },
  email: { selector: 'a.email' },
  images: { selector: '.gallery img', attr: 'src', many: true },
};
const detailMapping = {
  'listings.name': 'name', 'locations.address1': 'address', 'locations.city': 'city', 'locations.lat': 'lat', 'locations.lng': 'lng',
  'listing_info.description': 'description', 'contact_info.email': 'email', 'listing_images.image': 'images',
};

let sources = 0;
/** A DMO (or the one given) and a website config reading the site's list and detail pages. */
async function websiteSource(importParams: Record<string, unknown> = {}, mapFields: Record<string, string> = detailMapping) {
  sources += 1;
  const dmo = (await admin.post('/api/v1/pipeline/dmos', { name: `Scraped DMO ${sources}`, dmo_type_id: 3 })).body.id as number;
  const config = await admin.post('/api/v1/pipeline/configs', {
    dmo_id: dmo, source_type: 'website',
    config_params: {
      import: {
        base_url: site.listUrl, list: { item: 'article.listing', link: 'a.more' }, next: { link: 'a[rel=next]' }, fields: detailFields,
        source_id_column: 'url', rate_per_sec: 50, ...importParams,
      },
      transform: { map_fields: mapFields },
    },
  });
  if (config.status !== 201) throw new Error(`config: ${config.status} ${JSON.stringify(config.body)}`);
  return { dmoId: dmo, configId: config.body.id as number };
}

/** A fetching source's run: queued at once, no upload. */
async function startRun(configId: number): Promise<number> {
  const { body } = await admin.post('/api/v1/pipeline/executeStage', { configId });
  expect(body.status).toBe('queued');
  return body.jobId as number;
}

async function stagedRows(runId: number) {
  const { rows } = await t.ctx.db.query(
    `SELECT source_id, action, name, description, address1, city, lat::float AS lat, lng::float AS lng, contact->>'email' AS email, images
       FROM staging.rows WHERE job_id = $1 AND file_seq > 0 ORDER BY rec_num`, [runId]);
  return rows;
}
const stagedCount = async (runId: number) => (await t.ctx.db.query('SELECT count(*)::int n FROM staging.rows WHERE job_id = $1', [runId])).rows[0].n as number;

/** What a staged row of this place holds: the site's HTML read back as the text it was. */
const expectedRow = (place: ScrapedPlace) => ({
  source_id: `${site.url}${site.detailPath(place)}`, action: 'insert', name: place.name, description: place.description,
  address1: place.address, city: place.city, lat: place.lat, lng: place.lng, email: place.email, images: place.images.map((path) => site.imageUrl(path)),
});

/** A second less 50 ms for the network's jitter: no window that long may hold more requests than the rate. */
const rateWindowMs = 950;

it('the fixture\'s measures see a burst and requests in flight (so the checks below can fail)', async () => {
  const places = sitePlaces(5);
  site.reset(places, { detailLatencyMs: 200 });
  const http = createHttpClient({ allowPrivateHosts: ['127.0.0.1'], retries: 0 });
  await Promise.all(places.map((place) => http.getText(`${site.url}${site.detailPath(place)}`)));
  expect(site.maxArrivalsWithin(rateWindowMs)).toBe(5);
  expect(site.maxInFlight).toBe(5);
});

describe('a site of 270 listings over list and detail pages', () => {
  const places = sitePlaces(270);
  const visible = places.filter((place) => !place.hidden);
  let source: { dmoId: number; configId: number };
  let runId: number;

  beforeAll(async () => {
    site.reset(places, { perPage: 15 });
    source = await websiteSource({ rate_per_sec: 20 });
    runId = await startRun(source.configId);
    await waitForRun(admin, runId, ['awaiting_review']);
  });

  it('stages each listing robots.txt allows, field by field as the site shows it', async () => {
    expect(visible.length).toBeGreaterThanOrEqual(250);
    const { body } = await admin.get(`/api/v1/pipeline/jobs/${runId}`);
    expect(body.results).toMatchObject({ records_total: 270, records_new: visible.length, records_error: places.length - visible.length });
    const rows = await stagedRows(runId);
    expect(rows).toEqual(visible.map(expectedRow));
    expect(rows[0]).toMatchObject({
      name: 'Harbour Place 1 Fish & Chips', description: 'A fine place number 1, by the sea.\n\nCafé & bakery <open> “all day”, the harbour’s best.',
    });
  });

  it('reads every list page by its rel=next link, and each detail page once', () => {
    const listPages = site.requests.filter((request) => request.page !== null);
    expect(listPages.map((request) => request.page)).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
    const details = site.requests.filter((request) => request.path.startsWith('/places/')).map((request) => request.path);
    expect(details.sort()).toEqual(visible.map((place) => site.detailPath(place)).sort());
  });

  it('reads robots.txt once, never requests what it disallows, and logs each listing skipped with its URL', async () => {
    expect(site.requests.filter((request) => request.path === '/robots.txt')).toHaveLength(1);
    expect(site.requests.filter((request) => request.path.startsWith('/private/'))).toEqual([]);
    const { rows } = await t.ctx.db.query('SELECT line, error_message FROM pipeline.job_errors WHERE job_id = $1 ORDER BY line', [runId]);
    expect(rows).toEqual(places.flatMap((place, i) => place.hidden ? [{
      line: i + 1, error_message: `robots.txt disallows ${site.url}${site.detailPath(place)}, the detail page of listing ${i + 1}; it was not read`,
    }] : []));
  });

  it('never sends more than 20 requests a second nor more than 2 at once, each under our own name', () => {
    expect(site.maxArrivalsWithin(rateWindowMs)).toBeLessThanOrEqual(20);
    expect(site.maxInFlight).toBeLessThanOrEqual(2);
    expect(new Set(site.requests.map((request) => request.userAgent))).toEqual(new Set([expect.stringMatching(/^listings-pipeline\/\S+ \(\+https:/)]));
  });

  it('promoted, then read after the site\'s layout changed: the run fails naming the selector and the page; nothing is staged, nothing deleted', async () => {
    await approveAndPromote(admin, runId);
    const shown = `SELECT count(*)::int n FROM public.listing_info WHERE dmo_id = $1 AND info_visible`;
    expect((await t.ctx.db.query(shown, [source.dmoId])).rows[0].n).toBe(visible.length);

    site.reset(places, { perPage: 15 }, 'layout-changed');
    const broken = await startRun(source.configId);
    const failed = await waitForRun(admin, broken, ['failed']);
    expect(failed.error_summary).toMatch(/import\.list\.item "article\.listing" matched nothing on http:\/\/127\.0\.0\.1:\d+\/listings: has the site's layout changed\? Nothing was imported/);
    expect(await stagedCount(broken)).toBe(0);
    expect((await t.ctx.db.query(shown, [source.dmoId])).rows[0].n).toBe(visible.length);
    expect(site.requests.map((request) => request.path)).toEqual(['/robots.txt', '/listings']);
  });
});

it('at a low rate over a few pages: at most 2 requests a second, and 2 detail pages in flight, never more', async () => {
  // each detail page takes 2 s: at 2 a second a scraper without its limit would have 3 or 4 in flight
  const places = sitePlaces(6);
  site.reset(places, { perPage: 3, detailLatencyMs: 2_000 });
  const { configId } = await websiteSource({ rate_per_sec: 2 });
  const runId = await startRun(configId);
  await waitForRun(admin, runId, ['awaiting_review']);
  expect(await stagedRows(runId)).toEqual(places.map(expectedRow));
  expect(site.requests).toHaveLength(1 + 2 + 6);
  expect(site.maxArrivalsWithin(rateWindowMs)).toBeLessThanOrEqual(2);
  expect(site.maxInFlight).toBe(2);
});

it('robots.txt\'s Crawl-delay, longer than our rate, slows the scraper to it', async () => {
  const places = sitePlaces(4);
  site.reset(places, { perPage: 2, robots: { body: 'User-agent: *\nCrawl-delay: 0.5\n' } });
  const { configId } = await websiteSource({ rate_per_sec: 50 });
  const runId = await startRun(configId);
  await waitForRun(admin, runId, ['awaiting_review']);
  expect(await stagedCount(runId)).toBe(4);
  expect(site.requests).toHaveLength(1 + 2 + 4);
  expect(site.maxArrivalsWithin(rateWindowMs)).toBeLessThanOrEqual(2); // 2 a second, not 50
});

it('a ?page=N pattern, fields read in the list items, no robots.txt (404): read until a page has no listings', async () => {
  const places = sitePlaces(25).map((place) => ({ ...place, hidden: false }));
  site.reset(places, { perPage: 10, robots: { status: 404, body: 'Not found' } });
  const { configId } = await websiteSource({
    list: { item: 'article.listing' }, next: { page_pattern: '/listings?page={page}' },
    fields: { key: { selector: '[data-listing-id]', attr: 'data-listing-id' }, name: { selector: 'h2' }, city: { selector: '.city' }, link: { selector: 'a.more', attr: 'href' } },
    source_id_column: 'key',
  }, { 'listings.name': 'name', 'locations.city': 'city' });
  const runId = await startRun(configId);
  await waitForRun(admin, runId, ['awaiting_review']);
  const { rows } = await t.ctx.db.query('SELECT source_id, name, city FROM staging.rows WHERE job_id = $1 AND file_seq > 0 ORDER BY rec_num', [runId]);
  expect(rows).toEqual(places.map((place) => ({ source_id: place.key, name: place.name, city: place.city })));
  expect(site.requests.map((request) => request.url)).toEqual(['/robots.txt', '/listings?page=1', '/listings?page=2', '/listings?page=3', '/listings?page=4']);
});

it('a 429 with Retry-After and a 500 in the middle of the listing are retried to a complete run', async () => {
  const places = sitePlaces(40).map((place) => ({ ...place, hidden: false }));
  site.reset(places, { perPage: 10 });
  site.inject(2, 'rate-limited', { times: 1 }).inject(3, 'error500', { times: 1 }).inject('/places/l35', 'error500', { times: 1 });
  const { configId } = await websiteSource();
  const runId = await startRun(configId);
  await waitForRun(admin, runId, ['awaiting_review']);
  expect(await stagedRows(runId)).toEqual(places.map(expectedRow));
  const answers = (filter: (path: string, page: number | null) => boolean) =>
    site.requests.filter((request) => filter(request.path, request.page)).map((request) => request.answer);
  expect(answers((_, page) => page === 2)).toEqual(['rate-limited', 'ok']);
  expect(answers((_, page) => page === 3)).toEqual(['error500', 'ok']);
  expect(answers((path) => path === '/places/l35')).toEqual(['error500', 'ok']);
  const [limited, retried] = site.requests.filter((request) => request.page === 2);
  expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(950); // Retry-After: 1
});

it('a page retried after a 500 goes back through the host\'s rate: a Crawl-delay of 1.5 s spaces the retry too', async () => {
  const places = sitePlaces(4).map((place) => ({ ...place, hidden: false }));
  site.reset(places, { perPage: 2, robots: { body: 'User-agent: *\nCrawl-delay: 1.5\n' } });
  site.inject(2, 'error500', { times: 1 });
  const { configId } = await websiteSource({ rate_per_sec: 50 });
  const runId = await startRun(configId);
  await waitForRun(admin, runId, ['awaiting_review']);
  expect(await stagedCount(runId)).toBe(4);
  const [failed, retried] = site.requests.filter((request) => request.page === 2);
  expect([failed!.answer, retried!.answer]).toEqual(['error500', 'ok']);
  // the client's own retry waited its 1 s backoff, inside the grant of the first try
  expect(retried!.at - failed!.at).toBeGreaterThanOrEqual(1_450);
  expect(site.maxArrivalsWithin(1_450)).toBe(1);
});

describe('a run fails with a clear error, and stages nothing, when', () => {
  const places = sitePlaces(30).map((place) => ({ ...place, hidden: false }));

  it.each([
    ['the next link leads back to the page it is on', () => site.setMode('endless'),
      /the next link of list page 2 \(import\.next\.link\) leads back to http:\/\/127\.0\.0\.1:\d+\/listings\?page=2, already read: the pages would never end/],
    ['a list page redirects to 127.0.0.2', () => site.inject(2, 'redirect-private'),
      /GET http:\/\/127\.0\.0\.1:\d+\/listings\?page=2 was redirected to http:\/\/127\.0\.0\.2:\d+\/listings\?page=2, which is refused: 127\.0\.0\.2 is in the loopback range/],
    ['a detail page redirects to 127.0.0.2', () => site.inject('/places/l4', 'redirect-private'),
      /GET http:\/\/127\.0\.0\.1:\d+\/places\/l4 was redirected to http:\/\/127\.0\.0\.2:\d+\/places\/l4, which is refused/],
    ['the detail pages\' layout changed', () => site.setMode('detail-layout-changed'),
      /import\.fields\.name\.selector "h1\[itemprop=name\]" matched nothing on any of the 30 detail pages read \(the first: http:\/\/127\.0\.0\.1:\d+\/places\/l1\): has the site's layout changed\?/],
    ['robots.txt answers 503', () => site.reset(places, { perPage: 10, robots: { status: 503 } }),
      /GET http:\/\/127\.0\.0\.1:\d+\/robots\.txt answered 503: a site whose robots\.txt cannot be read .* may not be crawled at all/],
    ['robots.txt asks for a Crawl-delay of an hour', () => site.reset(places, { perPage: 10, robots: { body: 'User-agent: *\nCrawl-delay: 3600\n' } }),
      /http:\/\/127\.0\.0\.1:\d+\/robots\.txt asks for Crawl-delay: 3600, more than the 60 s between requests a crawl waits: the site asks for less than a crawl can do \(1,000 pages would take 42 days\)/],
    ['robots.txt disallows the list itself', () => site.reset(places, { perPage: 10, robots: { body: 'User-agent: listings-pipeline\nDisallow: /listings\n' } }),
      /robots\.txt of 127\.0\.0\.1:\d+ disallows http:\/\/127\.0\.0\.1:\d+\/listings \(import\.base_url\) to us; nothing was read/],
  ])('%s', async (_, hostile, message) => {
    site.reset(places, { perPage: 10 });
    hostile();
    const { configId } = await websiteSource();
    const runId = await startRun(configId);
    const failed = await waitForRun(admin, runId, ['failed']);
    expect(failed.error_summary).toMatch(new RegExp(`^import step failed: 127\\.0\\.0\\.1:\\d+: ${message.source}`));
    expect(await stagedCount(runId)).toBe(0);
    expect(site.requests.filter((request) => request.path.startsWith('/private'))).toEqual([]);
  });
});

describe('a listing read only in part fails the run (its unread pages would read as listings gone, proposed for deletion)', () => {
  const places = sitePlaces(30).map((place) => ({ ...place, hidden: false }));
  const pattern = { next: { page_pattern: '/listings?page={page}' } };
  const partial = 'a listing read in part would propose deleting the listings not read; nothing was imported';

  it.each([
    ['the next link leads past import.max_pages', { max_pages: 2 }, () => {},
      `list page 3 \\(http://127\\.0\\.0\\.1:\\d+/listings\\?page=3\\) is past import\\.max_pages \\(2\\): the site has more list pages; raise import\\.max_pages`],
    ['a page pattern has listings past import.max_pages', { max_pages: 2, ...pattern }, () => {},
      `list page 3 \\(http://127\\.0\\.0\\.1:\\d+/listings\\?page=3\\) is past import\\.max_pages \\(2\\): the site has more list pages; raise import\\.max_pages`],
    ['robots.txt disallows list page 3', {}, () => site.reset(places, { perPage: 10, robots: { body: 'User-agent: *\nDisallow: /listings?page=3\n' } }),
      `robots\\.txt of 127\\.0\\.0\\.1:\\d+ disallows list page 3 \\(http://127\\.0\\.0\\.1:\\d+/listings\\?page=3\\) to us, so the listing cannot be read whole`],
    ['list page 2, reached by its next link, has no listings (a maintenance page served as 200)', {}, () => site.inject(2, 'maintenance'),
      `list page 2 \\(http://127\\.0\\.0\\.1:\\d+/listings\\?page=2\\), linked by import\\.next\\.link "a\\[rel=next\\]" from page 1, has no listings \\(import\\.list\\.item "article\\.listing" matched nothing\\): is the site down for maintenance\\?`],
  ])('%s', async (_, importParams, hostile, message) => {
    site.reset(places, { perPage: 10 });
    hostile();
    const { configId } = await websiteSource(importParams);
    const runId = await startRun(configId);
    const failed = await waitForRun(admin, runId, ['failed']);
    expect(failed.error_summary).toMatch(new RegExp(`^import step failed: 127\\.0\\.0\\.1:\\d+: ${message}.*; ${partial}$`));
    expect(await stagedCount(runId)).toBe(0);
  });

  it('a page pattern whose pages number exactly import.max_pages ends at the empty page after them, as a whole listing', async () => {
    site.reset(places, { perPage: 10 });
    const { configId } = await websiteSource({ max_pages: 3, ...pattern });
    const runId = await startRun(configId);
    await waitForRun(admin, runId, ['awaiting_review']);
    expect(await stagedCount(runId)).toBe(30);
    expect(site.requests.filter((request) => request.page !== null).map((request) => request.page)).toEqual([1, 2, 3, 4]);
  });
});

it('a page pattern the site ignores (every page the first) fails the run instead of reading page 1 a thousand times', async () => {
  site.reset(sitePlaces(30), { perPage: 10 });
  const { configId } = await websiteSource({ next: { page_pattern: '/listings?p={page}' } });
  const runId = await startRun(configId);
  const failed = await waitForRun(admin, runId, ['failed']);
  expect(failed.error_summary).toMatch(/list page 2 \(http:\/\/127\.0\.0\.1:\d+\/listings\?p=2\) lists the same listings as http:\/\/127\.0\.0\.1:\d+\/listings\?p=1: the site ignores the page asked for/);
  expect(await stagedCount(runId)).toBe(0);
  expect(site.requests.filter((request) => request.path === '/listings')).toHaveLength(2);
});

it('a config whose mapping names a field it does not scrape fails before any request, naming it', async () => {
  site.reset(sitePlaces(5));
  const { configId } = await websiteSource({}, { ...detailMapping, 'locations.zip': 'postcode' });
  const runId = await startRun(configId);
  const failed = await waitForRun(admin, runId, ['failed']);
  expect(failed.error_summary).toMatch(/the config maps "postcode", which import\.fields does not scrape: its fields are "url", /);
  expect(site.requests).toEqual([]);
});
