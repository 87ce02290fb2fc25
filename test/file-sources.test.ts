// JSON, NDJSON and XLSX uploads through the two-phase flow, with real PostgreSQL, Redis and BullMQ
// workers: the records staged are the file's, field by field; the same places from a CSV, a workbook
// and a JSON file are the same listings; a broken file fails or is refused with a message naming where.
import ExcelJS from 'exceljs';
import type { ApiClient } from './harness/http';
import {
  approveAndPromote, csvMapping, listingsCsv, makeListings, startCsvRun, startPipelineUnderTest, waitForRun, type ListingRow,
  type PipelineUnderTest,
} from './harness/pipeline';

jest.setTimeout(180_000);

let product: PipelineUnderTest;
let admin: ApiClient;

beforeAll(async () => {
  product = await startPipelineUnderTest();
  ({ admin } = product);
});
afterAll(() => product.close());

const N = 260;

/** The places as a JSON source nests them. */
const nested = (row: ListingRow) => ({
  id: row.id, title: { rendered: row.name }, address: { street: row.address, city: row.city },
  location: { lat: Number(row.lat), lng: Number(row.lng) }, content: { rendered: row.description }, contact: { email: row.email },
});
const nestedMapping = {
  'listings.name': 'title.rendered', 'locations.address1': 'address.street', 'locations.city': 'address.city',
  'locations.lat': 'location.lat', 'locations.lng': 'location.lng', 'listing_info.description': 'content.rendered',
  'contact_info.email': 'contact.email',
};
/** The places as the CSV has them, one flat object each: the same column names. */
const flat = (row: ListingRow) => ({
  ID: row.id, Name: row.name, Address: row.address, City: row.city, Latitude: row.lat, Longitude: row.lng, Description: row.description, Email: row.email,
});

async function workbook(rows: ListingRow[], sheetName = 'Listings', extraSheets: string[] = []): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  for (const name of extraSheets) book.addWorksheet(name).addRow(['notes']);
  const sheet = book.addWorksheet(sheetName);
  sheet.addRow(['ID', 'Name', 'Address', 'City', 'Latitude', 'Longitude', 'Description', 'Email']);
  // coordinates as numbers, as a spreadsheet holds them
  for (const row of rows) sheet.addRow([row.id, row.name, row.address, row.city, Number(row.lat), Number(row.lng), row.description, row.email]);
  return Buffer.from(await book.xlsx.writeBuffer());
}

let dmos = 0;
async function newDmo(): Promise<number> {
  dmos += 1;
  const dmo = await admin.post('/api/v1/pipeline/dmos', { name: `File Sources ${dmos}`, dmo_type_id: 3 });
  expect(dmo.status).toBe(201);
  return dmo.body.id as number;
}

async function newConfig(sourceType: 'csv' | 'json' | 'xlsx', params: Record<string, unknown>, dmoId?: number): Promise<number> {
  const config = await admin.post('/api/v1/pipeline/configs', { dmo_id: dmoId ?? (await newDmo()), source_type: sourceType, config_params: params });
  expect(config.status).toBe(201);
  return config.body.id as number;
}

/** executeStage → upload → continue, keeping what executeStage said the run accepts. */
async function runWithFile(configId: number, content: string | Buffer, fileName: string) {
  const first = await admin.post('/api/v1/pipeline/executeStage', { configId });
  expect(first.body.status).toBe('waiting_for_input');
  const runId = first.body.jobId as number;
  const form = new FormData();
  form.append('jobId', String(runId));
  form.append('file', new Blob([typeof content === 'string' ? content : new Uint8Array(content)]), fileName);
  expect((await admin.request('POST', '/api/v1/pipeline/uploadStageFile', form)).status).toBe(201);
  expect((await admin.post('/api/v1/pipeline/executeStage', { jobId: runId, continue: true })).body.status).toBe('queued');
  return { runId, accept: first.body.accept as string[] };
}

const stagedRows = async (runId: number) => (await admin.get(`/api/v1/pipeline/staging/rows?jobId=${runId}&pageSize=500`)).body as { rows: any[]; total: number };
const errorsOf = async (runId: number) => (await admin.get(`/api/v1/pipeline/jobs/${runId}/errors`)).body as { errors: any[]; total: number };

/** Each staged row is the fixture's place of the same source id, field by field. */
function expectStagedAsFixture(rows: any[], fixture: ListingRow[]) {
  expect(rows).toHaveLength(fixture.length);
  const byId = new Map(rows.map((row) => [row.source_id, row]));
  for (const place of fixture) {
    const row = byId.get(place.id);
    expect(row).toMatchObject({
      name: place.name, address1: place.address, city: place.city, lat: Number(place.lat), lng: Number(place.lng),
      description: place.description, contact: expect.objectContaining({ email: place.email }), action: 'insert',
    });
  }
}

describe('a JSON, an NDJSON and an XLSX file are imported record by record', () => {
  const places = makeListings(N);

  it('a JSON array of nested records stages every record as the file has it', async () => {
    const configId = await newConfig('json', { import: { source_id_column: 'id' }, transform: { map_fields: nestedMapping } });
    const { runId, accept } = await runWithFile(configId, JSON.stringify(places.map(nested), null, 2), 'listings.json');
    expect(accept).toEqual(['.json', '.ndjson', '.jsonl', 'application/json', 'application/x-ndjson']);
    const staged = await waitForRun(admin, runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: N, records_new: N, records_error: 0 });
    expectStagedAsFixture((await stagedRows(runId)).rows, places);

    const files = (await admin.get(`/api/v1/pipeline/jobs/${runId}/files`)).body.files as any[];
    const upload = files.find((file) => file.kind === 'upload');
    expect(upload.format).toBe('json');
    // the preview shows nested records by the paths map_fields names
    const preview = (await admin.get(`/api/v1/pipeline/jobs/${runId}/files/${upload.id}/preview?limit=2`)).body;
    expect(preview.columns).toEqual(['id', 'title.rendered', 'address.street', 'address.city', 'location.lat', 'location.lng', 'content.rendered', 'contact.email']);
    expect(preview.records[1]).toMatchObject({ line: 2, fields: { 'title.rendered': places[1]!.name, 'address.city': places[1]!.city } });
    const raw = files.find((file) => file.kind === 'raw');
    const rawPreview = (await admin.get(`/api/v1/pipeline/jobs/${runId}/files/${raw.id}/preview?limit=1`)).body;
    expect(rawPreview.records[0].fields).toMatchObject({ 'title.rendered': places[0]!.name, 'location.lat': Number(places[0]!.lat) });
  });

  it('an NDJSON file stages every line', async () => {
    const configId = await newConfig('json', { import: { source_id_column: 'id' }, transform: { map_fields: nestedMapping } });
    const ndjson = places.map((place) => JSON.stringify(nested(place))).join('\n') + '\n';
    const runId = await startCsvRun(admin, configId, ndjson, 'listings.ndjson');
    const staged = await waitForRun(admin, runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: N, records_new: N, records_error: 0 });
    expectStagedAsFixture((await stagedRows(runId)).rows, places);
  });

  it('errors.csv of a JSON run lists each rejected record by its fields\' paths, nested values in their own columns', async () => {
    const configId = await newConfig('json', { import: { source_id_column: 'id' }, transform: { map_fields: nestedMapping } });
    const records: Record<string, unknown>[] = places.slice(0, 3).map(nested);
    records[1] = { ...records[1]!, location: { lat: 'north', lng: Number(places[1]!.lng) } };
    const runId = await startCsvRun(admin, configId, JSON.stringify(records), 'listings.json');
    await waitForRun(admin, runId, ['awaiting_review']);
    const reply = await admin.get(`/api/v1/pipeline/jobs/${runId}/errors.csv`);
    expect(reply.status).toBe(200);
    const [header, row] = (reply.body as string).replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(header).toBe('line,field,reason,value,id,title.rendered,address.street,address.city,location.lat,location.lng,content.rendered,contact.email');
    expect(row).toContain(`,${places[1]!.id},${places[1]!.name},${places[1]!.address},${places[1]!.city},north,${Number(places[1]!.lng)},`);
  });

  it('an XLSX workbook stages every row of its sheet', async () => {
    const configId = await newConfig('xlsx', { import: { source_id_column: 'ID' }, transform: { map_fields: csvMapping } });
    const { runId, accept } = await runWithFile(configId, await workbook(places), 'listings.xlsx');
    expect(accept).toEqual(['.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet']);
    const staged = await waitForRun(admin, runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: N, records_new: N, records_error: 0 });
    expectStagedAsFixture((await stagedRows(runId)).rows, places);
    const upload = ((await admin.get(`/api/v1/pipeline/jobs/${runId}/files`)).body.files as any[]).find((file) => file.kind === 'upload');
    expect(upload.format).toBe('xlsx');
    const preview = (await admin.get(`/api/v1/pipeline/jobs/${runId}/files/${upload.id}/preview?limit=1`)).body;
    expect(preview.columns).toEqual(['ID', 'Name', 'Address', 'City', 'Latitude', 'Longitude', 'Description', 'Email']);
    // the sheet holds the coordinates as numbers: their text is the number's, not the CSV's padded one
    expect(preview.records[0]).toMatchObject({ line: 2, fields: { ...flat(places[0]!), Latitude: '44.6001', Longitude: '-63.5001' } });
  });
});

it('the same places from a CSV, then an XLSX workbook, then a JSON file are the same listings: unchanged, never inserted', async () => {
  const places = makeListings(N);
  const dmoId = await newDmo();
  // no source_id_column: the id is generated from name, address and city, and must come out the same
  const csvConfig = await newConfig('csv', { transform: { map_fields: csvMapping } }, dmoId);
  const csvRun = await startCsvRun(admin, csvConfig, listingsCsv(places));
  await waitForRun(admin, csvRun, ['awaiting_review']);
  await approveAndPromote(admin, csvRun);
  const csvIds = (await stagedRows(csvRun)).rows.map((row) => row.source_id).sort();

  const xlsxConfig = await newConfig('xlsx', { transform: { map_fields: csvMapping } }, dmoId);
  const xlsxRun = await startCsvRun(admin, xlsxConfig, await workbook(places), 'listings.xlsx');
  const fromXlsx = await waitForRun(admin, xlsxRun, ['awaiting_review']);
  expect(fromXlsx.results).toMatchObject({ records_total: N, records_unchanged: N, records_new: 0, records_updated: 0, records_deleted: 0 });
  const xlsxRows = (await stagedRows(xlsxRun)).rows;
  expect(xlsxRows.filter((row) => row.action !== 'unchanged')).toEqual([]);
  expect(xlsxRows.map((row) => row.source_id).sort()).toEqual(csvIds);
  await admin.post(`/api/v1/pipeline/jobs/${xlsxRun}/discard`, {});

  const jsonConfig = await newConfig('json', { transform: { map_fields: csvMapping } }, dmoId);
  const jsonRun = await startCsvRun(admin, jsonConfig, JSON.stringify(places.map(flat)), 'listings.json');
  const fromJson = await waitForRun(admin, jsonRun, ['awaiting_review']);
  expect(fromJson.results).toMatchObject({ records_total: N, records_unchanged: N, records_new: 0, records_updated: 0, records_deleted: 0 });
  expect((await stagedRows(jsonRun)).rows.map((row) => row.source_id).sort()).toEqual(csvIds);
});

describe('hostile and mistaken files', () => {
  const places = makeListings(5);
  const jsonConfig = (params: Record<string, unknown> = {}) =>
    newConfig('json', { import: { source_id_column: 'id', ...params }, transform: { map_fields: nestedMapping } });

  it('a truncated JSON array fails the run naming where it ends, and stages nothing', async () => {
    const whole = JSON.stringify(makeListings(N).map(nested), null, 2);
    const runId = await startCsvRun(admin, await jsonConfig(), whole.slice(0, Math.floor(whole.length * 0.7)), 'listings.json');
    const run = await waitForRun(admin, runId, ['failed']);
    expect(run.error_summary).toMatch(/^import step failed: listings\.json: The JSON ends before it is complete, at line \d+: the file looks cut short/);
    expect((await stagedRows(runId)).total).toBe(0);
  });

  it('an NDJSON line that is not JSON is logged with its line number; the other lines are staged', async () => {
    const lines = places.map((place) => JSON.stringify(nested(place)));
    lines.splice(2, 0, '{"id": "broken", "title": ');
    const runId = await startCsvRun(admin, await jsonConfig(), lines.join('\n'), 'listings.ndjson');
    const run = await waitForRun(admin, runId, ['awaiting_review']);
    expect(run.results).toMatchObject({ records_new: 5, records_error: 1 });
    const { errors } = await errorsOf(runId);
    expect(errors).toEqual([expect.objectContaining({ line: 3, error_type: 'parse_error', error_message: expect.stringMatching(/^Line 3 is not valid JSON/) })]);
    expect((await stagedRows(runId)).rows.map((row) => row.source_id).sort()).toEqual(places.map((place) => place.id).sort());
  });

  it('an item of the array that is not an object is logged with its position; the others are staged', async () => {
    const items: unknown[] = places.map(nested);
    items.splice(1, 0, 'just a string');
    const runId = await startCsvRun(admin, await jsonConfig(), JSON.stringify(items), 'listings.json');
    await waitForRun(admin, runId, ['awaiting_review']);
    expect((await errorsOf(runId)).errors).toEqual([
      expect.objectContaining({ line: 2, error_message: 'Record 2 is a string, not a record (a JSON object)' }),
    ]);
    expect((await stagedRows(runId)).total).toBe(5);
  });

  it('a JSON document that is one object, without import.records_path, fails telling the admin to set it', async () => {
    const runId = await startCsvRun(admin, await jsonConfig(), JSON.stringify({ total: 5, data: { items: places.map(nested) } }), 'export.json');
    const run = await waitForRun(admin, runId, ['failed']);
    expect(run.error_summary).toBe('import step failed: export.json: The file is one JSON object, not a list of records: set import.records_path to the list ' +
      'of records inside it (its lists of objects: data.items)');
  });

  it('import.records_path reads the list inside a document', async () => {
    const runId = await startCsvRun(admin, await jsonConfig({ records_path: 'data.items' }),
      JSON.stringify({ total: 5, data: { items: places.map(nested) } }), 'export.json');
    await waitForRun(admin, runId, ['awaiting_review']);
    expectStagedAsFixture((await stagedRows(runId)).rows, places);
  });

  it('an XLSX sheet that does not exist fails naming the sheets the workbook has', async () => {
    const configId = await newConfig('xlsx', { import: { source_id_column: 'ID', sheet: 'Places' }, transform: { map_fields: csvMapping } });
    const runId = await startCsvRun(admin, configId, await workbook(places, 'Listings', ['Read me']), 'listings.xlsx');
    const run = await waitForRun(admin, runId, ['failed']);
    expect(run.error_summary).toBe('import step failed: listings.xlsx: The workbook has no sheet named "Places" (import.sheet); its sheets are: "Read me", "Listings"');
  });

  it('an old .xls, a .xlsx that is not a zip and a JSON file that is binary are refused by name', async () => {
    const xlsxConfig = () => newConfig('xlsx', { import: { source_id_column: 'ID' }, transform: { map_fields: csvMapping } });
    const xls = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(600)]);
    const fromXls = await waitForRun(admin, await startCsvRun(admin, await xlsxConfig(), xls, 'listings.xls'), ['failed']);
    expect(fromXls.error_summary).toBe('import step failed: listings.xls: The file is an Excel 97-2003 workbook (.xls), which is not read: save it as .xlsx or CSV');
    const notZip = await waitForRun(admin, await startCsvRun(admin, await xlsxConfig(), listingsCsv(places), 'listings.xlsx'), ['failed']);
    expect(notZip.error_summary).toBe('import step failed: listings.xlsx: The file is not an XLSX workbook (an .xlsx file is a zip archive; this one is not)');
    const binary = await waitForRun(admin, await startCsvRun(admin, await jsonConfig(), Buffer.from([0x5b, 0x00, 0x01, 0x02]), 'listings.json'), ['failed']);
    expect(binary.error_summary).toBe('import step failed: listings.json: The file is not JSON text: it holds binary data (a NUL byte at offset 1)');
  });

  it('an empty file is refused at the upload', async () => {
    const first = await admin.post('/api/v1/pipeline/executeStage', { configId: await jsonConfig() });
    const form = new FormData();
    form.append('jobId', String(first.body.jobId));
    form.append('file', new Blob([]), 'listings.json');
    const upload = await admin.request('POST', '/api/v1/pipeline/uploadStageFile', form);
    expect(upload.status).toBe(400);
    expect(upload.body.error).toMatchObject({ code: 'empty_file', message: 'listings.json is empty' });
  });
});

describe('suggest-mapping from a JSON, NDJSON or XLSX sample', () => {
  const places = makeListings(3);
  const suggest = (content: string | Buffer, fileName: string, fields: Record<string, string> = {}) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('file', new Blob([typeof content === 'string' ? content : new Uint8Array(content)]), fileName);
    return admin.request('POST', '/api/v1/pipeline/configs/suggest-mapping', form);
  };
  const sourcesOf = (mapping: Record<string, { source: string }>) => Object.fromEntries(Object.entries(mapping).map(([field, s]) => [field, s.source]));

  it('maps the leaf paths of the first records of a JSON array and of an NDJSON file', async () => {
    for (const [content, name] of [
      [JSON.stringify(places.map(nested)), 'listings.json'],
      [places.map((place) => JSON.stringify(nested(place))).join('\n'), 'listings.ndjson'],
    ] as const) {
      const reply = await suggest(content, name);
      expect(reply.status).toBe(200);
      expect(reply.body.headers).toEqual(['id', 'title.rendered', 'address.street', 'address.city', 'location.lat', 'location.lng', 'content.rendered', 'contact.email']);
      expect(sourcesOf(reply.body.mapping)).toEqual(nestedMapping);
    }
  });

  it('reads the list a records_path field names, and says to set it for a document', async () => {
    const document = JSON.stringify({ data: { items: places.map(nested) } });
    expect(sourcesOf((await suggest(document, 'export.json', { records_path: 'data.items' })).body.mapping)).toEqual(nestedMapping);
    const refused = await suggest(document, 'export.json');
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/^export.json: The file is one JSON object.*set import.records_path.*data.items/);
  });

  it("maps an XLSX workbook's header row, and refuses an .xls by name", async () => {
    const reply = await suggest(await workbook(places), 'listings.xlsx');
    expect(reply.status).toBe(200);
    expect(reply.body.headers).toEqual(['ID', 'Name', 'Address', 'City', 'Latitude', 'Longitude', 'Description', 'Email']);
    expect(sourcesOf(reply.body.mapping)).toMatchObject(csvMapping);
    const xls = await suggest(Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0]), Buffer.alloc(100)]), 'old.xls');
    expect(xls.status).toBe(400);
    expect(xls.body.error.message).toBe('old.xls: The file is an Excel 97-2003 workbook (.xls), which is not read: save it as .xlsx or CSV');
  });
});
