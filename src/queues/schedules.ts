// Recurring work, as BullMQ job schedulers (no separate daemon): a config with a schedule is one on
// the import queue, keyed by the config's id, whose jobs are triggers: each starts a run of the config
// (waiting for its file when the source is a file), unless the config already has one in flight or
// waiting for a file. A daily one on the stage queue purges expired staged rows.
import { z } from 'zod';
import type { PipelineContext } from '../context';
import { getConfig, listConfigs, type ConfigRow } from '../db/configs';
import { purgeExpiredStagedRows } from '../db/retention';
import { createRun, RunInFlight, runWaitingForFile } from '../db/runs';
import { needsUpload } from '../domain/config-params';
import { cronPatternOf, isScheduled } from '../domain/schedule';
import { enqueueImport } from './run-flow';

/** The job name of a schedule's trigger on the import queue, and what it carries. */
export const scheduledImportJob = 'scheduled-import';
export const scheduledImportPayload = z.object({ configId: z.number().int().positive() });

/** The daily purge of staged rows past STAGING_RETENTION_DAYS, on the stage queue (04:30 in SCHEDULE_TIMEZONE). */
export const purgeStagingJob = 'purge-staging';
const purgePattern = '30 4 * * *';

const schedulerPrefix = 'config-';
const schedulerId = (configId: number) => `${schedulerPrefix}${configId}`;

/** Creates, changes or removes the config's job scheduler to match what the config says now. */
export async function syncConfigSchedule(ctx: PipelineContext, config: Pick<ConfigRow, 'id' | 'schedule' | 'active'> | null, configId: number) {
  if (!config || !isScheduled(config)) {
    await ctx.queues.import.removeJobScheduler(schedulerId(configId));
    return;
  }
  await ctx.queues.import.upsertJobScheduler(
    schedulerId(config.id),
    { pattern: cronPatternOf(config.schedule)!, tz: ctx.settings.SCHEDULE_TIMEZONE },
    { name: scheduledImportJob, data: { configId: config.id }, opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
  );
}

/** When one config's next scheduled run starts, or null for one without a schedule. */
export async function nextRunAt(ctx: PipelineContext, configId: number): Promise<Date | null> {
  const next = (await ctx.queues.import.getJobScheduler(schedulerId(configId)))?.next;
  return next ? new Date(next) : null;
}

/** When each scheduled config's next run starts, from one read of the schedulers. */
export async function nextRunsAt(ctx: PipelineContext): Promise<Map<number, Date>> {
  const next = new Map<number, Date>();
  for (const scheduler of await ctx.queues.import.getJobSchedulers()) {
    const id = scheduler.key.startsWith(schedulerPrefix) ? Number(scheduler.key.slice(schedulerPrefix.length)) : NaN;
    if (Number.isSafeInteger(id) && scheduler.next) next.set(id, new Date(scheduler.next));
  }
  return next;
}

/** At start: one scheduler per scheduled config, none for any other (no orphans, no duplicates). */
export async function reconcileSchedules(ctx: PipelineContext): Promise<{ scheduled: number; removed: number }> {
  const configs = await listConfigs(ctx.db);
  const wanted = new Set(configs.filter(isScheduled).map((config) => schedulerId(config.id)));
  let removed = 0;
  for (const scheduler of await ctx.queues.import.getJobSchedulers()) {
    if (scheduler.key.startsWith(schedulerPrefix) && !wanted.has(scheduler.key)) {
      await ctx.queues.import.removeJobScheduler(scheduler.key);
      removed += 1;
    }
  }
  for (const config of configs) if (isScheduled(config)) await syncConfigSchedule(ctx, config, config.id);
  await ctx.queues.stage.upsertJobScheduler(purgeStagingJob, { pattern: purgePattern, tz: ctx.settings.SCHEDULE_TIMEZONE },
    { name: purgeStagingJob, data: {}, opts: { removeOnComplete: { count: 30 }, removeOnFail: { count: 30 } } });
  return { scheduled: wanted.size, removed };
}

/**
 * A schedule's trigger: starts a run of the config with its config as it is now. One in flight, or one
 * already waiting for its file, answers for this trigger: nothing is piled up behind it.
 */
export async function startScheduledRun(ctx: PipelineContext, configId: number): Promise<number | null> {
  const config = await getConfig(ctx.db, configId);
  if (!config || !isScheduled(config)) return null; // changed since the trigger was made
  const needsFile = needsUpload(config.source_type, config.config_params);
  if (needsFile && (await runWaitingForFile(ctx.db, configId))) return null;
  try {
    const runId = await createRun(ctx.db, configId, needsFile ? 'waiting_for_input' : 'queued', null, 'schedule');
    if (!needsFile) await enqueueImport(ctx, runId);
    ctx.log.info({ configId, runId }, needsFile ? 'scheduled run waits for its file' : 'scheduled run started');
    return runId;
  } catch (error) {
    if (!(error instanceof RunInFlight)) throw error;
    ctx.log.info({ configId, runId: error.runId }, 'scheduled run not started: the config has one in flight');
    return null;
  }
}

/** The daily purge: staged rows of runs over for longer than STAGING_RETENTION_DAYS. */
export async function purgeStaging(ctx: PipelineContext): Promise<{ rows: number; runs: number }> {
  const purged = await purgeExpiredStagedRows(ctx.db, ctx.settings.STAGING_RETENTION_DAYS);
  ctx.log.info({ ...purged, retentionDays: ctx.settings.STAGING_RETENTION_DAYS }, 'purged the staged rows of expired runs');
  return purged;
}
