// The image settings (issue 11): defaults, and a wrong value stopping the process with one line naming it.
import { loadSettings, parseImageVariants } from './config';

describe('image settings', () => {
  it('default to 20 MB, 15 s, 50 megapixels, WebP at 1600 / 800 / 320 px, served from /images', () => {
    const settings = loadSettings({});
    expect(settings).toMatchObject({
      IMAGE_MAX_BYTES: 20 * 1024 * 1024, IMAGE_FETCH_TIMEOUT_MS: 15_000, IMAGE_MAX_PIXELS: 50_000_000, IMAGE_FORMAT: 'webp',
      IMAGE_PUBLIC_URL: '/images', IMAGE_SIMILAR_BITS: 6,
    });
    expect(settings.IMAGE_VARIANTS).toEqual([{ name: 'large', longSide: 1600 }, { name: 'medium', longSide: 800 }, { name: 'thumb', longSide: 320 }]);
  });

  it('take other sizes and a CDN address', () => {
    const settings = loadSettings({ IMAGE_VARIANTS: 'hero:2400, card:600', IMAGE_PUBLIC_URL: 'https://cdn.example.org/images/' });
    expect(settings.IMAGE_VARIANTS).toEqual([{ name: 'hero', longSide: 2400 }, { name: 'card', longSide: 600 }]);
    expect(settings.IMAGE_PUBLIC_URL).toBe('https://cdn.example.org/images');
  });

  it.each([
    ['large:1600,large:800', '"large" is given twice'],
    ['canonical:1600', '"canonical" is the stored original\'s name'],
    ['large=1600', '"large=1600" is not one'],
    ['tiny:4', 'tiny: the long side must be 16 to 10000 pixels'],
  ])('IMAGE_VARIANTS=%s is refused: %s', (text, why) => {
    expect(parseImageVariants(text)).toContain(why);
    expect(() => loadSettings({ IMAGE_VARIANTS: text })).toThrow(/^Setting IMAGE_VARIANTS is wrong: expected name:pixels pairs/);
  });

  it.each([
    ['IMAGE_PUBLIC_URL', 'images', /expected a path such as \/images/],
    ['IMAGE_PUBLIC_URL', 'javascript:alert(1)', /expected a path such as \/images/],
    ['IMAGE_FORMAT', 'bmp', /expected webp, avif or jpeg/],
    ['IMAGE_SIMILAR_BITS', '40', /from 0 to 20/],
    ['IMAGE_HOST_RATE_PER_SEC', '0', /at least 1\/60/],
  ])('%s=%s is refused', (name, value, message) => {
    expect(() => loadSettings({ [name]: value })).toThrow(message);
  });
});
