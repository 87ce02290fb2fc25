// Creates the database when it is missing and applies the numbered SQL migrations (node-pg-migrate).
import path from 'node:path';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { repoRoot } from '../config';

export const migrationsDir = path.join(repoRoot, 'migrations');

/** CREATE DATABASE for the URL's database when it does not exist yet. Returns true when it was created. */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) throw new Error(`DATABASE_URL names no database: ${databaseUrl}`);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    return true;
  } catch (error) {
    // another process created it at the same moment
    if ((error as { code?: string }).code === '42P04') return false;
    throw error;
  } finally {
    await admin.end();
  }
}

/** Applies every pending migration; returns the names applied (none when up to date). */
export async function migrate(databaseUrl: string, log: (line: string) => void = () => undefined): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: migrationsDir,
    direction: 'up',
    migrationsTable: 'migrations',
    migrationsSchema: 'public',
    checkOrder: true,
    // every entry point migrates at start: replicas starting together wait their turn instead of exiting
    advisoryLockMode: 'wait',
    verbose: false,
    log,
    logger: { debug: () => undefined, info: log, warn: log, error: log },
  });
  return applied.map((migration) => migration.name);
}
