// COPY ... FROM STDIN in PostgreSQL's text format: the fast path for bulk writes (pg-copy-streams).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { DbClient } from './pool';

/** One value in COPY text format: \N for null, backslash escapes for the delimiter and line breaks. */
export function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') text = String(value);
  else if (value instanceof Date) text = value.toISOString();
  else text = JSON.stringify(value);
  return text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** Rows are sent in chunks of about this size: a stream write per row costs more than the row. */
const chunkChars = 64 * 1024;

/**
 * Streams rows into table(columns). Table and column names are the caller's constants, never input.
 * The rows are turned into text lazily, a chunk at a time.
 */
export async function copyRows(client: DbClient, table: string, columns: readonly string[], rows: readonly unknown[][]): Promise<void> {
  const sink = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  function* chunks() {
    let chunk = '';
    for (const row of rows) {
      chunk += `${row.map(copyValue).join('\t')}\n`;
      if (chunk.length >= chunkChars) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
  await pipeline(Readable.from(chunks()), sink);
}
