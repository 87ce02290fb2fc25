// /healthz (process up), /readyz (PostgreSQL and Redis answer), /metrics (Prometheus text of what
// src/metrics.ts declares; only the API process's has the fleet-wide gauges).
import type { PipelineContext } from '../context';
import { readinessTimeoutMs } from '../db/pool';
import { registry } from '../metrics';
import type { RouteSpec } from './routes';

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms).unref()),
  ]);
}

export function healthRoutes(ctx: PipelineContext): RouteSpec[] {
  return [
    { method: 'get', path: '/healthz', access: 'public', handler: () => ({ status: 'ok' }) },
    {
      method: 'get', path: '/readyz', access: 'public',
      handler: async (_req, res) => {
        const checks: Record<string, string> = {};
        // on its own connection, not the pools: API reads and workers using every connection is a
        // busy instance, not one to take out of rotation
        await withTimeout(ctx.readinessDb.query('SELECT 1'), readinessTimeoutMs, 'PostgreSQL')
          .then(() => (checks.postgres = 'ok'))
          .catch((error: Error) => (checks.postgres = error.message));
        await withTimeout(ctx.redis.ping(), readinessTimeoutMs, 'Redis')
          .then(() => (checks.redis = 'ok'))
          .catch((error: Error) => (checks.redis = error.message));
        const ready = Object.values(checks).every((value) => value === 'ok');
        res.status(ready ? 200 : 503);
        return { status: ready ? 'ready' : 'not_ready', checks };
      },
    },
    {
      method: 'get', path: '/metrics', access: 'public',
      handler: async (_req, res) => {
        res.type(registry.contentType).send(await registry.metrics());
      },
    },
  ];
}
