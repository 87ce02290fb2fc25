// Runs: executeStage / uploadStageFile (two-phase), jobs with files (download, preview), errors (JSON
// pages and a CSV export), retry, cancel, discard; staged rows, their counts and review decisions; promote.
// The review pages' reads (staged rows with their search, counts, a row against production) go through
// ctx.apiReads (503 past API_READ_TIMEOUT_MS); the rest, polled by the UI and the CLI, the main pool.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import readline from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { format as csvFormat } from 'fast-csv';
import type { PipelineContext } from '../context';
import {
  acceptedUploadsFor, countsQuery, errorsCsvColumns, errorsQuery, executeStageBody, jobsQuery, previewQuery, promoteBody,
  reviewBody, rowsQuery, type ExecuteStageResponse, type FilePreview, type JobFile, type RunResponse, type UploadResponse,
} from '../contract/runs';
import { maxBigSerialId } from '../contract/sources';
import { getConfig } from '../db/configs';
import { getFile, listFiles, recordUpload, type JobFileRow } from '../db/files';
import { exportErrors, firstLoggedRecord, listErrors } from '../db/record-errors';
import { inTransaction, type Queryable } from '../db/pool';
import * as review from '../db/review';
import * as runs from '../db/runs';
import { needsUpload, resolveConfig, type SourceType } from '../domain/config-params';
import { flattenRecord, leafPaths, leafPathsOf, readPath } from '../domain/record-paths';
import { httpClientFromSettings } from '../http/client';
import { countBlobBytesWritten } from '../metrics';
import { lifecycle, retryEvent, type RunEvent } from '../domain/run-lifecycle';
import type { RawRecordLine } from '../processors/import';
import { activeRunJobs, enqueueImageJobs, enqueueImport, enqueuePromote, removeFailedRunJobs, removeRunJobs, resumeRun } from '../queues/run-flow';
import { SourceError, sourceOpener, type SourceRecord } from '../sources';
import type { SourceProblem } from '../sources/source';
import { textProblem } from '../sources/text-problem';
import { openCsv, type CsvProblem } from '../sources/csv';
import { uploadKey } from '../storage/blob-keys';
import { BlobNotFoundError } from '../storage/blob-store';
import { ApiError, notFound, parseInput } from './errors';
import { currentUser, idFromText, idParam, type RouteSpec } from './routes';
import { receiveUpload, UploadInFlight } from './upload';

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** How an upload is sent back, by its format (the run's source type). */
const uploadContentTypes: Record<string, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** GET /jobs/:id shape of API.md. */
function presentRun(run: NonNullable<Awaited<ReturnType<typeof runs.getRunWithResults>>>): RunResponse {
  const total = Number(run.progress_total);
  const done = Number(run.progress_done);
  return {
    id: run.id, config_id: run.config_id, dmo_id: run.dmo_id, status: run.status, stage: run.stage,
    progress: { stage: run.stage, done, total, percent: total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0 },
    created_at: run.created_at.toISOString(), started_at: iso(run.started_at), staged_at: iso(run.staged_at), finished_at: iso(run.finished_at),
    error_summary: run.error_summary, delete_guard: run.delete_guard, results: run.results, promote_results: run.promote_results,
  };
}

const presentFile = (file: JobFileRow): JobFile => ({ ...file, created_at: file.created_at.toISOString() });

/** The run, read on db: the main pool, or ctx.apiReads for the review pages' reads. */
async function requireRun(ctx: PipelineContext, runId: number, db: Queryable = ctx.db) {
  const run = await runs.getRunWithResults(db, runId);
  if (!run) throw notFound(`Run ${runId}`);
  return run;
}

async function requireFile(ctx: PipelineContext, runId: number, fileId: number): Promise<JobFileRow> {
  const file = await getFile(ctx.db, runId, fileId);
  if (!file) throw notFound(`File ${fileId} of run ${runId}`);
  return file;
}

/** What a person can do instead when the lifecycle refuses their request. */
const insteadOf: Partial<Record<RunEvent, (status: runs.RunStatus) => string>> = {
  discarded: (status) => (['waiting_for_input', 'queued', 'running'].includes(status) ? ' (cancel it instead)' : ''),
};

/**
 * Applies a lifecycle event for an API caller: a refused move is a 409 naming the run's status and
 * what the event needs, and changes nothing (inside a transaction, the caller's other writes roll back).
 */
async function moveRun(db: Queryable, runId: number, event: RunEvent, extra: Parameters<typeof runs.applyRunEvent>[3] = {}) {
  const move = await applyOrRefuseSecondInFlight(db, runId, event, extra);
  if (move.moved) return move;
  if (move.status === null) throw notFound(`Run ${runId}`);
  const allowed = lifecycle[event].from.map((status) => status.replace(/_/g, ' ')).join(', ');
  throw new ApiError(409, 'run_status_conflict',
    `Run ${runId} is ${move.status}: it can be ${eventWords[event]} only when it is ${allowed}${insteadOf[event]?.(move.status) ?? ''}`,
    { status: move.status, event });
}

/** A move that would put a second run of the config in flight answers 409 naming the run that is. */
async function applyOrRefuseSecondInFlight(db: Queryable, runId: number, event: RunEvent, extra: Parameters<typeof runs.applyRunEvent>[3] = {}) {
  try {
    return await runs.applyRunEvent(db, runId, event, extra);
  } catch (error) {
    if (error instanceof runs.RunInFlight) {
      throw new ApiError(409, 'run_in_flight', `Run ${runId} cannot be ${eventWords[event]} now: ${error.message}`,
        { run_in_flight: error.runId, status: error.status });
    }
    throw error;
  }
}

const eventWords: Record<RunEvent, string> = {
  file_continued: 'continued', import_started: 'started', staged_for_review: 'staged', staged_unattended: 'staged',
  staged_after_newer: 'staged', newer_run_staged: 'superseded', promote_requested: 'promoted', promote_finished: 'promoted',
  step_failed: 'failed', retried_import: 'retried', retried_staging: 'retried', retried_promote: 'retried',
  cancelled: 'cancelled', discarded: 'discarded',
};

export function runRoutes(ctx: PipelineContext): RouteSpec[] {
  const uploadMarks = ctx.settings.QUEUE_PREFIX;
  return [
    {
      method: 'post', path: '/executeStage', access: 'pipeline:write',
      handler: async (req, res): Promise<ExecuteStageResponse> => {
        const body = parseInput(executeStageBody, req.body);
        if ('configId' in body) {
          const config = await getConfig(ctx.db, body.configId);
          if (!config) throw notFound(`Config ${body.configId}`);
          if (!config.active) throw new ApiError(409, 'inactive', `Config ${config.id} is not active; activate it first`);
          const needsFile = needsUpload(config.source_type, config.config_params);
          let runId: number;
          try {
            runId = await runs.createRun(ctx.db, config.id, needsFile ? 'waiting_for_input' : 'queued', currentUser(res).id);
          } catch (error) {
            // a second trigger while the config has a run in flight answers with that run
            if (!(error instanceof runs.RunInFlight)) throw error;
            res.status(200);
            return error.status === 'queued' ? { status: 'queued', jobId: error.runId }
              : { status: error.status === 'promoting' ? 'promoting' : 'running', jobId: error.runId, existing: true };
          }
          if (needsFile) return { status: 'waiting_for_input', inputType: 'file', jobId: runId, accept: acceptedUploadsFor(config.source_type) };
          await enqueueImport(ctx, runId);
          res.status(202);
          return { status: 'queued', jobId: runId };
        }
        const run = await requireRun(ctx, body.jobId);
        if (run.status !== 'waiting_for_input') {
          throw new ApiError(409, 'not_waiting', `Run ${run.id} is ${run.status}, not waiting for input`);
        }
        if (await UploadInFlight.isInFlight(ctx.redis, uploadMarks, run.id)) {
          throw new ApiError(409, 'upload_in_progress', `Run ${run.id} is still receiving an upload: continue once it has finished`);
        }
        if (!(await listFiles(ctx.db, run.id, 'upload')).length) {
          throw new ApiError(409, 'no_file', `Run ${run.id} has no uploaded file yet: POST it to /uploadStageFile first`);
        }
        await moveRun(ctx.db, run.id, 'file_continued');
        await enqueueImport(ctx, run.id);
        res.status(202);
        return { status: 'queued', jobId: run.id };
      },
    },
    {
      method: 'post', path: '/uploadStageFile', access: 'pipeline:write',
      handler: async (req, res): Promise<UploadResponse> => {
        // set while the file part is read: the run it is for, and the run's in-flight mark once claimed
        const upload: { run?: runs.RunRow; mark?: UploadInFlight | null; sourceType?: SourceType } = {};
        const takenOver = new AbortController();
        try {
          const { file } = await receiveUpload(req, {
            store: ctx.store,
            maxBytes: ctx.settings.UPLOAD_MAX_BYTES,
            signal: takenOver.signal,
            onBytes: () => upload.mark?.keepAlive(),
            keyFor: async (fields, part) => {
              const runId = idFromText(fields.jobId, maxBigSerialId);
              if (runId === null) {
                throw new ApiError(400, 'invalid_request', 'jobId: send the run id as a field before the file (or as ?jobId=)');
              }
              // refused before a byte is stored: the name is kept as the file's original_name (text)
              const nameProblem = textProblem(part.fileName);
              if (nameProblem) throw new ApiError(400, 'invalid_request', `file: its file name ${nameProblem}; rename the file and send it again`);
              const run = await runs.getRun(ctx.db, runId);
              if (!run) throw notFound(`Run ${runId}`);
              if (run.status !== 'waiting_for_input') {
                throw new ApiError(409, 'not_waiting', `Run ${runId} is ${run.status}: it does not wait for a file`);
              }
              upload.mark = await UploadInFlight.claim(ctx.redis, uploadMarks, runId, (error) => takenOver.abort(error));
              if (!upload.mark) {
                throw new ApiError(409, 'upload_in_progress', `Run ${runId} is receiving another upload: wait for it to finish, then send yours if it is still needed`);
              }
              upload.run = run;
              upload.sourceType = (await runs.getRunSnapshot(ctx.db, runId)).source_type;
              const extension = path.extname(part.fileName).toLowerCase().replace(/[^a-z0-9]/g, '') || upload.sourceType;
              return uploadKey({ env: ctx.settings.PIPELINE_ENV, domain: run.data_domain, dmoId: run.dmo_id, runId, date: run.created_at },
                extension, randomBytes(4).toString('hex'));
            },
          });
          const run = upload.run!;
          if (file.bytes === 0) {
            await ctx.store.delete(file.key);
            throw new ApiError(400, 'empty_file', `${file.originalName} is empty`);
          }
          const recorded = await recordUpload(ctx.db, {
            job_id: run.id, storage_key: file.key, original_name: file.originalName.slice(0, 255), format: upload.sourceType!,
            data_domain: run.data_domain, dmo_id: run.dmo_id, bytes: file.bytes,
          }).catch(async (error: unknown) => {
            await ctx.store.delete(file.key);
            throw error;
          });
          if ('refused' in recorded) {
            await ctx.store.delete(file.key);
            throw new ApiError(409, 'not_waiting', `Run ${run.id} became ${recorded.refused} while the file arrived: it does not wait for a file`);
          }
          countBlobBytesWritten(run.dmo_id, 'upload', file.bytes);
          if (recorded.replacedKey) {
            await ctx.store.delete(recorded.replacedKey).catch((error: unknown) =>
              ctx.log.warn({ runId: run.id, key: recorded.replacedKey, err: String(error) }, 'the replaced upload could not be deleted'));
          }
          res.status(201);
          return { fileId: recorded.file.id, bytes: recorded.file.bytes };
        } finally {
          await upload.mark?.release();
        }
      },
    },
    {
      method: 'get', path: '/jobs', access: 'pipeline:read',
      handler: async (req) => {
        const query = parseInput(jobsQuery, req.query);
        const list = await runs.listRuns(ctx.db, query, query.pageSize, (query.page - 1) * query.pageSize);
        return { jobs: list.map(presentRun) };
      },
    },
    { method: 'get', path: '/jobs/:id', access: 'pipeline:read', handler: async (req) => presentRun(await requireRun(ctx, idParam(req, 'id', maxBigSerialId))) },
    {
      method: 'get', path: '/jobs/:id/files', access: 'pipeline:read',
      handler: async (req) => {
        const run = await requireRun(ctx, idParam(req, 'id', maxBigSerialId));
        return { files: (await listFiles(ctx.db, run.id)).map(presentFile) };
      },
    },
    {
      method: 'get', path: '/jobs/:id/files/:fileId/download', access: 'pipeline:read',
      handler: async (req, res) => {
        const file = await requireFile(ctx, idParam(req, 'id', maxBigSerialId), idParam(req, 'fileId', maxBigSerialId));
        const body = await ctx.store.get(file.storage_key);
        res.setHeader('Content-Type', file.kind === 'raw' ? 'application/gzip' : uploadContentTypes[file.format] ?? 'application/octet-stream');
        res.setHeader('Content-Disposition', `attachment; filename="${path.basename(file.storage_key).replace(/"/g, '')}"`);
        res.setHeader('X-Content-Type-Options', 'nosniff');
        // pipeline, not pipe: a client that leaves mid-download closes the stored file too
        await pipeline(body, res).catch((error: unknown) => ctx.log.debug({ runId: file.job_id, err: String(error) }, 'download ended early'));
      },
    },
    {
      method: 'get', path: '/jobs/:id/files/:fileId/preview', access: 'pipeline:read',
      handler: async (req): Promise<FilePreview> => {
        const file = await requireFile(ctx, idParam(req, 'id', maxBigSerialId), idParam(req, 'fileId', maxBigSerialId));
        const { limit } = parseInput(previewQuery, req.query);
        try {
          return await previewFile(ctx, file, limit);
        } catch (error) {
          const name = file.original_name ?? path.basename(file.storage_key);
          if (error instanceof SourceError) throw new ApiError(422, 'unreadable_file', `${name}: ${error.message}`);
          if (error instanceof BlobNotFoundError) throw new ApiError(404, 'not_found', `${name} is recorded but missing from the blob store`);
          throw error;
        }
      },
    },
    {
      method: 'get', path: '/jobs/:id/errors', access: 'pipeline:read',
      handler: async (req) => {
        const run = await requireRun(ctx, idParam(req, 'id', maxBigSerialId));
        const query = parseInput(errorsQuery, req.query);
        return listErrors(ctx.db, run.id, query.pageSize, (query.page - 1) * query.pageSize);
      },
    },
    {
      method: 'get', path: '/jobs/:id/errors.csv', access: 'pipeline:read',
      handler: async (req, res) => {
        const run = await requireRun(ctx, idParam(req, 'id', maxBigSerialId));
        await sendErrorsCsv(ctx, run.id, res);
      },
    },
    {
      method: 'post', path: '/jobs/:id/retry', access: 'pipeline:write',
      handler: async (req) => {
        const run = await requireRun(ctx, idParam(req, 'id', maxBigSerialId));
        if (run.status !== 'failed') throw new ApiError(409, 'not_failed', `Run ${run.id} is ${run.status}; only a failed run can be retried`);
        // a transform still finishing holds its flow: removing the flow would fail half-way
        const active = await activeRunJobs(ctx, run.id);
        if (active.length) {
          throw new ApiError(409, 'job_active', `Run ${run.id} still has a job at work (${active.join(', ')}): retry once it has stopped`);
        }
        // back to the status of the step that failed (a retry that loses this move changes nothing), then
        // its failed jobs go, so that step (of this run only) can be added again under the same ids
        await moveRun(ctx.db, run.id, retryEvent(run.stage), { errorSummary: null });
        await removeFailedRunJobs(ctx, run.id);
        await resumeRun(ctx, await requireRun(ctx, run.id));
        return presentRun(await requireRun(ctx, run.id));
      },
    },
    {
      method: 'post', path: '/jobs/:id/cancel', access: 'pipeline:write',
      handler: async (req) => {
        const run = await requireRun(ctx, idParam(req, 'id', maxBigSerialId));
        await moveRun(ctx.db, run.id, 'cancelled', { errorSummary: 'Cancelled by a user' });
        await removeRunJobs(ctx, run.id);
        return presentRun(await requireRun(ctx, run.id));
      },
    },
    {
      method: 'post', path: '/jobs/:id/discard', access: 'pipeline:write',
      handler: async (req) => {
        const run = await requireRun(ctx, idParam(req, 'id', maxBigSerialId));
        // rows are dropped only in the transaction that won the move: a discard that loses changes nothing
        await inTransaction(ctx.db, async (client) => {
          await moveRun(client, run.id, 'discarded', { errorSummary: 'Discarded: its staged rows were dropped' });
          await review.discardRows(client, run.id);
        });
        return presentRun(await requireRun(ctx, run.id));
      },
    },
    {
      method: 'get', path: '/staging/rows', access: 'pipeline:read',
      handler: async (req) => {
        const { jobId, page, pageSize, ...filter } = parseInput(rowsQuery, req.query);
        await requireRun(ctx, jobId, ctx.apiReads);
        return review.listRows(ctx.apiReads, jobId, filter, page, pageSize);
      },
    },
    {
      method: 'get', path: '/staging/counts', access: 'pipeline:read',
      handler: async (req) => {
        const { jobId } = parseInput(countsQuery, req.query);
        await requireRun(ctx, jobId, ctx.apiReads);
        return review.countRows(ctx.apiReads, jobId);
      },
    },
    {
      method: 'get', path: '/staging/rows/:id', access: 'pipeline:read',
      handler: async (req) => {
        const row = await review.getRow(ctx.apiReads, idParam(req, 'id', maxBigSerialId));
        if (!row) throw notFound(`Staged row ${req.params.id}`);
        const production = await review.productionRecord(ctx.apiReads, row.listing_id, row.listing_info_id);
        const candidates = await review.matchCandidates(ctx.apiReads, row.id);
        return { row, production, diff: review.fieldDiff(row, production), candidates };
      },
    },
    {
      method: 'post', path: '/staging/review', access: 'pipeline:review',
      handler: async (req, res) => {
        const body = parseInput(reviewBody, req.body);
        const run = await requireRun(ctx, body.jobId);
        if (run.status !== 'awaiting_review') {
          throw new ApiError(409, 'not_in_review', `Run ${run.id} is ${run.status}; rows can be reviewed while it is awaiting_review`);
        }
        if (body.match_listing_id !== undefined && !(await review.listingExists(ctx.db, body.match_listing_id))) {
          throw new ApiError(400, 'invalid_request', `match_listing_id: no listing has id ${body.match_listing_id}`);
        }
        const updated = await inTransaction(ctx.db, async (client) => {
          // the run is held while its rows are decided: a promote requested meanwhile waits for this
          // decision, or this one sees the run moved and changes nothing
          const { rows: [held] } = await client.query<{ status: string }>('SELECT status FROM pipeline.jobs WHERE id = $1 FOR SHARE', [run.id]);
          if (held?.status !== 'awaiting_review') {
            throw new ApiError(409, 'not_in_review', `Run ${run.id} is ${held?.status ?? 'gone'}; rows can be reviewed while it is awaiting_review`);
          }
          return review.approveRows(client, run.id, { ids: body.ids, filter: body.filter }, body.decision, currentUser(res).id, {
            overrideAction: body.override_action, matchListingId: body.match_listing_id, createNew: body.create_new,
          });
        }).catch((error: unknown) => {
          if (error instanceof review.ReviewConflict) throw new ApiError(409, 'review_conflict', error.message);
          throw error;
        });
        // an override may have made rows inserts or updates whose images are now staged
        if (body.override_action !== undefined || body.match_listing_id !== undefined || body.create_new) await enqueueImageJobs(ctx, run.id);
        return { updated };
      },
    },
    {
      method: 'post', path: '/staging/promote', access: 'pipeline:promote',
      handler: async (req, res) => {
        const { jobId } = parseInput(promoteBody, req.body);
        const run = await requireRun(ctx, jobId);
        let status = run.status;
        if (status === 'awaiting_review') {
          const approved = (await review.countRows(ctx.db, run.id)).review.approved;
          if (approved === 0) {
            throw new ApiError(409, 'nothing_approved', `Run ${run.id} has no approved row: approve the rows to promote first`);
          }
          // a second request at the same moment loses the move and answers the status the winner set
          const move = await applyOrRefuseSecondInFlight(ctx.db, run.id, 'promote_requested', { stage: 'promote' });
          if (move.moved) {
            // progress of the promote from 0, not the finished stage's 1 of 1, until its job counts for itself
            await runs.setRunProgress(ctx.db, run.id, 'promote', 0, approved);
            await enqueuePromote(ctx, run.id);
          }
          status = move.status ?? status;
        }
        if (!['promoting', 'promoted'].includes(status)) {
          throw new ApiError(409, 'not_in_review', `Run ${run.id} is ${status}; only a run awaiting review can be promoted`);
        }
        res.status(202);
        return { jobId: run.id, status: status === 'promoted' ? 'promoted' : 'promoting' };
      },
    },
  ];
}

// ---------------------------------------------------------------- file previews

/** The first `limit` records of a stored file, read from its start and no further. */
async function previewFile(ctx: PipelineContext, file: JobFileRow, limit: number): Promise<FilePreview> {
  const body = await ctx.store.get(file.storage_key);
  try {
    return file.kind === 'raw' ? await previewRawFile(body, limit) : await previewUpload(ctx, file.job_id, body, limit);
  } finally {
    body.destroy();
  }
}

async function previewRawFile(body: Readable, limit: number): Promise<FilePreview> {
  const gunzip = createGunzip();
  // stopping early destroys both streams; the premature close that reports is expected
  pipeline(body, gunzip).catch(() => undefined);
  const lines = readline.createInterface({ input: gunzip, crlfDelay: Infinity });
  const preview: FilePreview = { columns: [], records: [], problems: [] };
  try {
    for await (const line of lines) {
      if (!line) continue;
      const raw = JSON.parse(line) as RawRecordLine;
      // nested records (JSON) are shown by their leaf paths, the names map_fields reads them by
      for (const column of leafPaths(raw.record)) if (!preview.columns.includes(column)) preview.columns.push(column);
      preview.records.push({ line: raw.line, rec_num: raw.rec_num, source_id: raw.source_id, fields: flattenRecord(raw.record) });
      if (preview.records.length >= limit) break;
    }
  } finally {
    lines.close();
    gunzip.destroy();
  }
  return preview;
}

/** An upload read as the import will read it: a CSV with the run's encoding and delimiter, JSON and XLSX by their source's reader. */
async function previewUpload(ctx: PipelineContext, runId: number, body: Readable, limit: number): Promise<FilePreview> {
  const snapshot = await runs.getRunSnapshot(ctx.db, runId);
  if (snapshot.source_type !== 'csv') return previewSource(ctx, snapshot, body, limit);
  const { import: settings } = resolveConfig(snapshot.config_params, snapshot.source_type);
  // The reader pipes its source without forwarding errors, so neither a stop (the body destroyed
  // below) nor a read failure may surface there: both end its input, and a failure is thrown here.
  let stopped = false;
  let readFailure: unknown = null;
  async function* bytesUntilStopped() {
    try {
      for await (const chunk of body) yield chunk as Buffer;
    } catch (error) {
      if (!stopped) readFailure = error;
    }
  }
  const problems: CsvProblem[] = [];
  // a file of broken lines must not be read to its end looking for good ones: enough problems stop it too
  const enoughProblems = new Error('enough problems for a preview');
  try {
    const csv = await openCsv(bytesUntilStopped(), { encoding: settings.encoding, delimiter: settings.delimiter }, (problem) => {
      problems.push(problem);
      if (problems.length >= limit) throw enoughProblems;
    });
    const preview: FilePreview = { columns: csv.headers, records: [], problems };
    if (limit > 0) {
      try {
        for await (const { line, fields } of csv.records) {
          preview.records.push({ line, rec_num: null, source_id: null, fields });
          if (preview.records.length >= limit) break;
        }
      } catch (error) {
        if (error !== enoughProblems) throw error;
      }
    }
    if (readFailure) throw readFailure;
    return preview;
  } finally {
    stopped = true;
  }
}

/**
 * The first records of a JSON or XLSX upload through its source's opener: columns are the sheet's header,
 * or the leaf paths of the first records of a JSON file, whose records are shown flattened to those paths.
 */
async function previewSource(ctx: PipelineContext, snapshot: runs.RunSnapshot, body: Readable, limit: number): Promise<FilePreview> {
  const open = sourceOpener(snapshot.source_type);
  if (!open) throw new ApiError(422, 'unreadable_file', `Uploads of ${snapshot.source_type} sources cannot be previewed yet`);
  const problems: SourceProblem[] = [];
  const enoughProblems = new Error('enough problems for a preview');
  let fields: string[] | null = null;
  const records: SourceRecord[] = [];
  let iterator: AsyncIterator<SourceRecord> | undefined;
  try {
    // inside the try: an opener may read records before it answers (a POI file's first 50, for its
    // mapping), so enough problems can stop the preview there too
    const source = await open(
      {
        config: resolveConfig(snapshot.config_params, snapshot.source_type), upload: body, http: httpClientFromSettings(ctx.settings),
        redis: ctx.redis, queuePrefix: ctx.settings.QUEUE_PREFIX, log: ctx.log.child({ runId: snapshot.job_id }),
        // an uploaded file is read with no secret
        credentials: {},
      },
      (problem) => {
        problems.push(problem);
        if (problems.length >= Math.max(limit, 1)) throw enoughProblems;
      },
    );
    fields = source.fields;
    iterator = source.records[Symbol.asyncIterator]();
    // a header alone (limit 0) is enough for a sheet; a JSON file's columns come from its first records
    const wanted = limit > 0 ? limit : fields ? 0 : 20;
    while (records.length < wanted) {
      const next = await iterator.next();
      if (next.done) break;
      records.push(next.value);
    }
  } catch (error) {
    if (error !== enoughProblems) throw error;
  } finally {
    await iterator?.return?.(undefined);
  }
  const columns = fields ?? leafPathsOf(records.map((record) => record.fields));
  return {
    columns,
    records: records.slice(0, limit).map((record) => ({ line: record.line, rec_num: null, source_id: null, fields: fields ? record.fields : flattenRecord(record.fields) })),
    problems,
  };
}

// ---------------------------------------------------------------- errors as CSV

// A cell a spreadsheet would run as a formula gets a leading ' and shows as text (OWASP's CSV
// injection advice: = + - @, tab, carriage return). Negative numbers stay numbers: a longitude of
// -63.5 is not a formula, and quoting every one would turn a column of coordinates into text.
const formulaStart = /^[=+\-@\t\r]/;
const negativeNumber = /^-\d+(\.\d+)?$/;

export function spreadsheetSafe(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'string' ? value :
    typeof value === 'object' ? JSON.stringify(value) : String(value);
  return formulaStart.test(text) && !negativeNumber.test(text) ? `'${text}` : text;
}

/**
 * The record's columns in the order its file had them: the uploaded file's header (a JSON upload's
 * leaf paths) when there is one, else the leaf paths of the first logged record (a fetched source's
 * `title.rendered`). A column named like a fixed one is written `record.<name>`.
 */
async function errorRecordColumns(ctx: PipelineContext, runId: number): Promise<string[]> {
  let columns: string[] | null = null;
  const upload = (await listFiles(ctx.db, runId, 'upload'))[0];
  if (upload) {
    columns = await previewFile(ctx, upload, 0).then((preview) => preview.columns, (error: unknown) => {
      ctx.log.debug({ runId, err: String(error) }, 'errors.csv: the upload header could not be read; using the logged records');
      return null;
    });
  }
  columns ??= leafPaths((await firstLoggedRecord(ctx.db, runId)) ?? {});
  return columns;
}

/**
 * GET /jobs/:id/errors.csv: every logged error of the run, streamed from the database a batch at a
 * time and written by fast-csv (RFC 4180: CRLF, quoted where needed; a BOM so spreadsheet programs
 * read UTF-8). Columns: line, field, reason, value, then the record as it was read.
 */
async function sendErrorsCsv(ctx: PipelineContext, runId: number, res: import('express').Response): Promise<void> {
  const recordColumns = await errorRecordColumns(ctx, runId);
  const fixed: readonly string[] = errorsCsvColumns;
  const header = [...fixed, ...recordColumns.map((name) => (fixed.includes(name) ? `record.${name}` : name))];
  async function* rows() {
    yield header.map(spreadsheetSafe);
    for await (const error of exportErrors(ctx.db, runId)) {
      const record = error.original_record ?? {};
      yield [error.line, error.field, error.error_message, error.value, ...recordColumns.map((name) => readPath(record, name))].map(spreadsheetSafe);
    }
  }
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="run-${runId}-errors.csv"`);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  try {
    await pipeline(Readable.from(rows()), csvFormat({ rowDelimiter: '\r\n', includeEndRowDelimiter: true, writeBOM: true }), res);
  } catch (error) {
    // the client left, or the database failed mid-export: the response is cut short either way
    ctx.log.warn({ runId, err: String(error) }, 'errors.csv ended early');
  }
}
