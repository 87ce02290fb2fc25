// /api/v1/pipeline/listings: production listings for admins, manual edits of their shared parts, and
// restoring what an import soft-deleted.
import { z } from 'zod';
import type { PipelineContext } from '../context';
import { editListing, getListing, listListings, NotRestorable, restoreListingInfo } from '../db/listings';
import { inTransaction } from '../db/pool';
import { ApiError, notFound, parseInput } from './errors';
import { currentUser, idParam, idQuery, type RouteSpec } from './routes';

const positive = z.coerce.number().int().positive();
const listQuery = z.object({
  q: z.string().max(200).optional(),
  dmo_id: idQuery().optional(),
  visible: z.enum(['true', 'false'], { message: 'expected true or false' }).transform((v) => v === 'true').optional(),
  page: positive.max(1_000_000).default(1),
  pageSize: positive.max(500).default(50),
});

/** Free text a person may also clear: blank is stored as null. */
const clearableText = (max: number) => z.string().trim().max(max).nullable().transform((value) => value || null);
const editBody = z.strictObject({
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

export function listingRoutes(ctx: PipelineContext): RouteSpec[] {
  return [
    {
      method: 'get', path: '/listings', access: 'pipeline:read',
      handler: async (req) => {
        const query = parseInput(listQuery, req.query);
        return listListings(ctx.db, { q: query.q, dmoId: query.dmo_id, visible: query.visible }, query.pageSize,
          (query.page - 1) * query.pageSize);
      },
    },
    {
      method: 'get', path: '/listings/:id', access: 'pipeline:read',
      handler: async (req) => (await getListing(ctx.db, idParam(req))) ?? notFoundListing(req.params.id),
    },
    {
      method: 'patch', path: '/listings/:id', access: 'pipeline:write',
      handler: async (req, res) => {
        const listingId = idParam(req);
        const { location = {}, ...listing } = parseInput(editBody, req.body);
        const changed = await inTransaction(ctx.db, (client) =>
          editListing(client, listingId, { listing, location }, currentUser(res).id));
        if (changed === null) notFoundListing(req.params.id);
        return { ...(await getListing(ctx.db, listingId)), fields_changed: changed };
      },
    },
    {
      method: 'post', path: '/listing-info/:id/restore', access: 'pipeline:write',
      handler: async (req, res) => {
        const listingId = await inTransaction(ctx.db, (client) => restoreListingInfo(client, idParam(req), currentUser(res).id))
          .catch((error: unknown) => {
            if (error instanceof NotRestorable) throw new ApiError(409, 'not_restorable', error.message);
            throw error;
          });
        if (listingId === null) throw notFound(`Listing info ${String(req.params.id)}`);
        return getListing(ctx.db, listingId);
      },
    },
  ];
}

function notFoundListing(id: unknown): never {
  throw notFound(`Listing ${String(id)}`);
}
