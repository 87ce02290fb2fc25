// Streams a multipart upload straight into the blob store with a size limit; nothing is buffered whole.
import { PassThrough } from 'node:stream';
import type { Request } from 'express';
import busboy from 'busboy';
import type { BlobStore } from '../storage/blob-store';
import { ApiError } from './errors';

export interface StoredUpload {
  bytes: number;
  originalName: string;
}

/**
 * Reads fields until the `file` part, asks keyFor(fields) where to store it (it may refuse by throwing),
 * and streams the file there. A file over maxBytes is removed and refused with 413.
 */
export function storeUpload(
  req: Request,
  store: BlobStore,
  maxBytes: number,
  keyFor: (fields: Record<string, string>, fileName: string) => Promise<string>,
): Promise<{ upload: StoredUpload; key: string; fields: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: maxBytes, files: 1, fields: 20, fieldSize: 10_000 } });
    } catch {
      reject(new ApiError(400, 'invalid_request', 'Send the file as multipart/form-data with fields jobId and file'));
      return;
    }
    const fields: Record<string, string> = { ...(req.query as Record<string, string>) };
    let sawFile = false;
    parser.on('field', (name, value) => (fields[name] = value));
    parser.on('file', (name, file, info) => {
      if (name !== 'file' || sawFile) {
        file.resume();
        return;
      }
      sawFile = true;
      const counted = new PassThrough();
      let bytes = 0;
      let tooLarge = false;
      file.on('data', (chunk: Buffer) => (bytes += chunk.length));
      file.on('limit', () => {
        tooLarge = true;
        counted.destroy(new ApiError(413, 'file_too_large', `The file is larger than the ${maxBytes} bytes allowed (UPLOAD_MAX_BYTES)`));
      });
      // store.put reports the stream's errors once keyFor resolves; before that (a limit hit while the run
      // is looked up) an 'error' event with no listener would crash the process
      counted.on('error', () => undefined);
      file.pipe(counted);
      keyFor(fields, info.filename || 'upload.csv').then(
        async (key) => {
          try {
            await store.put(key, counted, { contentType: info.mimeType });
          } catch (error) {
            await store.delete(key).catch(() => undefined);
            reject(tooLarge ? new ApiError(413, 'file_too_large', `The file is larger than the ${maxBytes} bytes allowed (UPLOAD_MAX_BYTES)`) : error);
            return;
          }
          resolve({ upload: { bytes, originalName: info.filename || 'upload.csv' }, key, fields });
        },
        (error) => {
          file.resume();
          reject(error);
        },
      );
    });
    parser.on('close', () => {
      if (!sawFile) reject(new ApiError(400, 'invalid_request', 'No file part named "file" was sent'));
    });
    parser.on('error', (error) => reject(new ApiError(400, 'invalid_request', `The upload could not be read: ${(error as Error).message}`)));
    req.pipe(parser);
  });
}
