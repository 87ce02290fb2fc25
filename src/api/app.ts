// The Express app: API routes from their declared lists, Bull Board, the admin UI, JSON errors.
import cookieParser from 'cookie-parser';
import express from 'express';
import type { PipelineContext } from '../context';
import { adminUi } from './admin-ui';
import { imageFiles, imageRoutes } from './images-routes';
import { authenticate, authRoutes } from './auth';
import { bullBoard, bullBoardPath } from './bull-board';
import { errorHandler, notFoundHandler } from './errors';
import { healthRoutes } from './health-routes';
import { listingRoutes } from './listings-routes';
import { mappingRoutes } from './mappings-routes';
import { metricsRoutes } from './metrics-routes';
import { originGuard } from './origin-guard';
import { publicRoutes } from './public-routes';
import { requireUtf8Json } from './request-text';
import { routerFrom, type RouteSpec } from './routes';
import { runRoutes } from './runs-routes';
import { securityHeaders } from './security-headers';
import { sourceRoutes } from './sources-routes';
import { userRoutes } from './users-routes';
import { registerClusterGauges } from '../metrics';

export interface RouteGroup {
  prefix: string;
  routes: RouteSpec[];
}

/** Every API route of the product, by mount point: what the app serves and what tests walk. */
export function routeGroups(ctx: PipelineContext): RouteGroup[] {
  return [
    { prefix: '', routes: healthRoutes(ctx) },
    { prefix: '/api/v1/auth', routes: authRoutes(ctx) },
    { prefix: '/api/v1/admin', routes: userRoutes(ctx) },
    { prefix: '/api/v1/pipeline', routes: [...sourceRoutes(ctx), ...runRoutes(ctx), ...imageRoutes(ctx), ...listingRoutes(ctx), ...mappingRoutes(ctx), ...metricsRoutes(ctx)] },
    { prefix: '/v1', routes: publicRoutes(ctx) },
  ];
}

export function createApp(ctx: PipelineContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // <, > and & in replies written as \u003c…: a listing named <script> stays inert even in a reply read as HTML
  app.set('json escape', true);
  app.use(securityHeaders([bullBoardPath]));
  app.use(originGuard(ctx.settings.ALLOWED_ORIGINS)); // before any body is read or any write runs
  app.use(express.json({ limit: '1mb', verify: requireUtf8Json }));
  app.use(cookieParser()); // its values may be objects (`j:` JSON) or anything: sessionSecret takes only a session's shape
  app.use(authenticate(ctx));
  registerClusterGauges(ctx); // the API's /metrics alone has the fleet-wide gauges (src/metrics.ts)

  for (const group of routeGroups(ctx)) app.use(group.prefix || '/', routerFrom(group.routes));
  app.use(bullBoardPath, bullBoard(ctx));
  app.use('/images', imageFiles(ctx));
  app.use('/admin', adminUi());
  app.get('/', (_req, res) => res.redirect('/admin/'));

  app.use(notFoundHandler);
  app.use(errorHandler(ctx.log));
  return app;
}
