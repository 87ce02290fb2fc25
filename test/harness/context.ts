// A whole product context for one test file: its own database, queue prefix and storage folder.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { deleteQueueKeys } from '../../src/queues/connection';
import { loadSettings, type Settings } from '../../src/config';
import { closeContext, createContext, type PipelineContext } from '../../src/context';
import { createLogger } from '../../src/logger';
import { serverUrl, startServer } from '../../src/server';
import { hashPassword } from '../../src/auth/passwords';
import { createUser } from '../../src/db/users';
import type { RoleName } from '../../src/auth/permissions';
import { createTestDatabase, type TestDatabase } from './database';
import { testRedisUrl } from './services';

export interface TestContext {
  ctx: PipelineContext;
  settings: Settings;
  database: TestDatabase;
  storageDir: string;
  close(): Promise<void>;
}

export async function createTestContext(overrides: Record<string, string> = {}): Promise<TestContext> {
  const database = await createTestDatabase();
  const storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'listings-test-store-'));
  const prefix = `{test-${crypto.randomBytes(5).toString('hex')}}`;
  const settings = loadSettings({
    DATABASE_URL: database.url,
    REDIS_URL: testRedisUrl,
    QUEUE_PREFIX: prefix,
    STORAGE_URL: `file://${storageDir}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ALLOW_PRIVATE_HOSTS: '127.0.0.1',
    ...overrides,
  });
  const ctx = createContext(settings, createLogger(settings.LOG_LEVEL, 'test'));
  return {
    ctx,
    settings,
    database,
    storageDir,
    async close() {
      await closeContext(ctx);
      await deleteTestQueueKeys(prefix);
      await database.drop();
      fs.rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

/** Removes every Redis key of a test's queue prefix. */
export const deleteTestQueueKeys = (prefix: string) => deleteQueueKeys(testRedisUrl, prefix);

export interface TestServer {
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

export async function startTestServer(ctx: PipelineContext): Promise<TestServer> {
  const server = await startServer(ctx, 0);
  return {
    url: serverUrl(server),
    server,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Makes a user with these roles and returns a bearer token header for it. */
export async function userWithRoles(ctx: PipelineContext, roles: RoleName[], email = `${roles.join('-') || 'none'}-${crypto.randomBytes(3).toString('hex')}@test.local`) {
  const password = 'correct horse battery';
  const id = await createUser(ctx.db, { email, passwordHash: await hashPassword(password), roles });
  return { id, email, password };
}
