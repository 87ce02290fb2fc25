// Drives runs through the API as an admin or a script would.
import type { Worker } from 'bullmq';
import { processors } from '../../src/processors';
import { processorMap, startWorkers } from '../../src/queues/workers';
import { queueNames, type QueueName } from '../../src/queues/names';
import type { PipelineContext } from '../../src/context';
import type { Queryable } from '../../src/db/pool';
import { createTestContext, startTestServer, userWithRoles, type TestContext, type TestServer } from './context';
import { ApiClient } from './http';

export interface PipelineUnderTest {
  t: TestContext;
  server: TestServer;
  /** signed in as a super_admin */
  admin: ApiClient;
  /** that super_admin's sign-in */
  adminLogin: { email: string; password: string };
  close(): Promise<void>;
}

/**
 * A test file's whole product: its own database and queue prefix, the API, and workers in this
 * process on every queue, or on those named (a test that runs the others in worker processes).
 */
export async function startPipelineUnderTest(settings: Record<string, string> = {}, queues: readonly QueueName[] = queueNames): Promise<PipelineUnderTest> {
  const t = await createTestContext(settings);
  const server = await startTestServer(t.ctx);
  const workers = startTestWorkers(t.ctx, {}, queues);
  const user = await userWithRoles(t.ctx, ['super_admin']);
  const admin = await ApiClient.signedIn(server.url, user.email, user.password);
  return {
    t, server, admin, adminLogin: { email: user.email, password: user.password },
    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
      await server.close();
      await t.close();
    },
  };
}

export function startTestWorkers(ctx: PipelineContext, options: { lockDuration?: number; stalledInterval?: number } = {},
  queues: readonly QueueName[] = queueNames): Worker[] {
  return startWorkers({ ctx, processors: processorMap(processors), queues, concurrency: 2, workerOptions: options });
}

export async function waitForRun(client: ApiClient, runId: number, statuses: string[], timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await client.get(`/api/v1/pipeline/jobs/${runId}`);
    if (statuses.includes(body.status)) return body;
    if (['failed', 'cancelled'].includes(body.status) && !statuses.includes(body.status)) {
      throw new Error(`run ${runId} ended ${body.status}: ${body.error_summary}`);
    }
    if (Date.now() > deadline) throw new Error(`run ${runId} is still ${body.status} (${JSON.stringify(body.progress)})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** executeStage → upload → continue, as the admin UI does. Returns the run id. */
export async function startCsvRun(client: ApiClient, configId: number, csv: string | Buffer, fileName = 'listings.csv'): Promise<number> {
  const first = await client.post('/api/v1/pipeline/executeStage', { configId });
  if (first.body.status !== 'waiting_for_input') throw new Error(`executeStage: ${JSON.stringify(first.body)}`);
  const runId = first.body.jobId as number;
  const form = new FormData();
  form.append('jobId', String(runId));
  form.append('file', new Blob([typeof csv === 'string' ? csv : new Uint8Array(csv)]), fileName);
  const upload = await client.request('POST', '/api/v1/pipeline/uploadStageFile', form);
  if (upload.status !== 201) throw new Error(`upload: ${upload.status} ${JSON.stringify(upload.body)}`);
  const resumed = await client.post('/api/v1/pipeline/executeStage', { jobId: runId, continue: true });
  if (resumed.body.status !== 'queued') throw new Error(`continue: ${JSON.stringify(resumed.body)}`);
  return runId;
}

/** A DMO and a CSV config for it, mapped with csvMapping unless params say otherwise. */
export async function createCsvSource(client: ApiClient, name: string, dmoType = 3, params: Record<string, unknown> = {}) {
  const dmo = await client.post('/api/v1/pipeline/dmos', { name, dmo_type_id: dmoType });
  if (dmo.status !== 201) throw new Error(`dmo: ${dmo.status} ${JSON.stringify(dmo.body)}`);
  const config = await client.post('/api/v1/pipeline/configs', {
    dmo_id: dmo.body.id, source_type: 'csv',
    config_params: { import: { source_id_column: 'ID' }, transform: { map_fields: csvMapping }, ...params },
  });
  if (config.status !== 201) throw new Error(`config: ${config.status} ${JSON.stringify(config.body)}`);
  return { dmoId: dmo.body.id as number, configId: config.body.id as number };
}

export async function approveAndPromote(client: ApiClient, runId: number) {
  await client.post('/api/v1/pipeline/staging/review', { jobId: runId, filter: { proposed: true }, decision: 'approve' });
  const promote = await client.post('/api/v1/pipeline/staging/promote', { jobId: runId });
  if (promote.status !== 202) throw new Error(`promote: ${promote.status} ${JSON.stringify(promote.body)}`);
  return waitForRun(client, runId, ['promoted']);
}

/**
 * Records 1..total of a run's file that were not handled exactly once (staged, or rejected into
 * job_errors): 0 when a crash or restart lost or doubled none.
 */
export async function recordsNotHandledOnce(db: Queryable, runId: number, total: number): Promise<number> {
  const { rows } = await db.query(
    `SELECT count(*)::int n FROM generate_series(1, $2::int) g(rec_num)
      WHERE (SELECT count(*) FROM staging.rows r WHERE r.job_id = $1 AND r.rec_num = g.rec_num)
          + (SELECT count(*) FROM pipeline.job_errors e WHERE e.job_id = $1 AND e.rec_num = g.rec_num) <> 1`,
    [runId, total]);
  return rows[0].n as number;
}

export interface ListingRow {
  id: string;
  name: string;
  address: string;
  city: string;
  lat: string;
  lng: string;
  description: string;
  email: string;
}

export function listingsCsv(rows: ListingRow[]): string {
  const quote = (value: string) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  const header = 'ID,Name,Address,City,Latitude,Longitude,Description,Email';
  return [header, ...rows.map((r) => [r.id, r.name, r.address, r.city, r.lat, r.lng, r.description, r.email].map(quote).join(','))].join('\n') + '\n';
}

export function makeListings(count: number, from = 1): ListingRow[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    return {
      id: `L${n}`, name: `Harbour Place ${n}`, address: `${n} Water Street`, city: n % 2 ? 'Halifax' : 'Lunenburg',
      lat: (44.6 + n / 10000).toFixed(5), lng: (-63.5 - n / 10000).toFixed(5),
      description: `A fine place number ${n}, by the sea.`, email: `info${n}@example.org`,
    };
  });
}

export const csvMapping = {
  'listings.name': 'Name', 'locations.address1': 'Address', 'locations.city': 'City',
  'locations.lat': 'Latitude', 'locations.lng': 'Longitude', 'listing_info.description': 'Description',
  'contact_info.email': 'Email',
};
