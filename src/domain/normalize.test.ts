import { normalize } from './normalize';

// These outputs are frozen: generated source_ids and match hashes are built from them and kept in
// the bridge forever. If one of these expectations has to change, every stored identity breaks.
describe('normalize (frozen form)', () => {
  test.each<[string, string | null | undefined, string]>([
    ['accents and repeated spaces and punctuation', 'Café  du Monde!', 'cafe du monde'],
    ['uppercase with ring and umlaut, hyphen', 'ÅNGSTRÖM-Hotel', 'angstrom hotel'],
    ['typographic apostrophe, hyphen, outer spaces', '  L’Auberge   St-Jean ', 'l auberge st jean'],
    ['fullwidth letters fold to ASCII', 'Ｆｕｌｌｗｉｄｔｈ', 'fullwidth'],
    ['CJK and katakana letters are kept', '東京タワー', '東京タワー'],
    ['katakana voiced mark is a combining mark and is dropped', 'ダ', 'タ'],
    ['ligature decomposes', 'ﬁsh ﬂy', 'fish fly'],
    ['superscript digit becomes a digit', 'Zone²', 'zone2'],
    ['fraction splits on its slash', '½ Moon', '1 2 moon'],
    ['letters without a decomposition stay', 'København Œuvre Straße', 'københavn œuvre straße'],
    ['dotted capital I loses its dot', 'İstanbul', 'istanbul'],
    ['digits and letters are glued, symbols split', 'Route 66 & Co.', 'route 66 co'],
    ['underscore is not a letter', 'snake_case', 'snake case'],
    ['tabs and newlines collapse', '\tA\n\nB\r\n', 'a b'],
    ['only punctuation', ' --- !!! ', ''],
    ['empty string', '', ''],
    ['null', null, ''],
    ['undefined', undefined, ''],
  ])('%s: %p → %p', (_case, input, expected) => {
    expect(normalize(input)).toBe(expected);
  });

  test('is idempotent', () => {
    for (const text of ['Café  du Monde!', '  L’Auberge   St-Jean ', 'Ｆｕｌｌｗｉｄｔｈ', '½ Moon']) {
      expect(normalize(normalize(text))).toBe(normalize(text));
    }
  });
});
