// What an upload that is not text is, told from its first bytes, so the message of a refused file says
// what the file is and what to send instead ("a gzip-compressed file: upload the CSV itself"), not
// only where its first NUL byte was. Compressed files are never unpacked: a gzip bomb stays a few KiB.

const signatures: { magic: number[]; kind: (text: string) => string }[] = [
  { magic: [0x1f, 0x8b], kind: (text) => `a gzip-compressed file, which is not unpacked: upload the ${text} file itself` },
  { magic: [0x42, 0x5a, 0x68], kind: (text) => `a bzip2-compressed file, which is not unpacked: upload the ${text} file itself` },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], kind: (text) => `an xz-compressed file, which is not unpacked: upload the ${text} file itself` },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], kind: (text) => `a zstd-compressed file, which is not unpacked: upload the ${text} file itself` },
  { magic: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], kind: (text) => `a 7-Zip archive, which is not unpacked: upload the ${text} file itself` },
  {
    magic: [0x50, 0x4b, 0x03, 0x04],
    kind: (text) => `a zip archive (an XLSX workbook is one: give the config the source type xlsx, or save the sheet as ${text}), which is not unpacked`,
  },
  { magic: [0xd0, 0xcf, 0x11, 0xe0], kind: (text) => `an Excel 97-2003 workbook (.xls): save it as ${text} or .xlsx` },
  { magic: [0x89, 0x50, 0x4e, 0x47], kind: () => 'a PNG image' },
  { magic: [0xff, 0xd8, 0xff], kind: () => 'a JPEG image' },
  { magic: [0x47, 0x49, 0x46, 0x38], kind: () => 'a GIF image' },
  { magic: [0x25, 0x50, 0x44, 0x46], kind: () => 'a PDF document' },
];

/** Text of one byte a character with a NUL beside each: UTF-16 saved without its byte-order mark. */
function utf16WithoutMark(head: Buffer): boolean {
  const pairs = Math.min(256, Math.floor(head.length / 2));
  if (pairs < 2) return false;
  let little = 0;
  let big = 0;
  for (let i = 0; i < pairs; i++) {
    const [first, second] = [head[2 * i]!, head[2 * i + 1]!];
    if (first !== 0 && second === 0) little += 1;
    if (first === 0 && second !== 0) big += 1;
  }
  return little >= pairs * 0.9 || big >= pairs * 0.9;
}

/** What a file that holds binary data is, by its first bytes, or null when they say nothing known. */
export function binaryKind(head: Buffer, text: 'CSV' | 'JSON'): string | null {
  const found = signatures.find(({ magic }) => magic.every((byte, i) => head[i] === byte));
  if (found) return found.kind(text);
  if (utf16WithoutMark(head)) return 'UTF-16 text without its byte-order mark: save it as UTF-8, or as UTF-16 with its mark (Excel\'s "Unicode text" has it)';
  return null;
}

/** "(a NUL byte at offset 3)", and what the file is when its first bytes tell. */
export function binaryDetail(head: Buffer, nulOffset: number, text: 'CSV' | 'JSON'): string {
  const kind = binaryKind(head, text);
  return `(a NUL byte at offset ${nulOffset})${kind ? `: by its first bytes, ${kind}` : ''}`;
}
