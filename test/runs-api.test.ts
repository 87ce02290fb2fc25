// The run endpoints the admin UI builds on, with the real server, PostgreSQL, Redis and workers: the
// mapping a sample CSV suggests, record errors as CSV, previews of a run's files, and the review tabs
// (warnings filter, counts, paging across the proposed deletions). Replies are parsed with the
// contract's schemas, so the contract is what the server sends.
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { filePreview, rowsPage, runResponse, stagingCounts } from '../src/contract/runs';
import { suggestMappingResponse } from '../src/contract/sources';
import type { TestContext } from './harness/context';
import { userWithRoles } from './harness/context';
import { ApiClient, type Reply } from './harness/http';
import {
  approveAndPromote, createCsvSource, listingsCsv, makeListings, startCsvRun, startPipelineUnderTest, waitForRun,
  type PipelineUnderTest,
} from './harness/pipeline';

jest.setTimeout(120_000);

let product: PipelineUnderTest;
let t: TestContext;
let admin: ApiClient;
let token: string;

beforeAll(async () => {
  product = await startPipelineUnderTest();
  ({ t, admin } = product);
  // a bearer token of our own, for downloads read as bytes (Response.text() would drop a BOM)
  const user = await userWithRoles(t.ctx, ['super_admin']);
  const browser = new ApiClient(product.server.url);
  await browser.login(user.email, user.password);
  token = (await browser.post('/api/v1/auth/tokens', { name: 'runs api test' })).body.token;
});
afterAll(() => product.close());

let sources = 0;
async function stagedRun(csv: string, fileName = 'listings.csv', params: Record<string, unknown> = {}) {
  sources += 1;
  const { configId } = await createCsvSource(admin, `Runs API ${sources}`, 3, params);
  const runId = await startCsvRun(admin, configId, csv, fileName);
  return { configId, run: runResponse.parse(await waitForRun(admin, runId, ['awaiting_review'])) };
}

function suggestFrom(content: string | Buffer, fileName = 'sample.csv', client = admin) {
  const form = new FormData();
  form.append('file', new Blob([typeof content === 'string' ? content : new Uint8Array(content)]), fileName);
  return client.request('POST', '/api/v1/pipeline/configs/suggest-mapping', form);
}

const expect400 = (reply: Reply, message: RegExp) => {
  expect(reply.status).toBe(400);
  expect(reply.body.error.message).toMatch(message);
};

describe('suggest-mapping', () => {
  it('a sample file gives its delimiter, encoding, columns and a column per canonical field with a confidence', async () => {
    const csv = 'Nom;Name;Street Address;City;Latitude;Longitude;E-mail\nCafé Ô;Café Ô;1 Rue;Montréal;45.5;-73.6;a@b.ca\n';
    const reply = await suggestFrom(iconv.encode(csv, 'windows-1252'), 'export.csv');
    expect(reply.status).toBe(200);
    const suggestion = suggestMappingResponse.parse(reply.body);
    expect(suggestion).toMatchObject({
      delimiter: ';', encoding: 'windows-1252', headers: ['Nom', 'Name', 'Street Address', 'City', 'Latitude', 'Longitude', 'E-mail'],
    });
    expect(suggestion.mapping).toEqual({
      'listings.name': { source: 'Name', confidence: 0.95 },
      'locations.address1': { source: 'Street Address', confidence: 0.85 },
      'locations.city': { source: 'City', confidence: 0.95 },
      'locations.lat': { source: 'Latitude', confidence: 0.85 },
      'locations.lng': { source: 'Longitude', confidence: 0.85 },
      'contact_info.email': { source: 'E-mail', confidence: 0.85 },
    });
  });

  it('reads only the start of a large sample: a 3 MB file answers from its header, and the server goes on', async () => {
    const csv = listingsCsv(makeListings(25_000));
    expect(Buffer.byteLength(csv)).toBeGreaterThan(3_000_000);
    const reply = await suggestFrom(csv);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ delimiter: ',', encoding: 'utf-8', headers: ['ID', 'Name', 'Address', 'City', 'Latitude', 'Longitude', 'Description', 'Email'] });
    expect((await admin.get('/healthz')).status).toBe(200);
  });

  it('column names sent as JSON give the same mapping, with no delimiter or encoding', async () => {
    const reply = await admin.post('/api/v1/pipeline/configs/suggest-mapping', { headers: ['Name', 'Town', 'Postcode', 'Opening Hours'] });
    expect(reply.status).toBe(200);
    expect(suggestMappingResponse.parse(reply.body)).toEqual({
      delimiter: null, encoding: null, headers: ['Name', 'Town', 'Postcode', 'Opening Hours'],
      mapping: {
        'listings.name': { source: 'Name', confidence: 0.95 },
        'locations.city': { source: 'Town', confidence: 0.85 },
        'locations.zip': { source: 'Postcode', confidence: 0.85 },
        'opening_hours.text': { source: 'Opening Hours', confidence: 0.95 },
      },
    });
  });

  it('is a read: a viewer may ask', async () => {
    const viewer = await userWithRoles(t.ctx, ['viewer']);
    const client = await ApiClient.signedIn(product.server.url, viewer.email, viewer.password);
    expect((await suggestFrom('Name,City\nA,B\n', 'sample.csv', client)).status).toBe(200);
  });

  it('refuses bad samples with 400 naming the problem', async () => {
    const onlyAField = new FormData();
    onlyAField.append('jobId', '1');
    expect400(await admin.request('POST', '/api/v1/pipeline/configs/suggest-mapping', onlyAField), /No file part named "file"/);
    expect400(await suggestFrom('', 'empty.csv'), /empty\.csv: the file is empty/);
    expect400(await suggestFrom(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), 'logo.csv'), /logo\.csv: .*binary data/);
    expect400(await suggestFrom('\n  \n\n', 'blank.csv'), /blank\.csv: The file has no header line/);
    expect400(await suggestFrom(`${'x'.repeat(70_000)}\n`, 'long.csv'), /long\.csv: the header line is longer than 64 KiB/);
    const wide = Array.from({ length: 501 }, (_, i) => `column ${i}`);
    expect400(await suggestFrom(`${wide.join(',')}\n`, 'wide.csv'), /wide\.csv: the header line has 501 columns; .* at most 500/);
    expect400(await admin.post('/api/v1/pipeline/configs/suggest-mapping', { headers: wide }), /headers: at most 500 columns/);
    expect400(await admin.post('/api/v1/pipeline/configs/suggest-mapping', { headers: [] }), /headers: send at least one column name/);
    expect400(await admin.post('/api/v1/pipeline/configs/suggest-mapping', { headers: ['City', 'City'] }), /"City" is named twice/);
    expect400(await admin.post('/api/v1/pipeline/configs/suggest-mapping', {}), /headers/);
  });
});

describe('record errors as CSV', () => {
  it('every error of the run, quoted where needed, formulas neutralised, with the record as it was read', async () => {
    const rows = makeListings(6);
    rows[1]!.lat = 'north'; // row 2: rejected
    rows[1]!.name = '=HYPERLINK("http://evil.example","click")';
    rows[1]!.description = 'He said "hi", then left';
    rows[3]!.lat = 'abc'; // row 4: rejected
    rows[3]!.email = '@SUM(1+1)';
    const lines = listingsCsv(rows).split('\n');
    lines[5] = 'L5,Harbour Place 5,too few'; // row 5: a parse error, no record to show
    const { run } = await stagedRun(lines.join('\n'), 'harbour.csv');
    expect(run.results).toMatchObject({ records_error: 3, records_new: 3 });

    const response = await fetch(`${product.server.url}/api/v1/pipeline/jobs/${run.id}/errors.csv`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="run-${run.id}-errors.csv"`);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // a BOM, so spreadsheet programs read UTF-8
    const text = bytes.toString('utf8');
    expect(text).toContain('"He said ""hi"", then left"');
    expect(text.split('\r\n')).toHaveLength(5); // header, 3 errors, and the final line break

    const [header, ...records] = parse(text, { bom: true }) as string[][];
    expect(header).toEqual(['line', 'field', 'reason', 'value', 'ID', 'Name', 'Address', 'City', 'Latitude', 'Longitude', 'Description', 'Email']);
    const byLine = Object.fromEntries(records.map((record) => [record[0], record]));
    expect(Object.keys(byLine).sort()).toEqual(['3', '5', '6']);
    expect(byLine['3']).toEqual(['3', 'locations.lat', 'line 3: locations.lat: "north" is not a number (column Latitude)', 'north',
      'L2', `'=HYPERLINK("http://evil.example","click")`, '2 Water Street', 'Lunenburg', 'north', rows[1]!.lng,
      'He said "hi", then left', 'info2@example.org']);
    expect(byLine['5']!.slice(0, 4)).toEqual(['5', 'locations.lat', 'line 5: locations.lat: "abc" is not a number (column Latitude)', 'abc']);
    expect(byLine['5']![11]).toBe(`'@SUM(1+1)`);
    // a negative longitude is a number, not a formula: it stays as it was
    expect(byLine['5']![9]).toBe(rows[3]!.lng);
    expect(rows[3]!.lng.startsWith('-')).toBe(true);
    expect(byLine['6']).toEqual(['6', '', 'line 6 has 3 fields where the header has 8', '', '', '', '', '', '', '', '', '']);
  });

  it('a run without errors gives the header alone', async () => {
    const { run } = await stagedRun(listingsCsv(makeListings(2)));
    const reply = await admin.get(`/api/v1/pipeline/jobs/${run.id}/errors.csv`);
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('line,field,reason,value,ID,Name,Address,City,Latitude,Longitude,Description,Email\r\n');
  });
});

describe('file previews', () => {
  it('the first records of the raw file and of the uploaded CSV, as many as asked', async () => {
    const lines = listingsCsv(makeListings(30)).split('\n');
    lines[2] = 'L2,broken'; // a line the reader cannot take
    const { run } = await stagedRun(lines.join('\n'), 'harbour.csv');
    const { files } = (await admin.get(`/api/v1/pipeline/jobs/${run.id}/files`)).body;
    const raw = files.find((file: { kind: string }) => file.kind === 'raw');
    const uploaded = files.find((file: { kind: string }) => file.kind === 'upload');
    const columns = ['ID', 'Name', 'Address', 'City', 'Latitude', 'Longitude', 'Description', 'Email'];

    const rawPreview = filePreview.parse((await admin.get(`/api/v1/pipeline/jobs/${run.id}/files/${raw.id}/preview?limit=3`)).body);
    expect(rawPreview.columns).toEqual(columns);
    expect(rawPreview.records.map((record) => [record.line, record.rec_num, record.source_id])).toEqual([[2, 1, 'L1'], [4, 2, 'L3'], [5, 3, 'L4']]);
    expect(rawPreview.records[0]!.fields).toMatchObject({ ID: 'L1', Name: 'Harbour Place 1', Description: 'A fine place number 1, by the sea.' });

    const uploadPreview = filePreview.parse((await admin.get(`/api/v1/pipeline/jobs/${run.id}/files/${uploaded.id}/preview?limit=2`)).body);
    expect(uploadPreview.columns).toEqual(columns);
    expect(uploadPreview.records.map((record) => [record.line, record.fields.ID])).toEqual([[2, 'L1'], [4, 'L3']]);
    expect(uploadPreview.problems).toEqual([{ line: 3, reason: 'line 3 has 2 fields where the header has 8' }]);

    const byDefault = (await admin.get(`/api/v1/pipeline/jobs/${run.id}/files/${uploaded.id}/preview`)).body;
    expect(byDefault.records).toHaveLength(20);
    expect400(await admin.get(`/api/v1/pipeline/jobs/${run.id}/files/${raw.id}/preview?limit=101`), /limit: .*100/);
    expect((await admin.get(`/api/v1/pipeline/jobs/${run.id}/files/999999/preview`)).status).toBe(404);
  });
});

describe('the review tabs', () => {
  it('warnings=true|false selects rows with or without warnings; counts give every tab from one query', async () => {
    const rows = makeListings(6);
    rows[1]!.email = 'not-an-email';
    rows[3]!.lat = '95.5';
    const { run } = await stagedRun(listingsCsv(rows));
    const listed = async (query: string) =>
      rowsPage.parse((await admin.get(`/api/v1/pipeline/staging/rows?jobId=${run.id}&${query}`)).body);

    const warned = await listed('warnings=true');
    expect(warned.total).toBe(2);
    expect(warned.rows.map((row) => row.source_id)).toEqual(['L2', 'L4']);
    expect(warned.rows[0]!.warnings).toEqual(['contact_info.email: "not-an-email" does not look like an email address']);
    expect((await listed('warnings=false')).rows.map((row) => row.source_id)).toEqual(['L1', 'L3', 'L5', 'L6']);
    expect((await listed('warnings=false&proposed=true')).total).toBe(4);
    expect400(await admin.get(`/api/v1/pipeline/staging/rows?jobId=${run.id}&warnings=yes`), /warnings: expected true or false/);

    const counts = async () => stagingCounts.parse((await admin.get(`/api/v1/pipeline/staging/counts?jobId=${run.id}`)).body);
    expect(await counts()).toMatchObject({
      total: 6,
      actions: { insert: 6, update: 0, unchanged: 0, duplicate: 0, delete: 0, possible_match: 0 },
      review: { pending: 6, approved: 0, rejected: 0 },
      warnings: 2,
      proposed: 4,
    });
    await admin.post('/api/v1/pipeline/staging/review', { jobId: run.id, filter: { warnings: true }, decision: 'reject' });
    await admin.post('/api/v1/pipeline/staging/review', { jobId: run.id, filter: { proposed: true }, decision: 'approve' });
    expect((await counts()).review).toEqual({ pending: 0, approved: 4, rejected: 2 });
    expect((await counts()).approved).toEqual({ insert: 4, update: 0, unchanged: 0, duplicate: 0, delete: 0, possible_match: 0 });
    expect((await admin.get('/api/v1/pipeline/staging/counts?jobId=999999')).status).toBe(404);
  });

  it('pages run through the records by record number, then the proposed deletions, across the boundary', async () => {
    const first = await stagedRun(listingsCsv(makeListings(5)));
    await approveAndPromote(admin, first.run.id);
    // the next export lacks L2 and L4: two deletions, staged after the records
    const next = makeListings(5).filter((row) => !['L2', 'L4'].includes(row.id));
    const runId = await startCsvRun(admin, first.configId, listingsCsv(next));
    await waitForRun(admin, runId, ['awaiting_review']);
    const page = async (n: number, size: number) => {
      const { rows, total } = rowsPage.parse((await admin.get(`/api/v1/pipeline/staging/rows?jobId=${runId}&page=${n}&pageSize=${size}`)).body);
      expect(total).toBe(5);
      return rows.map((row) => `${row.action}:${row.source_id}`);
    };
    expect(await page(1, 2)).toEqual(['unchanged:L1', 'unchanged:L3']);
    expect(await page(2, 2)).toEqual(['unchanged:L5', 'delete:L2']);
    expect(await page(3, 2)).toEqual(['delete:L4']);
    expect(await page(2, 4)).toEqual(['delete:L4']);
    expect(await page(1, 50)).toEqual(['unchanged:L1', 'unchanged:L3', 'unchanged:L5', 'delete:L2', 'delete:L4']);
    expect(await page(4, 2)).toEqual([]);
  });
});

describe('promote', () => {
  it('a run with no approved row answers 409 and stays in review; two promotes at once move it once', async () => {
    // places no earlier test promoted, so each is a new listing
    const { run } = await stagedRun(listingsCsv(makeListings(3, 9_000)));
    const refused = await admin.post('/api/v1/pipeline/staging/promote', { jobId: run.id });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe(`Run ${run.id} has no approved row: approve the rows to promote first`);
    expect((await admin.get(`/api/v1/pipeline/jobs/${run.id}`)).body.status).toBe('awaiting_review');

    await admin.post('/api/v1/pipeline/staging/review', { jobId: run.id, filter: { proposed: true }, decision: 'approve' });
    const both = await Promise.all([1, 2].map(() => admin.post('/api/v1/pipeline/staging/promote', { jobId: run.id })));
    expect(both.map((reply) => reply.status)).toEqual([202, 202]);
    // from the moment it is promoting, progress counts the promote's own rows, not the stage's 1 of 1
    expect((await admin.get(`/api/v1/pipeline/jobs/${run.id}`)).body.progress).toMatchObject({ stage: 'promote', total: 3 });
    expect(both.map((reply) => reply.body.status).every((status) => ['promoting', 'promoted'].includes(status))).toBe(true);
    const promoted = await waitForRun(admin, run.id, ['promoted']);
    expect(promoted.promote_results).toMatchObject({ inserted: 3, listings_created: 3 });
  });
});

describe('discard', () => {
  it('drops the staged rows of a run in review; a run still in flight or already discarded answers 409 and keeps its rows', async () => {
    const { run } = await stagedRun(listingsCsv(makeListings(2, 9_100)));
    const discarded = await admin.post(`/api/v1/pipeline/jobs/${run.id}/discard`);
    expect(discarded.status).toBe(200);
    expect(discarded.body.status).toBe('cancelled');
    expect((await admin.get(`/api/v1/pipeline/staging/rows?jobId=${run.id}`)).body.total).toBe(0);
    const again = await admin.post(`/api/v1/pipeline/jobs/${run.id}/discard`);
    expect(again.status).toBe(409);
    expect(again.body.error.message).toBe(`Run ${run.id} is cancelled: it can be discarded only when it is awaiting review, failed, superseded`);

    const { configId } = await createCsvSource(admin, 'Runs API discard waiting');
    const waiting = (await admin.post('/api/v1/pipeline/executeStage', { configId })).body.jobId;
    const early = await admin.post(`/api/v1/pipeline/jobs/${waiting}/discard`);
    expect(early.status).toBe(409);
    expect(early.body.error.message).toContain('(cancel it instead)');
    expect((await admin.get(`/api/v1/pipeline/jobs/${waiting}`)).body.status).toBe('waiting_for_input');
  });
});
