// The process's main pg pool (writes, sign-in, workers), the small pool /readyz checks PostgreSQL
// on, and the helpers every repository uses. The API's reads have a pool of their own (read-pool.ts).
import pg from 'pg';

// numeric and bigint come back as strings by default; counts and ids fit in a JS number here.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));

export type Db = pg.Pool;
export type DbClient = pg.PoolClient;
/** Anything that can run a query: a pool, a client inside a transaction, or the API's ReadPool. */
export interface Queryable {
  query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export function createPool(databaseUrl: string, max = 10): Db {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, application_name: 'listings-pipeline' });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** How long /readyz waits for PostgreSQL (and for Redis) before answering 503. */
export const readinessTimeoutMs = 2_000;

/**
 * /readyz's own connection, so that a flood of slow reads holding every pool connection does not
 * take the instance out of rotation: one connection, opened at the first probe and kept open (no idle
 * timeout, no connection churn at every probe). A lost one is dropped by the pool and the next probe
 * opens another; so is one that does not answer within the timeout (query_timeout is pg's own,
 * client-side, not a start-up option), instead of holding every later probe behind it.
 */
export function createReadinessPool(databaseUrl: string): Db {
  const pool = new pg.Pool({
    connectionString: databaseUrl, max: 1, idleTimeoutMillis: 0, application_name: 'listings-pipeline-readiness',
    connectionTimeoutMillis: readinessTimeoutMs, query_timeout: readinessTimeoutMs,
  });
  pool.on('error', () => undefined);
  return pool;
}

export interface TransactionOptions {
  readOnly?: boolean;
  /** each statement's limit: PostgreSQL cancels one running longer (SQLSTATE 57014) */
  statementTimeoutMs?: number;
  /** how long a statement may wait for a lock (SQLSTATE 55P03 past it) */
  lockTimeoutMs?: number;
}

/** Runs fn in a transaction on one client; rolls back on any error. */
export async function inTransaction<T>(db: Db, fn: (client: DbClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  return transactionOn(await db.connect(), fn, options);
}

/** inTransaction on a client already taken from the pool, which it releases when done. */
export async function transactionOn<T>(client: DbClient, fn: (client: DbClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  // A connection the server ends while we hold it (the timeout below) fails the next query, which
  // fails the job; without a listener its 'error' event would end the whole process.
  let lost: Error | undefined;
  const onLost = (error: Error) => (lost ??= error); // the first says why; then the socket closes
  client.on('error', onLost);
  try {
    // Our transactions run their statements back to back. One left idle is a worker whose machine
    // vanished without closing the connection: the server ends it, so its row locks (a promote
    // batch) do not hold up the worker that took its job over until TCP gives up, hours later.
    // SET LOCAL, not a connection option: poolers such as PgBouncer refuse start-up options, and a
    // session SET would, in PgBouncer's transaction pooling, stay on a server connection other
    // clients get next. One round trip: a query without parameters may hold several statements.
    // JIT off: our statements each handle one bounded batch or one page, and compiling them (planned
    // for guessed row counts, jsonb_array_elements' 100 a row) took 0.2-0.3 s where they ran in 50 ms.
    await client.query([
      options.readOnly ? 'BEGIN READ ONLY' : 'BEGIN',
      `SET LOCAL idle_in_transaction_session_timeout = '5min'`,
      'SET LOCAL jit = off',
      ...(options.statementTimeoutMs ? [`SET LOCAL statement_timeout = ${Math.round(options.statementTimeoutMs)}`] : []),
      ...(options.lockTimeoutMs ? [`SET LOCAL lock_timeout = ${Math.round(options.lockTimeoutMs)}`] : []),
    ].join('; '));
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // pg then says only that the client "is not queryable": name what the server said instead
    if (lost) throw new Error(`The database ended this transaction: ${lost.message}`, { cause: error });
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.off('error', onLost);
    client.release(lost); // a lost connection is dropped, not handed to the next caller
  }
}

/** An ILIKE pattern matching text anywhere, with the user's own %, _ and backslash taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
