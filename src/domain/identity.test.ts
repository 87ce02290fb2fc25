import { defaultSourceIdFields, generatedSourceId, matchHash } from './identity';

// Frozen: these hex values live in bridge rows and on listings. They are the sha1 of the
// preimages in the comments, computed outside this code.
describe('generatedSourceId', () => {
  test('is pinned: sha1("42|cafe du monde|800 decatur st|new orleans")', () => {
    expect(generatedSourceId(42, ['Café du Monde', '800 Decatur St.', 'New Orleans'])).toBe(
      '9bda3d890dbdaeff4b07da3ff8b41a5d70e392f0',
    );
  });

  test.each<[string, (string | null)[]]>([
    ['upper case', ['CAFÉ DU MONDE', '800 DECATUR ST', 'NEW ORLEANS']],
    ['no accents', ['Cafe du Monde', '800 Decatur St', 'New Orleans']],
    ['punctuation and extra spaces', ['  Café — du  Monde! ', '800, Decatur St.', 'New-Orleans']],
  ])('is the same with %s', (_case, fields) => {
    expect(generatedSourceId(42, fields)).toBe('9bda3d890dbdaeff4b07da3ff8b41a5d70e392f0');
  });

  test.each<[string, number, (string | null)[]]>([
    ['another DMO', 43, ['Café du Monde', '800 Decatur St.', 'New Orleans']],
    ['another branch of the chain in the same city', 42, ['Café du Monde', '1039 Decatur St.', 'New Orleans']],
    ['the same name in another city', 42, ['Café du Monde', '800 Decatur St.', 'Metairie']],
  ])('differs for %s', (_case, dmoId, fields) => {
    expect(generatedSourceId(dmoId, fields)).not.toBe('9bda3d890dbdaeff4b07da3ff8b41a5d70e392f0');
  });

  test('keeps empty fields in their place, so fields cannot shift into each other', () => {
    expect(generatedSourceId(1, ['a', null, 'b'])).not.toBe(generatedSourceId(1, ['a', 'b', null]));
    expect(generatedSourceId(1, ['a', undefined, 'b'])).toBe(generatedSourceId(1, ['a', '', 'b']));
  });

  test('defaults to name, address1, city', () => {
    expect(defaultSourceIdFields).toEqual(['name', 'address1', 'city']);
  });

  test.each<[string, number, string[], string]>([
    ['no fields', 1, [], 'import.source_id_fields must name at least one field'],
    ['a dmo_id of 0', 0, ['x'], 'dmo_id must be a positive whole number, got 0'],
    ['a fractional dmo_id', 1.5, ['x'], 'dmo_id must be a positive whole number, got 1.5'],
  ])('refuses %s', (_case, dmoId, fields, message) => {
    expect(() => generatedSourceId(dmoId, fields)).toThrow(message);
  });
});

describe('matchHash', () => {
  test('is pinned: sha1("cafe du monde|800 decatur st|new orleans")', () => {
    expect(matchHash('Café du Monde', '800 Decatur St.', 'New Orleans')).toBe('a37829307754dc3ad9594b928d65ef5787b94228');
  });

  test.each<[string, string, string, string]>([
    ['upper case', 'CAFE DU MONDE', '800 DECATUR ST', 'NEW ORLEANS'],
    ['other accents and punctuation', 'Café-du-Monde', '800 Decatur St', 'New Orleans!'],
    ['outer and repeated spaces', '  Café du   Monde ', ' 800  Decatur St. ', 'New Orleans '],
  ])('is the same with %s', (_case, name, address1, city) => {
    expect(matchHash(name, address1, city)).toBe('a37829307754dc3ad9594b928d65ef5787b94228');
  });

  test('tells two branches of a chain in one city apart', () => {
    expect(matchHash('Starbucks', '1 Main St', 'Halifax')).not.toBe(matchHash('Starbucks', '99 Spring Garden Rd', 'Halifax'));
  });

  test('does not depend on the DMO: the same place from two sources matches', () => {
    expect(matchHash('Café du Monde', '800 Decatur St.', 'New Orleans')).toBe(matchHash('cafe du monde', '800 decatur st', 'new orleans'));
  });

  test('reads missing parts as empty', () => {
    expect(matchHash('Peggy’s Cove Lighthouse', null, 'Peggys Cove')).toBe(matchHash('Peggy s Cove Lighthouse', '', 'peggys cove'));
  });
});
