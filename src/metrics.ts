// Prometheus metrics of this process (GET /metrics). Queue depths are read from Redis at scrape time.
import client from 'prom-client';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

export const jobDuration = new client.Histogram({
  name: 'pipeline_job_duration_seconds',
  help: 'Time a processor took for one job, by queue and outcome',
  labelNames: ['queue', 'outcome'],
  buckets: [0.05, 0.25, 1, 5, 15, 60, 300, 1800],
  registers: [registry],
});

export const rowsProcessed = new client.Counter({
  name: 'pipeline_rows_total',
  help: 'Records handled by a step, by step and result',
  labelNames: ['step', 'result'],
  registers: [registry],
});
