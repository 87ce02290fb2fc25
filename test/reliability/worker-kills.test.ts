// Workers SIGKILLed at random points of every step, run after run: import, transform, stage, promote
// and image, in worker processes arranged so that a kill hits one step only. Each kill comes at a
// random moment of its step (a delay drawn from that step's duration, measured on runs without a kill
// in it, or a progress threshold plus a part of one batch's time); the killed process is replaced at
// once and its jobs come back when their locks lapse. Every run must still end with exactly the
// staged and promoted rows its file calls for, record by record.
//
// Quick mode (npm test): a few kills per step. Full mode (RELIABILITY=full, npm run test:reliability):
// at least 20 kills that landed mid-step, per step. The seed is printed; RELIABILITY_SEED replays it.
import type { Job } from 'bullmq';
import { createTestContext, startTestServer, userWithRoles, type TestContext, type TestServer } from '../harness/context';
import { ApiClient } from '../harness/http';
import { startCsvRun, waitForRun } from '../harness/pipeline';
import { sleep, waitUntil } from '../harness/wait';
import { startPrivateRedis, type PrivateRedis } from '../harness/private-redis';
import { ImageServer } from '../fixtures/image-server';
import { jobIds } from '../../src/queues/names';
import { promoteBatchSize } from '../../src/processors/promote';
import { WorkerFleet } from './fleet';
import {
  approveAll, fullMode, orphanProblems, planChain, productionProblems, requestPromote, scenarioCsv, scenarioParams, seededRandom,
  stagingProblems, type PlannedRun,
} from './scenario';

const steps = ['import', 'transform', 'stage', 'promote', 'image'] as const;
type Step = (typeof steps)[number];

const killsPerStep = fullMode ? 20 : 2;
/** chains of two runs with kills, at most, besides the calibration chain (the loop ends once every step has its kills; quick mode keeps some chains in hand, since a kill that lands after its step ended, as image kills often do, does not count) */
const maxChains = fullMode ? 40 : 6;
const recordsPerRun = 2_000;
const splitRecords = 400; // 5 raw files: 5 transform jobs, 2 at a time
/** every 100th record has a picture: 20 image jobs a first run */
const hasImage = (n: number) => n % 100 === 7;

jest.setTimeout(fullMode ? 4 * 3600_000 : 300_000);

const { random } = seededRandom('worker kills');

let redis: PrivateRedis;
let t: TestContext;
let server: TestServer;
let admin: ApiClient;
let host: ImageServer;
let fleet: WorkerFleet;

beforeAll(async () => {
  redis = await startPrivateRedis();
  t = await createTestContext({ REDIS_URL: redis.url });
  server = await startTestServer(t.ctx);
  const user = await userWithRoles(t.ctx, ['super_admin']);
  admin = await ApiClient.signedIn(server.url, user.email, user.password);
  host = await ImageServer.start();
  // import, stage and promote never run at once for one run, so one process holds them; transform
  // starts while import hands on, and images run beside promote: each has a process of its own, so a
  // kill never hits another step's job (a job that stalls twice fails, by design)
  fleet = new WorkerFleet(t.settings, {
    steps: { queues: ['import', 'stage', 'geocode', 'promote'], concurrency: 1 },
    transform: { queues: ['transform'], concurrency: 2 },
    image: { queues: ['image'], concurrency: 2 },
  }, {
    ALLOW_PRIVATE_HOSTS: '127.0.0.1', IMAGE_HOST_RATE_PER_SEC: '200', IMAGE_HOST_CONCURRENCY: '8', IMAGE_VARIANTS: 'thumb:160',
  });
  await fleet.start();
});

afterAll(async () => {
  await fleet?.stop();
  await host?.close();
  await server?.close();
  await t?.close();
  await redis?.stop();
});

/** The run's jobs of a step, from their derived ids (image jobs from the run's staged image URLs). */
async function stepJobs(step: Step, runId: number, plan: PlannedRun): Promise<Job[]> {
  const queue = t.ctx.queues[step];
  let ids: string[];
  if (step === 'import') ids = [jobIds.import(runId)];
  else if (step === 'stage') ids = [jobIds.stage(runId)];
  else if (step === 'promote') ids = [jobIds.promote(runId)];
  else if (step === 'transform') ids = Array.from({ length: Math.ceil(plan.records.length / splitRecords) }, (_, i) => jobIds.transform(runId, i + 1));
  else {
    const { rows } = await t.ctx.db.query<{ url_key: string }>('SELECT DISTINCT url_key FROM staging.images WHERE job_id = $1', [runId]);
    ids = rows.map((row) => jobIds.image(runId, row.url_key));
  }
  const jobs = await Promise.all(ids.map((id) => queue.getJob(id)));
  return jobs.filter((job): job is Job => job !== undefined);
}

/** How long a step took on a run without kills: first start to last finish of its jobs. */
async function stepDuration(step: Step, runId: number, plan: PlannedRun): Promise<number> {
  const jobs = await stepJobs(step, runId, plan);
  if (!jobs.length) return 0;
  return Math.max(...jobs.map((job) => job.finishedOn ?? 0)) - Math.min(...jobs.map((job) => job.processedOn ?? Infinity));
}

interface Kill {
  step: Step;
  runId: number;
  /** how its moment was drawn */
  trigger: string;
  /** ms into the step when the kill came */
  atMs: number;
  jobs: string[];
  landed?: boolean;
  note?: string;
}

const kills: Kill[] = [];
/** each step's duration on a run without a kill in it, by round: measured first, then followed (halfway to each new figure) */
const observed: Record<0 | 1, Partial<Record<Step, number>>> = { 0: {}, 1: {} };
/** transform and promote have progress counters: half of their kills come when one crosses a random threshold */
const batchesOf = (step: Step, plan: PlannedRun) =>
  step === 'transform' ? Math.ceil(plan.records.length / splitRecords) : step === 'promote' ? Math.ceil(plan.actions.size / promoteBatchSize) : 1;

const landedKills = (step: Step) => kills.filter((kill) => kill.step === step && kill.landed).length;
const wantsKill = (step: Step) => landedKills(step) + kills.filter((kill) => kill.step === step && kill.landed === undefined).length < killsPerStep;

async function runProgress(runId: number) {
  const { rows } = await t.ctx.db.query<{ stage: string; done: number; total: number }>(
    'SELECT stage, progress_done::int AS done, progress_total::int AS total FROM pipeline.jobs WHERE id = $1', [runId]);
  return rows[0]!;
}

/**
 * SIGKILLs the step's worker at a random moment of the step: a random share of its measured duration
 * after it started, or (transform, promote) a random share of one batch's time after its progress
 * crossed a random threshold. A step already over by then is noted as a missed kill, and nobody is killed.
 */
async function killDuring(step: Step, runId: number, plan: PlannedRun): Promise<void> {
  const queue = t.ctx.queues[step];
  const runActive = async () => (await queue.getActive()).filter((job) => (job.data as { runId: number }).runId === runId);
  const finished = async () => {
    const jobs = await stepJobs(step, runId, plan);
    if (!jobs.length) return false;
    const states = await Promise.all(jobs.map((job) => job.getState()));
    return states.every((state) => state === 'completed' || state === 'failed');
  };
  const duration = observed[plan.round][step] ?? 1_000;
  const batches = batchesOf(step, plan);
  const byProgress = batches > 1 && random() < 0.5;
  const kill: Kill = { step, runId, trigger: '', atMs: 0, jobs: [] };
  kills.push(kill);
  const startedAt = await waitUntil(`the ${step} step of run ${runId} to start`, async () => {
    const active = await runActive();
    if (active.length) return Math.min(...active.map((job) => job.processedOn ?? Date.now()));
    return (await finished()) ? -1 : null;
  }, 180_000, 10);
  if (startedAt < 0) {
    kill.landed = false;
    kill.note = 'the step was over before it was seen';
    return;
  }
  if (byProgress) {
    const total = (await runProgress(runId)).total;
    // below the last batch's start, so a batch is still in flight when it is crossed
    const threshold = Math.floor(random() * total * (batches - 1) / batches);
    const extra = Math.round(random() * duration / batches);
    kill.trigger = `progress ≥ ${threshold}/${total} + ${extra} ms`;
    await waitUntil(`run ${runId}'s ${step} progress to reach ${threshold}`, async () => {
      const progress = await runProgress(runId);
      return (progress.stage === step && progress.done >= threshold) || progress.stage !== step;
    }, 180_000, 10);
    await sleep(extra);
  } else {
    const delay = Math.round(random() * 0.9 * duration);
    kill.trigger = `${delay} ms of ${duration}`;
    await sleep(Math.max(0, startedAt + delay - Date.now()));
  }
  const active = await runActive();
  kill.atMs = Date.now() - startedAt;
  if (!active.length) {
    kill.landed = false;
    kill.note = `the step was over at ${kill.atMs} ms`;
    return;
  }
  kill.jobs = active.map((job) => job.id!);
  await fleet.killAndReplace(fleet.groupOf(step));
}

/** Follows each step's duration on the runs where no kill landed in it. */
async function followDurations(runId: number, plan: PlannedRun): Promise<void> {
  for (const step of steps) {
    if (kills.some((kill) => kill.runId === runId && kill.step === step && kill.landed)) continue;
    const measured = await stepDuration(step, runId, plan);
    if (measured <= 0) continue;
    const before = observed[plan.round][step];
    observed[plan.round][step] = before === undefined ? measured : Math.round((before + measured) / 2);
  }
}

/** A kill landed when a job it hit stalled and ran again (BullMQ counts it). */
async function settleKills(runId: number): Promise<void> {
  for (const kill of kills.filter((k) => k.runId === runId && k.landed === undefined)) {
    const queue = t.ctx.queues[kill.step];
    const counters = await Promise.all(kill.jobs.map(async (id) => (await queue.getJob(id))?.stalledCounter ?? 0));
    kill.landed = counters.some((n) => n > 0);
    if (!kill.landed) kill.note = 'its jobs had finished as the kill came';
  }
}

async function imagesSettled(runId: number) {
  return waitUntil(`the images of run ${runId} to settle`, async () => {
    const { rows } = await t.ctx.db.query<{ pending: number; stored: number; failed: number }>(
      `SELECT count(*) FILTER (WHERE status = 'pending')::int pending, count(*) FILTER (WHERE status = 'stored')::int stored,
              count(*) FILTER (WHERE status = 'failed')::int failed FROM staging.images WHERE job_id = $1`, [runId]);
    return rows[0]!.pending === 0 ? rows[0]! : null;
  }, 180_000, 100);
}

/** One run through every step, killing each step that still needs kills; then every check. */
async function runThrough(plan: PlannedRun, configId: number, dmoId: number, withKills: boolean): Promise<number> {
  const runId = await startCsvRun(admin, configId, scenarioCsv(plan.records));
  const label = `chain ${plan.chain} round ${plan.round} (run ${runId})`;
  try {
    for (const step of ['import', 'transform', 'stage'] as const) if (withKills && wantsKill(step)) await killDuring(step, runId, plan);
    await waitForRun(admin, runId, ['awaiting_review'], 300_000);
    // review does not wait for images: their jobs run now
    const images = plan.records.filter((r) => r.image && ['insert', 'update'].includes(plan.actions.get(r.id)!)).length;
    if (withKills && images && wantsKill('image')) await killDuring('image', runId, plan);
    expect({ run: label, problems: await stagingProblems(t.ctx.db, runId, plan) }).toEqual({ run: label, problems: [] });
    await approveAll(admin, runId);
    await requestPromote(admin, runId);
    if (withKills && wantsKill('promote')) await killDuring('promote', runId, plan);
    await waitForRun(admin, runId, ['promoted'], 300_000);
    const settled = await imagesSettled(runId);
    expect({ run: label, images: settled }).toEqual({ run: label, images: { pending: 0, stored: images, failed: 0 } });
    const problems = [...await productionProblems(t.ctx.db, runId, dmoId, plan), ...await orphanProblems(t.ctx.db)];
    expect({ run: label, problems }).toEqual({ run: label, problems: [] });
    await settleKills(runId);
    await followDurations(runId, plan);
    return runId;
  } catch (error) {
    process.stdout.write(`${label} failed; kills so far: ${JSON.stringify(kills.filter((k) => k.runId === runId))}\n` +
      `worker troubles:\n${fleet.troubles().join('\n')}\n`);
    throw error;
  }
}

async function newChain(chain: number) {
  const dmo = await admin.post('/api/v1/pipeline/dmos', { name: `Reliability DMO ${chain}`, dmo_type_id: 3 });
  expect(dmo.status).toBe(201);
  const config = await admin.post('/api/v1/pipeline/configs', { dmo_id: dmo.body.id, source_type: 'csv', config_params: scenarioParams(splitRecords) });
  expect(config.status).toBe(201);
  const plans = planChain(chain, recordsPerRun, (c, n, round) => (hasImage(n) ? host.url(`/chain-${c}/photo-${n}-${round}.jpg`) : null));
  let seed = chain * 10_000;
  for (const plan of plans) {
    for (const record of plan.records) {
      if (record.image) await host.servePicture(new URL(record.image).pathname, (seed += 1), 'jpeg', { width: 480, height: 360 });
    }
  }
  return { dmoId: dmo.body.id as number, configId: config.body.id as number, plans };
}

describe('workers SIGKILLed at random points of every step', () => {
  it('a run without kills measures how long each step takes', async () => {
    const chain = await newChain(0);
    for (const plan of chain.plans) await runThrough(plan, chain.configId, chain.dmoId, false);
    process.stdout.write(`step durations without kills (ms): first import ${JSON.stringify(observed[0])}, re-import ${JSON.stringify(observed[1])}\n`);
  });

  it(`every run ends with exactly the right staged and promoted rows, ${killsPerStep} kills per step`, async () => {
    const started = Date.now();
    let chains = 0;
    while (steps.some((step) => landedKills(step) < killsPerStep) && chains < maxChains) {
      chains += 1;
      const chain = await newChain(chains);
      for (const plan of chain.plans) await runThrough(plan, chain.configId, chain.dmoId, true);
      await fleet.ready();
    }
    const summary = steps.map((step) => {
      const mine = kills.filter((kill) => kill.step === step);
      const landed = mine.filter((kill) => kill.landed);
      const at = landed.map((kill) => `${kill.atMs}`).join(', ');
      const missed = mine.filter((kill) => !kill.landed).map((kill) => kill.note);
      return `${step}: ${landed.length} landed mid-step (at ms ${at}), ${missed.length} missed${missed.length ? ` (${missed.join('; ')})` : ''}`;
    });
    process.stdout.write(`worker kills: ${fleet.kills} SIGKILLs over ${chains * 2} runs in ${Math.round((Date.now() - started) / 1000)} s\n  ${summary.join('\n  ')}\n` +
      `kill moments: ${kills.filter((kill) => kill.landed).map((kill) => `${kill.step} run ${kill.runId}: ${kill.trigger}`).join('; ')}\n`);
    for (const step of steps) expect({ step, landed: landedKills(step) >= killsPerStep }).toEqual({ step, landed: true });
  });
});
