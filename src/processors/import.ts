// Queue `import`, one job per run: read the source, add the metadata columns, write the raw records
// immutably as split, gzipped files, then add the run's flow (stage ⇐ transform × files).
import type { PipelineContext } from '../context';
import { deleteRawFiles, listFiles, recordFile } from '../db/files';
import { deleteImportErrors, recordErrors, type RecordError } from '../db/record-errors';
import { applyRunEvent, markImported, saveSnapshotMapping, setRunProgress } from '../db/runs';
import { defaultMapping } from '../domain/suggest-mapping';
import { countBlobBytesWritten, rowsProcessed } from '../metrics';
import { CsvFileError, openCsv } from '../sources/csv';
import { rawFileKey } from '../storage/blob-keys';
import { RawFileSplitter } from '../storage/raw-files';
import { loadRunStep, RunFailure, type Processor, type RunStep } from './processor';

export interface RawRecordLine {
  rec_num: number;
  line: number;
  dmo_id: number;
  source_id: string | null;
  imported_at: string;
  imported_by: number;
  record: Record<string, string>;
}

export const importProcessor: Processor<'import'> = {
  queue: 'import',
  async process(job, ctx) {
    const { runId } = job.data;
    const step = await loadRunStep(ctx, runId, ['queued', 'running']);
    if (!step) return 'skipped';
    // a queued run starts; a running one is this same step again (a stalled job, or Redis was lost)
    if (step.run.status === 'queued' && !(await applyRunEvent(ctx.db, runId, 'import_started', { stage: 'import' })).moved) return 'skipped';
    // written before: the next step (the stage flow, run-flow.ts) is only added again
    if (!step.run.imported_at) await importSource(ctx, step);
    return 'success';
  },
};

async function importSource(ctx: PipelineContext, { run, snapshot, config }: RunStep): Promise<void> {
  const runId = run.id;
  if (snapshot.source_type !== 'csv') throw new RunFailure(`Source type ${snapshot.source_type} cannot be imported yet`);
  const upload = (await listFiles(ctx.db, runId, 'upload'))[0];
  if (!upload) throw new RunFailure('No file was uploaded for this run');

  await deleteRawFiles(ctx.db, runId);
  await deleteImportErrors(ctx.db, runId);
  // Parse problems go to job_errors in batches as the file streams: a broken file of a million lines
  // must not be held in memory.
  const problems = new ProblemLog(ctx, runId, upload.id);
  const fileName = upload.original_name ?? 'The file';
  let csv;
  try {
    csv = await openCsv(await ctx.store.get(upload.storage_key), { encoding: config.import.encoding, delimiter: config.import.delimiter },
      (problem) => problems.add({ line: problem.line, error_type: 'parse_error', error_message: problem.reason }));
  } catch (error) {
    if (error instanceof CsvFileError) throw new RunFailure(`${fileName}: ${error.message}`);
    throw error;
  }

  let mapping = config.transform.map_fields as Record<string, string>;
  if (!Object.keys(mapping).length) {
    mapping = defaultMapping(csv.headers) as Record<string, string>;
    await saveSnapshotMapping(ctx.db, runId, mapping);
  }
  const wanted = [...Object.entries(mapping), ...(config.import.source_id_column ? [['import.source_id_column', config.import.source_id_column]] : [])];
  const missing = wanted.filter(([, column]) => !csv.headers.includes(column!));
  if (missing.length) {
    throw new RunFailure(
      `The file lacks column(s) the config maps: ${missing.map(([field, column]) => `${field} → "${column}"`).join(', ')}. ` +
        `Its columns are: ${csv.headers.map((h) => `"${h}"`).join(', ')}`,
    );
  }

  const naming = { env: ctx.settings.PIPELINE_ENV, domain: run.data_domain, dmoId: run.dmo_id, runId, date: run.created_at };
  const splitter = new RawFileSplitter(
    ctx.store,
    (seq) => rawFileKey(naming, seq, 'ndjson'),
    { records: config.import.split_records, bytes: config.import.split_bytes },
    async (file) => {
      await recordFile(ctx.db, {
        job_id: runId, kind: 'raw', seq: file.seq, storage_key: file.key, format: 'ndjson', data_domain: run.data_domain,
        dmo_id: run.dmo_id, bytes: file.bytes, record_count: file.recordCount, first_rec_num: file.firstRecNum,
      });
      countBlobBytesWritten(run.dmo_id, 'raw', file.bytes);
      await setRunProgress(ctx.db, runId, 'import', file.firstRecNum + file.recordCount - 1, 0);
    },
  );

  const importedAt = new Date().toISOString();
  const importedBy = run.created_by ?? 0;
  let recNum = 0;
  try {
    for await (const { line, fields } of csv.records) {
      recNum += 1;
      const sourceId = config.import.source_id_column ? fields[config.import.source_id_column]?.trim() || null : null;
      const raw: RawRecordLine = {
        rec_num: recNum, line, dmo_id: run.dmo_id, source_id: sourceId, imported_at: importedAt, imported_by: importedBy, record: fields,
      };
      await splitter.write(raw);
    }
    await splitter.finish();
  } catch (error) {
    splitter.abort(error as Error);
    throw error;
  }
  await problems.flush();
  // a header-only file is refused rather than taken as an empty snapshot that deletes everything
  if (recNum === 0) {
    throw new RunFailure(
      problems.count
        ? `${fileName}: none of its ${problems.count} record(s) could be read; the first problem: ${problems.first!.error_message}`
        : `${fileName}: the file has a header line but no records`,
    );
  }
  await markImported(ctx.db, runId, recNum + problems.count, problems.count);
  rowsProcessed.inc({ step: 'import', result: 'read' }, recNum);
  rowsProcessed.inc({ step: 'import', result: 'unreadable' }, problems.count);
  await setRunProgress(ctx.db, runId, 'transform', 0, recNum);
}

/** Parse problems of one upload, written to job_errors a batch at a time. */
class ProblemLog {
  private pending: RecordError[] = [];
  count = 0;
  first: RecordError | null = null;

  constructor(private readonly ctx: PipelineContext, private readonly runId: number, private readonly fileId: number) {}

  async add(problem: RecordError): Promise<void> {
    this.count += 1;
    this.first ??= problem;
    this.pending.push({ ...problem, file_id: this.fileId });
    if (this.pending.length >= 1_000) await this.flush();
  }

  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length) await recordErrors(this.ctx.db, this.runId, batch);
  }
}
