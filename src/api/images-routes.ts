// A run's images (DESIGN.md step 5): `GET /jobs/:id/images` for the Images page, the re-fetch of one
// image or of the run's failed ones, and the route that serves the stored copies (only image objects:
// a key of the image naming, never a raw file or an upload).
import express from 'express';
import type { PipelineContext } from '../context';
import { imagesQuery, refetchBody, type ImagesReply, type RefetchReply } from '../contract/images';
import { maxBigSerialId } from '../contract/sources';
import { imageOfRun, listRunImages, markForRefetch } from '../db/images';
import { getRun } from '../db/runs';
import { enqueueImageJobs } from '../queues/run-flow';
import { BlobNotFoundError } from '../storage/blob-store';
import { imageKeyPattern } from '../storage/blob-keys';
import { ApiError, notFound, parseInput } from './errors';
import { idParam, type RouteSpec } from './routes';

/** Runs whose images may be fetched again: staged, being promoted or promoted. */
const refetchable = ['awaiting_review', 'promoting', 'promoted'];

export function imageRoutes(ctx: PipelineContext): RouteSpec[] {
  const requireRun = async (runId: number) => {
    const run = await getRun(ctx.db, runId);
    if (!run) throw notFound(`Run ${runId}`);
    return run;
  };
  return [
    {
      method: 'get', path: '/jobs/:id/images', access: 'pipeline:read',
      handler: async (req): Promise<ImagesReply> => {
        const run = await requireRun(idParam(req, 'id', maxBigSerialId));
        return listRunImages(ctx.apiReads, run.id, parseInput(imagesQuery, req.query), ctx.settings.IMAGE_SIMILAR_BITS);
      },
    },
    {
      method: 'post', path: '/jobs/:id/images/refetch', access: 'pipeline:write',
      handler: async (req, res): Promise<RefetchReply> => {
        const run = await requireRun(idParam(req, 'id', maxBigSerialId));
        const body = parseInput(refetchBody, req.body ?? {});
        if (!refetchable.includes(run.status)) {
          throw new ApiError(409, 'not_staged', `Run ${run.id} is ${run.status}: images are fetched for a run that is awaiting review, promoting or promoted`);
        }
        if (body.image_id !== undefined && !(await imageOfRun(ctx.db, run.id, body.image_id))) throw notFound(`Image ${body.image_id} of run ${run.id}`);
        const marked = await markForRefetch(ctx.db, run.id, { imageId: body.image_id, failedOnly: body.failed_only });
        if (marked.urls.length) await enqueueImageJobs(ctx, run.id, { urls: marked.urls, at: Date.now() });
        res.status(202);
        return { jobId: run.id, images: marked.images };
      },
    },
  ];
}

const contentTypes: Record<string, string> = { jpg: 'image/jpeg', png: 'image/png', webp: 'image/webp', avif: 'image/avif', gif: 'image/gif' };

/**
 * `GET /images/{key}`: a stored image, to anyone (the public API's listings point here). Only keys
 * named as images are (this environment's `{env}-images/...`); the bytes never change under a key
 * (named by content), so browsers and CDNs may keep them for good.
 */
export function imageFiles(ctx: PipelineContext): express.RequestHandler {
  const prefix = `${ctx.settings.PIPELINE_ENV}-images/`;
  return async (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    let key: string;
    try {
      key = decodeURIComponent(req.path.slice(1));
    } catch {
      return next(notFound('That image'));
    }
    if (!key.startsWith(prefix) || !imageKeyPattern.test(key)) return next(notFound('That image'));
    try {
      const body = await ctx.store.get(key);
      res.setHeader('Content-Type', contentTypes[key.slice(key.lastIndexOf('.') + 1)]!);
      res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
      res.setHeader('ETag', `"${key.slice(key.lastIndexOf('/') + 1, key.lastIndexOf('.'))}"`);
      if (req.method === 'HEAD') {
        body.destroy();
        return res.end();
      }
      body.on('error', (error) => {
        ctx.log.warn({ key, err: error.message }, 'a stored image could not be read to its end');
        res.destroy(error);
      });
      body.pipe(res);
    } catch (error) {
      if (error instanceof BlobNotFoundError) return next(notFound('That image'));
      next(error);
    }
  };
}
