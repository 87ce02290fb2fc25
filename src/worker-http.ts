// A worker process's own small HTTP endpoint on WORKER_METRICS_PORT: /healthz, /readyz and /metrics,
// the same routes (and the same readiness checks) as the server's, so Prometheus can scrape every
// worker and docker-compose can health-check it. The process's registry holds its job durations,
// rows per step and Node's default metrics; queue depths are left to the server's /metrics (every
// worker reporting the same Redis counts would multiply them in a sum).
import http from 'node:http';
import express from 'express';
import type { PipelineContext } from './context';
import { healthRoutes } from './api/health-routes';
import { routerFrom } from './api/routes';

/** Listens on port (0: any free one); a port in use rejects with one line naming WORKER_METRICS_PORT. */
export async function startWorkerHttp(ctx: PipelineContext, port: number): Promise<http.Server> {
  const app = express();
  app.disable('x-powered-by');
  app.use(routerFrom(healthRoutes(ctx)));
  const server = http.createServer(app);
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE'
        ? new Error(`WORKER_METRICS_PORT ${port} is already in use (another worker on this machine?): set WORKER_METRICS_PORT to a free port, or 0 for any free one`)
        : new Error(`WORKER_METRICS_PORT ${port}: cannot listen (${error.message})`));
    });
    server.listen(port, () => resolve());
  });
  return server;
}

export function workerHttpUrl(server: http.Server): string {
  const address = server.address();
  return `http://localhost:${typeof address === 'object' && address ? address.port : 0}`;
}

/** Stops listening; a scrape in flight gets up to graceMs to be answered, then its connection is cut. */
export async function closeWorkerHttp(server: http.Server, graceMs = 2_000): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}
