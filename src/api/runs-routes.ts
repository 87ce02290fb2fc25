// Runs: executeStage / uploadStageFile (two-phase), jobs with files, errors, retry, cancel, discard;
// staged rows and review decisions; promote.
import path from 'node:path';
import { z } from 'zod';
import type { PipelineContext } from '../context';
import { getConfig } from '../db/configs';
import { getFile, listFiles, recordFile } from '../db/files';
import { listErrors } from '../db/errors';
import { inTransaction } from '../db/pool';
import * as review from '../db/review';
import * as runs from '../db/runs';
import { fileSourceTypes } from '../domain/config-params';
import { enqueueImport, enqueuePromote, resumeRuns } from '../queues/run-flow';
import { jobIds } from '../queues/names';
import { uploadKey } from '../storage/blob-keys';
import { ApiError, notFound, parseInput } from './errors';
import { currentUser, idParam, idQuery, idSchema, maxBigSerialId, type RouteSpec } from './routes';
import { storeUpload } from './upload';

const executeBody = z.union([
  z.strictObject({ configId: idSchema(maxBigSerialId) }),
  z.strictObject({ jobId: idSchema(maxBigSerialId), continue: z.literal(true) }),
]);
const acceptedFiles = ['.csv', '.txt', 'text/csv'];
const positive = z.coerce.number().int().positive();
// pages beyond this are empty for any run this product can hold; the cap keeps OFFSET a plain number
const page = positive.max(1_000_000);
const rowsQuery = z.object({
  jobId: idQuery(maxBigSerialId),
  action: z.enum(review.recordActions).optional(),
  review: z.enum(review.reviewStatuses).optional(),
  q: z.string().max(200).optional(),
  page: page.default(1),
  pageSize: positive.max(500).default(50),
});
const reviewBody = z.strictObject({
  jobId: idSchema(maxBigSerialId),
  ids: z.array(idSchema(maxBigSerialId)).max(10_000).optional(),
  filter: z.strictObject({
    action: z.enum(review.recordActions).optional(),
    review: z.enum(review.reviewStatuses).optional(),
    proposed: z.boolean().optional(),
  }).optional(),
  decision: z.enum(['approve', 'reject']),
  override_action: z.enum(['insert', 'update', 'unchanged', 'delete']).optional(),
  match_listing_id: idSchema().optional(),
  create_new: z.boolean().optional(),
}).refine((body) => body.ids || body.filter, { message: 'say which rows: ids or filter' });

/** GET /jobs/:id shape of API.md. */
function presentRun(run: NonNullable<Awaited<ReturnType<typeof runs.getRunWithResults>>>) {
  const total = Number(run.progress_total);
  const done = Number(run.progress_done);
  return {
    id: run.id, config_id: run.config_id, dmo_id: run.dmo_id, status: run.status, stage: run.stage,
    progress: { stage: run.stage, done, total, percent: total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0 },
    created_at: run.created_at, started_at: run.started_at, finished_at: run.finished_at,
    error_summary: run.error_summary, delete_guard: run.delete_guard, results: run.results, promote_results: run.promote_results,
  };
}

async function requireRun(ctx: PipelineContext, runId: number) {
  const run = await runs.getRunWithResults(ctx.db, runId);
  if (!run) throw notFound(`Run ${runId}`);
  return run;
}

export function runRoutes(ctx: PipelineContext): RouteSpec[] {
  return [
    {
      method: 'post', path: '/executeStage', access: 'pipeline:write',
      handler: async (req, res) => {
        const body = parseInput(executeBody, req.body);
        if ('configId' in body) {
          const config = await getConfig(ctx.db, body.configId);
          if (!config) throw notFound(`Config ${body.configId}`);
          if (!config.active) throw new ApiError(409, 'inactive', `Config ${config.id} is not active; activate it first`);
          const needsFile = fileSourceTypes.includes(config.source_type);
          const runId = await runs.createRun(ctx.db, config.id, needsFile ? 'waiting_for_input' : 'queued', currentUser(res).id);
          if (needsFile) return { status: 'waiting_for_input', inputType: 'file', jobId: runId, accept: acceptedFiles };
          await enqueueImport(ctx, runId);
          res.status(202);
          return { status: 'queued', jobId: runId };
        }
        const run = await requireRun(ctx, body.jobId);
        if (run.status !== 'waiting_for_input') {
          throw new ApiError(409, 'not_waiting', `Run ${run.id} is ${run.status}, not waiting for input`);
        }
        if (!(await listFiles(ctx.db, run.id, 'upload')).length) {
          throw new ApiError(409, 'no_file', `Run ${run.id} has no uploaded file yet: POST it to /uploadStageFile first`);
        }
        await runs.transitionRun(ctx.db, run.id, ['waiting_for_input'], 'queued');
        await enqueueImport(ctx, run.id);
        res.status(202);
        return { status: 'queued', jobId: run.id };
      },
    },
    {
      method: 'post', path: '/uploadStageFile', access: 'pipeline:write',
      handler: async (req, res) => {
        let runRow: runs.RunRow | null = null;
        const { upload, key } = await storeUpload(req, ctx.store, ctx.settings.UPLOAD_MAX_BYTES, async (fields, fileName) => {
          const runId = Number(fields.jobId);
          if (!Number.isSafeInteger(runId) || runId <= 0) {
            throw new ApiError(400, 'invalid_request', 'jobId: send the run id as a field before the file (or as ?jobId=)');
          }
          runRow = await runs.getRun(ctx.db, runId);
          if (!runRow) throw notFound(`Run ${runId}`);
          if (runRow.status !== 'waiting_for_input') {
            throw new ApiError(409, 'not_waiting', `Run ${runId} is ${runRow.status}: it does not wait for a file`);
          }
          const extension = path.extname(fileName).toLowerCase().replace(/[^a-z0-9.]/g, '') || '.csv';
          return uploadKey({ env: ctx.settings.PIPELINE_ENV, domain: runRow.data_domain, dmoId: runRow.dmo_id, runId, date: runRow.created_at },
            extension.slice(1) || 'csv');
        });
        const run = runRow! as runs.RunRow;
        if (upload.bytes === 0) {
          await ctx.store.delete(key);
          throw new ApiError(400, 'empty_file', `${upload.originalName} is empty`);
        }
        const file = await recordFile(ctx.db, {
          job_id: run.id, kind: 'upload', seq: 0, storage_key: key, original_name: upload.originalName.slice(0, 255),
          format: 'csv', data_domain: run.data_domain, dmo_id: run.dmo_id, bytes: upload.bytes,
        });
        res.status(201);
        return { fileId: file.id, bytes: upload.bytes };
      },
    },
    {
      method: 'get', path: '/jobs', access: 'pipeline:read',
      handler: async (req) => {
        const query = parseInput(z.object({
          configId: idQuery(maxBigSerialId).optional(), status: z.enum(runs.runStatuses).optional(),
          page: page.default(1), pageSize: positive.max(500).default(100),
        }), req.query);
        const list = await runs.listRuns(ctx.db, query, query.pageSize, (query.page - 1) * query.pageSize);
        return { jobs: list.map(presentRun) };
      },
    },
    { method: 'get', path: '/jobs/:id', access: 'pipeline:read', handler: async (req) => presentRun(await requireRun(ctx, idParam(req, 'id', maxBigSerialId))) },
    {
      method: 'get', path: '/jobs/:id/files', access: 'pipeline:read',
      handler: async (req) => {
        const run = await requireRun(ctx, idParam(req, 'id', maxBigSerialId));
        return { files: await listFiles(ctx.db, run.id) };
      },
    },
    {
      method: 'get', path: '/jobs/:id/files/:fileId/download', access: 'pipeline:read',
      handler: async (req, res) => {
        const file = await getFile(ctx.db, idParam(req, 'id', maxBigSerialId), idParam(req, 'fileId', maxBigSerialId));
        if (!file) throw notFound(`File ${req.params.fileId} of run ${req.params.id}`);
        const body = await ctx.store.get(file.storage_key);
        res.setHeader('Content-Type', file.kind === 'raw' ? 'application/gzip' : 'text/csv; charset=utf-8');
        res.setHeader('Content-Disposition', `attachment; filename="${path.basename(file.storage_key).replace(/"/g, '')}"`);
        res.setHeader('X-Content-Type-Options', 'nosniff');
        body.pipe(res);
        await new Promise((resolve, reject) => body.once('end', resolve).once('error', reject));
      },
    },
    {
      method: 'get', path: '/jobs/:id/errors', access: 'pipeline:read',
      handler: async (req) => {
        const run = await requireRun(ctx, idParam(req, 'id', maxBigSerialId));
        const query = parseInput(z.object({ page: page.default(1), pageSize: positive.max(1000).default(100) }), req.query);
        return listErrors(ctx.db, run.id, query.pageSize, (query.page - 1) * query.pageSize);
      },
    },
    {
      method: 'post', path: '/jobs/:id/retry', access: 'pipeline:write',
      handler: async (req) => {
        const run = await requireRun(ctx, idParam(req, 'id', maxBigSerialId));
        if (run.status !== 'failed') throw new ApiError(409, 'not_failed', `Run ${run.id} is ${run.status}; only a failed run can be retried`);
        const to = run.stage === 'promote' ? 'promoting' : 'queued';
        await runs.transitionRun(ctx.db, run.id, ['failed'], to, { errorSummary: null });
        // failed BullMQ jobs keep their ids: remove them so the same ids can run again
        for (const [queue, id] of [['import', jobIds.import(run.id)], ['stage', jobIds.stage(run.id)], ['promote', jobIds.promote(run.id)]] as const) {
          const job = await ctx.queues[queue].getJob(id);
          if (job && (await job.isFailed())) await job.remove({ removeChildren: true });
        }
        for (const file of await listFiles(ctx.db, run.id, 'raw')) {
          const job = await ctx.queues.transform.getJob(jobIds.transform(run.id, file.seq));
          if (job && (await job.isFailed())) await job.remove();
        }
        await resumeRuns(ctx);
        return presentRun(await requireRun(ctx, run.id));
      },
    },
    {
      method: 'post', path: '/jobs/:id/cancel', access: 'pipeline:write',
      handler: async (req) => {
        const run = await requireRun(ctx, idParam(req, 'id', maxBigSerialId));
        const ok = await runs.transitionRun(ctx.db, run.id, ['waiting_for_input', 'queued', 'running', 'awaiting_review'], 'cancelled',
          { errorSummary: 'Cancelled by a user' });
        if (!ok) throw new ApiError(409, 'not_cancellable', `Run ${run.id} is ${run.status} and cannot be cancelled`);
        return presentRun(await requireRun(ctx, run.id));
      },
    },
    {
      method: 'post', path: '/jobs/:id/discard', access: 'pipeline:write',
      handler: async (req) => {
        const run = await requireRun(ctx, idParam(req, 'id', maxBigSerialId));
        if (['promoting', 'promoted'].includes(run.status)) {
          throw new ApiError(409, 'promoted', `Run ${run.id} is ${run.status}: its rows are in production and cannot be discarded`);
        }
        await inTransaction(ctx.db, async (client) => {
          await runs.transitionRun(client, run.id, ['waiting_for_input', 'queued', 'running', 'awaiting_review', 'failed', 'superseded'],
            'cancelled', { errorSummary: 'Discarded: its staged rows were dropped' });
          await review.discardRows(client, run.id);
        });
        return presentRun(await requireRun(ctx, run.id));
      },
    },
    {
      method: 'get', path: '/staging/rows', access: 'pipeline:read',
      handler: async (req) => {
        const query = parseInput(rowsQuery, req.query);
        await requireRun(ctx, query.jobId);
        return review.listRows(ctx.db, query.jobId, { action: query.action, review: query.review, q: query.q }, query.page, query.pageSize);
      },
    },
    {
      method: 'get', path: '/staging/rows/:id', access: 'pipeline:read',
      handler: async (req) => {
        const row = await review.getRow(ctx.db, idParam(req, 'id', maxBigSerialId));
        if (!row) throw notFound(`Staged row ${req.params.id}`);
        const production = await review.productionRecord(ctx.db, row.listing_id, row.listing_info_id);
        return { row, production, diff: review.fieldDiff(row, production) };
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
        const updated = await inTransaction(ctx.db, (client) =>
          review.approveRows(client, run.id, { ids: body.ids, filter: body.filter }, body.decision, currentUser(res).id, {
            overrideAction: body.override_action, matchListingId: body.match_listing_id, createNew: body.create_new,
          })).catch((error: unknown) => {
          if (error instanceof review.ReviewConflict) throw new ApiError(409, 'review_conflict', error.message);
          throw error;
        });
        return { updated };
      },
    },
    {
      method: 'post', path: '/staging/promote', access: 'pipeline:promote',
      handler: async (req, res) => {
        const { jobId } = parseInput(z.strictObject({ jobId: idSchema(maxBigSerialId) }), req.body);
        const run = await requireRun(ctx, jobId);
        if (run.status === 'awaiting_review') {
          await runs.transitionRun(ctx.db, run.id, ['awaiting_review'], 'promoting', { stage: 'promote' });
          await enqueuePromote(ctx, run.id);
        } else if (!['promoting', 'promoted'].includes(run.status)) {
          throw new ApiError(409, 'not_in_review', `Run ${run.id} is ${run.status}; only a run awaiting review can be promoted`);
        }
        res.status(202);
        return { jobId: run.id, status: run.status === 'promoted' ? 'promoted' : 'promoting' };
      },
    },
  ];
}
