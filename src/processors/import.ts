// Queue `import`, one job per run: read the source (./sources, by source type), add the metadata columns, write the raw records
// immutably as split, gzipped files, then add the run's flow (stage ⇐ transform × files).
import type { PipelineContext } from '../context';
import { CredentialsUnreadable, loadCredentials } from '../db/credentials';
import { deleteRawFiles, listFiles, recordFile, type JobFileRow } from '../db/files';
import { deleteImportErrors, recordErrors, type RecordError } from '../db/record-errors';
import { applyRunEvent, getRun, markImported, saveSnapshotMapping, setRunProgress } from '../db/runs';
import { needsUpload } from '../domain/config-params';
import { hasPath, idAt, leafPathsOf } from '../domain/record-paths';
import { defaultMapping } from '../domain/suggest-mapping';
import { HttpError, httpClientFromSettings } from '../http/client';
import { countBlobBytesWritten, rowsProcessed } from '../metrics';
import { SourceError, sourceOpener, type OpenedSource, type SourceRecord } from '../sources';
import { prepend, sampleRecords, take } from '../sources/iterate';
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
  /** As the source gave it: flat for a CSV or a sheet, nested for JSON. */
  record: Record<string, unknown>;
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
    if (!step.run.imported_at && (await importSource(ctx, step)) === 'moved_on') return 'skipped';
    return 'success';
  },
};

/** How often a long import (a site scraped at 1 request/s) looks whether its run was cancelled meanwhile. */
const runCheckMs = 5_000;

async function importSource(ctx: PipelineContext, { run, snapshot, config }: RunStep): Promise<'imported' | 'moved_on'> {
  const runId = run.id;
  const open = sourceOpener(snapshot.source_type);
  if (!open) throw new RunFailure(`Source type ${snapshot.source_type} cannot be imported yet`);
  const upload = needsUpload(snapshot.source_type, snapshot.config_params) ? (await listFiles(ctx.db, runId, 'upload'))[0] : null;
  if (upload === undefined) throw new RunFailure('No file was uploaded for this run');

  await deleteRawFiles(ctx.db, runId);
  await deleteImportErrors(ctx.db, runId);
  // Parse problems go to job_errors in batches as the source streams: a broken file of a million lines
  // must not be held in memory.
  const problems = new ProblemLog(ctx, runId, upload?.id ?? null);
  const sourceName = upload ? (upload.original_name ?? 'The file') : sourceLabel(config.import.base_url);
  const failure = (error: unknown) =>
    error instanceof SourceError || error instanceof HttpError ? new RunFailure(`${sourceName}: ${error.message}`) : error;

  let credentials;
  try {
    credentials = await loadCredentials(ctx.db, run.config_id, ctx.settings.SECRETS_KEY);
  } catch (error) {
    throw error instanceof CredentialsUnreadable ? new RunFailure(error.message) : error;
  }
  const body = upload ? await ctx.store.get(upload.storage_key) : null;
  // a run cancelled (or superseded) while its source is read stops the reading: its requests are aborted
  const movedOn = new AbortController();
  const watch = setInterval(() => {
    getRun(ctx.db, runId).then((current) => {
      if (current?.status !== 'running') movedOn.abort();
    }, () => undefined);
  }, runCheckMs);
  let records: AsyncIterator<SourceRecord> | null = null;
  try {
    let source;
    try {
      source = await open(
        {
          config, upload: body, http: httpClientFromSettings(ctx.settings), credentials, redis: ctx.redis,
          queuePrefix: ctx.settings.QUEUE_PREFIX, log: ctx.log.child({ runId }), signal: movedOn.signal,
        },
        (problem) => problems.add({ line: problem.line, error_type: 'parse_error', error_message: problem.reason }),
      );
    } catch (error) {
      throw failure(error);
    }
    records = source.records[Symbol.asyncIterator]();
    await writeRawRecords(ctx, run, config, { source, records, upload, sourceName, problems, failure, signal: movedOn.signal, sourceType: snapshot.source_type });
    return 'imported';
  } catch (error) {
    if (movedOn.signal.aborted) {
      ctx.log.info({ runId }, 'the run moved on while its source was read: the import stopped');
      return 'moved_on';
    }
    throw error;
  } finally {
    clearInterval(watch);
    // a run that fails before the end closes what it read: the upload's stream, a site's pagination
    await records?.return?.(undefined).catch(() => undefined);
    body?.destroy();
  }
}

/** Thrown between records once the run moved on. */
class RunMovedOn extends Error {}

interface ImportReading {
  source: OpenedSource;
  records: AsyncIterator<SourceRecord>;
  upload: JobFileRow | null;
  sourceName: string;
  problems: ProblemLog;
  failure: (error: unknown) => unknown;
  signal: AbortSignal;
  sourceType: string;
}

/** The source's records, with their metadata, into split raw files; then the run is marked imported. */
async function writeRawRecords(ctx: PipelineContext, run: RunStep['run'], config: RunStep['config'], reading: ImportReading): Promise<void> {
  const { source, records, upload, sourceName, problems, failure, signal, sourceType } = reading;
  const runId = run.id;
  // without a mapping, one is guessed from the source's fields: a file's header, or the paths of its first records
  let first: SourceRecord[] = [];
  let mapping = config.transform.map_fields as Record<string, string>;
  try {
    if (!source.fields) first = await take(records, sampleRecords);
  } catch (error) {
    throw failure(error);
  }
  const fields = source.fields ?? leafPathsOf(first.map((record) => record.fields));
  if (!Object.keys(mapping).length) {
    // a type's known field is mapped only where the records have it (not every site has featured images)
    const known = Object.entries(source.mapping ?? {}).filter(([, path]) => source.fields?.includes(path) ?? first.some((record) => hasPath(record.fields, path)));
    mapping = { ...defaultMapping(source.guessFrom ? fields.filter(source.guessFrom) : fields), ...Object.fromEntries(known) } as Record<string, string>;
    await saveSnapshotMapping(ctx.db, runId, mapping);
  }
  const wanted = [...Object.entries(mapping), ...(config.import.source_id_column ? [['import.source_id_column', config.import.source_id_column]] : [])] as [string, string][];
  // a file's header names columns; a JSON record has fields
  const noun = source.fields ? 'column' : 'field';
  const missingMessage = (missing: [string, string][], what: string) =>
    `${what} lacks ${noun}(s) the config maps: ${missing.map(([field, path]) => `${field} → "${path}"`).join(', ')}. ` +
    `Its ${noun}s are: ${fields.slice(0, 60).map((name) => `"${name}"`).join(', ')}${fields.length > 60 ? ', …' : ''}`;
  if (source.fields) {
    const missing = wanted.filter(([, path]) => !source.fields!.includes(path));
    if (missing.length) throw new RunFailure(missingMessage(missing, upload ? 'The file' : sourceName));
  }
  // records of a JSON source differ: a mapped path must be in at least one of them
  const unseen = new Set(source.fields ? [] : wanted.map(([, path]) => path));

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
    // known when a file starts: its size and record count are in job_files once it is written
    { 'run-id': String(runId), 'dmo-id': String(run.dmo_id), 'data-domain': run.data_domain, 'source-type': sourceType, format: 'ndjson' },
  );

  const importedAt = new Date().toISOString();
  const importedBy = run.created_by ?? 0;
  let recNum = 0;
  try {
    for await (const { line, fields: record } of prepend(first, records)) {
      if (signal.aborted) throw new RunMovedOn();
      recNum += 1;
      for (const path of unseen) if (hasPath(record, path)) unseen.delete(path);
      const raw: RawRecordLine = {
        rec_num: recNum, line, dmo_id: run.dmo_id, source_id: config.import.source_id_column ? idAt(record, config.import.source_id_column) : null,
        imported_at: importedAt, imported_by: importedBy, record,
      };
      await splitter.write(raw);
    }
    await splitter.finish();
  } catch (error) {
    splitter.abort(error as Error);
    throw failure(error);
  }
  await problems.flush();
  // an empty source is refused rather than taken as an empty snapshot that deletes everything
  if (recNum === 0) {
    throw new RunFailure(
      problems.count
        ? `${sourceName}: none of its ${problems.count} record(s) could be read; the first problem: ${problems.first!.error_message}`
        : upload ? `${sourceName}: the file has a header line but no records` : `${sourceName}: the source gave no records`,
    );
  }
  if (unseen.size) throw new RunFailure(missingMessage(wanted.filter(([, path]) => unseen.has(path)), `${sourceName}: every one of its ${recNum} record(s)`));
  await markImported(ctx.db, runId, recNum + problems.count, problems.count);
  rowsProcessed.inc({ step: 'import', result: 'read' }, recNum);
  rowsProcessed.inc({ step: 'import', result: 'unreadable' }, problems.count);
  await setRunProgress(ctx.db, runId, 'transform', 0, recNum);
}

/** A fetched source in messages: its host, never its query (a key may travel there). */
function sourceLabel(baseUrl: string | undefined): string {
  if (!baseUrl) return 'The source';
  try {
    return new URL(baseUrl).host;
  } catch {
    return 'The source';
  }
}

/** Parse problems of one upload, written to job_errors a batch at a time. */
class ProblemLog {
  private pending: RecordError[] = [];
  count = 0;
  first: RecordError | null = null;

  constructor(private readonly ctx: PipelineContext, private readonly runId: number, private readonly fileId: number | null) {}

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
