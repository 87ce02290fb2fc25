// The Runs pages in a real browser, over runs made through the API as an admin would make them: the list
// with statuses and counts and its filters in the address, a run's files, preview and record errors
// (and their CSV), Cancel and Discard, what a viewer is not offered, and the run's jobs in Bull Board.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import type { Browser } from 'playwright-core';
import { launchBrowser, openAdmin, screenshot, signIn, type AdminBrowser } from '../harness/browser';
import { userWithRoles } from '../harness/context';
import {
  approveAndPromote, createCsvSource, listingsCsv, makeListings, startCsvRun, startPipelineUnderTest, waitForRun,
  type PipelineUnderTest,
} from '../harness/pipeline';

let pipeline: PipelineUnderTest;
let browser: Browser;
let tab: AdminBrowser;
let admin: { email: string; password: string };

/** Runs made for these tests, by what they show. */
const runs = { promoted: 0, withErrors: 0, cancelled: 0, waiting: 0, stillWaiting: 0, toDiscard: 0, toRefuse: 0 };

/** Six listings of which two cannot be taken: a latitude that is not a number, and no name. */
function csvWithBadRows(from: number) {
  const rows = makeListings(6, from);
  rows[2]!.lat = 'abc';
  rows[4]!.name = '';
  return listingsCsv(rows);
}

beforeAll(async () => {
  pipeline = await startPipelineUnderTest();
  browser = await launchBrowser();
  admin = await userWithRoles(pipeline.t.ctx, ['pipeline_admin']);
  const api = pipeline.admin;

  const coast = await createCsvSource(api, 'Coastal Nova Scotia');
  // a config with a name, beside the harness's unnamed one, as the list shows either
  const named = await api.post('/api/v1/pipeline/configs', {
    dmo_id: coast.dmoId, name: 'Coastal listings CSV', source_type: 'csv', config_params: (await api.get(`/api/v1/pipeline/configs/${coast.configId}`)).body.config_params,
  });
  coast.configId = named.body.id;
  runs.promoted = await startCsvRun(api, coast.configId, listingsCsv(makeListings(8)), 'coast-march.csv');
  await waitForRun(api, runs.promoted, ['awaiting_review']);
  await approveAndPromote(api, runs.promoted);
  runs.withErrors = await startCsvRun(api, coast.configId, csvWithBadRows(5), 'coast-april.csv');
  await waitForRun(api, runs.withErrors, ['awaiting_review']);

  const harbour = await createCsvSource(api, 'Lunenburg Harbour', 4);
  runs.cancelled = await startCsvRun(api, harbour.configId, csvWithBadRows(100), 'harbour.csv');
  await waitForRun(api, runs.cancelled, ['awaiting_review']);
  expect((await api.post(`/api/v1/pipeline/jobs/${runs.cancelled}/cancel`)).status).toBe(200);
  runs.toDiscard = await startCsvRun(api, harbour.configId, listingsCsv(makeListings(4, 200)), 'harbour-2.csv');
  await waitForRun(api, runs.toDiscard, ['awaiting_review']);

  const trails = await createCsvSource(api, 'Cape Breton Trails', 1);
  runs.toRefuse = await startCsvRun(api, trails.configId, listingsCsv(makeListings(3, 300)), 'trails.csv');
  await waitForRun(api, runs.toRefuse, ['awaiting_review']);

  const parks = await createCsvSource(api, 'Kejimkujik Parks', 2);
  const waiting = await api.post('/api/v1/pipeline/executeStage', { configId: parks.configId });
  runs.waiting = waiting.body.jobId;
  runs.stillWaiting = (await api.post('/api/v1/pipeline/executeStage', { configId: parks.configId })).body.jobId;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await pipeline?.close();
});
beforeEach(async () => (tab = await openAdmin(browser, pipeline.server.url)));
afterEach(async () => tab.close());

const apiRun = async (id: number) => (await pipeline.admin.get(`/api/v1/pipeline/jobs/${id}`)).body;
const runRow = (id: number) => tab.page.locator(`tr[data-run-id="${id}"]`);

async function listedRunIds(): Promise<number[]> {
  return tab.page.locator('tr[data-run-id]').evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-run-id'))));
}

/** What fn returns once it equals expected, or the last value after a few seconds (for the assertion to show). */
async function eventually<T>(fn: () => Promise<T>, expected: T, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (JSON.stringify(value) === JSON.stringify(expected) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const countKeys = ['records_new', 'records_updated', 'records_unchanged', 'records_deleted', 'records_duplicates', 'records_possible_match', 'records_error'];

test('the list shows every run with its status and counts, newest first', async () => {
  await signIn(tab.page, admin.email, admin.password, '/admin/runs');
  await runRow(runs.stillWaiting).waitFor();
  const { body } = await pipeline.admin.get('/api/v1/pipeline/jobs');
  expect(await listedRunIds()).toEqual(body.jobs.map((run: { id: number }) => run.id));
  for (const run of body.jobs) {
    const row = runRow(run.id);
    await expect(row.locator('[data-status]').getAttribute('data-status')).resolves.toBe(run.status);
    for (const key of countKeys) {
      const shown = (await row.locator(`[data-count="${key}"]`).textContent())!.trim();
      // a run that has not started has nothing counted yet
      expect(shown).toBe(run.results && run.started_at ? String(run.results[key]) : '–');
    }
  }
  // what a person reads: the run with bad rows counts its two errors, the cancelled one says so
  await expect(runRow(runs.withErrors).locator('[data-count="records_error"]').textContent()).resolves.toBe('2');
  await expect(runRow(runs.cancelled).textContent()).resolves.toContain('cancelled');
  await expect(runRow(runs.promoted).textContent()).resolves.toContain('Coastal listings CSV');
  await expect(runRow(runs.promoted).textContent()).resolves.toContain('Coastal Nova Scotia');
  await screenshot(tab.page, 'runs');
  expect(tab.problems).toEqual([]);
});

test('filtering by status puts the filter in the address, changes the rows, and a reload keeps it', async () => {
  await signIn(tab.page, admin.email, admin.password, '/admin/runs');
  await runRow(runs.waiting).waitFor();
  await tab.page.getByRole('combobox', { name: 'Status' }).click();
  await tab.page.getByRole('option', { name: 'awaiting review' }).click();
  await tab.page.waitForURL(/[?&]status=awaiting_review/);
  const expected = (await pipeline.admin.get('/api/v1/pipeline/jobs?status=awaiting_review')).body.jobs.map((run: { id: number }) => run.id);
  expect(expected.length).toBeGreaterThan(1);
  expect(await eventually(listedRunIds, expected)).toEqual(expected);
  const statuses = await tab.page.locator('tr[data-run-id] [data-status]').evaluateAll((badges) => badges.map((b) => b.getAttribute('data-status')));
  expect(new Set(statuses)).toEqual(new Set(['awaiting_review']));

  await tab.page.reload();
  await runRow(expected[0]).waitFor();
  expect(await listedRunIds()).toEqual(expected);
  await expect(tab.page.getByRole('combobox', { name: 'Status' }).inputValue()).resolves.toBe('awaiting review');

  // a shared link opens the same list, here by source
  const run = await apiRun(runs.cancelled);
  await tab.page.goto(`/admin/runs?configId=${run.config_id}`);
  await runRow(runs.cancelled).waitFor();
  expect(await listedRunIds()).toEqual([runs.toDiscard, runs.cancelled]);
});

test('a run page shows its files, a preview of the first records, and its record errors', async () => {
  await signIn(tab.page, admin.email, admin.password, `/admin/runs/${runs.withErrors}`);
  await tab.page.getByRole('heading', { name: `Run ${runs.withErrors}` }).waitFor();
  const files = (await pipeline.admin.get(`/api/v1/pipeline/jobs/${runs.withErrors}/files`)).body.files;
  expect(files.map((file: { kind: string }) => file.kind).sort()).toEqual(['raw', 'upload']);
  const filesTable = tab.page.getByRole('table', { name: 'Files' });
  await filesTable.getByText('coast-april.csv').waitFor();
  await expect(filesTable.locator('tbody tr').count()).resolves.toBe(files.length);

  const errors = (await pipeline.admin.get(`/api/v1/pipeline/jobs/${runs.withErrors}/errors`)).body;
  expect(errors.total).toBe(2);
  const errorsTable = tab.page.getByRole('table', { name: 'Record errors' });
  await errorsTable.locator('tbody tr').first().waitFor();
  for (const error of errors.errors) {
    const row = errorsTable.locator(`tr[data-error-id="${error.id}"]`);
    const cells = await row.locator('td').allTextContents();
    expect(cells[0]).toBe(String(error.line));
    expect(cells[1]).toBe(error.field);
    expect(error.error_message).toContain(cells[2]);
  }
  await tab.page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(tab.page, 'run');

  // the record with the bad latitude shows its value, and its whole record on demand
  const badLat = errors.errors.find((error: { field: string }) => error.field === 'locations.lat');
  const badRow = errorsTable.locator(`tr[data-error-id="${badLat.id}"]`);
  await expect(badRow.locator('td').nth(3).textContent()).resolves.toBe('abc');
  await badRow.getByRole('button', { name: 'Show record' }).click();
  const record = tab.page.getByRole('table', { name: 'Original record' });
  await expect(record.textContent()).resolves.toContain(badLat.original_record.Name);

  const upload = files.find((file: { kind: string }) => file.kind === 'upload');
  await filesTable.locator(`tr[data-file-id="${upload.id}"]`).getByRole('button', { name: /^Preview/ }).click();
  const dialog = tab.page.getByRole('dialog');
  await dialog.locator('table[aria-label="Preview"], [role="alert"]').first().waitFor();
  await expect(dialog.getByRole('alert').count().then(async (n) => (n ? dialog.getByRole('alert').textContent() : null))).resolves.toBeNull();
  const preview = dialog.getByRole('table', { name: 'Preview' });
  const previewRows = await preview.locator('tbody tr').allTextContents();
  expect(previewRows).toHaveLength(6);
  expect(previewRows[0]).toContain('Harbour Place 5');
  expect(previewRows[1]).toContain('Harbour Place 6');
  await expect(preview.locator('thead').textContent()).resolves.toContain('Latitude');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await dialog.waitFor({ state: 'hidden' });

  // the raw file the import wrote: its records by number, the bad ones too (they are rejected later)
  const raw = files.find((file: { kind: string }) => file.kind === 'raw');
  await filesTable.locator(`tr[data-file-id="${raw.id}"]`).getByRole('button', { name: /^Preview/ }).click();
  const rawPreview = tab.page.getByRole('dialog').getByRole('table', { name: 'Preview' });
  await rawPreview.locator('tbody tr').first().waitFor();
  await expect(rawPreview.locator('thead').textContent()).resolves.toContain('Record');
  await expect(rawPreview.locator('tbody tr').count()).resolves.toBe(6);
  expect(tab.problems).toEqual([]);
});

test('"Download as CSV" downloads the record errors as the page lists them', async () => {
  await signIn(tab.page, admin.email, admin.password, `/admin/runs/${runs.withErrors}`);
  const button = tab.page.getByRole('link', { name: 'Download as CSV' });
  await button.waitFor();
  const [download] = await Promise.all([tab.page.waitForEvent('download'), button.click()]);
  const file = await download.path();
  const rows = parse(fs.readFileSync(file), { columns: true, bom: true }) as Record<string, string>[];
  const errors = (await pipeline.admin.get(`/api/v1/pipeline/jobs/${runs.withErrors}/errors`)).body.errors;
  expect(rows).toHaveLength(errors.length);
  const key = (line: unknown, field: unknown) => `${line}|${field}`;
  expect(new Set(rows.map((row) => key(row.line, row.field)))).toEqual(new Set(errors.map((e: { line: number; field: string }) => key(e.line, e.field))));
  expect(rows.find((row) => row.field === 'locations.lat')?.value).toBe('abc');
});

test('Cancel asks first, then cancels a run waiting for its file', async () => {
  await signIn(tab.page, admin.email, admin.password, `/admin/runs/${runs.waiting}`);
  await tab.page.getByRole('button', { name: 'Cancel run' }).click();
  const dialog = tab.page.getByRole('dialog', { name: 'Cancel this run?' });
  await expect(dialog.textContent()).resolves.toContain('nothing of it reaches the live listings');
  await dialog.getByRole('button', { name: 'Cancel run' }).click();
  await tab.page.locator('[data-status="cancelled"]').first().waitFor();
  expect((await apiRun(runs.waiting)).status).toBe('cancelled');
  await expect(tab.page.getByRole('button', { name: 'Cancel run' }).count()).resolves.toBe(0);
});

test('a viewer sees the run but no Retry, Cancel, Discard or Upload', async () => {
  const viewer = await userWithRoles(pipeline.t.ctx, ['viewer']);
  await signIn(tab.page, viewer.email, viewer.password, `/admin/runs/${runs.toDiscard}`);
  await tab.page.getByRole('heading', { name: `Run ${runs.toDiscard}` }).waitFor();
  await tab.page.getByRole('table', { name: 'Files' }).waitFor();
  for (const name of ['Retry', 'Cancel run', 'Discard', 'Upload file']) {
    await expect(tab.page.getByRole('button', { name }).count()).resolves.toBe(0);
  }
  // a link that opens the upload dialog for admins opens nothing for a viewer
  await tab.page.goto(`/admin/runs/${runs.stillWaiting}?upload=1`);
  await tab.page.getByRole('heading', { name: `Run ${runs.stillWaiting}` }).waitFor();
  await tab.page.locator('h2 + [data-status="waiting_for_input"]').waitFor();
  await expect(tab.page.getByRole('dialog').count()).resolves.toBe(0);
  await expect(tab.page.getByRole('button', { name: 'Upload file' }).count()).resolves.toBe(0);
  await tab.page.goto(`/admin/runs/${runs.toDiscard}`);
  await tab.page.getByRole('heading', { name: `Run ${runs.toDiscard}` }).waitFor();
  // reading is theirs: the Review link is offered
  await expect(tab.page.getByRole('main').getByRole('link', { name: 'Review' }).getAttribute('href')).resolves.toBe(`/admin/runs/${runs.toDiscard}/review`);
});

test('Discard says the staged rows are dropped, then drops them', async () => {
  expect((await pipeline.admin.get(`/api/v1/pipeline/staging/rows?jobId=${runs.toDiscard}`)).body.total).toBeGreaterThan(0);
  await signIn(tab.page, admin.email, admin.password, `/admin/runs/${runs.toDiscard}`);
  await tab.page.getByRole('button', { name: 'Discard' }).click();
  const dialog = tab.page.getByRole('dialog', { name: 'Discard this run?' });
  await expect(dialog.textContent()).resolves.toContain('staged rows are dropped');
  await dialog.getByRole('button', { name: 'Discard run' }).click();
  await tab.page.locator('[data-status="cancelled"]').first().waitFor();
  expect((await apiRun(runs.toDiscard)).status).toBe('cancelled');
  expect((await pipeline.admin.get(`/api/v1/pipeline/staging/rows?jobId=${runs.toDiscard}`)).body.total).toBe(0);
});

test('an action the server refuses shows its message', async () => {
  await signIn(tab.page, admin.email, admin.password, `/admin/runs/${runs.toRefuse}`);
  await tab.page.getByRole('button', { name: 'Cancel run' }).waitFor();
  // someone else cancels it meanwhile
  expect((await pipeline.admin.post(`/api/v1/pipeline/jobs/${runs.toRefuse}/cancel`)).status).toBe(200);
  await tab.page.getByRole('button', { name: 'Cancel run' }).click();
  const dialog = tab.page.getByRole('dialog', { name: 'Cancel this run?' });
  await dialog.getByRole('button', { name: 'Cancel run' }).click();
  const alert = dialog.getByRole('alert');
  await expect(alert.textContent()).resolves.toContain(`Run ${runs.toRefuse} is cancelled`);
  // and the page now shows the run as it is
  await tab.page.locator('[data-status="cancelled"]').first().waitFor();
});

test('a run links to its jobs in Bull Board, and a link opens the job', async () => {
  await signIn(tab.page, admin.email, admin.password, `/admin/runs/${runs.withErrors}`);
  const card = tab.page.locator('div').filter({ has: tab.page.getByRole('heading', { name: 'Jobs in Bull Board' }) }).last();
  await card.waitFor();
  // the transform links come with the run's files, a request of their own: wait for the last link
  await card.getByRole('link', { name: 'Stage' }).waitFor();
  const links = await card.getByRole('link').evaluateAll((anchors) => anchors.map((a) => [a.textContent, a.getAttribute('href')]));
  const id = runs.withErrors;
  expect(links).toEqual([
    ['Import', `/admin/queues/queue/import/run-${id}-import`],
    ['Transform, file 1', `/admin/queues/queue/transform/run-${id}-transform-1`],
    ['Stage', `/admin/queues/queue/stage/run-${id}-stage`],
  ]);
  // a run that never left waiting_for_input has no job to link to
  await tab.page.goto(`/admin/runs/${runs.waiting}`);
  await tab.page.getByRole('heading', { name: `Run ${runs.waiting}` }).waitFor();
  await expect(tab.page.getByRole('heading', { name: 'Jobs in Bull Board' }).count()).resolves.toBe(0);

  await tab.page.goto(`/admin/runs/${runs.withErrors}`);
  await tab.page.getByRole('link', { name: 'Import', exact: true }).click();
  await tab.page.waitForURL(new RegExp(`/admin/queues/queue/import/run-${id}-import$`));
  // Bull Board's page of that one job: its id, its data and that it finished
  await tab.page.getByText(`run-${id}-import`).first().waitFor();
  await tab.page.getByText('Finished at').waitFor();
  await expect(tab.page.getByText('runId').first().isVisible()).resolves.toBe(true);
});

test('a run in flight shows its progress and the list follows it; an idle list does not poll', async () => {
  const requests: string[] = [];
  tab.page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/api/v1/pipeline/jobs') requests.push(request.url());
  });
  await signIn(tab.page, admin.email, admin.password, '/admin/runs');
  await runRow(runs.promoted).waitFor();

  // no worker takes the import until the queue is resumed: the run stays queued, in flight
  const importQueue = pipeline.t.ctx.queues.import;
  await importQueue.pause();
  try {
    const source = await createCsvSource(pipeline.admin, 'Annapolis Valley');
    const runId = await startCsvRun(pipeline.admin, source.configId, listingsCsv(makeListings(20, 400)), 'valley.csv');
    await tab.page.reload();
    const progress = runRow(runId).getByRole('progressbar', { name: `Progress of run ${runId}` });
    // at 0 % the bar's filled part has no width: attached, not visible
    await progress.waitFor({ state: 'attached' });
    await expect(progress.getAttribute('aria-valuenow')).resolves.toBe('0');
    await expect(runRow(runId).textContent()).resolves.toContain('Waiting for a worker');
    // polled about every 1.5 s
    const polled = requests.length;
    await tab.page.waitForTimeout(3200);
    expect(requests.length).toBeGreaterThanOrEqual(polled + 2);
    expect(requests.length).toBeLessThanOrEqual(polled + 3);

    await importQueue.resume();
    // the page follows the run to review without a reload, then stops asking
    await runRow(runId).locator('[data-status="awaiting_review"]').waitFor({ timeout: 30_000 });
    await expect(progress.count()).resolves.toBe(0);
    await expect(runRow(runId).locator('[data-count="records_new"]').textContent()).resolves.toBe('20');
    // nothing on screen is in flight any more: the list stops asking
    const settled = requests.length;
    await tab.page.waitForTimeout(3200);
    expect(requests.length).toBe(settled);
  } finally {
    await importQueue.resume();
  }
});

test('a failed run says which step failed and why; Retry runs it again', async () => {
  const source = await createCsvSource(pipeline.admin, 'Digby Neck');
  // a file without the Email column the config maps: the import refuses it
  const withoutEmail = listingsCsv(makeListings(5, 500)).split('\n').map((line) => line.split(',').slice(0, 7).join(',')).join('\n');
  const runId = await startCsvRun(pipeline.admin, source.configId, withoutEmail, 'digby.csv');
  const failed = await waitForRun(pipeline.admin, runId, ['failed']);

  await signIn(tab.page, admin.email, admin.password, `/admin/runs/${runId}`);
  const alert = tab.page.getByRole('alert').filter({ hasText: 'The run failed' });
  await expect(alert.textContent()).resolves.toContain('failed while importing the data (step: import)');
  await expect(alert.textContent()).resolves.toContain(failed.error_summary);
  await expect(alert.textContent()).resolves.toContain('contact_info.email');
  await expect(tab.page.getByRole('button', { name: 'Discard' }).count()).resolves.toBe(1);
  await expect(tab.page.getByRole('button', { name: 'Cancel run' }).count()).resolves.toBe(0);

  // the file is put right where the run keeps it, then the failed step runs again
  const upload = (await pipeline.admin.get(`/api/v1/pipeline/jobs/${runId}/files`)).body.files.find((file: { kind: string }) => file.kind === 'upload');
  await pipeline.t.ctx.store.put(upload.storage_key, Readable.from([Buffer.from(listingsCsv(makeListings(5, 500)))]));
  await tab.page.getByRole('button', { name: 'Retry' }).click();
  await tab.page.locator('h2 + [data-status="awaiting_review"]').waitFor({ timeout: 30_000 });
  expect((await apiRun(runId)).status).toBe('awaiting_review');
  await expect(tab.page.getByRole('alert').filter({ hasText: 'The run failed' }).count()).resolves.toBe(0);
});
