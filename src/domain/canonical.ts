// The canonical record: what every source is mapped into before it is validated, hashed and staged.
import { z } from 'zod';
import { openingPeriodSchema } from './opening-hours';

/** The targets of `transform.map_fields`, exactly as API.md lists them. */
export const canonicalFields = [
  'listings.name',
  'listings.category',
  'listings.google_place_id',
  'locations.address1',
  'locations.address2',
  'locations.city',
  'locations.state',
  'locations.zip',
  'locations.country',
  'locations.lat',
  'locations.lng',
  'locations.region_name',
  'listing_info.description',
  'listing_info.name',
  'contact_info.name',
  'contact_info.email',
  'contact_info.local_phone',
  'contact_info.international_phone',
  'contact_info.website_url',
  'contact_info.facebook_url',
  'contact_info.instagram_url',
  'contact_info.youtube_url',
  'contact_info.tiktok_url',
  'contact_info.twitter_url',
  'contact_info.pinterest_url',
  'contact_info.tripadvisor_url',
  'contact_info.yelp_url',
  'listing_images.image',
  'attributes.names',
  'opening_hours.text',
] as const;
export type CanonicalField = (typeof canonicalFields)[number];

export function isCanonicalField(name: string): name is CanonicalField {
  return (canonicalFields as readonly string[]).includes(name);
}

const text = z.string().nullable();

export const contactSchema = z.object({
  name: text,
  email: text,
  local_phone: text,
  international_phone: text,
  website_url: text,
  facebook_url: text,
  instagram_url: text,
  youtube_url: text,
  tiktok_url: text,
  twitter_url: text,
  pinterest_url: text,
  tripadvisor_url: text,
  yelp_url: text,
});
export type CanonicalContact = z.infer<typeof contactSchema>;
/** The contact fields, one list: the canonical `contact_info.*` fields and the contact_info columns. */
export const contactKeys = contactSchema.keyof().options;
export type ContactKey = (typeof contactKeys)[number];

// Doubtful values (a latitude of 95, an email without '@') are warnings on the staged row, not
// rejections, so the record type accepts them: only unreadable values never get this far.
export const canonicalRecordSchema = z.object({
  name: text,
  category: text,
  google_place_id: text,
  address1: text,
  address2: text,
  city: text,
  state: text,
  zip: text,
  /** ISO 3166-1 alpha-2; a name the source gave that could not be converted is null plus a warning. */
  country: z.string().regex(/^[A-Z]{2}$/, { message: 'expected an ISO 3166-1 alpha-2 code such as FR' }).nullable(),
  lat: z.number().nullable(),
  lng: z.number().nullable(),
  region_name: text,
  /** listing_info.name: the DMO's own name for the listing. */
  info_name: text,
  description: text,
  contact: contactSchema,
  images: z.array(z.string()),
  attributes: z.array(z.string()),
  opening_text: text,
  opening: z.array(openingPeriodSchema),
});
export type CanonicalRecord = z.infer<typeof canonicalRecordSchema>;

// built once: emptyCanonicalRecord runs for every record read
const emptyContact = Object.fromEntries(contactKeys.map((key) => [key, null])) as CanonicalContact;

/** A record with nothing in it, for a mapper to fill in. */
export function emptyCanonicalRecord(): CanonicalRecord {
  return {
    name: null,
    category: null,
    google_place_id: null,
    address1: null,
    address2: null,
    city: null,
    state: null,
    zip: null,
    country: null,
    lat: null,
    lng: null,
    region_name: null,
    info_name: null,
    description: null,
    contact: { ...emptyContact },
    images: [],
    attributes: [],
    opening_text: null,
    opening: [],
  };
}
