// An uploaded text file as decoded chunks, for the sources that read text (JSON, NDJSON): UTF-8 with or
// without its byte-order mark, or UTF-16 by its mark; a file that is empty, UTF-32 or binary (a NUL) is
// refused from its first bytes, before anything is read further.
import iconv from 'iconv-lite';
import { binaryDetail } from './binary-kind';
import { SourceError } from './source';

const sampleBytes = 64 * 1024;
/** The first line is looked for this far, so a long first line of NDJSON is still told from a document. */
const firstLineBytes = 1024 * 1024;

export interface TextFile {
  encoding: 'utf-8' | 'utf-16le' | 'utf-16be';
  /** The start of the text, without a byte-order mark: at least the first line, up to 1 MiB. */
  sample: string;
  /** The sample is the whole file. */
  complete: boolean;
  /** The whole text from its start (the sample first), decoded; read once. */
  chunks: AsyncIterable<string>;
  /** Closes the upload when the text is refused before it is read. */
  close(): Promise<void>;
}

export async function openText(upload: AsyncIterable<unknown>, kind: string): Promise<TextFile> {
  const input = upload[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let size = 0;
  let complete = false;
  while (size < sampleBytes || (size < firstLineBytes && !parts.some((part) => part.includes(0x0a)))) {
    const next = await input.next();
    if (next.done) {
      complete = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as string);
    parts.push(chunk);
    size += chunk.length;
  }
  const sample = Buffer.concat(parts);
  try {
    return decodeFrom(sample, complete, input, kind);
  } catch (error) {
    await input.return?.();
    throw error;
  }
}

function decodeFrom(sample: Buffer, complete: boolean, input: AsyncIterator<unknown>, kind: string): TextFile {
  if (!sample.length) throw new SourceError('The file is empty');
  if (sample.subarray(0, 4).equals(Buffer.from([0xff, 0xfe, 0, 0])) || sample.subarray(0, 4).equals(Buffer.from([0, 0, 0xfe, 0xff]))) {
    throw new SourceError(`The file is UTF-32 text, which is not read: save it as UTF-8`);
  }
  const encoding = sample[0] === 0xff && sample[1] === 0xfe ? 'utf-16le' : sample[0] === 0xfe && sample[1] === 0xff ? 'utf-16be' : 'utf-8';
  const nul = encoding === 'utf-8' ? sample.indexOf(0) : -1;
  if (nul >= 0) throw new SourceError(`The file is not ${kind} text: it holds binary data ${binaryDetail(sample, nul, kind === 'CSV' ? 'CSV' : 'JSON')}`);
  const decoder = iconv.getDecoder(encoding, { stripBOM: true });
  const head = decoder.write(sample);
  // in UTF-16 a NUL is two zero bytes that decode to U+0000
  const nulCharacter = head.indexOf('\u0000');
  if (nulCharacter >= 0) throw new SourceError(`The file is not ${kind} text: it holds binary data (a NUL character at character ${nulCharacter + 1})`);

  async function* chunks(): AsyncGenerator<string> {
    try {
      if (head) yield head;
      if (complete) return;
      for (let next = await input.next(); !next.done; next = await input.next()) {
        const text = decoder.write(Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as string));
        if (text) yield text;
      }
    } finally {
      // stopped early: the upload is closed, not left open
      await input.return?.();
    }
    const tail = decoder.end();
    if (tail) yield tail;
  }
  return { encoding, sample: head, complete, chunks: chunks(), close: async () => void (await input.return?.()) };
}
