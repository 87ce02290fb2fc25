import { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import iconv from 'iconv-lite';
import { resolveConfig } from '../domain/config-params';
import { openJsonFile } from './json-file';
import { SourceError, type SourceInput, type SourceProblem, type SourceRecord } from './source';

function input(content: string | Buffer | AsyncIterable<Buffer>, records_path?: string): SourceInput {
  const upload = typeof content === 'string' || Buffer.isBuffer(content) ? Readable.from([Buffer.from(content)]) : Readable.from(content);
  return { config: resolveConfig({ import: records_path ? { records_path } : {} }, 'json'), upload } as unknown as SourceInput;
}

async function read(content: string | Buffer | AsyncIterable<Buffer>, recordsPath?: string) {
  const problems: SourceProblem[] = [];
  const source = await openJsonFile(input(content, recordsPath), (problem) => void problems.push(problem));
  const records: SourceRecord[] = [];
  for await (const record of source.records) records.push(record);
  return { source, records, problems };
}

const failure = (content: string | Buffer, recordsPath?: string) =>
  read(content, recordsPath).then(() => null, (error: unknown) => {
    expect(error).toBeInstanceOf(SourceError);
    return (error as Error).message;
  });

describe('a JSON array of records', () => {
  it('gives each object with its 1-based position, nested as it is', async () => {
    const { source, records, problems } = await read('[{"name": "A", "address": {"city": "Halifax"}},\n {"name": "B"}]');
    expect(source.fields).toBeNull();
    expect(records).toEqual([
      { line: 1, fields: { name: 'A', address: { city: 'Halifax' } } },
      { line: 2, fields: { name: 'B' } },
    ]);
    expect(problems).toEqual([]);
  });

  it('reads UTF-8 with its byte-order mark, and UTF-16 by its mark', async () => {
    const json = '[{"name": "Café Été"}]';
    expect((await read(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]))).records[0]!.fields).toEqual({ name: 'Café Été' });
    expect((await read(iconv.encode(json, 'utf-16le', { addBOM: true }))).records[0]!.fields).toEqual({ name: 'Café Été' });
    expect((await read(iconv.encode(json, 'utf-16be', { addBOM: true }))).records[0]!.fields).toEqual({ name: 'Café Été' });
  });

  it('reports an item that is not an object as a problem with its position and goes on', async () => {
    const { records, problems } = await read('[{"name": "A"}, "stray", [1, 2], null, {"name": "B"}]');
    expect(records.map((record) => record.line)).toEqual([1, 5]);
    expect(problems).toEqual([
      { line: 2, reason: 'Record 2 is a string, not a record (a JSON object)' },
      { line: 3, reason: 'Record 3 is a list, not a record (a JSON object)' },
      { line: 4, reason: 'Record 4 is null, not a record (a JSON object)' },
    ]);
  });

  it('fails a truncated file, naming where it ends, rather than giving the records before the cut', async () => {
    const message = await failure('[\n{"name": "A"},\n{"name": "B"},\n{"name": "C", "addr');
    expect(message).toMatch(/ends before it is complete, at line 4: the file looks cut short/);
  });

  it('fails invalid JSON in the middle of the file, naming its line and position', async () => {
    const message = await failure('[\n{"name": "A"},\n{"name": "B" "city": "X"},\n{"name": "C"}]');
    expect(message).toMatch(/not valid at line 3, position 14/);
  });

  it('refuses an empty array, an empty file, a blank file and a binary file', async () => {
    expect(await failure('[]')).toMatch(/JSON array is empty/);
    expect(await failure('')).toBe('The file is empty');
    expect(await failure('  \n ')).toMatch(/blank/);
    expect(await failure(Buffer.from([0x5b, 0x7b, 0x00, 0x01]))).toMatch(/binary data \(a NUL byte at offset 2\)/);
    expect(await failure('<html>')).toMatch(/not a JSON array of records or NDJSON: it starts with "<html>"/);
  });

  it('refuses a record nested absurdly deep instead of overflowing the stack', async () => {
    expect(await failure(`[{"a": ${'['.repeat(200)}${']'.repeat(200)}}]`)).toMatch(/nested deeper than 64 levels/);
  });
});

describe('a JSON document with its records inside', () => {
  const document = '{"meta": {"count": 2}, "data": {"items": [{"name": "A"}, {"name": "B"}], "tags": ["x"]}}';

  it('reads the list import.records_path names', async () => {
    const { records } = await read(document, 'data.items');
    expect(records).toEqual([{ line: 1, fields: { name: 'A' } }, { line: 2, fields: { name: 'B' } }]);
  });

  it('without import.records_path, tells the admin to set it, naming the lists it holds', async () => {
    expect(await failure(document)).toBe(
      'The file is one JSON object, not a list of records: set import.records_path to the list of records inside it (its lists of objects: data.items)');
    expect(await failure('{\n  "name": "Only one"\n}')).toMatch(/set import.records_path/);
  });

  it('names what records_path points at when it is not a list, or that it is not there', async () => {
    expect(await failure(document, 'data')).toMatch(/^import.records_path "data" names an object, not a list of records \(its lists of objects: data.items\)/);
    expect(await failure(document, 'meta.count')).toMatch(/"meta.count" names a number/);
    expect(await failure(document, 'data.missing')).toBe('import.records_path "data.missing" is not in the document (its lists of objects: data.items)');
  });

  it('names the lists of objects in it, not an empty list met before an object', async () => {
    expect(await failure('{"tags": [], "meta": {"count": 1}, "places": [{"name": "A"}]}')).toBe(
      'The file is one JSON object, not a list of records: set import.records_path to the list of records inside it (its lists of objects: places)');
  });

  it('reads a list inside a list by its index', async () => {
    const { records } = await read('{"pages": [{"results": [{"name": "A"}]}]}', 'pages.0.results');
    expect(records).toEqual([{ line: 1, fields: { name: 'A' } }]);
  });
});

describe('NDJSON', () => {
  it('gives each line with its line number, skipping blank lines', async () => {
    const { source, records } = await read('{"name": "A"}\r\n\n{"name": "B", "tags": ["x"]}\n');
    expect(source.format).toEqual({ format: 'ndjson', encoding: 'utf-8' });
    expect(records).toEqual([{ line: 1, fields: { name: 'A' } }, { line: 3, fields: { name: 'B', tags: ['x'] } }]);
  });

  it('reports a line that is not valid JSON, or not an object, and reads the rest', async () => {
    const { records, problems } = await read('{"name": "A"}\n{"name": "B", \n42\n{"name": "D"}');
    expect(records.map((record) => record.line)).toEqual([1, 4]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatchObject({ line: 2, reason: expect.stringMatching(/^Line 2 is not valid JSON/) });
    expect(problems[1]).toEqual({ line: 3, reason: 'Line 3 is a number, not a record (a JSON object)' });
  });

  it('fails a file whose last line is cut short (no line end, not valid JSON) rather than giving the lines before it', async () => {
    const message = await failure('{"name": "A"}\n{"name": "B"}\n{"name": "C", "ci');
    expect(message).toBe('The file looks cut short at line 3: its last line has no line end and is not valid JSON; '
      + 'nothing of it is imported, as a cut-short file would propose deleting the listings it lacks');
  });

  it('keeps a bad line that ends with a line break, even the last, a problem of its own', async () => {
    const { records, problems } = await read('{"name": "A"}\n{"name": "B", \n');
    expect(records.map((record) => record.line)).toEqual([1]);
    expect(problems).toEqual([{ line: 2, reason: expect.stringMatching(/^Line 2 is not valid JSON/) }]);
  });

  it('splits lines that cross chunk boundaries', async () => {
    const text = Array.from({ length: 500 }, (_, i) => JSON.stringify({ n: i + 1, name: `Place ${i + 1}` })).join('\n');
    const bytes = Buffer.from(text);
    const chunks = async function* () {
      for (let at = 0; at < bytes.length; at += 97) yield bytes.subarray(at, at + 97);
    };
    const { records } = await read(chunks());
    expect(records).toHaveLength(500);
    expect(records[499]).toEqual({ line: 500, fields: { n: 500, name: 'Place 500' } });
  });
});

it('streams a large array in bounded memory', async () => {
  const count = 300_000;
  const record = (n: number) => JSON.stringify({ id: n, name: `Harbour Place ${n}`, address: { street: `${n} Water Street`, city: 'Halifax' } });
  async function* chunks() {
    yield Buffer.from('[');
    for (let n = 1; n <= count; n += 1000) {
      const items: string[] = [];
      for (let i = n; i < n + 1000 && i <= count; i += 1) items.push(record(i));
      yield Buffer.from(`${n > 1 ? ',' : ''}${items.join(',\n')}`);
    }
    yield Buffer.from(']');
  }
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const source = await openJsonFile(input(chunks()), () => undefined);
  gc();
  const before = process.memoryUsage().heapUsed;
  let seen = 0;
  let peak = 0;
  for await (const { line } of source.records) {
    seen += 1;
    if (line !== seen) throw new Error(`record ${seen} has line ${line}`);
    if (seen % 50_000 === 0) {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed - before);
    }
  }
  expect(seen).toBe(count);
  // the whole file is about 25 MB of text and far more as objects; a record at a time stays well under it
  expect(peak).toBeLessThan(16 * 1024 * 1024);
}, 60_000);
