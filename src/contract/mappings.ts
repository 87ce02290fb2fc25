// Query strings, bodies and replies of /api/v1/pipeline/mappings: which DMO source record feeds which
// production listing (the bridge), the conflicts among those links, and a person's force-match and
// unmerge. For the server and the admin UI alike: zod only, no I/O.
import { z } from 'zod';
import { conflictKinds } from '../domain/mapping-conflicts';
import { listingStatuses } from './listings';
import { maxSerialId } from './sources';

export { conflictKinds, type ConflictKind } from '../domain/mapping-conflicts';

/** How a source record came to be linked to its listing (migration 0006); null on links made before it was recorded. */
export const matchMethods = ['created', 'match_hash', 'fuzzy', 'manual'] as const;
export type MatchMethod = (typeof matchMethods)[number];

// A source's own id is whatever the DMO sends (or a sha1): kept as given, never trimmed (DESIGN.md, Identity).
const sourceId = z.string({ error: 'expected the source record\'s id as text' }).min(1, { error: 'expected the source record\'s id, not empty' }).max(1000);

/** An id in a JSON body: one message for every way it can be wrong, naming what it is. */
const bodyId = (what: string) => {
  const error = `expected ${what}: a whole number from 1 to ${maxSerialId}`;
  return z.number({ error }).int({ error }).min(1, { error }).max(maxSerialId, { error });
};

/** An id in a query string: absent or blank is not given. */
const queryId = (what: string) => {
  const error = `expected ${what}: a whole number from 1 to ${maxSerialId}`;
  return z.string({ error: `${error}, given once` }).optional()
    .transform((raw, ctx) => {
      const text = raw?.trim();
      if (!text) return undefined;
      if (/^\+?\d+$/.test(text) && Number(text) >= 1 && Number(text) <= maxSerialId) return Number(text);
      ctx.issues.push({ code: 'custom', input: raw, message: `${error} (got ${JSON.stringify(raw)})` });
      return z.NEVER;
    });
};

export const mappingsPageSize = { default: 50, max: 500 };

/** `GET /mappings?listing_id=&dmo_id=&source_id=&conflicts=true&page=&pageSize=` */
export const mappingsQuery = z.object({
  listing_id: queryId('a listing id'),
  dmo_id: queryId('a DMO id'),
  source_id: sourceId.optional(),
  conflicts: z.enum(['true', 'false'], { error: 'expected true or false' }).optional().transform((value) => value === 'true'),
  page: z.coerce.number({ error: 'expected a page number from 1' }).int().min(1).max(1_000_000).default(1),
  pageSize: z.coerce.number({ error: `expected a page size from 1 to ${mappingsPageSize.max}` }).int().min(1).max(mappingsPageSize.max)
    .default(mappingsPageSize.default),
});
export type MappingsQuery = z.infer<typeof mappingsQuery>;

/** One conflict a source record is part of, with what a content admin needs to read it. */
export const mappingConflict = z.object({
  kind: z.enum(conflictKinds),
  /** in words, for a content admin */
  message: z.string(),
});
export type MappingConflict = z.infer<typeof mappingConflict>;

const timestamp = z.iso.datetime();

/** One DMO source record and the production listing it feeds. */
export const mappingRow = z.object({
  dmo_id: z.number().int(),
  dmo_name: z.string(),
  source_id: z.string(),
  /** the DMO's record in production (listing_info) that this source record feeds */
  listing_info_id: z.number().int().nullable(),
  /** the listing the source record is linked to: its 'listing' bridge row, else its DMO record's listing */
  listing_id: z.number().int().nullable(),
  /** the listing its DMO record is on; differs from listing_id only in a two_listings conflict */
  info_listing_id: z.number().int().nullable(),
  listing_name: z.string().nullable(),
  listing_city: z.string().nullable(),
  listing_visible: z.boolean().nullable(),
  listing_status: z.enum(listingStatuses).nullable(),
  info_visible: z.boolean().nullable(),
  /** how many DMO records the listing has, this one included: with 1 there is nothing to unmerge from */
  records_on_listing: z.number().int(),
  certainty_score: z.number().nullable(),
  match_method: z.enum(matchMethods).nullable(),
  /** the run that last wrote the link; null when a person did */
  job_id: z.number().int().nullable(),
  /** when the link was last written */
  linked_at: timestamp,
  conflicts: z.array(mappingConflict),
});
export type MappingRow = z.infer<typeof mappingRow>;
export const mappingList = z.object({ rows: z.array(mappingRow), total: z.number().int() });
export type MappingList = z.infer<typeof mappingList>;

/** `POST /mappings/force-match`: move this source record onto that listing. */
export const forceMatchBody = z.strictObject({
  dmo_id: bodyId('a DMO id'),
  source_id: sourceId,
  listing_id: bodyId('a listing id'),
});
export type ForceMatchBody = z.infer<typeof forceMatchBody>;

/** `POST /mappings/unmerge`: give this source record a listing of its own. */
export const unmergeBody = z.strictObject({
  dmo_id: bodyId('a DMO id'),
  source_id: sourceId,
});
export type UnmergeBody = z.infer<typeof unmergeBody>;

/** A listing the record left, as it is after the change: it goes off the site when no record shown is left on it. */
export const leftListing = z.object({
  id: z.number().int(),
  name: z.string(),
  listing_visible: z.boolean(),
  listing_status: z.enum(listingStatuses),
});

/** The reply of both changes: whether anything changed, the source record as it is now, the listings it left. */
export const mappingChangeReply = z.object({
  changed: z.boolean(),
  mapping: mappingRow,
  left: z.array(leftListing),
});
export type MappingChangeReply = z.infer<typeof mappingChangeReply>;
