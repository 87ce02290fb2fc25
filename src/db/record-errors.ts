// pipeline.job_errors: records a step could not take, with where and why.
import type { JobError } from '../contract/runs';
import type { Queryable } from './pool';

export interface RecordError {
  file_id?: number | null;
  file_seq?: number | null;
  rec_num?: number | null;
  line?: number | null;
  field?: string | null;
  source_id?: string | null;
  error_type: 'parse_error' | 'validation_error';
  error_message: string;
  original_record?: unknown;
}

/** Logs errors once (a retry's repeats are dropped); returns how many records were newly logged. */
export async function recordErrors(db: Queryable, runId: number, errors: RecordError[]): Promise<number> {
  if (!errors.length) return 0;
  const { rows } = await db.query<{ records: number }>(
    `WITH added AS (
     INSERT INTO pipeline.job_errors (job_id, file_id, file_seq, rec_num, line, field, source_id, error_type, error_message, original_record)
     SELECT $1, e.file_id, e.file_seq, e.rec_num, e.line, e.field, e.source_id, e.error_type, e.error_message, e.original_record
       FROM jsonb_to_recordset($2::jsonb) AS e(file_id bigint, file_seq int, rec_num int, line int, field text, source_id text,
                                               error_type text, error_message text, original_record jsonb)
     ON CONFLICT (job_id, file_seq, rec_num, field) WHERE rec_num IS NOT NULL DO NOTHING
     RETURNING file_seq, rec_num)
     SELECT count(DISTINCT (file_seq, rec_num)) FILTER (WHERE rec_num IS NOT NULL)::int AS records FROM added`,
    [runId, JSON.stringify(errors)],
  );
  return rows[0]!.records;
}

/** A retried import writes its parse errors again. */
export async function deleteImportErrors(db: Queryable, runId: number): Promise<void> {
  await db.query(`DELETE FROM pipeline.job_errors WHERE job_id = $1 AND error_type = 'parse_error'`, [runId]);
}

type JobErrorRecord = Omit<JobError, 'created_at'> & { created_at: Date };

// The source column of the error's field under the run's snapshot mapping (job_configs c), and its value
const fieldColumn = `c.config_params #>> ARRAY['transform', 'map_fields', e.field]`;
const fieldValue = `e.original_record ->> (${fieldColumn})`;

export async function listErrors(db: Queryable, runId: number, limit: number, offset: number): Promise<{ errors: JobError[]; total: number }> {
  const { rows } = await db.query<JobErrorRecord>(
    `SELECT e.id, e.file_id, e.file_seq, e.rec_num, e.line, e.field, e.error_type, e.error_message, e.original_record,
            ${fieldColumn} AS column, ${fieldValue} AS value, e.created_at
       FROM pipeline.job_errors e LEFT JOIN pipeline.job_configs c ON c.job_id = e.job_id
      WHERE e.job_id = $1 ORDER BY e.line NULLS LAST, e.id LIMIT $2 OFFSET $3`,
    [runId, limit, offset],
  );
  const total = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pipeline.job_errors WHERE job_id = $1', [runId]);
  return { errors: rows.map((row) => ({ ...row, created_at: row.created_at.toISOString() })), total: total.rows[0]!.n };
}

/** A logged error as the CSV export writes it: `value` is what the record held in the field's mapped column. */
export interface ExportedError {
  id: number;
  line: number | null;
  field: string | null;
  error_message: string;
  value: string | null;
  original_record: Record<string, unknown> | null;
}

/**
 * Every error of a run in the order it was logged, fetched a batch at a time by id (the index
 * job_errors_job_idx): a run of a million bad lines streams out without being held, and no connection
 * is kept between batches however slowly the client reads.
 */
export async function* exportErrors(db: Queryable, runId: number, batchSize = 1_000): AsyncGenerator<ExportedError> {
  let after = 0;
  for (;;) {
    const { rows } = await db.query<ExportedError>(
      `SELECT e.id, e.line, e.field, e.error_message, e.original_record,
              ${fieldValue} AS value
         FROM pipeline.job_errors e
         LEFT JOIN pipeline.job_configs c ON c.job_id = e.job_id
        WHERE e.job_id = $1 AND e.id > $2
        ORDER BY e.id LIMIT $3`,
      [runId, after, batchSize],
    );
    yield* rows;
    if (rows.length < batchSize) return;
    after = rows[rows.length - 1]!.id;
  }
}

/** The first record a run logged with an error, as it was read: its keys name the record's columns. */
export async function firstLoggedRecord(db: Queryable, runId: number): Promise<Record<string, unknown> | null> {
  const { rows } = await db.query<{ original_record: Record<string, unknown> }>(
    `SELECT original_record FROM pipeline.job_errors WHERE job_id = $1 AND original_record IS NOT NULL ORDER BY id LIMIT 1`,
    [runId],
  );
  return rows[0]?.original_record ?? null;
}
