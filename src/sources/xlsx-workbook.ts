// One sheet of an XLSX workbook, read with exceljs's streaming reader: rows as they are unzipped, the
// shared strings in memory (they are what the cells point at), a sheet that comes before them in the
// zip spooled to a temporary file by exceljs. What exceljs leaves to its caller is handled here: the
// order of the zip's parts, a failing upload, a broken archive, a sheet cut short, and stopping early.
import type { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { SourceError } from './source';

export interface WorkbookSheet {
  /** The workbook's sheets, in tab order. */
  sheetNames: string[];
  name: string;
  rows: AsyncIterable<ExcelJS.Row>;
}

/** exceljs's reader beyond its typings: the internals the ordering fix below reaches into. */
interface ReaderInternals {
  model?: { sheets?: { name: string }[] };
  workbookRels?: unknown;
  _parseStyles(entry: unknown): Promise<void>;
  _parseWorksheet(iterator: unknown, sheetNo: string): Generator<unknown>;
}

interface SheetReader extends AsyncIterable<ExcelJS.Row> {
  name: string;
  iterator?: { destroy?: () => void };
}

/** A sheet's closing tag, with or without a namespace prefix. */
const sheetEnd = /<\/(?:[\w.-]+:)?worksheet\s*>/;

/**
 * A sheet's XML as exceljs reads it, watched for its closing tag: exceljs's parser ends where the XML
 * ends without a word, so a sheet cut short inside a whole zip would read as a sheet of fewer rows.
 */
class SheetXml implements AsyncIterable<unknown> {
  closed = false;
  constructor(private readonly xml: AsyncIterable<unknown> & { destroy?: () => void }) {}

  /** a sheet not read: its spooled file is closed (exceljs's skip reaches it here) */
  destroy(): void {
    this.xml.destroy?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<unknown> {
    // the end of the previous chunk, for a tag split between two
    let tail = '';
    for await (const chunk of this.xml) {
      const text = tail + (Buffer.isBuffer(chunk) ? chunk.toString('latin1') : String(chunk));
      if (!this.closed && sheetEnd.test(text)) this.closed = true;
      tail = text.slice(-32);
      yield chunk;
    }
  }
}

/**
 * The upload failing, raced against each read of exceljs: a listener per read, removed when the read
 * settles. (Promise.race against one promise that stays pending would keep a reaction, and the row it
 * resolved with, for every read: a sheet's every row held in memory.)
 */
class InputFailure {
  private error: unknown = null;
  private readonly waiting = new Set<(error: unknown) => void>();

  fail(error: unknown): void {
    this.error ??= error;
    for (const reject of this.waiting) reject(this.error);
    this.waiting.clear();
  }

  race<T>(read: Promise<T>): Promise<T> {
    if (this.error) return Promise.reject(this.error);
    return new Promise<T>((resolve, reject) => {
      this.waiting.add(reject);
      read.then(resolve, reject).finally(() => this.waiting.delete(reject));
    });
  }
}

const unreadable = (error: unknown) =>
  error instanceof SourceError ? error : new SourceError(`The file is not a readable XLSX workbook (${(error as Error)?.message ?? String(error)}); save it again from the spreadsheet program`);

/**
 * exceljs reads a sheet as soon as it has the shared strings and the relationships. A workbook that
 * stores xl/workbook.xml or xl/styles.xml after its sheets (exceljs's own writer puts workbook.xml
 * last) then crashes on the missing sheet list (exceljs#3064) or reads dates as plain numbers. Until
 * both are in, its relationships read as absent, so it spools such a sheet and reads it at the end.
 */
function readSheetsInOrder(reader: ReaderInternals): void {
  let workbookRels: unknown;
  let stylesRead = false;
  let sheetsStarted = false;
  Object.defineProperty(reader, 'workbookRels', {
    get: () => ((reader.model && stylesRead) || sheetsStarted ? workbookRels : undefined),
    set: (value: unknown) => (workbookRels = value),
    configurable: true,
  });
  const parseStyles = reader._parseStyles.bind(reader);
  reader._parseStyles = async (entry) => {
    await parseStyles(entry);
    stylesRead = true;
  };
  const parseWorksheet = reader._parseWorksheet.bind(reader);
  reader._parseWorksheet = (iterator, sheetNo) => {
    if (!reader.model) throw new SourceError('The file is a zip archive but not an XLSX workbook: it has no xl/workbook.xml');
    sheetsStarted = true;
    return parseWorksheet(new SheetXml(iterator as AsyncIterable<unknown>), sheetNo);
  };
}

/**
 * The rows of the sheet named `wanted`, or else of the first sheet. The rest of the workbook is read
 * past (not parsed) once the sheet is done, so exceljs removes the temporary files it spooled.
 */
export async function openWorkbookSheet(input: Readable, wanted: string | undefined): Promise<WorkbookSheet> {
  // exceljs pipes the upload into its unzipper, which does not hear of the upload failing: without this
  // a store that fails mid-read would leave the run waiting forever
  const inputFailure = new InputFailure();
  const onInputError = (error: Error) => inputFailure.fail(new SourceError(`The file could not be read from storage (${error.message})`));
  input.on('error', onInputError);

  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    worksheets: 'emit', sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', entries: 'ignore',
  });
  const internals = reader as unknown as ReaderInternals;
  readSheetsInOrder(internals);
  const sheets = reader[Symbol.asyncIterator]() as AsyncGenerator<SheetReader>;
  const next = async () => {
    try {
      return await inputFailure.race(sheets.next());
    } catch (error) {
      throw unreadable(error);
    }
  };
  // not awaited: a read still pending inside exceljs (a failed upload) would hold the close
  const close = () => {
    input.off('error', onInputError);
    input.destroy();
    sheets.return(undefined).catch(() => undefined);
  };
  /** a sheet not read: its spooled file is closed instead of read */
  const skip = (sheet: SheetReader) => sheet.iterator?.destroy?.();

  let sheet: SheetReader | null = null;
  let sheetNames: string[] = [];
  let name = '';
  try {
    for (let step = await next(); !step.done; step = await next()) {
      sheetNames = internals.model?.sheets?.map((entry) => entry.name) ?? [];
      name = wanted ?? sheetNames[0] ?? step.value.name;
      if (!sheetNames.includes(name)) {
        throw new SourceError(`The workbook has no sheet named "${name}" (import.sheet); its sheets are: ${sheetNames.map((n) => `"${n}"`).join(', ')}`);
      }
      if (step.value.name === name) {
        sheet = step.value;
        break;
      }
      skip(step.value);
    }
    if (!sheet) throw new SourceError('The file is a zip archive but not an XLSX workbook: it has no worksheets');
  } catch (error) {
    close();
    throw unreadable(error);
  }

  const found = sheet;
  async function* rows(): AsyncGenerator<ExcelJS.Row> {
    const iterator = found[Symbol.asyncIterator]();
    let finished = false;
    let lastRow = 0;
    try {
      for (;;) {
        let step: IteratorResult<ExcelJS.Row>;
        try {
          step = await inputFailure.race(iterator.next());
        } catch (error) {
          throw unreadable(error);
        }
        if (step.done) break;
        lastRow = step.value.number;
        yield step.value;
      }
      if (found.iterator instanceof SheetXml && !found.iterator.closed) {
        throw new SourceError(`The sheet "${name}" is cut short ${lastRow ? `after row ${lastRow}` : 'before its first row'}: its XML ends before </worksheet>; `
          + 'nothing of it is imported, as a cut-short file would propose deleting the listings it lacks');
      }
      for (let rest = await next(); !rest.done; rest = await next()) skip(rest.value);
      finished = true;
    } finally {
      input.off('error', onInputError);
      if (!finished) close();
    }
  }
  return { sheetNames, name, rows: rows() };
}
