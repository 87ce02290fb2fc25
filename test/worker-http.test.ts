// A worker process's own /healthz, /readyz and /metrics on WORKER_METRICS_PORT: a real worker process
// (as docker-compose starts worker-transform) runs a run's transform, is scraped, and closes the port
// on SIGTERM; a port in use stops start-up; readiness names what does not answer.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { loadSettings } from '../src/config';
import { closeContext, createContext } from '../src/context';
import { createLogger } from '../src/logger';
import { closeWorkerHttp, startWorkerHttp, workerHttpUrl } from '../src/worker-http';
import type { TestContext } from './harness/context';
import { ApiClient } from './harness/http';
import {
  createCsvSource, listingsCsv, makeListings, startCsvRun, startPipelineUnderTest, waitForRun, type PipelineUnderTest,
} from './harness/pipeline';
import { testRedisUrl } from './harness/services';
import { spawnEntry, type Spawned } from './harness/spawn';

jest.setTimeout(120_000);

let product: PipelineUnderTest;
let t: TestContext;
let admin: ApiClient;
const processes: Spawned[] = [];

beforeAll(async () => {
  // import and stage run in this process; transform only in the worker process(es) under test
  product = await startPipelineUnderTest({}, ['import', 'stage']);
  ({ t, admin } = product);
});

afterAll(async () => {
  for (const child of processes) await child.kill('SIGKILL');
  await product?.close();
});

/** A port nothing listens on (the OS's pick, released at once). */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** docker-compose's health check of the worker services (x-worker), run here against a port. */
function composeWorkerHealthcheck(port: number): number | null {
  const compose = fs.readFileSync(path.join(__dirname, '..', 'docker-compose.yml'), 'utf8');
  const block = compose.slice(compose.indexOf('\nx-worker: &worker\n'), compose.indexOf('\nservices:\n'));
  expect(block).toContain('WORKER_METRICS_PORT: "9464"');
  const test: string[] = JSON.parse(block.match(/\n {4}test: (\[.*\])\n/)![1]!);
  expect(test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
  expect(test[3]).toContain("fetch('http://127.0.0.1:9464/healthz')");
  return spawnSync(process.execPath, ['-e', test[3]!.replace(':9464/', `:${port}/`)], { timeout: 10_000 }).status;
}

function startTransformWorker(env: Record<string, string>): Spawned {
  const worker = spawnEntry('src/worker.ts', ['--queues', 'transform', '--concurrency', '2'], {
    DATABASE_URL: t.settings.DATABASE_URL, REDIS_URL: t.settings.REDIS_URL, QUEUE_PREFIX: t.settings.QUEUE_PREFIX,
    STORAGE_URL: t.settings.STORAGE_URL, LOG_LEVEL: 'info', ...env,
  });
  processes.push(worker);
  return worker;
}

describe('a worker process with WORKER_METRICS_PORT', () => {
  it('answers /healthz, /readyz and /metrics with its own jobs, and closes the port on SIGTERM', async () => {
    const port = await freePort();
    const worker = startTransformWorker({ WORKER_METRICS_PORT: String(port) });
    await worker.waitFor(new RegExp(`"metricsUrl":"http://localhost:${port}".*"msg":"worker started"`), 90_000);
    const base = `http://127.0.0.1:${port}`;

    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
    expect(composeWorkerHealthcheck(port)).toBe(0);

    const before = await fetch(`${base}/metrics`);
    expect(before.status).toBe(200);
    expect(before.headers.get('content-type')).toContain('text/plain');
    const idle = await before.text();
    expect(idle).toContain('# HELP pipeline_job_duration_seconds ');
    expect(idle).toContain('# HELP pipeline_rows_total ');
    expect(idle).toContain('# HELP process_cpu_user_seconds_total '); // Node's default metrics
    expect(idle).toContain('# HELP nodejs_eventloop_lag_seconds ');
    expect(idle).not.toContain('pipeline_job_duration_seconds_count');
    // queue depths are the server's to report: every worker repeating them would multiply a sum
    expect(idle).not.toContain('pipeline_queue_jobs');

    // a run whose transform only this worker can take
    const { configId } = await createCsvSource(admin, 'Visit Scraped Harbour');
    const runId = await startCsvRun(admin, configId, listingsCsv(makeListings(3)));
    await waitForRun(admin, runId, ['awaiting_review'], 60_000);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/^pipeline_job_duration_seconds_count\{queue="transform",outcome="success"\} 1$/m);
    expect(text).toMatch(/^pipeline_rows_total\{step="transform",result="staged"\} 3$/m);
    // the import and stage jobs ran in another process: not counted here
    expect(text).not.toMatch(/queue="(import|stage)"/);

    worker.child.kill('SIGTERM');
    expect(await worker.exited()).toBe(0);
    expect(worker.output()).toContain('"msg":"stopped"');
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    expect(composeWorkerHealthcheck(port)).toBe(1);
    await expect(new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.destroy(); resolve('connected'); });
      socket.once('error', (error: NodeJS.ErrnoException) => reject(error.code));
    })).rejects.toBe('ECONNREFUSED');
  });

  it('a port already in use stops start-up with one line naming WORKER_METRICS_PORT, before any job is taken', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, resolve));
    const { port } = holder.address() as net.AddressInfo;
    try {
      const worker = startTransformWorker({ WORKER_METRICS_PORT: String(port) });
      expect(await worker.exited()).toBe(1);
      const lines = worker.output().trim().split('\n');
      expect(lines.at(-1)).toBe(
        `WORKER_METRICS_PORT ${port} is already in use (another worker on this machine?): set WORKER_METRICS_PORT to a free port, or 0 for any free one`);
      expect(worker.output()).not.toContain('worker started');
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('without WORKER_METRICS_PORT serves nothing; 0 picks a free port', async () => {
    const off = startTransformWorker({});
    await off.waitFor(/"metricsUrl":null,.*"msg":"worker started"/, 90_000);
    await off.kill();
    const any = startTransformWorker({ WORKER_METRICS_PORT: '0' });
    const [, url] = await any.waitFor(/"metricsUrl":"(http:\/\/localhost:\d+)".*"msg":"worker started"/, 90_000);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    await any.kill();
    expect(await any.exited()).toBe(0);
  });

  it('every worker service of docker-compose.yml is an x-worker (port and health check)', () => {
    const compose = fs.readFileSync(path.join(__dirname, '..', 'docker-compose.yml'), 'utf8');
    const services = [...compose.matchAll(/\n {2}(worker-[a-z]+):\n {4}(.*)\n/g)].map((m) => [m[1], m[2]]);
    expect(services.map(([name]) => name).sort()).toEqual(
      ['worker-geocode', 'worker-image', 'worker-import', 'worker-promote', 'worker-stage', 'worker-transform']);
    for (const [name, first] of services) expect({ name, first }).toEqual({ name, first: '<<: *worker' });
  });

  it('a wrong WORKER_METRICS_PORT is one line naming it', () => {
    expect(() => loadSettings({ WORKER_METRICS_PORT: 'ninety' })).toThrow('Setting WORKER_METRICS_PORT is wrong: expected a port number (got "ninety")');
    expect(() => loadSettings({ WORKER_METRICS_PORT: '70000' })).toThrow('Setting WORKER_METRICS_PORT is wrong: expected a port number (got "70000")');
    expect(loadSettings({}).WORKER_METRICS_PORT).toBeUndefined();
    expect(loadSettings({ WORKER_METRICS_PORT: '9464' }).WORKER_METRICS_PORT).toBe(9464);
  });
});

describe('/readyz of a worker', () => {
  it('answers 503 naming PostgreSQL when it does not answer, while Redis does', async () => {
    const settings = loadSettings({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/listings', REDIS_URL: testRedisUrl,
      QUEUE_PREFIX: t.settings.QUEUE_PREFIX, STORAGE_URL: t.settings.STORAGE_URL, LOG_LEVEL: 'silent',
    });
    const ctx = createContext(settings, createLogger('silent', 'test'));
    if (ctx.redis.status !== 'ready') await new Promise((resolve) => ctx.redis.once('ready', resolve));
    const http = await startWorkerHttp(ctx, 0);
    try {
      const reply = await fetch(`${workerHttpUrl(http)}/readyz`);
      expect(reply.status).toBe(503);
      const body = await reply.json();
      expect(body).toMatchObject({ status: 'not_ready', checks: { redis: 'ok' } });
      expect(body.checks.postgres).toMatch(/ECONNREFUSED/);
      expect((await fetch(`${workerHttpUrl(http)}/healthz`)).status).toBe(200);
    } finally {
      await closeWorkerHttp(http);
      await closeContext(ctx);
    }
  });
});
