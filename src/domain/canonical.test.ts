import { canonicalFields, canonicalRecordSchema, emptyCanonicalRecord, isCanonicalField } from './canonical';

describe('canonicalFields', () => {
  test('lists the targets of transform.map_fields from API.md, once each', () => {
    expect(canonicalFields).toHaveLength(30);
    expect(new Set(canonicalFields).size).toBe(canonicalFields.length);
    expect(canonicalFields.slice(0, 3)).toEqual(['listings.name', 'listings.category', 'listings.google_place_id']);
    expect(canonicalFields.slice(-3)).toEqual(['listing_images.image', 'attributes.names', 'opening_hours.text']);
  });

  test.each<[string, boolean]>([
    ['locations.country', true],
    ['contact_info.yelp_url', true],
    ['listings.address1', false],
    ['name', false],
  ])('%s is a canonical field: %p', (name, expected) => {
    expect(isCanonicalField(name)).toBe(expected);
  });
});

describe('canonicalRecordSchema', () => {
  const full = {
    ...emptyCanonicalRecord(),
    name: 'Citadel Hill',
    country: 'CA',
    lat: 44.6475,
    lng: -63.5806,
    images: ['https://example.com/a.jpg'],
    attributes: ['Parking'],
    opening: [{ start_date: '05-01', end_date: '10-31', hours: [{ day: 1 as const, open: '09:00', close: '17:00' }] }],
  };

  test.each<[string, unknown, boolean]>([
    ['an empty record', emptyCanonicalRecord(), true],
    ['a full record', full, true],
    // Doubtful but readable: validation makes these warnings, so the type must hold them.
    ['a latitude of 95', { ...full, lat: 95 }, true],
    ['a country name instead of a code', { ...full, country: 'Canada' }, false],
    ['a lower-case country code', { ...full, country: 'ca' }, false],
    ['a latitude as text', { ...full, lat: '44.6' }, false],
    ['a day 8', { ...full, opening: [{ start_date: null, end_date: null, hours: [{ day: 8, open: '09:00', close: '17:00' }] }] }, false],
    ['an opening at 24:00', { ...full, opening: [{ start_date: null, end_date: null, hours: [{ day: 1, open: '24:00', close: '02:00' }] }] }, false],
    ['a missing contact', { ...full, contact: undefined }, false],
  ])('%s is valid: %p', (_case, record, valid) => {
    expect(canonicalRecordSchema.safeParse(record).success).toBe(valid);
  });
});
