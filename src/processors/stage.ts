// Queue `stage`, the parent of a run's transforms: once every file is staged, geocode what lacks
// coordinates (parking on geocode child jobs for a network provider), fuzzy-match what is still
// unmatched, then decide duplicates, actions, deletions, proposals and counts in SQL, stage the images
// of new or changed lists, and hand the run to review (or promote it when the config says auto_promote and nothing needs a human).
import { inTransaction, type DbClient } from '../db/pool';
import { applyRunEvent, setRunProgress, supersedeOlderRuns } from '../db/runs';
import * as stage from '../db/stage-run';
import { fuzzyMatch, resetFuzzyMatches } from '../db/stage-match';
import { approveRows } from '../db/review';
import { stageRunImages } from '../db/images';
import { geocodeRun } from './stage-geocoding';
import { rowsProcessed } from '../metrics';
import { loadRunStep, RunFailure, type Processor, type RunStep } from './processor';

export const stageProcessor: Processor<'stage'> = {
  queue: 'stage',
  async process(job, ctx) {
    const { runId } = job.data;
    const step = await loadRunStep(ctx, runId, ['running']);
    if (!step) return 'skipped';
    const { run, config } = step;
    // a stage retried by hand while a transform had failed would decide on part of the run's records
    const unfinished = await job.unfinishedChildren();
    if (unfinished.count > 0) {
      const why = unfinished.failures.length ? ` (${unfinished.failures.join('; ')})` : '';
      throw new RunFailure(`${unfinished.count} of the run's transform jobs did not finish${why}: retry the failed transform (or the run), not the stage`);
    }
    await setRunProgress(ctx.db, runId, 'stage', 0, 1);
    if ((await geocodeRun(ctx, step, job)) === 'waiting') return 'waiting';

    const staged = await inTransaction(ctx.db, async (client) => {
      await stage.resetStageDecisions(client, runId);
      await resetFuzzyMatches(client, runId);
      await fuzzyMatch(client, runId, config.stage, { search: ctx.db });
      await stage.markDuplicates(client, runId);
      await stage.computeActions(client, runId, { fuzzyMatches: true });
      if (config.import.full_snapshot) await stage.proposeDeletions(client, runId, run.dmo_id, config.import.max_delete_ratio);
      else if (config.import.unseen_runs_before_delete > 0) {
        await stage.recordSightings(client, runId, run.config_id, run.dmo_id);
        await stage.proposeDeletions(client, runId, run.dmo_id, config.import.max_delete_ratio,
          { configId: run.config_id, runs: config.import.unseen_runs_before_delete });
      }
      await stage.proposeRows(client, runId);
      // (d) the images of new or changed lists; their jobs are queued once this commits (run-flow.ts)
      await stageRunImages(client, runId);
      const counts = await stage.countResults(client, runId);
      const handedTo = await handOn(client, step);
      // in the same transaction as the new status, so nobody sees a reviewable run at 0 %
      await setRunProgress(client, runId, handedTo === 'promote' ? 'promote' : 'review', 1, 1);
      return counts;
    }).catch((error: unknown) => {
      // the run moved on meanwhile (a cancel won): everything this step wrote is rolled back
      if (error instanceof RunMovedOn) return null;
      throw error;
    });
    if (!staged) return 'skipped';
    // counted once committed: a stage that rolled back staged nothing
    for (const [action, count] of Object.entries(staged)) rowsProcessed.inc({ step: 'stage', result: action }, count);
    // what runs next (promote, when unattended) is chosen in run-flow.ts
    return 'success';
  },
};

/** The run left `running` while it was staged (a cancel won): the stage's transaction rolls back. */
class RunMovedOn extends Error {}

/**
 * The run's next status after staging: superseded, straight to promote, or awaiting review. The run's
 * own move comes first, so a stage that lost to a cancel changes nothing, not even older runs.
 */
async function handOn(client: DbClient, { run, config }: RunStep): Promise<'superseded' | 'promote' | 'review'> {
  const move = async (event: Parameters<typeof applyRunEvent>[2], extra: Parameters<typeof applyRunEvent>[3]) => {
    if (!(await applyRunEvent(client, run.id, event, extra)).moved) throw new RunMovedOn();
  };
  if (await stage.newerRunStaged(client, run.id, run.config_id)) {
    await move('staged_after_newer', { stage: 'review', errorSummary: 'A newer run of this config was staged first' });
    return 'superseded';
  }
  const unattended = config.promote.auto_promote && (await stage.rowsNeedingReview(client, run.id)) === 0;
  if (unattended) {
    await move('staged_unattended', { stage: 'promote' });
    await approveRows(client, run.id, { filter: { proposed: true } }, 'approve', null);
  } else {
    await move('staged_for_review', { stage: 'review' });
  }
  await supersedeOlderRuns(client, run.config_id, run.id);
  return unattended ? 'promote' : 'review';
}
