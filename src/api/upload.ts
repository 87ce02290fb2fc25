// Multipart uploads: a file part streamed into the blob store, or only the start of one read as a
// sample. Nothing is buffered whole, and an upload that does not arrive complete (the client went away,
// the body was cut short or malformed, the file is over the limit) leaves nothing in the store.
import { randomBytes } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import busboy from 'busboy';
import type { Redis } from 'ioredis';
import { BlobStoreFullError, type BlobStore } from '../storage/blob-store';
import { ApiError } from './errors';

export interface FilePart {
  fileName: string;
  mimeType: string;
}

export interface ReceivedFile {
  key: string;
  /** what the store wrote under key */
  bytes: number;
  originalName: string;
}

export interface ReceiveOptions {
  store: BlobStore;
  maxBytes: number;
  /** Where the file part goes, from the fields sent before it; throws (an ApiError) to refuse the upload. */
  keyFor(fields: Record<string, string>, part: FilePart): Promise<string>;
  /** Called as the file's bytes arrive. */
  onBytes?(): void;
  /** Aborting it stops the upload, which then fails with the signal's reason. */
  signal?: AbortSignal;
}

const tooLarge = (maxBytes: number) =>
  new ApiError(413, 'file_too_large', `The file is larger than the ${maxBytes} bytes allowed (UPLOAD_MAX_BYTES)`);
const malformed = (error: Error) =>
  new ApiError(400, 'invalid_upload', `The upload could not be read (${error.message}): the multipart body was cut short or ` +
    'malformed, so nothing was kept; send the file again');
const storageFull = () =>
  new ApiError(507, 'storage_full', 'The blob store is full, so the file could not be stored and nothing was kept: free space on the ' +
    'store (or give it a larger volume), then send the file again');
const interrupted = () =>
  new ApiError(400, 'upload_interrupted', 'The connection closed before the whole upload arrived, so nothing was kept; send the file again');

function openParser(req: Request, limits: busboy.Limits, usage: string): busboy.Busboy {
  try {
    // file names as browsers send them: UTF-8 (busboy's default, latin1, made Café.csv "CafÃ©.csv")
    return busboy({ headers: req.headers, limits, defParamCharset: 'utf8' });
  } catch {
    throw new ApiError(400, 'invalid_request', usage);
  }
}

/**
 * Stops reading a request: the parser ends (a file part still being written fails, so the store keeps
 * nothing of it) and the rest of the body is read and dropped, so that an answer still reaches a
 * client that is sending; past `drainLimit` more bytes the connection is closed instead.
 */
function stopReading(req: Request, parser: busboy.Busboy, drainLimit: number): void {
  req.unpipe(parser);
  parser.destroy();
  if (req.destroyed || req.complete) return;
  let dropped = 0;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > drainLimit) req.socket.destroy();
  });
  req.resume();
}

/**
 * Reads fields until the `file` part, asks keyFor where to store it (it may refuse), streams it there,
 * and resolves once the file is stored AND the whole body was read well-formed. On any failure the
 * stored object is gone before the promise rejects: with the client's error (400 interrupted or
 * malformed, 413 too large), keyFor's refusal, or the signal's reason.
 */
export async function receiveUpload(req: Request, options: ReceiveOptions): Promise<{ file: ReceivedFile; fields: Record<string, string> }> {
  const parser = openParser(req, { fileSize: options.maxBytes, files: 1, fields: 20, fieldSize: 10_000 },
    'Send the file as multipart/form-data with fields jobId and file');
  const fields: Record<string, string> = { ...(req.query as Record<string, string>) };
  let filePart: Promise<ReceivedFile> | null = null;
  const failures: Error[] = [];
  const stop = (error: Error) => {
    failures.push(error);
    if (failures.length === 1) stopReading(req, parser, options.maxBytes);
  };

  const parsed = new Promise<void>((resolve) => {
    parser.on('field', (name, value) => (fields[name] = value));
    parser.on('file', (name, file, info) => {
      // its errors reach the store through the pipeline in storeFilePart; without a listener one would end the process
      file.on('error', () => undefined);
      if (name !== 'file' || filePart) {
        file.resume();
        return;
      }
      filePart = storeFilePart(file, { fileName: info.filename || 'upload.csv', mimeType: info.mimeType }, fields, options);
      filePart.catch(stop);
    });
    parser.on('error', (error: Error) => stop(malformed(error)));
    parser.on('close', resolve);
  });
  const onRequestClosed = () => {
    if (!req.complete) stop(interrupted());
  };
  req.once('close', onRequestClosed);
  const onAbort = () => stop(options.signal!.reason as Error);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  req.pipe(parser);

  try {
    await parsed;
    const part = filePart as Promise<ReceivedFile> | null;
    const stored = part ? await part.then((file) => file, () => null) : null;
    if (failures.length) {
      if (stored) await options.store.delete(stored.key);
      // the client's own fault (cut short, malformed, too large) says more than its echo in the store
      throw failures.find((error) => error instanceof ApiError) ?? failures[0]!;
    }
    if (!stored) throw new ApiError(400, 'invalid_request', 'No file part named "file" was sent');
    return { file: stored, fields };
  } finally {
    req.off('close', onRequestClosed);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

async function storeFilePart(file: Readable, part: FilePart, fields: Record<string, string>, options: ReceiveOptions): Promise<ReceivedFile> {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      options.onBytes?.();
      done(null, chunk);
    },
  });
  let overLimit = false;
  // busboy cuts the part at the limit and would end it normally: fail it, so the store keeps nothing
  file.on('limit', () => {
    overLimit = true;
    counter.destroy(tooLarge(options.maxBytes));
  });
  // a part that fails (cut short, destroyed) fails the counter, and so the store's write
  pipeline(file, counter).catch(() => undefined);
  let key: string;
  try {
    key = await options.keyFor(fields, part);
  } catch (error) {
    counter.destroy();
    throw error;
  }
  try {
    const { bytes } = await options.store.put(key, counter, { contentType: part.mimeType });
    return { key, bytes, originalName: part.fileName };
  } catch (error) {
    // the stores write atomically; this covers a store that reported a failure after all
    await options.store.delete(key).catch(() => undefined);
    if (overLimit) throw tooLarge(options.maxBytes);
    throw error instanceof BlobStoreFullError ? storageFull() : error;
  }
}

/**
 * Hands the `file` part to `read` as it arrives (with the fields sent before it) and stops reading the
 * request once `read` settles: the rest is dropped as it arrives (up to dropLimit bytes; then the
 * connection is closed), never kept. For a sample that has to be read as a stream (an XLSX workbook is a
 * zip: its header row may be anywhere in it).
 */
export async function readUploadStream<T>(
  req: Request,
  dropLimit: number,
  read: (file: Readable, fileName: string, fields: Record<string, string>) => Promise<T>,
): Promise<T> {
  const parser = openParser(req, { files: 1, fields: 20, fieldSize: 10_000, fileSize: dropLimit }, 'Send a sample file as multipart/form-data with a part named file');
  const fields: Record<string, string> = {};
  return new Promise((resolve, reject) => {
    let settled = false;
    let started = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      stopReading(req, parser, dropLimit);
      outcome();
    };
    parser.on('field', (name, value) => (fields[name] = value));
    parser.on('file', (name, file, info) => {
      file.on('error', () => undefined);
      if (name !== 'file' || started || settled) {
        file.resume();
        return;
      }
      started = true;
      read(file, info.filename || 'sample', fields).then((value) => settle(() => resolve(value)), (error: unknown) => settle(() => reject(error)));
    });
    parser.on('error', (error: Error) => settle(() => reject(malformed(error))));
    parser.on('close', () => {
      if (!started) settle(() => reject(new ApiError(400, 'invalid_request', 'No file part named "file" was sent')));
    });
    req.once('close', () => {
      if (!req.complete) settle(() => reject(interrupted()));
    });
    req.pipe(parser);
  });
}

// ---------------------------------------------------------------- one upload per run at a time

/** How long a mark outlives the last byte that arrived: a server that died mid-upload frees the run after this. */
const markTtlMs = 30_000;
const keepAliveEveryMs = 5_000;

// Renews the mark while it is this upload's; takes it back if it lapsed and no one else took it.
const renewScript = `
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
if not holder then return redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) and 1 or 0 end
return 0`;
const releaseScript = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

function redisUnavailable(error: Error): never {
  throw new ApiError(503, 'redis_unavailable', `Redis cannot be reached (${error.message}), so uploads to a run cannot be ` +
    'kept one at a time; try again in a moment');
}

/**
 * "Run N is receiving an upload", shared by every server process through Redis. A key with a TTL
 * renewed while bytes arrive, rather than a database lock: a lock needs a pool connection held for
 * the whole of a 500 MB upload, and job_files has no state for a file still arriving. The record of
 * the file itself stays in PostgreSQL (db/files recordUpload); this only turns a second upload or a
 * continue during the upload into a 409.
 */
export class UploadInFlight {
  private lastRenewed = Date.now();
  private renewing = false;

  private constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly token: string,
    private readonly runId: number,
    private readonly onLost: (error: ApiError) => void,
  ) {}

  private static keyOf(prefix: string, runId: number): string {
    return `${prefix}:upload:${runId}`;
  }

  /**
   * Marks the run, or answers null when another upload to it is in flight. onLost is told when another
   * upload took the run over while this one was stalled for longer than the mark lives.
   */
  static async claim(redis: Redis, prefix: string, runId: number, onLost: (error: ApiError) => void): Promise<UploadInFlight | null> {
    const mark = new UploadInFlight(redis, UploadInFlight.keyOf(prefix, runId), randomBytes(12).toString('hex'), runId, onLost);
    const taken = await redis.set(mark.key, mark.token, 'PX', markTtlMs, 'NX').catch(redisUnavailable);
    return taken === 'OK' ? mark : null;
  }

  static async isInFlight(redis: Redis, prefix: string, runId: number): Promise<boolean> {
    return (await redis.exists(UploadInFlight.keyOf(prefix, runId)).catch(redisUnavailable)) === 1;
  }

  /** Called as bytes arrive; renews the mark at most every few seconds. */
  keepAlive(): void {
    if (this.renewing || Date.now() - this.lastRenewed < keepAliveEveryMs) return;
    this.renewing = true;
    this.lastRenewed = Date.now();
    this.redis.eval(renewScript, 1, this.key, this.token, markTtlMs).then(
      (renewed) => {
        this.renewing = false;
        if (renewed === 0) {
          this.onLost(new ApiError(409, 'upload_superseded',
            `Another upload to run ${this.runId} began while this one was stalled for over ${markTtlMs / 1000} s; this one was dropped`));
        }
      },
      // Redis unreachable for a moment: the next bytes try again
      () => (this.renewing = false),
    );
  }

  async release(): Promise<void> {
    await this.redis.eval(releaseScript, 1, this.key, this.token).catch(() => undefined);
  }
}
