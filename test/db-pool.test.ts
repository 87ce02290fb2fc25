// The product's transaction helper against a real PostgreSQL: what happens when the server ends a
// transaction we hold (a worker that stalled in one past idle_in_transaction_session_timeout).
import { createPool, inTransaction, type Db } from '../src/db/pool';
import { createTestDatabase, type TestDatabase } from './harness/database';

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createPool(database.url, 2);
});
afterAll(async () => {
  await db.end();
  await database.drop();
});

it('a transaction the server ends fails with its reason, the process lives on and the pool still works', async () => {
  const stalled = inTransaction(db, async (client) => {
    const setting = await client.query('SHOW idle_in_transaction_session_timeout');
    expect(setting.rows[0].idle_in_transaction_session_timeout).toBe('5min');
    await client.query(`SET LOCAL idle_in_transaction_session_timeout = '200ms'`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await client.query('SELECT 1');
  });
  await expect(stalled).rejects.toThrow('The database ended this transaction: terminating connection due to idle-in-transaction timeout');
  for (let i = 0; i < 3; i++) {
    expect((await inTransaction(db, (client) => client.query('SELECT 41 + 1 AS n'))).rows[0].n).toBe(42);
  }
});
