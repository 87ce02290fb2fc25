// What a refused request must leave as it was: every table of the public, pipeline and staging schemas
// (its row count and a checksum of its rows) and every file under the blob store's folder (with its
// size). Two snapshots compared name what changed, so a failing test says which table or file moved.
import fs from 'node:fs';
import path from 'node:path';
import type { Queryable } from '../../src/db/pool';

export const snapshotSchemas = ['public', 'pipeline', 'staging'] as const;

/**
 * Tables that the test's own requests change however they are answered: a bearer token's last_used_at
 * moves on every call. They are compared by row count only.
 */
export const countOnlyTables = ['public.api_tokens', 'public.user_sessions'];

export interface StateSnapshot {
  /** "schema.table" → "rows:md5 of the rows" (or "rows" for the count-only ones) */
  tables: Record<string, string>;
  /** "relative/path (bytes)" of every file under the store */
  files: string[];
}

export interface StateChange {
  tables: string[];
  filesAdded: string[];
  filesRemoved: string[];
}

const quoted = (name: string) => name.split('.').map((part) => `"${part.replace(/"/g, '""')}"`).join('.');

async function tablesOf(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT table_schema || '.' || table_name AS name FROM information_schema.tables
      WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE' ORDER BY 1`,
    [snapshotSchemas]);
  return rows.map((row) => row.name);
}

function filesUnder(root: string, dir = root): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(root, full);
    return [`${path.relative(root, full)} (${fs.statSync(full).size})`];
  });
}

/** One statement: every table's count and checksum read in the same snapshot of the database. */
export async function snapshotState(db: Queryable, storageDir: string): Promise<StateSnapshot> {
  const tables = await tablesOf(db);
  const parts = tables.map((name, i) => countOnlyTables.includes(name)
    ? `SELECT ${i} AS i, count(*)::text AS state FROM ${quoted(name)}`
    : `SELECT ${i} AS i, count(*) || ':' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS state FROM ${quoted(name)} t`);
  const { rows } = await db.query<{ i: number; state: string }>(parts.join('\nUNION ALL\n'));
  const state: Record<string, string> = {};
  for (const row of rows) state[tables[row.i]!] = row.state;
  return { tables: state, files: filesUnder(storageDir).sort() };
}

export function changesBetween(before: StateSnapshot, after: StateSnapshot): StateChange {
  const names = new Set([...Object.keys(before.tables), ...Object.keys(after.tables)]);
  return {
    tables: [...names].filter((name) => before.tables[name] !== after.tables[name]).sort(),
    filesAdded: after.files.filter((file) => !before.files.includes(file)),
    filesRemoved: before.files.filter((file) => !after.files.includes(file)),
  };
}

export const noChange: StateChange = { tables: [], filesAdded: [], filesRemoved: [] };

/** A snapshot taken now, and a function that says what has changed since. */
export async function watchState(db: Queryable, storageDir: string): Promise<() => Promise<StateChange>> {
  const before = await snapshotState(db, storageDir);
  return async () => changesBetween(before, await snapshotState(db, storageDir));
}
