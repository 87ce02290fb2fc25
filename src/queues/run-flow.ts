// How a run's steps are put on the queues: import, then a stage parent waiting on one transform per
// raw file, then (after review) promote. Ids come from the run, so adding a step twice is harmless.
import type { FlowJob, JobsOptions } from 'bullmq';
import type { PipelineContext } from '../context';
import { runsToResume } from '../db/runs';
import { listFiles } from '../db/files';
import { jobIds } from './names';
import { defaultJobOptions } from './queues';

// FlowProducer does not apply a queue's defaults, so flow jobs get the same ones explicitly.
const flowJobOptions: JobsOptions = {
  attempts: defaultJobOptions.attempts,
  backoff: defaultJobOptions.backoff,
  removeOnComplete: defaultJobOptions.removeOnComplete,
  removeOnFail: defaultJobOptions.removeOnFail,
};

export async function enqueueImport(ctx: PipelineContext, runId: number): Promise<void> {
  await ctx.queues.import.add('import', { runId }, { jobId: jobIds.import(runId) });
}

export async function enqueueStageFlow(ctx: PipelineContext, runId: number, files: { id: number; seq: number }[]): Promise<void> {
  const children: FlowJob[] = files.map((file) => ({
    name: 'transform',
    queueName: 'transform',
    data: { runId, fileId: file.id, seq: file.seq },
    opts: { ...flowJobOptions, jobId: jobIds.transform(runId, file.seq), failParentOnFailure: true },
  }));
  await ctx.queues.flows.add({
    name: 'stage',
    queueName: 'stage',
    data: { runId },
    opts: { ...flowJobOptions, jobId: jobIds.stage(runId) },
    children,
  });
}

export async function enqueuePromote(ctx: PipelineContext, runId: number): Promise<void> {
  await ctx.queues.promote.add('promote', { runId }, { jobId: jobIds.promote(runId) });
}

/**
 * After Redis was lost (or emptied), PostgreSQL still knows which runs were moving: enqueue their
 * next step again. Steps resume from what staging already holds; existing jobs make this a no-op.
 */
export async function resumeRuns(ctx: PipelineContext): Promise<number> {
  const runs = await runsToResume(ctx.db);
  for (const run of runs) {
    if (run.status === 'promoting') await enqueuePromote(ctx, run.id);
    else if (!run.imported_at) await enqueueImport(ctx, run.id);
    else {
      const files = await listFiles(ctx.db, run.id, 'raw');
      await enqueueStageFlow(ctx, run.id, files);
    }
  }
  return runs.length;
}
