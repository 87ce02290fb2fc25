// One CSV run driven through the HTTP API (executeStage → uploadStageFile → continue, then polling
// GET /jobs/:id) and timed from the start of the upload to `awaiting_review`.
import { performance } from 'node:perf_hooks';
import type { Job } from 'bullmq';
import type { PipelineContext } from '../src/context';
import { jobIds } from '../src/queues/names';
import type { BenchApi } from './api-client';
import { listingMapping } from './listings-csv';

export interface StepTimes {
  upload: number;
  import: number;
  transform: number;
  stage: number;
}

export interface RunTiming {
  runId: number;
  wallMs: number;
  steps: StepTimes;
  rawFiles: number;
  results: Record<string, number>;
}

export const pollMs = 50;

/** A DMO and an active CSV config with these config_params. */
export async function createCsvSource(api: BenchApi, name: string, configParams: Record<string, unknown>): Promise<{ dmoId: number; configId: number }> {
  const dmo = await api.post<{ id: number }>('/api/v1/pipeline/dmos', { name, dmo_type_id: 3 }, [201]);
  const config = await api.post<{ id: number }>('/api/v1/pipeline/configs', { dmo_id: dmo.id, source_type: 'csv', config_params: configParams }, [201]);
  return { dmoId: dmo.id, configId: config.id };
}

/** A source mapping the generated columns; each size gets its own, so each run is a first import. */
export async function createBenchSource(api: BenchApi, name: string): Promise<number> {
  const source = await createCsvSource(api, name, { import: { source_id_column: 'ID' }, transform: { map_fields: listingMapping } });
  return source.configId;
}

async function waitForStatus(api: BenchApi, runId: number, wanted: 'awaiting_review' | 'promoted', timeoutMs: number): Promise<any> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const run = await api.get(`/api/v1/pipeline/jobs/${runId}`);
    if (run.status === wanted) return run;
    if (!['queued', 'running', 'promoting'].includes(run.status)) {
      throw new Error(`run ${runId} ended ${run.status} instead of ${wanted}: ${run.error_summary ?? 'no error summary'}`);
    }
    if (performance.now() > deadline) {
      throw new Error(`run ${runId} is still ${run.status} after ${Math.round(timeoutMs / 1000)} s (${JSON.stringify(run.progress)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Time a job spent in its processor, from BullMQ's own timestamps. */
const activeMs = (jobs: (Job | undefined)[]): number => {
  const started = Math.min(...jobs.map((job) => job?.processedOn ?? NaN));
  const finished = Math.max(...jobs.map((job) => job?.finishedOn ?? NaN));
  return finished - started;
};

/**
 * The job record (GET /jobs/:id) says only which stage a run is in, not how long each took, so the
 * split comes from the run's BullMQ jobs, whose ids derive from the run. Transforms run in parallel:
 * their span is first start to last finish.
 */
async function stepTimes(ctx: PipelineContext, runId: number, uploadMs: number, rawFiles: number): Promise<StepTimes> {
  const seqs = Array.from({ length: rawFiles }, (_, i) => i + 1);
  const [importJob, stageJob, ...transforms] = await Promise.all([
    ctx.queues.import.getJob(jobIds.import(runId)),
    ctx.queues.stage.getJob(jobIds.stage(runId)),
    ...seqs.map((seq) => ctx.queues.transform.getJob(jobIds.transform(runId, seq))),
  ]);
  return { upload: uploadMs, import: activeMs([importJob]), transform: activeMs(transforms), stage: activeMs([stageJob]) };
}

/** A run under way: uploaded and continued, not yet staged. */
export interface StartedRun {
  runId: number;
  started: number;
  uploadMs: number;
}

/** executeStage → uploadStageFile → continue; the clock starts with the upload. */
export async function startTimedRun(api: BenchApi, configId: number, file: string): Promise<StartedRun> {
  const created = await api.post('/api/v1/pipeline/executeStage', { configId }, [200]);
  const runId = created.jobId as number;
  const started = performance.now();
  await api.uploadStageFile(runId, file);
  const uploadMs = performance.now() - started;
  await api.post('/api/v1/pipeline/executeStage', { jobId: runId, continue: true }, [202]);
  return { runId, started, uploadMs };
}

/** Waits for the started run to reach awaiting_review, and splits its time by step. */
export async function finishTimedRun(api: BenchApi, ctx: PipelineContext, { runId, started, uploadMs }: StartedRun, timeoutMs: number): Promise<RunTiming> {
  const run = await waitForStatus(api, runId, 'awaiting_review', timeoutMs);
  const wallMs = performance.now() - started;
  const files = await api.get<{ files: { kind: string }[] }>(`/api/v1/pipeline/jobs/${runId}/files`);
  const rawFiles = files.files.filter((f) => f.kind === 'raw').length;
  return { runId, wallMs, steps: await stepTimes(ctx, runId, uploadMs, rawFiles), rawFiles, results: run.results };
}

export async function timeCsvRun(api: BenchApi, ctx: PipelineContext, configId: number, file: string, timeoutMs: number): Promise<RunTiming> {
  return finishTimedRun(api, ctx, await startTimedRun(api, configId, file), timeoutMs);
}

/** Approves what the stage proposed and promotes it, as a reviewer would; returns the time from approving to promoted. */
export async function promoteRun(api: BenchApi, runId: number, timeoutMs: number): Promise<number> {
  const started = performance.now();
  await api.post('/api/v1/pipeline/staging/review', { jobId: runId, filter: { proposed: true }, decision: 'approve' }, [200]);
  await api.post('/api/v1/pipeline/staging/promote', { jobId: runId }, [202]);
  await waitForStatus(api, runId, 'promoted', timeoutMs);
  return performance.now() - started;
}
