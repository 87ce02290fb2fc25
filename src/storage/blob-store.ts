// Where raw files, snapshots and images live: one small streaming interface, on a local disk or S3.
import { fileURLToPath } from 'node:url';
import { Transform, type Readable } from 'node:stream';
// The stores import this module's errors and key gate back: a cycle that is safe only while no
// module uses the other's exports at load time (no `extends` across it, no top-level calls).
import { FsBlobStore } from './fs-store';
import { S3BlobStore } from './s3-store';

export interface BlobStore {
  /** Streams body into key; resolves with the number of bytes stored. Overwrites. */
  put(key: string, body: Readable, options?: PutOptions): Promise<{ bytes: number }>;
  /** A stream of the object's bytes; rejects with BlobNotFoundError when key is absent. */
  get(key: string): Promise<Readable>;
  /** Size in bytes, or null when absent. */
  stat(key: string): Promise<{ bytes: number } | null>;
  /** An absent key is not an error. */
  delete(key: string): Promise<void>;
  /** e.g. "file:///abs/dir" or "s3://bucket", for logs */
  readonly url: string;
}

export interface PutOptions {
  contentType?: string;
  /** Said with the object where the store keeps metadata (S3's x-amz-meta-*): what it is, for whoever lists the bucket. */
  metadata?: Record<string, string>;
}

export class BlobNotFoundError extends Error {
  override readonly name = 'BlobNotFoundError';
  constructor(public readonly key: string) {
    super(`no blob under key ${JSON.stringify(key)}`);
  }
}

/** The store had no room for an object (a full disk, a quota): nothing was kept under its key. */
export class BlobStoreFullError extends Error {
  override readonly name = 'BlobStoreFullError';
  constructor(
    public readonly storeUrl: string,
    public readonly key: string,
    cause: Error,
  ) {
    super(`the blob store ${storeUrl} is full (${cause.message}) writing ${key}: nothing was kept under that key; ` +
      'free space on it or give it a larger volume, then retry', { cause });
  }
}

export class InvalidBlobKeyError extends Error {
  override readonly name = 'InvalidBlobKeyError';
  constructor(
    public readonly key: string,
    reason: string,
  ) {
    super(
      `invalid blob key ${JSON.stringify(key)}: ${reason}; ` +
        'expected a relative path of plain segments like dev-data/raw/listings/7/20261125/job-000012-01.ndjson.gz',
    );
  }
}

// S3's limit; a longer key would fail later on S3 and nowhere else.
const maxKeyBytes = 1024;
// C0, DEL and C1: invisible in logs and meaningful to terminals and some filesystems.
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The one gate for keys, shared by every store: keys are built from user input (source names,
 * file names), so anything that could climb out of the store's root, or name one object two ways
 * ("a/./b" and "a/b" are one file on disk but two objects on S3), is refused before any I/O.
 */
export function assertValidBlobKey(key: string): void {
  if (typeof key !== 'string' || key === '') throw new InvalidBlobKeyError(String(key), 'the key is empty');
  if (controlCharacter.test(key)) throw new InvalidBlobKeyError(key, 'it contains NUL or a control character');
  if (key.includes('\\')) throw new InvalidBlobKeyError(key, 'it contains a backslash');
  if (key.startsWith('/')) throw new InvalidBlobKeyError(key, 'it is an absolute path');
  if (Buffer.byteLength(key, 'utf8') > maxKeyBytes) {
    throw new InvalidBlobKeyError(key, `it is longer than ${maxKeyBytes} bytes`);
  }
  for (const segment of key.split('/')) {
    if (segment === '') throw new InvalidBlobKeyError(key, 'it has an empty path segment');
    if (segment === '.' || segment === '..') throw new InvalidBlobKeyError(key, `it has a "${segment}" segment`);
  }
}

/** A pass-through stream that counts what flows through it: the bytes a put reports. */
export function byteCounter(): { stream: Transform; bytes: () => number } {
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, bytes: () => bytes };
}

const expectedStorageUrl = 'expected file:///absolute/dir, s3://bucket or s3://bucket/key/prefix';

function invalidStorageUrl(storageUrl: string, reason: string): Error {
  return new Error(`STORAGE_URL ${JSON.stringify(storageUrl)} ${reason}: ${expectedStorageUrl}`);
}

// S3's rule for new buckets: lowercase letters, digits, dots and dashes, 3 to 63 characters.
const bucketName = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function createBlobStore(storageUrl: string, s3?: { endpoint?: string; region: string }): BlobStore {
  let url: URL;
  try {
    url = new URL(storageUrl);
  } catch {
    throw invalidStorageUrl(storageUrl, 'is not a URL');
  }
  if (url.search !== '' || url.hash !== '') throw invalidStorageUrl(storageUrl, 'has a query or fragment');

  if (url.protocol === 'file:') {
    let root: string;
    try {
      root = fileURLToPath(url);
    } catch {
      throw invalidStorageUrl(storageUrl, 'names a host; a file URL must start with file:///');
    }
    return new FsBlobStore(root);
  }

  if (url.protocol === 's3:') {
    if (url.username !== '' || url.password !== '' || url.port !== '') {
      throw invalidStorageUrl(storageUrl, 'carries credentials or a port; credentials come from AWS_* variables');
    }
    if (!bucketName.test(url.hostname)) throw invalidStorageUrl(storageUrl, 'does not name a valid bucket');
    try {
      const prefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
      return new S3BlobStore({ bucket: url.hostname, prefix, endpoint: s3?.endpoint, region: s3?.region });
    } catch (error) {
      if (error instanceof URIError || error instanceof InvalidBlobKeyError) {
        throw invalidStorageUrl(storageUrl, `has an invalid key prefix (${error.message})`);
      }
      throw error;
    }
  }

  throw invalidStorageUrl(storageUrl, `has the unsupported scheme "${url.protocol.slice(0, -1)}"`);
}
