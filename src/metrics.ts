// Every Prometheus metric the fleet exposes (GET /metrics), by name, in this one module: what a
// dashboard or an alert rule may name is here, and ops/ rules are tested against it.
//
// Two kinds, so that Prometheus sums make sense across a fleet of processes:
// - Process-local counters and histograms, in every process (the server and each worker process on
//   WORKER_METRICS_PORT): what this process did. Sum them over instances (`sum by (queue) (...)`).
// - Cluster-wide gauges read at scrape time from Redis and PostgreSQL (queue depths, runs per status,
//   waits, per-config ratios, alert thresholds), registered by the API process only
//   (registerClusterGauges, from createApp): every worker reporting the same counts would multiply
//   them in a sum. Several API replicas report the same values: aggregate them with max, not sum.
import client from 'prom-client';
import type { PipelineContext } from './context';
import { runStatuses } from './domain/run-lifecycle';
import { configLastRuns, oldestRunWaits, runsByStatus, waitingForPeople } from './db/run-metrics';
import { queueNames } from './queues/names';
import { queueDepths } from './queues/queue-depth';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

// ---------------------------------------------------------------- process-local: what this process did

export const jobDuration = new client.Histogram({
  name: 'pipeline_job_duration_seconds',
  help: 'Time a processor took for one job, by queue and outcome (success, skipped, failed)',
  labelNames: ['queue', 'outcome'],
  buckets: [0.05, 0.25, 1, 5, 15, 60, 300, 1800],
  registers: [registry],
});

export const jobFailures = new client.Counter({
  name: 'pipeline_job_failures_total',
  help: 'Failed job attempts, by queue: each failed attempt, whether BullMQ retries it or not',
  labelNames: ['queue'],
  registers: [registry],
});

export const rowsProcessed = new client.Counter({
  name: 'pipeline_rows_total',
  help: 'Records handled by a step, by step and result (import: read, unreadable; transform: staged, rejected; ' +
    'stage: the record actions insert, update, unchanged, duplicate, delete, possible_match; promote: applied)',
  labelNames: ['step', 'result'],
  registers: [registry],
});

const providerCalls = new client.Counter({
  name: 'pipeline_provider_calls_total',
  help: 'Calls to external providers (geocoders), by provider, endpoint and outcome (ok, not_found, error, quota_exceeded)',
  labelNames: ['provider', 'endpoint', 'outcome'],
  registers: [registry],
});

const geocodeCacheHits = new client.Counter({
  name: 'pipeline_geocode_cache_hits_total',
  help: 'Addresses the geocode cache answered without a provider call, by the provider that would have been called',
  labelNames: ['provider'],
  registers: [registry],
});

const imageFetches = new client.Counter({
  name: 'pipeline_image_fetches_total',
  help: 'Image downloads, by outcome (stored, unchanged, not_found, failed, not_image, too_large)',
  labelNames: ['outcome'],
  registers: [registry],
});

const blobBytesWritten = new client.Counter({
  name: 'pipeline_blob_bytes_written_total',
  help: 'Bytes written to the blob store, by DMO and kind (upload: files admins sent; raw: the raw files imports wrote; image)',
  labelNames: ['dmo_id', 'kind'],
  registers: [registry],
});

/** Outcomes of a provider call: errors are error and quota_exceeded (the provider refused for quota or rate). */
export const providerCallOutcomes = ['ok', 'not_found', 'error', 'quota_exceeded'] as const;
export type ProviderCallOutcome = (typeof providerCallOutcomes)[number];

const declaredEndpoints = new Set<string>();

/**
 * Starts an endpoint's series at 0 for every outcome: increase() in an alert rule only sees a counter
 * go up from a sample it had, so a first quota error on a series that did not exist would be missed.
 * Call it when a provider client is set up; countProviderCall calls it too.
 */
export function declareProviderEndpoint(provider: string, endpoint: string): void {
  const key = JSON.stringify([provider, endpoint]);
  if (declaredEndpoints.has(key)) return;
  declaredEndpoints.add(key);
  for (const outcome of providerCallOutcomes) providerCalls.inc({ provider, endpoint, outcome }, 0);
}

/**
 * One call (or `calls` calls of one outcome) to a provider endpoint, for this process's Prometheus
 * counter. Call it with recordProviderUsage (src/db/provider-usage.ts), which keeps the fleet's
 * total for the Metrics page.
 */
export function countProviderCall(call: { provider: string; endpoint: string; outcome: ProviderCallOutcome }, calls = 1): void {
  declareProviderEndpoint(call.provider, call.endpoint);
  providerCalls.inc(call, calls);
}

export function countGeocodeCacheHit(provider: string, hits = 1): void {
  geocodeCacheHits.inc({ provider }, hits);
}

export type ImageFetchOutcome = 'stored' | 'unchanged' | 'not_found' | 'failed' | 'not_image' | 'too_large';

export function countImageFetch(outcome: ImageFetchOutcome): void {
  imageFetches.inc({ outcome });
}

export type BlobKind = 'upload' | 'raw' | 'image';

/** Bytes this process wrote to the blob store for a DMO (job_files keeps the upload and raw ones too). */
export function countBlobBytesWritten(dmoId: number, kind: BlobKind, bytes: number): void {
  if (bytes > 0) blobBytesWritten.inc({ dmo_id: String(dmoId), kind }, bytes);
}

// ---------------------------------------------------------------- cluster-wide: the API process, at scrape

/** The thresholds ops/prometheus/alerts.yml compares against, from the settings (ALERT_*). */
export interface AlertThresholds {
  /** a config's latest run: rejected records over records delivered */
  run_error_ratio: number;
  /** a config's latest run: duplicates over records delivered */
  run_duplicate_ratio: number;
  /** the oldest waiting job of a queue */
  queue_wait_seconds: number;
  /** a run waiting for an upload or a review */
  run_wait_seconds: number;
}

export function alertThresholds(settings: PipelineContext['settings']): AlertThresholds {
  return {
    run_error_ratio: settings.ALERT_ERROR_RATIO,
    run_duplicate_ratio: settings.ALERT_DUPLICATE_RATIO,
    queue_wait_seconds: settings.ALERT_QUEUE_WAIT_MINUTES * 60,
    run_wait_seconds: settings.ALERT_RUN_WAIT_DAYS * 86_400,
  };
}

/** The names of the gauges registerClusterGauges adds: only the API process exposes them. */
export const clusterMetricNames = [
  'pipeline_queue_jobs', 'pipeline_queue_oldest_waiting_seconds', 'pipeline_queue_workers', 'pipeline_runs',
  'pipeline_run_oldest_wait_seconds', 'pipeline_config_last_run_failed', 'pipeline_config_last_run_error_ratio',
  'pipeline_config_last_run_duplicate_ratio', 'pipeline_alert_threshold', 'pipeline_cluster_read_ok',
] as const;

/**
 * Reads each source once per scrape, however many gauges use it: a scrape starts every gauge's
 * collect at once, and those that start while a read is in flight share it. Nothing is kept after.
 */
function oncePerScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | null = null;
  return () => (inFlight ??= read().finally(() => (inFlight = null)));
}

/**
 * Adds (again: a second app in one process replaces the first's) the gauges of the whole fleet, read
 * from Redis and PostgreSQL (on the API's read pool, so a slow database answers within
 * API_READ_TIMEOUT_MS) when Prometheus scrapes. A source that does not answer sets
 * pipeline_cluster_read_ok{source} to 0 and leaves its gauges out of that scrape, instead of failing
 * /metrics as a whole.
 */
export function registerClusterGauges(ctx: PipelineContext): void {
  for (const name of clusterMetricNames) if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
  const readOk = new client.Gauge({
    name: 'pipeline_cluster_read_ok', help: '1 when this scrape could read the source (postgres, redis) of the cluster-wide gauges, else 0',
    labelNames: ['source'], registers: [registry],
  });
  const guarded = <T>(source: 'postgres' | 'redis', read: () => Promise<T>) => oncePerScrape(async (): Promise<T | null> => {
    try {
      const value = await read();
      readOk.set({ source }, 1);
      return value;
    } catch (error) {
      readOk.set({ source }, 0);
      ctx.log.warn({ source, err: (error as Error).message }, 'a /metrics scrape could not read the cluster-wide gauges');
      return null;
    }
  });
  const queues = guarded('redis', async () => ({
    depths: await queueDepths(ctx.queues),
    workers: await Promise.all(queueNames.map(async (queue) => ({ queue, workers: await ctx.queues[queue].getWorkersCount() }))),
  }));
  const runs = guarded('postgres', async () => ({
    byStatus: await runsByStatus(ctx.apiReads),
    waits: await oldestRunWaits(ctx.apiReads),
    configs: await configLastRuns(ctx.apiReads),
  }));
  const gauge = <T>(name: string, help: string, labelNames: string[], read: () => Promise<T | null>, set: (gauge: client.Gauge, value: T) => void) =>
    new client.Gauge({
      name, help, labelNames, registers: [registry],
      async collect() {
        this.reset();
        const value = await read();
        if (value !== null) set(this, value);
      },
    });

  gauge('pipeline_queue_jobs', 'Jobs in each queue by state, now', ['queue', 'state'], queues, (g, { depths }) => {
    for (const { queue, counts } of depths) for (const [state, count] of Object.entries(counts)) g.set({ queue, state }, count);
  });
  gauge('pipeline_queue_oldest_waiting_seconds', 'How long the oldest job waiting to be picked up (waiting or prioritized) has waited, by queue; 0 when none waits',
    ['queue'], queues, (g, { depths }) => {
      for (const { queue, oldestWaitingSeconds } of depths) g.set({ queue }, oldestWaitingSeconds ?? 0);
    });
  gauge('pipeline_queue_workers', 'Workers connected to each queue, now', ['queue'], queues, (g, { workers }) => {
    for (const { queue, workers: count } of workers) g.set({ queue }, count);
  });
  gauge('pipeline_runs', 'Runs on record by their status now', ['status'], runs, (g, { byStatus }) => {
    for (const status of runStatuses) g.set({ status }, byStatus[status]);
  });
  gauge('pipeline_run_oldest_wait_seconds', 'How long the longest-waiting run has waited for a person, by status: waiting_for_input ' +
    '(since created, for an upload), awaiting_review (since staged); 0 when none', ['status'], runs, (g, { waits }) => {
    for (const status of waitingForPeople) g.set({ status }, waits[status]);
  });
  const configLabels = ['config_id', 'dmo_id', 'dmo'];
  const labelsOf = (run: { config_id: number; dmo_id: number; dmo_name: string }) =>
    ({ config_id: String(run.config_id), dmo_id: String(run.dmo_id), dmo: run.dmo_name });
  gauge('pipeline_config_last_run_failed', "1 when the config's latest run that is not in progress failed, else 0", configLabels, runs, (g, { configs }) => {
    for (const run of configs) g.set(labelsOf(run), run.failed ? 1 : 0);
  });
  gauge('pipeline_config_last_run_error_ratio', "Records rejected over records delivered, in the config's latest staged run",
    configLabels, runs, (g, { configs }) => {
      for (const run of configs) g.set(labelsOf(run), run.error_ratio);
    });
  gauge('pipeline_config_last_run_duplicate_ratio', "Duplicate records over records delivered, in the config's latest staged run",
    configLabels, runs, (g, { configs }) => {
      for (const run of configs) g.set(labelsOf(run), run.duplicate_ratio);
    });
  const thresholds = alertThresholds(ctx.settings);
  new client.Gauge({
    name: 'pipeline_alert_threshold',
    help: 'The thresholds of ops/prometheus/alerts.yml, from the settings: run_error_ratio (ALERT_ERROR_RATIO), run_duplicate_ratio ' +
      '(ALERT_DUPLICATE_RATIO), queue_wait_seconds (ALERT_QUEUE_WAIT_MINUTES), run_wait_seconds (ALERT_RUN_WAIT_DAYS)',
    labelNames: ['alert'], registers: [registry],
    collect() {
      for (const [alert, value] of Object.entries(thresholds)) this.set({ alert }, value);
    },
  });
}
