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
  const pool = new pg.Pool({
    connectionString: databaseUrl, max, application_name: 'listings-pipeline',
    // Our transactions run their statements back to back. One left idle is a worker whose machine
    // vanished without closing the connection: end it, so its row locks (a promote batch) do not hold
    // up the worker that took its job over until TCP gives up, hours later.
    options: '-c idle_in_transaction_session_timeout=300000',
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs fn in a transaction on one client; rolls back on any error. */
export async function inTransaction<T>(db: Db, fn: (client: DbClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
