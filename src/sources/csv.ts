// A CSV file as an async iterable of records, streamed: sniffs encoding (UTF-8 with or without BOM,
// else Windows-1252) and delimiter from the first bytes, refuses binary files, and reports bad rows
// (wrong column count, broken quotes) as problems with their first line instead of stopping. csv-parse
// does the parsing; an unbalanced quote costs only its own line, because the lines its "quoted field"
// swallowed are parsed again, so one stray " never takes the rest of the file with it.
import { Readable } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
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

// A piece of the parsed file: a record as csv-parse read it, or one it skipped (a quote never
// closed, a record over the size limit), with its raw text so a swallowed line can be read again.
interface Piece {
  fields: string[] | null;
  error: CsvError | null;
  raw: string;
  lastLine: number;
}

const parsedRow = (row: ParsedRow, lineOffset: number): Piece =>
  ({ fields: row.record, error: null, raw: row.raw, lastLine: row.info.lines + lineOffset });
const skippedRow = (error: CsvError, raw: string | undefined, lineOffset: number): Piece =>
  ({ fields: null, error, raw: raw ?? '', lastLine: ((error as CsvError & { lines?: number }).lines ?? 0) + lineOffset });

interface ParsedRow {
  record: string[];
  info: { lines: number };
  raw: string;
}

/**
 * The text with every line break as \n (CRLF, and a lone CR from old Mac exports), also inside quoted
 * fields: csv-parse counts a quoted CRLF as two lines, and line numbers must be the file's.
 */
async function* withUnixLineBreaks(text: AsyncIterable<string>): AsyncGenerator<string> {
  let heldCr = false; // a CR at a chunk's end may be the first half of a CRLF
  for await (const chunk of text) {
    let part: string = (heldCr ? '\r' : '') + chunk;
    heldCr = part.endsWith('\r');
    if (heldCr) part = part.slice(0, -1);
    yield part.replace(/\r\n?/g, '\n');
  }
  if (heldCr) yield '\n';
}

/** The line a piece starts on: its last line less the line breaks inside it. */
function firstLineOf(piece: Piece): number {
  const inner = piece.raw.replace(/\n$/, '').split('\n').length - 1;
  return piece.lastLine - inner;
}

/** The raw text after a piece's first line: the lines an unbalanced quote swallowed. */
function linesAfterFirst(raw: string): string {
  const firstBreak = raw.indexOf('\n');
  return firstBreak < 0 ? '' : raw.slice(firstBreak + 1);
}

function parserOptions(delimiter: string, onSkip: (error: CsvError, raw: string | undefined) => void) {
  return {
    delimiter,
    bom: true,
    info: true,
    raw: true,
    relax_column_count: true,
    // a quote inside an unquoted field (5" screen) is kept as text rather than rejecting the row
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: maxRecordBytes,
    on_skip: (error: CsvError | undefined, raw: string | undefined) => {
      if (error) onSkip(error, raw);
      return undefined;
    },
  };
}

type Verdict = { fields: string[] } | { problem: string; swallowed: string };

/**
 * Whether a piece is a record of `width` fields. A record of several lines whose field count is off,
 * or that holds a field csv-parse kept with its quotes (relax_quotes: a quote closed mid-field), was
 * opened by a stray quote: two rows read as one must not pass unnoticed.
 */
function judge(piece: Piece, width: number): Verdict {
  const first = firstLineOf(piece);
  if (piece.error) {
    const problem = piece.error.code === 'CSV_MAX_RECORD_SIZE'
      ? `line ${first} starts a record larger than ${maxRecordBytes} bytes, probably because of an unbalanced quote (")`
      : `line ${first} has an unbalanced quote ("): the quoted field that starts there is never closed`;
    return { problem, swallowed: linesAfterFirst(piece.raw) };
  }
  const fields = piece.fields!;
  const strayQuote = fields.some((field) => field.startsWith('"'));
  if (piece.lastLine === first) {
    if (fields.length === width) return { fields };
    return { problem: `line ${first} has ${fields.length} fields where the header has ${width}` +
      (strayQuote ? ', probably because of an unbalanced quote (")' : ''), swallowed: '' };
  }
  if (fields.length === width && !strayQuote) return { fields };
  return {
    problem: `line ${first} has an unbalanced quote ("): read as a quoted field running on to line ${piece.lastLine}, ` +
      (fields.length === width ? 'the record has text after a closing quote' : `the record has ${fields.length} fields where the header has ${width}`),
    swallowed: linesAfterFirst(piece.raw),
  };
}

/** The lines a bad piece swallowed, parsed again on their own (at most max_record_size of text). */
function reparse(text: string, lineOffset: number, delimiter: string): Piece[] {
  const pieces: Piece[] = [];
  const rows = parseSync(text, parserOptions(delimiter, (error, raw) => pieces.push(skippedRow(error, raw, lineOffset)))) as unknown as ParsedRow[];
  for (const row of rows) pieces.push(parsedRow(row, lineOffset));
  return pieces.sort((a, b) => firstLineOf(a) - firstLineOf(b));
}

export async function openCsv(
  source: AsyncIterable<Buffer>,
  options: CsvOptions,
  onProblem: (problem: CsvProblem) => void | Promise<void>,
): Promise<OpenedCsv> {
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

  // csv-parse reports a skipped piece through on_skip while it parses; it waits here until the
  // records before it have been read, so pieces leave in the order of the file.
  const skipped: Piece[] = [];
  const decoded = Readable.from(bytes()).pipe(iconv.decodeStream(encoding, { stripBOM: true })) as AsyncIterable<string>;
  const parser = Readable.from(withUnixLineBreaks(decoded))
    .pipe(parse(parserOptions(delimiter, (error, raw) => skipped.push(skippedRow(error, raw, 0)))));
  async function* pieces(): AsyncGenerator<Piece> {
    for await (const row of parser as AsyncIterable<ParsedRow>) {
      const piece = parsedRow(row, 0);
      while (skipped.length && firstLineOf(skipped[0]!) < firstLineOf(piece)) yield skipped.shift()!;
      yield piece;
    }
    yield* skipped.splice(0);
  }

  const all = pieces();
  const first = await all.next();
  if (first.done) throw new CsvFileError('The file has no header line');
  const header = first.value;
  if (header.error || header.lastLine !== firstLineOf(header) || header.fields!.some((name) => name.startsWith('"'))) {
    throw new CsvFileError(`The header line (line ${firstLineOf(header)}) has an unbalanced quote ("): a quoted column name is not closed on that line`);
  }
  const headers = header.fields!.map((name) => name.trim());
  const empty = headers.findIndex((name) => name === '');
  if (empty >= 0) throw new CsvFileError(`The header line has an empty column name (column ${empty + 1})`);
  const duplicate = headers.find((name, i) => headers.indexOf(name) !== i);
  if (duplicate) throw new CsvFileError(`The header line names column "${duplicate}" twice`);

  /** A good piece as a record; a bad one as a problem, and the lines it swallowed read again. */
  function* read(piece: Piece): Generator<CsvRecord | { problem: CsvProblem }> {
    const verdict = judge(piece, headers.length);
    const line = firstLineOf(piece);
    if ('fields' in verdict) {
      const fields: Record<string, string> = {};
      headers.forEach((name, i) => (fields[name] = verdict.fields[i]!));
      yield { line, fields };
      return;
    }
    yield { problem: { line, reason: verdict.problem } };
    if (verdict.swallowed) for (const inner of reparse(verdict.swallowed, line, delimiter)) yield* read(inner);
  }

  async function* records(): AsyncGenerator<CsvRecord> {
    for await (const piece of all) {
      for (const item of read(piece)) {
        // awaited, so a file of nothing but bad lines is logged as it streams, not held
        if ('problem' in item) await onProblem(item.problem);
        else yield item;
      }
    }
  }
  return { headers, delimiter, encoding, records: records() };
}
