// WordPress and Drupal sources end to end: runs read local fixture sites that speak each real
// protocol (test/fixtures/wordpress-site.ts, drupal-site.ts) page by page, with real PostgreSQL,
// Redis and workers. Every request stays on 127.0.0.1 (ALLOW_PRIVATE_HOSTS=127.0.0.1 only).
import type { ApiClient } from './harness/http';
import type { TestContext } from './harness/context';
import {
  approveAndPromote, createCsvSource, listingsCsv, makeListings, startCsvRun, startPipelineUnderTest, waitForRun, type PipelineUnderTest,
} from './harness/pipeline';
import { DrupalSite, type DrupalFault } from './fixtures/drupal-site';
import type { CommonFault, SitePlace } from './fixtures/site-server';
import { WordPressSite, type WordPressFault } from './fixtures/wordpress-site';
import { resolveConfig } from '../src/domain/config-params';
import { queueNames } from '../src/queues/names';
import { readPath } from '../src/domain/record-paths';
import { httpClientFromSettings } from '../src/http/client';
import { openDrupal } from '../src/sources/drupal';
import type { SourceOpener } from '../src/sources/source';
import { openWordPress } from '../src/sources/wordpress';

jest.setTimeout(120_000);

const timeoutMs = 1_500;
const maxBytes = 1024 * 1024;

let product: PipelineUnderTest;
let t: TestContext;
let admin: ApiClient;
let wordpress: WordPressSite;
let drupal: DrupalSite;

beforeAll(async () => {
  // no image worker: the sites' records name images on the sites themselves, and these tests count
  // each site's requests (downloading images is test/images.test.ts's)
  product = await startPipelineUnderTest({ HTTP_TIMEOUT_MS: String(timeoutMs), HTTP_MAX_BYTES: String(maxBytes) },
    queueNames.filter((queue) => queue !== 'image'));
  ({ t, admin } = product);
  wordpress = await WordPressSite.start([]);
  drupal = await DrupalSite.start([]);
});
afterAll(async () => {
  await wordpress?.close();
  await drupal?.close();
  await product?.close();
});

/** The CSV harness's places as a DMO's site holds them: with images, tags, an & and a second paragraph here and there. */
function sitePlaces(count: number, options: { plain?: boolean } = {}): SitePlace[] {
  return makeListings(count).map((row, i) => {
    const place: SitePlace = {
      key: row.id, name: row.name, description: row.description, address: row.address, city: row.city,
      lat: Number(row.lat), lng: Number(row.lng), email: row.email,
    };
    if (options.plain) return place;
    return {
      ...place,
      name: i % 5 === 0 ? `${row.name} Fish & Chips` : row.name,
      description: i % 4 === 0 ? `${row.description}\n\nCafé & bakery <open> "all day".` : row.description,
      ...(i % 3 === 0 ? { image: `place-${i + 1}.jpg` } : {}),
      tags: i % 2 ? ['Seafood', 'Family friendly'] : ['Harbour tours'],
    };
  });
}

const wordpressMapping = {
  'listings.name': 'title.rendered', 'listing_info.description': 'content.rendered', 'locations.address1': 'acf.street_address',
  'locations.city': 'acf.location.city', 'locations.lat': 'acf.location.lat', 'locations.lng': 'acf.location.lng', 'contact_info.email': 'acf.email',
};
const wordpressFullMapping = {
  ...wordpressMapping, 'listing_images.image': '_embedded.wp:featuredmedia.0.source_url', 'attributes.names': '_embedded.wp:term.1.*.name',
};
const drupalMapping = {
  'listings.name': 'title', 'listing_info.description': 'body.processed', 'locations.address1': 'field_address.address_line1',
  'locations.city': 'field_address.locality', 'locations.lat': 'field_location.lat', 'locations.lng': 'field_location.lon',
  'contact_info.email': 'field_email', 'listing_images.image': 'field_image.uri.url', 'attributes.names': 'field_tags.*.name',
};

let sources = 0;
/** A DMO (or the one given) and a config of a fetching source for it. */
async function siteSource(sourceType: 'wordpress' | 'drupal', importParams: Record<string, unknown>, mapFields: Record<string, string>, dmoId?: number) {
  sources += 1;
  const dmo = dmoId ?? (await admin.post('/api/v1/pipeline/dmos', { name: `Site DMO ${sources}`, dmo_type_id: 3 })).body.id;
  const config = await admin.post('/api/v1/pipeline/configs', {
    dmo_id: dmo, source_type: sourceType, config_params: { import: importParams, transform: { map_fields: mapFields } },
  });
  if (config.status !== 201) throw new Error(`config: ${config.status} ${JSON.stringify(config.body)}`);
  return { dmoId: dmo as number, configId: config.body.id as number };
}

/** A fetching source's run: queued at once, no upload. */
async function startSiteRun(configId: number): Promise<number> {
  const { body } = await admin.post('/api/v1/pipeline/executeStage', { configId });
  expect(body.status).toBe('queued');
  return body.jobId as number;
}

const wordpressSource = (params: Record<string, unknown> = {}, mapping: Record<string, string> = wordpressFullMapping, dmoId?: number) =>
  siteSource('wordpress', { base_url: wordpress.url, source_id_column: 'acf.listing_id', ...params }, mapping, dmoId);
const drupalSource = (params: Record<string, unknown> = {}) =>
  siteSource('drupal', { base_url: drupal.url, bundle: 'listing', include: ['field_image', 'field_tags'], source_id_column: 'field_listing_id', ...params }, drupalMapping);

async function stagedRows(runId: number) {
  const { rows } = await t.ctx.db.query(
    `SELECT source_id, action, name, description, address1, city, lat::float AS lat, lng::float AS lng, contact->>'email' AS email, images, attributes
       FROM staging.rows WHERE job_id = $1 AND file_seq > 0 ORDER BY rec_num`, [runId]);
  return rows;
}
const stagedCount = async (runId: number) => (await t.ctx.db.query('SELECT count(*)::int n FROM staging.rows WHERE job_id = $1', [runId])).rows[0].n as number;

/** What a staged row of this place holds: the HTML of the site read back as the text it was. */
const expectedRow = (place: SitePlace, imageUrl: (file: string) => string) => ({
  source_id: place.key, action: 'insert', name: place.name, description: place.description, address1: place.address, city: place.city,
  lat: place.lat, lng: place.lng, email: place.email, images: place.image ? [imageUrl(place.image)] : [], attributes: place.tags ?? [],
});

/** A source opened as the import step opens it, on the product's HTTP client (127.0.0.1 allowed only). */
async function readSource(open: SourceOpener, sourceType: 'wordpress' | 'drupal', importParams: Record<string, unknown>) {
  const source = await open({
    config: resolveConfig({ import: importParams }, sourceType), upload: null, http: httpClientFromSettings(t.settings), credentials: {},
    redis: t.ctx.redis, queuePrefix: t.settings.QUEUE_PREFIX, log: t.ctx.log,
  }, () => undefined);
  const records = [];
  for await (const record of source.records) records.push(record);
  return { source, records };
}

describe('the records a site gives', () => {
  const places = sitePlaces(7);

  it('a WordPress post is one record as WordPress nests it, its line its place in the whole listing', async () => {
    wordpress.reset(places);
    const { records } = await readSource(openWordPress, 'wordpress', { base_url: wordpress.url, per_page: 3 });
    expect(records.map((record) => record.line)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(records.map((record) => record.fields.id)).toEqual(places.map((_, i) => WordPressSite.postId(i)));
    const first = records[0]!.fields;
    expect(readPath(first, 'title.rendered')).toBe('Harbour Place 1 Fish &#038; Chips');
    expect(readPath(first, 'acf.location.lat')).toBe(places[0]!.lat);
    expect(readPath(first, '_embedded.wp:featuredmedia.0.source_url')).toBe(wordpress.imageUrl('place-1.jpg'));
    expect(readPath(first, '_embedded.wp:term.1.*.name')).toEqual(['Harbour tours']);
  });

  it('a Drupal node is one record with its relationships resolved from included; what is not included keeps its identifier', async () => {
    drupal.reset(places);
    const { records } = await readSource(openDrupal, 'drupal', { base_url: drupal.url, bundle: 'listing', include: ['field_image', 'field_tags'], page_limit: 3 });
    expect(records.map((record) => record.line)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const first = records[0]!.fields;
    expect(first).toMatchObject({ type: 'node--listing', title: 'Harbour Place 1 Fish & Chips', field_listing_id: 'L1' });
    expect(first.field_image).toMatchObject({
      type: 'file--file', filename: 'place-1.jpg', uri: { value: 'public://2024-05/place-1.jpg', url: drupal.imageUrl('place-1.jpg') }, meta: { alt: 'Harbour Place 1 Fish & Chips' },
    });
    expect(readPath(records[1]!.fields, 'field_tags.*.name')).toEqual(['Seafood', 'Family friendly']);
    expect(records[1]!.fields.field_image).toBeNull();
    // not asked for: the node type, the author, a term's "virtual" parent stay as identifiers
    expect(first.node_type).toEqual({ type: 'node_type--node_type', id: expect.any(String), meta: { drupal_internal__target_id: 'listing' } });
    expect(first.uid).toEqual({ type: 'user--user', id: expect.any(String), meta: { drupal_internal__target_id: 2 } });
    expect(readPath(first, 'field_tags.0.parent.0')).toMatchObject({ type: 'taxonomy_term--tags', id: 'virtual' });
  });
});

describe('a WordPress site', () => {
  const places = sitePlaces(260);

  it('is read page by page, and its 260 posts are staged field by field as the site holds them', async () => {
    wordpress.reset(places);
    const { configId } = await wordpressSource();
    const runId = await startSiteRun(configId);
    const staged = await waitForRun(admin, runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: 260, records_new: 260, records_error: 0 });
    const rows = await stagedRows(runId);
    expect(rows).toEqual(places.map((place) => expectedRow(place, (file) => wordpress.imageUrl(file))));
    expect(rows.find((row) => row.source_id === 'L1')).toMatchObject({
      name: 'Harbour Place 1 Fish & Chips', description: 'A fine place number 1, by the sea.\n\nCafé & bakery <open> "all day".',
    });

    // three pages of 100, each asked with _embed, oldest post first
    const requests = wordpress.pageRequests;
    expect(requests.map((request) => request.page)).toEqual([1, 2, 3]);
    for (const request of requests) {
      expect(request.path).toBe('/wp-json/wp/v2/posts');
      expect(Object.fromEntries(request.query)).toMatchObject({ per_page: '100', _embed: '1', orderby: 'id', order: 'asc' });
    }
  });

  it('without map_fields, the mapping saved with the run takes WordPress\'s own fields', async () => {
    wordpress.reset(places);
    const { configId } = await wordpressSource({}, {});
    const runId = await startSiteRun(configId);
    // WordPress's own fields, and the rest guessed from the ACF fields' names alone (not from WordPress's type or tags)
    const staged = await waitForRun(admin, runId, ['awaiting_review']);
    const { rows } = await t.ctx.db.query('SELECT config_params FROM pipeline.job_configs WHERE job_id = $1', [runId]);
    expect(rows[0].config_params.transform.map_fields).toEqual({
      'listings.name': 'title.rendered', 'listing_info.description': 'content.rendered',
      'listing_images.image': '_embedded.wp:featuredmedia.0.source_url', 'locations.address1': 'acf.street_address',
      'locations.city': 'acf.location.city', 'locations.lat': 'acf.location.lat', 'locations.lng': 'acf.location.lng', 'contact_info.email': 'acf.email',
      // an ACF Google Map field's parts
      'listings.google_place_id': 'acf.location.place_id', 'locations.country': 'acf.location.country', 'locations.state': 'acf.location.state',
      'locations.zip': 'acf.location.post_code',
    });
    expect(staged.results).toMatchObject({ records_total: 260, records_new: 260, records_error: 0 });
    const first = (await stagedRows(runId))[0];
    expect(first).toMatchObject({ name: places[0]!.name, city: places[0]!.city, lat: places[0]!.lat, email: places[0]!.email });
  });

  it('a custom post type, the config\'s query and a smaller per_page reach the site; the posts are read in as many pages', async () => {
    const site = await WordPressSite.start(places.slice(0, 45), { postType: 'listings' });
    try {
      const { configId } = await siteSource('wordpress', {
        base_url: `${site.url}/wp-json/`, post_type: 'listings', per_page: 20, embed: false, query: { lang: 'en' }, source_id_column: 'acf.listing_id',
      }, wordpressMapping);
      const runId = await startSiteRun(configId);
      const staged = await waitForRun(admin, runId, ['awaiting_review']);
      expect(staged.results).toMatchObject({ records_total: 45, records_new: 45 });
      expect(site.pageRequests.map((request) => [request.path, request.query.get('per_page'), request.query.get('lang'), request.query.has('_embed')])).toEqual([
        ['/wp-json/wp/v2/listings', '20', 'en', false], ['/wp-json/wp/v2/listings', '20', 'en', false], ['/wp-json/wp/v2/listings', '20', 'en', false]]);
    } finally {
      await site.close();
    }
  });

  it('the same DMO imported from CSV, then from WordPress with the same places, stages them unchanged (and updated where the text differs), never insert', async () => {
    const listings = makeListings(120);
    const { dmoId, configId: csvConfig } = await createCsvSource(admin, 'Visit Harbour From CSV');
    const csvRun = await startCsvRun(admin, csvConfig, listingsCsv(listings));
    await waitForRun(admin, csvRun, ['awaiting_review']);
    await approveAndPromote(admin, csvRun);

    const onSite = sitePlaces(120, { plain: true });
    for (const index of [4, 50, 99]) onSite[index]!.description = `${onSite[index]!.description}\n\nNow with a sauna.`;
    wordpress.reset(onSite);
    const { configId } = await wordpressSource({ per_page: 50 }, wordpressMapping, dmoId);
    const runId = await startSiteRun(configId);
    const staged = await waitForRun(admin, runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: 120, records_new: 0, records_updated: 3, records_unchanged: 117, records_duplicates: 0, records_error: 0 });
    const updated = (await stagedRows(runId)).filter((row) => row.action === 'update').map((row) => row.source_id);
    expect(updated).toEqual(['L5', 'L51', 'L100']);
  });

  it('a 500 once mid-pagination and a 429 with Retry-After are retried, and the run completes with every post', async () => {
    wordpress.reset(places);
    wordpress.inject(2, 'error500', { times: 1 }).inject(3, 'rate-limited', { times: 1 });
    const { configId } = await wordpressSource();
    const runId = await startSiteRun(configId);
    const staged = await waitForRun(admin, runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: 260, records_new: 260 });
    expect(wordpress.pageRequests.map((request) => [request.page, request.answer])).toEqual([
      [1, 'ok'], [2, 'error500'], [2, 'ok'], [3, 'rate-limited'], [3, 'ok']]);
  });

  const hostile: [string, number, WordPressFault | CommonFault, RegExp][] = [
    ['an HTML page instead of JSON', 2, 'html', /page=2.* answered an HTML page \("Site under maintenance"\) \(text\/html; charset=UTF-8\), not the JSON of the WordPress REST API/],
    ['JSON that is not a list of posts', 1, 'not-a-list', /page=1.* answered JSON that is not a list of posts \(an object with page, posts\)/],
    ['a page repeating the previous page\'s posts', 2, 'repeat-previous', /page=2.* \(page 2\) gave post 10 again, already read on page 1: the site repeats its pages/],
    ['more pages than X-WP-TotalPages promised', 2, 'more-pages', /page=2.* says the listing has 4 pages \(X-WP-TotalPages\), more than the 3 its first page promised/],
    ['a page count beyond any site\'s', 1, 'huge-page-count', /says the listing has 50000 pages \(X-WP-TotalPages\), more than the 10000/],
    ['a body over the size limit', 2, 'oversized', new RegExp(`page=2.* sent more than the ${maxBytes} bytes allowed`)],
    ['a redirect to 127.0.0.2', 2, 'redirect-private', /page=2.* was redirected to http:\/\/127\.0\.0\.2:\d+\/wp-json\/wp\/v2\/posts\?.*which is refused: 127\.0\.0\.2 is in the loopback range/],
    ['a page that never answers', 3, 'timeout', new RegExp(`page=3.* did not finish within ${timeoutMs} ms \\(timeoutMs, HTTP_TIMEOUT_MS\\) after 3 tries`)],
  ];
  it.each(hostile)('%s fails the run naming the problem and the page, and stages nothing', async (_case, page, fault, message) => {
    wordpress.reset(places);
    wordpress.inject(page, fault);
    const { configId } = await wordpressSource();
    const runId = await startSiteRun(configId);
    const failed = await waitForRun(admin, runId, ['failed']);
    expect(failed.error_summary).toMatch(new RegExp(`^import step failed: 127\\.0\\.0\\.1:\\d+: GET ${wordpress.url.replace(/\./g, '\\.')}/wp-json/wp/v2/posts\\?`));
    expect(failed.error_summary).toMatch(message);
    expect(await stagedCount(runId)).toBe(0);
  });

  it('a config without import.base_url fails its run naming the setting', async () => {
    const { configId } = await siteSource('wordpress', {}, wordpressMapping);
    const failed = await waitForRun(admin, await startSiteRun(configId), ['failed']);
    expect(failed.error_summary).toMatch(/import\.base_url is not set/);
  });

  it('a config with a user but no password is refused, not read as the public site', async () => {
    wordpress.reset(places);
    const { configId } = await wordpressSource({ username: 'editor' });
    const failed = await waitForRun(admin, await startSiteRun(configId), ['failed']);
    expect(failed.error_summary).toMatch(/import\.username is set but the application_password credential is not/);
    expect(wordpress.requests).toHaveLength(0);
  });

  it('a post type the site does not have names import.post_type', async () => {
    wordpress.reset(places);
    const { configId } = await wordpressSource({ post_type: 'events' });
    const failed = await waitForRun(admin, await startSiteRun(configId), ['failed']);
    expect(failed.error_summary).toMatch(/answered 404: the site has no REST route \/wp\/v2\/events; check import\.post_type/);
  });
});

describe('a Drupal site', () => {
  const places = sitePlaces(260);

  it('is read by its next links, and its 260 nodes with their included images and tags are staged field by field', async () => {
    drupal.reset(places);
    const { configId } = await drupalSource();
    const runId = await startSiteRun(configId);
    const staged = await waitForRun(admin, runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: 260, records_new: 260, records_error: 0 });
    expect(await stagedRows(runId)).toEqual(places.map((place) => expectedRow(place, (file) => drupal.imageUrl(file))));

    // six pages of 50 (Drupal's most), each following the previous page's links.next
    const requests = drupal.pageRequests;
    expect(requests.map((request) => request.page)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Object.fromEntries(requests[0]!.query)).toEqual({ 'page[limit]': '50', include: 'field_image,field_tags' });
    expect(requests[5]!.query.get('page[offset]')).toBe('250');
    for (const request of requests) expect(request.accept).toBe('application/vnd.api+json');
  });

  it('without include nothing is asked to be included; without map_fields, title and body.processed are mapped', async () => {
    drupal.reset(places.slice(0, 30));
    const { configId } = await siteSource('drupal', { base_url: drupal.url, bundle: 'listing' }, {});
    const runId = await startSiteRun(configId);
    const staged = await waitForRun(admin, runId, ['awaiting_review']);
    expect(drupal.pageRequests[0]!.query.has('include')).toBe(false);
    const { rows } = await t.ctx.db.query('SELECT config_params FROM pipeline.job_configs WHERE job_id = $1', [runId]);
    // Drupal's own title and body, the rest guessed from the field_* names (never from the tags, which a name alias would take)
    expect(rows[0].config_params.transform.map_fields).toMatchObject({
      'listings.name': 'title', 'listing_info.description': 'body.processed', 'locations.city': 'field_address.locality',
      'locations.lat': 'field_location.lat', 'locations.lng': 'field_location.lon',
    });
    // every node read and staged (matched to the listings an earlier test promoted from the same places, or new)
    expect(staged.results).toMatchObject({ records_total: 30, records_error: 0 });
    expect(await stagedCount(runId)).toBe(30);
  });

  it('a 500 once mid-pagination and a 429 with Retry-After are retried, and the run completes with every node', async () => {
    drupal.reset(places);
    drupal.inject(3, 'error500', { times: 1 }).inject(5, 'rate-limited', { times: 1 });
    const { configId } = await drupalSource();
    const runId = await startSiteRun(configId);
    const staged = await waitForRun(admin, runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: 260, records_new: 260 });
    expect(drupal.pageRequests.map((request) => request.answer)).toEqual(['ok', 'ok', 'error500', 'ok', 'ok', 'rate-limited', 'ok', 'ok']);
  });

  const hostile: [string, number, DrupalFault | CommonFault, RegExp][] = [
    ['an HTML page instead of JSON', 3, 'html', /answered an HTML page \("Site under maintenance"\) .*not the JSON of a Drupal JSON:API/],
    ['JSON that is not a JSON:API document', 1, 'not-jsonapi', /answered JSON that is not a JSON:API document with a data list \(an object with count, nodes\)/],
    ['a next link already visited', 2, 'endless-next', /links\.next of page 2 goes back to .*page%5Boffset%5D=50.*, a page already read: the listing would never end/],
    ['a page repeating the previous page\'s nodes', 2, 'repeat-previous', /\(page 2\) gave resource [0-9a-f-]{36} again, already read on page 1/],
    ['a next link to another origin', 1, 'foreign-next', /links\.next of page 1 points to another site \(http:\/\/127\.0\.0\.2:\d+\), which is not followed/],
    ['a body over the size limit', 2, 'oversized', new RegExp(`sent more than the ${maxBytes} bytes allowed`)],
    ['a redirect to 127.0.0.2', 2, 'redirect-private', /was redirected to http:\/\/127\.0\.0\.2:\d+\/jsonapi\/node\/listing\?.*which is refused/],
    ['a page that never answers', 2, 'timeout', new RegExp(`did not finish within ${timeoutMs} ms`)],
  ];
  it.each(hostile)('%s fails the run naming the problem and the URL, and stages nothing', async (_case, page, fault, message) => {
    drupal.reset(places);
    drupal.inject(page, fault);
    const { configId } = await drupalSource();
    const runId = await startSiteRun(configId);
    const failed = await waitForRun(admin, runId, ['failed']);
    expect(failed.error_summary).toMatch(new RegExp(`^import step failed: 127\\.0\\.0\\.1:\\d+: GET ${drupal.url.replace(/\./g, '\\.')}/jsonapi/node/listing\\?`));
    expect(failed.error_summary).toMatch(message);
    expect(await stagedCount(runId)).toBe(0);
  });

  it('a config without import.bundle fails its run naming the setting', async () => {
    const { configId } = await siteSource('drupal', { base_url: drupal.url }, drupalMapping);
    const failed = await waitForRun(admin, await startSiteRun(configId), ['failed']);
    expect(failed.error_summary).toMatch(/import\.bundle is not set/);
  });
});
