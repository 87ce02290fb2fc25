// The Sources page's reads and writes, through the app's one HTTP client.
import { useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import type { ExecuteStageResponse, FilePreview, JobFile, RunResponse } from '@contract/runs';
import type { pendingRunsChoice } from '@contract/sources';
import { api, query } from '../../app/api';
import type { Config, Dmo } from './model';

const base = '/api/v1/pipeline';

export const sourcesKeys = {
  dmos: ['pipeline', 'dmos'] as const,
  configs: ['pipeline', 'configs'] as const,
  config: (id: number) => ['pipeline', 'configs', id] as const,
  lastRun: (configId: number) => ['pipeline', 'jobs', 'last-of-config', configId] as const,
};

export function useDmos() {
  return useQuery({ queryKey: sourcesKeys.dmos, queryFn: async () => (await api.get<{ dmos: Dmo[] }>(`${base}/dmos`)).dmos });
}

export function useConfigs() {
  return useQuery({ queryKey: sourcesKeys.configs, queryFn: async () => (await api.get<{ configs: Config[] }>(`${base}/configs`)).configs });
}

export function useConfig(id: number | null) {
  return useQuery({
    queryKey: sourcesKeys.config(id ?? 0),
    queryFn: () => api.get<Config>(`${base}/configs/${id}`),
    enabled: id !== null,
  });
}

/** Each config's newest run (one small request per config: /jobs lists newest first). */
export function useLastRuns(configIds: number[]) {
  return useQueries({
    queries: configIds.map((configId) => ({
      queryKey: sourcesKeys.lastRun(configId),
      queryFn: async () => (await api.get<{ jobs: RunResponse[] }>(`${base}/jobs${query({ configId, pageSize: 1 })}`)).jobs[0] ?? null,
      staleTime: 10_000,
    })),
    combine: (results) => new Map(configIds.map((id, i) => [id, results[i]?.data] as const)),
  });
}

/**
 * The columns of the file last uploaded to one of the config's recent runs, so an existing config's
 * mapping is edited by choosing from the real headers; null when no recent run has a file.
 */
export function useLastUploadColumns(configId: number | null) {
  return useQuery({
    queryKey: ['pipeline', 'configs', configId ?? 0, 'last-upload-columns'],
    enabled: configId !== null,
    staleTime: 60_000,
    retry: false,
    queryFn: async () => {
      const { jobs } = await api.get<{ jobs: RunResponse[] }>(`${base}/jobs${query({ configId, pageSize: 5 })}`);
      for (const run of jobs) {
        const { files } = await api.get<{ files: JobFile[] }>(`${base}/jobs/${run.id}/files`);
        const uploaded = files.find((file) => file.kind === 'upload');
        if (!uploaded) continue;
        const preview = await api.get<FilePreview>(`${base}/jobs/${run.id}/files/${uploaded.id}/preview${query({ limit: 1 })}`);
        return { runId: run.id, fileName: uploaded.original_name ?? 'the uploaded file', columns: preview.columns };
      }
      return null;
    },
  });
}

export function useRefreshSources() {
  const client = useQueryClient();
  return () =>
    Promise.all([
      client.invalidateQueries({ queryKey: sourcesKeys.dmos }),
      client.invalidateQueries({ queryKey: sourcesKeys.configs }),
      client.invalidateQueries({ queryKey: ['pipeline', 'jobs'] }),
    ]);
}

export const sourcesApi = {
  createDmo: (body: unknown) => api.post<Dmo>(`${base}/dmos`, body),
  updateDmo: (id: number, body: unknown) => api.patch<Dmo>(`${base}/dmos/${id}`, body),
  deleteDmo: (id: number) => api.delete<{ deleted: number }>(`${base}/dmos/${id}`),
  createConfig: (body: unknown) => api.post<Config>(`${base}/configs`, body),
  updateConfig: (id: number, body: Record<string, unknown>, onPendingRuns?: PendingRunsChoice) =>
    api.patch<Config>(`${base}/configs/${id}`, onPendingRuns ? { ...body, on_pending_runs: onPendingRuns } : body),
  deleteConfig: (id: number, onPendingRuns?: PendingRunsChoice) =>
    api.delete<{ deleted: number }>(`${base}/configs/${id}`, onPendingRuns ? { on_pending_runs: onPendingRuns } : undefined),
  suggestMappingPath: `${base}/configs/suggest-mapping`,
  runNow: (configId: number) => api.post<ExecuteStageResponse>(`${base}/executeStage`, { configId }),
};

export type PendingRunsChoice = z.infer<typeof pendingRunsChoice>;
