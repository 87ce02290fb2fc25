// /v1/listings: the public, read-only search of visible listings. No sign-in; nothing an admin hid,
// archived or an import soft-deleted, and no admin fields. Read through ctx.apiReads: a flood of
// searches holds only the read pool's connections, and one past API_READ_TIMEOUT_MS answers 503.
import type { PipelineContext } from '../context';
import { publicListingsQuery, publicRadiusKm, type PublicListing, type PublicListingList } from '../contract/listings';
import { getPublicListing, listPublicListings } from '../db/listings';
import { notFound, parseInput } from './errors';
import { idParam, type RouteSpec } from './routes';

export function publicRoutes(ctx: PipelineContext): RouteSpec[] {
  return [
    {
      method: 'get', path: '/listings', access: 'public',
      handler: async (req): Promise<PublicListingList> => {
        const query = parseInput(publicListingsQuery, req.query);
        const near = query.near && { ...query.near, radiusKm: query.radius_km ?? publicRadiusKm.default };
        const { listings, total } = await listPublicListings(ctx.apiReads, { q: query.q, dmoId: query.dmo_id, near },
          query.pageSize, (query.page - 1) * query.pageSize, ctx.settings.IMAGE_SIMILAR_BITS);
        return { listings, total, page: query.page, pageSize: query.pageSize };
      },
    },
    {
      method: 'get', path: '/listings/:id', access: 'public',
      handler: async (req): Promise<PublicListing> => {
        const listing = await getPublicListing(ctx.apiReads, idParam(req), ctx.settings.IMAGE_SIMILAR_BITS);
        if (!listing) throw notFound(`Listing ${String(req.params.id)}`);
        return listing;
      },
    },
  ];
}
