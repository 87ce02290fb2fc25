// The API's reads (searches, listing lists, review pages, the public API) on a pool of their own, at
// most half the size of the main pool and each statement cut off by a statement_timeout: a flood of
// slow searches can hold only these connections, never the ones writes, sign-in and workers use, and
// a read that takes too long fails as a QueryTimeout (the API answers 503) instead of piling up.
import pg from 'pg';
import { inTransaction, type Queryable } from './pool';

// what PostgreSQL reports when statement_timeout cancels a statement (also an operator's pg_cancel_backend,
// rare enough to answer the same; the message is translated by lc_messages, so the code is what we read)
const sqlstateQueryCanceled = '57014';
// pg-pool's error when connectionTimeoutMillis passes with every connection of a full pool in use
const poolWaitTimedOut = 'timeout exceeded when trying to connect';

/** A read that took longer than the API's read timeout, waiting for a read connection or running. */
export class QueryTimeout extends Error {
  constructor(readonly timeoutMs: number, readonly waitedFor: 'connection' | 'query', options?: ErrorOptions) {
    super(waitedFor === 'query'
      ? `The query took too long: the database cancelled it after ${timeoutMs} ms`
      : `The query took too long: every read connection stayed busy for ${timeoutMs} ms, so it did not start`, options);
  }
}

export class ReadPool implements Queryable {
  private readonly pool: pg.Pool;

  constructor(databaseUrl: string, readonly size: number, readonly timeoutMs: number) {
    this.pool = new pg.Pool({
      connectionString: databaseUrl, max: size, application_name: 'listings-pipeline-api-read',
      // a read waits for a connection no longer than it may run: a flood answers 503s, not a queue
      connectionTimeoutMillis: timeoutMs,
    });
    this.pool.on('error', () => undefined); // a lost idle connection: the next read opens another
  }

  /**
   * One statement in a read-only transaction of its own whose statement_timeout is set by SET LOCAL:
   * safe behind PgBouncer in any pooling mode (see inTransaction), where a SET on connect would leak
   * to other clients' transactions. Each read takes its own connection, so a request's independent
   * statements (a page and its counts) still run side by side.
   */
  async query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await inTransaction(this.pool, (client) => client.query<R>(text, values),
        { readOnly: true, statementTimeoutMs: this.timeoutMs });
    } catch (error) {
      if ((error as { code?: string }).code === sqlstateQueryCanceled) throw new QueryTimeout(this.timeoutMs, 'query', { cause: error });
      if ((error as Error).message === poolWaitTimedOut) throw new QueryTimeout(this.timeoutMs, 'connection', { cause: error });
      throw error;
    }
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}
