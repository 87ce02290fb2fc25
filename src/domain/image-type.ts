// What a downloaded file really is, read from its first bytes (never from the server's Content-Type,
// which an error page served as 200 gets wrong): the five picture types we take, or words saying
// what it is instead, for the image's failure reason.

export const imageFormats = ['jpeg', 'png', 'webp', 'avif', 'gif'] as const;
export type ImageFormat = (typeof imageFormats)[number];

const ascii = (bytes: Uint8Array, from: number, to: number) => Buffer.from(bytes.subarray(from, to)).toString('latin1');

/** The picture type the bytes begin with, or null when they are none of the five. */
export function imageFormatOf(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && ascii(bytes, 0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (bytes.length >= 6 && ['GIF87a', 'GIF89a'].includes(ascii(bytes, 0, 6))) return 'gif';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  if (isAvif(bytes)) return 'avif';
  return null;
}

/** An ISO-BMFF file (HEIF family) whose ftyp box names AVIF as its major or a compatible brand. */
function isAvif(bytes: Uint8Array): boolean {
  if (bytes.length < 16 || ascii(bytes, 4, 8) !== 'ftyp') return false;
  const boxSize = Buffer.from(bytes.subarray(0, 4)).readUInt32BE(0);
  const end = Math.min(boxSize, bytes.length, 256);
  const brands = [ascii(bytes, 8, 12)];
  for (let at = 16; at + 4 <= end; at += 4) brands.push(ascii(bytes, at, at + 4));
  return brands.some((brand) => brand === 'avif' || brand === 'avis');
}

/** What the bytes look like when they are no picture we take: said in a failure reason. */
export function describeNonImage(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'an empty body';
  const head = Buffer.from(bytes.subarray(0, 512)).toString('utf8').replace(/^\uFEFF/, '').trimStart().toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html') || /^<(head|body|title|meta|div|p)\b/.test(head)) return 'an HTML page';
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'an SVG drawing (not taken: it can carry scripts and links)';
  if (head.startsWith('<?xml') || head.startsWith('<')) return 'an XML or HTML document';
  if (head.startsWith('{') || head.startsWith('[')) return 'JSON';
  if (ascii(bytes, 0, 4) === 'II*\x00' || ascii(bytes, 0, 4) === 'MM\x00*') return 'a TIFF file (not taken: send JPEG, PNG, WebP, AVIF or GIF)';
  if (bytes.length >= 12 && ascii(bytes, 4, 8) === 'ftyp') return `an ISO media file of brand "${ascii(bytes, 8, 12).trim()}" (HEIC or video, not taken)`;
  if (ascii(bytes, 0, 5) === '%PDF-') return 'a PDF document';
  const printable = [...bytes.subarray(0, 64)].every((byte) => byte === 9 || byte === 10 || byte === 13 || (byte >= 32 && byte < 127));
  return printable ? 'text' : 'a file of an unknown type';
}

/** The file extension of a stored copy of this type. */
export const extensionOf: Record<ImageFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp', avif: 'avif', gif: 'gif' };
