// `npm start`: the whole product in one process on this machine's PostgreSQL and Redis.
import type http from 'node:http';
import { loadSettingsOrExit } from './config';
import { runEntryPoint, stopOnSignal } from './entry-point';
import { closeContext, createContext } from './context';
import { createLogger } from './logger';
import { ensureFirstAdmin, prepareDatabase } from './bootstrap';
import { queueNames } from './queues/names';
import { resumeRuns } from './queues/run-flow';
import { reconcileSchedules } from './queues/schedules';
import { closeHttpServer, serverUrl, startServer } from './server';
import { jobsRunning } from './queues/workers';
import { logJobsLeftToStalledRecovery, startWorkerFleet, stopWorkers } from './worker';

async function main() {
  const settings = loadSettingsOrExit();
  const log = createLogger(settings.LOG_LEVEL, 'listings-pipeline');
  await prepareDatabase(settings, log);
  const ctx = createContext(settings, log);
  const admin = await ensureFirstAdmin(ctx.db, settings);
  const workers = startWorkerFleet(ctx, queueNames, 2);
  let server: http.Server | undefined;
  const graceMs = settings.WORKER_SHUTDOWN_GRACE_MS;
  stopOnSignal(log, {
    graceMs,
    leftBehind: () => ({ jobs: jobsRunning(workers), note: 'left to BullMQ stalled-job recovery' }),
    async stop() {
      const [cut, left] = await Promise.all([server ? closeHttpServer(server, graceMs) : 0, stopWorkers(workers, graceMs)]);
      if (cut) log.warn({ requests: cut, graceMs }, `shutdown grace of ${graceMs} ms ended: ${cut} request(s) still in flight were cut`);
      if (left.length) return logJobsLeftToStalledRecovery(log, left, graceMs);
      await closeContext(ctx);
    },
  });
  const resumed = await resumeRuns(ctx);
  if (resumed) log.info({ runs: resumed }, 're-enqueued runs PostgreSQL says were moving');
  log.info(await reconcileSchedules(ctx), 'job schedulers match the scheduled configs');
  server = await startServer(ctx, settings.PORT);
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
}

runEntryPoint(main);
