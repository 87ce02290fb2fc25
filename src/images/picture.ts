// One downloaded image made into what we store (DESIGN.md step 5), with sharp: its real type from the
// bytes, its declared size checked before any pixel is decoded, then the canonical copy (orientation
// applied, metadata stripped) and the variants, and the exact and perceptual hashes. A file that is
// no picture we take, or too big to decode, is a BadImage: its reason is the image's failure.
import crypto from 'node:crypto';
import sharp from 'sharp';
import type { ImageVariantSpec } from '../config';
import { differenceHash, hashGrid } from '../domain/image-similarity';
import { describeNonImage, extensionOf, imageFormatOf, type ImageFormat } from '../domain/image-type';
import { PixelBudget } from './pixel-budget';

// libvips keeps decoded images in a cache for reuse; a worker sees each picture once, so it would only hold memory
sharp.cache(false);

/** The file is not one we store; retrying will not change it. */
export class BadImage extends Error {}

export interface PictureSettings {
  maxPixels: number;
  variants: readonly ImageVariantSpec[];
  /** the variants' format */
  format: 'webp' | 'avif' | 'jpeg';
  quality: number;
}

/** The longest side we decode, whatever the pixel count: a 50,000 × 1,000 strip is no photo. */
export const maxSide = 30_000;

export interface MadeFile {
  /** canonical, or a variant's name */
  name: string;
  extension: string;
  contentType: string;
  data: Buffer;
  width: number;
  height: number;
}

export interface Picture {
  format: ImageFormat;
  /** as shown, orientation applied */
  width: number;
  height: number;
  bytes: number;
  sha256: string;
  phash: bigint;
  canonical: MadeFile;
  variants: MadeFile[];
}

const contentTypes = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', avif: 'image/avif', gif: 'image/gif' } as const;

/** What the bytes are and how large they say they are, refused before decoding when too large. */
export async function inspectPicture(data: Buffer, settings: Pick<PictureSettings, 'maxPixels'>): Promise<{ format: ImageFormat; width: number; height: number }> {
  const format = imageFormatOf(data);
  if (!format) throw new BadImage(`not an image: the file is ${describeNonImage(data)}, not a JPEG, PNG, WebP, AVIF or GIF`);
  let metadata: sharp.Metadata;
  try {
    // reads the header only: no pixel is decoded here
    metadata = await sharp(data, { failOn: 'error', limitInputPixels: false }).metadata();
  } catch (error) {
    throw new BadImage(`a broken ${format.toUpperCase()} file: ${(error as Error).message.slice(0, 200)}`);
  }
  const decoder = metadata.format === 'heif' ? 'avif' : metadata.format;
  if (decoder !== format) throw new BadImage(`the file begins as ${format.toUpperCase()} but reads as ${String(metadata.format)}`);
  const { width, height } = metadata.autoOrient ?? metadata;
  if (!width || !height) throw new BadImage(`the ${format.toUpperCase()} file declares no size`);
  if (width * height > settings.maxPixels || width > maxSide || height > maxSide) {
    throw new BadImage(`too large to decode: it declares ${width} × ${height} pixels (${megapixels(width * height)}), ` +
      `above the ${megapixels(settings.maxPixels)} and ${maxSide} px a side taken (IMAGE_MAX_PIXELS)`);
  }
  return { format, width, height };
}

/**
 * Pictures up to this size are decoded once into pixels and every output made from them (an AVIF or
 * WebP decode costs as much as an encode); larger ones are read from the file for each output, so
 * libvips streams them (JPEG shrinks while decoding) instead of holding every pixel.
 */
export const decodeOnceMaxPixels = 4_000_000;

const budgets = new Map<number, PixelBudget>();
/** The process's pixel budget: IMAGE_MAX_PIXELS, so at most one picture of the largest size at a time. */
const budgetOf = (maxPixels: number) => budgets.get(maxPixels) ?? budgets.set(maxPixels, new PixelBudget(maxPixels)).get(maxPixels)!;

/** The canonical copy and the variants of a picture, with its hashes. */
export async function makePicture(data: Buffer, settings: PictureSettings): Promise<Picture> {
  const { format, width, height } = await inspectPicture(data, settings);
  return budgetOf(settings.maxPixels).run(width * height, () => makeChecked(data, format, width * height, settings));
}

async function makeChecked(data: Buffer, format: ImageFormat, pixels: number, settings: PictureSettings): Promise<Picture> {
  // the pixel limit again inside the decoder, so a file whose header lies is stopped there too; a GIF
  // gives its first frame (animated: false); autoOrient applies and drops the EXIF orientation
  const fromFile = () => sharp(data, { failOn: 'error', limitInputPixels: settings.maxPixels, animated: false, autoOrient: true });
  try {
    let decoded = fromFile;
    if (pixels <= decodeOnceMaxPixels) {
      const { data: raw, info } = await fromFile().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
      decoded = () => sharp(raw, { raw: { width: info.width, height: info.height, channels: info.channels } });
    }
    const outputs: (() => Promise<MadeFile | Buffer>)[] = [
      () => encodeCanonical(decoded(), format),
      () => decoded().greyscale().resize(hashGrid.width, hashGrid.height, { fit: 'fill' }).raw().toBuffer(),
      ...settings.variants.map((variant) => () => encodeVariant(decoded(), variant, settings)),
    ];
    // a large picture's outputs one after another: each holds its own decode's buffers
    const made = pixels <= decodeOnceMaxPixels ? await Promise.all(outputs.map((output) => output())) : await inTurn(outputs);
    const [canonical, grey, ...variants] = made as [MadeFile, Buffer, ...MadeFile[]];
    return {
      format, width: canonical.width, height: canonical.height, bytes: data.length,
      sha256: crypto.createHash('sha256').update(data).digest('hex'),
      phash: differenceHash(new Uint8Array(grey.buffer, grey.byteOffset, grey.length)), canonical, variants,
    };
  } catch (error) {
    throw new BadImage(`the ${format.toUpperCase()} file could not be decoded: ${(error as Error).message.slice(0, 200)}`);
  }
}

async function inTurn<T>(tasks: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = [];
  for (const task of tasks) results.push(await task());
  return results;
}

/** The picture at full size in its own type (a GIF's first frame as PNG), without metadata. */
async function encodeCanonical(image: sharp.Sharp, format: ImageFormat): Promise<MadeFile> {
  const output = format === 'gif' ? 'png' : format;
  // kept close to the source at a low encoding effort: the canonical copy is an archive, the
  // variants are what pages show (AVIF at its default effort takes seconds for one photo); a JPEG
  // without optimised Huffman tables is written as it is decoded (optimising holds every pixel)
  const encoded = output === 'jpeg' ? image.jpeg({ quality: 90, optimiseCoding: false })
    : output === 'png' ? image.png({ compressionLevel: 6 })
      : output === 'webp' ? image.webp({ quality: 90, effort: 2 })
        : image.avif({ quality: 70, effort: 2 });
  const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
  return { name: 'canonical', extension: extensionOf[output], contentType: contentTypes[output], data, width: info.width, height: info.height };
}

/** One size, never enlarged: a 600 px picture's 1600 px variant is 600 px. */
async function encodeVariant(image: sharp.Sharp, variant: ImageVariantSpec, settings: PictureSettings): Promise<MadeFile> {
  const resized = image.resize({ width: variant.longSide, height: variant.longSide, fit: 'inside', withoutEnlargement: true });
  const encoded = settings.format === 'webp' ? resized.webp({ quality: settings.quality })
    : settings.format === 'avif' ? resized.avif({ quality: settings.quality, effort: 2 })
      : resized.jpeg({ quality: settings.quality, mozjpeg: true });
  const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
  return { name: variant.name, extension: extensionOf[settings.format], contentType: contentTypes[settings.format], data, width: info.width, height: info.height };
}

const megapixels = (pixels: number) => `${(pixels / 1_000_000).toLocaleString('en', { maximumFractionDigits: 1 })} megapixels`;
