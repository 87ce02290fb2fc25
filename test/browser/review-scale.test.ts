// A run with 100,000 staged rows opens and pages without loading them all: every request for rows asks
// for one page, the page shows 50 rows and the total, and far pages open as quickly as the first.
// The timings are printed and, with REVIEW_TIMINGS_FILE set, written there as JSON for the bench.
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { countResults } from '../../src/db/stage-run';
import { launchBrowser, openAdmin, signIn, type AdminBrowser } from '../harness/browser';
import { userWithRoles } from '../harness/context';
import { createCsvSource, startPipelineUnderTest, type PipelineUnderTest } from '../harness/pipeline';

const rowCount = 100_000;
const partColumns = ['l_action', 'li_action', 'location_action', 'contact_action', 'images_action', 'open_action', 'attributes_action'];

let pipeline: PipelineUnderTest;
let browser: Browser;
let tab: AdminBrowser;
let runId: number;

/** A run awaiting review with rowCount new rows, made in SQL in a few seconds. */
async function runWithStagedRows(): Promise<number> {
  const { configId, dmoId } = await createCsvSource(pipeline.admin, 'Big Coast DMO');
  const started = await pipeline.admin.post('/api/v1/pipeline/executeStage', { configId });
  const id = started.body.jobId as number;
  const db = pipeline.t.ctx.db;
  await db.query(
    `INSERT INTO staging.rows (job_id, file_seq, rec_num, line, dmo_id, source_id, match_hash, name, address1, city, lat, lng,
                               description, contact, action, ${partColumns.join(', ')}, ok_to_promote, geocode_status)
     SELECT $1, 1, n, n + 1, $2, 'BIG-' || n, md5('big' || n), 'Big Coast Place ' || n, n || ' Shore Road',
            CASE WHEN n % 3 = 0 THEN 'Yarmouth' WHEN n % 3 = 1 THEN 'Digby' ELSE 'Shelburne' END,
            43.8 + n / 1000000.0, -66.1 + n / 1000000.0, 'A place on the shore, number ' || n,
            jsonb_build_object('email', 'info' || n || '@bigcoast.example'),
            'insert', ${partColumns.map(() => "'insert'").join(', ')}, true, 'not_needed'
       FROM generate_series(1, $3::int) n`,
    [id, dmoId, rowCount],
  );
  await db.query(
    `UPDATE pipeline.jobs SET status = 'awaiting_review', stage = 'review', started_at = now(), staged_at = now(), updated_at = now()
      WHERE id = $1`,
    [id],
  );
  await db.query('UPDATE pipeline.job_results SET records_total = $2 WHERE job_id = $1', [id, rowCount]);
  await countResults(db, id);
  await db.query('ANALYZE staging.rows');
  return id;
}

beforeAll(async () => {
  pipeline = await startPipelineUnderTest();
  browser = await launchBrowser();
  runId = await runWithStagedRows();
});
afterAll(async () => {
  await browser?.close();
  await pipeline?.close();
});
beforeEach(async () => (tab = await openAdmin(browser, pipeline.server.url)));
afterEach(async () => tab.close());

/** The rows of this page once shown (not the previous page's rows kept while it loads). */
async function pageShown(page: Page, number: number, firstRecNum: number) {
  await page.locator(`[data-testid="rows"][data-page="${number}"] tr[data-rec-num="${firstRecNum}"]`).waitFor({ timeout: 15_000 });
}

test('a run of 100,000 staged rows opens and pages without loading them all', async () => {
  const admin = await userWithRoles(pipeline.t.ctx, ['pipeline_admin']);
  await signIn(tab.page, admin.email, admin.password, '/admin/review');
  const rowRequests: URL[] = [];
  tab.page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname === '/api/v1/pipeline/staging/rows') rowRequests.push(url);
  });

  const timings: Record<string, number> = {};
  const time = async (name: string, step: () => Promise<void>) => {
    const start = performance.now();
    await step();
    timings[name] = Math.round(performance.now() - start);
  };

  await time('open_ms', async () => {
    await tab.page.goto(`/admin/runs/${runId}/review`);
    await pageShown(tab.page, 1, 1);
  });
  const table = tab.page.getByTestId('rows-table');
  await expect(table.locator('tbody tr').count()).resolves.toBe(50);
  await expect(tab.page.getByTestId('rows-total').innerText()).resolves.toBe('100,000');
  await expect(tab.page.getByRole('tab', { name: /^New/ }).getByTestId('tab-count').innerText()).resolves.toBe('100,000');

  await time('next_page_ms', async () => {
    await tab.page.getByRole('button', { name: 'next page' }).click();
    await pageShown(tab.page, 2, 51);
  });
  await expect(table.locator('tbody tr').count()).resolves.toBe(50);

  await time('page_1000_ms', async () => {
    await tab.page.getByLabel('Go to page').fill('1000');
    await tab.page.getByRole('button', { name: 'Go', exact: true }).click();
    await pageShown(tab.page, 1000, 49_951);
  });
  await expect(table.locator('tbody tr').count()).resolves.toBe(50);
  expect(new URL(tab.page.url()).searchParams.get('page')).toBe('1000');

  const lastPage = rowCount / 50;
  await time('last_page_ms', async () => {
    await tab.page.getByRole('button', { name: `Page ${lastPage}` }).click();
    await pageShown(tab.page, lastPage, rowCount - 49);
  });
  await expect(table.locator(`tr[data-rec-num="${rowCount}"]`).count()).resolves.toBe(1);

  // a reload of a far page asks for that page only
  await time('reload_far_page_ms', async () => {
    await tab.page.reload();
    await pageShown(tab.page, lastPage, rowCount - 49);
  });

  expect(rowRequests.length).toBeGreaterThan(0);
  for (const url of rowRequests) {
    const size = Number(url.searchParams.get('pageSize'));
    expect({ request: url.search, size: size > 0 && size <= 100 }).toEqual({ request: url.search, size: true });
  }
  const report = { rows: rowCount, requests: rowRequests.length, ...timings };
  console.log(`review of ${rowCount} staged rows: ${JSON.stringify(report)}`);
  if (process.env.REVIEW_TIMINGS_FILE) fs.writeFileSync(process.env.REVIEW_TIMINGS_FILE, `${JSON.stringify(report, null, 2)}\n`);
  expect(tab.problems).toEqual([]);
});
