// `npm start`: the whole product in one process on this machine's PostgreSQL and Redis.
import { loadSettingsOrExit } from './config';
import { runEntryPoint, stopOnSignal } from './entry-point';
import { closeContext, createContext } from './context';
import { createLogger } from './logger';
import { ensureFirstAdmin, prepareDatabase } from './bootstrap';
import { queueNames } from './queues/names';
import { resumeRuns } from './queues/run-flow';
import { serverUrl, startServer } from './server';
import { startWorkerFleet, stopWorkers } from './worker';

async function main() {
  const settings = loadSettingsOrExit();
  const log = createLogger(settings.LOG_LEVEL, 'listings-pipeline');
  await prepareDatabase(settings, log);
  const ctx = createContext(settings, log);
  const admin = await ensureFirstAdmin(ctx.db, settings);
  const workers = startWorkerFleet(ctx, queueNames, 2);
  const resumed = await resumeRuns(ctx);
  if (resumed) log.info({ runs: resumed }, 're-enqueued runs PostgreSQL says were moving');
  const server = await startServer(ctx, settings.PORT);
  const url = serverUrl(server);

  const lines = [
    '',
    `Listings pipeline is running (PIPELINE_ENV=${settings.PIPELINE_ENV}, storage ${ctx.store.url})`,
    `  Admin UI     ${url}/admin/`,
    `  API          ${url}/api/v1/`,
    `  Bull Board   ${url}/admin/queues`,
    `  Health       ${url}/healthz  ${url}/readyz  ${url}/metrics`,
    `  Workers      ${queueNames.join(', ')} (concurrency 2 each)`,
  ];
  if (admin?.generatedPassword) {
    lines.push('', `First admin created: sign in as ${admin.email} with password ${admin.generatedPassword}`,
      '  (shown this once; change it on My account in the admin UI, or set ADMIN_EMAIL/ADMIN_PASSWORD)');
  } else if (admin) {
    lines.push('', `Admin ${admin.email} created with the ADMIN_PASSWORD you set`);
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);

  stopOnSignal(async () => {
    server.close();
    await stopWorkers(workers);
    await closeContext(ctx);
  });
}

runEntryPoint(main);
