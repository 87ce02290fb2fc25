// When two images are the same picture (DESIGN.md step 5): the same bytes (sha256), or a perceptual
// hash close enough that a re-encoding or resizing by another DMO is recognised. The hash is a dHash:
// the picture shrunk to 9×8 grey pixels, one bit per pixel saying whether it is brighter than its
// right-hand neighbour. It survives resizing, recompression and format changes, not crops or edits.

/** 9 columns × 8 rows of grey levels, row by row: what differenceHash reads. */
export const hashGrid = { width: 9, height: 8 } as const;

/** The 64-bit dHash of a 9×8 grey picture, as a signed 64-bit integer (PostgreSQL's bigint). */
export function differenceHash(grey: Uint8Array): bigint {
  if (grey.length !== hashGrid.width * hashGrid.height) {
    throw new Error(`differenceHash: expected ${hashGrid.width * hashGrid.height} grey pixels, got ${grey.length}`);
  }
  let hash = 0n;
  for (let row = 0; row < hashGrid.height; row += 1) {
    for (let col = 0; col < hashGrid.width - 1; col += 1) {
      const left = grey[row * hashGrid.width + col]!;
      const right = grey[row * hashGrid.width + col + 1]!;
      hash = (hash << 1n) | (left > right ? 1n : 0n);
    }
  }
  return BigInt.asIntN(64, hash);
}

/** How many of the 64 bits differ. */
export function hashDistance(a: bigint, b: bigint): number {
  let diff = BigInt.asUintN(64, a ^ b);
  let bits = 0;
  while (diff) {
    bits += Number(diff & 1n);
    diff >>= 1n;
  }
  return bits;
}

/** One stored copy; the hashes and size are null on images stored before they were kept (never the same as another). */
export interface ImageCopy {
  sha256: string | null;
  phash: bigint | null;
  width: number | null;
  height: number | null;
  /** its place in the source's list */
  rank: number;
  /** tells copies of equal size and rank apart (the staged image's id) */
  id: number;
}

/** The same picture: the same bytes, or perceptual hashes at most `similarBits` apart. */
export function samePicture(a: ImageCopy, b: ImageCopy, similarBits: number): boolean {
  if (a.sha256 !== null && a.sha256 === b.sha256) return true;
  return a.phash !== null && b.phash !== null && hashDistance(a.phash, b.phash) <= similarBits;
}

/** Of two copies of one picture, the one a gallery keeps: more pixels, else the earlier in the list, else the first stored. */
export function betterCopy(a: ImageCopy, b: ImageCopy): ImageCopy {
  const pixels = (copy: ImageCopy) => (copy.width ?? 0) * (copy.height ?? 0);
  if (pixels(a) !== pixels(b)) return pixels(a) > pixels(b) ? a : b;
  if (a.rank !== b.rank) return a.rank < b.rank ? a : b;
  return a.id <= b.id ? a : b;
}

/**
 * A gallery without repeats: each copy is kept unless the list holds the same picture in a better
 * copy (betterCopy). Order is the list's. The SQL of src/db/images.ts (keptImage) says the same.
 */
export function galleryOf<T extends ImageCopy>(copies: readonly T[], similarBits: number): T[] {
  return copies.filter((copy) => !copies.some((other) => other !== copy && samePicture(copy, other, similarBits) && betterCopy(copy, other) === other));
}
