// A CSV run end to end through the API, with real PostgreSQL, Redis and BullMQ workers.
import iconv from 'iconv-lite';
import type { TestContext } from './harness/context';
import type { ApiClient } from './harness/http';
import {
  approveAndPromote, createCsvSource, listingsCsv, makeListings, startCsvRun, startPipelineUnderTest, waitForRun, type PipelineUnderTest,
} from './harness/pipeline';

jest.setTimeout(120_000);

let product: PipelineUnderTest;
let t: TestContext;
let admin: ApiClient;

beforeAll(async () => {
  product = await startPipelineUnderTest();
  ({ t, admin } = product);
});
afterAll(() => product.close());

const count = async (sql: string, params: unknown[] = []) => (await t.ctx.db.query(sql, params)).rows[0].n as number;

describe('a first import, a re-import and a changed file', () => {
  const N = 40;
  let source: { dmoId: number; configId: number };
  const original = makeListings(N);

  it('a first import of N distinct records stages N inserts; promoting creates N listings, their parts and 2N bridge rows', async () => {
    source = await createCsvSource(admin, 'Visit Harbour');
    const runId = await startCsvRun(admin, source.configId, listingsCsv(original));
    const staged = await waitForRun(admin, runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: N, records_new: N, records_updated: 0, records_unchanged: 0,
      records_deleted: 0, records_duplicates: 0, records_error: 0 });
    const rows = await admin.get(`/api/v1/pipeline/staging/rows?jobId=${runId}&action=insert&pageSize=500`);
    expect(rows.body.total).toBe(N);
    expect(rows.body.rows[0]).toMatchObject({ action: 'insert', l_action: 'insert', li_action: 'insert', ok_to_promote: true, review_status: 'pending' });

    const promoted = await approveAndPromote(admin, runId);
    expect(promoted.promote_results).toMatchObject({ inserted: N, updated: 0, deleted: 0, listings_created: N });
    expect(await count('SELECT count(*)::int n FROM public.listings')).toBe(N);
    expect(await count('SELECT count(*)::int n FROM public.listing_info WHERE dmo_id = $1', [source.dmoId])).toBe(N);
    expect(await count('SELECT count(*)::int n FROM public.locations')).toBe(N);
    expect(await count(`SELECT count(*)::int n FROM public.contact_info WHERE email LIKE 'info%@example.org'`)).toBe(N);
    expect(await count('SELECT count(*)::int n FROM pipeline.bridge_source_target WHERE dmo_id = $1', [source.dmoId])).toBe(2 * N);
    const listing = (await t.ctx.db.query(`SELECT l.name, loc.city, loc.lat::float AS lat FROM public.listings l JOIN public.locations loc ON loc.id = l.location_id WHERE l.name = 'Harbour Place 7'`)).rows[0];
    expect(listing).toEqual({ name: 'Harbour Place 7', city: 'Halifax', lat: 44.6007 });
  });

  it('re-importing the same file stages N unchanged; promoting changes nothing but last_seen_at', async () => {
    const before = (await t.ctx.db.query('SELECT id, last_seen_at, updated_at FROM public.listing_info ORDER BY id')).rows;
    const changesBefore = await count('SELECT count(*)::int n FROM pipeline.change_log');
    const runId = await startCsvRun(admin, source.configId, listingsCsv(original));
    const staged = await waitForRun(admin, runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: N, records_new: 0, records_updated: 0, records_unchanged: N, records_deleted: 0 });
    const promoted = await approveAndPromote(admin, runId);
    expect(promoted.promote_results).toMatchObject({ inserted: 0, updated: 0, deleted: 0, unchanged: N, listings_created: 0 });
    const after = (await t.ctx.db.query('SELECT id, last_seen_at, updated_at FROM public.listing_info ORDER BY id')).rows;
    expect(after.map((r) => r.id)).toEqual(before.map((r) => r.id));
    after.forEach((row, i) => expect(row.last_seen_at.getTime()).toBeGreaterThan(before[i].last_seen_at.getTime()));
    expect(await count('SELECT count(*)::int n FROM pipeline.change_log')).toBe(changesBefore);
    expect(await count('SELECT count(*)::int n FROM public.listings')).toBe(N);
  });

  it('a changed file stages exactly its updates, deletes and inserts; promote applies them once', async () => {
    const changed = makeListings(N).slice(0, N - 4); // 4 removed: L37..L40
    changed[0]!.description = 'Now with a sauna.'; // L1 description
    changed[1]!.lat = '44.70000'; // L2 moved
    const added = makeListings(3, 100); // L100..L102
    const runId = await startCsvRun(admin, source.configId, listingsCsv([...changed, ...added]));
    const staged = await waitForRun(admin, runId, ['awaiting_review']);
    expect(staged.results).toMatchObject({ records_total: N - 4 + 3, records_new: 3, records_updated: 2, records_deleted: 4,
      records_unchanged: N - 6, records_duplicates: 0 });
    expect(staged.delete_guard).toBeNull();
    const updates = (await admin.get(`/api/v1/pipeline/staging/rows?jobId=${runId}&action=update`)).body.rows;
    expect(updates.map((r: any) => [r.source_id, r.li_action, r.location_action]).sort()).toEqual([
      ['L1', 'update', 'unchanged'], ['L2', 'unchanged', 'update']]);
    const detail = (await admin.get(`/api/v1/pipeline/staging/rows/${updates.find((r: any) => r.source_id === 'L1').id}`)).body;
    expect(detail.diff.find((d: any) => d.field === 'description')).toEqual({
      field: 'description', staged: 'Now with a sauna.', production: 'A fine place number 1, by the sea.', changed: true });

    // deletions are not proposed: a reviewer approves them explicitly
    await admin.post('/api/v1/pipeline/staging/review', { jobId: runId, filter: { action: 'delete' }, decision: 'approve' });
    const promoted = await approveAndPromote(admin, runId);
    expect(promoted.promote_results).toMatchObject({ inserted: 3, updated: 2, deleted: 4, unchanged: N - 6, listings_created: 3 });
    const gone = (await t.ctx.db.query(
      `SELECT li.info_visible, li.info_status, l.listing_visible, l.listing_status FROM public.listing_info li
         JOIN public.listings l ON l.id = li.listing_id WHERE li.source_id = 'L40' AND li.dmo_id = $1`, [source.dmoId])).rows[0];
    expect(gone).toEqual({ info_visible: false, info_status: 'missing_from_import', listing_visible: false, listing_status: 'missing_from_import' });
    expect((await t.ctx.db.query(`SELECT description FROM public.listing_info WHERE source_id = 'L1'`)).rows[0].description).toBe('Now with a sauna.');
    expect((await t.ctx.db.query(`SELECT loc.lat::float AS lat FROM public.listing_info li JOIN public.listings l ON l.id = li.listing_id
      JOIN public.locations loc ON loc.id = l.location_id WHERE li.source_id = 'L2'`)).rows[0].lat).toBe(44.7);
    const log = (await t.ctx.db.query(`SELECT field, old_value, new_value FROM pipeline.change_log WHERE job_id = $1 AND change = 'update' ORDER BY field`, [runId])).rows;
    expect(log).toEqual([
      { field: 'description', old_value: 'A fine place number 1, by the sea.', new_value: 'Now with a sauna.' },
      { field: 'lat', old_value: '44.60020000', new_value: '44.70000000' },
    ]);

    // promoting the same run again changes nothing
    const listingsBefore = await count('SELECT count(*)::int n FROM public.listings');
    const again = await admin.post('/api/v1/pipeline/staging/promote', { jobId: runId });
    expect(again.status).toBe(202);
    expect(await count('SELECT count(*)::int n FROM public.listings')).toBe(listingsBefore);

    // the same file once more: everything unchanged, no new deletes
    const rerun = await startCsvRun(admin, source.configId, listingsCsv([...changed, ...added]));
    const restaged = await waitForRun(admin, rerun, ['awaiting_review']);
    expect(restaged.results).toMatchObject({ records_new: 0, records_updated: 0, records_deleted: 0, records_unchanged: N - 1 });
  });
});

describe('live progress', () => {
  it('GET /jobs/:id shows {stage, done, total, percent} moving through the steps while a run works', async () => {
    const N = 6000;
    const source = await createCsvSource(admin, 'Visit Progress');
    const runId = await startCsvRun(admin, source.configId, listingsCsv(makeListings(N)));
    const seen: { status: string; stage: string; done: number; total: number; percent: number }[] = [];
    for (;;) {
      const { body } = await admin.get(`/api/v1/pipeline/jobs/${runId}`);
      seen.push({ status: body.status, ...body.progress });
      if (['awaiting_review', 'failed'].includes(body.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    expect(seen.at(-1)).toEqual({ status: 'awaiting_review', stage: 'review', done: 1, total: 1, percent: 100 });
    const transform = seen.filter((s) => s.stage === 'transform');
    expect(transform.some((s) => s.total === N && s.done > 0 && s.done < N && s.percent === Math.floor((s.done / N) * 100))).toBe(true);
    // done never goes backwards within a step, and the steps come in order
    transform.forEach((s, i) => i && expect(s.done).toBeGreaterThanOrEqual(transform[i - 1]!.done));
    const steps = ['import', 'transform', 'stage', 'review'];
    const order = [...new Set(seen.map((s) => s.stage).filter(Boolean))];
    expect(order).toEqual([...order].sort((a, b) => steps.indexOf(a) - steps.indexOf(b)));
    expect(order).toEqual(expect.arrayContaining(['transform', 'review']));
  });
});

describe('a CSV as Excel saves "Unicode text": UTF-16 with its byte-order mark', () => {
  it('reads as the same records as the UTF-8 file: a re-import of the same listings in UTF-16 stages them all unchanged', async () => {
    const listings = makeListings(12, 9_100).map((listing, i) => (i % 3 === 0 ? { ...listing, name: `${listing.name} Café Zoë` } : listing));
    const source = await createCsvSource(admin, 'Visit Unicode');
    const first = await startCsvRun(admin, source.configId, listingsCsv(listings));
    await waitForRun(admin, first, ['awaiting_review']);
    await approveAndPromote(admin, first);

    for (const [encoding, mark] of [['utf-16le', [0xff, 0xfe]], ['utf-16be', [0xfe, 0xff]]] as const) {
      const bytes = Buffer.concat([Buffer.from(mark), Buffer.from(iconv.encode(listingsCsv(listings), encoding))]);
      const runId = await startCsvRun(admin, source.configId, bytes);
      const staged = await waitForRun(admin, runId, ['awaiting_review']);
      expect(staged.results).toMatchObject({ records_total: 12, records_unchanged: 12, records_new: 0, records_updated: 0, records_error: 0 });
      await admin.post(`/api/v1/pipeline/jobs/${runId}/discard`);
    }
  });
});
