// The schema: migrations apply to an empty database and again with no change; constraints keep data honest.
import fs from 'node:fs';
import pg from 'pg';
import { migrate, migrationsDir } from '../src/db/migrate';
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from './harness/database';

describe('migrations', () => {
  let empty: TestDatabase;
  afterAll(() => empty?.drop());

  it('apply to an empty database, then again with no change', async () => {
    empty = await createEmptyDatabase();
    const first = await migrate(empty.url);
    const files = fs.readdirSync(migrationsDir).filter((name) => name.endsWith('.sql')).sort();
    expect(first).toEqual(files.map((name) => name.replace(/\.sql$/, '')));
    expect(first[0]).toBe('0001_foundation');
    expect(await migrate(empty.url)).toEqual([]);
    const client = new pg.Client({ connectionString: empty.url });
    await client.connect();
    const schemas = await client.query(`SELECT nspname FROM pg_namespace WHERE nspname IN ('public', 'staging', 'pipeline') ORDER BY 1`);
    const trgm = await client.query(`SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'`);
    const days = await client.query('SELECT name FROM public.ref_days ORDER BY id');
    await client.end();
    expect(schemas.rows.map((row) => row.nspname)).toEqual(['pipeline', 'public', 'staging']);
    expect(trgm.rowCount).toBe(1);
    expect(days.rows.map((row) => row.name)).toEqual(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']);
  });
});

describe('constraints', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let runId: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(`INSERT INTO public.dmos (id, name, dmo_type_id) VALUES (1, 'Visit Test', 3)`);
    await client.query(`INSERT INTO pipeline.configs (id, dmo_id, source_type) VALUES (1, 1, 'csv')`);
    const run = await client.query(`INSERT INTO pipeline.jobs (config_id, dmo_id, data_domain, status) VALUES (1, 1, 'listings', 'queued') RETURNING id`);
    runId = run.rows[0].id;
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  const rejects = (sql: string, params: unknown[] = []) => expect(client.query(sql, params)).rejects.toThrow();

  it('refuse an unknown run status, action, review status or listing status', async () => {
    await rejects(`UPDATE pipeline.jobs SET status = 'done' WHERE id = $1`, [runId]);
    await rejects(`INSERT INTO staging.rows (job_id, file_seq, rec_num, dmo_id, source_id, action) VALUES ($1, 1, 1, 1, 'a', 'upsert')`, [runId]);
    await rejects(`INSERT INTO staging.rows (job_id, file_seq, rec_num, dmo_id, source_id, li_action) VALUES ($1, 1, 1, 1, 'a', 'duplicated')`, [runId]);
    await rejects(`INSERT INTO staging.rows (job_id, file_seq, rec_num, dmo_id, source_id, review_status) VALUES ($1, 1, 1, 1, 'a', 'maybe')`, [runId]);
    await rejects(`INSERT INTO public.listings (name, listing_status) VALUES ('x', 'hidden')`);
    await rejects(`INSERT INTO pipeline.configs (dmo_id, source_type) VALUES (1, 'ftp')`);
    await rejects(`INSERT INTO public.dmos (name, dmo_type_id) VALUES ('x', 9)`);
  });

  it('accept every value DESIGN.md lists', async () => {
    for (const status of ['waiting_for_input', 'queued', 'running', 'awaiting_review', 'promoting', 'promoted', 'failed', 'cancelled', 'superseded']) {
      await client.query(`UPDATE pipeline.jobs SET status = $2 WHERE id = $1`, [runId, status]);
    }
    const actions = ['insert', 'update', 'unchanged', 'duplicate', 'delete', 'possible_match'];
    for (const [i, action] of actions.entries()) {
      await client.query(
        `INSERT INTO staging.rows (job_id, file_seq, rec_num, dmo_id, source_id, action, l_action, li_action, location_action,
           contact_action, images_action, open_action, attributes_action)
         VALUES ($1, 1, $2, 1, 's', $3, $3, $3, $3, $3, $3, $3, $3)`,
        [runId, i + 1, action],
      );
    }
    for (const status of ['active', 'missing_from_import', 'removed', 'archived', 'merged']) {
      await client.query(`INSERT INTO public.listings (name, listing_status) VALUES ('x', $1)`, [status]);
    }
  });

  it('keep one staged row per run, file and record, and one bridge row per source and target type', async () => {
    await client.query(`INSERT INTO staging.rows (job_id, file_seq, rec_num, dmo_id, source_id) VALUES ($1, 2, 1, 1, 'a')`, [runId]);
    await rejects(`INSERT INTO staging.rows (job_id, file_seq, rec_num, dmo_id, source_id) VALUES ($1, 2, 1, 1, 'b')`, [runId]);
    await client.query(`INSERT INTO pipeline.bridge_source_target (dmo_id, source_id, target_type, target_id) VALUES (1, 'abc', 'listing', 1)`);
    await client.query(`INSERT INTO pipeline.bridge_source_target (dmo_id, source_id, target_type, target_id) VALUES (1, 'abc', 'listing_info', 1)`);
    await rejects(`INSERT INTO pipeline.bridge_source_target (dmo_id, source_id, target_type, target_id) VALUES (1, 'abc', 'listing', 2)`);
    await rejects(`INSERT INTO pipeline.bridge_source_target (dmo_id, source_id, target_type, target_id) VALUES (1, 'abd', 'location', 2)`);
  });

  it('refuse a listing_info of a DMO or listing that does not exist', async () => {
    await rejects(`INSERT INTO public.listing_info (listing_id, dmo_id) VALUES (999999, 1)`);
    const listing = await client.query(`INSERT INTO public.listings (name) VALUES ('x') RETURNING id`);
    await rejects(`INSERT INTO public.listing_info (listing_id, dmo_id) VALUES ($1, 42)`, [listing.rows[0].id]);
  });
});
