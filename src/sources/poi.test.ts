// openPoi read directly, on uploads and on a local file server: what each kind of POI file becomes,
// and how a bad feature or a broken document is told apart.
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { resolveConfig, type ConfigParams } from '../domain/config-params';
import { createHttpClient } from '../http/client';
import {
  esriFeature, featureCollection, makePoiPlaces, osmFeature, PoiFileServer, streamedFeatureCollection,
} from '../../test/fixtures/poi-files';
import { openPoi } from './poi';
import { SourceError, type SourceProblem, type SourceRecord } from './source';

/** The garbage collector, so the heap measured is what is held, not what is waiting to be collected. */
function collector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

const http = createHttpClient({ allowPrivateHosts: ['127.0.0.1'], retries: 0 });

async function open(file: string | AsyncIterable<Buffer> | null, importParams: NonNullable<ConfigParams['import']> = {}) {
  const problems: SourceProblem[] = [];
  const upload = file === null ? null : Readable.from(typeof file === 'string' ? [Buffer.from(file)] : file);
  const source = await openPoi({
    config: resolveConfig({ import: importParams }, 'poi'), upload, http, credentials: {},
    redis: undefined as never, queuePrefix: 'test', log: undefined as never,
  }, (problem) => void problems.push(problem));
  return { source, problems };
}

async function readAll(file: string | AsyncIterable<Buffer> | null, importParams: NonNullable<ConfigParams['import']> = {}) {
  const { source, problems } = await open(file, importParams);
  const records: SourceRecord[] = [];
  for await (const record of source.records) records.push(record);
  return { source, records, problems };
}

const places = makePoiPlaces(9);

describe('a GeoJSON upload', () => {
  it('each OSM feature is a record of its tags with id, lat/lng (a polygon at its centroid) and the address', async () => {
    const { source, records, problems } = await readAll(featureCollection(places.map(osmFeature)));
    expect(problems).toEqual([]);
    expect(source.format).toEqual({ format: 'geojson' });
    expect(records).toHaveLength(9);
    records.forEach((record, i) => {
      const place = places[i]!;
      expect(record.line).toBe(i + 1);
      expect(record.fields).toMatchObject({
        id: place.key, name: place.name, address: `${place.housenumber} ${place.street}`, 'addr:city': place.city,
        'addr:postcode': place.postcode, website: place.website, phone: place.phone, category: place.category,
      });
      expect(record.fields.lat).toBeCloseTo(place.lat, 9);
      expect(record.fields.lng).toBeCloseTo(place.lng, 9);
    });
    expect(source.mapping).toEqual({
      'listings.name': 'name', 'listings.category': 'category', 'locations.address1': 'address', 'locations.city': 'addr:city',
      'locations.zip': 'addr:postcode', 'locations.lat': 'lat', 'locations.lng': 'lng', 'contact_info.website_url': 'website',
      'contact_info.local_phone': 'phone',
    });
  });

  it('ESRI attributes are mapped by their own names', async () => {
    const { source, records } = await readAll(featureCollection(places.map((place, i) => esriFeature(place, i + 1))));
    expect(records[2]!.fields).toMatchObject({ NAME: places[2]!.name, ADDRESS: `3 Lower Water Street`, CITY: 'Halifax', id: 3 });
    expect(source.mapping).toMatchObject({
      'listings.name': 'NAME', 'locations.address1': 'ADDRESS', 'locations.city': 'CITY', 'locations.zip': 'ZIP',
      'contact_info.local_phone': 'PHONE', 'contact_info.website_url': 'WEBSITE', 'locations.lat': 'lat', 'locations.lng': 'lng',
    });
  });

  it('a feature without geometry or with coordinates out of range is a problem naming its position; the rest go on', async () => {
    const features = places.map(osmFeature);
    features[1] = { ...features[1], geometry: null };
    features[4] = { ...features[4], geometry: { type: 'Point', coordinates: [44.6, -263.5] } };
    features[6] = { type: 'Point', coordinates: [0, 0] };
    const { records, problems } = await readAll(featureCollection(features));
    expect(records.map((record) => record.line)).toEqual([1, 3, 4, 6, 8, 9]);
    expect(problems).toEqual([
      { line: 2, reason: 'Feature 2 has no geometry: a point of interest needs a location' },
      { line: 5, reason: expect.stringContaining("Feature 5's geometry [44.6, -263.5] is out of range") },
      { line: 7, reason: 'Feature 7 is not a GeoJSON Feature (it has type "Point")' },
    ]);
  });

  it.each([
    ['a single Feature', JSON.stringify(osmFeature(places[0]!)), 'The file is a GeoJSON "Feature", not a FeatureCollection'],
    ['a FeatureCollection of no features', featureCollection([]), 'The list at "features" is empty'],
    ['an object without features', '{"type":"Topology","objects":{}}', 'The file is a GeoJSON "Topology", not a FeatureCollection'],
    ['an object of something else', '{"hotels":[{"name":"x"}]}', 'The document has no "features": a GeoJSON FeatureCollection has one'],
    ['features that are not a list', '{"type":"FeatureCollection","features":{"a":1}}', '"features" is an object, not a list'],
    ['broken JSON', '{"type":"FeatureCollection","features":[{"type":"Feature",,}]}', 'The JSON is not valid at line 1, position 59 (expected an object key)'],
    ['a file cut short', featureCollection(places.map(osmFeature)).slice(0, 900), 'The JSON ends before it is complete, at line'],
    ['a blank file', '  \n ', 'The file is empty'],
  ])('%s fails the run, saying why', async (_name, file, message) => {
    await expect(readAll(file, { format: 'geojson' })).rejects.toThrow(SourceError);
    await expect(readAll(file, { format: 'geojson' })).rejects.toThrow(message);
  });

  it('a 200 MB FeatureCollection streams through in the memory of a small one', async () => {
    const feature = (n: number) => osmFeature({ ...places[n % 9]!, name: `Place ${n} ${'x'.repeat(200)}`, key: `node/${n}` });
    const count = 200 * 1024 * 1024 / JSON.stringify(feature(1)).length;
    const gc = collector();
    gc();
    const before = process.memoryUsage().heapUsed;
    let peak = 0;
    let read = 0;
    const { source } = await open(streamedFeatureCollection(Math.ceil(count), feature));
    for await (const record of source.records) {
      read += 1;
      if (read % 20_000 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - before);
      }
      if (read === 1) expect(record.fields.id).toBe('node/1');
    }
    expect(read).toBe(Math.ceil(count));
    // the whole file is 200 MB; what is held between features is a chunk or two and the sampled records
    expect(peak).toBeLessThan(20 * 1024 * 1024);
  }, 180_000);
});

describe('the white space before a file', () => {
  const whitespace = (bytes: number) => Buffer.from(' \n\t\r'.repeat(bytes / 4));

  it('past its first 4 KiB is scanned chunk by chunk and the file read after it', async () => {
    const file = featureCollection(places.map(osmFeature));
    const chunks = [...Array.from({ length: 10 }, () => whitespace(1024)), Buffer.from(file)];
    const { records, source } = await readAll((async function* () { yield* chunks; })());
    expect(source.format).toEqual({ format: 'geojson' });
    expect(records).toHaveLength(9);
  });

  it('of more than 64 KiB fails the run without reading the rest of the file', async () => {
    let pulled = 0;
    // 512 KiB of it: enough to tell reading on from stopping, finite so a reader that reads on still ends
    async function* muchWhitespace() {
      for (let i = 0; i < 512; i += 1) {
        pulled += 1;
        yield whitespace(1024);
      }
      yield Buffer.from('[]');
    }
    await expect(open(muchWhitespace())).rejects.toThrow(new SourceError(
      'The file starts with more than 64 KiB of white space and nothing else: it is not a GeoJSON, JSON or CSV file'));
    // 65 chunks and what the upload stream reads ahead of them, not the 512 there are
    expect(pulled).toBeLessThan(80);
  });
});

describe('JSON and CSV exports', () => {
  it('an Overpass JSON export at import.records_path', async () => {
    const elements = places.slice(0, 3).map((place, i) => ({
      type: 'node', id: 1000 + i, lat: place.lat, lon: place.lng, tags: { name: place.name, tourism: 'hotel', 'addr:street': place.street },
    }));
    const { source, records } = await readAll(JSON.stringify({ version: 0.6, elements }), { records_path: 'elements' });
    expect(source.format).toEqual({ format: 'json' });
    expect(records[0]!.fields).toEqual({ name: places[0]!.name, tourism: 'hotel', 'addr:street': places[0]!.street, id: 'node/1000',
      lat: places[0]!.lat, lng: places[0]!.lng, address: places[0]!.street, category: 'hotel' });
  });

  it('import.records_path reads through a list by its index, as a JSON file source does', async () => {
    const { records } = await readAll(JSON.stringify({ pages: [{ results: [{ NAME: 'A', LAT: 44.1, LON: -63.2 }] }] }), { records_path: 'pages.0.results' });
    expect(records).toEqual([{ line: 1, fields: { NAME: 'A', LAT: 44.1, LON: -63.2 } }]);
  });

  it('a JSON list of plain records is kept as given', async () => {
    const { records } = await readAll(JSON.stringify([{ NAME: 'A', LAT: 44.1, LON: -63.2 }, 7]));
    expect(records).toEqual([{ line: 1, fields: { NAME: 'A', LAT: 44.1, LON: -63.2 } }]);
  });

  it('a JSON document without import.records_path says to set it', async () => {
    await expect(readAll('{"data":[]}', { format: 'json' })).rejects.toThrow('The document is an object, not a list: set import.records_path');
  });

  it('a CSV export goes through the CSV reader, and its OSM columns make the address', async () => {
    const csv = 'name,addr:housenumber,addr:street,addr:city,lat,lon\nHarbour Inn,12,Water Street,Halifax,44.64,-63.57\n"Bad ""row",1\nCafe,,Hollis St,Halifax,44.65,-63.58\n';
    const { source, records, problems } = await readAll(csv);
    expect(source.format).toEqual({ format: 'csv' });
    expect(records.map((record) => [record.line, record.fields.name, record.fields.address])).toEqual([[2, 'Harbour Inn', '12 Water Street'], [4, 'Cafe', 'Hollis St']]);
    expect(problems).toHaveLength(1);
    expect(source.mapping).toMatchObject({ 'listings.name': 'name', 'locations.address1': 'address', 'locations.lat': 'lat', 'locations.lng': 'lon' });
  });
});

describe('a file at import.base_url', () => {
  let server: PoiFileServer;
  beforeAll(async () => (server = await PoiFileServer.start()));
  afterAll(() => server.close());

  it('is fetched once and read as its upload would be', async () => {
    const url = server.serve('/export.geojson', featureCollection(places.map(osmFeature)));
    const { records } = await readAll(null, { base_url: url });
    expect(records).toHaveLength(9);
    expect(server.requests).toEqual([{ path: '/export.geojson', accept: expect.stringContaining('application/geo+json') }]);
  });

  it('an HTML page instead of the file fails naming the URL', async () => {
    const url = server.serve('/export.geojson', '<!DOCTYPE html><title>Sign in</title>', 'text/html');
    await expect(readAll(null, { base_url: url })).rejects.toThrow(`GET ${url} answered an HTML page (text/html), not a GeoJSON, JSON or CSV file`);
  });

  it('a file larger than the client takes for a page is streamed, not refused: a data set is read feature by feature', async () => {
    const small = createHttpClient({ allowPrivateHosts: ['127.0.0.1'], retries: 0, maxBytes: 1000 });
    const body = featureCollection(places.map(osmFeature));
    expect(body.length).toBeGreaterThan(5 * 1000); // five times what the client takes whole
    const url = server.serve('/big.geojson', body);
    const source = await openPoi({
      config: resolveConfig({ import: { base_url: url } }, 'poi'), upload: null, http: small, credentials: {},
      redis: undefined as never, queuePrefix: 'test', log: undefined as never,
    }, () => undefined);
    const names: unknown[] = [];
    for await (const record of source.records) names.push(record.fields.name);
    expect(names).toEqual(places.map((place) => place.name));
  });
});
