import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';
// exceljs's own zip library (a dependency of it), to rewrite a workbook's parts as Excel orders them
import JSZip from 'jszip';
import { resolveConfig } from '../domain/config-params';
import { SourceError, type SourceInput, type SourceRecord } from './source';
import { openXlsx } from './xlsx';

function input(content: Buffer | Readable, sheet?: string): SourceInput {
  const upload = Buffer.isBuffer(content) ? Readable.from([content]) : content;
  return { config: resolveConfig({ import: sheet ? { sheet } : {} }, 'xlsx'), upload } as unknown as SourceInput;
}

async function read(content: Buffer | Readable, sheet?: string) {
  const source = await openXlsx(input(content, sheet), () => undefined);
  const records: SourceRecord[] = [];
  for await (const record of source.records) records.push(record);
  return { source, records };
}

const failure = (content: Buffer | Readable, sheet?: string) =>
  read(content, sheet).then(() => null, (error: unknown) => {
    expect(error).toBeInstanceOf(SourceError);
    return (error as Error).message;
  });

async function workbook(build: (book: ExcelJS.Workbook) => void): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  build(book);
  return Buffer.from(await book.xlsx.writeBuffer());
}

describe('an XLSX workbook', () => {
  it('reads the first sheet: its first non-empty row the header, each later row a record of text values', async () => {
    const file = await workbook((book) => {
      const sheet = book.addWorksheet('Listings');
      sheet.addRow([]);
      sheet.addRow([' Name ', 'Opened', 'Lat', 'Site', 'About', 'Total', 'Open', 'Broken', 'Since']);
      sheet.addRow([
        'Harbour Place', new Date(Date.UTC(2024, 4, 3)), 44.6 + 0.0001, { text: 'harbour.example', hyperlink: 'https://harbour.example' },
        { richText: [{ text: 'By the ' }, { text: 'sea', font: { bold: true } }] }, { formula: '0.1+0.2', result: 0.1 + 0.2 }, true,
        { error: '#N/A' }, { formula: 'DATE(2020,1,2)', result: 43832 },
      ]);
      sheet.getCell('B3').numFmt = 'yyyy-mm-dd';
      sheet.getCell('I3').numFmt = 'd mmm yyyy';
      sheet.addRow([]);
      sheet.addRow(['Second', new Date(Date.UTC(2024, 0, 1, 14, 30)), -63, '', '', 3, false]);
      sheet.getCell('B5').numFmt = 'yyyy-mm-dd hh:mm';
      book.addWorksheet('Other').addRow(['not', 'this']);
    });
    const { source, records } = await read(file);
    expect(source.fields).toEqual(['Name', 'Opened', 'Lat', 'Site', 'About', 'Total', 'Open', 'Broken', 'Since']);
    expect(source.format).toEqual({ sheet: 'Listings' });
    expect(records).toEqual([
      {
        line: 3,
        fields: {
          Name: 'Harbour Place', Opened: '2024-05-03', Lat: '44.6001', Site: 'harbour.example', About: 'By the sea', Total: '0.3',
          Open: 'true', Broken: '', Since: '2020-01-02',
        },
      },
      {
        line: 5,
        fields: { Name: 'Second', Opened: '2024-01-01T14:30:00', Lat: '-63', Site: '', About: '', Total: '3', Open: 'false', Broken: '', Since: '' },
      },
    ]);
  });

  it('reads the sheet import.sheet names, and names the sheets there are when it is not one of them', async () => {
    const file = await workbook((book) => {
      book.addWorksheet('Notes').addRow(['just notes']);
      const sheet = book.addWorksheet('Listings');
      sheet.addRow(['Name']);
      sheet.addRow(['Harbour Place']);
    });
    expect((await read(file, 'Listings')).records).toEqual([{ line: 2, fields: { Name: 'Harbour Place' } }]);
    expect(await failure(file, 'Places')).toBe('The workbook has no sheet named "Places" (import.sheet); its sheets are: "Notes", "Listings"');
  });

  it('refuses an empty or repeated column name, and a sheet with no rows', async () => {
    const header = (names: string[]) => workbook((book) => book.addWorksheet('S').addRow(names));
    expect(await failure(await header(['Name', '', 'City']))).toBe('The header row (row 1) has an empty column name (column B)');
    expect(await failure(await header(['Name', 'City', 'Name ']))).toBe('The header row (row 1) names column "Name" twice');
    expect(await failure(await workbook((book) => book.addWorksheet('Empty')))).toBe('The sheet "Empty" is empty: it has no header row');
  });

  it('refuses an Excel 97-2003 .xls, a file that is not a zip, an empty file and a broken zip', async () => {
    expect(await failure(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]))).toMatch(/Excel 97-2003 workbook \(.xls\).*save it as .xlsx or CSV/);
    expect(await failure(Buffer.from('Name,City\nA,B\n'))).toMatch(/not an XLSX workbook/);
    expect(await failure(Buffer.alloc(0))).toBe('The file is empty');
    const file = await workbook((book) => book.addWorksheet('S').addRow(['Name']));
    expect(await failure(file.subarray(0, Math.floor(file.length / 2)))).toMatch(/XLSX workbook/);
    const garbled = Buffer.from(file);
    garbled.fill(0x41, 200, 1200);
    expect(await failure(garbled)).toMatch(/XLSX workbook/);
  });

  describe('a sheet whose XML is cut short inside a whole zip', () => {
    /** A workbook rewritten in Excel's part order (workbook, shared strings, then the sheet), its sheet's XML passed through `cut`. */
    async function excelOrdered(cut: (xml: string) => string): Promise<Buffer> {
      const file = await workbook((book) => {
        const sheet = book.addWorksheet('Listings');
        sheet.addRow(['Name', 'City']);
        for (let i = 2; i <= 100; i += 1) sheet.addRow([`Place ${i}`, 'Halifax']);
      });
      const written = await JSZip.loadAsync(file);
      const excel = new JSZip();
      const order = ['[Content_Types].xml', '_rels/.rels', 'xl/workbook.xml', 'xl/_rels/workbook.xml.rels', 'xl/theme/theme1.xml', 'xl/styles.xml',
        'xl/sharedStrings.xml', 'xl/worksheets/sheet1.xml', 'docProps/app.xml', 'docProps/core.xml'];
      for (const name of order) {
        const content = await written.file(name)!.async('string');
        excel.file(name, name === 'xl/worksheets/sheet1.xml' ? cut(content) : content);
      }
      return excel.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
    }

    it('is read whole when it is whole (the rewritten zip is a workbook)', async () => {
      expect((await read(await excelOrdered((xml) => xml))).records).toHaveLength(99);
    });

    it('fails the run naming the last row read, rather than giving the rows before the cut', async () => {
      const file = await excelOrdered((xml) => xml.slice(0, xml.indexOf('<row r="60"') + 40));
      expect(await failure(file)).toBe('The sheet "Listings" is cut short after row 59: its XML ends before </worksheet>; '
        + 'nothing of it is imported, as a cut-short file would propose deleting the listings it lacks');
    });
  });

  it('fails, not waits, when the upload fails mid-read', async () => {
    const file = await workbook((book) => {
      const sheet = book.addWorksheet('S');
      sheet.addRow(['Name']);
      for (let i = 0; i < 2000; i += 1) sheet.addRow([`Place ${i}`]);
    });
    const upload = Readable.from((async function* () {
      yield file.subarray(0, 2000);
      throw new Error('connection reset');
    })());
    expect(await failure(upload)).toMatch(/connection reset|XLSX workbook/);
  });

  it("reads a workbook from exceljs's streaming writer, a date by its style", async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    const book = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: true, useStyles: true });
    const sheet = book.addWorksheet('Places');
    sheet.addRow(['Name', 'Opened']).commit();
    const row = sheet.addRow(['Harbour Place', new Date(Date.UTC(2023, 6, 1))]);
    row.getCell(2).numFmt = 'yyyy-mm-dd';
    row.commit();
    sheet.commit();
    await book.commit();
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect((await read(Buffer.concat(chunks), 'Places')).records).toEqual([{ line: 2, fields: { Name: 'Harbour Place', Opened: '2023-07-01' } }]);
    }
  });

  it('streams a large sheet a row at a time', async () => {
    const file = await workbook((book) => {
      const sheet = book.addWorksheet('Listings');
      sheet.addRow(['ID', 'Name', 'City']);
      for (let i = 1; i <= 20_000; i += 1) sheet.addRow([i, `Harbour Place ${i}`, i % 2 ? 'Halifax' : 'Lunenburg']);
    });
    let count = 0;
    for await (const record of (await openXlsx(input(file), () => undefined)).records) {
      count += 1;
      if (record.fields.ID !== String(count)) throw new Error(`row ${record.line}: ${JSON.stringify(record.fields)}`);
    }
    expect(count).toBe(20_000);
  }, 60_000);
});

test('a sheet of 60,000 rows is read in bounded memory: the rows read are not kept', async () => {
  const v8 = await import('node:v8');
  const vm = await import('node:vm');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const os = await import('node:os');
  const path = await import('node:path');
  const fs = await import('node:fs');
  const file = path.join(os.tmpdir(), `xlsx-memory-${process.pid}.xlsx`);
  // exceljs's streaming writer, as a spreadsheet export of this size is made (its sheet before workbook.xml)
  const writer = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: false, useStyles: false });
  const sheet = writer.addWorksheet('Listings');
  sheet.addRow(['ID', 'Name', 'City', 'Description']).commit();
  for (let n = 1; n <= 60_000; n += 1) sheet.addRow([`L${n}`, `Harbour Place ${n}`, 'Halifax', `A fine place number ${n}, by the sea, with rooms and a garden.`]).commit();
  sheet.commit();
  await writer.commit();
  try {
    const source = await openXlsx(input(fs.createReadStream(file)), () => undefined);
    let rows = 0;
    let atStart = 0;
    let peak = 0;
    for await (const record of source.records) {
      rows += 1;
      if (rows === 5_000) {
        gc();
        atStart = process.memoryUsage().heapUsed;
      } else if (rows % 10_000 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
      if (rows === 60_000) expect(record.fields).toMatchObject({ ID: 'L60000', Name: 'Harbour Place 60000' });
    }
    expect(rows).toBe(60_000);
    // kept rows would be ~5 MB a thousand; read and let go, the heap stays where it was
    expect((peak - atStart) / 1024 / 1024).toBeLessThan(30);
  } finally {
    fs.rmSync(file, { force: true });
  }
}, 60_000);
