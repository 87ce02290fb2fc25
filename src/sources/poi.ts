// A POI data set as a source: a GeoJSON FeatureCollection (OSM tags or ESRI attributes as properties),
// a JSON list of POI records (GeoJSON features, ESRI JSON features, Overpass elements, plain records)
// or a CSV export, uploaded with each run or fetched from import.base_url. Each feature becomes one
// record (../domain/poi-record.ts): its properties as given plus id, lat/lng from its geometry, the
// OSM address and category. An upload, and a fetched file (the HTTP client's getStream), is read
// feature by feature, never whole. A feature that cannot be read (no
// geometry, coordinates out of range) is a problem naming its position and the rest go on; a
// document that is not a FeatureCollection or is broken fails the run before anything is staged.
import { featureRecord, poiMapping, poiRecord, type PoiFields } from '../domain/poi-record';
import { redactUrl, type HttpClient } from '../http/client';
import { openCsv } from './csv';
import { jsonListItems, type JsonListOptions } from './json-list';
import { prepend, sampleRecords, take } from './iterate';
import { SourceError, type ProblemSink, type SourceOpener, type SourceRecord } from './source';

type PoiFormat = 'geojson' | 'json' | 'csv';


export const openPoi: SourceOpener = async ({ config, upload, http, signal }, onProblem) => {
  const bytes = upload ?? (await fetchExport(http, config.import.base_url, signal));
  const head = await peekFirstByte(bytes as AsyncIterable<Buffer>);
  const format: PoiFormat = config.import.format ?? (head.first === '{' ? (config.import.records_path ? 'json' : 'geojson') : head.first === '[' ? 'json' : 'csv');
  if (head.first === null && format !== 'csv') throw new SourceError('The file is empty');

  let records: AsyncGenerator<SourceRecord>;
  if (format === 'csv') {
    const csv = await openCsv(head.bytes, { encoding: config.import.encoding, delimiter: config.import.delimiter }, onProblem);
    records = readCsvRecords(csv.records);
  } else {
    records = readJsonRecords(utf8Text(head.bytes), jsonListOf(format, config.import.records_path), format, onProblem);
  }
  // the known fields are those these records have: OSM's tags or an ESRI layer's attribute names
  const first = await take(records, sampleRecords);
  return { fields: null, format: { format }, records: prepend(first, records), mapping: poiMapping(first.map((record) => record.fields)) };
};

/**
 * A data set fetched from import.base_url can be far larger than an API page (a region's OSM extract):
 * streamed, it is bounded by this rather than HTTP_MAX_BYTES, against a server that never stops.
 */
const exportMaxBytes = 2 * 1024 ** 3;

/** GET import.base_url as a stream of its bytes; an HTML page (a login wall, an error page) is refused by name. */
async function fetchExport(http: HttpClient, baseUrl: string | undefined, signal: AbortSignal | undefined): Promise<AsyncIterable<Buffer>> {
  if (!baseUrl) throw new SourceError('No file was uploaded for this run, and import.base_url is not set to fetch one from');
  const response = await http.getStream(baseUrl, {
    headers: { accept: 'application/geo+json, application/json;q=0.9, text/csv;q=0.8, */*;q=0.5' },
    maxBytes: exportMaxBytes,
    ...(signal ? { signal } : {}),
  });
  const refuse = (contentType: string) => {
    response.body.destroy();
    return new SourceError(`GET ${redactUrl(baseUrl)} answered an HTML page (${contentType || 'no Content-Type'}), not a GeoJSON, JSON or CSV file: check import.base_url`);
  };
  const contentType = String(response.headers['content-type'] ?? '');
  if (/html/i.test(contentType)) throw refuse(contentType);
  const chunks = response.body[Symbol.asyncIterator]();
  const first = await chunks.next();
  if (!first.done && /^<(!doctype|html)/i.test((first.value as Buffer).subarray(0, 512).toString('utf-8').trimStart())) throw refuse(contentType);
  return prepend(first.done ? [] : [first.value as Buffer], chunks);
}

/** Where a POI export's list is, and the name messages give it (`"features"`, `import.records_path "elements"`). */
interface PoiList extends JsonListOptions {
  listName: string;
}

function jsonListOf(format: 'geojson' | 'json', recordsPath: string | undefined): PoiList {
  const list = (path: string[], listName: string, hint: string, itemName: string): PoiList => ({
    path, listName, itemName,
    refusal: (found) => (found ? `${listName} is ${found}, not a list: ${hint}` : `The document has no ${listName}: ${hint}`),
  });
  if (recordsPath) return list(recordsPath.split('.'), `import.records_path "${recordsPath}"`, 'check import.records_path', format === 'geojson' ? 'Feature' : 'Record');
  if (format === 'json') return list([], 'The document', 'set import.records_path to the list of records inside it', 'Record');
  return {
    ...list(['features'], '"features"', 'a GeoJSON FeatureCollection has one; for another JSON export set import.format to json and import.records_path', 'Feature'),
    onTopLevel: (key, value) => {
      if (key === 'type' && value !== 'FeatureCollection') {
        throw new SourceError(`The file is a GeoJSON ${JSON.stringify(value)}, not a FeatureCollection: a POI data set is a FeatureCollection of features`);
      }
    },
  };
}

async function* readJsonRecords(text: AsyncIterable<string>, list: PoiList, format: 'geojson' | 'json', onProblem: ProblemSink): AsyncGenerator<SourceRecord> {
  let read = 0;
  for await (const { position, value } of jsonListItems(text, list)) {
    read += 1;
    // in a FeatureCollection an item is a Feature (or an ESRI JSON feature), never a record as it is
    const strict = format === 'geojson' && !(typeof value === 'object' && value !== null && 'attributes' in value);
    const result = strict ? featureRecord(value, `${list.itemName} ${position}`) : poiRecord(value, `${list.itemName} ${position}`);
    if (result.ok) yield { line: position, fields: result.fields };
    // awaited, so a file of nothing but bad features is logged as it streams, not held
    else await onProblem({ line: position, reason: result.reason });
  }
  if (read === 0) throw new SourceError(`${list.path.length ? `The list at ${list.listName}` : 'The list'} is empty: the file has no points of interest`);
}

async function* readCsvRecords(rows: AsyncIterable<{ line: number; fields: Record<string, string> }>): AsyncGenerator<SourceRecord> {
  for await (const { line, fields } of rows) {
    const result = poiRecord(fields, `Line ${line}`);
    // a CSV row is always a plain record: poiRecord keeps it and adds the OSM address
    yield { line, fields: result.ok ? result.fields : (fields as PoiFields) };
  }
}

/** A file that is this much white space before its first character is not a data set (and is not held to find out). */
const maxLeadingWhitespace = 64 * 1024;
const isBlankByte = (byte: number) => byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
const utf8Mark = [0xef, 0xbb, 0xbf];

/**
 * The first byte that is not white space or a byte-order mark (null for an empty or blank file), and all
 * the bytes again. Each chunk is scanned once, from where the last one ended.
 */
async function peekFirstByte(source: AsyncIterable<Buffer>): Promise<{ first: string | null; bytes: AsyncIterable<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let first: string | null = null;
  let done = false;
  /** bytes scanned so far, across chunks */
  let offset = 0;
  /** the first two bytes, for a UTF-16 mark that a one-byte first chunk would split */
  let start = Buffer.alloc(0);
  while (first === null) {
    if (offset > maxLeadingWhitespace) {
      await iterator.return?.();
      throw new SourceError(`The file starts with more than ${maxLeadingWhitespace / 1024} KiB of white space and nothing else: it is not a GeoJSON, JSON or CSV file`);
    }
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    seen.push(chunk);
    if (start.length < 2) start = Buffer.concat([start, chunk.subarray(0, 2 - start.length)]);
    // a UTF-16 mark: a CSV (Excel's "Unicode text"); JSON is UTF-8 (RFC 8259)
    if ((start[0] === 0xff && start[1] === 0xfe) || (start[0] === 0xfe && start[1] === 0xff)) {
      first = '';
      break;
    }
    for (let i = 0; i < chunk.length; i += 1) {
      const at = offset + i;
      const byte = chunk[i]!;
      if (isBlankByte(byte) || (at < 3 && utf8Mark[at] === byte)) continue;
      first = String.fromCharCode(byte);
      break;
    }
    offset += chunk.length;
  }
  async function* bytes(): AsyncGenerator<Buffer> {
    yield* seen;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value as Buffer;
  }
  return { first, bytes: bytes() };
}

async function* utf8Text(bytes: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8'); // drops a byte-order mark; a character cut between chunks waits for its rest
  for await (const chunk of bytes) {
    const text = decoder.decode(chunk, { stream: true });
    if (text) yield text;
  }
  const tail = decoder.decode();
  if (tail) yield tail;
}

