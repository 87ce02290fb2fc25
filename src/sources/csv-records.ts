// CSV records from decoded text, a line at a time, with exact line numbers. An unbalanced quote costs
// only its own line: the lines its "quoted field" swallowed are read again as records of their own.
// This is why the file is not handed to csv-parse: it cannot go back, so one stray " took every later
// record with it (or, past its record size limit, repeated and lost records in unbounded memory).
// Quotes are read as csv-parse reads them (relax_quotes); csv.test.ts checks the two agree.

/** A record (with its quoted line breaks) or a line longer than this is reported, not read. */
export const maxRecordChars = 1024 * 1024;
/**
 * How far a quoted field is followed before it is judged: a stray quote in a file with no other
 * quote would run to the end, so its lines are held up to this much and then read again. A field
 * that does close within it was a real, oversized record, skipped whole. Bounds memory per record.
 */
export const maxLookaheadChars = 16 * maxRecordChars;

/** A line of the decoded file, numbered from 1; text is null for a line too long to hold. */
export interface Line {
  number: number;
  text: string | null;
}

/** Decoded text as numbered lines; a line ends at \n, \r\n or a lone \r (old Mac exports). */
export async function* numberedLines(chunks: AsyncIterable<string>): AsyncGenerator<Line> {
  const breaks = /\r\n|\n|\r/g;
  let number = 0;
  let rest = '';
  let overlong = false; // the current line passed maxRecordChars: its text is dropped up to its end
  for await (const chunk of chunks) {
    rest += chunk;
    breaks.lastIndex = 0;
    let start = 0;
    for (let found = breaks.exec(rest); found; found = breaks.exec(rest)) {
      if (found[0] === '\r' && found.index === rest.length - 1) break; // may be the first half of \r\n
      number += 1;
      yield { number, text: overlong || found.index - start > maxRecordChars ? null : rest.slice(start, found.index) };
      overlong = false;
      start = breaks.lastIndex;
    }
    rest = rest.slice(start);
    if (rest.length > maxRecordChars) {
      overlong = true;
      rest = rest.endsWith('\r') ? '\r' : '';
    }
  }
  if (rest.endsWith('\r')) rest = rest.slice(0, -1);
  if (rest !== '' || overlong) yield { number: number + 1, text: overlong || rest.length > maxRecordChars ? null : rest };
}

/**
 * The fields of one record, fed line by line (a quoted field may hold line breaks). Quotes are read as
 * csv-parse's relax_quotes does: only a quote at a field's start opens a quoted field, a quote inside
 * an unquoted field (5" screen) is text, and text after a closing quote keeps the field as written.
 */
class RecordFields {
  readonly fields: string[] = [];
  /** A closing quote was followed by text: a sign of an unbalanced quote when the field count is off. */
  strayQuote = false;
  private field = '';
  private quoted = false;
  private atFieldStart = true;

  constructor(private readonly delimiter: string) {}

  /** Reads one more line; true when the record is complete, false while a quoted field is still open. */
  add(line: string): boolean {
    if (this.quoted) this.field += '\n';
    let i = 0;
    for (;;) {
      if (this.quoted) {
        const quote = line.indexOf('"', i);
        if (quote < 0) {
          this.field += line.slice(i);
          return false;
        }
        this.field += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          this.field += '"';
          i = quote + 2;
          continue;
        }
        this.quoted = false;
        i = quote + 1;
        if (i < line.length && !line.startsWith(this.delimiter, i)) {
          this.field = `"${this.field}"`;
          this.strayQuote = true;
        }
        continue;
      }
      if (this.atFieldStart && line[i] === '"') {
        this.quoted = true;
        this.atFieldStart = false;
        i += 1;
        continue;
      }
      this.atFieldStart = false;
      const end = line.indexOf(this.delimiter, i);
      if (end < 0) {
        this.fields.push(this.field + line.slice(i));
        return true;
      }
      this.fields.push(this.field + line.slice(i, end));
      this.field = '';
      this.atFieldStart = true;
      i = end + this.delimiter.length;
    }
  }
}

/** The lines of one record as read, and whether its last quoted field was closed. */
export interface RecordLines {
  lines: Line[];
  fields: string[];
  complete: boolean;
  strayQuote: boolean;
  /** characters of its lines, line breaks included */
  chars: number;
}

/** Reads records line by line; lines given back with reread() come again before the rest of the file. */
export class RecordSplitter {
  private readonly again: Line[] = []; // a stack: the next line to read is last

  constructor(private readonly lines: AsyncIterator<Line>, private readonly delimiter: string) {}

  reread(lines: Line[]): void {
    for (let i = lines.length - 1; i >= 0; i--) this.again.push(lines[i]!);
  }

  /** The next record from its first non-blank line; a quoted field left open ends it after maxLookaheadChars or at the end of the file. */
  async next(): Promise<RecordLines | null> {
    let first = await this.nextLine();
    while (first && first.text !== null && isBlank(first.text)) first = await this.nextLine();
    if (!first) return null;
    if (first.text === null) return { lines: [first], fields: [], complete: false, strayQuote: false, chars: maxRecordChars + 1 };
    const record = new RecordFields(this.delimiter);
    const lines = [first];
    let size = first.text.length;
    let complete = record.add(first.text);
    while (!complete && size <= maxLookaheadChars) {
      const line = await this.nextLine();
      if (!line) break;
      lines.push(line);
      if (line.text === null) break;
      size += line.text.length + 1;
      complete = record.add(line.text);
    }
    return { lines, fields: record.fields, complete, strayQuote: record.strayQuote, chars: size };
  }

  private async nextLine(): Promise<Line | null> {
    const again = this.again.pop();
    if (again) return again;
    const next = await this.lines.next();
    return next.done ? null : next.value;
  }
}

/** A line with nothing but spaces: skipped between records, as the delimiter sniffer skips it. */
export const isBlank = (text: string) => text.trim() === '';

export interface RecordProblem {
  reason: string;
  /** the record's lines after its first are records of their own, swallowed by a stray quote */
  rereadRest: boolean;
}

/** Why a record cannot be read with `width` fields, naming its first line; null when it can. */
export function recordProblem({ lines, fields, complete, strayQuote, chars }: RecordLines, width: number): RecordProblem | null {
  const first = lines[0]!;
  const last = lines[lines.length - 1]!;
  if (first.text === null) return { reason: `line ${first.number} is longer than ${maxRecordChars} characters`, rereadRest: false };
  if (!complete) {
    return { reason: `line ${first.number} has an unbalanced quote ("): the quoted field that starts there is never closed`, rereadRest: true };
  }
  if (lines.length === 1) {
    if (fields.length === width) return null;
    return {
      reason: `line ${first.number} has ${fields.length} fields where the header has ${width}` +
        (strayQuote ? ', probably because of an unbalanced quote (")' : ''),
      rereadRest: false,
    };
  }
  // a field may hold line breaks, but one that then closes with text after its quote, or leaves the
  // record the wrong width, was opened by a stray quote: two rows read as one must not pass unnoticed
  const wellFormed = fields.length === width && !strayQuote;
  if (wellFormed && chars > maxRecordChars) {
    return {
      reason: `lines ${first.number} to ${last.number} are one record of ${chars} characters, more than the ${maxRecordChars} allowed`,
      rereadRest: false,
    };
  }
  if (wellFormed) return null;
  return {
    reason: `line ${first.number} has an unbalanced quote ("): read as a quoted field running on to line ${last.number}, ` +
      (fields.length === width ? 'the record has text after a closing quote' : `the record has ${fields.length} fields where the header has ${width}`),
    rereadRest: true,
  };
}
