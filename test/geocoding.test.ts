// Geocoding in the stage step, through the API, with the offline gazetteer and with local servers that
// answer as Nominatim and Google Places do: coordinates land on the staged rows (never in the hashes),
// the cache means no address is paid for twice, failures are per address and the run always finishes.
import { FakeGooglePlaces, FakeNominatim, type FakePlace } from './fixtures/geocode-providers';
import { approveAndPromote, createCsvSource, startCsvRun, startPipelineUnderTest, waitForRun, type PipelineUnderTest } from './harness/pipeline';

jest.setTimeout(120_000);

interface Place { id: string; name: string; address: string; city: string; country: string; lat?: string; lng?: string }

function placesCsv(rows: Place[]): string {
  const header = 'ID,Name,Address,City,Country,Latitude,Longitude';
  return [header, ...rows.map((r) => [r.id, r.name, r.address, r.city, r.country, r.lat ?? '', r.lng ?? ''].join(','))].join('\n') + '\n';
}
const mapping = {
  'listings.name': 'Name', 'locations.address1': 'Address', 'locations.city': 'City', 'locations.country': 'Country',
  'locations.lat': 'Latitude', 'locations.lng': 'Longitude',
};

async function stagedRows(p: PipelineUnderTest, runId: number) {
  const { body } = await p.admin.get(`/api/v1/pipeline/staging/rows?jobId=${runId}&pageSize=500`);
  return new Map<string, any>(body.rows.map((row: any) => [row.source_id, row]));
}

describe('the offline gazetteer (the default geocoder)', () => {
  let p: PipelineUnderTest;
  beforeAll(async () => (p = await startPipelineUnderTest()));
  afterAll(() => p.close());

  const rows: Place[] = [
    { id: 'A', name: 'Hotel Le Germain', address: '2050 Rue Mansfield', city: 'Montréal', country: 'CA' },
    { id: 'B', name: 'Café Olimpico', address: '124 Rue Saint-Viateur O', city: 'Montreal', country: 'Canada' },
    { id: 'C', name: 'Lost Inn', address: '1 Nowhere Road', city: 'Atlantisville', country: 'CA' },
    { id: 'D', name: 'Seaside Shack', address: '5 Water St', city: 'Halifax', country: 'CA', lat: '44.64800', lng: '-63.57500' },
  ];

  it('gives rows without coordinates their city centre, marked low precision, and flags what it cannot place', async () => {
    const { configId } = await createCsvSource(p.admin, 'Gazetteer DMO', 3, { transform: { map_fields: mapping } });
    const runId = await startCsvRun(p.admin, configId, placesCsv(rows));
    await waitForRun(p.admin, runId, ['awaiting_review']);
    const staged = await stagedRows(p, runId);
    for (const id of ['A', 'B']) {
      const row = staged.get(id);
      expect(row).toMatchObject({ geocode_status: 'found', geocode_provider: 'gazetteer', geocode_precision: 'city' });
      expect(row.lat).toBeCloseTo(45.51, 1);
      expect(row.lng).toBeCloseTo(-73.59, 1);
    }
    // the source's own coordinates are kept as they are
    expect(staged.get('D')).toMatchObject({ geocode_status: 'not_needed', lat: 44.648, lng: -63.575, geocode_provider: null });
    expect(staged.get('C')).toMatchObject({ geocode_status: 'not_found', lat: null, ok_to_promote: false });
    expect(staged.get('C').warnings.join(' ')).toMatch(/no place was found/);
  });

  it("flags a place outside the DMO's box instead of accepting it", async () => {
    const novaScotia = { min_lat: 43.3, max_lat: 47.1, min_lng: -66.5, max_lng: -59.6 };
    const { configId } = await createCsvSource(p.admin, 'Nova Scotia DMO', 3, {
      transform: { map_fields: mapping }, validate: { business_rules: { dmo_geographic_bounds: novaScotia } },
    });
    const runId = await startCsvRun(p.admin, configId, placesCsv([
      { id: 'M', name: 'Hotel Le Germain', address: '2050 Rue Mansfield', city: 'Montréal', country: 'CA' },
      { id: 'H', name: 'Harbour Inn', address: '1 Lower Water St', city: 'Halifax', country: 'CA' },
    ]));
    await waitForRun(p.admin, runId, ['awaiting_review']);
    const staged = await stagedRows(p, runId);
    expect(staged.get('M')).toMatchObject({ geocode_status: 'out_of_bounds', lat: null, lng: null, ok_to_promote: false });
    expect(staged.get('M').warnings.join(' ')).toMatch(/outside the DMO's area/);
    expect(staged.get('H')).toMatchObject({ geocode_status: 'found', ok_to_promote: true });
    expect(staged.get('H').lat).toBeCloseTo(44.65, 1);
  });

  it('promotes the coordinates, and a re-import of the same file is unchanged and takes them from production', async () => {
    const { configId } = await createCsvSource(p.admin, 'Re-import DMO', 3, { transform: { map_fields: mapping } });
    const file = placesCsv(rows.slice(0, 2));
    const first = await startCsvRun(p.admin, configId, file);
    await waitForRun(p.admin, first, ['awaiting_review']);
    await approveAndPromote(p.admin, first);
    const { rows: located } = await p.t.ctx.db.query(
      `SELECT loc.lat::float8 AS lat, loc.geocode_precision FROM public.listing_info li JOIN public.listings l ON l.id = li.listing_id
         JOIN public.locations loc ON loc.id = l.location_id WHERE li.source_id IN ('A', 'B') AND li.dmo_id = (SELECT dmo_id FROM pipeline.configs WHERE id = $1)`,
      [configId]);
    expect(located).toHaveLength(2);
    for (const row of located) expect(row).toMatchObject({ geocode_precision: 'city', lat: expect.closeTo(45.51, 1) });

    const second = await startCsvRun(p.admin, configId, file);
    const done = await waitForRun(p.admin, second, ['awaiting_review']);
    expect(done.results).toMatchObject({ records_unchanged: 2, records_updated: 0, records_new: 0 });
    const staged = await stagedRows(p, second);
    expect(staged.get('A')).toMatchObject({ action: 'unchanged', location_action: 'unchanged', geocode_provider: 'production' });
  });
});

describe('Nominatim: one call per distinct address, failures per address', () => {
  let p: PipelineUnderTest;
  let nominatim: FakeNominatim;
  const known = new Map<string, FakePlace>();
  beforeAll(async () => {
    nominatim = await FakeNominatim.start({ resolve: (query) => known.get(query) ?? null });
    p = await startPipelineUnderTest({
      GEOCODER: 'nominatim', NOMINATIM_URL: nominatim.url, ALLOW_PRIVATE_HOSTS: '127.0.0.1', GEOCODE_RATE_PER_SEC: '50',
      GEOCODE_ATTEMPTS: '3', GEOCODE_RETRY_DELAY_MS: '100', GEOCODE_TIMEOUT_MS: '400',
    });
  });
  afterAll(async () => {
    await p.close();
    await nominatim.close();
  });

  const place = (n: number): Place => ({ id: `N${n}`, name: `Place ${n}`, address: `${n} Main Street`, city: 'Halifax', country: 'CA' });
  const query = (n: number) => `${n} Main Street, Halifax, CA`;

  it('asks once per address (two rows share one), retries what fails, marks what keeps failing, and the run finishes', async () => {
    for (let n = 1; n <= 6; n += 1) known.set(query(n), { lat: 44.6 + n / 1000, lng: -63.5 - n / 1000, kind: 'address' });
    nominatim.inject(query(2), 'timeout');
    nominatim.inject(query(3), 'error500');
    nominatim.inject(query(4), 'malformed', { times: 1 });
    nominatim.inject(query(5), 'zero');
    const twin = { ...place(1), id: 'N1-twin', name: 'Place One Annex' };
    const { configId } = await createCsvSource(p.admin, 'Nominatim DMO', 3, { transform: { map_fields: mapping } });
    const runId = await startCsvRun(p.admin, configId, placesCsv([1, 2, 3, 4, 5, 6].map(place).concat(twin)));
    await waitForRun(p.admin, runId, ['awaiting_review'], 60_000);

    const calls = (n: number) => nominatim.requests.filter((r) => r.query === query(n)).length;
    expect([1, 2, 3, 4, 5, 6].map(calls)).toEqual([1, 3, 3, 2, 1, 1]);
    expect(nominatim.requests.every((r) => /^listings-pipeline\/\d/.test(r.userAgent ?? ''))).toBe(true);
    const staged = await stagedRows(p, runId);
    expect(staged.get('N1')).toMatchObject({ geocode_status: 'found', geocode_provider: 'nominatim', geocode_precision: 'rooftop', lat: 44.601 });
    expect(staged.get('N1-twin')).toMatchObject({ geocode_status: 'found', lat: 44.601 });
    expect(staged.get('N4')).toMatchObject({ geocode_status: 'found', lat: 44.604 });
    for (const id of ['N2', 'N3']) {
      expect(staged.get(id)).toMatchObject({ geocode_status: 'failed', lat: null, ok_to_promote: false });
      expect(staged.get(id).warnings.join(' ')).toMatch(/geocoding failed/);
    }
    expect(staged.get('N5')).toMatchObject({ geocode_status: 'not_found', ok_to_promote: false });
    const { rows: usage } = await p.t.ctx.db.query(`SELECT sum(calls)::int AS calls, sum(errors)::int AS errors FROM pipeline.provider_usage WHERE provider = 'nominatim'`);
    expect(usage[0]).toEqual({ calls: 11, errors: 7 });

    // the same file again: the answered addresses cost nothing; the failed two get one more chance
    nominatim.clearFaults();
    const before = nominatim.requests.length;
    const again = await startCsvRun(p.admin, configId, placesCsv([1, 2, 3, 4, 5, 6].map(place).concat(twin)));
    await waitForRun(p.admin, again, ['awaiting_review'], 60_000);
    expect(nominatim.requests.slice(before).map((r) => r.query).sort()).toEqual([query(2), query(3)].sort());
    const restaged = await stagedRows(p, again);
    expect(restaged.get('N2')).toMatchObject({ geocode_status: 'found' });
    const { rows: hits } = await p.t.ctx.db.query(`SELECT sum(cache_hits)::int AS hits FROM pipeline.provider_usage WHERE provider = 'nominatim'`);
    expect(hits[0].hits).toBe(4);
  });

  it('an endpoint that refuses a call it would refuse for every address (a wrong URL) is not asked again for the rest', async () => {
    const { configId } = await createCsvSource(p.admin, 'Wrong URL DMO', 3, {
      transform: { map_fields: mapping }, geocode: { provider: 'nominatim', base_url: `${nominatim.url}/nominatim-was-here` },
    });
    const before = nominatim.requests.length;
    const runId = await startCsvRun(p.admin, configId, placesCsv([11, 12, 13, 14, 15, 16].map(place)));
    await waitForRun(p.admin, runId, ['awaiting_review'], 60_000);
    const sent = nominatim.requests.slice(before);
    // the workers' two slots may each have sent one before the first refusal was known
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(sent.length).toBeLessThanOrEqual(2);
    expect(sent.every((r) => r.answer === 'not-found')).toBe(true);
    const staged = await stagedRows(p, runId);
    for (const n of [11, 12, 13, 14, 15, 16]) {
      expect(staged.get(`N${n}`)).toMatchObject({ geocode_status: 'failed', ok_to_promote: false });
      expect(staged.get(`N${n}`).warnings.join(' ')).toMatch(/404/);
    }
  });
});

describe('Google Places (New): place ids, quota refusals', () => {
  let p: PipelineUnderTest;
  let google: FakeGooglePlaces;
  beforeAll(async () => {
    google = await FakeGooglePlaces.start({
      apiKey: 'k-test',
      resolve: (query) => (query.startsWith('2050') ? { lat: 45.4986, lng: -73.5779, placeId: 'ChIJgermain', name: 'Hotel Le Germain', kind: 'address' } : null),
    });
    p = await startPipelineUnderTest({
      GEOCODER: 'google', GOOGLE_PLACES_URL: google.url, GOOGLE_PLACES_API_KEY: 'k-test', ALLOW_PRIVATE_HOSTS: '127.0.0.1',
      GEOCODE_RATE_PER_SEC: '50', GEOCODE_ATTEMPTS: '4', GEOCODE_RETRY_DELAY_MS: '100', GEOCODE_TIMEOUT_MS: '1000',
    });
  });
  afterAll(async () => {
    await p.close();
    await google.close();
  });

  it('stores the place id as google_place_id, backs off on quota, and marks an address with no result for review', async () => {
    google.inject((q) => q.startsWith('2050'), 'quota', { times: 2 });
    const { configId } = await createCsvSource(p.admin, 'Google DMO', 3, { transform: { map_fields: mapping } });
    const runId = await startCsvRun(p.admin, configId, placesCsv([
      { id: 'G1', name: 'Hotel Le Germain', address: '2050 Rue Mansfield', city: 'Montréal', country: 'CA' },
      { id: 'G2', name: 'Nowhere', address: '9 Unknown Lane', city: 'Montréal', country: 'CA' },
    ]));
    await waitForRun(p.admin, runId, ['awaiting_review'], 60_000);
    const staged = await stagedRows(p, runId);
    expect(staged.get('G1')).toMatchObject({ geocode_status: 'found', google_place_id: 'ChIJgermain', lat: 45.4986, geocode_precision: 'rooftop' });
    expect(staged.get('G2')).toMatchObject({ geocode_status: 'not_found', ok_to_promote: false });
    expect(google.requests.filter((r) => r.query?.startsWith('2050')).map((r) => r.answer)).toEqual(['quota', 'quota', 'found']);
    expect(google.requests.every((r) => r.apiKey === 'k-test')).toBe(true);
    const { rows } = await p.t.ctx.db.query(`SELECT sum(quota_errors)::int AS quota FROM pipeline.provider_usage WHERE provider = 'google'`);
    expect(rows[0].quota).toBe(2);
  });

  it('refuses a config that would send the key to another endpoint', async () => {
    const { configId } = await createCsvSource(p.admin, 'Leaky DMO', 3, {
      transform: { map_fields: mapping }, geocode: { provider: 'google', base_url: 'https://places.example.org' },
    });
    const runId = await startCsvRun(p.admin, configId, placesCsv([{ id: 'X', name: 'X', address: '1 A St', city: 'Montréal', country: 'CA' }]));
    const failed = await waitForRun(p.admin, runId, ['failed']);
    expect(failed.error_summary).toMatch(/only sent to the endpoint the settings name/);
  });
});
