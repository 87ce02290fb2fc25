import { resolveConfig } from './config-params';
import { RecordReader } from './record-reader';

const dmo = { dmoId: 7, box: null };

test('a WordPress post and a CSV row of the same place read as the same record, with the same source id', () => {
  const fromCsv = new RecordReader(resolveConfig({ transform: { map_fields: {
    'listings.name': 'Name', 'locations.address1': 'Address', 'locations.city': 'City', 'listing_info.description': 'Description',
  } } }, 'csv'), dmo).read({ Name: 'Fish & Chips Café', Address: '1 Water Street', City: 'Halifax', Description: 'Fresh fish.\n\nOpen "all day" <daily>.' });
  const fromWordPress = new RecordReader(resolveConfig({ transform: { map_fields: {
    'listings.name': 'title.rendered', 'locations.address1': 'acf.street_address', 'locations.city': 'acf.location.city', 'listing_info.description': 'content.rendered',
  } } }, 'wordpress'), dmo).read({
    title: { rendered: 'Fish &#038; Chips Caf&eacute;' }, acf: { street_address: '1 Water Street', location: { city: 'Halifax' } },
    content: { rendered: '<p>Fresh fish.</p>\n<p>Open &quot;all day&quot; &lt;daily&gt;.</p>\n' },
  });
  expect(fromCsv.ok && fromWordPress.ok).toBe(true);
  if (!fromCsv.ok || !fromWordPress.ok) return;
  expect(fromWordPress.record).toEqual(fromCsv.record);
  expect(fromWordPress.sourceId).toBe(fromCsv.sourceId);
  expect(fromWordPress.hashes).toEqual(fromCsv.hashes);
});

test('lists read through a path give every value; a name of markup alone is refused saying so', () => {
  const reader = new RecordReader(resolveConfig({ transform: { map_fields: {
    'listings.name': 'title', 'locations.city': 'city', 'listing_images.image': 'images.*.url', 'attributes.names': 'tags',
  } } }, 'json'), dmo);
  const read = reader.read({ title: 'Harbour Inn', city: 'Halifax', images: [{ url: 'https://example.org/1.jpg' }, { url: 'https://example.org/2.jpg' }], tags: ['Sea view', 'Pets'] });
  expect(read.ok && read.record.images).toEqual(['https://example.org/1.jpg', 'https://example.org/2.jpg']);
  expect(read.ok && read.record.attributes).toEqual(['Sea view', 'Pets']);
  const markup = reader.read({ title: '<img src=x onerror=alert(1)>', city: 'Halifax' });
  expect(markup).toMatchObject({ ok: false, problems: [{ field: 'listings.name', reason: 'a name is required (the value is only HTML markup, which has no text)' }] });
  expect(reader.read({ title: '', city: 'Halifax' })).toMatchObject({ ok: false, problems: [{ field: 'listings.name', reason: 'a name is required' }] });
});
