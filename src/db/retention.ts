// Retention (DESIGN.md): the staged rows of runs that are over (promoted, cancelled, superseded) go
// after STAGING_RETENTION_DAYS, in bounded batches; the runs, their results, errors and files stay.
import type { RunStatus } from '../domain/run-lifecycle';
import type { Queryable } from './pool';

/** Runs whose staged rows are only history once they are this old. */
export const purgeableStatuses: readonly RunStatus[] = ['promoted', 'cancelled', 'superseded'];

/**
 * Deletes up to batchSize staged rows at a time (one short statement each, so review of other runs is
 * never held up) until none of an expired run is left. Returns how many rows went, from how many runs.
 */
export async function purgeExpiredStagedRows(db: Queryable, retentionDays: number, batchSize = 5_000): Promise<{ rows: number; runs: number }> {
  const { rows: expired } = await db.query<{ id: string }>(
    `SELECT j.id FROM pipeline.jobs j
      WHERE j.status = ANY($1::text[]) AND j.finished_at < now() - make_interval(days => $2)
        AND EXISTS (SELECT 1 FROM staging.rows r WHERE r.job_id = j.id)
      ORDER BY j.id`,
    [purgeableStatuses, retentionDays],
  );
  let deleted = 0;
  for (const { id } of expired) {
    for (;;) {
      const result = await db.query(
        `DELETE FROM staging.rows WHERE id IN (SELECT id FROM staging.rows WHERE job_id = $1 LIMIT $2)`,
        [id, batchSize],
      );
      deleted += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < batchSize) break;
    }
  }
  return { rows: deleted, runs: expired.length };
}
