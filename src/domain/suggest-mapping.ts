// A first guess at transform.map_fields from a file's headers, with a confidence per field, for
// configs that name no mapping and for the suggest-mapping endpoint.
import type { CanonicalField } from './canonical';
import { normalize } from './normalize';

const aliases: Record<CanonicalField, string[]> = {
  'listings.name': ['name', 'listing name', 'business name', 'title', 'company', 'organisation', 'organization'],
  'listings.category': ['category', 'type', 'listing type', 'categories'],
  'listings.google_place_id': ['google place id', 'place id', 'placeid', 'google id'],
  'locations.address1': ['address1', 'address', 'street', 'street address', 'address line 1', 'addr1'],
  'locations.address2': ['address2', 'address line 2', 'addr2', 'suite', 'unit'],
  'locations.city': ['city', 'town', 'locality', 'municipality'],
  'locations.state': ['state', 'province', 'region code', 'state province', 'county'],
  'locations.zip': ['zip', 'postal code', 'postcode', 'zip code', 'post code'],
  'locations.country': ['country', 'country code', 'nation'],
  'locations.lat': ['lat', 'latitude', 'y'],
  'locations.lng': ['lng', 'lon', 'long', 'longitude', 'x'],
  'locations.region_name': ['region', 'region name', 'area', 'district'],
  'listing_info.description': ['description', 'details', 'summary', 'about', 'body', 'content'],
  'listing_info.name': ['display name', 'dmo name'],
  'contact_info.name': ['contact', 'contact name', 'contact person'],
  'contact_info.email': ['email', 'e mail', 'email address', 'mail'],
  'contact_info.local_phone': ['phone', 'telephone', 'tel', 'local phone', 'phone number'],
  'contact_info.international_phone': ['international phone', 'intl phone', 'phone international'],
  'contact_info.website_url': ['website', 'url', 'web', 'website url', 'homepage', 'site'],
  'contact_info.facebook_url': ['facebook', 'facebook url'],
  'contact_info.instagram_url': ['instagram', 'instagram url'],
  'contact_info.youtube_url': ['youtube', 'youtube url'],
  'contact_info.tiktok_url': ['tiktok', 'tiktok url'],
  'contact_info.twitter_url': ['twitter', 'twitter url', 'x url'],
  'contact_info.pinterest_url': ['pinterest', 'pinterest url'],
  'contact_info.tripadvisor_url': ['tripadvisor', 'tripadvisor url'],
  'contact_info.yelp_url': ['yelp', 'yelp url'],
  'listing_images.image': ['image', 'images', 'photo', 'photos', 'image url', 'image urls', 'picture', 'featuredmedia', 'featured media', 'featured image', 'media', 'gallery'],
  'attributes.names': ['attributes', 'amenities', 'features', 'tags'],
  'opening_hours.text': ['opening hours', 'hours', 'open hours', 'opening times', 'hours of operation'],
};

export interface SuggestedField {
  source: string;
  confidence: number;
}

/** How well one header (or one part of a path) names each canonical field. */
function fieldsNamedBy(key: string): { field: CanonicalField; confidence: number }[] {
  const found: { field: CanonicalField; confidence: number }[] = [];
  if (!key) return found;
  for (const [field, names] of Object.entries(aliases) as [CanonicalField, string[]][]) {
    const fieldKey = normalize(field.replace('.', ' '));
    const shortKey = normalize(field.split('.')[1]!.replace(/_/g, ' '));
    let confidence = 0;
    if (key === fieldKey || key === normalize(field)) confidence = 1;
    else if (names[0] === key || key === shortKey) confidence = 0.95;
    else if (names.includes(key)) confidence = 0.85;
    else if (names.some((name) => name.length > 3 && key.includes(name))) confidence = 0.5;
    if (confidence) found.push({ field, confidence });
  }
  return found;
}

// Parts of a JSON path that say how a value is stored, not what it is: WordPress's title.rendered,
// Drupal's body.processed and body.value, a list's index, a namespace (wp:featuredmedia).
const storageSegments = new Set(['rendered', 'value', 'processed', 'raw', 'und', 'embedded', 'attributes', 'fields', 'acf', 'data']);
// A leaf that names a kind of value, so its parent says what it is: images.0.url, featuredmedia.0.source_url.
const kindLeaves = new Set(['url', 'source url', 'src', 'href', 'uri', 'link', 'name', 'id', 'text']);

/** A dotted path's meaningful segments: namespaces cut, storage words and list indexes dropped. */
function meaningfulSegments(path: string): string[] {
  return path.split('.').map((segment) => normalize(segment.slice(segment.lastIndexOf(':') + 1)))
    .filter((segment) => segment && !/^\d+$/.test(segment) && !storageSegments.has(segment));
}

/**
 * What a dotted path names, matched on its meaningful last segment (or its parent, when the leaf says
 * only "url" or "name"), each a little less sure than the same name as a whole header.
 */
function fieldsNamedByPath(path: string): { field: CanonicalField; confidence: number }[] {
  const segments = meaningfulSegments(path);
  const leaf = segments.at(-1);
  if (!leaf) return [];
  const parent = segments.at(-2);
  const tries: [string, number][] = [];
  if (parent) tries.push([`${parent} ${leaf}`, 0.05]);
  if (parent && kindLeaves.has(leaf)) tries.push([parent, 0.1], [leaf, 0.15]);
  else tries.push([leaf, 0.05], ...(parent ? [[parent, 0.15] as [string, number]] : []));
  return tries.flatMap(([key, less]) => fieldsNamedBy(key).map(({ field, confidence }) => ({ field, confidence: Math.max(0.1, Math.round((confidence - less) * 100) / 100) })));
}

/** Each canonical field gets at most one header, each header at most one field; best matches first. */
export function suggestMapping(headers: readonly string[]): Partial<Record<CanonicalField, SuggestedField>> {
  const candidates: { field: CanonicalField; header: string; confidence: number }[] = [];
  for (const header of headers) {
    const named = [...fieldsNamedBy(normalize(header)), ...(header.includes('.') ? fieldsNamedByPath(header) : [])];
    for (const { field, confidence } of named) candidates.push({ field, header, confidence });
  }
  candidates.sort((a, b) => b.confidence - a.confidence);
  const mapping: Partial<Record<CanonicalField, SuggestedField>> = {};
  const usedHeaders = new Set<string>();
  for (const { field, header, confidence } of candidates) {
    if (mapping[field] || usedHeaders.has(header)) continue;
    mapping[field] = { source: header, confidence };
    usedHeaders.add(header);
  }
  return mapping;
}

/** The mapping to use when a config names none: confident suggestions only. */
export function defaultMapping(headers: readonly string[]): Partial<Record<CanonicalField, string>> {
  return Object.fromEntries(
    Object.entries(suggestMapping(headers))
      .filter(([, suggestion]) => suggestion.confidence >= 0.8)
      .map(([field, suggestion]) => [field, suggestion.source]),
  );
}
