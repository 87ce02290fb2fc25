// The same file through the cheapest possible paths, so pipeline ÷ baseline means the same on any
// machine: (a) csv-parse reading it to nothing, (b) PostgreSQL COPY of its rows into a temp table,
// (c) one INSERT per row, each its own transaction: what a naive pipeline does.
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { performance } from 'node:perf_hooks';
import { parse } from 'csv-parse';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export interface BaselineTiming {
  ms: number;
  rows: number;
}

/** Fastest of a few tries: a baseline is a floor, and the first try also pays for warming up. */
export async function bestOf(tries: number, measure: () => Promise<BaselineTiming>): Promise<BaselineTiming> {
  let best: BaselineTiming | null = null;
  for (let i = 0; i < tries; i += 1) {
    const timing = await measure();
    if (!best || timing.ms < best.ms) best = timing;
  }
  return best!;
}

/**
 * csv-parse, the usual streaming CSV library, reading the file with relaxed quotes; records counted
 * and dropped. (The product reads CSV with src/sources/csv-records.ts, which can go back after a
 * stray quote: this is the cost of reading the file at all.)
 */
export async function parseOnly(file: string): Promise<BaselineTiming> {
  const started = performance.now();
  const parser = fs.createReadStream(file).pipe(parse({ bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true }));
  let records = 0;
  for await (const _record of parser) records += 1;
  return { ms: performance.now() - started, rows: records - 1 };
}

/** The file's bytes straight into COPY … FORMAT csv: the floor for getting these rows into PostgreSQL. */
export async function copyOnly(databaseUrl: string, file: string, columns: readonly string[]): Promise<BaselineTiming> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const list = columns.map((column) => `${pg.escapeIdentifier(column)} text`).join(', ');
    await client.query(`CREATE TEMP TABLE bench_copy (${list})`);
    const started = performance.now();
    const sink = client.query(copyFrom('COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)'));
    await pipeline(fs.createReadStream(file), sink);
    const ms = performance.now() - started;
    return { ms, rows: Number(sink.rowCount) };
  } finally {
    await client.end();
  }
}

/**
 * One INSERT per row, each committed on its own, into a bare table: the naive pipeline. It stops after
 * `limitMs` (its rate is what compares, and at 1M rows it would take a quarter of an hour).
 */
export async function insertRowByRow(databaseUrl: string, file: string, columns: readonly string[], limitMs = 20_000): Promise<BaselineTiming> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const list = columns.map((column) => `${pg.escapeIdentifier(column)} text`).join(', ');
    await client.query(`CREATE TEMP TABLE bench_insert (${list})`);
    const insert = {
      name: 'bench-insert',
      text: `INSERT INTO bench_insert VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
    };
    const records = fs.createReadStream(file).pipe(parse({ bom: true, from_line: 2, relax_column_count: true }));
    const started = performance.now();
    let rows = 0;
    for await (const record of records as AsyncIterable<string[]>) {
      await client.query({ ...insert, values: record });
      rows += 1;
      if (performance.now() - started > limitMs) break;
    }
    records.destroy();
    return { ms: performance.now() - started, rows };
  } finally {
    await client.end();
  }
}
