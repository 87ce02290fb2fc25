// Comparison hashes: one per part of a record, compared with what the same source delivered last
// time to decide `update` or `unchanged` per part. They are stored (per listing_info at promote),
// so the canonical JSON below must stay stable: keys sorted, blanks read as null, text trimmed.
import { createHash } from 'node:crypto';
import type { CanonicalRecord } from './canonical';
import { normalize } from './normalize';
import { compareHours, comparePeriods, type OpeningPeriod } from './opening-hours';

export const recordParts = ['listing', 'attributes', 'location', 'listing_info', 'contact', 'images', 'opening'] as const;
export type RecordPart = (typeof recordParts)[number];
export type PartHashes = Record<RecordPart, string>;

export const defaultRoundLatLng = 5;

export function sha1Hex(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** JSON with object keys in sorted order at every depth, so the same values give the same text. */
export function canonicalJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] ?? null)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A source that sends '' one day and nothing the next has not changed anything. */
function text(value: string | null | undefined): string | null {
  const trimmed = value?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
}

function texts(values: readonly string[]): string[] {
  return values.map((value) => text(value)).filter((value): value is string => value !== null);
}

/**
 * A coordinate as the fixed-decimal text that is compared, so float noise below the rounding
 * (re-geocoding, a CSV round trip) is not a change. "-0.00000" and "0.00000" are the same place.
 */
export function roundedCoordinate(value: number | null, decimals: number): string | null {
  if (value === null || !Number.isFinite(value)) return null;
  const fixed = value.toFixed(decimals);
  return /^-0(?:\.0*)?$/.test(fixed) ? fixed.slice(1) : fixed;
}

/** Attributes are a set: order and spelling variants ("Free WiFi", "free-wifi") do not matter. */
export function attributeKeys(names: readonly string[]): string[] {
  const keys = new Set(names.map(normalize).filter((key) => key !== ''));
  return [...keys].sort();
}

/** Sources may list hours in any order; the opening part compares what is open when. */
function canonicalOpening(periods: readonly OpeningPeriod[]): Json {
  return [...periods]
    .map((period) => ({
      start_date: text(period.start_date),
      end_date: text(period.end_date),
      hours: [...period.hours].sort(compareHours).map(({ day, open, close }) => ({ day, open, close })),
    }))
    .sort(comparePeriods);
}

function partValues(record: CanonicalRecord, roundLatLng: number): Record<RecordPart, Json> {
  const contact = record.contact;
  return {
    listing: { name: text(record.name), category: text(record.category) },
    attributes: attributeKeys(record.attributes),
    location: {
      address1: text(record.address1),
      address2: text(record.address2),
      city: text(record.city),
      state: text(record.state),
      zip: text(record.zip),
      country: text(record.country)?.toUpperCase() ?? null,
      lat: roundedCoordinate(record.lat, roundLatLng),
      lng: roundedCoordinate(record.lng, roundLatLng),
      region_name: text(record.region_name),
    },
    listing_info: { description: text(record.description), info_name: text(record.info_name) },
    contact: {
      name: text(contact.name),
      // Mail systems ignore case; a source re-casing an address is not an edit.
      email: text(contact.email)?.toLowerCase() ?? null,
      local_phone: text(contact.local_phone),
      international_phone: text(contact.international_phone),
      website_url: text(contact.website_url),
      facebook_url: text(contact.facebook_url),
      instagram_url: text(contact.instagram_url),
      youtube_url: text(contact.youtube_url),
      tiktok_url: text(contact.tiktok_url),
      twitter_url: text(contact.twitter_url),
      pinterest_url: text(contact.pinterest_url),
      tripadvisor_url: text(contact.tripadvisor_url),
      yelp_url: text(contact.yelp_url),
    },
    // The first image is the listing's lead picture, so the order is part of the content.
    images: texts(record.images),
    opening: canonicalOpening(record.opening),
  };
}

/** sha1 hex of each part's canonical JSON; `roundLatLng` is `transform.round_lat_lng`. */
export function partHashes(record: CanonicalRecord, roundLatLng = defaultRoundLatLng): PartHashes {
  if (!Number.isInteger(roundLatLng) || roundLatLng < 0 || roundLatLng > 15) {
    throw new RangeError(`round_lat_lng must be a whole number from 0 to 15, got ${roundLatLng}`);
  }
  const values = partValues(record, roundLatLng);
  const hashes = {} as PartHashes;
  for (const part of recordParts) hashes[part] = sha1Hex(canonicalJson(values[part]));
  return hashes;
}
