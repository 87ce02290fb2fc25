// Bull Board at /admin/queues behind our login: read-only with pipeline:read, full with pipeline:queues.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { RequestHandler } from 'express';
import type { PipelineContext } from '../context';
import { queueNames } from '../queues/names';
import type { AuthUser } from '../db/users';

export const bullBoardPath = '/admin/queues';

function boardRouter(ctx: PipelineContext, readOnlyMode: boolean) {
  const adapter = new ExpressAdapter();
  adapter.setBasePath(bullBoardPath);
  createBullBoard({
    queues: queueNames.map((name) => new BullMQAdapter(ctx.queues[name], { readOnlyMode })),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: readOnlyMode ? 'Pipeline queues (read-only)' : 'Pipeline queues' } },
  });
  return adapter.getRouter() as RequestHandler;
}

export function bullBoard(ctx: PipelineContext): RequestHandler {
  const full = boardRouter(ctx, false);
  const readOnly = boardRouter(ctx, true);
  return (req, res, next) => {
    const user = res.locals.user as AuthUser | undefined;
    if (!user) {
      // back to the very page asked for (a job's link from a run page) once signed in
      if (!req.path.startsWith('/api/') && req.get('accept')?.includes('text/html')) {
        return res.redirect(`/admin/sign-in?next=${encodeURIComponent(req.originalUrl)}`);
      }
      return res.status(401).json({ error: { code: 'unauthenticated', message: 'Sign in first to see the queues' } });
    }
    if (user.permissions.includes('pipeline:queues')) return full(req, res, next);
    if (user.permissions.includes('pipeline:read')) return readOnly(req, res, next);
    return res.status(403).json({
      error: { code: 'forbidden', message: 'This needs the permission pipeline:read, which your roles do not grant' },
    });
  };
}
