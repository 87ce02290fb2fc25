// pipeline.job_files: the uploaded file of a run and the raw files its import wrote.
import type { JobFile } from '../contract/runs';
import { inTransaction, type Db, type Queryable } from './pool';

/** A file row as PostgreSQL gives it: the contract's shape, with created_at still a Date. */
export type JobFileRow = Omit<JobFile, 'created_at'> & { created_at: Date };

// file_date as text: a date is a calendar day, and as a JS Date it would be midnight in the server's zone
const fileColumns = `id, job_id, kind, seq, storage_key, original_name, format, data_domain, dmo_id, file_date::text AS file_date,
  bytes, record_count, first_rec_num, created_at`;

export type NewFile = Pick<JobFileRow, 'job_id' | 'kind' | 'seq' | 'storage_key' | 'format' | 'data_domain' | 'dmo_id' | 'bytes'> &
  Partial<Pick<JobFileRow, 'original_name' | 'record_count' | 'first_rec_num'>>;

export async function recordFile(db: Queryable, file: NewFile): Promise<JobFileRow> {
  const { rows } = await db.query<JobFileRow>(
    `INSERT INTO pipeline.job_files (job_id, kind, seq, storage_key, original_name, format, data_domain, dmo_id, bytes,
                                     record_count, first_rec_num)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (job_id, kind, seq) DO UPDATE SET
       storage_key = excluded.storage_key, original_name = excluded.original_name, bytes = excluded.bytes,
       record_count = excluded.record_count, first_rec_num = excluded.first_rec_num, created_at = now()
     RETURNING ${fileColumns}`,
    [file.job_id, file.kind, file.seq, file.storage_key, file.original_name ?? null, file.format, file.data_domain,
      file.dmo_id, file.bytes, file.record_count ?? null, file.first_rec_num ?? null],
  );
  return rows[0]!;
}

/** The status a run must be in for its uploaded file to be (re)placed. */
const waitingForInput = 'waiting_for_input';

/**
 * Records a run's uploaded file in place of any earlier one, only while the run waits for its file.
 * The run's row is locked for it, so a continue (which moves the run on under the same lock) either
 * comes after and imports this file, or comes first and this refuses. Returns the key of the file it
 * replaced (for the caller to delete once this is committed), or the run's status when it no longer waits.
 */
export async function recordUpload(
  db: Db,
  file: Omit<NewFile, 'kind' | 'seq' | 'record_count' | 'first_rec_num'>,
): Promise<{ file: JobFileRow; replacedKey: string | null } | { refused: string }> {
  return inTransaction(db, async (client) => {
    const run = await client.query<{ status: string }>('SELECT status FROM pipeline.jobs WHERE id = $1 FOR UPDATE', [file.job_id]);
    const status = run.rows[0]?.status ?? 'deleted';
    if (status !== waitingForInput) return { refused: status };
    const earlier = await client.query<{ storage_key: string }>(
      `SELECT storage_key FROM pipeline.job_files WHERE job_id = $1 AND kind = 'upload' AND seq = 0`, [file.job_id]);
    const recorded = await recordFile(client, { ...file, kind: 'upload', seq: 0 });
    const replacedKey = earlier.rows[0]?.storage_key ?? null;
    return { file: recorded, replacedKey: replacedKey === recorded.storage_key ? null : replacedKey };
  });
}

export async function listFiles(db: Queryable, runId: number, kind?: 'upload' | 'raw'): Promise<JobFileRow[]> {
  const { rows } = await db.query<JobFileRow>(
    `SELECT ${fileColumns} FROM pipeline.job_files WHERE job_id = $1 AND ($2::text IS NULL OR kind = $2) ORDER BY kind DESC, seq`,
    [runId, kind ?? null],
  );
  return rows;
}

export async function getFile(db: Queryable, runId: number, fileId: number): Promise<JobFileRow | null> {
  const { rows } = await db.query<JobFileRow>(`SELECT ${fileColumns} FROM pipeline.job_files WHERE job_id = $1 AND id = $2`, [runId, fileId]);
  return rows[0] ?? null;
}

/** A retried import starts its raw files over. */
export async function deleteRawFiles(db: Queryable, runId: number): Promise<void> {
  await db.query(`DELETE FROM pipeline.job_files WHERE job_id = $1 AND kind = 'raw'`, [runId]);
}
