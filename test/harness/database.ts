// Each test file gets its own database, cloned from a migrated template.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { ensureDatabase, migrate, migrationsDir } from '../../src/db/migrate';
import { testDatabaseUrl } from './services';

/** Named after the migrations' content: a changed migration gets a fresh template, parallel runs share one. */
function templateName(): string {
  const hash = crypto.createHash('sha1');
  for (const file of fs.readdirSync(migrationsDir).sort()) {
    hash.update(file).update(fs.readFileSync(path.join(migrationsDir, file)));
  }
  return `listings_test_tpl_${hash.digest('hex').slice(0, 12)}`;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testDatabaseUrl('postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Builds the template under a scratch name, then renames it, so no test ever clones a half-migrated one. */
export async function prepareTemplateDatabase(): Promise<void> {
  const name = templateName();
  const exists = await withAdmin((admin) => admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]));
  if (exists.rowCount) return;
  const scratch = `${name}_build_${crypto.randomBytes(4).toString('hex')}`;
  await ensureDatabase(testDatabaseUrl(scratch));
  await migrate(testDatabaseUrl(scratch));
  await withAdmin(async (admin) => {
    try {
      await admin.query(`ALTER DATABASE ${scratch} RENAME TO ${name}`);
    } catch {
      await admin.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`); // another run built it first
    }
  });
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `listings_test_${crypto.randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${name} TEMPLATE ${templateName()}`));
  return {
    name,
    url: testDatabaseUrl(name),
    drop: () => withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** A database with nothing in it, for the migration tests. */
export async function createEmptyDatabase(): Promise<TestDatabase> {
  const name = `listings_test_empty_${crypto.randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: testDatabaseUrl(name),
    drop: () => withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
