// Queue `transform`, one job per raw file: map, normalise, validate, hash, resolve identities in
// batches and COPY each batch into staging as it goes. A retry starts after the last record handled.
import { getDmo } from '../db/configs';
import { getFile } from '../db/files';
import { recordErrors, type RecordError } from '../db/record-errors';
import { addRunProgress } from '../db/runs';
import { lastHandledRecord, stageBatch, type StagedRecord } from '../db/staging-load';
import { RecordReader } from '../domain/record-reader';
import { rowsProcessed } from '../metrics';
import { readRawFile } from '../storage/raw-files';
import type { RawRecordLine } from './import';
import { loadRunStep, type Processor } from './processor';

/** Records per COPY batch: ~1–2 MB of listing rows (DESIGN.md's batch size). */
export const transformBatchSize = 2_000;

export const transformProcessor: Processor<'transform'> = {
  queue: 'transform',
  async process(job, ctx) {
    const { runId, fileId, seq } = job.data;
    const step = await loadRunStep(ctx, runId, ['running']);
    if (!step) return 'skipped';
    const { run, config } = step;
    const dmo = await getDmo(ctx.db, run.dmo_id);
    const box = dmo && dmo.min_lat !== null && dmo.max_lat !== null && dmo.min_lng !== null && dmo.max_lng !== null
      ? { min_lat: dmo.min_lat, max_lat: dmo.max_lat, min_lng: dmo.min_lng, max_lng: dmo.max_lng } : null;
    const reader = new RecordReader(config, { dmoId: run.dmo_id, box });
    const file = await getFile(ctx.db, runId, fileId);
    if (!file) throw new Error(`Raw file ${fileId} of run ${runId} is not recorded`);

    const resumeAfter = await lastHandledRecord(ctx.db, runId, seq);
    let batch: StagedRecord[] = [];
    let errors: RecordError[] = [];
    let handled = 0;

    const stage = async (records: StagedRecord[], rejections: RecordError[]) => {
      const rejected = new Set(rejections.map((error) => error.rec_num)).size;
      await stageBatch(ctx.db, runId, run.dmo_id, records, async (client, staged) => {
        // progress counts what this try added: a job run twice at once must not count records twice
        await addRunProgress(client, runId, staged + (await recordErrors(client, runId, rejections)));
      });
      rowsProcessed.inc({ step: 'transform', result: 'staged' }, records.length);
      rowsProcessed.inc({ step: 'transform', result: 'rejected' }, rejected);
      handled += records.length + rejected;
    };
    // The next batch is read while the one before is in the database: one batch in flight at a time,
    // committed in order (a retry starts after the last record committed).
    let inFlight: Promise<void> | null = null;
    const flush = async () => {
      if (!batch.length && !errors.length) return;
      const records = batch;
      const rejections = errors;
      batch = [];
      errors = [];
      if (inFlight) await inFlight;
      inFlight = stage(records, rejections);
      inFlight.catch(() => undefined); // its failure is thrown where it is awaited: the next flush, or the end
    };

    try {
      for await (const raw of readRawFile<RawRecordLine>(ctx.store, file.storage_key)) {
        if (raw.rec_num <= resumeAfter) continue;
        const outcome = reader.read(raw.record);
        if (outcome.ok) {
          batch.push({
            fileSeq: seq, recNum: raw.rec_num, line: raw.line, sourceId: raw.source_id ?? outcome.sourceId,
            matchHash: outcome.matchHash, record: outcome.record, hashes: outcome.hashes, warnings: outcome.warnings,
          });
        } else {
          for (const problem of outcome.problems) {
            errors.push({
              file_id: fileId, file_seq: seq, rec_num: raw.rec_num, line: raw.line, field: problem.field,
              source_id: raw.source_id ?? outcome.sourceId, error_type: 'validation_error',
              error_message: `line ${raw.line}: ${problem.field === 'record' ? '' : `${problem.field}: `}${problem.reason}`,
              original_record: raw.record,
            });
          }
        }
        if (batch.length >= transformBatchSize || errors.length >= transformBatchSize) await flush();
      }
      await flush();
      if (inFlight) await inFlight;
    } finally {
      // a read that failed leaves no batch writing behind the job's back (a retry would race it)
      await (inFlight as Promise<void> | null)?.catch(() => undefined);
    }
    ctx.log.debug({ runId, seq, handled, resumeAfter }, 'transformed raw file');
    return 'success';
  },
};
