// The public read API, GET /v1/listings, against a real server: no sign-in, visible listings only,
// accent-insensitive search, nearest first within a radius, and a 400 naming each bad parameter.
import { publicListing, publicListingList } from '../src/contract/listings';
import { boundingBox } from '../src/db/listings';
import { ApiClient } from './harness/http';
import {
  approveAndPromote, createCsvSource, listingsCsv, startCsvRun, startPipelineUnderTest, waitForRun, type ListingRow,
  type PipelineUnderTest,
} from './harness/pipeline';

jest.setTimeout(120_000);

let product: PipelineUnderTest;
let admin: ApiClient;
let anonymous: ApiClient;
let dmoId: number;
let otherDmoId: number;
const ids: Record<string, number> = {};

const place = (id: string, name: string, city: string, lat: number, lng: number, description = `About ${name}.`): ListingRow =>
  ({ id, name, address: `${id} Main Street`, city, lat: lat.toFixed(5), lng: lng.toFixed(5), description, email: `${id.toLowerCase()}@example.org` });

const halifax = { lat: 44.6488, lng: -63.5752 };
const places = [
  place('P1', 'Château Frontenac', 'Québec', 46.8122, -71.2051),
  place('P2', 'Café Halifax', 'Halifax', halifax.lat, halifax.lng),
  place('P3', 'Dartmouth Bistro', 'Dartmouth', 44.6713, -63.5772),
  place('P4', 'Lunenburg Inn', 'Lunenburg', 44.3771, -64.3092),
  place('P5', 'Archived Attic', 'Halifax', 44.6500, -63.5800),
  place('P6', 'Hidden Harbour Hut', 'Halifax', 44.6490, -63.5760),
  place('P7', 'Dateline Lodge', 'Taveuni', -16.8000, 179.9900),
];

async function promoteFile(configId: number, rows: ListingRow[]) {
  const runId = await startCsvRun(admin, configId, listingsCsv(rows));
  await waitForRun(admin, runId, ['awaiting_review']);
  await approveAndPromote(admin, runId);
}

beforeAll(async () => {
  product = await startPipelineUnderTest();
  admin = product.admin;
  anonymous = new ApiClient(product.server.url);
  const source = await createCsvSource(admin, 'Visit Nova Scotia');
  dmoId = source.dmoId;
  await promoteFile(source.configId, places);
  // a second DMO tells of the same café (same name, address and city: one listing), in words of its own
  const other = await createCsvSource(admin, 'Halifax Partner Guide', 4);
  otherDmoId = other.dmoId;
  await promoteFile(other.configId, [{ ...places[1]!, description: 'Words only the partner guide uses.' }]);

  const { rows } = await product.t.ctx.db.query<{ source_id: string; dmo_id: number; id: number; listing_id: number }>(
    'SELECT source_id, dmo_id, id, listing_id FROM public.listing_info');
  for (const row of rows) ids[row.dmo_id === dmoId ? row.source_id : `${row.source_id}@other`] = row.listing_id;
  const info = (sourceId: string, dmo: number) => rows.find((row) => row.source_id === sourceId && row.dmo_id === dmo)!.id;
  expect((await admin.post(`/api/v1/pipeline/listings/${ids.P5}/archive`)).status).toBe(200);
  expect((await admin.post(`/api/v1/pipeline/listing-info/${info('P6', dmoId)}/hide`)).status).toBe(200);
  expect((await admin.post(`/api/v1/pipeline/listing-info/${info('P2', otherDmoId)}/hide`)).status).toBe(200);
});
afterAll(() => product.close());

async function search(params: string) {
  const reply = await anonymous.get(`/v1/listings${params ? `?${params}` : ''}`);
  expect(reply.status).toBe(200);
  return publicListingList.parse(reply.body);
}
const names = (list: { listings: { name: string }[] }) => list.listings.map((l) => l.name);

/** Great-circle distance on the sphere of radius 6371.0088 km, as the server computes it. */
function haversineKm(a: { lat: number; lng: number }, b: { lat: number; lng: number }) {
  const rad = (deg: number) => (deg * Math.PI) / 180;
  const h = Math.sin(rad(b.lat - a.lat) / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(rad(b.lng - a.lng) / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(h)));
}

describe('GET /v1/listings', () => {
  it('needs no sign-in and lists only visible, active listings, with what each DMO shows', async () => {
    const list = await search('');
    expect(list).toMatchObject({ total: 5, page: 1, pageSize: 20 });
    expect(names(list).sort()).toEqual(['Café Halifax', 'Château Frontenac', 'Dartmouth Bistro', 'Dateline Lodge', 'Lunenburg Inn']);
    const listed = list.listings.map((l) => l.id);
    expect(listed).toEqual([...listed].sort((a, b) => a - b)); // by id without near
    const cafe = list.listings.find((l) => l.name === 'Café Halifax')!;
    expect(cafe).toEqual({
      id: ids.P2, name: 'Café Halifax', category: null,
      location: { address: 'P2 Main Street', city: 'Halifax', state: null, zip: null, country: null, lat: 44.6488, lng: -63.5752 },
      listing_info: [{ dmo: { id: dmoId, name: 'Visit Nova Scotia' }, description: 'About Café Halifax.',
        contact: { website: null, phone: null, email: 'p2@example.org' } }],
      images: [], // the gallery: no DMO sent this one a picture
    });
    // nothing of a hidden listing_info reaches the public, nor any admin field
    const text = JSON.stringify(list);
    expect(text).not.toMatch(/Words only the partner guide uses|Halifax Partner Guide|Archived Attic|Hidden Harbour Hut/);
    expect(text).not.toMatch(/listing_visible|info_status|source_id|match_hash/);
  });

  it('finds Québec for quebec and Château for chateau, in names and cities', async () => {
    expect(names(await search('q=quebec'))).toEqual(['Château Frontenac']);
    expect(names(await search('q=CHATEAU'))).toEqual(['Château Frontenac']);
    expect(names(await search('q=caf%C3%A9'))).toEqual(['Café Halifax']);
    expect(names(await search('q=halifax'))).toEqual(['Café Halifax']); // the archived and hidden ones in Halifax stay out
  });

  it('with near, lists nearest first within the radius, each with its distance', async () => {
    const near = await search(`near=${halifax.lat},${halifax.lng}&radius_km=10`);
    expect(names(near)).toEqual(['Café Halifax', 'Dartmouth Bistro']);
    expect(near.total).toBe(2);
    const [cafe, bistro] = near.listings;
    expect(cafe!.distance_km).toBe(0);
    expect(bistro!.distance_km).toBeCloseTo(haversineKm(halifax, { lat: 44.6713, lng: -63.5772 }), 2);
    expect(bistro!.distance_km).toBeGreaterThan(2);
    expect(bistro!.distance_km).toBeLessThan(3);

    const wider = await search(`near=${halifax.lat},${halifax.lng}&radius_km=100`);
    expect(names(wider)).toEqual(['Café Halifax', 'Dartmouth Bistro', 'Lunenburg Inn']);
    expect(wider.listings[2]!.distance_km).toBeCloseTo(haversineKm(halifax, { lat: 44.3771, lng: -64.3092 }), 2);
    // without radius_km a circle of 50 km: Lunenburg is about 66 km away
    expect(names(await search(`near=${halifax.lat},${halifax.lng}`))).toEqual(['Café Halifax', 'Dartmouth Bistro']);
    // no distance without near
    expect((await search('q=bistro')).listings[0]).not.toHaveProperty('distance_km');
    // with the other filters
    expect(names(await search(`near=${halifax.lat},${halifax.lng}&radius_km=100&q=inn`))).toEqual(['Lunenburg Inn']);
    expect((await search(`near=${halifax.lat},${halifax.lng}&radius_km=100&dmo_id=${otherDmoId}`)).total).toBe(0);
  });

  it('finds a place across the antimeridian', async () => {
    const across = await search('near=-16.8,-179.99&radius_km=10');
    expect(names(across)).toEqual(['Dateline Lodge']);
    expect(across.listings[0]!.distance_km).toBeCloseTo(haversineKm({ lat: -16.8, lng: -179.99 }, { lat: -16.8, lng: 179.99 }), 2);
    expect(boundingBox({ lat: -16.8, lng: -179.99 }, 10).lngRanges).toHaveLength(2);
    expect(boundingBox({ lat: 89.99, lng: 0 }, 10).lngRanges).toEqual([[-180, 180]]);
  });

  it('pages with page and pageSize, and filters by DMO', async () => {
    const all = (await search('')).listings.map((l) => l.id);
    const second = await search('pageSize=2&page=2');
    expect(second).toMatchObject({ total: 5, page: 2, pageSize: 2 });
    expect(second.listings.map((l) => l.id)).toEqual(all.slice(2, 4));
    expect((await search('pageSize=2&page=3')).listings.map((l) => l.id)).toEqual(all.slice(4));
    expect(names(await search('pageSize=2&page=9'))).toEqual([]);
    expect((await search(`dmo_id=${dmoId}`)).total).toBe(5);
    // the partner guide's only record is hidden: none of its listings shows under it
    expect((await search(`dmo_id=${otherDmoId}`)).total).toBe(0);
  });

  it('answers 400 naming each bad parameter, never a 500', async () => {
    const refused = async (params: string) => {
      const reply = await anonymous.get(`/v1/listings?${params}`);
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe('invalid_request');
      return reply.body.error.message as string;
    };
    expect(await refused('near=abc')).toBe('near: expected lat,lng such as 44.65,-63.57 (got "abc")');
    expect(await refused('near=95,10')).toBe('near: expected a latitude from -90 to 90 and a longitude from -180 to 180 (got "95,10")');
    expect(await refused('near=44.6,-63.5,1')).toMatch(/^near: expected lat,lng such as 44.65,-63.57/);
    expect(await refused('near=44.6&near=-63.5')).toMatch(/^near: expected lat,lng .*given once/);
    expect(await refused('pageSize=101')).toBe('pageSize: expected a whole number from 1 to 100 (got "101")');
    expect(await refused('pageSize=0')).toMatch(/^pageSize: /);
    expect(await refused('page=0')).toMatch(/^page: expected a whole number from 1 /);
    expect(await refused('page=1.5')).toMatch(/^page: /);
    expect(await refused(`near=${halifax.lat},${halifax.lng}&radius_km=500`))
      .toBe('radius_km: expected a distance in kilometres above 0 and at most 200 (got "500")');
    expect(await refused(`near=${halifax.lat},${halifax.lng}&radius_km=-1`)).toMatch(/^radius_km: /);
    expect(await refused('radius_km=5')).toBe('radius_km: only works together with near=lat,lng, the centre of the circle');
    expect(await refused('dmo_id=abc')).toMatch(/^dmo_id: expected a DMO id/);
    expect(await refused('dmo_id=99999999999')).toMatch(/^dmo_id: /);
    expect(await refused(`q=${'x'.repeat(201)}`)).toMatch(/^q: /);
    // several at once: each is named
    expect(await refused('pageSize=101&near=abc')).toMatch(/near: .*; pageSize: |pageSize: .*; near: /);
  });
});

describe('GET /v1/listings/:id', () => {
  it('shows a visible listing and answers 404 for an archived or hidden one', async () => {
    const reply = await anonymous.get(`/v1/listings/${ids.P1}`);
    expect(reply.status).toBe(200);
    expect(publicListing.parse(reply.body)).toMatchObject({ id: ids.P1, name: 'Château Frontenac', location: { city: 'Québec' } });
    expect((await anonymous.get(`/v1/listings/${ids.P5}`)).status).toBe(404);
    expect((await anonymous.get(`/v1/listings/${ids.P6}`)).status).toBe(404);
    expect((await anonymous.get('/v1/listings/999999')).status).toBe(404);
    const bad = await anonymous.get('/v1/listings/abc');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^Path parameter id must be a whole number/);
    // un-archived, it is public again
    await admin.post(`/api/v1/pipeline/listings/${ids.P5}/unarchive`);
    expect((await anonymous.get(`/v1/listings/${ids.P5}`)).status).toBe(200);
    await admin.post(`/api/v1/pipeline/listings/${ids.P5}/archive`);
  });
});
