// The whole product started in this process on throwaway state: its own database, queue prefix and
// storage folder, all removed by close(), so a benchmark never touches dev data.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'bullmq';
import pg from 'pg';
import { ensureFirstAdmin, prepareDatabase } from '../src/bootstrap';
import { loadSettings, type Settings } from '../src/config';
import { closeContext, createContext, type PipelineContext } from '../src/context';
import { createLogger } from '../src/logger';
import { deleteQueueKeys } from '../src/queues/connection';
import { queueNames } from '../src/queues/names';
import { serverUrl, startServer } from '../src/server';
import { startWorkerFleet, stopWorkers } from '../src/worker';
import { BenchApi } from './api-client';
import type { BenchOptions } from './options';

export interface BenchEnvironment {
  ctx: PipelineContext;
  settings: Settings;
  databaseName: string;
  api: BenchApi;
  /** the HTTP server, and the bench admin's sign-in for the browser */
  baseUrl: string;
  login: { email: string; password: string };
  /** scratch folder for the generated CSV files */
  csvDir: string;
  /** the in-process workers (all six queues); the fleet section pauses them for worker processes */
  workers: Worker[];
  close(): Promise<void>;
}

/** ops' ceiling on any geocoding endpoint's rate in the bench; a config may only ask for less */
export const geocodeCeilingPerSec = 20;

const adminEmail = 'bench@example.org';
const adminPassword = crypto.randomBytes(12).toString('hex');

async function withServerDatabase<T>(postgresUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: `${postgresUrl}/postgres` });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function stopServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Creates and migrates listings_bench_<random>, starts the HTTP server and workers for all six queues
 * (in this process, as `npm start` does) and signs in through the API with a bench admin.
 */
export async function startBenchEnvironment(options: BenchOptions): Promise<BenchEnvironment> {
  const suffix = crypto.randomBytes(4).toString('hex');
  const databaseName = `listings_bench_${suffix}`;
  const prefix = `{bench-${suffix}}`;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'listings-bench-'));
  const storageDir = path.join(scratch, 'storage');
  const csvDir = path.join(scratch, 'csv');
  fs.mkdirSync(storageDir);
  fs.mkdirSync(csvDir);

  let ctx: PipelineContext | null = null;
  let server: http.Server | null = null;
  let workers: Worker[] = [];
  const close = async () => {
    await stopWorkers(workers).catch(() => undefined);
    if (server) await stopServer(server);
    if (ctx) await closeContext(ctx).catch(() => undefined);
    try {
      await deleteQueueKeys(options.redisUrl, prefix);
      await withServerDatabase(options.postgresUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`));
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  };

  try {
    // Explicit settings, never process.env: a DATABASE_URL in the shell must not point the bench at dev data.
    const settings = loadSettings({
      DATABASE_URL: `${options.postgresUrl}/${databaseName}`,
      REDIS_URL: options.redisUrl,
      QUEUE_PREFIX: prefix,
      STORAGE_URL: `file://${storageDir}`,
      PIPELINE_ENV: 'bench',
      ADMIN_EMAIL: adminEmail,
      ADMIN_PASSWORD: adminPassword,
      // warn keeps the table readable but still shows a failing job's message
      LOG_LEVEL: 'warn',
      // the geocoding section's local fake Nominatim (bench/geocoding-rate.ts), whose config asks for
      // less than this ceiling: the rate measured is the config's
      ALLOW_PRIVATE_HOSTS: '127.0.0.1',
      GEOCODE_RATE_PER_SEC: String(geocodeCeilingPerSec),
    });
    const log = createLogger(settings.LOG_LEVEL, 'bench');
    await prepareDatabase(settings, log);
    ctx = createContext(settings, log);
    await ensureFirstAdmin(ctx.db, settings);
    server = await startServer(ctx, 0);
    workers = startWorkerFleet(ctx, queueNames, options.concurrency);
    const api = await BenchApi.signIn(serverUrl(server), adminEmail, adminPassword);
    return { ctx, settings, databaseName, api, baseUrl: serverUrl(server), login: { email: adminEmail, password: adminPassword }, csvDir, workers, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
