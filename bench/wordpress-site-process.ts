// A 100k-post WordPress site for the bench, in a process of its own so that rendering its pages does
// not share the workers' event loop: the test fixture (test/fixtures/wordpress-site.ts) serving the
// bench's generated listings. `node --import tsx bench/wordpress-site-process.ts <posts>` prints its URL.
import { WordPressSite } from '../test/fixtures/wordpress-site';
import type { SitePlace } from '../test/fixtures/site-server';
import { listingValues } from './listings-csv';

/** Listing n as the site holds it: the bench CSV's values (ID, Name, Address, City, Zip, Lat, Lng, Description, Email). */
export function benchPlace(n: number): SitePlace {
  const [key, name, address, city, , lat, lng, description, email] = listingValues(n);
  return { key: key!, name: name!, address: address!, city: city!, lat: Number(lat), lng: Number(lng), description: description!, email: email! };
}

/** The bench's mapping of the fixture's posts (title, content, ACF fields). */
export const benchWordPressMapping = {
  'listings.name': 'title.rendered', 'listing_info.description': 'content.rendered', 'locations.address1': 'acf.street_address',
  'locations.city': 'acf.location.city', 'locations.lat': 'acf.location.lat', 'locations.lng': 'acf.location.lng', 'contact_info.email': 'acf.email',
};

if (require.main === module) {
  const posts = Number(process.argv[2]);
  if (!Number.isSafeInteger(posts) || posts < 1) throw new Error('usage: wordpress-site-process.ts <posts>');
  const places = Array.from({ length: posts }, (_, i) => benchPlace(i + 1));
  WordPressSite.start(places).then((site) => process.stdout.write(`wordpress site at ${site.url}\n`));
  process.on('SIGTERM', () => process.exit(0));
}
