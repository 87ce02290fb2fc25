// How a run's steps are put on the queues, and what runs after each: import, then a stage parent
// waiting on one transform per raw file, then the run's image jobs (not waited for) and, after review
// or at once when unattended, promote.
// Job ids come from the run, so adding a step twice is harmless; transforms of all runs take turns
// (batchPriority). The whole flow of a run reads here.
import type { FlowJob, Job, JobsOptions } from 'bullmq';
import type { PipelineContext } from '../context';
import { getRun, runsToResume, type RunRow } from '../db/runs';
import { listFiles } from '../db/files';
import { pendingImageUrls, runsWithPendingImages, type ImageUrl } from '../db/images';
import { redactUrl } from '../http/errors';
import { jobIds, type QueueName } from './names';
import { batchPriority, jobOptionsOf } from './queues';

// FlowProducer does not apply a queue's defaults, so flow jobs get their queue's explicitly.
const flowJobOptions = (queue: 'stage' | 'transform'): JobsOptions => ({ ...jobOptionsOf[queue] });

export async function enqueueImport(ctx: PipelineContext, runId: number): Promise<void> {
  await ctx.queues.import.add('import', { runId }, { jobId: jobIds.import(runId) });
}

/** BullMQ ignores an add whose id exists: a failed job of that id goes first, so the step really runs. */
async function clearFailed(ctx: PipelineContext, queue: 'import' | 'stage' | 'promote', jobId: string): Promise<void> {
  const job = await ctx.queues[queue].getJob(jobId);
  if (job && (await job.isFailed())) await job.remove({ removeChildren: true });
}

export async function enqueueStageFlow(ctx: PipelineContext, runId: number, files: { id: number; seq: number }[]): Promise<void> {
  const children: FlowJob[] = files.map((file) => ({
    name: 'transform',
    queueName: 'transform',
    data: { runId, fileId: file.id, seq: file.seq },
    opts: { ...flowJobOptions('transform'), jobId: jobIds.transform(runId, file.seq), priority: batchPriority(file.seq), failParentOnFailure: true },
  }));
  await ctx.queues.flows.add({
    name: 'stage',
    queueName: 'stage',
    data: { runId },
    opts: { ...flowJobOptions('stage'), jobId: jobIds.stage(runId) },
    children,
  });
}

/**
 * One `image` job per URL of the run still to fetch, a page at a time. A re-fetch gives its jobs new
 * ids (`refetchAt`): the first job of a URL may be kept as completed, and an add of its id does nothing.
 */
export async function enqueueImageJobs(ctx: PipelineContext, runId: number, refetch?: { urls: ImageUrl[]; at: number },
  options: { replaceFinished?: boolean } = {}): Promise<number> {
  const s = ctx.settings;
  const add = async (urls: ImageUrl[]) => {
    // on resume: a URL whose first job is kept as finished (its images were left pending, its outcome
    // never recorded) gets that job removed, so the add below is not ignored
    if (options.replaceFinished) await removeFinishedImageJobs(ctx, runId, urls);
    await ctx.queues.image.addBulk(urls.map(({ urlKey, url }) => ({
      // the URL is for people reading Bull Board (its secrets redacted); the job goes by its key
      name: 'image', data: { runId, urlKey, url: redactUrl(url).slice(0, 2000) },
      opts: {
        ...jobOptionsOf.image, attempts: s.IMAGE_ATTEMPTS, backoff: { type: 'exponential', delay: s.IMAGE_RETRY_DELAY_MS },
        jobId: refetch ? jobIds.imageRefetch(runId, urlKey, refetch.at) : jobIds.image(runId, urlKey),
      },
    })));
  };
  if (refetch) {
    for (let i = 0; i < refetch.urls.length; i += imagePage) await add(refetch.urls.slice(i, i + imagePage));
    return refetch.urls.length;
  }
  let after = '';
  let queued = 0;
  for (;;) {
    const urls = await pendingImageUrls(ctx.db, runId, after, imagePage);
    if (!urls.length) return queued;
    await add(urls);
    queued += urls.length;
    after = urls[urls.length - 1]!.urlKey;
  }
}

const imagePage = 1_000;

async function removeFinishedImageJobs(ctx: PipelineContext, runId: number, urls: ImageUrl[]): Promise<void> {
  for (const { urlKey } of urls) {
    const job = await ctx.queues.image.getJob(jobIds.image(runId, urlKey));
    if (job && ['completed', 'failed'].includes(await job.getState())) await job.remove().catch(() => undefined);
  }
}

export async function enqueuePromote(ctx: PipelineContext, runId: number): Promise<void> {
  await ctx.queues.promote.add('promote', { runId }, { jobId: jobIds.promote(runId) });
}

/**
 * What runs after a step, chosen from the run's status: the one place that chooses. Called after a
 * skipped step too (its work may have committed on an earlier try whose hand-on failed), so each
 * hand-on is idempotent: job ids derive from the run.
 */
export async function onStepDone(ctx: PipelineContext, queue: QueueName, runId: number): Promise<void> {
  const status = (await getRun(ctx.db, runId))?.status;
  switch (queue) {
    case 'import':
      // a run cancelled while its import ran stops here
      if (status === 'running') await enqueueStageFlow(ctx, runId, await listFiles(ctx.db, runId, 'raw'));
      return;
    case 'stage':
      // the images of new or changed lists are fetched meanwhile: review does not wait for them
      if (status === 'awaiting_review' || status === 'promoting') await enqueueImageJobs(ctx, runId);
      // staged for review waits for a person; unattended (auto_promote) goes on at once
      if (status === 'promoting') await enqueuePromote(ctx, runId);
      return;
    case 'transform': {
      // the stage parent runs when its last transform is done; one that failed with a transform (a
      // transform retried by hand, which moved the run back to running) is retried in turn, and runs
      // once every transform has completed. A transform finishing after its run failed does nothing.
      if (status !== 'running') return;
      const parent = await ctx.queues.stage.getJob(jobIds.stage(runId));
      if (parent && (await parent.isFailed())) await parent.retry('failed').catch(() => undefined);
      return;
    }
    case 'geocode':
    case 'image':
    case 'promote': // the run is promoted
      return;
  }
}

/** Puts a moving run's current step on its queue again, from what PostgreSQL says of it. */
export async function resumeRun(ctx: PipelineContext, run: Pick<RunRow, 'id' | 'status' | 'imported_at'>): Promise<void> {
  if (run.status === 'promoting') {
    await clearFailed(ctx, 'promote', jobIds.promote(run.id));
    await enqueuePromote(ctx, run.id);
  } else if (run.status === 'queued' || !run.imported_at) {
    await clearFailed(ctx, 'import', jobIds.import(run.id));
    await enqueueImport(ctx, run.id);
  } else if (run.status === 'running') {
    await clearFailed(ctx, 'stage', jobIds.stage(run.id));
    await enqueueStageFlow(ctx, run.id, await listFiles(ctx.db, run.id, 'raw'));
  }
}

/**
 * After Redis was lost (or emptied), PostgreSQL still knows which runs were moving: enqueue their
 * next step again. Steps resume from what staging already holds; existing jobs make this a no-op.
 */
export async function resumeRuns(ctx: PipelineContext): Promise<number> {
  const runs = await runsToResume(ctx.db);
  for (const run of runs) await resumeRun(ctx, run);
  // images are not a step of the run: a run waiting for review may still have some to fetch
  for (const runId of await runsWithPendingImages(ctx.db)) await enqueueImageJobs(ctx, runId, undefined, { replaceFinished: true });
  return runs.length;
}

/** Every BullMQ job a run may have, by its derived id. */
async function runJobs(ctx: PipelineContext, runId: number): Promise<Job[]> {
  const files = await listFiles(ctx.db, runId, 'raw');
  const jobs = await Promise.all([
    ctx.queues.import.getJob(jobIds.import(runId)),
    ctx.queues.stage.getJob(jobIds.stage(runId)),
    ctx.queues.promote.getJob(jobIds.promote(runId)),
    ...files.map((file) => ctx.queues.transform.getJob(jobIds.transform(runId, file.seq))),
  ]);
  return jobs.filter((job): job is Job => job !== undefined);
}

/**
 * Removes a cancelled run's jobs that have not started. One a worker holds cannot be removed (BullMQ
 * keeps its lock): it finds the run cancelled at its next check and stops there.
 */
export async function removeRunJobs(ctx: PipelineContext, runId: number): Promise<void> {
  for (const job of await runJobs(ctx, runId)) {
    await job.remove({ removeChildren: true }).catch(() => undefined);
  }
}

/** The run's jobs that wait to start (waiting, delayed, prioritized): a failed run's siblings never run. */
export async function removeWaitingRunJobs(ctx: PipelineContext, runId: number): Promise<void> {
  for (const job of await runJobs(ctx, runId)) {
    if (['waiting', 'delayed', 'prioritized'].includes(await job.getState())) await job.remove().catch(() => undefined);
  }
}

/** Jobs of the run that a worker holds now: a retry waits until they stopped. */
export async function activeRunJobs(ctx: PipelineContext, runId: number): Promise<string[]> {
  const active: string[] = [];
  for (const job of await runJobs(ctx, runId)) if (await job.isActive()) active.push(job.id ?? '');
  return active;
}

/** A failed run's failed jobs keep their ids: they go, so a retry can add the same ids again. */
export async function removeFailedRunJobs(ctx: PipelineContext, runId: number): Promise<void> {
  for (const job of await runJobs(ctx, runId)) {
    if (await job.isFailed()) await job.remove({ removeChildren: true }).catch(() => undefined);
  }
}
