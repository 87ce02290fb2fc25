// Raw files: a run's records as gzipped NDJSON, split by records OR bytes, whichever comes first.
import { once } from 'node:events';
import readline from 'node:readline';
import { PassThrough, pipeline } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import type { BlobStore } from './blob-store';

export interface SplitLimits {
  records: number;
  bytes: number;
}

export interface WrittenFile {
  seq: number;
  key: string;
  bytes: number;
  recordCount: number;
  firstRecNum: number;
}

/** Lines are handed to gzip in chunks of about this size: a write per record costs more than the record. */
const chunkChars = 64 * 1024;

interface OpenFile {
  seq: number;
  key: string;
  input: PassThrough;
  /** lines not yet handed to gzip */
  pending: string;
  stored: Promise<{ bytes: number }>;
  records: number;
  bytes: number;
  firstRecNum: number;
}

export class RawFileSplitter {
  private current: OpenFile | null = null;
  private seq = 0;

  constructor(
    private readonly store: BlobStore,
    private readonly keyFor: (seq: number) => string,
    private readonly limits: SplitLimits,
    private readonly onFileWritten: (file: WrittenFile) => Promise<void>,
    /** Said with each object where the store keeps metadata (S3), beside its sequence and first record. */
    private readonly metadata: Record<string, string> = {},
  ) {}

  async write(record: { rec_num: number }): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    if (!this.current) this.current = this.open(record.rec_num);
    const file = this.current;
    file.records += 1;
    file.bytes += Buffer.byteLength(line);
    file.pending += line;
    if (file.pending.length >= chunkChars) await this.handOver(file);
    if (file.records >= this.limits.records || file.bytes >= this.limits.bytes) await this.closeCurrent();
  }

  /** Closes the last file; returns how many files were written. */
  async finish(): Promise<number> {
    await this.closeCurrent();
    return this.seq;
  }

  /** Stops writing after a failure; the partial object is left for the retry to overwrite. */
  abort(error: Error): void {
    this.current?.input.destroy(error);
    this.current?.stored.catch(() => undefined);
    this.current = null;
  }

  private open(firstRecNum: number): OpenFile {
    this.seq += 1;
    const key = this.keyFor(this.seq);
    const input = new PassThrough();
    // level 1: raw files are written once and rarely read; speed matters more than size (STACK.md)
    const gzip = createGzip({ level: 1 });
    // pipeline, not pipe: an aborted input must fail the gzip stream too, or the put would wait forever
    pipeline(input, gzip, () => undefined);
    const stored = this.store.put(key, gzip, {
      contentType: 'application/gzip', metadata: { ...this.metadata, seq: String(this.seq), 'first-rec-num': String(firstRecNum) },
    });
    stored.catch(() => undefined); // observed in closeCurrent
    return { seq: this.seq, key, input, pending: '', stored, records: 0, bytes: 0, firstRecNum };
  }

  private async handOver(file: OpenFile): Promise<void> {
    const chunk = file.pending;
    file.pending = '';
    if (chunk && !file.input.write(chunk)) await once(file.input, 'drain');
  }

  private async closeCurrent(): Promise<void> {
    const file = this.current;
    if (!file) return;
    this.current = null;
    await this.handOver(file);
    file.input.end();
    const { bytes } = await file.stored;
    await this.onFileWritten({ seq: file.seq, key: file.key, bytes, recordCount: file.records, firstRecNum: file.firstRecNum });
  }
}

/** The records of one raw file, a line at a time. */
export async function* readRawFile<T = Record<string, unknown>>(store: BlobStore, key: string): AsyncGenerator<T> {
  const body = await store.get(key);
  const lines = readline.createInterface({ input: body.pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line) yield JSON.parse(line) as T;
  }
}
