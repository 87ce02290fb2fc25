import { flattenRecord, hasPath, leafPaths, readPath } from './record-paths';

const post = {
  id: 42,
  title: { rendered: 'Harbour Inn' },
  acf: { phone: '902 555 0100', address: null },
  _embedded: { 'wp:featuredmedia': [{ source_url: 'https://example.org/inn.jpg' }], 'wp:term': [[{ name: 'Inns' }, { name: 'Pets' }]] },
  images: [{ url: 'https://example.org/1.jpg' }, { url: 'https://example.org/2.jpg' }],
  tags: ['sea', 'view'],
  'Address.1': '1 Water Street',
};

test('a dotted path reads nested values, list items by index', () => {
  expect(readPath(post, 'title.rendered')).toBe('Harbour Inn');
  expect(readPath(post, '_embedded.wp:featuredmedia.0.source_url')).toBe('https://example.org/inn.jpg');
  expect(readPath(post, 'acf.missing')).toBeUndefined();
  expect(readPath(post, 'title.rendered.deeper')).toBeUndefined();
});

test('a key written with a dot is read as itself first', () => {
  expect(readPath(post, 'Address.1')).toBe('1 Water Street');
});

test('* and a path through a list without an index give every value', () => {
  expect(readPath(post, 'images.*.url')).toEqual(['https://example.org/1.jpg', 'https://example.org/2.jpg']);
  expect(readPath(post, 'images.url')).toEqual(['https://example.org/1.jpg', 'https://example.org/2.jpg']);
  expect(readPath(post, '_embedded.wp:term.0.*.name')).toEqual(['Inns', 'Pets']);
  expect(readPath(post, 'tags')).toEqual(['sea', 'view']);
});

test('a null value is a field that is there, empty', () => {
  expect(hasPath(post, 'acf.address')).toBe(true);
  expect(hasPath(post, 'acf.fax')).toBe(false);
  expect(hasPath({ a: [] }, 'a.*.b')).toBe(false);
});

test('leaf paths describe a record for a mapping guess and a preview', () => {
  expect(leafPaths(post)).toEqual([
    'id', 'title.rendered', 'acf.phone', 'acf.address', '_embedded.wp:featuredmedia.0.source_url', '_embedded.wp:term.0.0.name',
    'images.0.url', 'tags', 'Address.1',
  ]);
  expect(flattenRecord({ a: { b: 1 }, c: ['x'] })).toEqual({ 'a.b': 1, c: ['x'] });
});

test('inherited properties are not fields; a record that is not an object has none; a huge list reads whole', () => {
  expect(readPath({ items: [{ a: 1 }] }, 'items.constructor')).toBeUndefined();
  expect(readPath({ items: {} }, 'items.toString')).toBeUndefined();
  expect(readPath(null as never, 'data.items')).toBeUndefined();
  expect(hasPath(7 as never, 'a')).toBe(false);
  const many = Array.from({ length: 300_000 }, (_, i) => ({ url: `https://example.org/${i}.jpg` }));
  expect((readPath({ many }, 'many.*.url') as unknown[]).length).toBe(300_000);
  expect((readPath({ many }, 'many.*') as unknown[]).length).toBe(300_000);
});
