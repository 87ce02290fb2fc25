// A synthetic DMO export of N listings, written as a stream so a million rows never sit in memory.
// The content is deterministic (same N, same bytes) so runs on different machines read the same file.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export const listingColumns = ['ID', 'Name', 'Address', 'City', 'Zip', 'Latitude', 'Longitude', 'Description', 'Email', 'Phone', 'Website'];

/** config_params.transform.map_fields for the columns above. */
export const listingMapping = {
  'listings.name': 'Name',
  'locations.address1': 'Address',
  'locations.city': 'City',
  'locations.zip': 'Zip',
  'locations.lat': 'Latitude',
  'locations.lng': 'Longitude',
  'listing_info.description': 'Description',
  'contact_info.email': 'Email',
  'contact_info.local_phone': 'Phone',
  'contact_info.website_url': 'Website',
};

const kinds = ['Inn', 'Bistro', 'Gallery', 'Lodge', 'Café', 'Museum', 'Guest House', 'Brewery', 'Tours', 'Market'];
const streets = ['Water Street', 'Harbour Road', 'Lighthouse Lane', 'King Street', 'Old Mill Way', 'Bay View Drive'];
const cities = ['Halifax', 'Lunenburg', 'Mahone Bay', 'Peggy’s Cove', 'Wolfville', 'Annapolis Royal', 'Digby', 'Truro'];
const words = ['sea', 'view', 'local', 'fresh', 'historic', 'quiet', 'family', 'seasonal', 'dog-friendly', 'harbour',
  'lobster', 'trail', 'garden', 'heritage', 'music', 'sunset', 'wharf', 'cosy', 'rooms', 'kitchen'];

const quote = (value: string) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** 40 to ~300 characters; every 50th has a quoted line break and every 7th a comma, as real exports do. */
function description(n: number): string {
  const length = 6 + ((n * 37) % 40);
  const text = Array.from({ length }, (_, i) => words[(n * 7 + i * 13) % words.length]).join(' ');
  const withComma = n % 7 === 0 ? `${text}, open all year` : text;
  return n % 50 === 0 ? `${withComma}.\n"Best ${words[n % words.length]} in town," says a guest.` : `${withComma}.`;
}

/** Listing n's values, in the order of listingColumns. */
export function listingValues(n: number): string[] {
  const city = cities[n % cities.length]!;
  return [
    `L${n}`,
    `${city.split(' ')[0]} ${kinds[n % kinds.length]} ${n}`,
    `${n} ${streets[n % streets.length]}`,
    city,
    `B${n % 10}K ${n % 9}Z${n % 7}`,
    (44 + (n % 10_000) / 10_000).toFixed(5),
    (-64 - (n % 7_919) / 10_000).toFixed(5),
    description(n),
    `info${n}@example.org`,
    `902-555-${String(n % 10_000).padStart(4, '0')}`,
    `https://listing-${n}.example.org/`,
  ];
}

/** Lines in chunks of ~1,000 rows: one tiny write per row would make the generator the bottleneck. */
async function* csvChunks(columns: readonly string[], count: number, valuesOf: (n: number) => readonly string[]): AsyncGenerator<string> {
  yield `${columns.join(',')}\n`;
  for (let from = 1; from <= count; from += 1_000) {
    const to = Math.min(count, from + 999);
    let chunk = '';
    for (let n = from; n <= to; n += 1) chunk += `${valuesOf(n).map(quote).join(',')}\n`;
    yield chunk;
  }
}

/** Writes a CSV of rows 1..count (valuesOf(n) in the order of columns); returns its size in bytes. */
export async function writeCsv(file: string, columns: readonly string[], count: number, valuesOf: (n: number) => readonly string[]): Promise<number> {
  await pipeline(Readable.from(csvChunks(columns, count, valuesOf)), fs.createWriteStream(file));
  return fs.statSync(file).size;
}

/** Writes count listings to file; returns its size in bytes. */
export function writeListingsCsv(file: string, count: number): Promise<number> {
  return writeCsv(file, listingColumns, count, listingValues);
}
