// Queue `stage`, the parent of a run's transforms: once every file is staged, decide duplicates,
// actions, deletions, proposals and counts in SQL, then hand the run to review (or promote it when
// the config says auto_promote and nothing needs a human). Geocoding and fuzzy matching come later.
import { inTransaction, type DbClient } from '../db/pool';
import { applyRunEvent, setRunProgress } from '../db/runs';
import * as stage from '../db/stage-run';
import { approveRows } from '../db/review';
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
    if (unfinished > 0) {
      throw new RunFailure(`${unfinished} of the run's transform jobs did not finish: retry the failed transform (or the run), not the stage`);
    }
    await setRunProgress(ctx.db, runId, 'stage', 0, 1);

    const next = await inTransaction(ctx.db, async (client) => {
      await stage.resetStageDecisions(client, runId);
      await stage.markDuplicates(client, runId);
      await stage.computeActions(client, runId);
      if (config.import.full_snapshot) await stage.proposeDeletions(client, runId, run.dmo_id, config.import.max_delete_ratio);
      await stage.proposeRows(client, runId);
      await stage.countResults(client, runId);
      const handedTo = await handOn(client, step);
      // in the same transaction as the new status, so nobody sees a reviewable run at 0 %
      if (handedTo) await setRunProgress(client, runId, handedTo === 'promote' ? 'promote' : 'review', 1, 1);
      return handedTo;
    });
    // what runs next (promote, when unattended) is chosen in run-flow.ts
    return next ? 'success' : 'skipped';
  },
};

/**
 * The run's next status after staging: superseded, straight to promote, or awaiting review; null when
 * the run left `running` meanwhile (a cancel won), and nothing is handed on.
 */
async function handOn(client: DbClient, { run, config }: RunStep): Promise<'superseded' | 'promote' | 'review' | null> {
  if (await stage.supersede(client, run.id, run.config_id)) {
    const move = await applyRunEvent(client, run.id, 'staged_after_newer', { stage: 'review', errorSummary: 'A newer run of this config was staged first' });
    return move.moved ? 'superseded' : null;
  }
  const unattended = config.promote.auto_promote && (await stage.rowsNeedingReview(client, run.id)) === 0;
  if (unattended) {
    await approveRows(client, run.id, { filter: { proposed: true } }, 'approve', null);
    return (await applyRunEvent(client, run.id, 'staged_unattended', { stage: 'promote' })).moved ? 'promote' : null;
  }
  return (await applyRunEvent(client, run.id, 'staged_for_review', { stage: 'review' })).moved ? 'review' : null;
}
