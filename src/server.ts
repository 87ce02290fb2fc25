// The HTTP process: API, admin UI and Bull Board. `npm run server`.
import http from 'node:http';
import { createApp } from './api/app';
import { loadSettingsOrExit } from './config';
import { runEntryPoint, stopOnSignal } from './entry-point';
import { closeContext, createContext, type PipelineContext } from './context';
import { createLogger } from './logger';
import { ensureFirstAdmin, prepareDatabase } from './bootstrap';
import { reconcileSchedules } from './queues/schedules';

// the requests each server is answering, and the servers shutting down (see closeHttpServer)
const requestsInFlight = new WeakMap<http.Server, Set<http.ServerResponse>>();
const draining = new WeakSet<http.Server>();

export async function startServer(ctx: PipelineContext, port: number): Promise<http.Server> {
  const server = http.createServer();
  // uploads can be large and slow: no request timeout, but headers must arrive promptly
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;
  // an idle kept-alive connection stays open longer than clients and proxies keep theirs (a load
  // balancer's 60 s, undici's hint minus a second): with Node's 5 s, a client that sends on a
  // connection just as the server closes it gets a reset instead of an answer, which a busy event
  // loop makes likely
  server.keepAliveTimeout = 65_000;
  const inFlight = new Set<http.ServerResponse>();
  requestsInFlight.set(server, inFlight);
  server.on('request', (_request, response) => {
    inFlight.add(response);
    // while draining, a kept-alive connection is closed after its answer instead of idling for
    // keepAliveTimeout and holding close() up
    if (draining.has(server)) response.setHeader('connection', 'close');
    response.once('close', () => {
      inFlight.delete(response);
      if (draining.has(server)) setImmediate(() => server.closeIdleConnections());
    });
  });
  server.on('request', createApp(ctx)); // after the listener above, which must see a request first
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  return server;
}

/**
 * Stops accepting connections and waits up to graceMs for the requests in flight to be answered,
 * then cuts the connections still open. Resolves with how many requests were cut (0: all answered).
 */
export async function closeHttpServer(server: http.Server, graceMs: number): Promise<number> {
  draining.add(server);
  const closed = new Promise<true>((resolve) => server.close(() => resolve(true)));
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)));
  const finished = await Promise.race([closed, graceOver]);
  clearTimeout(timer);
  if (finished) return 0;
  const cut = requestsInFlight.get(server)?.size ?? 0;
  server.closeAllConnections();
  await closed;
  return cut;
}

export function serverUrl(server: http.Server): string {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return `http://localhost:${port}`;
}

async function main() {
  const settings = loadSettingsOrExit();
  const log = createLogger(settings.LOG_LEVEL, 'server');
  await prepareDatabase(settings, log);
  const ctx = createContext(settings, log);
  const admin = await ensureFirstAdmin(ctx.db, settings);
  // scheduler duties: one job scheduler per scheduled config (BullMQ needs no separate daemon)
  log.info(await reconcileSchedules(ctx), 'job schedulers match the scheduled configs');
  const server = await startServer(ctx, settings.PORT);
  log.info({ url: serverUrl(server) }, 'server started');
  if (admin?.generatedPassword) {
    process.stdout.write(`First admin created: sign in as ${admin.email} with password ${admin.generatedPassword}\n`);
  }
  const graceMs = settings.WORKER_SHUTDOWN_GRACE_MS;
  stopOnSignal(log, {
    graceMs,
    async stop() {
      const cut = await closeHttpServer(server, graceMs);
      if (cut) log.warn({ requests: cut, graceMs }, `shutdown grace of ${graceMs} ms ended: ${cut} request(s) still in flight were cut`);
      await closeContext(ctx);
    },
  });
}

if (require.main === module) runEntryPoint(main);
