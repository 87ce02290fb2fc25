// What the Images page asks the server, as TanStack Query hooks: one page of a run's images of one
// status (asked again every few seconds while some are still waiting to be fetched, so they appear as
// they are stored), and fetching failed images again, checked against the server's own schema first.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import type { RunStatus } from '@contract/runs';
import { refetchBody, type ImagesReply, type ImageStatus, type RefetchReply } from '@contract/images';
import { api, query } from '../../app/api';
import { isInFlight } from '../runs/run-data';

const base = '/api/v1/pipeline/jobs';

/** How often the images are asked for again while some are waiting. */
export const imagesPollMs = 2500;

export const failedPageSize = 20;
export const storedPageSize = 48;

// The server refuses a re-fetch (409) for any other status; the buttons follow it.
export const refetchableStatuses: readonly RunStatus[] = ['awaiting_review', 'promoting', 'promoted'];

export const imagesKey = (runId: number) => ['images', runId] as const;

/**
 * One page of the run's images of one status. The run's status is part of the key: its images are
 * queued as staging ends, so a run that moves on is asked again.
 */
export function useRunImages(runId: number, status: ImageStatus, page: number, pageSize: number, runStatus: RunStatus | undefined) {
  return useQuery({
    queryKey: [...imagesKey(runId), status, page, pageSize, runStatus],
    queryFn: () => api.get<ImagesReply>(`${base}/${runId}/images${query({ status, page, pageSize })}`),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => ((q.state.data?.counts.pending ?? 0) > 0 || (runStatus && isInFlight(runStatus)) ? imagesPollMs : false),
  });
}

/** One image (image_id), or every failed image of the run. */
export type RefetchAsk = z.input<typeof refetchBody>;

export function useRefetchImages(runId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (ask: RefetchAsk) => {
      const parsed = refetchBody.safeParse(ask);
      if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => issue.message).join('; '));
      return api.post<RefetchReply>(`${base}/${runId}/images/refetch`, parsed.data);
    },
    // the images sent back are waiting now: asking again starts the polling that shows them stored
    onSettled: () => client.invalidateQueries({ queryKey: imagesKey(runId) }),
  });
}
