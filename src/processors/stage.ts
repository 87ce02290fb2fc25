// Queue `stage`, the parent of a run's transforms: once every file is staged, decide duplicates,
// actions, deletions, proposals and counts in SQL, then hand the run to review (or promote it when
// the config says auto_promote and nothing needs a human). Geocoding and fuzzy matching come later.
import { inTransaction } from '../db/pool';
import { setRunProgress, transitionRun } from '../db/runs';
import * as stage from '../db/stage-run';
import { approveRows } from '../db/review';
import { enqueuePromote } from '../queues/run-flow';
import { loadRunStep, type Processor } from './processor';

export const stageProcessor: Processor<'stage'> = {
  queue: 'stage',
  async process(job, ctx) {
    const { runId } = job.data;
    const step = await loadRunStep(ctx, runId, ['running']);
    if (!step) return 'skipped';
    const { run, config } = step;
    await setRunProgress(ctx.db, runId, 'stage', 0, 1);

    const next = await inTransaction(ctx.db, async (client) => {
      await stage.resetStageDecisions(client, runId);
      await stage.markDuplicates(client, runId);
      await stage.computeActions(client, runId);
      if (config.import.full_snapshot) await stage.proposeDeletions(client, runId, run.dmo_id, config.import.max_delete_ratio);
      await stage.proposeRows(client, runId);
      await stage.countResults(client, runId);
      if (await stage.supersede(client, runId, run.config_id)) {
        await transitionRun(client, runId, ['running'], 'superseded', { stage: 'review', errorSummary: 'A newer run of this config was staged first' });
        return 'superseded' as const;
      }
      const unattended = config.promote.auto_promote && (await stage.rowsNeedingReview(client, runId)) === 0;
      if (unattended) {
        await approveRows(client, runId, { filter: { proposed: true } }, 'approve', null);
        await transitionRun(client, runId, ['running'], 'promoting', { stage: 'promote' });
        return 'promote' as const;
      }
      await transitionRun(client, runId, ['running'], 'awaiting_review', { stage: 'review' });
      return 'review' as const;
    });
    await setRunProgress(ctx.db, runId, next === 'promote' ? 'promote' : 'review', 1, 1);
    if (next === 'promote') await enqueuePromote(ctx, runId);
    return 'success';
  },
};
