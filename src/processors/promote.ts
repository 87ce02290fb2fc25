// Queue `promote`, one job per run: apply the approved rows in bounded transactions until none is
// left, then record promote_results. A crash resumes with the first batch not yet committed.
import { inTransaction, type Queryable } from '../db/pool';
import { nextPromoteBatch, promoteBatch, promoteResults } from '../db/promote';
import { applyRunEvent, setRunProgress } from '../db/runs';
import { rowsProcessed } from '../metrics';
import { loadRunStep, type Processor } from './processor';

/** Approved rows per transaction: about 2 MB of listing rows (DESIGN.md's batch size), as transform's. */
export const promoteBatchSize = 2_000;

/** The run's approved rows, and how many of them are promoted. */
async function approvedRows(db: Queryable, runId: number): Promise<{ total: number; done: number }> {
  const { rows } = await db.query<{ total: number; done: number }>(
    `SELECT count(*)::int AS total, count(promoted_at)::int AS done FROM staging.rows WHERE job_id = $1 AND review_status = 'approved'`,
    [runId],
  );
  return rows[0]!;
}

export const promoteProcessor: Processor<'promote'> = {
  queue: 'promote',
  async process(job, ctx) {
    const { runId } = job.data;
    const step = await loadRunStep(ctx, runId, ['promoting']);
    if (!step) return 'skipped';
    const { config } = step;
    let { done, total } = await approvedRows(ctx.db, runId);
    await setRunProgress(ctx.db, runId, 'promote', done, total);
    let afterId = 0;
    for (;;) {
      const applied = await inTransaction(ctx.db, async (client) => {
        const ids = await nextPromoteBatch(client, runId, promoteBatchSize, afterId);
        if (ids.length) await promoteBatch(client, runId, ids, config.promote, ctx.settings.IMAGE_SIMILAR_BITS);
        return ids;
      }).then((ids) => {
        afterId = ids[ids.length - 1] ?? afterId;
        return ids.length;
      });
      if (!applied) {
        if (afterId === 0) break;
        // one more pass from the start before the run is called promoted: a row approved behind the
        // cursor meanwhile is not left out (the review route holds the run while it decides)
        afterId = 0;
        continue;
      }
      done += applied;
      rowsProcessed.inc({ step: 'promote', result: 'applied' }, applied);
      await setRunProgress(ctx.db, runId, 'promote', done, total);
    }
    // counted again: `done` counts this worker's batches only, and when two ran the job at once (one
    // whose lock lapsed while it still ran) the last to write its own count would leave it short
    ({ done, total } = await approvedRows(ctx.db, runId));
    await setRunProgress(ctx.db, runId, 'promote', done, total);
    const results = await promoteResults(ctx.db, runId);
    await ctx.db.query('UPDATE pipeline.jobs SET promote_results = $2 WHERE id = $1', [runId, JSON.stringify(results)]);
    return (await applyRunEvent(ctx.db, runId, 'promote_finished', { stage: 'promote' })).moved ? 'success' : 'skipped';
  },
};
