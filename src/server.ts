// The HTTP process: API, admin UI and Bull Board. `npm run server`.
import http from 'node:http';
import { createApp } from './api/app';
import { loadSettingsOrExit } from './config';
import { runEntryPoint, stopOnSignal } from './entry-point';
import { closeContext, createContext, type PipelineContext } from './context';
import { createLogger } from './logger';
import { ensureFirstAdmin, prepareDatabase } from './bootstrap';

export async function startServer(ctx: PipelineContext, port: number): Promise<http.Server> {
  const server = http.createServer(createApp(ctx));
  // uploads can be large and slow: no request timeout, but headers must arrive promptly
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  return server;
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
  const server = await startServer(ctx, settings.PORT);
  log.info({ url: serverUrl(server) }, 'server started');
  if (admin?.generatedPassword) {
    process.stdout.write(`First admin created: sign in as ${admin.email} with password ${admin.generatedPassword}\n`);
  }
  stopOnSignal(async () => {
    server.close();
    await closeContext(ctx);
  });
}

if (require.main === module) runEntryPoint(main);
