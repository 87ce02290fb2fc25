// Stopping processes: SIGTERM to a worker mid-job, to the server mid-upload, and to `npm start` itself.
// The worker runs exactly as docker-compose starts it; the slow job is real work (one transform of a
// 40,000-record file), not a hook in production code.
import { spawn, spawnSync } from 'node:child_process';
import { sleep, waitUntil as waitFor } from './harness/wait';
import fs from 'node:fs';
import path from 'node:path';
import { jobIds } from '../src/queues/names';
import type { TestContext } from './harness/context';
import { ApiClient } from './harness/http';
import {
  createCsvSource, listingsCsv, makeListings, startCsvRun, startPipelineUnderTest, waitForRun, type PipelineUnderTest,
} from './harness/pipeline';
import { spawnEntry, type Spawned } from './harness/spawn';

jest.setTimeout(240_000);

const root = path.resolve(__dirname, '..');
const total = 40_000; // one raw file: a single transform job of a few seconds
const oneFile = { import: { source_id_column: 'ID', split_records: 100_000, split_bytes: 64 * 1024 * 1024 } };
const lockDurationMs = 5_000;
const stalledIntervalMs = 1_000;

let product: PipelineUnderTest;
let t: TestContext;
let admin: ApiClient;
let user: { email: string; password: string };
const processes: Spawned[] = [];

beforeAll(async () => {
  // import and stage run in this process; transform only in the worker process(es) under test
  product = await startPipelineUnderTest({}, ['import', 'stage']);
  ({ t, admin } = product);
  user = product.adminLogin;
});

afterAll(async () => {
  for (const child of processes) await child.kill('SIGKILL');
  await product?.close();
});


/** This file's waits: longer than the harness default, polled every 50 ms. */
const waitUntil = <T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 90_000, everyMs = 50) =>
  waitFor(what, probe, timeoutMs, everyMs);

/** The command docker-compose runs for a service: the exec-form array of its `command:` line. */
function composeCommand(service: string): string[] {
  const compose = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
  const block = compose.slice(compose.indexOf(`\n  ${service}:\n`));
  return JSON.parse(block.match(/\n {4}command: (\[.*\])\n/)![1]!);
}

/** A transform worker started as docker-compose starts worker-transform (node itself, tsx as its loader). */
async function startTransformWorker(env: Record<string, string> = {}): Promise<Spawned> {
  const command = composeCommand('worker-transform');
  expect(command.slice(0, 4)).toEqual(['node', '--import', 'tsx', 'src/worker.ts']);
  const worker = spawnEntry(command[3]!, command.slice(4), {
    DATABASE_URL: t.settings.DATABASE_URL, REDIS_URL: t.settings.REDIS_URL, QUEUE_PREFIX: t.settings.QUEUE_PREFIX,
    STORAGE_URL: t.settings.STORAGE_URL, LOG_LEVEL: 'info',
    WORKER_LOCK_DURATION_MS: String(lockDurationMs), WORKER_STALLED_INTERVAL_MS: String(stalledIntervalMs), ...env,
  });
  processes.push(worker);
  await worker.waitFor(/"msg":"worker started"/, 90_000);
  return worker;
}

/** A run of a 40,000-record file whose one transform job is under way (some batches committed, not all). */
async function runWithTransformUnderWay(name: string) {
  const { configId } = await createCsvSource(admin, name, 3, oneFile);
  const runId = await startCsvRun(admin, configId, listingsCsv(makeListings(total)));
  const jobId = jobIds.transform(runId, 1);
  await waitUntil('the transform to be partly done', async () => {
    const { body } = await admin.get(`/api/v1/pipeline/jobs/${runId}`);
    if (['failed', 'cancelled'].includes(body.status)) throw new Error(`run ended ${body.status}: ${body.error_summary}`);
    const { stage, done, total: of } = body.progress;
    return stage === 'transform' && of === total && done > 0 && done < total && (await t.ctx.queues.transform.getJobState(jobId)) === 'active';
  });
  return { runId, jobId };
}

async function stagedRows(runId: number) {
  const { rows } = await t.ctx.db.query(
    `SELECT count(*)::int AS n, count(DISTINCT (file_seq, rec_num))::int AS distinct_records FROM staging.rows WHERE job_id = $1`, [runId]);
  return rows[0];
}

describe('a worker process receiving SIGTERM mid-job', () => {
  it('takes no new job, finishes the active one (BullMQ says completed) and exits 0 within the grace', async () => {
    const worker = await startTransformWorker({ WORKER_SHUTDOWN_GRACE_MS: '60000' });
    const { runId, jobId } = await runWithTransformUnderWay('Visit Graceful Harbour');

    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    await worker.waitFor(/SIGTERM: shutting down/);
    // a free slot (concurrency 2) that must stay free: a job added now is not taken
    const late = await t.ctx.queues.transform.add('transform', { runId, fileId: 999_999, seq: 99 }, { jobId: `run-${runId}-transform-99` });

    expect(await worker.exited()).toBe(0);
    const stoppedAfterMs = Date.now() - signalledAt;
    expect(stoppedAfterMs).toBeLessThan(60_000);
    expect(await t.ctx.queues.transform.getJobState(jobId)).toBe('completed');
    expect(await late.getState()).toBe('waiting');
    expect(worker.output()).toContain('"msg":"stopped"');
    expect(worker.output()).not.toContain('stalled-job recovery');
    process.stdout.write(`graceful stop: the worker finished its transform and exited ${stoppedAfterMs} ms after SIGTERM\n`);
    await late.remove();

    const staged = await waitForRun(admin, runId, ['awaiting_review'], 120_000);
    expect(staged.results).toMatchObject({ records_total: total, records_new: total, records_error: 0 });
    expect(await stagedRows(runId)).toEqual({ n: total, distinct_records: total });
  });

  it('with a grace shorter than the job: exits after the grace naming the job, which another worker then takes over', async () => {
    const first = await startTransformWorker({ WORKER_SHUTDOWN_GRACE_MS: '1000' });
    const { runId, jobId } = await runWithTransformUnderWay('Visit Hasty Harbour');

    const signalledAt = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.exited()).toBe(0);
    const stoppedAfterMs = Date.now() - signalledAt;
    expect(stoppedAfterMs).toBeGreaterThanOrEqual(1000);
    expect(stoppedAfterMs).toBeLessThan(5_000);
    expect(first.output()).toMatch(new RegExp(
      `shutdown grace of 1000 ms ended with 1 job\\(s\\) still running: transform/${jobId}; left to BullMQ stalled-job recovery`));
    // not failed, not completed: its lock lapses and it goes back to the queue
    expect(await t.ctx.queues.transform.getJobState(jobId)).toBe('active');
    const stagedAtStop = (await stagedRows(runId)).n;
    expect(stagedAtStop).toBeLessThan(total);

    await startTransformWorker();
    const staged = await waitForRun(admin, runId, ['awaiting_review'], 120_000);
    process.stdout.write(`grace too short: stopped ${stoppedAfterMs} ms after SIGTERM with ${stagedAtStop} of ${total} rows staged; ` +
      'a second worker took the job over after its lock lapsed\n');
    const job = await t.ctx.queues.transform.getJob(jobId);
    expect({ state: await job!.getState(), stalledCounter: job!.stalledCounter }).toEqual({ state: 'completed', stalledCounter: 1 });
    expect(staged.results).toMatchObject({ records_total: total, records_new: total, records_error: 0 });
    expect(await stagedRows(runId)).toEqual({ n: total, distinct_records: total });
  });
});

/** A multipart upload whose file arrives in two halves, the second only when `release` is called. */
function slowUpload(url: string, token: string, runId: number, csv: string) {
  const boundary = `----shutdown${Date.now()}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="jobId"\r\n\r\n${runId}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="listings.csv"\r\nContent-Type: text/csv\r\n\r\n`;
  const half = Math.floor(csv.length / 2);
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(encoder.encode(head + csv.slice(0, half)));
      await released;
      controller.enqueue(encoder.encode(`${csv.slice(half)}\r\n--${boundary}--\r\n`));
      controller.close();
    },
  });
  const reply = fetch(`${url}/api/v1/pipeline/uploadStageFile`, {
    method: 'POST', body, duplex: 'half',
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
  } as RequestInit);
  return { reply, release };
}

describe('the server process receiving SIGTERM', () => {
  async function startServerProcess() {
    const app = spawnEntry('src/server.ts', [], {
      DATABASE_URL: t.settings.DATABASE_URL, REDIS_URL: t.settings.REDIS_URL, QUEUE_PREFIX: t.settings.QUEUE_PREFIX,
      STORAGE_URL: t.settings.STORAGE_URL, PORT: '0', LOG_LEVEL: 'info', WORKER_SHUTDOWN_GRACE_MS: '20000',
    });
    processes.push(app);
    const [, url] = await app.waitFor(/"url":"(http:\/\/localhost:\d+)","msg":"server started"/, 90_000);
    const signIn = new ApiClient(url!);
    await signIn.login(user.email, user.password);
    const token = (await signIn.post('/api/v1/auth/tokens', { name: 'upload' })).body.token as string;
    return { app, url: url!, token };
  }

  async function runWaitingForItsFile(name: string) {
    const { configId } = await createCsvSource(admin, name);
    const first = await admin.post('/api/v1/pipeline/executeStage', { configId });
    expect(first.body.status).toBe('waiting_for_input');
    return first.body.jobId as number;
  }

  it('answers the upload in flight, refuses new connections, and exits 0', async () => {
    const { app, url, token } = await startServerProcess();
    const runId = await runWaitingForItsFile('Visit Uploading Harbour');
    const upload = slowUpload(url, token, runId, listingsCsv(makeListings(2_000)));
    await sleep(300); // the first half is on its way

    app.child.kill('SIGTERM');
    await app.waitFor(/SIGTERM: shutting down/);
    await sleep(500);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow(); // no new connections
    expect(app.child.exitCode).toBeNull(); // still answering the upload
    upload.release();
    const reply = await upload.reply;
    expect(reply.status).toBe(201);
    expect(await app.exited()).toBe(0);
    const { rows } = await t.ctx.db.query('SELECT count(*)::int AS n FROM pipeline.job_files WHERE job_id = $1', [runId]);
    expect(rows[0].n).toBe(1);
  });

  it('a second signal during the stop exits at once', async () => {
    const { app, url, token } = await startServerProcess();
    const runId = await runWaitingForItsFile('Visit Impatient Harbour');
    const upload = slowUpload(url, token, runId, listingsCsv(makeListings(2_000)));
    const outcome = upload.reply.then(() => 'answered', () => 'cut');
    await sleep(300);

    app.child.kill('SIGTERM');
    await app.waitFor(/SIGTERM: shutting down/);
    await sleep(1_200); // a repeat within a second is taken as the same request (Ctrl-C through npm)
    const secondAt = Date.now();
    app.child.kill('SIGINT');
    expect(await app.exited()).toBe(1);
    expect(Date.now() - secondAt).toBeLessThan(2_000);
    expect(app.output()).toContain('SIGINT again: exiting now without waiting');
    upload.release();
    expect(await outcome).toBe('cut');
  });
});

/** The process and its descendants, from /proc: pid, parent and command line. */
function processTree(rootPid: number): { pid: number; ppid: number; cmd: string[] }[] {
  const all = fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).flatMap((entry) => {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') return [];
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      return [{ pid: Number(entry), ppid: Number(ppid), cmd }];
    } catch {
      return []; // ended meanwhile
    }
  });
  const tree = all.filter((p) => p.pid === rootPid);
  for (let i = 0; i < tree.length; i++) tree.push(...all.filter((p) => p.ppid === tree[i]!.pid));
  return tree;
}

function isAlive(pid: number): boolean {
  const stat = (() => {
    try {
      return fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return null;
    }
  })();
  return stat !== null && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

describe('npm start receiving SIGTERM', () => {
  it('stops the node process that runs the product (npm relays the signal to it) and leaves none behind', async () => {
    const npm = spawn('npm', ['start'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', npm_config_update_notifier: 'false',
        DATABASE_URL: t.settings.DATABASE_URL, REDIS_URL: t.settings.REDIS_URL, QUEUE_PREFIX: t.settings.QUEUE_PREFIX,
        STORAGE_URL: t.settings.STORAGE_URL, PORT: '0', LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    try {
      const url = await waitUntil('npm start to print its URLs', async () => output.match(/Admin UI\s+(http:\/\/localhost:\d+)\/admin\//)?.[1], 120_000, 100);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);

      const tree = processTree(npm.pid!);
      const product = tree.filter((p) => p.cmd.includes('src/main.ts'));
      // one process runs the product: node itself, npm's own child (the shell exec'd it), no tsx wrapper
      expect(product).toHaveLength(1);
      expect(product[0]!.cmd.slice(1)).toEqual(['--import', 'tsx', 'src/main.ts']);
      expect(path.basename(product[0]!.cmd[0]!)).toBe('node');
      expect(product[0]!.ppid).toBe(npm.pid);

      npm.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('SIGTERM: shutting down');
      expect(output).toContain('"msg":"stopped"');
      for (const p of tree) expect({ pid: p.pid, cmd: p.cmd.join(' '), alive: isAlive(p.pid) }).toMatchObject({ alive: false });
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
      for (const p of processTree(npm.pid!)) if (p.pid !== npm.pid) process.kill(p.pid, 'SIGKILL');
    }
  });
});

describe('scripts/services.sh', () => {
  const services = (env: Record<string, string>) =>
    spawnSync('bash', [path.join(root, 'scripts/services.sh')], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, encoding: 'utf8', timeout: 30_000,
    });

  it('passes with the default URLs (this machine)', () => {
    const result = services({});
    expect(result.stdout).toContain('PostgreSQL answers on 127.0.0.1:5432');
    expect(result.stdout).toContain('Redis answers on 127.0.0.1:6379');
    expect(result.status).toBe(0);
  });

  it('a remote database that does not answer is named without its password, and nothing is started here', () => {
    const result = services({ DATABASE_URL: 'postgres://listings:s3cret@db.invalid:5432/listings', REDIS_URL: t.settings.REDIS_URL });
    const output = result.stdout + result.stderr;
    expect(result.status).toBe(1);
    expect(output).toContain('PostgreSQL at postgres://listings:***@db.invalid:5432/listings does not answer, and it is not on this machine');
    expect(output).not.toContain('s3cret');
    expect(output).not.toMatch(/starting|not installed/i);
    expect(output).toContain('Redis answers on 127.0.0.1:6379');
  });

  it('a remote Redis that does not answer fails the same way', () => {
    const result = services({ REDIS_URL: 'redis://:hunter22@cache.invalid:6380' });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('Redis at redis://:***@cache.invalid:6380 does not answer');
    expect(result.stdout).not.toContain('hunter22');
    expect(result.stdout).not.toMatch(/starting redis-server/);
  });
});
