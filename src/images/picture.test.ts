// sharp on real encoded files: what is stored, at which sizes, and what is refused before decoding.
import sharp from 'sharp';
import { hashDistance } from '../domain/image-similarity';
import { ImageServer } from '../../test/fixtures/image-server';
import { BadImage, decodeOnceMaxPixels, inspectPicture, makePicture, type PictureSettings } from './picture';

const settings: PictureSettings = {
  maxPixels: 50_000_000, format: 'webp', quality: 80,
  variants: [{ name: 'large', longSide: 1600 }, { name: 'medium', longSide: 800 }, { name: 'thumb', longSide: 320 }],
};

describe('makePicture', () => {
  it('makes the canonical copy and the variants on the long side, never enlarged, without metadata', async () => {
    const picture = await makePicture(await ImageServer.jpeg(1, { width: 1200, height: 900 }), settings);
    expect(picture).toMatchObject({ format: 'jpeg', width: 1200, height: 900 });
    expect(picture.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(picture.canonical).toMatchObject({ name: 'canonical', extension: 'jpg', width: 1200, height: 900 });
    expect(picture.variants.map((file) => [file.name, file.extension, file.width, file.height]))
      .toEqual([['large', 'webp', 1200, 900], ['medium', 'webp', 800, 600], ['thumb', 'webp', 320, 240]]);
    const stored = await sharp(picture.canonical.data).metadata();
    expect(stored.exif).toBeUndefined();
  });

  it('turns a sideways photo upright (EXIF orientation 6): width and height as shown', async () => {
    const sideways = await ImageServer.sidewaysJpeg(2, { width: 800, height: 600 });
    const declared = await sharp(sideways).metadata();
    const picture = await makePicture(sideways, settings);
    expect([picture.width, picture.height]).toEqual([declared.height, declared.width]);
    const upright = await makePicture(await ImageServer.jpeg(2, { width: 800, height: 600 }), settings);
    expect(hashDistance(picture.phash, upright.phash)).toBeLessThanOrEqual(4);
    expect((await sharp(picture.canonical.data).metadata()).orientation).toBeUndefined();
  });

  it('knows the same picture re-encoded and resized, and tells different pictures apart', async () => {
    const jpeg = await makePicture(await ImageServer.jpeg(3), settings);
    const png = await makePicture(await ImageServer.png(3, { width: 1000, height: 750 }), settings);
    const other = await makePicture(await ImageServer.jpeg(4), settings);
    expect(jpeg.sha256).not.toBe(png.sha256);
    expect(hashDistance(jpeg.phash, png.phash)).toBeLessThanOrEqual(6);
    expect(hashDistance(jpeg.phash, other.phash)).toBeGreaterThan(10);
  });

  it('a picture above the decode-once size is read from its file for each output, with the same results', async () => {
    const large = await makePicture(await ImageServer.jpeg(8, { width: 2400, height: 1800 }), settings);
    expect(2400 * 1800).toBeGreaterThan(decodeOnceMaxPixels);
    expect([large.width, large.height]).toEqual([2400, 1800]);
    expect(large.variants.map((file) => [file.width, file.height])).toEqual([[1600, 1200], [800, 600], [320, 240]]);
    const small = await makePicture(await ImageServer.jpeg(8, { width: 1200, height: 900 }), settings);
    expect(hashDistance(large.phash, small.phash)).toBeLessThanOrEqual(4);
  });

  it('a GIF gives its first frame as a PNG', async () => {
    const picture = await makePicture(await ImageServer.gif(5, { width: 400, height: 300 }), settings);
    expect(picture.format).toBe('gif');
    expect(picture.canonical).toMatchObject({ extension: 'png', contentType: 'image/png' });
  });
});

describe('what is refused', () => {
  it('a PNG declaring 50,000 × 50,000 pixels, from its header, before any pixel is decoded', async () => {
    const giant = ImageServer.giantPng();
    await expect(inspectPicture(giant, settings)).rejects.toThrow(new BadImage(
      'too large to decode: it declares 50000 × 50000 pixels (2,500 megapixels), above the 50 megapixels and 30000 px a side taken (IMAGE_MAX_PIXELS)'));
  });

  it('an HTML error page, whatever its content type said', async () => {
    await expect(makePicture(Buffer.from('<!DOCTYPE html><title>503</title>'), settings))
      .rejects.toThrow('not an image: the file is an HTML page, not a JPEG, PNG, WebP, AVIF or GIF');
  });

  it('a JPEG cut short', async () => {
    const jpeg = await ImageServer.jpeg(6, { width: 400, height: 300 });
    await expect(makePicture(jpeg.subarray(0, 600), settings)).rejects.toThrow(BadImage);
  });

  it('more pixels than IMAGE_MAX_PIXELS', async () => {
    await expect(makePicture(await ImageServer.jpeg(7, { width: 400, height: 300 }), { ...settings, maxPixels: 100_000 }))
      .rejects.toThrow(/declares 400 × 300 pixels/);
  });
});
