// Blobs as objects in an S3 bucket (AWS, MinIO, s3rver in tests), under an optional key prefix.
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertValidBlobKey, BlobNotFoundError, byteCounter, type BlobStore, type PutOptions } from './blob-store';

export interface S3BlobStoreOptions {
  bucket: string;
  /** Prepended to every key with a "/"; a valid key itself, or empty. */
  prefix?: string;
  /** For S3-compatible servers (MinIO, s3rver); AWS itself needs none. */
  endpoint?: string;
  /** Left to the SDK's default chain (AWS_REGION, ~/.aws/config) when absent. */
  region?: string;
}

// Bodies have unknown length, so they go up in parts: memory stays near (queueSize + 1) × partSize.
const partSize = 8 * 1024 * 1024;
const queueSize = 2;

export class S3BlobStore implements BlobStore {
  readonly url: string;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly client: S3Client;

  constructor({ bucket, prefix = '', endpoint, region }: S3BlobStoreOptions) {
    if (prefix !== '') assertValidBlobKey(prefix);
    this.bucket = bucket;
    this.prefix = prefix;
    this.url = prefix === '' ? `s3://${bucket}` : `s3://${bucket}/${prefix}`;
    this.client = new S3Client({
      region,
      // Self-hosted servers rarely have a DNS name per bucket.
      ...(endpoint === undefined ? {} : { endpoint, forcePathStyle: true }),
      // The SDK's default sends streamed bodies aws-chunked with a trailing checksum; servers
      // that do not decode that framing (s3rver) store it inside the object (see STACK.md).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async put(key: string, body: Readable, options?: PutOptions): Promise<{ bytes: number }> {
    const Key = this.objectKey(key);
    const counter = byteCounter();
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: counter.stream, ContentType: options?.contentType, Metadata: options?.metadata },
      partSize,
      queueSize,
    });
    const uploading = upload.done().catch((error: unknown) => {
      // S3 failed first: stop reading the body, or the pipeline would wait for a reader forever.
      counter.stream.destroy(error as Error);
      throw error;
    });
    // Wait for both sides to settle, so a failed put has finished aborting its multipart upload
    // before the caller hears of it.
    const [piped, uploaded] = await Promise.allSettled([pipeline(body, counter.stream), uploading]);
    // The body's own error, when it has one, is the cause; the upload's is its echo.
    if (piped.status === 'rejected') throw piped.reason;
    if (uploaded.status === 'rejected') throw uploaded.reason;
    return { bytes: counter.bytes() };
  }

  async get(key: string): Promise<Readable> {
    const Key = this.objectKey(key);
    try {
      const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      if (!(Body instanceof Readable)) throw new Error(`S3 gave no readable body for ${this.url}/${Key}`);
      return Body;
    } catch (error) {
      throw isMissingObject(error) ? new BlobNotFoundError(key) : error;
    }
  }

  async stat(key: string): Promise<{ bytes: number } | null> {
    const Key = this.objectKey(key);
    try {
      const { ContentLength } = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      if (ContentLength === undefined) throw new Error(`S3 gave no Content-Length for ${this.url}/${Key}`);
      return { bytes: ContentLength };
    } catch (error) {
      if (isMissingObject(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
  }

  private objectKey(key: string): string {
    assertValidBlobKey(key);
    return this.prefix === '' ? key : `${this.prefix}/${key}`;
  }
}

// NoSuchKey from GET, a bare 404 "NotFound" from HEAD. A missing bucket is a configuration error
// and must stay loud on GET (HEAD carries no body, so there it cannot be told apart).
function isMissingObject(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name !== 'NoSuchBucket' && $metadata?.httpStatusCode === 404;
}
