// Metrics as ops read them: a real CSV run through the API, a real worker process (import and
// transform, /metrics on WORKER_METRICS_PORT) and this process's stage and promote workers; then each
// process's /metrics holds what it did, only the API's holds the fleet-wide gauges, every metric the
// alert rules and the dashboard name exists, and GET /metrics/summary answers the run's figures.
import fs from 'node:fs';
import path from 'node:path';
import type { Worker } from 'bullmq';
import { metricsSummary } from '../src/contract/metrics';
import { recordProviderUsage } from '../src/db/provider-usage';
import { clusterMetricNames } from '../src/metrics';
import { processors } from '../src/processors';
import { processorMap, startWorkers } from '../src/queues/workers';
import { createTestContext, startTestServer, userWithRoles, type TestContext, type TestServer } from './harness/context';
import { ApiClient } from './harness/http';
import { approveAndPromote, createCsvSource, listingsCsv, makeListings, startCsvRun, waitForRun } from './harness/pipeline';
import { startWorkerProcess, stopProcess, type Spawned } from './harness/spawn';

jest.setTimeout(180_000);

// js-yaml: a dev dependency (3.x, the version jest brings too), for reading the alert rules
const yaml = require('js-yaml') as { load(text: string): unknown };

const repo = path.join(__dirname, '..');

let t: TestContext;
let server: TestServer;
let admin: ApiClient;
let stageAndPromote: Worker[];
let worker: Spawned | undefined;
let workerUrl: string;

beforeAll(async () => {
  t = await createTestContext({ ALERT_ERROR_RATIO: '0.05', ALERT_QUEUE_WAIT_MINUTES: '20' });
  server = await startTestServer(t.ctx);
  const user = await userWithRoles(t.ctx, ['super_admin']);
  admin = await ApiClient.signedIn(server.url, user.email, user.password);
  stageAndPromote = startWorkers({ ctx: t.ctx, processors: processorMap(processors), queues: ['stage', 'promote'], concurrency: 2 });
  worker = await startWorkerProcess(t.settings, ['import', 'transform'], {
    env: { WORKER_METRICS_PORT: '0' }, track: (spawned) => (worker = spawned),
  });
  workerUrl = worker.output().match(/"metricsUrl":"(http:\/\/localhost:\d+)"/)![1]!;
});

afterAll(async () => {
  if (worker) await stopProcess(worker);
  await Promise.all(stageAndPromote?.map((w) => w.close()) ?? []);
  await server?.close();
  await t?.close();
});

// ---------------------------------------------------------------- reading Prometheus text

interface Scrape {
  /** every metric name the text declares (# TYPE), with a histogram's _bucket, _sum and _count */
  names: Set<string>;
  /** the value of the sample with exactly these labels, or undefined */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

async function scrape(baseUrl: string): Promise<Scrape> {
  const response = await fetch(`${baseUrl}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  const names = new Set<string>();
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const type = line.match(/^# TYPE (\S+) (\S+)/);
    if (type) {
      names.add(type[1]!);
      const suffixes = type[2] === 'histogram' ? ['_bucket', '_sum', '_count'] : type[2] === 'summary' ? ['_sum', '_count'] : [];
      for (const suffix of suffixes) names.add(type[1] + suffix);
      continue;
    }
    const sample = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/);
    if (!sample) continue;
    const labels = Object.fromEntries([...(sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    samples.push({ name: sample[1]!, labels, value: Number(sample[3]) });
  }
  return {
    names,
    value(name, labels = {}) {
      const want = Object.entries(labels);
      return samples.find((s) => s.name === name && Object.keys(s.labels).length === want.length &&
        want.every(([key, value]) => s.labels[key] === value))?.value;
    },
  };
}

const promqlWords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** The metric names a PromQL expression selects: identifiers outside label matchers, groupings and strings that are not functions or keywords. */
function metricsIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  return [...bare.matchAll(/(?<![\w:.])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()/g)].map((m) => m[1]!).filter((word) => !promqlWords.has(word.toLowerCase()));
}

function alertRules(): { alert: string; expr: string }[] {
  const file = yaml.load(fs.readFileSync(path.join(repo, 'ops/prometheus/alerts.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
  return file.groups.flatMap((group) => group.rules);
}

function dashboardExprs(): string[] {
  const dashboard = JSON.parse(fs.readFileSync(path.join(repo, 'ops/grafana/pipeline-dashboard.json'), 'utf8'));
  return dashboard.panels.flatMap((panel: { targets?: { expr: string }[] }) => (panel.targets ?? []).map((target) => target.expr));
}

// ---------------------------------------------------------------- the run

const rows = makeListings(10);
// L1 a second time (a duplicate), and L11 with a latitude no place has (rejected by validation)
const csv = listingsCsv([...rows, rows[0]!, { ...makeListings(1, 11)[0]!, lat: 'north' }]);
const recordsTotal = 12;

let source: { dmoId: number; configId: number };
let runId: number;
let uploadBytes: number;
let rawBytes: number;
let fileCount: number;

describe('after a CSV run', () => {
  it('the run is staged and waits for review: the API reports it waiting, with its ratios against the thresholds', async () => {
    source = await createCsvSource(admin, 'Visit Metrics');
    runId = await startCsvRun(admin, source.configId, csv);
    const staged = await waitForRun(admin, runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: recordsTotal, records_new: 10, records_duplicates: 1, records_error: 1 });

    const api = await scrape(server.url);
    expect(api.value('pipeline_runs', { status: 'awaiting_review' })).toBe(1);
    expect(api.value('pipeline_run_oldest_wait_seconds', { status: 'awaiting_review' })).toBeGreaterThan(0);
    expect(api.value('pipeline_run_oldest_wait_seconds', { status: 'waiting_for_input' })).toBe(0);
    const config = { config_id: String(source.configId), dmo_id: String(source.dmoId), dmo: 'Visit Metrics' };
    expect(api.value('pipeline_config_last_run_error_ratio', config)).toBeCloseTo(1 / recordsTotal);
    expect(api.value('pipeline_config_last_run_duplicate_ratio', config)).toBeCloseTo(1 / recordsTotal);
    expect(api.value('pipeline_config_last_run_failed', config)).toBe(0);
    // settable: ALERT_ERROR_RATIO and ALERT_QUEUE_WAIT_MINUTES were set, the others are the defaults
    expect(api.value('pipeline_alert_threshold', { alert: 'run_error_ratio' })).toBe(0.05);
    expect(api.value('pipeline_alert_threshold', { alert: 'run_duplicate_ratio' })).toBe(0.1);
    expect(api.value('pipeline_alert_threshold', { alert: 'queue_wait_seconds' })).toBe(20 * 60);
    expect(api.value('pipeline_alert_threshold', { alert: 'run_wait_seconds' })).toBe(3 * 86_400);
  });

  it('promoted, each process counts what it did: the worker its import and transform, the API the upload, stage and promote', async () => {
    const promoted = await approveAndPromote(admin, runId);
    expect(promoted.promote_results).toMatchObject({ inserted: 10 });
    const files = (await admin.get(`/api/v1/pipeline/jobs/${runId}/files`)).body.files as { kind: string; bytes: number }[];
    uploadBytes = files.filter((file) => file.kind === 'upload').reduce((sum, file) => sum + file.bytes, 0);
    rawBytes = files.filter((file) => file.kind === 'raw').reduce((sum, file) => sum + file.bytes, 0);
    const rawFiles = files.filter((file) => file.kind === 'raw').length;
    fileCount = files.length;
    expect(uploadBytes).toBe(Buffer.byteLength(csv));
    expect(rawBytes).toBeGreaterThan(0);
    const approved = (await t.ctx.db.query(`SELECT count(*)::int AS n FROM staging.rows WHERE job_id = $1 AND review_status = 'approved'`, [runId])).rows[0].n;

    const work = await scrape(workerUrl);
    expect(work.value('pipeline_rows_total', { step: 'import', result: 'read' })).toBe(recordsTotal);
    expect(work.value('pipeline_rows_total', { step: 'transform', result: 'staged' })).toBe(recordsTotal - 1);
    expect(work.value('pipeline_rows_total', { step: 'transform', result: 'rejected' })).toBe(1);
    expect(work.value('pipeline_job_duration_seconds_count', { queue: 'import', outcome: 'success' })).toBe(1);
    expect(work.value('pipeline_job_duration_seconds_count', { queue: 'transform', outcome: 'success' })).toBe(rawFiles);
    expect(work.value('pipeline_blob_bytes_written_total', { dmo_id: String(source.dmoId), kind: 'raw' })).toBe(rawBytes);
    expect(work.value('pipeline_rows_total', { step: 'stage', result: 'insert' })).toBeUndefined();

    const api = await scrape(server.url);
    expect(api.value('pipeline_blob_bytes_written_total', { dmo_id: String(source.dmoId), kind: 'upload' })).toBe(uploadBytes);
    expect(api.value('pipeline_rows_total', { step: 'stage', result: 'insert' })).toBe(10);
    expect(api.value('pipeline_rows_total', { step: 'stage', result: 'duplicate' })).toBe(1);
    expect(api.value('pipeline_rows_total', { step: 'promote', result: 'applied' })).toBe(approved);
    expect(api.value('pipeline_job_duration_seconds_count', { queue: 'stage', outcome: 'success' })).toBe(1);
    expect(api.value('pipeline_job_duration_seconds_count', { queue: 'promote', outcome: 'success' })).toBe(1);
    expect(api.value('pipeline_job_duration_seconds_count', { queue: 'import', outcome: 'success' })).toBeUndefined();
    expect(api.value('pipeline_runs', { status: 'promoted' })).toBe(1);
    expect(api.value('pipeline_runs', { status: 'awaiting_review' })).toBe(0);
    expect(api.value('pipeline_queue_jobs', { queue: 'import', state: 'completed' })).toBe(1);
    expect(api.value('pipeline_cluster_read_ok', { source: 'postgres' })).toBe(1);
    expect(api.value('pipeline_cluster_read_ok', { source: 'redis' })).toBe(1);
  });

  it('the fleet-wide gauges are the API\'s alone: a worker process has none of them (a sum over instances would multiply them)', async () => {
    const work = await scrape(workerUrl);
    const api = await scrape(server.url);
    for (const name of clusterMetricNames) {
      expect({ name, api: api.names.has(name) }).toEqual({ name, api: true });
      expect({ name, worker: work.names.has(name) }).toEqual({ name, worker: false });
    }
  });

  it('the oldest waiting job of each queue, waiting or prioritized, and the workers of each queue', async () => {
    // no worker takes image or geocode jobs in this test: these wait
    const minutesAgo = (minutes: number) => Date.now() - minutes * 60_000;
    const waiting = await t.ctx.queues.image.add('image', { runId, stagedRowId: 1, url: 'http://127.0.0.1/a.jpg' }, { timestamp: minutesAgo(25) });
    const newer = await t.ctx.queues.image.add('image', { runId, stagedRowId: 2, url: 'http://127.0.0.1/b.jpg' }, { timestamp: minutesAgo(1) });
    const prioritized = await t.ctx.queues.geocode.add('geocode', { runId, addressKey: 'a' }, { priority: 5, timestamp: minutesAgo(40) });
    try {
      const api = await scrape(server.url);
      expect(api.value('pipeline_queue_oldest_waiting_seconds', { queue: 'image' })).toBeGreaterThanOrEqual(25 * 60);
      expect(api.value('pipeline_queue_oldest_waiting_seconds', { queue: 'image' })).toBeLessThan(26 * 60);
      expect(api.value('pipeline_queue_oldest_waiting_seconds', { queue: 'geocode' })).toBeGreaterThanOrEqual(40 * 60);
      expect(api.value('pipeline_queue_oldest_waiting_seconds', { queue: 'transform' })).toBe(0);
      expect(api.value('pipeline_queue_jobs', { queue: 'image', state: 'waiting' })).toBe(2);
      expect(api.value('pipeline_queue_jobs', { queue: 'geocode', state: 'prioritized' })).toBe(1);
      expect(api.value('pipeline_queue_workers', { queue: 'transform' })).toBeGreaterThanOrEqual(1);
      expect(api.value('pipeline_queue_workers', { queue: 'image' })).toBe(0);

      const summary = (await admin.get('/api/v1/pipeline/metrics/summary')).body;
      const image = summary.queues.find((q: { queue: string }) => q.queue === 'image');
      expect(image.counts.waiting).toBe(2);
      expect(image.oldest_waiting_seconds).toBeGreaterThanOrEqual(25 * 60);
    } finally {
      await Promise.all([waiting.remove(), newer.remove(), prioritized.remove()]);
    }
  });

  it('every metric the alert rules and the dashboard name exists in the /metrics of the API or of a worker', async () => {
    const [api, work] = [await scrape(server.url), await scrape(workerUrl)];
    const rules = alertRules();
    expect(rules.map((rule) => rule.alert)).toEqual(expect.arrayContaining([
      'PipelineRunFailed', 'PipelineRunErrorRatioHigh', 'PipelineRunDuplicateRatioHigh', 'PipelineProviderQuotaErrors',
      'PipelineQueueJobWaitingTooLong', 'PipelineRunWaitingForPeople']));
    const exprs = [...rules.map((rule) => rule.expr), ...dashboardExprs()];
    expect(exprs.length).toBeGreaterThan(20);
    const named = new Set(exprs.flatMap(metricsIn));
    expect(named).toContain('pipeline_job_duration_seconds_bucket');
    expect(named).toContain('nodejs_eventloop_lag_p99_seconds');
    const missing = [...named].filter((name) => !api.names.has(name) && !work.names.has(name));
    expect(missing).toEqual([]);
  });
});

describe('GET /api/v1/pipeline/metrics/summary', () => {
  it("answers the run's figures, in the contract's shape", async () => {
    const reply = await admin.get('/api/v1/pipeline/metrics/summary');
    expect(reply.status).toBe(200);
    const summary = metricsSummary.parse(reply.body);
    expect(summary.window.days).toBe(30);
    expect(summary.runs.by_status).toMatchObject({ promoted: 1, failed: 0, awaiting_review: 0 });
    expect(summary.runs.per_day).toHaveLength(30);
    const today = summary.runs.per_day.at(-1)!;
    expect(today.day).toBe(new Date().toISOString().slice(0, 10));
    expect(today).toMatchObject({ total: 1, by_status: expect.objectContaining({ promoted: 1 }) });
    expect(summary.runs.per_day.slice(0, -1).every((day) => day.total === 0)).toBe(true);
    expect(summary.rows).toEqual({
      imported: recordsTotal,
      staged: { new: 10, updated: 0, unchanged: 0, deleted: 0, duplicates: 1, possible_match: 0 },
      rejected: 1,
      promoted: { inserted: 10, updated: 0, deleted: 0 },
    });
    expect(summary.error_rate.records).toBeCloseTo(1 / recordsTotal);
    expect(summary.error_rate.runs).toBe(0);
    expect(summary.throughput).toMatchObject({ runs: 1, records: recordsTotal });
    expect(summary.throughput.records_per_minute).toBeGreaterThan(0);
    expect(summary.queues.map((q) => q.queue).sort()).toEqual(['geocode', 'image', 'import', 'promote', 'stage', 'transform']);
    expect(summary.queues.find((q) => q.queue === 'import')!.counts.completed).toBe(1);
    expect(summary.geocode).toEqual({ calls: 0, errors: 0, cache_hits: 0 });
    expect(summary.cost.provider_calls).toEqual([]);
    expect(summary.cost.blob_bytes).toEqual([{
      dmo_id: source.dmoId, dmo_name: 'Visit Metrics', files: fileCount, upload_bytes: uploadBytes, raw_bytes: rawBytes, bytes: uploadBytes + rawBytes,
    }]);
    expect(summary.cost.blob_bytes_total).toBe(uploadBytes + rawBytes);
  });

  it('counts provider calls per endpoint from provider_usage, as geocoding records them', async () => {
    const endpoint = { provider: 'nominatim', endpoint: 'http://127.0.0.1:8080/search', dmoId: source.dmoId };
    await recordProviderUsage(t.ctx.db, { ...endpoint, outcome: 'ok', calls: 3 });
    await recordProviderUsage(t.ctx.db, { ...endpoint, outcome: 'quota_exceeded' });
    await recordProviderUsage(t.ctx.db, { ...endpoint, cacheHits: 5 });
    const summary = metricsSummary.parse((await admin.get('/api/v1/pipeline/metrics/summary?days=7')).body);
    expect(summary.runs.per_day).toHaveLength(7);
    expect(summary.geocode).toEqual({ calls: 4, errors: 1, cache_hits: 5 });
    expect(summary.cost.provider_calls).toEqual([
      { provider: 'nominatim', endpoint: 'http://127.0.0.1:8080/search', calls: 4, errors: 1, quota_errors: 1, cache_hits: 5 },
    ]);
  });

  it.each(['0', '366', 'abc', '2.5'])('refuses days=%s with a 400 naming the parameter', async (days) => {
    const reply = await admin.get(`/api/v1/pipeline/metrics/summary?days=${days}`);
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('invalid_request');
    expect(reply.body.error.message).toMatch(/^days: /);
    expect(reply.body.error.details).toEqual([expect.objectContaining({ path: 'days' })]);
  });

  it('is a read: a viewer may ask', async () => {
    const viewer = await userWithRoles(t.ctx, ['viewer']);
    const client = await ApiClient.signedIn(server.url, viewer.email, viewer.password);
    expect((await client.get('/api/v1/pipeline/metrics/summary')).status).toBe(200);
    expect((await new ApiClient(server.url).get('/api/v1/pipeline/metrics/summary')).status).toBe(401);
  });
});
