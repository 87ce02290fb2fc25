import iconv from 'iconv-lite';
import { parse as parseCsv } from 'csv-parse/sync';
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
    ['commas with LF', 'a,b\n1,2\n3,4\n', ',', [2, 3]],
    ['semicolons with CRLF', 'a;b\r\n1;2\r\n3;4\r\n', ';', [2, 3]],
    ['tabs, no final line break', 'a\tb\n1\t2\n3\t4', '\t', [2, 3]],
    ['pipes with blank lines between', 'a|b\n1|2\n\n\n3|4\n', '|', [2, 5]],
    ['blank lines before the header', '\n\na,b\n1,2\n3,4\n', ',', [4, 5]],
    ['lines of spaces before the header and between records', '   \na;b\n1;2\n \t\n3;4\n', ';', [3, 5]],
  ])('%s', async (_name, text, delimiter, lines) => {
    const csv = await read(text);
    expect(csv.delimiter).toBe(delimiter);
    expect(csv.headers).toEqual(['a', 'b']);
    expect(csv.records).toEqual([[lines[0], ['1', '2']], [lines[1], ['3', '4']]]);
    expect(csv.problems).toEqual([]);
  });

  it('a multi-line field that opens with an escaped quote', async () => {
    const csv = await read('id,text\nx,"""Hi"" she said\nthere"\ny,plain\n');
    expect(csv.records).toEqual([[2, ['x', '"Hi" she said\nthere']], [4, ['y', 'plain']]]);
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

  it.each([
    ['utf-16le', Buffer.from([0xff, 0xfe])],
    ['utf-16be', Buffer.from([0xfe, 0xff])],
  ])('%s with its byte-order mark (Excel\'s "Unicode text"), tabs and CRLF, whatever the chunk size', async (encoding, mark) => {
    const text = 'name\tcity\r\nCafé Olimpico\tMontréal\r\n"Zoë ""Ω"" Inn"\tGöteborg\r\n';
    const bytes = Buffer.concat([mark, iconv.encode(text, encoding)]);
    for (const chunkSize of [1, 3, 1 << 16]) {
      const csv = await read(bytes, chunkSize);
      expect(csv).toMatchObject({ encoding, delimiter: '\t', headers: ['name', 'city'], problems: [] });
      expect(csv.records).toEqual([[2, ['Café Olimpico', 'Montréal']], [3, ['Zoë "Ω" Inn', 'Göteborg']]]);
    }
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
    ['a bad row after blank lines', 'a,b\n1,2\n\n\n3,4,5\n6,7\n', [[2, ['1', '2']], [6, ['6', '7']]],
      [[5, /^line 5 has 3 fields where the header has 2$/]]],
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
    ['UTF-32 text', Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), Buffer.from('a\0\0\0,\0\0\0b\0\0\0', 'latin1')]), /^The file is UTF-32 text, which is not read/],
    ['binary data behind a UTF-16 mark', Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode('a,b\n', 'utf-16le'), Buffer.alloc(4)]),
      /not CSV text: it holds binary data \(a NUL character at character 5\)/],
    ['a header with an unbalanced quote', '"a,b\n1,2\n', /^The header line \(line 1\) has an unbalanced quote/],
    ['a header naming a column twice', 'a,b,a\n1,2,3\n', /names column "a" twice/],
    ['a header with an empty name', 'a,,c\n1,2,3\n', /empty column name \(column 2\)/],
  ])('%s', async (_name, text, message) => {
    const attempt = read(text as string | Buffer);
    await expect(attempt).rejects.toThrow(CsvFileError);
    await expect(attempt).rejects.toThrow(message as RegExp);
  });
});

describe('openCsv and records over the size limit', () => {
  it('a real quoted field over 1 MiB is one problem naming its lines; its inner lines are not read as records', async () => {
    const paragraphs = Array.from({ length: 80_000 }, (_, i) => `para ${i}, more`).join('\n');
    const csv = await read(`id,t\n1,"${paragraphs}"\n2,b\n`);
    expect(csv.problems).toHaveLength(1);
    expect(csv.problems[0]!.reason).toMatch(/^lines 2 to 80001 are one record of \d+ characters, more than the 1048576 allowed$/);
    expect(csv.records).toEqual([[80_002, ['2', 'b']]]);
  });

  it('a line over 1 MiB is refused the same way however the file is chunked', async () => {
    const text = `id,t\n1,${'x'.repeat(1_148_576)}\n2,b\n`;
    for (const chunkSize of [1 << 16, 1 << 22]) {
      const csv = await read(text, chunkSize);
      expect(csv.problems.map((p) => p.reason)).toEqual(['line 2 is longer than 1048576 characters']);
      expect(csv.records).toEqual([[3, ['2', 'b']]]);
    }
  });
});

describe('openCsv on a large file with one stray quote', () => {
  it('loses only that line and reads every other record once, on its own line', async () => {
    const good = 100_000; // 2.5 MB: the quoted field the stray quote opens runs past the 1 MiB record limit
    const lines = ['id,name,city', '"1,Harbour Inn,Halifax'];
    for (let i = 2; i <= good + 1; i++) lines.push(`${i},Place ${i},Town ${i % 50}`);
    const csv = await read(`${lines.join('\n')}\n`);
    expect(csv.problems).toHaveLength(1);
    expect(csv.problems[0]!.line).toBe(2);
    expect(csv.records).toHaveLength(good);
    expect(csv.records[0]).toEqual([3, ['2', 'Place 2', 'Town 2']]);
    expect(csv.records.at(-1)).toEqual([good + 2, [String(good + 1), `Place ${good + 1}`, `Town ${(good + 1) % 50}`]]);
    expect(new Set(csv.records.map(([line]) => line)).size).toBe(good);
  });
});

describe('openCsv agrees with csv-parse on well-formed files', () => {
  // A small seeded generator, so a failure names a file that can be made again.
  function random(seed: number) {
    let state = seed;
    return (n: number) => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state % n;
    };
  }
  const pieces = ['Inn', ' ', ',', ';', '"', '""', '\n', '\r\n', 'é', '5" screen', '', 'a|b', '\t'];

  it.each([
    ['a quote inside a field', 'a,b\n5" screen,x\n'],
    ['text after a closing quote', 'a,b\n"x"y,z\n'],
    ['a space after a closing quote', 'a,b\n"x" ,z\n'],
    ['quotes in the middle of a field', 'a,b\na"b"c,z\n'],
    ['an escaped quote, then text after the closing quote', 'a,b\n"a""b"c,z\n'],
    ['an empty quoted field, then a quoted field with text after it', 'a,b\n"",""x\n'],
  ])('loose quotes as csv-parse reads them: %s', async (_name, text) => {
    const ours = await read(text);
    expect(ours.problems).toEqual([]);
    expect(ours.records.map(([, fields]) => fields)).toEqual((parseCsv(text, { relax_quotes: true }) as string[][]).slice(1));
  });

  it.each([1, 2, 3, 4, 5])('random file %i: the same fields, record by record', async (seed) => {
    const pick = random(seed);
    const delimiter = [',', ';', '|'][seed % 3]!;
    const quote = (value: string) =>
      value.includes(delimiter) || /["\r\n]/.test(value) || value === '' ? `"${value.replace(/"/g, '""')}"` : value;
    const rows = Array.from({ length: 300 }, () =>
      Array.from({ length: 4 }, () => Array.from({ length: pick(4) + 1 }, () => pieces[pick(pieces.length)]).join('')));
    const header = ['id', 'name', 'city', 'text'];
    const eol = pick(2) ? '\n' : '\r\n';
    const text = [header, ...rows].map((row) => `${row.map(quote).join(delimiter)}${eol}`).join('');

    const ours = await read(text, 1 + pick(100));
    expect(ours.problems).toEqual([]);
    const theirs = parseCsv(text, { delimiter, relax_quotes: true }) as string[][];
    // line breaks inside fields are read as \n
    expect(ours.records.map(([, fields]) => fields)).toEqual(theirs.slice(1).map((row) => row.map((f) => f.replace(/\r\n?/g, '\n'))));
  });
});
