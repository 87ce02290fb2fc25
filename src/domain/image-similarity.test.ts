import { betterCopy, differenceHash, galleryOf, hashDistance, samePicture, type ImageCopy } from './image-similarity';

const copy = (id: number, over: Partial<ImageCopy> = {}): ImageCopy =>
  ({ id, rank: id, sha256: `sha-${id}`, phash: BigInt(id) << 40n, width: 1000, height: 750, ...over });

describe('differenceHash', () => {
  it('sets a bit where a pixel is brighter than its right-hand neighbour, 64 bits from 9 × 8', () => {
    const falling = Uint8Array.from({ length: 72 }, (_, i) => 255 - (i % 9) * 20);
    expect(BigInt.asUintN(64, differenceHash(falling))).toBe((1n << 64n) - 1n);
    expect(differenceHash(new Uint8Array(72).fill(7))).toBe(0n);
  });
  it('refuses a grid of another size', () => expect(() => differenceHash(new Uint8Array(64))).toThrow(/72 grey pixels/));
});

describe('hashDistance', () => {
  it.each([[0n, 0n, 0], [0n, 1n, 1], [-1n, 0n, 64], [0b1011n, 0b0110n, 3]])('%s vs %s: %s bits', (a, b, bits) =>
    expect(hashDistance(a, b)).toBe(bits));
});

describe('which copies a gallery keeps', () => {
  it('the same bytes, or hashes within the threshold, are the same picture', () => {
    expect(samePicture(copy(1), copy(2, { sha256: 'sha-1' }), 0)).toBe(true);
    expect(samePicture(copy(1, { phash: 0b111n }), copy(2, { phash: 0b100n }), 2)).toBe(true);
    expect(samePicture(copy(1, { phash: 0b111n }), copy(2, { phash: 0b100n }), 1)).toBe(false);
    expect(samePicture(copy(1, { phash: null, sha256: null }), copy(2, { phash: null, sha256: null }), 6)).toBe(false);
  });

  it('more pixels win, then the earlier in the list, then the first stored', () => {
    expect(betterCopy(copy(1, { width: 800 }), copy(2)).id).toBe(2);
    expect(betterCopy(copy(3), copy(2)).id).toBe(2);
    expect(betterCopy(copy(5, { rank: 0 }), copy(4, { rank: 0 })).id).toBe(4);
  });

  it('keeps each picture once, the best copy, in the list\'s order', () => {
    const small = copy(1, { phash: 0xf0n, width: 500, height: 375 });
    const other = copy(2, { phash: 0xff00ff00ffn });
    const large = copy(3, { phash: 0xf1n, width: 2000, height: 1500 });
    const twin = copy(4, { sha256: 'sha-2', phash: 0xff00ff00ffn });
    expect(galleryOf([small, other, large, twin], 6).map((kept) => kept.id)).toEqual([2, 3]);
  });

  it('two copies alike in every way keep one', () => {
    expect(galleryOf([copy(7, { rank: 0, sha256: 'x' }), copy(8, { rank: 0, sha256: 'x' })], 0).map((kept) => kept.id)).toEqual([7]);
  });
});
