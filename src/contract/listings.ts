// Query strings, bodies and replies of the listings APIs: the admin's /api/v1/pipeline/listings and
// /listing-info, and the public /v1/listings. For the server and the admin UI alike: zod only, no I/O,
// so the browser bundle can import it.
import { z } from 'zod';
import { contactSchema } from '../domain/canonical';

/** info_status (DESIGN.md, Rules: actions and statuses; check constraints hold them). */
export const infoStatuses = ['active', 'missing_from_import', 'removed', 'archived'] as const;
export type InfoStatus = (typeof infoStatuses)[number];
/**
 * listing_status: the same, and `merged` (migration 0007): every record shown on it was moved to other
 * listings by a person (a force-match or an unmerge), so it is off the site.
 */
export const listingStatuses = [...infoStatuses, 'merged'] as const;
export type ListingStatus = (typeof listingStatuses)[number];

// Ids of serial (int4) tables stop here (the server's routes.ts maxSerialId).
const maxSerialId = 2_147_483_647;

// ---------------------------------------------------------------- query-string parameters

/**
 * One query-string parameter. Absent or blank means not given (a form's empty field); anything else
 * must read as `expected`, or the 400 names the parameter, what it expects and what it got.
 */
function queryParam<T>(expected: string | ((text: string) => string), read: (text: string) => T | undefined) {
  const expectation = (text: string) => (typeof expected === 'string' ? expected : expected(text));
  return z
    .string({ error: (issue) => `expected ${expectation('')}, given once (got ${JSON.stringify(issue.input)})` })
    .optional()
    .transform((raw, ctx): T | undefined => {
      const text = raw?.trim();
      if (!text) return undefined;
      const value = read(text);
      if (value === undefined) {
        ctx.issues.push({ code: 'custom', input: raw, message: `expected ${expectation(text)} (got ${JSON.stringify(raw)})` });
        return z.NEVER;
      }
      return value;
    });
}

const decimal = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

const wholeNumber = (min: number, max: number, what = 'a whole number') =>
  queryParam(`${what} from ${min} to ${max}`, (text) => {
    const value = Number(text);
    return /^\+?\d+$/.test(text) && value >= min && value <= max ? value : undefined;
  });

const oneOf = <const T extends readonly string[]>(values: T) =>
  queryParam<T[number]>(`one of ${values.join(', ')}`, (text) => values.find((value) => value === text));

const searchText = (max: number) =>
  queryParam(`text of at most ${max} characters`, (text) => (text.length <= max ? text : undefined));

const dmoId = wholeNumber(1, maxSerialId, 'a DMO id, a whole number');
const page = wholeNumber(1, 1_000_000).transform((value) => value ?? 1);

export interface LatLng {
  lat: number;
  lng: number;
}

/** `near=44.65,-63.57`: a latitude and a longitude, in range. */
const latLngParts = (text: string) => text.split(',').map((part) => part.trim());
const twoNumbers = (parts: string[]) => parts.length === 2 && parts.every((part) => decimal.test(part));
const latLng = queryParam<LatLng>(
  (text) => (!text || !twoNumbers(latLngParts(text)) ? 'lat,lng such as 44.65,-63.57'
    : 'a latitude from -90 to 90 and a longitude from -180 to 180'),
  (text) => {
    const parts = latLngParts(text);
    if (!twoNumbers(parts)) return undefined;
    const [lat, lng] = parts.map(Number) as [number, number];
    return Math.abs(lat) <= 90 && Math.abs(lng) <= 180 ? { lat, lng } : undefined;
  });

// ---------------------------------------------------------------- admin: /api/v1/pipeline/listings

export const adminListingsPageSize = { default: 50, max: 500 };

/**
 * `GET /listings?q=&dmo_id=&visible=&status=&info_status=&page=&pageSize=`. `status` is the listing's
 * own; `info_status` finds listings with a listing_info in that status (of `dmo_id` when given): the
 * soft-deleted and hidden records an admin may restore or show.
 */
export const adminListingsQuery = z.object({
  q: searchText(200),
  dmo_id: dmoId,
  visible: queryParam('true or false', (text) => (text === 'true' ? true : text === 'false' ? false : undefined)),
  status: oneOf(listingStatuses),
  info_status: oneOf(infoStatuses),
  page,
  pageSize: wholeNumber(1, adminListingsPageSize.max).transform((value) => value ?? adminListingsPageSize.default),
});
export type AdminListingsQuery = z.infer<typeof adminListingsQuery>;

/** Free text a person may also clear: blank is stored as null. */
const clearableText = (max: number) => z.string().trim().max(max).nullable().transform((value) => value || null);

/** `PATCH /listings/:id`: a manual edit of the listing's shared parts. */
export const listingEditBody = z.strictObject({
  name: z.string().trim().min(1, { message: 'a listing needs a name' }).max(500).optional(),
  category: clearableText(200).optional(),
  google_place_id: clearableText(300).optional(),
  location: z.strictObject({
    address1: clearableText(500).optional(),
    address2: clearableText(500).optional(),
    city: clearableText(200).optional(),
    state: clearableText(200).optional(),
    zip: clearableText(40).optional(),
    country: z.string().regex(/^[A-Z]{2}$/, { message: 'expected a two-letter country code such as CA' }).nullable().optional(),
    lat: z.number().min(-90).max(90).nullable().optional(),
    lng: z.number().min(-180).max(180).nullable().optional(),
    region_name: clearableText(200).optional(),
  }).optional(),
}).refine((body) => Object.keys(body).some((key) => key !== 'location') || Object.keys(body.location ?? {}).length > 0,
  { message: 'say what to change: name, category, google_place_id or a location field' });
export type ListingEditBody = z.infer<typeof listingEditBody>;

// Times are ISO 8601 strings, as JSON carries them.
const timestamp = z.iso.datetime();

/** What every reply about a listing says of the listing itself: the list's rows and the detail alike. */
const listingCore = z.object({
  id: z.number().int(),
  name: z.string(),
  category: z.string().nullable(),
  listing_visible: z.boolean(),
  listing_status: z.enum(listingStatuses),
  manually_modified: z.boolean(),
  owner_dmo_id: z.number().int().nullable(),
  updated_at: timestamp,
});

export const adminListingRow = listingCore.extend({
  city: z.string().nullable(),
  lat: z.number().nullable(),
  lng: z.number().nullable(),
  info_count: z.number().int(),
  /** listing_info not shown: soft-deleted by an import, hidden by an admin */
  hidden_info_count: z.number().int(),
  has_hidden_info: z.boolean(),
});
export type AdminListingRow = z.infer<typeof adminListingRow>;
export const adminListingList = z.object({ rows: z.array(adminListingRow), total: z.number().int() });
export type AdminListingList = z.infer<typeof adminListingList>;

export { contactKeys as contactFields } from '../domain/canonical';
const contact = contactSchema;

export const openingPeriod = z.object({
  id: z.number().int(),
  start_date: z.string().nullable(),
  end_date: z.string().nullable(),
  /** day_id 1 is Monday (public.ref_days) */
  hours: z.array(z.object({ day_id: z.number().int(), day: z.string(), open_time: z.string(), close_time: z.string() })),
});

export const listingInfoDetail = z.object({
  id: z.number().int(),
  dmo_id: z.number().int(),
  dmo_name: z.string(),
  dmo_type_id: z.number().int(),
  source_id: z.string().nullable(),
  name: z.string().nullable(),
  description: z.string().nullable(),
  info_visible: z.boolean(),
  info_status: z.enum(infoStatuses),
  manually_modified: z.boolean(),
  last_seen_at: timestamp.nullable(),
  last_job_id: z.number().int().nullable(),
  contact: contact.nullable(),
  opening: z.array(openingPeriod),
});

export const listingLocation = z.object({
  id: z.number().int(),
  address1: z.string().nullable(),
  address2: z.string().nullable(),
  city: z.string().nullable(),
  state: z.string().nullable(),
  zip: z.string().nullable(),
  country: z.string().nullable(),
  lat: z.number().nullable(),
  lng: z.number().nullable(),
  region_name: z.string().nullable(),
});

/**
 * What the listing's timeline records: imports' insert, update, delete, restore; an admin's too, and hide, show, archive,
 * unarchive, and the Mappings page's match (a force-match) and unmerge (migration 0006).
 */
export const timelineChanges = ['insert', 'update', 'delete', 'restore', 'hide', 'show', 'archive', 'unarchive', 'match', 'unmerge'] as const;
export const timelineEntry = z.object({
  entity_type: z.string(),
  entity_id: z.number().int(),
  change: z.enum(timelineChanges),
  field: z.string().nullable(),
  old_value: z.string().nullable(),
  new_value: z.string().nullable(),
  job_id: z.number().int().nullable(),
  user_id: z.number().int().nullable(),
  /** who, in words: the user's name or email (every reader of the timeline may see who changed a listing) */
  user_name: z.string().nullable(),
  changed_at: timestamp,
});

/** A listing's image as production holds it (src/db/images.ts; width, height and variants on images stored since 0.7.0). */
export const listingImage = z.object({
  listing_info_id: z.number().int(), image: z.string(), source_url: z.string().nullable(), rank: z.number().int(),
  width: z.number().int().nullable(), height: z.number().int().nullable(),
  variants: z.record(z.string(), z.object({ url: z.string(), width: z.number().int(), height: z.number().int() })).nullable(),
});
export type ListingImage = z.infer<typeof listingImage>;

/** `GET /listings/:id`, and the reply of every change to a listing (edit, restore, hide, show, archive, unarchive). */
export const listingDetail = listingCore.extend({
  google_place_id: z.string().nullable(),
  match_hash: z.string().nullable(),
  manually_modified_at: timestamp.nullable(),
  manually_modified_by: z.number().int().nullable(),
  created_at: timestamp,
  location: listingLocation.nullable(),
  listing_info: z.array(listingInfoDetail),
  sources: z.array(z.object({
    dmo_id: z.number().int(), source_id: z.string(), target_type: z.enum(['listing', 'listing_info']),
    target_id: z.number().int(), job_id: z.number().int().nullable(),
  })),
  /** every DMO record's images, by record and rank; `image` is our stored copy's URL */
  images: z.array(listingImage),
  /** the listing's gallery: each picture once across its DMOs' records, the best copy of it */
  gallery: z.array(listingImage),
  timeline: z.array(timelineEntry),
});
export type ListingDetail = z.infer<typeof listingDetail>;
export const listingEditReply = listingDetail.extend({ fields_changed: z.number().int() });

// ---------------------------------------------------------------- public: /v1/listings

export const publicListingsPageSize = { default: 20, max: 100 };
/** `radius_km` is at most this, and this when `near` comes without one. */
export const publicRadiusKm = { default: 50, max: 200 };

/** `GET /v1/listings?q=&dmo_id=&near=lat,lng&radius_km=&page=&pageSize=` */
export const publicListingsQuery = z.object({
  q: searchText(200),
  dmo_id: dmoId,
  near: latLng,
  radius_km: queryParam(`a distance in kilometres above 0 and at most ${publicRadiusKm.max}`, (text) => {
    const value = Number(text);
    return decimal.test(text) && value > 0 && value <= publicRadiusKm.max ? value : undefined;
  }),
  page,
  pageSize: wholeNumber(1, publicListingsPageSize.max).transform((value) => value ?? publicListingsPageSize.default),
}).superRefine((query, ctx) => {
  if (query.radius_km !== undefined && !query.near) {
    ctx.addIssue({ code: 'custom', path: ['radius_km'], message: 'only works together with near=lat,lng, the centre of the circle' });
  }
});
export type PublicListingsQuery = z.infer<typeof publicListingsQuery>;

/** A visible listing as the public sees it: no admin fields, and only what each DMO shows. */
export const publicListing = z.object({
  id: z.number().int(),
  name: z.string(),
  category: z.string().nullable(),
  location: z.object({
    /** address1 and address2, comma-separated */
    address: z.string().nullable(),
    city: z.string().nullable(),
    state: z.string().nullable(),
    zip: z.string().nullable(),
    country: z.string().nullable(),
    lat: z.number().nullable(),
    lng: z.number().nullable(),
  }).nullable(),
  /** one per DMO record shown (visible listing_info only) */
  listing_info: z.array(z.object({
    dmo: z.object({ id: z.number().int(), name: z.string() }),
    description: z.string().nullable(),
    contact: z.object({ website: z.string().nullable(), phone: z.string().nullable(), email: z.string().nullable() }),
  })),
  /** the listing's gallery: each picture once across the DMOs shown, our stored copies with their sizes */
  images: z.array(z.object({
    url: z.string(), width: z.number().int().nullable(), height: z.number().int().nullable(),
    variants: z.record(z.string(), z.object({ url: z.string(), width: z.number().int(), height: z.number().int() })).nullable(),
  })),
  /** great-circle distance from `near`, only when it was given */
  distance_km: z.number().optional(),
});
export type PublicListing = z.infer<typeof publicListing>;

export const publicListingList = z.object({
  listings: z.array(publicListing),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
});
export type PublicListingList = z.infer<typeof publicListingList>;
