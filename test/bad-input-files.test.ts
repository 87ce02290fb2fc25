// The bad-input catalogue of uploaded files, through the API with real PostgreSQL, Redis and BullMQ
// workers, beside csv-bad-input.test.ts (bad rows, unbalanced quotes, ragged rows, empty, header only,
// over the limit, a PNG named .csv) and uploads.test.ts (uploads cut short): what is left of the list of
// bad files met so far. A file refused at the upload leaves every table and the store as they were; a
// file the import cannot read fails its run naming the file, and the run and its upload are then all
// that changed (no raw file, no staged row, nothing in production); a record that cannot be read is
// rejected with its line and field while the others are staged.
import zlib from 'node:zlib';
import ExcelJS from 'exceljs';
import { userWithRoles } from './harness/context';
import { ApiClient } from './harness/http';
import { csvMapping, listingsCsv, makeListings, startPipelineUnderTest, waitForRun, type PipelineUnderTest } from './harness/pipeline';
import { changesBetween, noChange, snapshotState, watchState, type StateSnapshot } from './harness/snapshot';

jest.setTimeout(120_000);

const uploadLimit = 4 * 1024 * 1024;

let product: PipelineUnderTest;
let api: ApiClient;
let token: string;

beforeAll(async () => {
  product = await startPipelineUnderTest({ UPLOAD_MAX_BYTES: String(uploadLimit) });
  const user = await userWithRoles(product.t.ctx, ['super_admin']);
  const browser = new ApiClient(product.server.url);
  await browser.login(user.email, user.password);
  token = (await browser.post('/api/v1/auth/tokens', { name: 'bad files' })).body.token;
  api = new ApiClient(product.server.url, token);
});
afterAll(() => product.close());

type SourceType = 'csv' | 'json' | 'xlsx';

let sources = 0;
/** A DMO and a config of its own, so no run supersedes another's. */
async function newConfig(sourceType: SourceType, importSettings: Record<string, unknown> = {}): Promise<number> {
  sources += 1;
  const dmo = await api.post('/api/v1/pipeline/dmos', { name: `Bad Files ${sources}`, dmo_type_id: 3 });
  const config = await api.post('/api/v1/pipeline/configs', {
    dmo_id: dmo.body.id, source_type: sourceType,
    config_params: { import: { source_id_column: 'ID', ...importSettings }, transform: { map_fields: sourceType === 'json' ? jsonMapping : csvMapping } },
  });
  expect(config.status).toBe(201);
  return config.body.id as number;
}
const jsonMapping = { 'listings.name': 'Name', 'locations.city': 'City' };

async function openRun(configId: number): Promise<number> {
  const reply = await api.post('/api/v1/pipeline/executeStage', { configId });
  expect(reply.body).toMatchObject({ status: 'waiting_for_input' });
  return reply.body.jobId as number;
}

const bytesOf = (content: string | Buffer) => new Uint8Array(typeof content === 'string' ? Buffer.from(content) : content);

function upload(runId: number | string, content: string | Buffer, fileName = 'listings.csv', type = 'text/csv') {
  const form = new FormData();
  form.append('jobId', String(runId));
  form.append('file', new Blob([bytesOf(content)], { type }), fileName);
  return api.request('POST', '/api/v1/pipeline/uploadStageFile', form);
}

/** A multipart body written by hand: the parts in the order given, each with its own headers. */
function multipart(parts: { headers: string; body: string | Buffer }[], boundary = 'catalogue-boundary') {
  const chunks = parts.flatMap((part) => [Buffer.from(`--${boundary}\r\n${part.headers}\r\n\r\n`), Buffer.from(bytesOf(part.body)), Buffer.from('\r\n')]);
  return {
    body: Buffer.concat([...chunks, Buffer.from(`--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

async function post(url: string, body: Buffer, contentType: string) {
  const response = await fetch(`${product.server.url}${url}`, {
    method: 'POST', body: new Uint8Array(body), headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

const db = () => product.t.ctx.db;
const snapshot = () => snapshotState(db(), product.t.storageDir);

/** Upload, continue, and wait for the run to end; returns the run. */
async function runOf(configId: number, content: string | Buffer, fileName: string, ends = ['failed', 'awaiting_review']) {
  const runId = await openRun(configId);
  const uploaded = await upload(runId, content, fileName);
  expect({ fileName, status: uploaded.status, body: uploaded.body }).toMatchObject({ fileName, status: 201 });
  expect((await api.post('/api/v1/pipeline/executeStage', { jobId: runId, continue: true })).body.status).toBe('queued');
  return waitForRun(api, runId, ends);
}

const errorsOf = async (runId: number) => (await api.get(`/api/v1/pipeline/jobs/${runId}/errors?pageSize=1000`)).body as { errors: any[]; total: number };
const stagedOf = async (runId: number) => (await api.get(`/api/v1/pipeline/staging/rows?jobId=${runId}&pageSize=500`)).body as { rows: any[]; total: number };

/** What a failed run may change: the run, its results and errors, and its upload; nothing staged, nothing published. */
const failedRunTables = ['pipeline.job_configs', 'pipeline.job_errors', 'pipeline.job_files', 'pipeline.job_results', 'pipeline.jobs'];

async function expectOnlyRunsAndUploads(before: StateSnapshot, runIds: number[]) {
  const changed = changesBetween(before, await snapshot());
  expect(changed.tables.filter((table) => !failedRunTables.includes(table))).toEqual([]);
  expect(changed.filesRemoved).toEqual([]);
  const { rows } = await db().query(`SELECT storage_key FROM pipeline.job_files WHERE job_id = ANY($1) AND kind = 'upload'`, [runIds]);
  const uploads = rows.map((row) => row.storage_key as string).sort();
  expect(uploads).toHaveLength(runIds.length);
  // the uploads and nothing else: no raw file of a run that failed
  expect(changed.filesAdded.map((file) => file.replace(/ \(\d+\)$/, '')).sort()).toEqual(uploads);
  const raw = await db().query(`SELECT count(*)::int AS n FROM pipeline.job_files WHERE job_id = ANY($1) AND kind = 'raw'`, [runIds]);
  expect(raw.rows[0].n).toBe(0);
}

// ---------------------------------------------------------------- the files

const header = 'ID,Name,Address,City,Latitude,Longitude,Description,Email';
const goodCsv = (count = 3) => listingsCsv(makeListings(count));
/** 10 MiB of zeros, gzipped to a few KiB: past the upload limit once inflated. */
const gzipBomb = zlib.gzipSync(Buffer.alloc(10 * 1024 * 1024), { level: 9 });
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]), Buffer.alloc(64)]);
const utf16le = (text: string) => Buffer.from(text, 'utf16le');
const utf16be = (text: string) => {
  const bytes = Buffer.from(text, 'utf16le');
  for (let i = 0; i < bytes.length; i += 2) [bytes[i], bytes[i + 1]] = [bytes[i + 1]!, bytes[i]!];
  return bytes;
};
const utf32le = (text: string) => Buffer.concat([...text].map((char) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(char.codePointAt(0)!);
  return bytes;
}));
const bom = Buffer.from([0xef, 0xbb, 0xbf]);

async function workbook(): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('Listings');
  sheet.addRow(header.split(','));
  for (const row of makeListings(3)) sheet.addRow([row.id, row.name, row.address, row.city, row.lat, row.lng, row.description, row.email]);
  return Buffer.from(await book.xlsx.writeBuffer());
}

/** A zip archive of one text file: a zip that is not a workbook. */
function zipOf(name: string, content: string): Buffer {
  const data = Buffer.from(content);
  const crc = zlib.crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20); central.writeUInt32LE(data.length, 24); central.writeUInt16LE(name.length, 28);
  const localPart = Buffer.concat([local, Buffer.from(name), data]);
  const centralPart = Buffer.concat([central, Buffer.from(name)]);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(1, 8); end.writeUInt16LE(1, 10);
  end.writeUInt32LE(centralPart.length, 12); end.writeUInt32LE(localPart.length, 16);
  return Buffer.concat([localPart, centralPart, end]);
}

// ---------------------------------------------------------------- refused at the upload

describe('an upload refused at the door leaves the database and the store as they were', () => {
  let configId: number;
  beforeAll(async () => {
    configId = await newConfig('csv');
  });

  const url = '/api/v1/pipeline/uploadStageFile';
  const filePart = (name = 'listings.csv', extra = '') =>
    ({ headers: `content-disposition: form-data; name="file"; filename="${name}"${extra}\r\ncontent-type: text/csv`, body: goodCsv() });
  const jobIdPart = (value: string | Buffer) => ({ headers: 'content-disposition: form-data; name="jobId"', body: value });

  it.each([
    ['no file part', (runId: number) => multipart([jobIdPart(String(runId))]), /No file part named "file"/],
    ['the file before the jobId field', (runId: number) => multipart([filePart(), jobIdPart(String(runId))]), /jobId/],
    ['a jobId that is not a number', () => multipart([jobIdPart('abc'), filePart()]), /jobId/],
    ['a jobId with a NUL', (runId: number) => multipart([jobIdPart(`${runId}\u0000`), filePart()]), /jobId/],
    ['a jobId in hexadecimal', () => multipart([jobIdPart('0x1'), filePart()]), /jobId/],
    ['a jobId with a leading space', (runId: number) => multipart([jobIdPart(` ${runId}`), filePart()]), /jobId/],
    ['a jobId of 20 KB', (runId: number) => multipart([jobIdPart(`${runId}${'0'.repeat(20_000)}`), filePart()]), /jobId/],
    ['a jobId of 2^63', () => multipart([jobIdPart('9223372036854775808'), filePart()]), /jobId/],
    ['a file name with a NUL', (runId: number) => multipart([jobIdPart(String(runId)), filePart('x.csv', `; filename*=UTF-8''list%00ings.csv`)]), /file name/],
    ['a body of junk', () => ({ body: Buffer.alloc(200_000, 'junk'), contentType: 'multipart/form-data; boundary=catalogue-boundary' }), /upload could not be read|No file part/],
    ['a part with no closing boundary', (runId: number) => ({
      body: Buffer.from(`--b\r\ncontent-disposition: form-data; name="jobId"\r\n\r\n${runId}\r\n--b\r\ncontent-disposition: form-data; name="file"; filename="a.csv"\r\n\r\n${goodCsv()}`),
      contentType: 'multipart/form-data; boundary=b',
    }), /cut short or malformed|upload could not be read/],
  ])('%s: 400 naming it, nothing kept', async (_label, body, message) => {
    const runId = await openRun(configId);
    const changes = await watchState(db(), product.t.storageDir);
    const { body: bytes, contentType } = body(runId);
    const reply = await post(url, bytes, contentType);
    expect({ status: reply.status, message: reply.json?.error?.message }).toEqual({ status: 400, message: expect.stringMatching(message) });
    expect(await changes()).toEqual(noChange);
    expect((await api.get(`/api/v1/pipeline/jobs/${runId}`)).body.status).toBe('waiting_for_input');
  });

  it('a file name is kept as text, read as UTF-8, and never becomes a path in the store', async () => {
    const names: [string, string][] = [
      ['Café – Übersicht.csv', 'Café – Übersicht.csv'], ['../../../../etc/passwd.csv', 'passwd.csv'], ['C:\\exports\\listings.csv', 'listings.csv'],
      ['<img src=x onerror=alert(1)>.csv', '<img src=x onerror=alert(1)>.csv'], [`${'x'.repeat(5000)}.csv`, 'x'.repeat(255)],
      [`'; DROP TABLE pipeline.job_files; --.csv`, `'; DROP TABLE pipeline.job_files; --.csv`], ['no-extension', 'no-extension'],
    ];
    for (const [name, kept] of names) {
      const runId = await openRun(configId);
      const reply = await upload(runId, goodCsv(), name);
      expect({ name: name.slice(0, 40), status: reply.status }).toEqual({ name: name.slice(0, 40), status: 201 });
      const { rows } = await db().query(`SELECT original_name, storage_key FROM pipeline.job_files WHERE job_id = $1`, [runId]);
      // busboy keeps the base name of a path, as browsers send it
      expect(rows[0].original_name).toBe(kept);
      expect(rows[0].storage_key).toMatch(/^dev-data\/upload\/listings\/\d+\/\d{8}\/job-\d{6}-[0-9a-f]{8}\.[a-z0-9]+$/);
    }
  });
});

// ---------------------------------------------------------------- refused by the import

describe('a file the import cannot read fails its run naming the file; only the run and its upload are kept', () => {
  const cases: { label: string; sourceType: SourceType; fileName: string; content: () => Promise<Buffer | string> | Buffer | string; error: RegExp; settings?: Record<string, unknown> }[] = [
    { label: 'a gzip bomb as a CSV', sourceType: 'csv', fileName: 'listings.csv.gz', content: () => gzipBomb, error: /listings\.csv\.gz: The file is not CSV text: .*gzip/ },
    { label: 'a gzip bomb as a JSON file', sourceType: 'json', fileName: 'listings.json.gz', content: () => gzipBomb, error: /listings\.json\.gz: The file is not JSON text: .*gzip/ },
    { label: 'a gzip bomb as a workbook', sourceType: 'xlsx', fileName: 'listings.xlsx.gz', content: () => gzipBomb, error: /listings\.xlsx\.gz: The file is not an XLSX workbook/ },
    { label: 'a workbook (a zip) named .csv', sourceType: 'csv', fileName: 'listings.csv', content: workbook, error: /listings\.csv: The file is not CSV text: .*(zip|XLSX)/ },
    { label: 'a PNG as a JSON file', sourceType: 'json', fileName: 'listings.json', content: () => png, error: /listings\.json: The file is not JSON text: .*PNG/ },
    { label: 'a zip that is no workbook', sourceType: 'xlsx', fileName: 'listings.xlsx', content: () => zipOf('listings.csv', goodCsv()), error: /listings\.xlsx: .*(workbook|xlsx|XLSX)/ },
    { label: 'UTF-32 text', sourceType: 'csv', fileName: 'utf32.csv', content: () => Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), utf32le(goodCsv())]), error: /utf32\.csv: The file is UTF-32 text/ },
    { label: 'UTF-16 without its byte-order mark', sourceType: 'csv', fileName: 'utf16.csv', content: () => utf16le(goodCsv()), error: /utf16\.csv: The file is not CSV text: .*UTF-16/ },
    { label: 'a byte-order mark and nothing else', sourceType: 'csv', fileName: 'bom.csv', content: () => bom, error: /bom\.csv: The file (is empty|has no header line)/ },
    { label: 'blank lines only', sourceType: 'csv', fileName: 'blank.csv', content: () => '\n\r\n  \n\t\n', error: /blank\.csv: The file has no header line/ },
    { label: 'a header only, after a BOM, with CRLF', sourceType: 'csv', fileName: 'header.csv', content: () => Buffer.concat([bom, Buffer.from(`${header}\r\n`)]), error: /header\.csv: the file has a header line but no records/ },
    { label: 'a header line over 1 MiB', sourceType: 'csv', fileName: 'wide.csv', content: () => `${header},${'x'.repeat(1.2 * 1024 * 1024)}\nL1,a,b,c,1,2,d,e\n`, error: /wide\.csv: The header line \(line 1\) is too long/ },
    { label: 'a column named twice', sourceType: 'csv', fileName: 'twice.csv', content: () => goodCsv().replace('Email', 'Name'), error: /twice\.csv: The header line names column "Name" twice/ },
    // refused by its header while most of it is still unread: the reader closes the rest, and the worker lives
    { label: 'a column named twice in a file of 12,000 rows', sourceType: 'csv', fileName: 'twice-big.csv', content: () => goodCsv(12_000).replace('Email', 'Name'), error: /twice-big\.csv: The header line names column "Name" twice/ },
    { label: 'an empty column name', sourceType: 'csv', fileName: 'unnamed.csv', content: () => goodCsv().replace(',Email', ','), error: /unnamed\.csv: The header line has an empty column name \(column 8\)/ },
    { label: 'JSON nested 10,000 deep', sourceType: 'json', fileName: 'deep.json', content: () => `[${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}]`, error: /deep\.json: .*nested deeper than \d+ levels/ },
    { label: 'a JSON array cut short', sourceType: 'json', fileName: 'cut.json', content: () => '[{"ID": "L1", "Name": "A", "City": "B"}, {"ID": "L2", "Na', error: /cut\.json: The JSON ends before it is complete/ },
  ];

  it('each fails with a message naming the file and the reason; nothing is staged or published', async () => {
    const chosen = cases;
    const configs = await Promise.all(chosen.map((item) => newConfig(item.sourceType, item.settings)));
    const before = await snapshot();
    const runs = await Promise.all(chosen.map(async (item, i) => {
      const run = await runOf(configs[i]!, await item.content(), item.fileName, ['failed', 'awaiting_review']);
      return { ...item, run };
    }));
    const outcomes = runs.map(({ label, run }) => ({ label, status: run.status, error: run.error_summary as string | null }));
    expect(outcomes).toEqual(chosen.map(({ label, error }) => ({ label, status: 'failed', error: expect.stringMatching(error) })));
    for (const { run } of runs) expect((await stagedOf(run.id)).total).toBe(0);
    await expectOnlyRunsAndUploads(before, runs.map(({ run }) => run.id));
  });
});

// ---------------------------------------------------------------- records that cannot be read

describe('a record that cannot be read is rejected with its line and field; the others are staged', () => {
  /** Enough records that the bad one comes after the first 64 KiB the reader sniffs the file from. */
  const many = makeListings(700);

  it('a NUL byte in a field past the first 64 KiB rejects that record naming its line', async () => {
    const lines = listingsCsv(many).split('\n');
    expect(lines.slice(0, 600).join('\n').length).toBeGreaterThan(64 * 1024);
    lines[600] = lines[600]!.replace('Water Street', 'Water\u0000Street');
    const run = await runOf(await newConfig('csv'), lines.join('\n'), 'nul.csv');
    expect({ status: run.status, error: run.error_summary }).toEqual({ status: 'awaiting_review', error: null });
    expect(run.results).toMatchObject({ records_total: 700, records_error: 1, records_new: 699 });
    const { errors } = await errorsOf(run.id);
    expect(errors).toEqual([expect.objectContaining({ line: 601, error_message: expect.stringMatching(/^Address holds a NUL character \(\\u0000\) at character 10/) })]);
  });

  it('a record over 1 MiB is rejected naming its line; the records around it are staged', async () => {
    const rows = makeListings(3);
    rows[1]!.description = 'long '.repeat(250_000);
    const run = await runOf(await newConfig('csv'), listingsCsv(rows), 'long.csv');
    expect({ status: run.status, error: run.error_summary }).toEqual({ status: 'awaiting_review', error: null });
    expect(run.results).toMatchObject({ records_total: 3, records_error: 1, records_new: 2 });
    const { errors } = await errorsOf(run.id);
    expect(errors).toEqual([expect.objectContaining({ line: 3, error_message: expect.stringMatching(/1 MiB|too long|longer/) })]);
    expect((await stagedOf(run.id)).rows.map((row) => row.source_id).sort()).toEqual(['L1', 'L3']);
  });

  it('a NUL or a lone surrogate in a JSON string rejects that record naming it; the others are staged', async () => {
    const records = [
      { ID: 'J1', Name: 'Fine Place', City: 'Halifax' },
      { ID: 'J2', Name: 'Bad\u0000Place', City: 'Halifax' },
      { ID: 'J3', Name: 'Lone \ud800 Surrogate', City: 'Halifax' },
      { ID: 'J4', Name: 'Another Fine Place', City: 'Truro', Notes: 'not mapped, but \u0000 here too' },
    ];
    const run = await runOf(await newConfig('json'), JSON.stringify(records), 'strings.json');
    expect({ status: run.status, error: run.error_summary }).toEqual({ status: 'awaiting_review', error: null });
    const { errors } = await errorsOf(run.id);
    // a JSON array's records are named by their position in it
    expect(errors.map((error) => ({ line: error.line, message: error.error_message }))).toEqual([
      { line: 2, message: expect.stringMatching(/^Name holds a NUL character/) },
      { line: 3, message: expect.stringMatching(/^Name holds a lone UTF-16 surrogate \(\\ud800\)/) },
      // a field no mapping reads is still kept with the raw record, which cannot hold it either
      { line: 4, message: expect.stringMatching(/^Notes holds a NUL character/) },
    ]);
    expect((await stagedOf(run.id)).rows.map((row) => row.source_id)).toEqual(['J1']);
  });

  it('a CSV the config says is UTF-8 but is Windows-1252 rejects the records that are not UTF-8, naming their line', async () => {
    const text = `${header}\nL1,Café Bleu,1 Water Street,Halifax,44.6,-63.5,Fine,a@example.org\nL2,Plain Inn,2 Water Street,Halifax,44.6,-63.5,Fine,b@example.org\n`;
    const run = await runOf(await newConfig('csv', { encoding: 'utf-8' }), Buffer.from(text, 'latin1'), 'latin1.csv');
    expect({ status: run.status, error: run.error_summary }).toEqual({ status: 'awaiting_review', error: null });
    const { errors } = await errorsOf(run.id);
    expect(errors).toEqual([expect.objectContaining({ line: 2, error_message: expect.stringMatching(/^Name holds bytes that are not UTF-8 .*import\.encoding/) })]);
    expect((await stagedOf(run.id)).rows.map((row) => row.source_id)).toEqual(['L2']);
  });
});

// ---------------------------------------------------------------- odd but readable

describe('files that are odd but readable are read as their author meant', () => {
  it.each([
    ['CR-only line ends (an old Mac export)', () => goodCsv(3).replace(/\n/g, '\r')],
    ['a UTF-8 byte-order mark and CRLF', () => Buffer.concat([bom, Buffer.from(goodCsv(3).replace(/\n/g, '\r\n'))])],
    ['UTF-16LE with its byte-order mark', () => Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le(goodCsv(3))])],
    ['UTF-16BE with its byte-order mark', () => Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(goodCsv(3))])],
    ['no line end after the last record', () => goodCsv(3).trimEnd()],
    ['Windows-1252 accents', () => Buffer.from(goodCsv(3).replace('Harbour Place 1', 'Café Öl Ñandú'), 'latin1')],
  ])('%s: every record staged', async (_label, content) => {
    const run = await runOf(await newConfig('csv'), content(), 'odd.csv', ['awaiting_review']);
    expect(run.results).toMatchObject({ records_total: 3, records_error: 0 });
    const names = (await stagedOf(run.id)).rows.map((row) => row.name).sort();
    expect(names).toHaveLength(3);
    if (_label.startsWith('Windows-1252')) expect(names).toContain('Café Öl Ñandú');
  });
});

// ---------------------------------------------------------------- suggest-mapping

describe('suggest-mapping refuses what it cannot read with 400 naming the file, and keeps nothing', () => {
  it.each([
    ['a gzip bomb', 'listings.csv.gz', () => gzipBomb, /listings\.csv\.gz: .*gzip/],
    ['a PNG named .csv', 'logo.csv', () => png, /logo\.csv: .*PNG/],
    ['UTF-32 text', 'utf32.csv', () => Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), utf32le(goodCsv())]), /utf32\.csv: The file is UTF-32/],
    ['a byte-order mark alone', 'bom.csv', () => bom, /bom\.csv: /],
    ['a zip that is no workbook', 'listings.xlsx', () => zipOf('a.txt', 'hello'), /listings\.xlsx: /],
    ['JSON nested 10,000 deep', 'deep.json', () => `[${'['.repeat(10_000)}${']'.repeat(10_000)}]`, /deep\.json: /],
    ['a header line of 100 KiB', 'wide.csv', () => `${'x'.repeat(100 * 1024)}\n`, /wide\.csv: the header line is longer than/],
  ])('%s', async (_label, fileName, content, message) => {
    const changes = await watchState(db(), product.t.storageDir);
    const form = new FormData();
    form.append('file', new Blob([bytesOf(content())]), fileName);
    const reply = await api.request('POST', '/api/v1/pipeline/configs/suggest-mapping', form);
    expect({ status: reply.status, message: reply.body?.error?.message }).toEqual({ status: 400, message: expect.stringMatching(message) });
    expect(await changes()).toEqual(noChange);
  });
});
