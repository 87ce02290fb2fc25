// Bad CSV input through the API, with real PostgreSQL, Redis and BullMQ workers: every bad row or file
// gets a message a person can act on (its line, field or limit), and the good rows are all staged.
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from './harness/context';
import type { ApiClient } from './harness/http';
import {
  csvMapping, listingsCsv, makeListings, startCsvRun, startPipelineUnderTest, waitForRun, type ListingRow, type PipelineUnderTest,
} from './harness/pipeline';

jest.setTimeout(120_000);

/** Small, so one test can pass it; every other file here stays well below it. */
const uploadLimit = 64_000;

let product: PipelineUnderTest;
let t: TestContext;
let admin: ApiClient;

beforeAll(async () => {
  product = await startPipelineUnderTest({ UPLOAD_MAX_BYTES: String(uploadLimit) });
  ({ t, admin } = product);
});
afterAll(() => product.close());

let sources = 0;
/** A DMO of its own and a CSV config for it, so runs of different tests never supersede each other. */
async function newConfig(mapping: Record<string, string> = csvMapping): Promise<number> {
  sources += 1;
  const dmo = (await admin.post('/api/v1/pipeline/dmos', { name: `Bad Input ${sources}`, dmo_type_id: 3 })).body;
  const config = await admin.post('/api/v1/pipeline/configs', {
    dmo_id: dmo.id, source_type: 'csv',
    config_params: { import: { source_id_column: 'ID' }, transform: { map_fields: mapping } },
  });
  expect(config.status).toBe(201);
  return config.body.id as number;
}

/** executeStage: a new run waiting for its file. */
async function openRun(configId: number): Promise<number> {
  const reply = await admin.post('/api/v1/pipeline/executeStage', { configId });
  expect(reply.body).toMatchObject({ status: 'waiting_for_input', inputType: 'file' });
  return reply.body.jobId as number;
}

function upload(runId: number, content: string | Buffer, fileName = 'listings.csv') {
  const form = new FormData();
  form.append('jobId', String(runId));
  form.append('file', new Blob([typeof content === 'string' ? content : new Uint8Array(content)]), fileName);
  return admin.request('POST', '/api/v1/pipeline/uploadStageFile', form);
}

/** Upload, continue, and wait for the run to end failed; returns the run. */
async function failedRun(content: string | Buffer, fileName = 'listings.csv', mapping?: Record<string, string>) {
  const runId = await startCsvRun(admin, await newConfig(mapping), content, fileName);
  return waitForRun(admin, runId, ['failed']);
}

const errorsOf = async (runId: number) => (await admin.get(`/api/v1/pipeline/jobs/${runId}/errors`)).body as { errors: any[]; total: number };
const stagedIds = async (runId: number) => {
  const { body } = await admin.get(`/api/v1/pipeline/staging/rows?jobId=${runId}&pageSize=500`);
  return (body.rows as { source_id: string }[]).map((row) => row.source_id).sort();
};

/** Every file under the blob store, to see that a refused upload leaves nothing behind. */
function storedFiles(dir = t.storageDir): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? storedFiles(path.join(dir, entry.name)) : [path.join(dir, entry.name)]);
}

/** makeListings without commas in the descriptions, so listingsCsv quotes no field at all. */
const unquotedListings = (count: number): ListingRow[] =>
  makeListings(count).map((row) => ({ ...row, description: row.description.replace(',', '') }));

/** Row n of the file (1-based after the header) is on line n + 1. */
const lineOf = (row: number) => row + 1;

describe('bad rows are rejected with their line; the other rows are staged', () => {
  it('an unbalanced quote that is never closed rejects its own line only, not the rest of the file', async () => {
    const rows = unquotedListings(5);
    const csv = listingsCsv(rows).replace('Harbour Place 3,', '"Harbour Place 3,');
    expect(csv).not.toMatch(/"[^"]*"/); // the only quote in the file
    const runId = await startCsvRun(admin, await newConfig(), csv);
    const staged = await waitForRun(admin, runId, ['awaiting_review']);

    const { errors, total } = await errorsOf(runId);
    expect(total).toBe(1);
    expect(errors[0]).toMatchObject({ line: lineOf(3), error_type: 'parse_error' });
    expect(errors[0].error_message).toMatch(new RegExp(`^line ${lineOf(3)} .*unbalanced quote`));
    expect(staged.results).toMatchObject({ records_total: 5, records_error: 1, records_new: 4 });
    expect(await stagedIds(runId)).toEqual(['L1', 'L2', 'L4', 'L5']);
  });

  it('an unclosed quote that runs into the next row rejects its own line; the next row is still staged', async () => {
    const rows = makeListings(5); // descriptions have commas, so every row has a quoted field
    const csv = listingsCsv(rows).replace('number 2, by the sea."', 'number 2, by the sea.');
    const runId = await startCsvRun(admin, await newConfig(), csv);
    const staged = await waitForRun(admin, runId, ['awaiting_review']);

    const { errors, total } = await errorsOf(runId);
    expect(total).toBe(1);
    expect(errors[0]).toMatchObject({ line: lineOf(2), error_type: 'parse_error' });
    expect(errors[0].error_message).toMatch(new RegExp(`^line ${lineOf(2)} .*quote`));
    expect(staged.results).toMatchObject({ records_total: 5, records_error: 1, records_new: 4 });
    expect(await stagedIds(runId)).toEqual(['L1', 'L3', 'L4', 'L5']);
  });

  it('a quote opened inside a row and closed in the middle of it names the quote as the likely cause', async () => {
    const csv = listingsCsv(makeListings(5)).replace('Harbour Place 4,', '"Harbour Place 4,');
    const runId = await startCsvRun(admin, await newConfig(), csv);
    const staged = await waitForRun(admin, runId, ['awaiting_review']);

    const { errors, total } = await errorsOf(runId);
    expect(total).toBe(1);
    expect(errors[0]).toMatchObject({ line: lineOf(4), error_type: 'parse_error' });
    expect(errors[0].error_message).toMatch(new RegExp(`^line ${lineOf(4)} has \\d+ fields where the header has 8.*quote`));
    expect(staged.results).toMatchObject({ records_total: 5, records_error: 1, records_new: 4 });
    expect(await stagedIds(runId)).toEqual(['L1', 'L2', 'L3', 'L5']);
  });

  it('rows with too many or too few columns are rejected with their line and both counts', async () => {
    const lines = listingsCsv(makeListings(6)).split('\n');
    lines[2] += ',one too many'; // row 2
    lines[5] = 'L5,Harbour Place 5,5 Water Street'; // row 5
    const runId = await startCsvRun(admin, await newConfig(), lines.join('\n'));
    const staged = await waitForRun(admin, runId, ['awaiting_review']);

    const { errors, total } = await errorsOf(runId);
    expect(total).toBe(2);
    expect(errors.map((e) => [e.line, e.error_type, e.error_message])).toEqual([
      [lineOf(2), 'parse_error', `line ${lineOf(2)} has 9 fields where the header has 8`],
      [lineOf(5), 'parse_error', `line ${lineOf(5)} has 3 fields where the header has 8`],
    ]);
    expect(staged.results).toMatchObject({ records_total: 6, records_error: 2, records_new: 4 });
    expect(await stagedIds(runId)).toEqual(['L1', 'L3', 'L4', 'L6']);
  });

  it('thousands of broken lines are all logged with their lines while the good ones are staged', async () => {
    const good = listingsCsv(makeListings(10)).trimEnd().split('\n');
    const broken = Array.from({ length: 2_500 }, (_, i) => `X${i},too,few`);
    const csv = [...good.slice(0, 6), ...broken, ...good.slice(6)].join('\n') + '\n';
    const runId = await startCsvRun(admin, await newConfig(), csv);
    const staged = await waitForRun(admin, runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: 2_510, records_error: 2_500, records_new: 10 });
    const lines = (await t.ctx.db.query(`SELECT min(line) AS first, max(line) AS last, count(DISTINCT line)::int AS n
      FROM pipeline.job_errors WHERE job_id = $1`, [runId])).rows[0];
    expect(lines).toEqual({ first: 7, last: 2_506, n: 2_500 });
  });

  it('a latitude that is not a number rejects its record with line, field and value; the others are staged', async () => {
    const rows = makeListings(5);
    rows[2]!.lat = 'abc'; // row 3
    const runId = await startCsvRun(admin, await newConfig(), listingsCsv(rows));
    const staged = await waitForRun(admin, runId, ['awaiting_review']);

    const { errors, total } = await errorsOf(runId);
    expect(total).toBe(1);
    expect(errors[0]).toMatchObject({ line: lineOf(3), field: 'locations.lat', error_type: 'validation_error', rec_num: 3 });
    expect(errors[0].error_message).toBe(`line ${lineOf(3)}: locations.lat: "abc" is not a number (column Latitude)`);
    expect(errors[0].original_record).toMatchObject({ ID: 'L3', Latitude: 'abc' });
    expect(staged.results).toMatchObject({ records_total: 5, records_error: 1, records_new: 4 });
    expect(await stagedIds(runId)).toEqual(['L1', 'L2', 'L4', 'L5']);
  });
});

describe('bad files are refused with a message naming the file or the limit, and lose nothing', () => {
  it('an empty file is refused at upload with 400 naming it; the run still waits for a file', async () => {
    const runId = await openRun(await newConfig());
    const reply = await upload(runId, '', 'harbour-export.csv');
    expect(reply.status).toBe(400);
    expect(reply.body.error.message).toMatch(/harbour-export\.csv is empty/);
    expect((await admin.get(`/api/v1/pipeline/jobs/${runId}`)).body.status).toBe('waiting_for_input');
    expect((await admin.get(`/api/v1/pipeline/jobs/${runId}/files`)).body.files).toEqual([]);
    const resume = await admin.post('/api/v1/pipeline/executeStage', { jobId: runId, continue: true });
    expect(resume.status).toBe(409);
    expect(resume.body.error.message).toMatch(/no uploaded file/);
  });

  it('a header-only file is accepted at upload, then the run fails naming the file: no records, nothing staged', async () => {
    const header = listingsCsv([]);
    expect(header.trim().split('\n')).toHaveLength(1);
    const run = await failedRun(header, 'harbour-export.csv');
    expect(run.error_summary).toMatch(/harbour-export\.csv: the file has a header line but no records/);
    expect(await stagedIds(run.id)).toEqual([]);
  });

  it(`a file over UPLOAD_MAX_BYTES is refused with 413 naming the limit; nothing is kept and a right file works after`, async () => {
    const configId = await newConfig();
    const runId = await openRun(configId);
    const big = listingsCsv(makeListings(900));
    expect(Buffer.byteLength(big)).toBeGreaterThan(uploadLimit);
    const before = storedFiles();

    const reply = await upload(runId, big);
    expect(reply.status).toBe(413);
    expect(reply.body.error.message).toMatch(new RegExp(`${uploadLimit} bytes.*UPLOAD_MAX_BYTES`));
    expect((await admin.get(`/api/v1/pipeline/jobs/${runId}`)).body.status).toBe('waiting_for_input');
    expect((await admin.get(`/api/v1/pipeline/jobs/${runId}/files`)).body.files).toEqual([]);
    expect(storedFiles()).toEqual(before);

    const small = listingsCsv(makeListings(5));
    expect(Buffer.byteLength(small)).toBeLessThan(uploadLimit);
    const second = await upload(runId, small);
    expect(second.status).toBe(201);
    expect(second.body.bytes).toBe(Buffer.byteLength(small));
    const resume = await admin.post('/api/v1/pipeline/executeStage', { jobId: runId, continue: true });
    expect(resume.body.status).toBe('queued');
    const staged = await waitForRun(admin, runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: 5, records_error: 0, records_new: 5 });
  });

  it('a binary file named .csv fails the run with a message that it is not CSV text', async () => {
    // the start of a PNG: its signature, then the IHDR chunk's length with NUL bytes
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
      0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x06, 0x00, 0x00, 0x00, 0x5c, 0x72, 0xa8, 0x66]);
    const run = await failedRun(png, 'logo.csv');
    expect(run.error_summary).toMatch(/logo\.csv: The file is not CSV text: it holds binary data/);
    expect(await stagedIds(run.id)).toEqual([]);
  });

  it('a mapping naming a column the file lacks fails the run naming the column and listing the file\'s columns', async () => {
    const run = await failedRun(listingsCsv(makeListings(3)), 'listings.csv', { ...csvMapping, 'locations.city': 'Town' });
    expect(run.error_summary).toContain('locations.city → "Town"');
    expect(run.error_summary).toContain('"ID", "Name", "Address", "City", "Latitude", "Longitude", "Description", "Email"');
    expect(await stagedIds(run.id)).toEqual([]);
  });

  it('a file whose header line cannot be parsed fails the run with the reason and the line', async () => {
    const csv = listingsCsv(unquotedListings(3)).replace(/^ID/, '"ID');
    const run = await failedRun(csv, 'harbour-export.csv');
    expect(run.error_summary).toMatch(/harbour-export\.csv: The header line \(line 1\) has an unbalanced quote/);
  });

  it('a file none of whose records can be read fails the run naming the first problem; every bad line is in job_errors', async () => {
    const csv = ['ID,Name,Address,City,Latitude,Longitude,Description,Email', 'L1,Harbour Place 1', 'L2;Harbour Place 2;Halifax', ''].join('\n');
    const run = await failedRun(csv, 'harbour-export.csv');
    expect(run.error_summary).toMatch(/harbour-export\.csv: none of its 2 record\(s\) could be read; the first problem: line 2 has 2 fields where the header has 8/);
    const { errors } = await errorsOf(run.id);
    expect(errors.map((e) => e.line)).toEqual([2, 3]);
  });
});
