// A full disk under the blob store: a 2 MiB tmpfs (or, where mounting is not allowed, a store that
// fails with ENOSPC past 2 MiB). An upload, an import's raw files and an image's stored copies that
// hit it each fail saying the store is full, and nothing half-written is recorded as good: every file
// job_files or staging.images names is on the disk whole, with its recorded size, and no partial file
// is left behind. Once there is room again, the same run goes on to exactly its rows.
import fs from 'node:fs';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import { startPipelineUnderTest, waitForRun, type PipelineUnderTest } from '../harness/pipeline';
import { filesUnder, smallDisk, type SmallDisk } from '../harness/small-disk';
import { waitUntil } from '../harness/wait';
import { ImageServer } from '../fixtures/image-server';
import { planChain, scenarioCsv, scenarioParams, stagingProblems } from './scenario';

jest.setTimeout(240_000);

let disk: SmallDisk;
let product: PipelineUnderTest;
let host: ImageServer;

beforeAll(async () => {
  disk = smallDisk(2 * 1024 * 1024);
  process.stdout.write(`full disk: a ${disk.kind === 'tmpfs' ? '2 MiB tmpfs' : 'store failing with ENOSPC past 2 MiB (tmpfs not mountable here, or SMALL_DISK=quota)'} at ${disk.dir}\n`);
  product = await startPipelineUnderTest({
    STORAGE_URL: `file://${disk.dir}`, IMAGE_ATTEMPTS: '1', IMAGE_HOST_RATE_PER_SEC: '100', IMAGE_HOST_CONCURRENCY: '8',
  });
  product.t.ctx.store = disk.wrap(product.t.ctx.store);
  host = await ImageServer.start();
});

afterAll(async () => {
  await host?.close();
  await product?.close();
  disk?.destroy();
});

const db = () => product.t.ctx.db;
const admin = () => product.admin;

async function newSource(name: string, params: Record<string, unknown>) {
  const dmo = await admin().post('/api/v1/pipeline/dmos', { name, dmo_type_id: 3 });
  const config = await admin().post('/api/v1/pipeline/configs', { dmo_id: dmo.body.id, source_type: 'csv', config_params: params });
  expect([dmo.status, config.status]).toEqual([201, 201]);
  return { dmoId: dmo.body.id as number, configId: config.body.id as number };
}

async function waitingRun(configId: number): Promise<number> {
  const reply = await admin().post('/api/v1/pipeline/executeStage', { configId });
  expect(reply.body.status).toBe('waiting_for_input');
  return reply.body.jobId as number;
}

function upload(runId: number, csv: string) {
  const form = new FormData();
  form.append('jobId', String(runId));
  form.append('file', new Blob([csv]), 'listings.csv');
  return admin().request('POST', '/api/v1/pipeline/uploadStageFile', form);
}

/** Files half-written and left behind: the file store writes `.{name}.{random}.partial` beside the key. */
const partialFiles = () => filesUnder(disk.dir).filter((file) => file.key.endsWith('.partial'));

async function gunzippedLines(key: string): Promise<number> {
  let lines = 0;
  await pipeline(fs.createReadStream(path.join(disk.dir, key)), createGunzip(), new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const byte of chunk) if (byte === 10) lines += 1;
      done();
    },
  }));
  return lines;
}

/** What is wrong with the files job_files records for a run: each must be on the disk, whole. */
async function recordedFileProblems(runId: number): Promise<string[]> {
  const { rows } = await db().query<{ kind: string; seq: number; storage_key: string; bytes: number; record_count: number | null }>(
    'SELECT kind, seq, storage_key, bytes::int AS bytes, record_count FROM pipeline.job_files WHERE job_id = $1 ORDER BY kind, seq', [runId]);
  const problems: string[] = [];
  for (const file of rows) {
    const where = path.join(disk.dir, file.storage_key);
    if (!fs.existsSync(where)) {
      problems.push(`${file.kind} ${file.seq} is recorded but not on the disk`);
      continue;
    }
    const size = fs.statSync(where).size;
    if (size !== file.bytes) problems.push(`${file.kind} ${file.seq}: ${size} bytes on the disk, ${file.bytes} recorded`);
    if (file.kind === 'raw') {
      const lines = await gunzippedLines(file.storage_key).catch((error: Error) => `unreadable (${error.message})`);
      if (lines !== file.record_count) problems.push(`raw ${file.seq}: ${lines} records in the file, ${file.record_count} recorded`);
    }
  }
  return problems;
}

describe('a full disk under the blob store', () => {
  it('an upload larger than the room left answers 507 saying the store is full, and keeps nothing', async () => {
    disk.unfill();
    const { configId } = await newSource('Visit Full Upload', scenarioParams(1_000));
    const runId = await waitingRun(configId);
    const big = scenarioCsv(planChain(40, 12_000)[0].records); // ~3 MB
    expect(Buffer.byteLength(big)).toBeGreaterThan(disk.capacityBytes);
    const before = filesUnder(disk.dir);

    const reply = await upload(runId, big);
    expect(reply.status).toBe(507);
    expect(reply.body.error.code).toBe('storage_full');
    expect(reply.body.error.message).toMatch(/blob store is full/i);
    process.stdout.write(`an upload too large for the disk: ${reply.status} ${reply.body.error.message}\n`);

    expect((await db().query('SELECT count(*)::int n FROM pipeline.job_files WHERE job_id = $1', [runId])).rows[0].n).toBe(0);
    expect(filesUnder(disk.dir)).toEqual(before);
    expect((await admin().get(`/api/v1/pipeline/jobs/${runId}`)).body.status).toBe('waiting_for_input');
    // and the run still takes a file that fits
    expect((await upload(runId, scenarioCsv(planChain(41, 200)[0].records))).status).toBe(201);
    expect(await recordedFileProblems(runId)).toEqual([]);
  });

  it('an import that fills the disk fails saying the store is full, records only whole raw files, and goes on once there is room', async () => {
    disk.unfill();
    const { configId } = await newSource('Visit Full Import', scenarioParams(300));
    const runId = await waitingRun(configId);
    const plan = planChain(42, 4_000)[0];
    const csv = scenarioCsv(plan.records); // ~1 MB: it fits, its raw files (gzipped, a third of it) do not
    expect((await upload(runId, csv)).status).toBe(201);
    disk.fill(48 * 1024);

    expect((await admin().post('/api/v1/pipeline/executeStage', { jobId: runId, continue: true })).status).toBe(202);
    const failed = await waitForRun(admin(), runId, ['failed'], 120_000);
    process.stdout.write(`an import on a full disk: ${failed.status}: ${failed.error_summary}\n`);
    expect(failed.error_summary).toMatch(/^import step failed: .*blob store .* is full/i);
    const raw = (await db().query(`SELECT count(*)::int n FROM pipeline.job_files WHERE job_id = $1 AND kind = 'raw'`, [runId])).rows[0].n;
    // (each try starts its raw files over: the last one recorded those it wrote whole before the disk was full)
    process.stdout.write(`  ${raw} of its ${Math.ceil(plan.records.length / 300)} raw files recorded by its last try\n`);
    expect(raw).toBeLessThan(Math.ceil(plan.records.length / 300));
    expect(await recordedFileProblems(runId)).toEqual([]);
    expect(partialFiles()).toEqual([]);

    disk.unfill();
    expect((await admin().post(`/api/v1/pipeline/jobs/${runId}/retry`)).status).toBe(200);
    await waitForRun(admin(), runId, ['awaiting_review'], 120_000);
    expect(await stagingProblems(db(), runId, plan)).toEqual([]);
    expect(await recordedFileProblems(runId)).toEqual([]);
    expect(partialFiles()).toEqual([]);
  });

  it('images whose copies hit the full disk fail with that reason; every image recorded as stored is on the disk whole', async () => {
    disk.unfill();
    const { configId } = await newSource('Visit Full Images', scenarioParams(1_000));
    const plan = planChain(43, 40, (chain, n) => host.url(`/full/${chain}-${n}.jpg`))[0];
    for (const [i, record] of plan.records.entries()) {
      await host.servePicture(new URL(record.image!).pathname, 700 + i, 'jpeg', { width: 1200, height: 900 });
    }
    const runId = await waitingRun(configId);
    expect((await upload(runId, scenarioCsv(plan.records))).status).toBe(201);
    // room for the upload and raw files and some of the pictures, not all of them
    disk.fill(600 * 1024);
    expect((await admin().post('/api/v1/pipeline/executeStage', { jobId: runId, continue: true })).status).toBe(202);
    await waitForRun(admin(), runId, ['awaiting_review'], 120_000);
    const images = await waitUntil('the images to settle', async () => {
      const { rows } = await db().query(
        `SELECT status, failure, sha256, width, height, canonical_url, variants FROM staging.images WHERE job_id = $1`, [runId]);
      return rows.length && rows.every((row) => row.status !== 'pending') ? rows : null;
    }, 120_000, 200);

    const stored = images.filter((image) => image.status === 'stored');
    const failed = images.filter((image) => image.status === 'failed');
    process.stdout.write(`images on a full disk: ${stored.length} stored, ${failed.length} failed, e.g. "${failed[0]?.failure}"\n`);
    expect(stored.length + failed.length).toBe(plan.records.filter((r) => !r.bad).length);
    expect(failed.length).toBeGreaterThan(0);
    for (const image of failed) expect(image.failure).toMatch(/blob store .* is full/i);
    // every copy a stored image names is on the disk and decodes whole, at the size recorded
    const problems: string[] = [];
    for (const image of stored) {
      const copies = [{ url: image.canonical_url, width: image.width, height: image.height },
        ...Object.values(image.variants as Record<string, { url: string; width: number; height: number }>)];
      for (const copy of copies) {
        const file = path.join(disk.dir, copy.url.replace(/^\/images\//, ''));
        const meta = await sharp(file).metadata().catch((error: Error) => ({ error: error.message }));
        if ('error' in meta) problems.push(`${copy.url}: ${meta.error}`);
        else if (meta.width !== copy.width || meta.height !== copy.height) problems.push(`${copy.url}: ${meta.width}×${meta.height}, ${copy.width}×${copy.height} recorded`);
        else await sharp(file).raw().toBuffer().catch((error: Error) => problems.push(`${copy.url} does not decode: ${error.message}`));
      }
    }
    expect(problems).toEqual([]);
    expect(partialFiles()).toEqual([]);
  });
});
