// /api/v1/pipeline/mappings: which DMO source record feeds which listing, the links that conflict,
// and a person's force-match and unmerge (db/remap.ts), each written to both listings' timelines.
//
// Permissions: reading needs pipeline:read. Force-match and unmerge need pipeline:promote: they
// change production at once, with no review after them, moving a DMO's published record from one
// listing to another (and taking a listing off the site when nothing shown is left on it), which is
// what promoting reviewed changes does. pipeline:review only decides staged rows, which reach
// production through a promote; pipeline:write edits one listing's own fields.
import type { PipelineContext } from '../context';
import { forceMatchBody, mappingsQuery, unmergeBody, type MappingChangeReply } from '../contract/mappings';
import { getMapping, listMappings } from '../db/mappings';
import type { DbClient } from '../db/pool';
import {
  forceMatch, inRemapTransaction, RemapRefused, SourceRecordNotFound, TargetListingNotFound, unmerge, type RemapOutcome, type SourceRecord,
} from '../db/remap';
import { ApiError, parseInput } from './errors';
import { currentUser, type RouteSpec } from './routes';

/** Runs a change in one transaction and answers the record as it is now, or the error a person can act on. */
async function remapped(ctx: PipelineContext, record: SourceRecord, change: (db: DbClient) => Promise<RemapOutcome>): Promise<MappingChangeReply> {
  try {
    return await inRemapTransaction(ctx.db, async (db) => {
      const outcome = await change(db);
      const mapping = await getMapping(db, record.dmoId, record.sourceId);
      return { changed: outcome.changed, mapping: mapping!, left: outcome.left };
    });
  } catch (error) {
    if (error instanceof SourceRecordNotFound) {
      throw new ApiError(404, 'not_found', error.message, [{ path: 'source_id', message: error.message }]);
    }
    if (error instanceof TargetListingNotFound) {
      throw new ApiError(404, 'not_found', `listing_id: ${error.message}`, [{ path: 'listing_id', message: error.message }]);
    }
    if (error instanceof RemapRefused) throw new ApiError(409, error.code, error.message);
    throw error;
  }
}

export function mappingRoutes(ctx: PipelineContext): RouteSpec[] {
  return [
    {
      method: 'get', path: '/mappings', access: 'pipeline:read',
      handler: async (req) => {
        const query = parseInput(mappingsQuery, req.query);
        return listMappings(ctx.apiReads,
          { listingId: query.listing_id, dmoId: query.dmo_id, sourceId: query.source_id, conflictsOnly: query.conflicts },
          query.pageSize, (query.page - 1) * query.pageSize);
      },
    },
    {
      method: 'post', path: '/mappings/force-match', access: 'pipeline:promote',
      handler: async (req, res) => {
        const body = parseInput(forceMatchBody, req.body);
        const record = { dmoId: body.dmo_id, sourceId: body.source_id };
        return remapped(ctx, record, (db) => forceMatch(db, record, body.listing_id, currentUser(res).id));
      },
    },
    {
      method: 'post', path: '/mappings/unmerge', access: 'pipeline:promote',
      handler: async (req, res) => {
        const body = parseInput(unmergeBody, req.body);
        const record = { dmoId: body.dmo_id, sourceId: body.source_id };
        return remapped(ctx, record, (db) => unmerge(db, record, currentUser(res).id));
      },
    },
  ];
}
