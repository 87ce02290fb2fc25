// What the review pages ask the server, as TanStack Query hooks: the run, its counts per tab, one page
// of staged rows, one row against production, decisions and promote. Every list is one server page:
// nothing here ever asks for a whole run's rows.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  recordActions, reviewBody, reviewStatuses,
  type MatchCandidate, type RecordAction, type ReviewBody, type ReviewStatus, type RunResponse, type StagedRow, type StagingCounts,
} from '@contract/runs';
import type { ConfigBody, DmoBody } from '@contract/sources';
import { api, query } from '../../app/api';

const base = '/api/v1/pipeline';
export const pageSize = 50;

export const reviewKeys = {
  all: (runId: number) => ['review', runId] as const,
  run: (runId: number) => ['review', runId, 'run'] as const,
  counts: (runId: number) => ['review', runId, 'counts'] as const,
  rows: (runId: number, view: RowsView) => ['review', runId, 'rows', view] as const,
  approved: (runId: number) => ['review', runId, 'approved'] as const,
  row: (runId: number, rowId: number) => ['review', runId, 'row', rowId] as const,
};

/** The run, polled while it moves (promote in particular) and still when it waits for review. */
export function useRun(runId: number, enabled = true) {
  return useQuery({
    queryKey: reviewKeys.run(runId),
    enabled,
    queryFn: () => api.get<RunResponse>(`${base}/jobs/${runId}`),
    refetchInterval: (q) => {
      const status = q.state.data?.status;
      if (status === 'promoting') return 1000;
      if (status === 'queued' || status === 'running' || status === 'waiting_for_input') return 3000;
      return false;
    },
  });
}

export type ConfigRecord = ConfigBody & { id: number };
export type DmoRecord = DmoBody & { id: number };

/** Names for a run's source: its config's name and its DMO's name. */
export function useSourceNames() {
  const configs = useQuery({
    queryKey: ['review', 'configs'],
    queryFn: () => api.get<{ configs: ConfigRecord[] }>(`${base}/configs`),
    staleTime: 60_000,
  });
  const dmos = useQuery({
    queryKey: ['review', 'dmos'],
    queryFn: () => api.get<{ dmos: DmoRecord[] }>(`${base}/dmos`),
    staleTime: 60_000,
  });
  return (run: Pick<RunResponse, 'config_id' | 'dmo_id'>) => {
    const config = configs.data?.configs.find((c) => c.id === run.config_id);
    const dmo = dmos.data?.dmos.find((d) => d.id === run.dmo_id);
    const dmoName = dmo?.name ?? `DMO ${run.dmo_id}`;
    return { source: config?.name || `${config?.source_type.toUpperCase() ?? ''} source #${run.config_id}`.trim(), dmo: dmoName };
  };
}

/** The numbers on the review tabs. */
export interface TabCounts {
  actions: Record<RecordAction, number>;
  warnings: number | null;
  proposed: number | null;
  review: Record<ReviewStatus, number> | null;
  total: number;
}

/** GET /staging/counts: the numbers on the tabs, from one GROUP BY on the server. */
export function useTabCounts(runId: number, enabled = true) {
  const counts = useQuery({
    queryKey: reviewKeys.counts(runId),
    enabled,
    queryFn: () => api.get<StagingCounts>(`${base}/staging/counts${query({ jobId: runId })}`),
  });
  const data: TabCounts | null = counts.data
    ? {
        actions: Object.fromEntries(recordActions.map((a) => [a, counts.data.actions[a] ?? 0])) as Record<RecordAction, number>,
        review: Object.fromEntries(reviewStatuses.map((s) => [s, counts.data.review[s] ?? 0])) as Record<ReviewStatus, number>,
        warnings: counts.data.warnings, proposed: counts.data.proposed, total: counts.data.total,
      }
    : null;
  return { data, isPending: counts.isPending, error: counts.error };
}
export type TabCountsQuery = ReturnType<typeof useTabCounts>;

/** What one page of rows is asked with; the same object lives in the URL. */
export interface RowsView {
  action: RecordAction;
  review?: ReviewStatus;
  warnings: boolean;
  q: string;
  page: number;
}

export interface RowsPage {
  rows: StagedRow[];
  total: number;
}

/** A page of rows with the view it answers, so the page can say which tab and page it shows while the next loads. */
export interface ShownRows extends RowsPage {
  view: RowsView;
}

const samePageOf = (a: RowsView, b: RowsView) =>
  a.action === b.action && a.review === b.review && a.warnings === b.warnings && a.q === b.q;

export const rowsPath = (runId: number, view: Partial<RowsView>, size = pageSize) =>
  `${base}/staging/rows${query({
    jobId: runId, action: view.action, review: view.review, warnings: view.warnings ? 'true' : undefined,
    q: view.q || undefined, page: view.page ?? 1, pageSize: size,
  })}`;

export function useRows(runId: number, view: RowsView, enabled = true) {
  return useQuery({
    queryKey: reviewKeys.rows(runId, view),
    queryFn: async (): Promise<ShownRows> => ({ ...(await api.get<RowsPage>(rowsPath(runId, view))), view }),
    // the previous page stays while the next one loads; another tab or filter never shows the old rows
    placeholderData: (previous) => (previous && samePageOf(previous.view, view) ? keepPreviousData(previous) : undefined),
    enabled,
  });
}

export interface DiffEntry {
  field: string;
  staged: unknown;
  production: unknown;
  changed: boolean;
}

/** GET /staging/rows/:id: the row, the production record it would change (null for a new one), the diff, the match candidates. */
export interface RowDetail {
  row: StagedRow;
  production: Record<string, unknown> | null;
  diff: DiffEntry[];
  /** a fuzzy match's or a possible match's listings, most likely first; empty for the others */
  candidates: MatchCandidate[];
}

export function useRowDetail(runId: number, rowId: number | undefined) {
  return useQuery({
    queryKey: reviewKeys.row(runId, rowId ?? 0),
    queryFn: () => api.get<RowDetail>(`${base}/staging/rows/${rowId}`),
    enabled: rowId !== undefined,
  });
}

/** Approved rows per action and the rows that stay behind: what a promote would do. */
export interface PromotePlan {
  approved: Record<RecordAction, number>;
  pending: number;
  rejected: number;
}

export function usePromotePlan(runId: number, enabled: boolean) {
  return useQuery({
    queryKey: reviewKeys.approved(runId),
    enabled,
    staleTime: 0,
    queryFn: async (): Promise<PromotePlan> => {
      const counts = await api.get<StagingCounts>(`${base}/staging/counts${query({ jobId: runId })}`);
      return { approved: counts.approved, pending: counts.review.pending, rejected: counts.review.rejected };
    },
  });
}

/** POST /staging/review, checked against the server's own schema before it is sent. */
export function useDecision(runId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: Omit<ReviewBody, 'jobId'>) => {
      const parsed = reviewBody.safeParse({ ...body, jobId: runId });
      if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => issue.message).join('; '));
      return api.post<{ updated: number }>(`${base}/staging/review`, parsed.data);
    },
    onSettled: () => client.invalidateQueries({ queryKey: reviewKeys.all(runId) }),
  });
}

export function usePromote(runId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<{ jobId: number; status: string }>(`${base}/staging/promote`, { jobId: runId }),
    onSettled: () => client.invalidateQueries({ queryKey: reviewKeys.all(runId) }),
  });
}

/** Runs waiting for a person, newest first (one page of 100 is more than any team reviews at once). */
export function useRunsAwaitingReview() {
  return useQuery({
    queryKey: ['review', 'awaiting'],
    queryFn: () => api.get<{ jobs: RunResponse[] }>(`${base}/jobs${query({ status: 'awaiting_review', pageSize: 100 })}`),
    refetchInterval: 10_000,
  });
}
