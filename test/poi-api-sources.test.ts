// POI data sets and paginated APIs end to end: runs read GeoJSON uploads, a GeoJSON file on a local
// server (test/fixtures/poi-files.ts) and a fake Priceline-like partner API (test/fixtures/partner-api.ts)
// with real PostgreSQL, Redis and workers. Every request stays on 127.0.0.1 (ALLOW_PRIVATE_HOSTS=127.0.0.1
// only). The API's key path is tested in src/sources/api.test.ts until configs hold credentials; here the
// API is open.
import type { ApiClient } from './harness/http';
import type { TestContext } from './harness/context';
import { startCsvRun, startPipelineUnderTest, waitForRun, type PipelineUnderTest } from './harness/pipeline';
import { makeHotels, PartnerApi, type PartnerFault, type PartnerHotel } from './fixtures/partner-api';
import { esriFeature, featureCollection, makePoiPlaces, osmFeature, PoiFileServer, type PoiPlace } from './fixtures/poi-files';
import type { CommonFault } from './fixtures/site-server';

jest.setTimeout(120_000);

const timeoutMs = 1_500;
const maxBytes = 1024 * 1024;

let product: PipelineUnderTest;
let t: TestContext;
let admin: ApiClient;
let files: PoiFileServer;
let partner: PartnerApi;

beforeAll(async () => {
  product = await startPipelineUnderTest({ HTTP_TIMEOUT_MS: String(timeoutMs), HTTP_MAX_BYTES: String(maxBytes) });
  ({ t, admin } = product);
  files = await PoiFileServer.start();
  partner = await PartnerApi.start([], { apiKey: null, oversizedBytes: 2 * maxBytes });
});
afterAll(async () => {
  await files?.close();
  await partner?.close();
  await product?.close();
});

let sources = 0;
async function source(sourceType: 'poi' | 'api', config_params: Record<string, unknown>) {
  sources += 1;
  const dmo = await admin.post('/api/v1/pipeline/dmos', { name: `POI DMO ${sources}`, dmo_type_id: 3 });
  const config = await admin.post('/api/v1/pipeline/configs', { dmo_id: dmo.body.id, source_type: sourceType, config_params });
  if (config.status !== 201) throw new Error(`config: ${config.status} ${JSON.stringify(config.body)}`);
  return config.body.id as number;
}

/** A fetching source's run: queued at once, no upload. */
async function startFetchRun(configId: number): Promise<number> {
  const { body } = await admin.post('/api/v1/pipeline/executeStage', { configId });
  expect(body.status).toBe('queued');
  return body.jobId as number;
}

async function stagedRows(runId: number) {
  const { rows } = await t.ctx.db.query(
    `SELECT source_id, action, name, category, address1, city, zip, lat::float AS lat, lng::float AS lng,
            contact->>'website_url' AS website, contact->>'local_phone' AS phone
       FROM staging.rows WHERE job_id = $1 AND file_seq > 0 ORDER BY rec_num`, [runId]);
  return rows;
}
const stagedCount = async (runId: number) => (await t.ctx.db.query('SELECT count(*)::int n FROM staging.rows WHERE job_id = $1', [runId])).rows[0].n as number;

/** What a staged row of an OSM place holds, read through the poi source's own known fields. */
const osmRow = (place: PoiPlace) => ({
  source_id: place.key, action: 'insert', name: place.name, category: place.category, address1: `${place.housenumber} ${place.street}`,
  city: place.city, zip: place.postcode, lat: place.lat, lng: place.lng, website: place.website, phone: expect.any(String),
});

describe('a POI data set', () => {
  const places = makePoiPlaces(270);

  it('a GeoJSON upload of 270 OSM points and outlines is staged field by field, outlines at their centroids, with the source\'s own mapping', async () => {
    expect(places.filter((place) => place.shape === 'polygon')).toHaveLength(90);
    const configId = await source('poi', { import: { source_id_column: 'id' } });
    const runId = await startCsvRun(admin, configId, featureCollection(places.map(osmFeature)), 'pois.geojson');
    const staged = await waitForRun(admin, runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: 270, records_new: 270, records_error: 0 });
    const rows = await stagedRows(runId);
    expect(rows).toEqual(places.map(osmRow));
    // the phone is normalized (E.164 or local): it is the place's
    rows.forEach((row, i) => expect(row.phone.replace(/\D/g, '')).toContain(places[i]!.phone.replace(/\D/g, '').slice(-7)));
  });

  it('an ESRI-style GeoJSON file fetched from import.base_url is staged by its upper-case attributes', async () => {
    const url = files.serve('/layers/poi/query.geojson', featureCollection(places.map((place, i) => esriFeature(place, i + 1))));
    const configId = await source('poi', { import: { base_url: url, source_id_column: 'OBJECTID' } });
    const runId = await startFetchRun(configId);
    await waitForRun(admin, runId, ['awaiting_review']);
    const rows = await stagedRows(runId);
    // TYPE is taken as the category by the mapping guessed from field names
    expect(rows).toEqual(places.map((place, i) => ({ ...osmRow(place), source_id: String(i + 1) })));
    expect(files.requests).toHaveLength(1);
  });

  it('bad features are job errors naming their position; the rest are staged', async () => {
    const features = places.slice(0, 20).map(osmFeature);
    features[3] = { ...features[3], geometry: null };
    features[9] = { ...features[9], geometry: { type: 'Point', coordinates: [-263.5, 44.6] } };
    const configId = await source('poi', { import: { source_id_column: 'id' } });
    const runId = await startCsvRun(admin, configId, featureCollection(features), 'pois.geojson');
    const staged = await waitForRun(admin, runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: 20, records_new: 18, records_error: 2 });
    const errors = (await admin.get(`/api/v1/pipeline/jobs/${runId}/errors`)).body;
    expect(JSON.stringify(errors)).toContain('Feature 4 has no geometry');
    expect(JSON.stringify(errors)).toContain("Feature 10's geometry [-263.5, 44.6] is out of range");
  });

  it('the preview of an upload whose first features have no geometry lists them as problems, not a server error', async () => {
    const features = places.slice(0, 60).map(osmFeature);
    for (let i = 0; i < 25; i += 1) features[i] = { ...features[i], geometry: null };
    const configId = await source('poi', { import: { source_id_column: 'id' } });
    const first = await admin.post('/api/v1/pipeline/executeStage', { configId });
    const runId = first.body.jobId as number;
    const form = new FormData();
    form.append('jobId', String(runId));
    form.append('file', new Blob([featureCollection(features)]), 'pois.geojson');
    expect((await admin.request('POST', '/api/v1/pipeline/uploadStageFile', form)).status).toBe(201);
    const upload = ((await admin.get(`/api/v1/pipeline/jobs/${runId}/files`)).body.files as any[]).find((file) => file.kind === 'upload');
    // the admin UI's run page asks for 20
    const preview = await admin.get(`/api/v1/pipeline/jobs/${runId}/files/${upload.id}/preview?limit=20`);
    expect(preview.status).toBe(200);
    expect(preview.body.problems).toHaveLength(20);
    expect(preview.body.problems[0]).toEqual({ line: 1, reason: 'Feature 1 has no geometry: a point of interest needs a location' });
    expect(preview.body.problems[19]).toEqual({ line: 20, reason: 'Feature 20 has no geometry: a point of interest needs a location' });
  });

  it.each([
    ['not a FeatureCollection', JSON.stringify(osmFeature(places[0]!)), 'pois.geojson: The file is a GeoJSON "Feature", not a FeatureCollection'],
    ['broken JSON', featureCollection(places.slice(0, 5).map(osmFeature)).replace('"Feature"', '"Feature",,'), 'pois.geojson: The JSON is not valid at line'],
    ['cut short', featureCollection(places.slice(0, 50).map(osmFeature)).slice(0, 20_000), 'pois.geojson: The JSON ends before it is complete'],
  ])('a file %s fails the run, naming where, and stages nothing', async (_name, file, message) => {
    const configId = await source('poi', { import: { source_id_column: 'id', format: 'geojson' } });
    const runId = await startCsvRun(admin, configId, file, 'pois.geojson');
    const failed = await waitForRun(admin, runId, ['failed']);
    expect(failed.error_summary).toContain(message);
    expect(await stagedCount(runId)).toBe(0);
  });
});

const hotelMapping = {
  'listings.name': 'hotel_name', 'locations.address1': 'address.address_line_one', 'locations.city': 'address.city_name',
  'locations.zip': 'address.zip', 'locations.lat': 'geo.latitude', 'locations.lng': 'geo.longitude', 'contact_info.local_phone': 'phone',
};
const records = 'getHotels.results.hotel_data';
const paging = {
  page: { type: 'page', size_param: 'rows', page_size: 100 },
  offset: { type: 'offset', size_param: 'rows', page_size: 100 },
  cursor: { type: 'cursor', size_param: 'rows', page_size: 100, cursor_path: 'getHotels.results.next_cursor' },
  next_url: { type: 'next_url', size_param: 'rows', page_size: 100, next_path: 'getHotels.results.next_page_url' },
} as const;

const apiSource = (pagination: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  source('api', {
    import: { base_url: partner.hotelsUrl, records_path: records, pagination, source_id_column: 'hotel_id', rate_per_sec: 50, ...extra },
    transform: { map_fields: hotelMapping },
  });

const hotelRow = (hotel: PartnerHotel) => ({
  source_id: hotel.hotel_id, action: 'insert', name: hotel.hotel_name, category: null, address1: hotel.address.address_line_one,
  city: hotel.address.city_name, zip: hotel.address.zip, lat: hotel.geo.latitude, lng: hotel.geo.longitude, website: null, phone: expect.any(String),
});

describe('a partner API', () => {
  const hotels = makeHotels(260);

  it.each(Object.entries(paging))('paged by %s: 260 hotels over three pages are staged field by field', async (type, pagination) => {
    partner.serve(hotels);
    const runId = await startFetchRun(await apiSource(pagination));
    const staged = await waitForRun(admin, runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: 260, records_new: 260, records_error: 0 });
    expect(await stagedRows(runId)).toEqual(hotels.map(hotelRow));
    expect(partner.pageRequests.map((request) => request.page)).toEqual([1, 2, 3]);
    expect(partner.pageRequests.every((request) => request.query.get('rows') === '100')).toBe(true);
    if (type === 'page') expect(partner.pageRequests.map((request) => request.query.get('page'))).toEqual(['1', '2', '3']);
    if (type === 'offset') expect(partner.pageRequests.map((request) => request.query.get('offset'))).toEqual(['0', '100', '200']);
  });

  it('a 500 and a 429 with Retry-After are retried to a complete run', async () => {
    partner.serve(hotels);
    partner.inject(2, 'error500', { times: 1 }).inject(3, 'rate-limited', { times: 1 });
    const runId = await startFetchRun(await apiSource(paging.cursor));
    const staged = await waitForRun(admin, runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: 260, records_new: 260 });
    expect(await stagedRows(runId)).toEqual(hotels.map(hotelRow));
    expect(partner.pageRequests.map((request) => [request.page, request.answer])).toEqual([
      [1, 'ok'], [2, 'error500'], [2, 'ok'], [3, 'rate-limited'], [3, 'ok'],
    ]);
    // Retry-After: 1 was waited for
    expect(partner.requestTimes[4]! - partner.requestTimes[3]!).toBeGreaterThanOrEqual(950);
  });

  it.each<[string, PartnerFault | CommonFault | null, Record<string, unknown>, Record<string, unknown>, RegExp]>([
    ['a cursor that repeats', 'repeat-cursor', paging.cursor, {}, /\?rows=100&cursor=\S+ \(page 2\) gives as its next page the cursor of page 2 again: the API pages without end/],
    ['a next URL that repeats', 'repeat-cursor', paging.next_url, {}, /\(page 2\) gives as its next page the URL of page 2 again/],
    ['a page that ignores the page asked for', 'repeat-page', paging.page, {}, /\?rows=100&page=2 \(page 2\) gave the same records as page 1: the API ignores import.pagination.param \("page"\)/],
    ['more pages than max_pages', null, { ...paging.offset, max_pages: 2 }, {}, /\?rows=100&offset=200 would be page 3, more than import.pagination.max_pages \(2\)/],
    ['an HTML page', 'html', paging.offset, {}, /GET http:\/\/127\.0\.0\.1:\d+\/v2\/hotels\?rows=100&offset=100 answered an HTML page \("Site under maintenance"\)/],
    ['an oversized page', 'oversized', paging.offset, {}, /GET http:\/\/127\.0\.0\.1:\d+\/v2\/hotels\?rows=100&offset=100 sent more than the 1048576 bytes allowed/],
    ['a page that never answers', 'timeout', paging.offset, {}, /GET http:\/\/127\.0\.0\.1:\d+\/v2\/hotels\?rows=100&offset=100 did not finish within 1500 ms .* after 3 tries/],
    ['a redirect to a private address', 'redirect-private', paging.offset, {}, /\?rows=100&offset=100 was redirected to http:\/\/127\.0\.0\.2:\d+\/v2\/hotels\?rows=100&offset=100, which is refused/],
    ['records_path that is not a list', null, paging.offset, { records_path: 'getHotels.results' }, /\?rows=100&offset=0 \(page 1\): import.records_path "getHotels.results" is an object with status, total, hotel_data, next_cursor, next_page_url, not a list of records/],
  ])('%s fails the run with a clear error and stages nothing', async (_name, fault, pagination, extra, message) => {
    partner.serve(hotels);
    if (fault) partner.inject(2, fault);
    const runId = await startFetchRun(await apiSource(pagination, extra));
    const failed = await waitForRun(admin, runId, ['failed']);
    expect(failed.error_summary).toMatch(message);
    expect(failed.error_summary).toMatch(/^import step failed: 127\.0\.0\.1:\d+: GET /);
    expect(await stagedCount(runId)).toBe(0);
  });

  it('an API with no hotels fails the run', async () => {
    partner.serve([]);
    const runId = await startFetchRun(await apiSource(paging.page));
    const failed = await waitForRun(admin, runId, ['failed']);
    expect(failed.error_summary).toMatch(/^import step failed: 127\.0\.0\.1:\d+: the source gave no records$/);
    expect(partner.pageRequests).toHaveLength(1);
  });
});
