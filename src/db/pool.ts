// One pg pool per process, plus the two helpers every repository uses.
import pg from 'pg';

// numeric and bigint come back as strings by default; counts and ids fit in a JS number here.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));

export type Db = pg.Pool;
export type DbClient = pg.PoolClient;
/** Anything that can run a query: the pool or a client inside a transaction. */
export type Queryable = pg.Pool | pg.PoolClient;

export function createPool(databaseUrl: string, max = 10): Db {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, application_name: 'listings-pipeline' });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs fn in a transaction on one client; rolls back on any error. */
export async function inTransaction<T>(db: Db, fn: (client: DbClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  // A connection the server ends while we hold it (the timeout below) fails the next query, which
  // fails the job; without a listener its 'error' event would end the whole process.
  let lost: Error | undefined;
  const onLost = (error: Error) => (lost ??= error); // the first says why; then the socket closes
  client.on('error', onLost);
  try {
    await client.query('BEGIN');
    // Our transactions run their statements back to back. One left idle is a worker whose machine
    // vanished without closing the connection: the server ends it, so its row locks (a promote
    // batch) do not hold up the worker that took its job over until TCP gives up, hours later.
    // SET LOCAL, not a connection option: poolers such as PgBouncer refuse start-up options.
    await client.query(`SET LOCAL idle_in_transaction_session_timeout = '5min'`);
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
