// pipeline.job_files: the uploaded file of a run and the raw files its import wrote.
import type { Queryable } from './pool';

export interface JobFileRow {
  id: number;
  job_id: number;
  kind: 'upload' | 'raw';
  seq: number;
  storage_key: string;
  original_name: string | null;
  format: string;
  data_domain: string;
  dmo_id: number;
  file_date: string;
  bytes: number;
  record_count: number | null;
  first_rec_num: number | null;
  created_at: Date;
}

export async function recordFile(
  db: Queryable,
  file: Pick<JobFileRow, 'job_id' | 'kind' | 'seq' | 'storage_key' | 'format' | 'data_domain' | 'dmo_id' | 'bytes'> &
    Partial<Pick<JobFileRow, 'original_name' | 'record_count' | 'first_rec_num'>>,
): Promise<JobFileRow> {
  const { rows } = await db.query<JobFileRow>(
    `INSERT INTO pipeline.job_files (job_id, kind, seq, storage_key, original_name, format, data_domain, dmo_id, bytes,
                                     record_count, first_rec_num)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (job_id, kind, seq) DO UPDATE SET
       storage_key = excluded.storage_key, original_name = excluded.original_name, bytes = excluded.bytes,
       record_count = excluded.record_count, first_rec_num = excluded.first_rec_num, created_at = now()
     RETURNING *`,
    [file.job_id, file.kind, file.seq, file.storage_key, file.original_name ?? null, file.format, file.data_domain,
      file.dmo_id, file.bytes, file.record_count ?? null, file.first_rec_num ?? null],
  );
  return rows[0]!;
}

export async function listFiles(db: Queryable, runId: number, kind?: 'upload' | 'raw'): Promise<JobFileRow[]> {
  const { rows } = await db.query<JobFileRow>(
    `SELECT * FROM pipeline.job_files WHERE job_id = $1 AND ($2::text IS NULL OR kind = $2) ORDER BY kind DESC, seq`,
    [runId, kind ?? null],
  );
  return rows;
}

export async function getFile(db: Queryable, runId: number, fileId: number): Promise<JobFileRow | null> {
  const { rows } = await db.query<JobFileRow>('SELECT * FROM pipeline.job_files WHERE job_id = $1 AND id = $2', [runId, fileId]);
  return rows[0] ?? null;
}

/** A retried import starts its raw files over. */
export async function deleteRawFiles(db: Queryable, runId: number): Promise<void> {
  await db.query(`DELETE FROM pipeline.job_files WHERE job_id = $1 AND kind = 'raw'`, [runId]);
}
