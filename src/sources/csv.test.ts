import iconv from 'iconv-lite';
import { CsvFileError, openCsv, type CsvProblem } from './csv';

/** The file's bytes in chunks of `chunkSize`, as a blob store streams them. */
async function* chunks(bytes: Buffer, chunkSize: number) {
  for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
}

async function read(text: string | Buffer, chunkSize = 1 << 16) {
  const problems: CsvProblem[] = [];
  const csv = await openCsv(chunks(Buffer.isBuffer(text) ? text : Buffer.from(text), chunkSize), { encoding: 'auto' },
    (problem) => void problems.push(problem));
  const records: [number, string[]][] = [];
  for await (const record of csv.records) records.push([record.line, Object.values(record.fields)]);
  return { headers: csv.headers, delimiter: csv.delimiter, encoding: csv.encoding, records, problems };
}

describe('openCsv reads', () => {
  it.each([
    ['commas with LF', 'a,b\n1,2\n3,4\n', ','],
    ['semicolons with CRLF', 'a;b\r\n1;2\r\n3;4\r\n', ';'],
    ['tabs, no final line break', 'a\tb\n1\t2\n3\t4', '\t'],
    ['pipes with a blank line between', 'a|b\n1|2\n\n3|4\n', '|'],
  ])('%s', async (_name, text, delimiter) => {
    const csv = await read(text);
    expect(csv.delimiter).toBe(delimiter);
    expect(csv.headers).toEqual(['a', 'b']);
    expect(csv.records.map(([, fields]) => fields)).toEqual([['1', '2'], ['3', '4']]);
    expect(csv.problems).toEqual([]);
  });

  it('quoted fields with delimiters, doubled quotes and line breaks, numbered by their first line', async () => {
    const csv = await read('name,text\n"Inn, The","Say ""hi""\nand stay"\nCafe,5" screen\n');
    expect(csv.records).toEqual([[2, ['Inn, The', 'Say "hi"\nand stay']], [4, ['Cafe', '5" screen']]]);
    expect(csv.problems).toEqual([]);
  });

  it('the same records whatever the chunk size, down to one byte; line breaks in fields become \\n', async () => {
    const text = '\uFEFFname,text\r\n"Café, ""Le Port""","two\r\nlines"\r\nInn,"old\rMac"\r\nPub,x\r\n';
    const whole = await read(text);
    expect(whole.records).toEqual([[2, ['Café, "Le Port"', 'two\nlines']], [4, ['Inn', 'old\nMac']], [6, ['Pub', 'x']]]);
    expect(await read(text, 1)).toEqual(whole);
    expect(await read(text, 7)).toEqual(whole);
  });

  it('Windows-1252 when the bytes are not UTF-8', async () => {
    const csv = await read(iconv.encode('name,city\nCafé,Montréal\n', 'windows-1252'));
    expect(csv.encoding).toBe('windows-1252');
    expect(csv.records).toEqual([[2, ['Café', 'Montréal']]]);
  });
});

describe('openCsv reports a bad record at its first line and reads on', () => {
  it.each([
    ['a row with too many fields', 'a,b\n1,2,3\n4,5\n', [[3, ['4', '5']]], [[2, /^line 2 has 3 fields where the header has 2$/]]],
    ['a quote never closed: only its own line is lost', 'a,b\n1,2\n"3,4\n5,6\n7,8\n', [[2, ['1', '2']], [4, ['5', '6']], [5, ['7', '8']]],
      [[3, /^line 3 has an unbalanced quote \("\): the quoted field that starts there is never closed$/]]],
    ['a quote closed on the next row', 'a,b,c\n1,"2,3\n4,"5",6\n7,8,9\n', [[3, ['4', '5', '6']], [4, ['7', '8', '9']]],
      [[2, /^line 2 has an unbalanced quote \("\): read as a quoted field running on to line 3/]]],
    ['a quote closed later on its own row', 'a,b,c\n"1,2,"3",x\n4,5,6\n', [[3, ['4', '5', '6']]],
      [[2, /^line 2 has 2 fields where the header has 3, probably because of an unbalanced quote/]]],
  ])('%s', async (_name, text, records, problems) => {
    const csv = await read(text as string);
    expect(csv.records).toEqual(records);
    expect(csv.problems.map((p) => p.line)).toEqual((problems as [number, RegExp][]).map(([line]) => line));
    csv.problems.forEach((problem, i) => expect(problem.reason).toMatch((problems as [number, RegExp][])[i]![1]));
  });
});

describe('openCsv refuses a file it cannot read at all', () => {
  it.each([
    ['an empty file', '', /^The file is empty$/],
    ['binary data', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]), /not CSV text: it holds binary data \(a NUL byte at offset 8\)/],
    ['a header with an unbalanced quote', '"a,b\n1,2\n', /^The header line \(line 1\) has an unbalanced quote/],
    ['a header naming a column twice', 'a,b,a\n1,2,3\n', /names column "a" twice/],
    ['a header with an empty name', 'a,,c\n1,2,3\n', /empty column name \(column 2\)/],
  ])('%s', async (_name, text, message) => {
    const attempt = read(text as string | Buffer);
    await expect(attempt).rejects.toThrow(CsvFileError);
    await expect(attempt).rejects.toThrow(message as RegExp);
  });
});
