// A CSV file as an async iterable of records, streamed: sniffs encoding (UTF-8 with or without BOM,
// else Windows-1252) and delimiter from the first bytes, refuses binary files, and reports bad rows
// (wrong column count, broken quotes) as problems with their line instead of stopping.
import { Readable } from 'node:stream';
import { parse, CsvError } from 'csv-parse';
import iconv from 'iconv-lite';

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
export class CsvFileError extends Error {}

const sampleBytes = 64 * 1024;
const maxRecordBytes = 1024 * 1024;
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

export async function openCsv(source: AsyncIterable<Buffer>, options: CsvOptions, onProblem: (problem: CsvProblem) => void): Promise<OpenedCsv> {
  const iterator = source[Symbol.asyncIterator]();
  const { sample, done } = await readSample(iterator);
  if (sample.length === 0) throw new CsvFileError('The file is empty');
  const nul = sample.indexOf(0);
  if (nul >= 0) throw new CsvFileError(`The file is not CSV text: it holds binary data (a NUL byte at offset ${nul})`);
  const encoding = detectEncoding(sample, options.encoding);
  const text = iconv.decode(sample, encoding).replace(/^\uFEFF/, '');
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const delimiter = options.delimiter ?? detectDelimiter(firstLine);

  async function* bytes() {
    yield sample;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value as Buffer;
  }

  const parser = Readable.from(bytes())
    .pipe(iconv.decodeStream(encoding, { stripBOM: true }))
    .pipe(parse({
      delimiter,
      bom: true,
      info: true,
      relax_column_count: true,
      // a quote inside an unquoted field (5" screen) is kept as text rather than rejecting the row
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      max_record_size: maxRecordBytes,
    }));
  let lastProblemLine: number | null = null;
  parser.on('skip', (error: CsvError) => {
    const line = (error as CsvError & { lines?: number }).lines ?? null;
    if (line !== null && line === lastProblemLine) return; // one problem per broken record
    lastProblemLine = line;
    onProblem({ line, reason: describeCsvError(error) });
  });

  const rows = parser[Symbol.asyncIterator]() as AsyncIterator<{ record: string[]; info: { lines: number } }>;
  const first = await nextRow(rows);
  if (first.done) throw new CsvFileError('The file has no header line');
  const headers = first.value.record.map((header) => header.trim());
  const empty = headers.findIndex((header) => header === '');
  if (empty >= 0) throw new CsvFileError(`The header line has an empty column name (column ${empty + 1})`);
  const duplicate = headers.find((header, i) => headers.indexOf(header) !== i);
  if (duplicate) throw new CsvFileError(`The header line names column "${duplicate}" twice`);

  async function* records(): AsyncGenerator<CsvRecord> {
    for (let row = await nextRow(rows); !row.done; row = await nextRow(rows)) {
      const { record, info } = row.value;
      if (record.length !== headers.length) {
        onProblem({ line: info.lines, reason: `line ${info.lines} has ${record.length} fields where the header has ${headers.length}` });
        continue;
      }
      const fields: Record<string, string> = {};
      headers.forEach((header, i) => (fields[header] = record[i]!));
      yield { line: info.lines, fields };
    }
  }
  return { headers, delimiter, encoding, records: records() };

  /** A parse error csv-parse cannot skip (an unclosed quote at the end) ends the file with a problem. */
  async function nextRow(it: typeof rows) {
    try {
      return await it.next();
    } catch (error) {
      if (error instanceof CsvError) {
        onProblem({ line: (error as CsvError & { lines?: number }).lines ?? null, reason: describeCsvError(error) });
        return { done: true as const, value: undefined };
      }
      throw error;
    }
  }
}

function describeCsvError(error: CsvError): string {
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed: check for an unbalanced " in this record';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a quote inside a field is not escaped (write "" for a literal ")';
    case 'CSV_MAX_RECORD_SIZE':
      return `a record is larger than ${maxRecordBytes} bytes, probably an unbalanced quote`;
    default:
      return error.message;
  }
}
