import { emptyCanonicalRecord, type CanonicalRecord } from './canonical';
import { attributeKeys, canonicalJson, partHashes, recordParts, roundedCoordinate, type RecordPart } from './hashes';

function record(): CanonicalRecord {
  return {
    ...emptyCanonicalRecord(),
    name: 'Citadel Hill National Historic Site',
    category: 'Attraction',
    address1: '5425 Sackville St',
    city: 'Halifax',
    state: 'NS',
    zip: 'B3J 3Y3',
    country: 'CA',
    lat: 44.647532,
    lng: -63.580621,
    region_name: 'Halifax Metro',
    description: 'A star-shaped fort on the hill above downtown.',
    contact: {
      ...emptyCanonicalRecord().contact,
      email: 'halifax.citadel@pc.gc.ca',
      local_phone: '902-426-5080',
      website_url: 'https://parks.canada.ca/citadel',
    },
    images: ['https://example.com/fort.jpg', 'https://example.com/guard.jpg'],
    attributes: ['Parking', 'Wheelchair accessible', 'Guided tours'],
    opening_text: 'May 7 - Oct 31: Daily 9-5',
    opening: [
      {
        start_date: '05-07',
        end_date: '10-31',
        hours: [
          { day: 1, open: '09:00', close: '17:00' },
          { day: 2, open: '09:00', close: '17:00' },
        ],
      },
    ],
  };
}

/** The parts whose hash differs between two records. */
function changedParts(before: CanonicalRecord, after: CanonicalRecord, roundLatLng?: number): RecordPart[] {
  const a = partHashes(before, roundLatLng);
  const b = partHashes(after, roundLatLng);
  return recordParts.filter((part) => a[part] !== b[part]);
}

describe('partHashes', () => {
  test('gives one sha1 hex per part', () => {
    const hashes = partHashes(record());
    expect(Object.keys(hashes).sort()).toEqual([...recordParts].sort());
    for (const hash of Object.values(hashes)) expect(hash).toMatch(/^[0-9a-f]{40}$/);
  });

  test('an unchanged record gives the same hashes', () => {
    expect(partHashes(record())).toEqual(partHashes(record()));
  });

  test('an empty record hashes without failing, and differently from a full one', () => {
    expect(changedParts(emptyCanonicalRecord(), record())).toEqual([...recordParts]);
  });

  // Pinned so the stored form cannot drift: hashes are kept per listing_info and compared with the
  // next run's. sha1 of '{"category":"Attraction","name":"Citadel Hill National Historic Site"}'.
  test('the listing hash is pinned', () => {
    expect(canonicalJson({ name: 'Citadel Hill National Historic Site', category: 'Attraction' })).toBe(
      '{"category":"Attraction","name":"Citadel Hill National Historic Site"}',
    );
    expect(partHashes(record()).listing).toBe('31a69590b692cae40f53f0827d01e5b9d30af9b3');
  });

  interface Change {
    change: string;
    apply: (r: CanonicalRecord) => void;
    parts: RecordPart[];
    roundLatLng?: number;
  }

  test.each<Change>([
    { change: 'moving lat by 0.000001 with rounding 5', apply: (r) => void (r.lat = (r.lat ?? 0) + 0.000001), parts: [], roundLatLng: 5 },
    { change: 'moving lat by 0.001 with rounding 5', apply: (r) => void (r.lat = (r.lat ?? 0) + 0.001), parts: ['location'], roundLatLng: 5 },
    { change: 'moving lng by 0.001 with rounding 2', apply: (r) => void (r.lng = (r.lng ?? 0) + 0.001), parts: [], roundLatLng: 2 },
    { change: 'moving lng by 0.00001 with the default rounding', apply: (r) => void (r.lng = (r.lng ?? 0) + 0.00001), parts: ['location'] },
    { change: 'losing the coordinates', apply: (r) => void ((r.lat = null), (r.lng = null)), parts: ['location'] },
    { change: 'reordering images', apply: (r) => void r.images.reverse(), parts: ['images'] },
    { change: 'adding an image', apply: (r) => void r.images.push('https://example.com/cannon.jpg'), parts: ['images'] },
    { change: 'reordering attributes', apply: (r) => void r.attributes.reverse(), parts: [] },
    { change: 'respelling and repeating an attribute', apply: (r) => void (r.attributes = ['parking', 'GUIDED-TOURS', 'Wheelchair Accessible', 'Parking ']), parts: [] },
    { change: 'adding an attribute', apply: (r) => void r.attributes.push('Gift shop'), parts: ['attributes'] },
    { change: 'changing the description', apply: (r) => void (r.description = 'A fort.'), parts: ['listing_info'] },
    { change: 'changing the DMO-specific name', apply: (r) => void (r.info_name = 'The Citadel'), parts: ['listing_info'] },
    { change: 'changing the name', apply: (r) => void (r.name = 'Halifax Citadel'), parts: ['listing'] },
    { change: 'changing the category', apply: (r) => void (r.category = 'Museum'), parts: ['listing'] },
    { change: 'padding text with spaces', apply: (r) => void ((r.name = ` ${r.name} `), (r.city = 'Halifax  ')), parts: [] },
    { change: 'an empty string where there was nothing', apply: (r) => void ((r.address2 = ''), (r.info_name = '   ')), parts: [] },
    { change: 're-casing the email', apply: (r) => void (r.contact.email = 'Halifax.Citadel@PC.GC.CA'), parts: [] },
    { change: 'changing the phone', apply: (r) => void (r.contact.local_phone = '902-426-5081'), parts: ['contact'] },
    { change: 'adding an Instagram page', apply: (r) => void (r.contact.instagram_url = 'https://instagram.com/citadel'), parts: ['contact'] },
    { change: 'changing the zip', apply: (r) => void (r.zip = 'B3J 3Y4'), parts: ['location'] },
    { change: 'changing the opening text only', apply: (r) => void (r.opening_text = 'May 7 to Oct 31: every day 9am-5pm'), parts: [] },
    { change: 'listing the same hours in another order', apply: (r) => void r.opening[0]?.hours.reverse(), parts: [] },
    { change: 'changing a closing time', apply: (r) => void (r.opening[0]!.hours[0]!.close = '18:00'), parts: ['opening'] },
    { change: 'changing the season', apply: (r) => void (r.opening[0]!.end_date = '10-15'), parts: ['opening'] },
  ])('$change changes $parts', ({ apply, parts, roundLatLng }) => {
    const before = record();
    const after = record();
    apply(after);
    expect(changedParts(before, after, roundLatLng)).toEqual(parts);
  });

  test.each([-1, 1.5, 16, Number.NaN])('refuses a rounding of %p', (roundLatLng) => {
    expect(() => partHashes(record(), roundLatLng)).toThrow('round_lat_lng must be a whole number from 0 to 15');
  });
});

describe('roundedCoordinate', () => {
  test.each<[number | null, number, string | null]>([
    [44.647532, 5, '44.64753'],
    [-63.580621, 5, '-63.58062'],
    [44.6475, 0, '45'],
    [-0.000001, 5, '0.00000'],
    [0, 5, '0.00000'],
    [null, 5, null],
    [Number.NaN, 5, null],
  ])('%p to %p decimals → %p', (value, decimals, expected) => {
    expect(roundedCoordinate(value, decimals)).toBe(expected);
  });
});

describe('attributeKeys', () => {
  test.each<[string[], string[]]>([
    [['Wi-Fi', 'Parking', 'wifi', 'WI FI'], ['parking', 'wi fi', 'wifi']],
    [['', '  ', '!!'], []],
    [['Café', 'cafe'], ['cafe']],
  ])('%p → %p', (names, keys) => {
    expect(attributeKeys(names)).toEqual(keys);
  });
});

describe('canonicalJson', () => {
  test.each<[Parameters<typeof canonicalJson>[0], string]>([
    [{ b: 1, a: [{ d: null, c: 'x' }] }, '{"a":[{"c":"x","d":null}],"b":1}'],
    [['b', 'a'], '["b","a"]'],
    [null, 'null'],
    ['é"', '"é\\""'],
  ])('%p → %s', (value, json) => {
    expect(canonicalJson(value)).toBe(json);
  });
});
