// The review page in a real browser: a first run approved and promoted from the page; a second run of a
// changed file shows its rows per action with the right counts and diffs, "Approve all proposed" leaves
// deletions pending until a person approves them, a reviewer decides but cannot promote, and the
// confirmation names what promote will do.
import type { Browser, Page } from 'playwright-core';
import { countResults } from '../../src/db/stage-run';
import { launchBrowser, openAdmin, screenshot, signIn, type AdminBrowser } from '../harness/browser';
import { userWithRoles } from '../harness/context';
import { ApiClient } from '../harness/http';
import {
  createCsvSource, listingsCsv, makeListings, startCsvRun, startPipelineUnderTest, waitForRun, type ListingRow,
  type PipelineUnderTest,
} from '../harness/pipeline';

let pipeline: PipelineUnderTest;
let browser: Browser;
let tab: AdminBrowser;
let admin: { email: string; password: string };
let configId: number;

const firstFile = makeListings(10);
// the second file: two renamed, two gone, the rest the same, three new
const renamed = new Set(['L1', 'L2']);
const removed = new Set(['L3', 'L4']);
const secondFile: ListingRow[] = [
  ...firstFile.filter((row) => !removed.has(row.id)).map((row) => (renamed.has(row.id) ? { ...row, name: `${row.name} Renamed` } : row)),
  ...makeListings(3, 11),
];
let secondRun: number;

const actionTabs = { insert: 'New', update: 'Updates', unchanged: 'Unchanged', duplicate: 'Duplicates', delete: 'Deletions',
  possible_match: 'Possible matches' } as const;
type Action = keyof typeof actionTabs;

beforeAll(async () => {
  pipeline = await startPipelineUnderTest();
  browser = await launchBrowser();
  admin = await userWithRoles(pipeline.t.ctx, ['pipeline_admin']);
  ({ configId } = await createCsvSource(pipeline.admin, 'South Shore Tourism'));
});
afterAll(async () => {
  await browser?.close();
  await pipeline?.close();
});
beforeEach(async () => (tab = await openAdmin(browser, pipeline.server.url)));
afterEach(async () => tab.close());

/** The numbers of the run's tabs as the server counts them (GET /staging/counts, or the run's results before it exists). */
async function serverCounts(runId: number): Promise<Record<Action, number>> {
  const counts = await pipeline.admin.get(`/api/v1/pipeline/staging/counts?jobId=${runId}`);
  if (counts.status === 200) return counts.body.actions;
  const { body } = await pipeline.admin.get(`/api/v1/pipeline/jobs/${runId}`);
  const r = body.results;
  return { insert: r.records_new, update: r.records_updated, unchanged: r.records_unchanged, duplicate: r.records_duplicates,
    delete: r.records_deleted, possible_match: r.records_possible_match };
}

async function rowsOf(runId: number, action: Action) {
  const { body } = await pipeline.admin.get(`/api/v1/pipeline/staging/rows?jobId=${runId}&action=${action}&pageSize=500`);
  return body.rows as { id: number; review_status: string; name: string }[];
}

async function tabCount(page: Page, action: Action): Promise<number> {
  const text = await page.getByRole('tab', { name: new RegExp(`^${actionTabs[action]}`) }).getByTestId('tab-count').innerText();
  return Number(text.replace(/[^0-9]/g, ''));
}

async function decisionMessage(page: Page): Promise<string> {
  const message = page.getByTestId('decision-message');
  await message.waitFor();
  return message.innerText();
}

/** The rows of a tab once they are shown and settled (the previous tab's rows are never shown under another). */
async function rowsShown(page: Page, action: Action) {
  const rows = page.locator(`[data-testid="rows"][data-action="${action}"][data-loading="false"]`);
  await rows.waitFor();
  return rows;
}

/** Waits until the drawer's or dialog's opening transition has ended, so a screenshot shows it settled. */
async function settled(page: Page) {
  // Mantine starts its transitions a frame after mounting, and they last 200 ms
  await page.waitForTimeout(300);
  await page.evaluate(() => Promise.all(document.getAnimations().map((animation) => animation.finished)));
}

async function visible(locator: ReturnType<Page['locator']>) {
  await locator.waitFor();
  return locator.isVisible();
}

test('a first run is found under Review, approved with "Approve all proposed" and promoted: the outcome shows what was inserted', async () => {
  const runId = await startCsvRun(pipeline.admin, configId, listingsCsv(firstFile));
  await waitForRun(pipeline.admin, runId, ['awaiting_review']);
  const counts = await serverCounts(runId);

  await signIn(tab.page, admin.email, admin.password, '/admin/review');
  await tab.page.getByRole('link', { name: `Review run #${runId}` }).click();
  await tab.page.waitForURL(new RegExp(`/admin/runs/${runId}/review`));
  await tab.page.getByTestId('rows-table').waitFor();
  await expect(tabCount(tab.page, 'insert')).resolves.toBe(counts.insert);

  await tab.page.getByRole('button', { name: 'Approve all proposed' }).click();
  await expect(decisionMessage(tab.page)).resolves.toBe(`${counts.insert} rows approved`);

  await tab.page.getByRole('button', { name: 'Promote…' }).click();
  const dialog = tab.page.getByRole('dialog');
  await expect(dialog.getByTestId('promote-plan').innerText()).resolves.toContain(`Promote will insert ${counts.insert} new listings.`);
  await expect(dialog.getByTestId('promote-plan').innerText()).resolves.toContain('Every row of this run is approved.');
  await dialog.getByRole('button', { name: 'Promote now' }).click();

  const outcome = tab.page.getByTestId('promote-outcome');
  await outcome.waitFor({ timeout: 30_000 });
  await expect(outcome.locator('[data-result="inserted"] [data-value]').getAttribute('data-value')).resolves.toBe(String(counts.insert));
  const run = await pipeline.admin.get(`/api/v1/pipeline/jobs/${runId}`);
  expect(run.body.status).toBe('promoted');
  expect(run.body.promote_results.inserted).toBe(counts.insert);
  // a promoted run stays readable, without decisions
  await expect(tab.page.getByTestId('read-only').innerText()).resolves.toContain('promoted');
  await expect(tab.page.getByRole('button', { name: 'Approve all proposed' }).count()).resolves.toBe(0);
  expect(tab.problems).toEqual([]);
});

test('a second run of a changed file: counts per tab, the diff of an update, deletions left pending until a person approves them', async () => {
  secondRun = await startCsvRun(pipeline.admin, configId, listingsCsv(secondFile));
  await waitForRun(pipeline.admin, secondRun, ['awaiting_review']);
  const counts = await serverCounts(secondRun);
  // the file was made to have each kind: the test means nothing otherwise
  expect(counts).toMatchObject({ update: renamed.size, delete: removed.size, insert: 3 });

  await signIn(tab.page, admin.email, admin.password, `/admin/runs/${secondRun}/review`);
  await tab.page.getByTestId('rows-table').waitFor();
  for (const action of Object.keys(actionTabs) as Action[]) await expect(tabCount(tab.page, action)).resolves.toBe(counts[action]);

  await tab.page.getByRole('tab', { name: /^Updates/ }).click();
  await tab.page.waitForURL(/action=update/);
  const table = await rowsShown(tab.page, 'update');
  await table.getByRole('button', { name: 'Harbour Place 1 Renamed' }).waitFor();
  await expect(table.locator('tbody tr').count()).resolves.toBe(counts.update);
  await screenshot(tab.page, 'review');

  await table.getByRole('button', { name: 'Harbour Place 1 Renamed' }).click();
  const detail = tab.page.getByTestId('row-detail');
  await expect(detail.getByTestId('changed-fields').innerText()).resolves.toBe('Changed: Name');
  const nameLine = detail.locator('[data-field="name"]');
  await expect(nameLine.getAttribute('data-changed')).resolves.toBe('true');
  await expect(nameLine.locator('[data-side="staged"]').innerText()).resolves.toBe('Harbour Place 1 Renamed');
  await expect(nameLine.locator('[data-side="production"]').innerText()).resolves.toBe('Harbour Place 1');
  await expect(detail.locator('[data-field="city"]').getAttribute('data-changed')).resolves.toBe('false');
  await expect(detail.locator('[data-field="contact.email"] [data-side="production"]').innerText()).resolves.toBe('info1@example.org');
  await settled(tab.page);
  await screenshot(tab.page, 'review-diff');

  // the open row and the tab are in the URL: a reload shows the same
  await tab.page.reload();
  await tab.page.getByTestId('row-detail').waitFor();
  await expect(tab.page.getByRole('tab', { name: /^Updates/ }).getAttribute('aria-selected')).resolves.toBe('true');
  await tab.page.keyboard.press('Escape');
  await tab.page.getByTestId('row-detail').waitFor({ state: 'detached' });

  const proposed = counts.insert + counts.update + counts.unchanged;
  await tab.page.getByRole('button', { name: 'Approve all proposed' }).click();
  await expect(decisionMessage(tab.page)).resolves.toBe(`${proposed} rows approved`);
  const deletions = await rowsOf(secondRun, 'delete');
  expect(deletions.map((row) => row.review_status)).toEqual(deletions.map(() => 'pending'));

  await tab.page.getByRole('tab', { name: /^Deletions/ }).click();
  const deletionRows = await rowsShown(tab.page, 'delete');
  await expect(tab.page.getByTestId('tab-note').innerText()).resolves.toContain(
    'Deletions are never proposed: approve the ones you want removed from production.');
  await expect(deletionRows.locator('[data-review="pending"]').count()).resolves.toBe(counts.delete);
  await tab.page.getByRole('button', { name: 'Approve all Deletions' }).click();
  await expect(decisionMessage(tab.page)).resolves.toBe(`${counts.delete} rows approved`);
  await expect((await rowsShown(tab.page, 'delete')).locator('[data-review="approved"]').count()).resolves.toBe(counts.delete);
  expect((await rowsOf(secondRun, 'delete')).map((row) => row.review_status)).toEqual(deletions.map(() => 'approved'));
  expect(tab.problems).toEqual([]);
});

test('a reviewer sees approve and reject but no Promote, and the server refuses their promote with 403', async () => {
  const reviewer = await userWithRoles(pipeline.t.ctx, ['reviewer']);
  await signIn(tab.page, reviewer.email, reviewer.password, `/admin/runs/${secondRun}/review?action=update`);
  const rows = await rowsShown(tab.page, 'update');
  await expect(visible(tab.page.getByRole('button', { name: 'Approve all proposed' }))).resolves.toBe(true);
  await expect(visible(tab.page.getByRole('button', { name: 'Reject all Updates' }))).resolves.toBe(true);
  await rows.getByRole('button', { name: 'Harbour Place 2 Renamed' }).click();
  await expect(visible(tab.page.getByRole('button', { name: 'Reject this row' }))).resolves.toBe(true);
  await expect(tab.page.getByRole('button', { name: /Promote/ }).count()).resolves.toBe(0);

  const asReviewer = await ApiClient.signedIn(pipeline.server.url, reviewer.email, reviewer.password);
  const refused = await asReviewer.post('/api/v1/pipeline/staging/promote', { jobId: secondRun });
  expect(refused.status).toBe(403);
  expect((await pipeline.admin.get(`/api/v1/pipeline/jobs/${secondRun}`)).body.status).toBe('awaiting_review');
});

test('the promote confirmation of the second run names what will happen, and the outcome matches it', async () => {
  const approved = async (action: Action) =>
    (await pipeline.admin.get(`/api/v1/pipeline/staging/rows?jobId=${secondRun}&action=${action}&review=approved&pageSize=1`)).body.total as number;
  const [insert, update, remove, unchanged] = await Promise.all((['insert', 'update', 'delete', 'unchanged'] as Action[]).map(approved));

  await signIn(tab.page, admin.email, admin.password, `/admin/runs/${secondRun}/review`);
  await tab.page.getByTestId('rows-table').waitFor();
  await tab.page.getByRole('button', { name: 'Promote…' }).click();
  const plan = tab.page.getByRole('dialog').getByTestId('promote-plan');
  await expect(plan.innerText()).resolves.toContain(
    `Promote will insert ${insert} new listings, update ${update}, soft-delete ${remove} (hidden, not erased) and refresh ${unchanged} unchanged.`);
  await settled(tab.page);
  await screenshot(tab.page, 'promote-confirm');
  await tab.page.getByRole('dialog').getByRole('button', { name: 'Promote now' }).click();

  const outcome = tab.page.getByTestId('promote-outcome');
  await outcome.waitFor({ timeout: 30_000 });
  const shown = async (key: string) => Number(await outcome.locator(`[data-result="${key}"] [data-value]`).getAttribute('data-value'));
  await expect(shown('inserted')).resolves.toBe(insert);
  await expect(shown('updated')).resolves.toBe(update);
  await expect(shown('deleted')).resolves.toBe(remove);
  await expect(shown('unchanged')).resolves.toBe(unchanged);
  const run = (await pipeline.admin.get(`/api/v1/pipeline/jobs/${secondRun}`)).body;
  expect(run.promote_results).toMatchObject({ inserted: insert, updated: update, deleted: remove, unchanged });
  expect(tab.problems).toEqual([]);
});

test('a truncated file: the mass-delete guard stands at the top, rows with warnings and deletions wait for a person, a selection and an override decide rows, and a newer run leaves it read-only', async () => {
  const kept = firstFile.filter((row) => ['L5', 'L6', 'L7'].includes(row.id));
  const doubtful = { ...makeListings(1, 14)[0]!, email: 'not-an-email' };
  const thirdRun = await startCsvRun(pipeline.admin, configId, listingsCsv([...kept, doubtful]));
  const run = await waitForRun(pipeline.admin, thirdRun, ['awaiting_review']);
  expect(run.delete_guard).toBeTruthy();

  await signIn(tab.page, admin.email, admin.password, `/admin/runs/${thirdRun}/review`);
  await rowsShown(tab.page, 'insert');
  await expect(tab.page.getByTestId('delete-guard').innerText()).resolves.toContain(run.delete_guard);

  // the row with a warning: shown by the filter, left pending by "Approve all proposed"
  const warningsOnly = tab.page.getByRole('switch', { name: /Only rows with warnings/ });
  await warningsOnly.click();
  await tab.page.waitForURL(/warnings=true/);
  const warned = await rowsShown(tab.page, 'insert');
  await tab.page.locator('[data-testid="rows"] [data-testid="row-warnings"]').first().waitFor();
  await expect(warned.locator('tbody tr').count()).resolves.toBe(1);
  await expect(warned.getByRole('button', { name: doubtful.name }).count()).resolves.toBe(1);
  await tab.page.getByRole('button', { name: 'Approve all proposed' }).click();
  await decisionMessage(tab.page);
  const inserts = await rowsOf(thirdRun, 'insert');
  expect(inserts.find((row) => row.name === doubtful.name)?.review_status).toBe('pending');
  await warningsOnly.click();
  await tab.page.waitForURL((url) => !url.searchParams.has('warnings'));

  // two deletions chosen by hand
  await tab.page.getByRole('tab', { name: /^Deletions/ }).click();
  const deletions = await rowsShown(tab.page, 'delete');
  const chosen = (await rowsOf(thirdRun, 'delete')).slice(0, 2);
  for (const row of chosen) await deletions.locator(`tr[data-row-id="${row.id}"] input[type="checkbox"]`).check();
  await tab.page.getByRole('button', { name: 'Approve selected' }).click();
  await expect(decisionMessage(tab.page)).resolves.toBe('2 rows approved');
  const afterSelection = await rowsOf(thirdRun, 'delete');
  expect(afterSelection.filter((row) => row.review_status === 'approved').map((row) => row.id).sort()).toEqual(chosen.map((r) => r.id).sort());

  // an unchanged listing the reviewer wants gone: found by search, overridden to a deletion
  const before = await serverCounts(thirdRun);
  await tab.page.getByRole('tab', { name: /^Unchanged/ }).click();
  await rowsShown(tab.page, 'unchanged');
  await tab.page.getByLabel('Search').fill('Place 7');
  await tab.page.waitForURL(/q=Place\+7/);
  const found = tab.page.locator('[data-testid="rows"][data-action="unchanged"][data-loading="false"] tbody tr');
  await tab.page.waitForFunction(() => document.querySelectorAll('[data-testid="rows"] tbody tr').length === 1);
  await expect(found.innerText()).resolves.toContain('Harbour Place 7');
  await found.getByRole('button', { name: 'Harbour Place 7' }).click();
  await tab.page.getByRole('button', { name: 'Change its action…' }).click();
  await tab.page.getByRole('menuitem', { name: /Hide the listing from the site/ }).click();
  await expect(decisionMessage(tab.page)).resolves.toBe('1 row changed to delete and approved');
  const after = await serverCounts(thirdRun);
  expect(after).toMatchObject({ delete: before.delete + 1, unchanged: before.unchanged - 1 });
  await tab.page.keyboard.press('Escape');
  await expect(tabCount(tab.page, 'delete')).resolves.toBe(after.delete);

  // a newer run of the same source supersedes this one: its rows stay readable, without decisions
  const fourthRun = await startCsvRun(pipeline.admin, configId, listingsCsv(kept));
  await waitForRun(pipeline.admin, fourthRun, ['awaiting_review']);
  await waitForRun(pipeline.admin, thirdRun, ['superseded']);
  await openReviewOf(tab.page, thirdRun);
  await expect(tab.page.getByTestId('read-only').innerText()).resolves.toContain('superseded');
  await expect(tab.page.getByRole('button', { name: 'Approve all proposed' }).count()).resolves.toBe(0);
  await expect(tab.page.getByRole('button', { name: /Promote/ }).count()).resolves.toBe(0);

  // a possible match (made in SQL: the fuzzy matcher needs coordinates and near names) without candidates
  const db = pipeline.t.ctx.db;
  await db.query(
    `UPDATE staging.rows SET action = 'possible_match', l_action = 'possible_match', li_action = 'possible_match',
            listing_id = NULL, listing_info_id = NULL, match_method = NULL, ok_to_promote = false
      WHERE job_id = $1 AND source_id = 'L6'`,
    [fourthRun],
  );
  await countResults(db, fourthRun);
  await openReviewOf(tab.page, fourthRun, '?action=possible_match');
  await expect(tabCount(tab.page, 'possible_match')).resolves.toBe(1);
  await (await rowsShown(tab.page, 'possible_match')).getByRole('button', { name: 'Harbour Place 6' }).click();
  await expect(visible(tab.page.getByTestId('no-candidates'))).resolves.toBe(true);
  await tab.page.getByRole('button', { name: 'Make a new listing' }).click();
  await expect(decisionMessage(tab.page)).resolves.toBe('1 row approved as a new listing');
  const resolved = (await rowsOf(fourthRun, 'insert')).find((row) => row.name === 'Harbour Place 6');
  expect(resolved?.review_status).toBe('approved');
  expect(tab.problems).toEqual([]);
});

async function openReviewOf(page: Page, runId: number, search = '') {
  await page.goto(`/admin/runs/${runId}/review${search}`);
  await page.getByTestId('rows').waitFor();
}
