import { editDistance, nearestKey } from './nearest-key';

test.each([
  ['source_id_colum', 'source_id_column'],
  ['auto_match_treshold', 'auto_match_threshold'],
  ['MAP_FIELD', 'map_fields'],
  ['promot', 'promote'],
])('a typo of a known key names it: %s → %s', (typo, meant) => {
  expect(nearestKey(typo, ['map_fields', 'source_id_column', 'auto_match_threshold', 'promote', 'import'])).toBe(meant);
});

test('a key far from every known one names none', () => {
  expect(nearestKey('sheet_name', ['base_url', 'bundle', 'source_id_column', 'delimiter'])).toBeUndefined();
  expect(nearestKey('x', ['import', 'stage'])).toBeUndefined();
});

test('edit distance counts insertions, deletions and substitutions', () => {
  expect(editDistance('kitten', 'sitting')).toBe(3);
  expect(editDistance('', 'abc')).toBe(3);
  expect(editDistance('same', 'same')).toBe(0);
});
