// /api/v1/pipeline/listings: production listings for admins, manual edits of their shared parts, and
// the visibility a person decides: restore what an import soft-deleted, hide and show one DMO's
// record, archive and un-archive a whole listing. Each answers the listing's detail. The two GETs
// read through ctx.apiReads (503 past API_READ_TIMEOUT_MS); the writes, and the detail they answer,
// use the main pool, so a flood of searches does not hold them up.
import type { PipelineContext } from '../context';
import { adminListingsQuery, listingEditBody, type ListingDetail } from '../contract/listings';
import {
  archiveListing, editListing, getListing, hideListingInfo, listListings, NotRestorable, restoreListingInfo, showListingInfo,
  unarchiveListing,
} from '../db/listings';
import { inTransaction, type DbClient } from '../db/pool';
import { ApiError, notFound, parseInput } from './errors';
import { currentUser, idParam, type RouteSpec } from './routes';

/** One admin visibility action on a listing_info or a listing: it returns the listing id, or null when there is no such row. */
type VisibilityAction = (db: DbClient, id: number, userId: number) => Promise<number | null>;

export function listingRoutes(ctx: PipelineContext): RouteSpec[] {
  const visibility = (path: string, what: 'Listing info' | 'Listing', action: VisibilityAction): RouteSpec => ({
    method: 'post', path, access: 'pipeline:write',
    handler: async (req, res): Promise<ListingDetail | null> => {
      const listingId = await inTransaction(ctx.db, (client) => action(client, idParam(req), currentUser(res).id))
        .catch((error: unknown) => {
          if (error instanceof NotRestorable) throw new ApiError(409, 'not_restorable', error.message);
          throw error;
        });
      if (listingId === null) throw notFound(`${what} ${String(req.params.id)}`);
      return getListing(ctx.db, listingId, { similarBits: ctx.settings.IMAGE_SIMILAR_BITS });
    },
  });

  return [
    {
      method: 'get', path: '/listings', access: 'pipeline:read',
      handler: async (req) => {
        const query = parseInput(adminListingsQuery, req.query);
        return listListings(ctx.apiReads,
          { q: query.q, dmoId: query.dmo_id, visible: query.visible, status: query.status, infoStatus: query.info_status },
          query.pageSize, (query.page - 1) * query.pageSize);
      },
    },
    {
      method: 'get', path: '/listings/:id', access: 'pipeline:read',
      handler: async (req) => (await getListing(ctx.apiReads, idParam(req), { similarBits: ctx.settings.IMAGE_SIMILAR_BITS })) ?? notFoundListing(req.params.id),
    },
    {
      method: 'patch', path: '/listings/:id', access: 'pipeline:write',
      handler: async (req, res) => {
        const listingId = idParam(req);
        const { location = {}, ...listing } = parseInput(listingEditBody, req.body);
        const changed = await inTransaction(ctx.db, (client) =>
          editListing(client, listingId, { listing, location }, currentUser(res).id));
        if (changed === null) notFoundListing(req.params.id);
        return { ...(await getListing(ctx.db, listingId, { similarBits: ctx.settings.IMAGE_SIMILAR_BITS })), fields_changed: changed };
      },
    },
    visibility('/listing-info/:id/restore', 'Listing info', restoreListingInfo),
    visibility('/listing-info/:id/hide', 'Listing info', hideListingInfo),
    visibility('/listing-info/:id/show', 'Listing info', showListingInfo),
    visibility('/listings/:id/archive', 'Listing', archiveListing),
    visibility('/listings/:id/unarchive', 'Listing', unarchiveListing),
  ];
}

function notFoundListing(id: unknown): never {
  throw notFound(`Listing ${String(id)}`);
}
