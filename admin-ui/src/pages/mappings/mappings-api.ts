// What the Mappings page asks the server, as TanStack Query hooks: one page of source records ↔
// listings, one listing by id (the match dialog shows its name before anything changes), and the two
// changes, each checked against the server's own schema before it is sent.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import type { ListingDetail } from '@contract/listings';
import {
  forceMatchBody, unmergeBody, type ForceMatchBody, type MappingChangeReply, type MappingList, type UnmergeBody,
} from '@contract/mappings';
import { api, query } from '../../app/api';
import { detailKey } from '../listings/keys';

const base = '/api/v1/pipeline';
export const pageSize = 50;

/** What one page of the list is asked with; the same values live in the address. */
export interface MappingsView {
  listingId?: number;
  dmoId?: number;
  conflicts: boolean;
  page: number;
}

export const mappingsKey = ['mappings'] as const;

export function useMappings(view: MappingsView) {
  return useQuery({
    queryKey: [...mappingsKey, view],
    queryFn: () => api.get<MappingList>(`${base}/mappings${query({
      listing_id: view.listingId, dmo_id: view.dmoId, conflicts: view.conflicts ? 'true' : undefined, page: view.page, pageSize,
    })}`),
    placeholderData: keepPreviousData,
  });
}

/** A listing by the id a person typed, for the match dialog: null id asks nothing. */
export function useListing(listingId: number | null) {
  return useQuery({
    queryKey: detailKey(listingId ?? 0),
    queryFn: () => api.get<ListingDetail>(`${base}/listings/${listingId}`),
    enabled: listingId !== null,
    retry: false,
  });
}

function checked<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => issue.message).join('; '));
  return parsed.data;
}

/** After a change the mappings and every listing page (lists and details) are out of date. */
function useRefreshAfterChange() {
  const client = useQueryClient();
  return async () => {
    await Promise.all([client.invalidateQueries({ queryKey: mappingsKey }), client.invalidateQueries({ queryKey: ['listings'] })]);
  };
}

export function useForceMatch() {
  const refresh = useRefreshAfterChange();
  return useMutation({
    mutationFn: (body: ForceMatchBody) => api.post<MappingChangeReply>(`${base}/mappings/force-match`, checked(forceMatchBody, body)),
    onSuccess: refresh,
  });
}

export function useUnmerge() {
  const refresh = useRefreshAfterChange();
  return useMutation({
    mutationFn: (body: UnmergeBody) => api.post<MappingChangeReply>(`${base}/mappings/unmerge`, checked(unmergeBody, body)),
    onSuccess: refresh,
  });
}
