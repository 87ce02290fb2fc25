// uploadStageFile against what browsers and networks do, with the real server, PostgreSQL, Redis and
// workers: uploads cut off or malformed, two at once, after continue, and again before continue. Each
// leaves the server up and what job_files records equal to what the store holds, and nothing else.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { TestContext } from './harness/context';
import { userWithRoles } from './harness/context';
import { ApiClient } from './harness/http';
import {
  createCsvSource, listingsCsv, makeListings, startCsvRun, startPipelineUnderTest, waitForRun, type PipelineUnderTest,
} from './harness/pipeline';

jest.setTimeout(120_000);

let product: PipelineUnderTest;
let t: TestContext;
let api: ApiClient;
let token: string;

beforeAll(async () => {
  product = await startPipelineUnderTest();
  t = product.t;
  // a bearer token of our own, for the uploads written by hand over node:http
  const user = await userWithRoles(t.ctx, ['super_admin']);
  const browser = new ApiClient(product.server.url);
  await browser.login(user.email, user.password);
  token = (await browser.post('/api/v1/auth/tokens', { name: 'uploads test' })).body.token;
  api = new ApiClient(product.server.url, token);
});
afterAll(() => product.close());

let sources = 0;
/** A new run of a CSV config of its own, waiting for its file. */
async function waitingRun(): Promise<number> {
  sources += 1;
  const { configId } = await createCsvSource(api, `Uploads ${sources}`);
  const reply = await api.post('/api/v1/pipeline/executeStage', { configId });
  expect(reply.body).toMatchObject({ status: 'waiting_for_input' });
  return reply.body.jobId as number;
}

function upload(runId: number, content: string, fileName = 'listings.csv') {
  const form = new FormData();
  form.append('jobId', String(runId));
  form.append('file', new Blob([content]), fileName);
  return api.request('POST', '/api/v1/pipeline/uploadStageFile', form);
}

const continueRun = (runId: number) => api.post('/api/v1/pipeline/executeStage', { jobId: runId, continue: true });

/** Every file under the blob store, temporary ones included. */
function storedFiles(dir = t.storageDir): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? storedFiles(path.join(dir, entry.name)) : [path.join(dir, entry.name)]);
}

/** The stored files of one run (uploads, raw files and temporary files are all named job-<run>-...). */
const filesOfRun = (runId: number) => storedFiles().filter((file) => path.basename(file).includes(`job-${String(runId).padStart(6, '0')}-`));

async function uploadRows(runId: number) {
  const { rows } = await t.ctx.db.query(`SELECT * FROM pipeline.job_files WHERE job_id = $1 AND kind = 'upload'`, [runId]);
  return rows as { id: number; seq: number; storage_key: string; bytes: number; original_name: string }[];
}

/** The run's one upload row names a stored file of exactly its recorded size holding `content`. */
async function expectRecordedUpload(runId: number, content: string) {
  const rows = await uploadRows(runId);
  expect(rows).toHaveLength(1);
  expect(rows[0]!.seq).toBe(0);
  const file = path.join(t.storageDir, rows[0]!.storage_key);
  expect(fs.statSync(file).size).toBe(rows[0]!.bytes);
  expect(rows[0]!.bytes).toBe(Buffer.byteLength(content));
  expect(fs.readFileSync(file, 'utf8')).toBe(content);
}

async function eventually(check: () => void | Promise<void>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** A multipart upload written by hand, so a test can pause it, cut it short or drop the connection. */
function handWrittenUpload(runId: number, fileName = 'listings.csv') {
  const boundary = `test-${crypto.randomBytes(6).toString('hex')}`;
  const request = http.request(`${product.server.url}/api/v1/pipeline/uploadStageFile`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
  const reply = new Promise<{ status: number; body: any }>((resolve, reject) => {
    request.on('error', reject);
    request.on('response', (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body: text ? JSON.parse(text) : undefined }));
    });
  });
  reply.catch(() => undefined); // a dropped connection has no reply; the tests that drop it do not wait for one
  request.write(`--${boundary}\r\ncontent-disposition: form-data; name="jobId"\r\n\r\n${runId}\r\n` +
    `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${fileName}"\r\ncontent-type: text/csv\r\n\r\n`);
  return {
    request,
    reply,
    send: (text: string) => new Promise<void>((resolve) => request.write(text, () => resolve())),
    /** the rest of a well-formed body: the file part's end and the closing boundary */
    finish: (text: string) => new Promise<void>((resolve) => request.end(`${text}\r\n--${boundary}--\r\n`, () => resolve())),
  };
}

describe('an upload that does not arrive whole leaves nothing', () => {
  it('an upload whose connection drops halfway leaves the server up, no file in the store and no job_files row', async () => {
    const runId = await waitingRun();
    const csv = listingsCsv(makeListings(2_000));
    const halfway = handWrittenUpload(runId);
    await halfway.send(csv.slice(0, csv.length / 2));
    // the server is writing it: its temporary file is in the store
    await eventually(() => expect(filesOfRun(runId).some((file) => file.endsWith('.partial'))).toBe(true));
    halfway.request.destroy();

    await eventually(() => expect(filesOfRun(runId)).toEqual([]));
    expect((await api.get('/healthz')).status).toBe(200);
    expect(await uploadRows(runId)).toEqual([]);
    expect((await api.get(`/api/v1/pipeline/jobs/${runId}`)).body.status).toBe('waiting_for_input');
    // the run is free again: the dropped upload no longer counts as in flight
    await eventually(async () => expect((await upload(runId, csv)).status).toBe(201));
    await expectRecordedUpload(runId, csv);
  });

  it('a body cut short (no closing boundary) answers 400; the file recorded before stays, as it was', async () => {
    const runId = await waitingRun();
    const first = listingsCsv(makeListings(3));
    expect((await upload(runId, first)).status).toBe(201);
    const filesBefore = filesOfRun(runId);
    expect(filesBefore).toHaveLength(1);

    const cut = handWrittenUpload(runId);
    await cut.send(listingsCsv(makeListings(50)));
    cut.request.end(); // a normal end of the request, but the multipart body never closes
    const reply = await cut.reply;
    expect(reply.status).toBe(400);
    expect(reply.body.error.message).toMatch(/cut short or malformed.*nothing was kept/);

    expect(filesOfRun(runId)).toEqual(filesBefore);
    await expectRecordedUpload(runId, first);
    expect((await api.get('/healthz')).status).toBe(200);
  });

  it('a body whose file part ends but whose closing boundary never comes answers 400 and stores nothing', async () => {
    const runId = await waitingRun();
    const boundary = 'cut-after-the-file';
    const body = `--${boundary}\r\ncontent-disposition: form-data; name="jobId"\r\n\r\n${runId}\r\n` +
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="listings.csv"\r\n\r\n${listingsCsv(makeListings(3))}\r\n--${boundary}\r\n`;
    const reply = await fetch(`${product.server.url}/api/v1/pipeline/uploadStageFile`, {
      method: 'POST', body, headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    expect(reply.status).toBe(400);
    expect(filesOfRun(runId)).toEqual([]);
    expect(await uploadRows(runId)).toEqual([]);
  });
});

describe('one upload per run at a time, and only before continue', () => {
  it('two uploads at once: the second answers 409 while the first is in flight, and so does continue; the first is recorded', async () => {
    const runId = await waitingRun();
    const csv = listingsCsv(makeListings(20));
    const first = handWrittenUpload(runId);
    await first.send(csv.slice(0, 200));
    await eventually(async () => {
      const resume = await continueRun(runId);
      expect(resume.status).toBe(409);
      expect(resume.body.error.code).toBe('upload_in_progress');
    });

    const second = await upload(runId, listingsCsv(makeListings(5)));
    expect(second.status).toBe(409);
    expect(second.body.error.message).toMatch(new RegExp(`Run ${runId} is receiving another upload`));

    await first.finish(csv.slice(200));
    const reply = await first.reply;
    expect(reply.status).toBe(201);
    expect(reply.body.bytes).toBe(Buffer.byteLength(csv));
    await expectRecordedUpload(runId, csv);
    expect((await continueRun(runId)).body.status).toBe('queued');
    const staged = await waitForRun(api, runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: 20, records_new: 20 });
  });

  it('an upload after continue answers 409 and changes nothing', async () => {
    sources += 1;
    const { configId } = await createCsvSource(api, `Uploads ${sources}`);
    const csv = listingsCsv(makeListings(4));
    const runId = await startCsvRun(api, configId, csv);
    await waitForRun(api, runId, ['awaiting_review']);
    const filesBefore = filesOfRun(runId);

    const late = await upload(runId, listingsCsv(makeListings(9)));
    expect(late.status).toBe(409);
    expect(late.body.error.message).toMatch(new RegExp(`Run ${runId} is awaiting_review: it does not wait for a file`));
    expect(filesOfRun(runId)).toEqual(filesBefore);
    await expectRecordedUpload(runId, csv);
  });

  it('a re-upload before continue replaces the file: one row, one stored file, the new bytes; the run imports it', async () => {
    const runId = await waitingRun();
    const first = await upload(runId, listingsCsv(makeListings(6)), 'first.csv');
    expect(first.status).toBe(201);
    const newer = listingsCsv(makeListings(3, 100));
    const second = await upload(runId, newer, 'second.txt');
    expect(second.status).toBe(201);
    expect(second.body).toEqual({ fileId: first.body.fileId, bytes: Buffer.byteLength(newer) });

    await expectRecordedUpload(runId, newer);
    expect(filesOfRun(runId)).toEqual([path.join(t.storageDir, (await uploadRows(runId))[0]!.storage_key)]);
    expect((await uploadRows(runId))[0]!.original_name).toBe('second.txt');
    const download = await fetch(`${product.server.url}/api/v1/pipeline/jobs/${runId}/files/${second.body.fileId}/download`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await download.text()).toBe(newer);

    expect((await continueRun(runId)).body.status).toBe('queued');
    const staged = await waitForRun(api, runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: 3, records_new: 3 });
  });
});
