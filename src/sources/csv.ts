// A CSV file as an async iterable of records, streamed: sniffs encoding (UTF-16 by its BOM, as
// Excel's "Unicode text" saves; UTF-8 with or without BOM; else Windows-1252) and delimiter from the first bytes, refuses binary files, and reports bad rows
// (wrong column count, unbalanced quotes) as problems with their first line instead of stopping.
// Records are read by csv-records.ts, which can go back after a stray quote; see there for why.
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import iconv from 'iconv-lite';
import { binaryDetail } from './binary-kind';
import { isBlank, numberedLines, recordProblem, RecordSplitter } from './csv-records';
import { SourceError, type SourceOpener } from './source';

export interface CsvOptions {
  delimiter?: string;
  encoding: 'auto' | 'utf-8' | 'latin1' | 'windows-1252';
}

export interface CsvRecord {
  line: number;
  fields: Record<string, string>;
}

export interface CsvProblem {
  line: number | null;
  reason: string;
}

export interface OpenedCsv {
  headers: string[];
  delimiter: string;
  encoding: string;
  records: AsyncIterable<CsvRecord>;
}

/** The file cannot be read as CSV at all: the run fails with this message. */
export class CsvFileError extends SourceError {}

const sampleBytes = 64 * 1024;
const delimiters = [',', ';', '\t', '|'];

async function readSample(input: AsyncIterator<Buffer>): Promise<{ sample: Buffer; done: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  while (size < sampleBytes) {
    const next = await input.next();
    if (next.done) return { sample: Buffer.concat(chunks), done: true };
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    chunks.push(chunk);
    size += chunk.length;
  }
  return { sample: Buffer.concat(chunks), done: false };
}

/**
 * UTF-16 named by its byte-order mark, whatever the config says: its every other byte is NUL, so
 * read as anything else it is "binary data", and no other text starts with these bytes.
 */
function utf16ByMark(sample: Buffer): 'utf-16le' | 'utf-16be' | null {
  if (sample[0] === 0xff && sample[1] === 0xfe) return 'utf-16le';
  if (sample[0] === 0xfe && sample[1] === 0xff) return 'utf-16be';
  return null;
}

function detectEncoding(sample: Buffer, wanted: CsvOptions['encoding']): string {
  if (wanted !== 'auto') return wanted;
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return 'utf-8';
  // a multi-byte character may be cut at the sample's end: leave its last bytes out of the check
  const body = sample.length >= sampleBytes ? sample.subarray(0, sample.length - 4) : sample;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body);
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}

function detectDelimiter(firstLine: string): string {
  let best = ',';
  let bestCount = 0;
  for (const candidate of delimiters) {
    const count = firstLine.split(candidate).length - 1;
    if (count > bestCount) [best, bestCount] = [candidate, count];
  }
  return best;
}

export async function openCsv(
  source: AsyncIterable<Buffer>,
  options: CsvOptions,
  onProblem: (problem: CsvProblem) => void | Promise<void>,
): Promise<OpenedCsv> {
  const iterator = source[Symbol.asyncIterator]();
  const { sample, done } = await readSample(iterator);
  if (sample.length === 0) throw new CsvFileError('The file is empty');
  if (sample.subarray(0, 4).equals(Buffer.from([0xff, 0xfe, 0, 0])) || sample.subarray(0, 4).equals(Buffer.from([0, 0, 0xfe, 0xff]))) {
    throw new CsvFileError('The file is UTF-32 text, which is not read: save it as UTF-8 (or UTF-16)');
  }
  const utf16 = utf16ByMark(sample);
  const nul = utf16 ? -1 : sample.indexOf(0);
  if (nul >= 0) throw new CsvFileError(`The file is not CSV text: it holds binary data ${binaryDetail(sample, nul, 'CSV')}`);
  const encoding = utf16 ?? detectEncoding(sample, options.encoding);
  const text = iconv.decode(sample, encoding).replace(/^\uFEFF/, '');
  // in UTF-16 a NUL is two zero bytes that decode to U+0000: binary data behind the mark
  const nulCharacter = text.indexOf('\u0000');
  if (nulCharacter >= 0) throw new CsvFileError(`The file is not CSV text: it holds binary data (a NUL character at character ${nulCharacter + 1})`);
  const firstLine = text.split(/\r\n|\n|\r/).find((line) => !isBlank(line)) ?? '';
  const delimiter = options.delimiter ?? detectDelimiter(firstLine);

  async function* bytes() {
    yield sample;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value as Buffer;
  }

  // iconv's decode stream yields strings. pipeline, not pipe: pipe forwards no error, so an upload
  // failing mid-file left the records waiting forever, and its 'error', heard by no one, ended the
  // process; as it did when a file refused by its header was closed while the rest was still read.
  const decoder = iconv.decodeStream(encoding, { stripBOM: true }) as unknown as Transform;
  pipeline(Readable.from(bytes()), decoder).catch(() => undefined); // the failure reaches the reader through decoder
  const splitter = new RecordSplitter(numberedLines(decoder as AsyncIterable<string>)[Symbol.asyncIterator](), delimiter);
  let headers: string[];
  try {
    headers = await readHeader(splitter);
  } catch (error) {
    decoder.destroy(); // refused: the rest of the file is not read
    throw error;
  }

  async function* records(): AsyncGenerator<CsvRecord> {
    for (let record = await splitter.next(); record; record = await splitter.next()) {
      const line = record.lines[0]!.number;
      const problem = recordProblem(record, headers.length);
      if (!problem) {
        const fields: Record<string, string> = {};
        headers.forEach((name, i) => (fields[name] = record.fields[i]!));
        yield { line, fields };
        continue;
      }
      // awaited, so a file of nothing but bad lines is logged as it streams, not held
      await onProblem({ line, reason: problem.reason });
      // a bad record of several lines is most likely a stray quote: its other lines are records of their own
      if (problem.rereadRest) splitter.reread(record.lines.slice(1));
    }
  }
  return { headers, delimiter, encoding, records: records() };
}

/** The column names of the header line, or the reason the file is refused. */
async function readHeader(splitter: RecordSplitter): Promise<string[]> {
  const header = await splitter.next();
  if (!header) throw new CsvFileError('The file has no header line');
  const headerLine = header.lines[0]!.number;
  if (header.lines[0]!.text === null) throw new CsvFileError(`The header line (line ${headerLine}) is too long to be a header`);
  if (!header.complete || header.lines.length > 1) {
    throw new CsvFileError(`The header line (line ${headerLine}) has an unbalanced quote ("): a quoted column name is not closed on that line`);
  }
  const headers = header.fields.map((name) => name.trim());
  const empty = headers.findIndex((name) => name === '');
  if (empty >= 0) throw new CsvFileError(`The header line has an empty column name (column ${empty + 1})`);
  const duplicate = headers.find((name, i) => headers.indexOf(name) !== i);
  if (duplicate) throw new CsvFileError(`The header line names column "${duplicate}" twice`);
  return headers;
}

/** An uploaded CSV as a source, read with the config's encoding and delimiter. */
export const openCsvSource: SourceOpener = async ({ config, upload }, onProblem) => {
  if (!upload) throw new SourceError('No file was uploaded for this run');
  const csv = await openCsv(upload, { encoding: config.import.encoding, delimiter: config.import.delimiter }, onProblem);
  return { fields: csv.headers, format: { delimiter: csv.delimiter, encoding: csv.encoding }, records: csv.records };
};
