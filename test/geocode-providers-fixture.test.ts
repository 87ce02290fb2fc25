// The fake geocoding providers speak the real protocols: what the product's provider clients are
// tested against is checked here first.
import http from 'node:http';
import { waitUntil } from './harness/wait';
import { achievedRate, type FakePlace, FakeGooglePlaces, FakeNominatim, maxInAnyWindow } from './fixtures/geocode-providers';

const montreal = '1000 Rue Sainte-Catherine O, Montréal, QC H3B 4W5, CA';
const montrealStructured = '1000 Rue Sainte-Catherine O, Montréal, QC, H3B 4W5, CA';
const places = new Map<string, FakePlace>([
  [montreal, { lat: 45.5017, lng: -73.5673, name: 'Centre Eaton', placeId: 'ChIJtest-eaton' }],
  [montrealStructured, { lat: 45.5017, lng: -73.5673 }],
]);
const ourAgent = 'listings-pipeline-test/1.0 (ops@example.com)';

let google: FakeGooglePlaces;
let nominatim: FakeNominatim;
beforeEach(async () => {
  google = await FakeGooglePlaces.start({ resolve: places, apiKey: 'right-key', blockedKeys: ['places-not-enabled'] });
  nominatim = await FakeNominatim.start({ resolve: places });
});
afterEach(async () => {
  await google.close();
  await nominatim.close();
});

function searchText(textQuery: string, headers: Record<string, string> = { 'x-goog-api-key': 'right-key', 'x-goog-fieldmask': '*' }, signal?: AbortSignal) {
  return fetch(`${google.url}/v1/places:searchText`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ textQuery, languageCode: 'fr' }),
    signal,
  });
}

function search(params: Record<string, string>, headers: Record<string, string> = { 'user-agent': ourAgent }, signal?: AbortSignal) {
  return fetch(`${nominatim.url}/search?${new URLSearchParams({ format: 'jsonv2', limit: '1', ...params })}`, { headers, signal });
}

describe('the fake Google Places API (New) Text Search', () => {
  test('answers a known query with one place in the New API shape', async () => {
    const response = await searchText(montreal);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({
      places: [{
        name: 'places/ChIJtest-eaton',
        id: 'ChIJtest-eaton',
        types: ['street_address'],
        formattedAddress: montreal,
        location: { latitude: 45.5017, longitude: -73.5673 },
        displayName: { text: 'Centre Eaton', languageCode: 'fr' },
      }],
    });
  });

  test('returns only the fields the field mask asks for', async () => {
    const response = await searchText(montreal, { 'x-goog-api-key': 'right-key', 'x-goog-fieldmask': 'places.id,places.location,places.displayName.text' });
    expect(await response.json()).toEqual({ places: [{ id: 'ChIJtest-eaton', location: { latitude: 45.5017, longitude: -73.5673 }, displayName: { text: 'Centre Eaton' } }] });
  });

  test('an unknown query is {} (the New API has no ZERO_RESULTS status)', async () => {
    const response = await searchText('nowhere at all');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
  });

  test('a derived id starts "ChIJ" when the resolver gives none', async () => {
    const fake = await FakeGooglePlaces.start({ resolve: () => ({ lat: 1, lng: 2, kind: 'city' }), apiKey: 'k' });
    try {
      const response = await fetch(`${fake.url}/v1/places:searchText`, { method: 'POST', headers: { 'x-goog-api-key': 'k', 'x-goog-fieldmask': 'places.id,places.types' }, body: JSON.stringify({ textQuery: 'Laval' }) });
      const body = await response.json();
      expect(body.places[0].id).toMatch(/^ChIJ[\w-]{10,}$/);
      expect(body.places[0].types).toEqual(['locality', 'political']);
    } finally {
      await fake.close();
    }
  });

  test('a missing key is 403 PERMISSION_DENIED, a wrong one 400 API_KEY_INVALID, a blocked one 403', async () => {
    const missing = await searchText(montreal, { 'x-goog-fieldmask': '*' });
    expect(missing.status).toBe(403);
    expect(await missing.json()).toEqual({ error: { code: 403, message: expect.any(String), status: 'PERMISSION_DENIED' } });

    const wrong = await searchText(montreal, { 'x-goog-api-key': 'wrong-key', 'x-goog-fieldmask': '*' });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT', details: [{ reason: 'API_KEY_INVALID' }] } });

    const blocked = await searchText(montreal, { 'x-goog-api-key': 'places-not-enabled', 'x-goog-fieldmask': '*' });
    expect(blocked.status).toBe(403);
    expect(await blocked.json()).toMatchObject({ error: { code: 403, status: 'PERMISSION_DENIED', details: [{ reason: 'API_KEY_SERVICE_BLOCKED' }] } });
  });

  test('a missing field mask is 400 INVALID_ARGUMENT', async () => {
    const response = await searchText(montreal, { 'x-goog-api-key': 'right-key' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { code: 400, message: expect.stringContaining('FieldMask'), status: 'INVALID_ARGUMENT' } });
  });

  test('quota for the first two requests of a query, then the place', async () => {
    google.inject(montreal, 'quota', { times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await searchText(montreal)).status);
    expect(statuses).toEqual([429, 429, 200]);
    google.inject(montreal, 'quota', { times: 1 });
    const refused = await searchText(montreal);
    expect(await refused.json()).toEqual({ error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } });
    expect(google.requests.map((request) => request.answer)).toEqual(['quota', 'quota', 'found', 'quota']);
  });

  test('error500, malformed and zero, each for its own query only', async () => {
    google.inject('a', 'error500');
    google.inject('b', 'malformed');
    google.inject((query) => query.startsWith('Montréal'), 'zero');
    const failed = await searchText('a');
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ error: { code: 500, status: 'INTERNAL' } });
    const malformed = await searchText('b');
    expect(malformed.status).toBe(200);
    await expect(malformed.json()).rejects.toThrow(/JSON/);
    expect(await (await searchText('Montréal, QC')).json()).toEqual({});
    expect((await searchText(montreal)).status).toBe(200);
  });

  test('a timeout never answers, and close() ends the held request', async () => {
    google.inject(montreal, 'timeout');
    await expect(searchText(montreal, undefined, AbortSignal.timeout(200))).rejects.toThrow();
    const held = searchText(montreal);
    await waitUntil('the second request to arrive', async () => google.requests.length === 2, 2000, 10);
    const closing = performance.now();
    await google.close();
    await expect(held).rejects.toThrow();
    expect(performance.now() - closing).toBeLessThan(1000);
    expect(google.requests.map((request) => request.answer)).toEqual(['timeout', 'timeout']);
  });

  test('records each request: time, method, path, query, key, field mask, user agent, body', async () => {
    const before = performance.now();
    await searchText(montreal, { 'x-goog-api-key': 'right-key', 'x-goog-fieldmask': 'places.location', 'user-agent': ourAgent });
    expect(google.requests).toEqual([expect.objectContaining({
      method: 'POST', path: '/v1/places:searchText', query: montreal, apiKey: 'right-key', fieldMask: 'places.location',
      userAgent: ourAgent, body: { textQuery: montreal, languageCode: 'fr' }, answer: 'found',
    })]);
    expect(google.requests[0]!.at).toBeGreaterThanOrEqual(before);
    expect(google.arrivals(montreal)).toEqual([google.requests[0]!.at]);
  });
});

describe('the fake Nominatim', () => {
  test('answers a free-form search with the jsonv2 array, lat and lon as strings', async () => {
    const response = await search({ q: montreal });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toEqual([{
      place_id: expect.any(Number), licence: expect.stringContaining('OpenStreetMap'), osm_type: 'node', osm_id: expect.any(Number),
      lat: '45.5017000', lon: '-73.5673000', category: 'place', type: 'house', place_rank: 30, importance: expect.any(Number),
      addresstype: 'place', name: 'Centre Eaton', display_name: montreal, boundingbox: [expect.any(String), expect.any(String), expect.any(String), expect.any(String)],
    }]);
    expect(Number(body[0].boundingbox[0])).toBeLessThan(45.5017);
  });

  test('format=json says class instead of category', async () => {
    const [place] = await (await search({ q: montreal, format: 'json' })).json();
    expect(place).toMatchObject({ class: 'place', type: 'house' });
    expect(place).not.toHaveProperty('category');
  });

  test('a structured search is the query of its values joined, in Nominatim order', async () => {
    const structured = { street: '1000 Rue Sainte-Catherine O', city: 'Montréal', state: 'QC', postalcode: 'H3B 4W5', country: 'CA' };
    const response = await search(structured);
    expect(await response.json()).toEqual([expect.objectContaining({ lat: '45.5017000' })]);
    expect(nominatim.requests[0]!.query).toBe(montrealStructured);
  });

  test('q with structured fields is 400; nothing found is []', async () => {
    expect((await search({ q: montreal, city: 'Montréal' })).status).toBe(400);
    const none = await search({ q: 'nowhere at all' });
    expect(none.status).toBe(200);
    expect(await none.json()).toEqual([]);
  });

  test.each([
    ['fetch as it comes', {}],
    ['got as it comes', { 'user-agent': 'got (https://github.com/sindresorhus/got)' }],
    ['curl', { 'user-agent': 'curl/8.5.0' }],
  ])('refuses %s: 403, as the public instance does', async (_case, headers) => {
    const response = await fetch(`${nominatim.url}/search?q=x&format=jsonv2`, { headers });
    expect(response.status).toBe(403);
  });

  test('refuses a request with no User-Agent header at all', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      http.get(`${nominatim.url}/search?q=x&format=jsonv2`, (response) => {
        response.resume();
        resolve(response.statusCode!);
      }).on('error', reject);
    });
    expect(status).toBe(403);
    expect(nominatim.requests[0]).toMatchObject({ userAgent: null, answer: 'forbidden' });
  });

  test('quota is 429, then the place; error500, malformed, zero and timeout as asked', async () => {
    nominatim.inject(montreal, 'quota', { times: 1 });
    expect((await search({ q: montreal })).status).toBe(429);
    expect((await search({ q: montreal })).status).toBe(200);
    nominatim.inject('a', 'error500');
    nominatim.inject('b', 'malformed');
    nominatim.inject('c', 'zero');
    nominatim.inject('d', 'timeout');
    expect((await search({ q: 'a' })).status).toBe(500);
    await expect((await search({ q: 'b' })).json()).rejects.toThrow(/JSON/);
    expect(await (await search({ q: 'c' })).json()).toEqual([]);
    await expect(search({ q: 'd' }, undefined, AbortSignal.timeout(200))).rejects.toThrow();
    expect(nominatim.requests.map((request) => request.answer)).toEqual(['quota', 'found', 'error500', 'malformed', 'zero', 'timeout']);
  });

  test('latencyMs delays every answer', async () => {
    const slow = await FakeNominatim.start({ resolve: places, latencyMs: 150 });
    try {
      const started = performance.now();
      await fetch(`${slow.url}/search?q=x`, { headers: { 'user-agent': ourAgent } });
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    } finally {
      await slow.close();
    }
  });
});

describe('rates over arrival times', () => {
  test.each<[string, number[], number, number]>([
    ['none', [], 1000, 0],
    ['one', [5], 1000, 1],
    ['four within one second, in any order', [1500, 0, 10, 2500, 20, 1005, 1990, 1010], 1000, 4],
    ['exactly a window apart are never in one window', [0, 1000, 2000], 1000, 1],
    ['a shorter window', [0, 50, 99, 100, 150], 100, 3],
  ])('maxInAnyWindow: %s', (_case, times, windowMs, most) => {
    expect(maxInAnyWindow(times, windowMs)).toBe(most);
  });

  test('achievedRate: requests a quarter-second apart are 4 a second; one request is 0', () => {
    expect(achievedRate([0, 250, 500, 750, 1000])).toBe(4);
    expect(achievedRate([1000, 0, 500])).toBe(2);
    expect(achievedRate([42])).toBe(0);
  });

  test('over the fake: four requests in a row are at most four in any second', async () => {
    for (let i = 0; i < 4; i++) await search({ q: montreal });
    expect(maxInAnyWindow(nominatim.arrivals(montreal))).toBe(4);
    expect(achievedRate(nominatim.arrivals())).toBeGreaterThan(4);
  });
});
