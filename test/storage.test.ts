// The blob store's contract, checked the same way against a directory and a real S3 protocol server.
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { BlobNotFoundError, createBlobStore, InvalidBlobKeyError, type BlobStore } from '../src/storage/blob-store';
import { RawFileSplitter } from '../src/storage/raw-files';

// s3rver ships no type declarations; this is the part of its API the tests use.
interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: Array<{ name: string }>;
}) => S3rverServer;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as S3rverConstructor;

const MiB = 1024 * 1024;

interface StoreUnderTest {
  store: BlobStore;
  /** Anything that changes when the store touches its backend: compared before and after. */
  backendActivity(): Promise<unknown>;
  close(): Promise<void>;
}

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).sort();
}

async function openFsStore(): Promise<StoreUnderTest> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'blob-store-fs-'));
  // Two levels down, so a key that climbed out ("../x", "a/../../b") would land inside base and show.
  const root = path.join(base, 'data', 'blobs');
  await mkdir(root, { recursive: true });
  return {
    store: createBlobStore(pathToFileURL(root).href),
    backendActivity: () => filesUnder(base),
    close: () => rm(base, { recursive: true, force: true }),
  };
}

async function openS3Store(): Promise<StoreUnderTest> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'blob-store-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: 'test-bucket' }],
  });
  const { port } = await server.run();
  const previousCredentials = [process.env.AWS_ACCESS_KEY_ID, process.env.AWS_SECRET_ACCESS_KEY] as const;
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  const requests = jest.spyOn(S3Client.prototype, 'send');
  return {
    // With a prefix, so every test also checks that keys land under it.
    store: createBlobStore('s3://test-bucket/pipeline-test', {
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
    }),
    backendActivity: async () => requests.mock.calls.length,
    close: async () => {
      requests.mockRestore();
      restoreEnv('AWS_ACCESS_KEY_ID', previousCredentials[0]);
      restoreEnv('AWS_SECRET_ACCESS_KEY', previousCredentials[1]);
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

/** Deterministic bytes (xorshift32), made 64 KiB at a time as the reader asks: never all in memory. */
function pseudoRandomBody(length: number, seed: number, failAfter?: number): Readable {
  let state = seed | 0 || 1;
  let produced = 0;
  return new Readable({
    read() {
      if (failAfter !== undefined && produced >= failAfter) {
        this.destroy(new Error('upstream connection reset'));
        return;
      }
      if (produced >= length) {
        this.push(null);
        return;
      }
      const size = Math.min(64 * 1024, length - produced);
      const words = new Uint32Array(Math.ceil(size / 4));
      for (let i = 0; i < words.length; i++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        words[i] = state;
      }
      produced += size;
      this.push(Buffer.from(words.buffer, 0, size));
    },
  });
}

async function digest(stream: Readable): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

async function readText(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const textBody = (text: string) => Readable.from([Buffer.from(text, 'utf8')]);

const hostileKeys = [
  '../etc/passwd',
  '/abs',
  'a//b',
  'a\\b',
  'a/../../b',
  '',
  'a\u0000b',
  'a/./b',
  'a/',
  '..',
  'line\nbreak',
];

describe.each([
  ['FsBlobStore', openFsStore],
  ['S3BlobStore', openS3Store],
])('%s', (_name, openStore) => {
  let subject: StoreUnderTest;
  let store: BlobStore;

  beforeAll(async () => {
    subject = await openStore();
    store = subject.store;
  });

  afterAll(async () => {
    await subject?.close();
  });

  it('round-trips a small object', async () => {
    const key = 'dev-data/raw/listings/7/20261125/job-000012-01.ndjson';
    const text = '{"id":1,"name":"Chalet Ålpenrose"}\n';

    await expect(store.put(key, textBody(text), { contentType: 'application/x-ndjson' })).resolves.toEqual({
      bytes: Buffer.byteLength(text),
    });
    expect(await readText(await store.get(key))).toBe(text);
    expect(await store.stat(key)).toEqual({ bytes: Buffer.byteLength(text) });
  });

  it('stores a large streamed object byte for byte, at its exact size', async () => {
    const key = 'large/snapshot.bin';
    // Not a multiple of the 8 MiB part size, so the last part is a short one.
    const length = 20 * MiB + 12_345;
    const expected = await digest(pseudoRandomBody(length, 42));

    await expect(store.put(key, pseudoRandomBody(length, 42))).resolves.toEqual({ bytes: length });
    // A size check catches protocol framing (aws-chunked) stored inside the object.
    expect(await store.stat(key)).toEqual({ bytes: length });
    expect(await digest(await store.get(key))).toEqual(expected);
  });

  it('rejects get of a missing key with BlobNotFoundError', async () => {
    await expect(store.get('missing/file.gz')).rejects.toEqual(new BlobNotFoundError('missing/file.gz'));
    await expect(store.get('missing/file.gz')).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it('stats a missing key as null, including keys below an object and "directories" of keys', async () => {
    await store.put('parent/object', textBody('x'));

    expect(await store.stat('nothing/here')).toBeNull();
    expect(await store.stat('parent/object/child')).toBeNull();
    await expect(store.get('parent/object/child')).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(await store.stat('parent')).toBeNull();
    await expect(store.get('parent')).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it('deletes an object, and deleting an absent key is not an error', async () => {
    await store.put('to-delete/file.txt', textBody('bye'));

    await store.delete('to-delete/file.txt');
    expect(await store.stat('to-delete/file.txt')).toBeNull();
    await expect(store.delete('to-delete/file.txt')).resolves.toBeUndefined();
    await expect(store.delete('never/existed')).resolves.toBeUndefined();
  });

  it('replaces the content when a key is put again', async () => {
    await store.put('overwrite/file.txt', textBody('the first, longer content'));
    await expect(store.put('overwrite/file.txt', textBody('second'))).resolves.toEqual({ bytes: 6 });

    expect(await readText(await store.get('overwrite/file.txt'))).toBe('second');
    expect(await store.stat('overwrite/file.txt')).toEqual({ bytes: 6 });
  });

  it.each(hostileKeys.map((key) => [JSON.stringify(key), key]))(
    'refuses the hostile key %s before any I/O',
    async (_shown, key) => {
      const before = await subject.backendActivity();
      let bodyWasRead = false;
      const body = new Readable({
        read() {
          bodyWasRead = true;
          this.push(null);
        },
      });

      await expect(store.put(key, body)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(store.get(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(store.stat(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      expect(bodyWasRead).toBe(false);
      expect(await subject.backendActivity()).toEqual(before);
    },
  );

  it('leaves no object under the key when the body fails midway, and keeps an older one intact', async () => {
    // Past the first 8 MiB part, so on S3 a multipart upload has begun and must be aborted.
    const failingBody = () => pseudoRandomBody(20 * MiB, 7, 9 * MiB);

    await expect(store.put('interrupted/new.bin', failingBody())).rejects.toThrow('upstream connection reset');
    expect(await store.stat('interrupted/new.bin')).toBeNull();

    await store.put('interrupted/old.txt', textBody('previous version'));
    await expect(store.put('interrupted/old.txt', failingBody())).rejects.toThrow('upstream connection reset');
    expect(await readText(await store.get('interrupted/old.txt'))).toBe('previous version');
  });
});

describe('FsBlobStore on disk', () => {
  let base: string;
  let store: BlobStore;

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'blob-store-disk-'));
    store = createBlobStore(pathToFileURL(base).href);
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('keeps each object as a file at its key, creating directories as needed', async () => {
    await store.put('dev-data/raw/listings/7/file.ndjson', textBody('{}\n'));

    expect(await filesUnder(base)).toEqual([
      'dev-data',
      'dev-data/raw',
      'dev-data/raw/listings',
      'dev-data/raw/listings/7',
      'dev-data/raw/listings/7/file.ndjson',
    ]);
  });

  it('leaves no temporary file behind when a put fails midway', async () => {
    await expect(store.put('failed/file.bin', pseudoRandomBody(MiB, 3, 256 * 1024))).rejects.toThrow(
      'upstream connection reset',
    );

    expect(await readdir(path.join(base, 'failed'))).toEqual([]);
  });
});

describe('createBlobStore', () => {
  it('opens a directory for a file URL and a bucket, with an optional prefix, for an s3 URL', () => {
    expect(createBlobStore('file:///var/lib/listings').url).toBe('file:///var/lib/listings');
    expect(createBlobStore('s3://listings-bucket', { region: 'eu-west-1' }).url).toBe('s3://listings-bucket');
    expect(createBlobStore('s3://listings-bucket/prod/', { region: 'eu-west-1' }).url).toBe(
      's3://listings-bucket/prod',
    );
  });

  it.each([
    ['an unsupported scheme', 'http://example.com/blobs'],
    ['a relative path', 'data/blobs'],
    ['a file URL with a host', 'file://server/share'],
    ['a prefix with an empty segment', 's3://listings-bucket/a//b'],
    ['a bucket name S3 refuses', 's3://Listings_Bucket'],
  ])('refuses %s, naming STORAGE_URL and what it expects', (_what, storageUrl) => {
    expect(() => createBlobStore(storageUrl, { region: 'eu-west-1' })).toThrow(/STORAGE_URL .*expected file:\/\/\//);
  });
});

describe('raw files on S3', () => {
  it('carry what they are as object metadata: run, DMO, domain, source type, format, sequence, first record', async () => {
    const subject = await openS3Store();
    try {
      const written: string[] = [];
      const splitter = new RawFileSplitter(subject.store, (seq) => `dev-data/raw/listings/7/20261203/job-000042-0${seq}.ndjson.gz`,
        { records: 2, bytes: 1024 * 1024 }, async (file) => void written.push(file.key),
        { 'run-id': '42', 'dmo-id': '7', 'data-domain': 'listings', 'source-type': 'wordpress', format: 'ndjson' });
      for (let n = 1; n <= 3; n += 1) await splitter.write({ rec_num: n });
      await splitter.finish();
      expect(written).toHaveLength(2);
      const endpoint = (subject.store as unknown as { client: S3Client }).client;
      const second = await endpoint.send(new HeadObjectCommand({ Bucket: 'test-bucket', Key: `pipeline-test/${written[1]}` }));
      expect(second.Metadata).toEqual({
        'run-id': '42', 'dmo-id': '7', 'data-domain': 'listings', 'source-type': 'wordpress', format: 'ndjson', seq: '2', 'first-rec-num': '3',
      });
      expect(second.ContentType).toBe('application/gzip');
    } finally {
      await subject.close();
    }
  });
});
