import { describeNonImage, imageFormatOf } from './image-type';

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))));

describe('imageFormatOf: the type the bytes begin with', () => {
  it.each([
    ['jpeg', bytes([0xff, 0xd8, 0xff, 0xe0], 'JFIF')],
    ['png', bytes('\x89PNG\r\n\x1a\n', [0, 0, 0, 13])],
    ['gif', bytes('GIF89a', [1, 0, 1, 0])],
    ['webp', bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 ')],
    ['avif', bytes([0, 0, 0, 0x1c], 'ftypavif', [0, 0, 0, 0], 'avifmif1miaf')],
    ['avif', bytes([0, 0, 0, 0x1c], 'ftypmif1', [0, 0, 0, 0], 'mif1avifmiaf')],
  ])('%s', (format, data) => expect(imageFormatOf(data)).toBe(format));

  it.each([
    ['an HTML page', '<!DOCTYPE html><html><body>Service unavailable</body></html>'],
    ['an HTML page', '\uFEFF  <html lang="en">'],
    ['an SVG drawing (not taken: it can carry scripts and links)', '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'],
    ['JSON', '{"error":"not found"}'],
    ['text', 'Not Found'],
    ['an empty body', ''],
  ])('not an image: %s', (words, text) => {
    const data = Buffer.from(text, 'utf8');
    expect(imageFormatOf(data)).toBeNull();
    expect(describeNonImage(data)).toBe(words);
  });

  it('a HEIC photo is no AVIF', () => {
    const heic = bytes([0, 0, 0, 0x18], 'ftypheic', [0, 0, 0, 0], 'mif1heic');
    expect(imageFormatOf(heic)).toBeNull();
    expect(describeNonImage(heic)).toMatch(/brand "heic"/);
  });

  it('a truncated signature is nothing', () => {
    expect(imageFormatOf(bytes([0xff, 0xd8]))).toBeNull();
    expect(imageFormatOf(bytes('RIFF'))).toBeNull();
  });
});
