// Blobs as files under one root directory: for a single machine, development and tests.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { assertValidBlobKey, BlobNotFoundError, BlobStoreFullError, byteCounter, type BlobStore, type PutOptions } from './blob-store';

export class FsBlobStore implements BlobStore {
  readonly url: string;
  private readonly root: string;
  private readonly rootPrefix: string;

  constructor(root: string) {
    if (!path.isAbsolute(root)) {
      throw new Error(`the blob store directory must be absolute, got ${JSON.stringify(root)}`);
    }
    this.root = path.resolve(root);
    this.rootPrefix = this.root.endsWith(path.sep) ? this.root : this.root + path.sep;
    this.url = pathToFileURL(this.root).href;
  }

  // contentType and metadata are not kept: files have none, readers know their keys' formats, and job_files says the rest.
  async put(key: string, body: Readable, _options?: PutOptions): Promise<{ bytes: number }> {
    const target = this.fileOf(key);
    const directory = path.dirname(target);
    // Beside the target so the rename is atomic (same filesystem); dotted and random so it is
    // never a key someone asks for, and two concurrent puts of one key do not share it.
    const temp = path.join(directory, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.partial`);
    const counter = byteCounter();
    try {
      await mkdir(directory, { recursive: true });
      // Opened here, not by the stream, so the file exists before any failure comes to remove it.
      const file = await open(temp, 'wx');
      // flush: fsync before close, so a power cut after the rename cannot leave an empty file under
      // the key. (The stream must own the handle: FileHandle.close() waits for streams it lent to.)
      await pipeline(body, counter.stream, file.createWriteStream({ flush: true }));
      await rename(temp, target);
    } catch (error) {
      body.destroy();
      await unlink(temp).catch(() => undefined);
      // a full disk says so in words, for the run's error or the upload's answer
      if (isFull(error)) throw new BlobStoreFullError(this.url, key, error as Error);
      throw error;
    }
    return { bytes: counter.bytes() };
  }

  async get(key: string): Promise<Readable> {
    const file = this.fileOf(key);
    // Open then read from the handle: no window between the existence check and the read.
    const handle = await open(file, 'r').catch((error: unknown) => {
      throw isAbsent(error) ? new BlobNotFoundError(key) : error;
    });
    try {
      // A directory is the parent of other keys, not an object.
      if (!(await handle.stat()).isFile()) throw new BlobNotFoundError(key);
    } catch (error) {
      await handle.close();
      throw error;
    }
    return handle.createReadStream();
  }

  async stat(key: string): Promise<{ bytes: number } | null> {
    const file = this.fileOf(key);
    try {
      const stats = await stat(file);
      return stats.isFile() ? { bytes: stats.size } : null;
    } catch (error) {
      if (isAbsent(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.fileOf(key);
    try {
      await unlink(file);
    } catch (error) {
      // EISDIR: the key names a directory of other keys, so there is no object to delete.
      if (isAbsent(error) || errorCode(error) === 'EISDIR') return;
      throw error;
    }
  }

  private fileOf(key: string): string {
    assertValidBlobKey(key);
    const file = path.join(this.root, key);
    // The key gate already forbids escaping; this keeps the disk closed even if the gate is loosened.
    if (!file.startsWith(this.rootPrefix)) {
      throw new Error(`blob key ${JSON.stringify(key)} resolves outside ${this.root}`);
    }
    return file;
  }
}

function errorCode(error: unknown): unknown {
  return (error as NodeJS.ErrnoException | null)?.code;
}

// EDQUOT: the user's quota on that disk, which is full for us all the same.
const isFull = (error: unknown) => errorCode(error) === 'ENOSPC' || errorCode(error) === 'EDQUOT';

// ENOTDIR: a parent segment of the key is itself an object (a file), so this key cannot exist.
function isAbsent(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
