import { defaultMapping, suggestMapping } from './suggest-mapping';

describe('suggestMapping', () => {
  it.each([
    ['Name', 'listings.name', 0.95],
    ['City', 'locations.city', 0.95],
    ['Postcode', 'locations.zip', 0.85],
    ['locations.lat', 'locations.lat', 1],
  ])('a header %s names %s', (header, field, confidence) => {
    expect(suggestMapping([header])).toMatchObject({ [field]: { source: header, confidence } });
  });

  it.each([
    ['acf.phone', 'contact_info.local_phone'],
    ['address.city', 'locations.city'],
    ['title.rendered', 'listings.name'],
    ['content.rendered', 'listing_info.description'],
    ['body.processed', 'listing_info.description'],
    ['_embedded.wp:featuredmedia.0.source_url', 'listing_images.image'],
    ['images.0.url', 'listing_images.image'],
    ['location.lat', 'locations.lat'],
    ['contact.email', 'contact_info.email'],
    ['address.street', 'locations.address1'],
    ['category.name', 'listings.category'],
  ])('a JSON path %s names %s by its meaningful segment', (path, field) => {
    expect(suggestMapping([path])[field as keyof ReturnType<typeof suggestMapping>]?.source).toBe(path);
  });

  it('is less sure of a path than of the same name as a whole header', () => {
    const byPath = suggestMapping(['address.city'])['locations.city']!.confidence;
    expect(byPath).toBeLessThan(suggestMapping(['city'])['locations.city']!.confidence);
    // a record with both: the plain header wins
    expect(suggestMapping(['city', 'address.city'])['locations.city']!.source).toBe('city');
  });

  it("maps a WordPress post's fields by default, and not its ids or links as a website", () => {
    const mapping = defaultMapping(['id', 'link', 'title.rendered', 'content.rendered', 'acf.phone', 'acf.address.city', 'acf.address.street']);
    expect(mapping).toMatchObject({
      'listings.name': 'title.rendered', 'listing_info.description': 'content.rendered', 'contact_info.local_phone': 'acf.phone',
      'locations.city': 'acf.address.city', 'locations.address1': 'acf.address.street',
    });
  });

  it('gives a field one header and a header one field', () => {
    const mapping = suggestMapping(['Name', 'Business Name', 'Town']);
    expect(mapping['listings.name']!.source).toBe('Name');
    expect(Object.values(mapping).filter((suggestion) => suggestion?.source === 'Business Name').length).toBeLessThanOrEqual(1);
  });
});
