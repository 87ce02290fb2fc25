// The processes a user starts: `npm start` on an empty database, a worker on chosen queues, bad settings.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { processorMap } from '../src/queues/workers';
import { processors } from '../src/processors';
import { createTestDatabase } from './harness/database';
import { deleteTestQueueKeys } from './harness/context';
import { testDatabaseUrl, testRedisUrl } from './harness/services';
import { spawnEntry } from './harness/spawn';
import { ApiClient } from './harness/http';

jest.setTimeout(90_000);

describe('npm start', () => {
  it('on an empty database comes up, and the printed admin can sign in', async () => {
    const name = `listings_test_fresh_${crypto.randomBytes(5).toString('hex')}`;
    const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'listings-start-'));
    const prefix = `{test-${crypto.randomBytes(4).toString('hex')}}`;
    const app = spawnEntry('src/main.ts', [], {
      DATABASE_URL: testDatabaseUrl(name), REDIS_URL: testRedisUrl, PORT: '0', QUEUE_PREFIX: prefix,
      STORAGE_URL: `file://${storage}`, LOG_LEVEL: 'warn',
    });
    try {
      const [, password] = await app.waitFor(/sign in as admin@localhost with password (\S+)/, 60_000);
      const [, url] = await app.waitFor(/Admin UI\s+(http:\/\/localhost:\d+)\/admin\//);
      const client = new ApiClient(url!);
      const login = await client.post('/api/v1/auth/login', { email: 'admin@localhost', password });
      expect(login.status).toBe(200);
      expect(login.body.user.roles).toEqual(['super_admin']);
      expect((await client.get('/api/v1/pipeline/configs')).status).toBe(200);
      expect((await fetch(`${url}/admin/`)).status).toBe(200);
    } finally {
      await app.kill();
      await deleteTestQueueKeys(prefix);
      const admin = new pg.Client({ connectionString: testDatabaseUrl('postgres') });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
      fs.rmSync(storage, { recursive: true, force: true });
    }
  });

  it('a wrong setting stops the process with one line naming it', async () => {
    const app = spawnEntry('src/main.ts', [], { REDIS_URL: 'localhost:6379', PORT: '0' });
    expect(await app.exited()).toBe(2);
    expect(app.output().trim()).toBe('Setting REDIS_URL is wrong: expected a URL like redis://127.0.0.1:6379 (got "localhost:6379")');
  });
});

describe('workers', () => {
  it('a processor map with a gap or a double stops start-up', () => {
    expect(() => processorMap(processors.filter((p) => p.queue !== 'stage'))).toThrow('No processor is registered for queue(s): stage');
    expect(() => processorMap([...processors, processors[0]!])).toThrow('Two processors are registered for queue "import"');
    expect(Object.keys(processorMap(processors)).sort()).toEqual(['geocode', 'image', 'import', 'promote', 'stage', 'transform']);
  });

  it('a worker started with --queues geocode consumes only that queue', async () => {
    const db = await createTestDatabase();
    const prefix = `{test-${crypto.randomBytes(4).toString('hex')}}`;
    const connection = new Redis(testRedisUrl, { maxRetriesPerRequest: null });
    const geocode = new Queue('geocode', { connection, prefix });
    const transform = new Queue('transform', { connection, prefix });
    const worker = spawnEntry('src/worker.ts', ['--queues', 'geocode', '--concurrency', '1'], {
      DATABASE_URL: db.url, REDIS_URL: testRedisUrl, QUEUE_PREFIX: prefix, LOG_LEVEL: 'info',
    });
    try {
      await worker.waitFor(/worker started/);
      const transformJob = await transform.add('transform', { runId: 1, fileId: 1, seq: 1 }, { jobId: 'run-1-transform-1' });
      const geocodeJob = await geocode.add('geocode', { runId: 1, addressKey: 'a' }, { jobId: 'run-1-geocode-a', attempts: 1 });
      const deadline = Date.now() + 20_000;
      while ((await geocodeJob.getState()) === 'waiting' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await geocode.getJobState(geocodeJob.id!)).not.toBe('waiting');
      await new Promise((r) => setTimeout(r, 500));
      expect(await transform.getJobState(transformJob.id!)).toBe('waiting');
    } finally {
      await worker.kill();
      await geocode.close();
      await transform.close();
      connection.disconnect();
      await deleteTestQueueKeys(prefix);
      await db.drop();
    }
  });

  it('refuses an unknown queue name', async () => {
    const worker = spawnEntry('src/worker.ts', ['--queues', 'geocode,imports'], { REDIS_URL: testRedisUrl });
    expect(await worker.exited()).toBe(2);
    expect(worker.output()).toContain('--queues: unknown queue imports; expected a comma list of import, transform, geocode, stage, image, promote');
  });
});
