// Ops read the fleet's JSON log lines by run and job: every line a step logs names its queue, run and job.
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { closeContext, createContext } from '../src/context';
import { processorMap, startWorkers } from '../src/queues/workers';
import { processors } from '../src/processors';
import { queueNames } from '../src/queues/names';
import { createTestContext, startTestServer, userWithRoles } from './harness/context';
import { ApiClient } from './harness/http';
import { createCsvSource, listingsCsv, makeListings, startCsvRun, waitForRun } from './harness/pipeline';

test('a run’s step log lines carry queue, runId and jobId', async () => {
  const t = await createTestContext({ LOG_LEVEL: 'debug' });
  const lines: Record<string, unknown>[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
  });
  // the same settings and services, with a logger whose lines the test reads
  const ctx = createContext(t.settings, pino({ level: 'debug' }, sink));
  const server = await startTestServer(ctx);
  const workers = startWorkers({ ctx, processors: processorMap(processors), queues: queueNames, concurrency: 2 });
  try {
    const user = await userWithRoles(ctx, ['super_admin']);
    const admin = await ApiClient.signedIn(server.url, user.email, user.password);
    const { configId } = await createCsvSource(admin, 'Logging Harbour');
    const runId = await startCsvRun(admin, configId, listingsCsv(makeListings(4)));
    await waitForRun(admin, runId, ['awaiting_review']);
    const transformed = lines.find((line) => line.msg === 'transformed raw file');
    expect(transformed).toMatchObject({ queue: 'transform', runId, jobId: `run-${runId}-transform-1` });
  } finally {
    await Promise.all(workers.map((worker) => worker.close()));
    await server.close();
    await closeContext(ctx);
    await t.close();
  }
});
