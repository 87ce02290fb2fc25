// What the Runs pages read from the server, and the rules they show: which runs are in flight (and so
// are polled), which actions a status allows, which BullMQ jobs a run has.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { ConfigBody, DmoBody } from '@contract/sources';
import type { errorsPage, FilePreview, JobFile, RunResponse, RunStatus } from '@contract/runs';
import type { z } from 'zod';
import { api, query } from '../../app/api';

export type ErrorsPage = z.infer<typeof errorsPage>;

/** A config as the list shows it: its id, name and DMO. */
export type ConfigSummary = Pick<ConfigBody, 'dmo_id' | 'name' | 'source_type' | 'config_params'> & { id: number };
export type DmoSummary = Pick<DmoBody, 'name'> & { id: number };

/** How often a run in flight is asked for again. */
export const pollMs = 1500;

/** Runs whose numbers are still moving: pages poll only while one of these is on screen. */
export const inFlightStatuses: readonly RunStatus[] = ['queued', 'running', 'promoting'];
export const isInFlight = (status: RunStatus) => inFlightStatuses.includes(status);

// The run lifecycle of DESIGN.md, as far as the buttons go; the server checks again and answers 409.
export const retryableStatuses: readonly RunStatus[] = ['failed'];
export const cancellableStatuses: readonly RunStatus[] = ['waiting_for_input', 'queued', 'running', 'awaiting_review'];
export const discardableStatuses: readonly RunStatus[] = ['awaiting_review', 'failed', 'superseded'];

export const runsKey = (filter: { configId?: number; status?: RunStatus; page: number }) => ['runs-page', 'list', filter] as const;
export const runKey = (id: number) => ['runs-page', 'run', id] as const;
const configsKey = ['runs-page', 'configs'] as const;
const dmosKey = ['runs-page', 'dmos'] as const;

export const pageSize = 50;

export function useRuns(filter: { configId?: number; status?: RunStatus; page: number }) {
  return useQuery({
    queryKey: runsKey(filter),
    queryFn: () =>
      api.get<{ jobs: RunResponse[] }>(`/api/v1/pipeline/jobs${query({ ...filter, pageSize })}`),
    placeholderData: keepPreviousData,
    // an idle list does not poll
    refetchInterval: (q) => (q.state.data?.jobs.some((run) => isInFlight(run.status)) ? pollMs : false),
  });
}

export function useRun(id: number) {
  return useQuery({
    queryKey: runKey(id),
    queryFn: () => api.get<RunResponse>(`/api/v1/pipeline/jobs/${id}`),
    refetchInterval: (q) => (q.state.data && isInFlight(q.state.data.status) ? pollMs : false),
  });
}

/** Configs and DMOs by id, fetched once for the names on the page. */
export function useSourceNames() {
  const configs = useQuery({
    queryKey: configsKey,
    queryFn: () => api.get<{ configs: ConfigSummary[] }>('/api/v1/pipeline/configs'),
    staleTime: 5 * 60_000,
  });
  const dmos = useQuery({
    queryKey: dmosKey,
    queryFn: () => api.get<{ dmos: DmoSummary[] }>('/api/v1/pipeline/dmos'),
    staleTime: 5 * 60_000,
  });
  const configById = new Map((configs.data?.configs ?? []).map((config) => [config.id, config]));
  const dmoById = new Map((dmos.data?.dmos ?? []).map((dmo) => [dmo.id, dmo]));
  return {
    configs: configs.data?.configs ?? [],
    configName: (id: number) => configById.get(id)?.name || `#${id}`,
    dmoName: (id: number) => dmoById.get(id)?.name ?? `DMO #${id}`,
  };
}

/**
 * The files and errors change while a run moves on: they are fetched again when its status or stage
 * changes, and every poll while it is in flight.
 */
export function useRunFiles(run: RunResponse) {
  return useQuery({
    queryKey: [...runKey(run.id), 'files', run.status, run.stage],
    queryFn: () => api.get<{ files: JobFile[] }>(`/api/v1/pipeline/jobs/${run.id}/files`),
    placeholderData: keepPreviousData,
    refetchInterval: isInFlight(run.status) ? pollMs : false,
  });
}

export function useRunErrors(run: RunResponse, page: number, size: number) {
  return useQuery({
    queryKey: [...runKey(run.id), 'errors', page, size, run.status, run.stage],
    queryFn: () => api.get<ErrorsPage>(`/api/v1/pipeline/jobs/${run.id}/errors${query({ page, pageSize: size })}`),
    placeholderData: keepPreviousData,
    refetchInterval: isInFlight(run.status) ? pollMs : false,
  });
}

export function useFilePreview(runId: number, fileId: number | null, limit = 20) {
  return useQuery({
    queryKey: [...runKey(runId), 'preview', fileId, limit],
    queryFn: () => api.get<FilePreview>(`/api/v1/pipeline/jobs/${runId}/files/${fileId}/preview${query({ limit })}`),
    enabled: fileId !== null,
    staleTime: Infinity,
  });
}

export const fileDownloadUrl = (runId: number, fileId: number) => `/api/v1/pipeline/jobs/${runId}/files/${fileId}/download`;
export const errorsCsvUrl = (runId: number) => `/api/v1/pipeline/jobs/${runId}/errors.csv`;

// ---------------------------------------------------------------- Bull Board

const bullBoard = '/admin/queues';

export interface QueueJobLink {
  label: string;
  href: string;
}

/**
 * The BullMQ jobs this run has had, by the deterministic ids of src/queues/names.ts (`run-12-import`,
 * `run-12-transform-3`, `run-12-stage`, `run-12-promote`): an import once the run left
 * waiting_for_input, one transform per raw file and a stage once the import wrote them, a promote once
 * promotion was asked for.
 */
export function queueJobLinks(run: RunResponse, files: JobFile[]): QueueJobLink[] {
  const link = (label: string, queue: string, jobId: string) => ({ label, href: `${bullBoard}/queue/${queue}/${encodeURIComponent(jobId)}` });
  const links: QueueJobLink[] = [];
  const imported = run.started_at !== null || run.status === 'queued';
  if (!imported) return links;
  links.push(link('Import', 'import', `run-${run.id}-import`));
  const raw = files.filter((file) => file.kind === 'raw').sort((a, b) => a.seq - b.seq);
  for (const file of raw) links.push(link(`Transform, file ${file.seq}`, 'transform', `run-${run.id}-transform-${file.seq}`));
  if (raw.length && run.stage !== 'import') links.push(link('Stage', 'stage', `run-${run.id}-stage`));
  if (run.stage === 'promote') links.push(link('Promote', 'promote', `run-${run.id}-promote`));
  return links;
}
