// An uploaded XLSX workbook as a source: one sheet (import.sheet, else the first), its first non-empty
// row the header, each later non-empty row a record whose values are text as a CSV of the sheet would
// give them, so the same places from a CSV and from a workbook stage as the same records.
import { Readable } from 'node:stream';
import type ExcelJS from 'exceljs';
import { SourceError, type SourceOpener, type SourceRecord } from './source';
import { openWorkbookSheet } from './xlsx-workbook';

const zipMagic = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const ole2Magic = Buffer.from([0xd0, 0xcf, 0x11, 0xe0]);

/** An uploaded .xlsx, the sheet import.sheet names or its first; `fields` is the header row. */
export const openXlsx: SourceOpener = async ({ config, upload }) => {
  if (!upload) throw new SourceError('No file was uploaded for this run');
  const input = await checkedWorkbook(upload);
  const sheet = await openWorkbookSheet(input, config.import.sheet as string | undefined);
  const rows = sheet.rows[Symbol.asyncIterator]();
  let header: { number: number; names: string[] } | null = null;
  try {
    header = await headerRow(rows);
  } catch (error) {
    await rows.return?.(undefined);
    throw error;
  }
  if (!header) throw new SourceError(`The sheet "${sheet.name}" is empty: it has no header row`);
  const { names } = header;

  async function* records(): AsyncGenerator<SourceRecord> {
    for (let step = await rows.next(); !step.done; step = await rows.next()) {
      const values = rowValues(step.value);
      if (values.every((value) => value === '')) continue;
      // a value in a column without a header has no field to go to: like a note beside the table, it is left
      const fields: Record<string, string> = {};
      names.forEach((name, i) => (fields[name] = values[i] ?? ''));
      yield { line: step.value.number, fields };
    }
  }
  return { fields: names, format: { sheet: sheet.name }, records: closingRows(records(), rows) };
};

/** The records, whose return closes the workbook even before the first record was asked for (a header is all a caller wanted). */
function closingRows(records: AsyncGenerator<SourceRecord>, rows: AsyncIterator<ExcelJS.Row>): AsyncIterable<SourceRecord> {
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => records.next(),
      return: async () => {
        await records.return(undefined);
        await rows.return?.(undefined);
        return { done: true, value: undefined };
      },
    }),
  };
}

/**
 * The upload, refused from its first bytes unless it is a zip: an Excel 97-2003 .xls (OLE2) by name,
 * anything else as not a workbook. The bytes read to tell are put back in front.
 */
async function checkedWorkbook(upload: Readable): Promise<Readable> {
  const input = upload[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let size = 0;
  while (size < 8) {
    const next = await input.next();
    if (next.done) break;
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as string);
    parts.push(chunk);
    size += chunk.length;
  }
  const head = Buffer.concat(parts);
  const refuse = async (message: string) => {
    await input.return?.();
    return new SourceError(message);
  };
  if (!head.length) throw await refuse('The file is empty');
  if (head.subarray(0, 4).equals(ole2Magic)) {
    throw await refuse('The file is an Excel 97-2003 workbook (.xls), which is not read: save it as .xlsx or CSV');
  }
  if (!head.subarray(0, 4).equals(zipMagic)) throw await refuse('The file is not an XLSX workbook (an .xlsx file is a zip archive; this one is not)');
  async function* bytes() {
    yield head;
    for (let next = await input.next(); !next.done; next = await input.next()) yield next.value as Buffer;
  }
  const stream = Readable.from(bytes(), { objectMode: false });
  // the upload's failure reaches the workbook reader through this stream
  return stream;
}

async function headerRow(rows: AsyncIterator<ExcelJS.Row>): Promise<{ number: number; names: string[] } | null> {
  for (let step = await rows.next(); !step.done; step = await rows.next()) {
    const names = rowValues(step.value).map((name) => name.trim());
    while (names.length && names.at(-1) === '') names.pop();
    if (!names.length) continue;
    const header = names;
    const row = step.value.number;
    const empty = header.findIndex((name) => name === '');
    if (empty >= 0) throw new SourceError(`The header row (row ${row}) has an empty column name (column ${columnLetter(empty + 1)})`);
    const duplicate = header.find((name, i) => header.indexOf(name) !== i);
    if (duplicate) throw new SourceError(`The header row (row ${row}) names column "${duplicate}" twice`);
    return { number: row, names: header };
  }
  return null;
}

function columnLetter(column: number): string {
  let letters = '';
  for (let n = column; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

/** A row's cells as text, column 1 first. */
function rowValues(row: ExcelJS.Row): string[] {
  const values = row.values as unknown[];
  const texts: string[] = [];
  for (let column = 1; column < values.length; column += 1) {
    const value = values[column];
    texts.push(value === undefined || value === null ? '' : cellText(value, () => row.getCell(column).numFmt));
  }
  return texts;
}

/**
 * A cell's value as a CSV of the sheet would have it: numbers without float noise, dates as ISO dates,
 * rich text joined, a hyperlink's text, a formula's result, true/false; an error cell is empty.
 */
export function cellText(value: unknown, numFmt: () => string | undefined = () => undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return dateText(value);
  if (typeof value !== 'object') return String(value);
  const cell = value as { richText?: { text?: string }[]; text?: unknown; hyperlink?: string; formula?: string; sharedFormula?: string; result?: unknown; error?: string };
  if (Array.isArray(cell.richText)) return cell.richText.map((run) => run.text ?? '').join('');
  if ('text' in cell) return cellText(cell.text, numFmt);
  if ('formula' in cell || 'sharedFormula' in cell) {
    // the streaming reader leaves a formula's result a number even where the cell shows a date
    const result = cell.result;
    if (typeof result === 'number' && isDateFormat(numFmt())) return dateText(excelDate(result));
    return result !== null && typeof result === 'object' && 'error' in result ? '' : cellText(result, numFmt);
  }
  if ('error' in cell) return '';
  return '';
}

/** 15 significant digits, as the spreadsheet shows them: 0.1 + 0.2 is 0.3, not 0.30000000000000004. */
function numberText(value: number): string {
  if (!Number.isFinite(value)) return '';
  return String(Number(value.toPrecision(15)));
}

/** A date without its time when it has none (YYYY-MM-DD), else the wall-clock time with it; a time alone as HH:MM. */
function dateText(date: Date): string {
  if (Number.isNaN(date.getTime())) return '';
  const iso = date.toISOString();
  const time = iso.slice(11, 19).replace(/:00$/, '');
  // Excel's day zero: a cell that holds only a time
  if (iso.startsWith('1899-12-30')) return time;
  if (iso.slice(11, 23) === '00:00:00.000') return iso.slice(0, 10);
  return `${iso.slice(0, 10)}T${iso.slice(11, 19)}`;
}

function excelDate(serial: number): Date {
  return new Date(Math.round((serial - 25569) * 86_400_000));
}

function isDateFormat(format: string | undefined): boolean {
  if (!format) return false;
  const bare = format.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, '');
  return /[ymdhs]/i.test(bare) && !/^general$/i.test(bare);
}
