// The Sources page in a real browser: DMOs and configs in tables, a CSV config made from a dropped
// sample with the suggested mapping and its confidences, the server's own messages beside the fields
// as they are typed, the keep/cancel question for a config with unfinished runs, Run now, and what a
// viewer may not do.
import crypto from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { configBody } from '../../src/contract/sources';
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

beforeAll(async () => {
  pipeline = await startPipelineUnderTest({ SECRETS_KEY: crypto.randomBytes(32).toString('base64') });
  browser = await launchBrowser();
  admin = await userWithRoles(pipeline.t.ctx, ['pipeline_admin']);
});
afterAll(async () => {
  await browser?.close();
  await pipeline?.close();
});
beforeEach(async () => (tab = await openAdmin(browser, pipeline.server.url)));
afterEach(async () => tab.close());

const sampleCsv = listingsCsv(makeListings(4));

/** The message the server's own schema gives for a config body, as the form should show it. */
function schemaMessage(body: Record<string, unknown>): string {
  const parsed = configBody.safeParse(body);
  if (parsed.success) throw new Error('expected the schema to refuse this body');
  return parsed.error.issues[0]!.message;
}

/** The error text Mantine shows under the input with this label. */
async function fieldError(page: Page, label: string): Promise<string> {
  const input = page.getByLabel(label, { exact: true });
  await expect(input.getAttribute('aria-invalid')).resolves.toBe('true');
  const describedBy = (await input.getAttribute('aria-describedby')) ?? '';
  const errorId = describedBy.split(/\s+/).find((id) => id.endsWith('-error'));
  if (!errorId) throw new Error(`${label} has no error element (aria-describedby: ${describedBy})`);
  return (await page.locator(`[id="${errorId}"]`).textContent()) ?? '';
}

async function choose(page: Page, label: string, option: string) {
  await page.getByRole('combobox', { name: label, exact: true }).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

/** The column each canonical field shows in the mapping table, for the fields that have one. */
async function mappingShown(page: Page): Promise<Record<string, string>> {
  const rows = await page.locator('[data-testid=mapping-table] tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [tr.getAttribute('data-field'), (tr.querySelector('input') as HTMLInputElement | null)?.value ?? '']));
  return Object.fromEntries(rows.filter(([, value]) => value)) as Record<string, string>;
}

// first, so the picture shows a few realistic rows rather than every other test's
test('the tables list DMOs and configs with their type, schedule, version and last run', async () => {
  const cape = await createCsvSource(pipeline.admin, 'Cape Breton Partners', 4);
  await pipeline.admin.patch(`/api/v1/pipeline/configs/${cape.configId}`, { name: 'Weekly partner export', schedule: 'weekly' });
  const promoted = await startCsvRun(pipeline.admin, cape.configId, listingsCsv(makeListings(5)));
  await waitForRun(pipeline.admin, promoted, ['awaiting_review']);
  await approveAndPromote(pipeline.admin, promoted);
  const annapolis = await createCsvSource(pipeline.admin, 'Annapolis Valley Tourism', 3);
  const waiting = await startCsvRun(pipeline.admin, annapolis.configId, listingsCsv(makeListings(4, 100)));
  await waitForRun(pipeline.admin, waiting, ['awaiting_review']);
  const travel = await pipeline.admin.post('/api/v1/pipeline/dmos', { name: 'Maritime Travel Guide', dmo_type_id: 2, domain_url: 'https://maritime.example.org' });
  await pipeline.admin.post('/api/v1/pipeline/configs', {
    dmo_id: travel.body.id, name: 'WordPress site', source_type: 'wordpress', schedule: '0 3 * * *', active: false,
    config_params: { import: { base_url: 'https://maritime.example.org' } },
  });

  await signIn(tab.page, admin.email, admin.password, '/admin/sources');
  await tab.page.locator(`[data-config-id="${cape.configId}"]`).getByText('promoted').waitFor();
  await tab.page.locator(`[data-config-id="${annapolis.configId}"]`).getByText('awaiting review').waitFor();
  const travelRow = tab.page.locator('[data-testid=config-table] tr', { hasText: 'Maritime Travel Guide' });
  await expect(travelRow.textContent()).resolves.toMatch(/WordPress site.*Cron: 0 3 \* \* \*.*inactive.*Never run/);
  await expect(tab.page.locator(`[data-dmo-id="${travel.body.id}"]`).textContent()).resolves.toContain('travel site');
  await screenshot(tab.page, 'sources');
  expect(tab.problems).toEqual([]);
});

test('an admin creates a DMO, then a CSV config from a dropped sample whose suggested mapping is saved as shown', async () => {
  await signIn(tab.page, admin.email, admin.password, '/admin/sources');
  const { page } = tab;
  await page.getByRole('button', { name: 'New DMO' }).click();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Halifax Harbour Tourism');
  await choose(page, 'Type', 'client (3)');
  await page.getByRole('button', { name: 'Create DMO' }).click();
  const dmoRow = page.locator('[data-testid=dmo-table] tr', { hasText: 'Halifax Harbour Tourism' });
  await expect(dmoRow.textContent()).resolves.toContain('client');

  await dmoRow.getByRole('button', { name: 'Add config' }).click();
  await page.waitForURL(/\/admin\/sources\/configs\/new\?dmo=\d+$/);
  await expect(page.getByRole('combobox', { name: 'DMO', exact: true }).inputValue()).resolves.toBe('Halifax Harbour Tourism');
  await page.locator('[data-testid=sample-dropzone] input[type=file]').setInputFiles({
    name: 'halifax.csv', mimeType: 'text/csv', buffer: Buffer.from(sampleCsv),
  });
  const summary = page.getByTestId('sample-summary');
  await summary.waitFor();

  // what the server suggests for this file, to compare with what the page shows
  const form = new FormData();
  form.append('file', new Blob([sampleCsv]), 'halifax.csv');
  const suggestion = await pipeline.admin.request('POST', '/api/v1/pipeline/configs/suggest-mapping', form);
  expect(suggestion.status).toBe(200);
  const suggested = suggestion.body.mapping as Record<string, { source: string; confidence: number }>;
  expect(Object.keys(suggested).length).toBeGreaterThan(3);
  await expect(summary.textContent()).resolves.toContain(`${suggestion.body.headers.length} columns`);
  await expect(summary.textContent()).resolves.toContain(suggestion.body.encoding);
  expect(await mappingShown(page)).toEqual(Object.fromEntries(Object.entries(suggested).map(([field, hit]) => [field, hit.source])));
  for (const [field, hit] of Object.entries(suggested)) {
    await expect(page.getByTestId(`confidence-${field}`).textContent()).resolves.toBe(`${Math.round(hit.confidence * 100)} %`);
  }

  // the admin maps one more field by hand, from the file's headers, and names the id column
  await choose(page, 'Source column for listing_info.name', 'Name');
  await expect(page.getByTestId('confidence-listing_info.name').count()).resolves.toBe(0);
  await page.getByLabel('Each record has its own id in a column').check();
  await choose(page, 'Id column', 'ID');
  const shown = await mappingShown(page);
  expect(shown['listing_info.name']).toBe('Name');

  await page.getByTestId('sample-dropzone').evaluate((element) => element.scrollIntoView({ block: 'start' }));
  await screenshot(page, 'config-dialog');

  await page.getByRole('button', { name: 'Create config' }).click();
  const created = page.getByText(/Config #\d+ was created/);
  await created.waitFor();
  const configId = Number((await created.textContent())!.match(/#(\d+)/)![1]);
  await page.waitForURL(/\/admin\/sources$/);
  await page.locator(`[data-config-id="${configId}"]`).waitFor();

  const { body: config } = await pipeline.admin.get(`/api/v1/pipeline/configs/${configId}`);
  expect(config.source_type).toBe('csv');
  expect(config.config_params.transform.map_fields).toEqual(shown);
  expect(config.config_params.import.source_id_column).toBe('ID');
  expect(tab.problems).toEqual([]);
});

test('a bad value shows the server’s message beside its field as it is typed, and nothing is saved', async () => {
  const dmo = await pipeline.admin.post('/api/v1/pipeline/dmos', { name: 'Peggy’s Cove Partners', dmo_type_id: 4 });
  await signIn(tab.page, admin.email, admin.password, `/admin/sources/configs/new?dmo=${dmo.body.id}`);
  const { page } = tab;
  const base = { dmo_id: dmo.body.id, source_type: 'csv' };

  await page.getByLabel('Most an import may delete (share, 0 to 1)').fill('5');
  await expect(fieldError(page, 'Most an import may delete (share, 0 to 1)'))
    .resolves.toBe(schemaMessage({ ...base, config_params: { import: { max_delete_ratio: 5 } } }));

  await choose(page, 'Schedule', 'A cron pattern');
  await page.getByLabel('Cron pattern').fill('every day');
  await expect(fieldError(page, 'Cron pattern')).resolves.toBe(schemaMessage({ ...base, schedule: 'every day' }));
  await expect(page.getByRole('button', { name: 'Create config' }).isDisabled()).resolves.toBe(true);
  await expect(page.getByTestId('blocked-hint').textContent()).resolves.toContain('2 problems');

  // a key the schema does not know, typed in the JSON tab, is refused with the schema's message
  await page.getByRole('tab', { name: 'Advanced (JSON)' }).click();
  const json = page.getByTestId('config-json');
  await json.fill('{"import": {"max_delete_ratio": 0.3}, "transform": {"map_field": {}}}');
  const unknownKey = schemaMessage({ ...base, config_params: { transform: { map_field: {} } } });
  await expect(page.getByTestId('json-problems').textContent()).resolves.toContain(unknownKey);
  await page.getByRole('tab', { name: 'Settings' }).click();
  await expect(page.getByTestId('other-problems').textContent()).resolves.toContain(unknownKey);
  await expect(page.getByLabel('Most an import may delete (share, 0 to 1)').inputValue()).resolves.toBe('0.3');

  const { body } = await pipeline.admin.get('/api/v1/pipeline/configs');
  expect(body.configs.filter((c: { dmo_id: number }) => c.dmo_id === dmo.body.id)).toEqual([]);
});

test('each source type shows its own settings; changing the type drops the settings of the old one', async () => {
  const dmo = await pipeline.admin.post('/api/v1/pipeline/dmos', { name: 'Lunenburg Heritage', dmo_type_id: 3 });
  await signIn(tab.page, admin.email, admin.password, `/admin/sources/configs/new?dmo=${dmo.body.id}`);
  const { page } = tab;
  const settings = page.locator('section', { has: page.getByRole('heading', { name: 'Where the records come from' }) });

  await choose(page, 'Column separator', 'Semicolon (;)');
  await choose(page, 'Source type', 'Spreadsheet (XLSX) (xlsx): file upload');
  await expect(settings.getByLabel('Column separator').count()).resolves.toBe(0);
  await settings.getByLabel('Sheet (optional)').fill('Listings');

  await choose(page, 'Source type', 'WordPress site (wordpress)');
  await expect(settings.getByLabel('Sheet (optional)').count()).resolves.toBe(0);
  await settings.getByLabel('Site address').fill('ftp://lunenburg.example');
  const bad = { dmo_id: dmo.body.id, source_type: 'wordpress', config_params: { import: { base_url: 'ftp://lunenburg.example' } } };
  await expect(fieldError(page, 'Site address')).resolves.toBe(schemaMessage(bad));
  await settings.getByLabel('Site address').fill('https://lunenburg.example');
  await settings.getByLabel('Post type').fill('listings');
  await settings.getByLabel('User (optional)').fill('importer');
  await settings.getByLabel('Application password').fill('abcd EFGH 1234 ijkl');
  await page.getByRole('heading', { name: 'Where the records come from' }).evaluate((element) => element.scrollIntoView({ block: 'start' }));
  await screenshot(page, 'config-dialog-wordpress');
  await settings.getByLabel('Fetch featured images and terms with each post').uncheck();

  await page.getByRole('button', { name: 'Create config' }).click();
  const created = page.getByText(/Config #\d+ was created/);
  await created.waitFor();
  const configId = Number((await created.textContent())!.match(/#(\d+)/)![1]);
  const { body: config } = await pipeline.admin.get(`/api/v1/pipeline/configs/${configId}`);
  expect(config.source_type).toBe('wordpress');
  expect(config.config_params.import).toEqual({ base_url: 'https://lunenburg.example', post_type: 'listings', embed: false, username: 'importer' });
  expect(config.credentials).toEqual({ application_password: 'set' });
  expect(JSON.stringify(config)).not.toContain('abcd EFGH');

  // opened again: the password is set, never shown; removing it is one click and a save
  await page.goto(`${pipeline.server.url}/admin/sources/configs/${configId}`);
  const password = page.getByLabel('Application password');
  await expect(password.inputValue()).resolves.toBe('');
  await expect(page.getByText('Set (hidden). Type a new one to replace it.', { exact: false }).count()).resolves.toBe(1);
  await page.getByRole('button', { name: 'Remove' }).click();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByText(/Config #\d+ was saved/).waitFor();
  expect((await pipeline.admin.get(`/api/v1/pipeline/configs/${configId}`)).body.credentials).toEqual({});
  expect(tab.problems).toEqual([]);
});

test('the config dialog offers every source type, each with its own settings', async () => {
  const dmo = await pipeline.admin.post('/api/v1/pipeline/dmos', { name: 'Every Source DMO', dmo_type_id: 3 });
  await signIn(tab.page, admin.email, admin.password, `/admin/sources/configs/new?dmo=${dmo.body.id}`);
  const { page } = tab;
  const own: Record<string, string> = {
    'CSV file (csv): file upload': 'Column separator', 'JSON file (json): file upload': 'Where the records are (optional)',
    'Spreadsheet (XLSX) (xlsx): file upload': 'Sheet (optional)', 'WordPress site (wordpress)': 'Post type',
    'Drupal site (drupal)': 'Content type (bundle)', 'Website (scraped) (website)': 'Each listing on a list page',
    'JSON API (api)': 'Where the records are in a page', 'POI data set (GeoJSON) (poi)': 'Data set address (optional)',
  };
  await page.getByRole('combobox', { name: 'Source type', exact: true }).click();
  const offered = await page.getByRole('option').allTextContents();
  await page.keyboard.press('Escape');
  expect(offered.sort()).toEqual(Object.keys(own).sort());
  const labelled = (text: string) => page.locator('label').filter({ hasText: new RegExp(`^${text.replace(/[()]/g, '\\$&')}$`) }).count();
  for (const [option, label] of Object.entries(own)) {
    await choose(page, 'Source type', option);
    await expect(labelled(label)).resolves.toBe(1);
    // and none of the other types' own settings
    for (const other of Object.values(own).filter((l) => l !== label)) await expect(labelled(other)).resolves.toBe(0);
  }
  expect(tab.problems).toEqual([]);
});

test('saving a config with a run awaiting review asks keep or cancel, and "cancel" cancels that run', async () => {
  const { configId } = await createCsvSource(pipeline.admin, 'Lunenburg Waterfront');
  const runId = await startCsvRun(pipeline.admin, configId, listingsCsv(makeListings(3)));
  await waitForRun(pipeline.admin, runId, ['awaiting_review']);

  await signIn(tab.page, admin.email, admin.password, '/admin/sources');
  const { page } = tab;
  await page.locator(`[data-config-id="${configId}"]`).getByRole('button', { name: 'Edit' }).click();
  await page.waitForURL(new RegExp(`/admin/sources/configs/${configId}$`));
  // the mapping is edited from the columns of the file the run was given
  await page.getByTestId('sample-summary').filter({ hasText: `run #${runId}` }).waitFor();
  await expect(page.getByRole('combobox', { name: 'Source column for listings.name' }).inputValue()).resolves.toBe('Name');
  await page.getByLabel('Decimals kept in coordinates').fill('4');
  await page.getByRole('button', { name: 'Save changes' }).click();

  const question = page.getByRole('dialog', { name: 'This config has unfinished runs' });
  await expect(question.textContent()).resolves.toContain(`#${runId} awaiting review`);
  await question.getByRole('button', { name: 'Cancel them' }).click();
  await page.getByText(`runs #${runId} were cancelled`).waitFor();
  await page.waitForURL(/\/admin\/sources$/);

  const run = await pipeline.admin.get(`/api/v1/pipeline/jobs/${runId}`);
  expect(run.body.status).toBe('cancelled');
  const config = await pipeline.admin.get(`/api/v1/pipeline/configs/${configId}`);
  expect(config.body.config_params.transform.round_lat_lng).toBe(4);
  expect(config.body.version).toBe(2);
  await page.locator(`[data-config-id="${configId}"]`).getByText('cancelled').waitFor();
});

test('Run now on a CSV config opens the new run’s page with its upload; an inactive config says why it cannot run', async () => {
  const { configId } = await createCsvSource(pipeline.admin, 'Mahone Bay Inns');
  const inactive = await createCsvSource(pipeline.admin, 'Chester Cottages');
  await pipeline.admin.patch(`/api/v1/pipeline/configs/${inactive.configId}`, { active: false });

  await signIn(tab.page, admin.email, admin.password, '/admin/sources');
  const { page } = tab;
  await page.locator(`[data-config-id="${inactive.configId}"]`).getByRole('button', { name: 'Run now' }).click();
  await page.getByText(`Config ${inactive.configId} is not active`).waitFor();

  await page.locator(`[data-config-id="${configId}"]`).getByRole('button', { name: 'Run now' }).click();
  await page.waitForURL(/\/admin\/runs\/\d+\?upload=1$/);
  const runId = Number(new URL(page.url()).pathname.split('/').pop());
  const run = await pipeline.admin.get(`/api/v1/pipeline/jobs/${runId}`);
  expect(run.body).toMatchObject({ config_id: configId, status: 'waiting_for_input' });

  // a source that fetches needs no upload: its run's page opens as it is
  const site = await pipeline.admin.post('/api/v1/pipeline/configs', {
    dmo_id: run.body.dmo_id, source_type: 'wordpress', config_params: { import: { base_url: 'https://mahone.example.org' } },
  });
  await page.goto('/admin/sources');
  await page.locator(`[data-config-id="${site.body.id}"]`).getByRole('button', { name: 'Run now' }).click();
  await page.waitForURL(/\/admin\/runs\/\d+$/);
  const fetched = await pipeline.admin.get(`/api/v1/pipeline/jobs/${new URL(page.url()).pathname.split('/').pop()}`);
  expect(fetched.body.config_id).toBe(site.body.id);
});

test('deleting a config with a run waiting for its file asks first; "keep" leaves the run as it was', async () => {
  const { configId } = await createCsvSource(pipeline.admin, 'Digby Scallop Tours');
  const waiting = await pipeline.admin.post('/api/v1/pipeline/executeStage', { configId });
  const runId = waiting.body.jobId as number;
  await signIn(tab.page, admin.email, admin.password, '/admin/sources');
  const { page } = tab;
  await page.locator(`[data-config-id="${configId}"]`).getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Delete config' }).click();
  const question = page.getByRole('dialog', { name: 'This config has unfinished runs' });
  await expect(question.textContent()).resolves.toContain(`#${runId} waiting for input`);
  await question.getByRole('button', { name: 'Keep them' }).click();
  await page.locator(`[data-config-id="${configId}"]`).waitFor({ state: 'detached' });
  expect((await pipeline.admin.get(`/api/v1/pipeline/configs/${configId}`)).status).toBe(404);
  expect((await pipeline.admin.get(`/api/v1/pipeline/jobs/${runId}`)).body.status).toBe('waiting_for_input');
});

test('a DMO with configs cannot be deleted (the server says why); one without is', async () => {
  const { dmoId } = await createCsvSource(pipeline.admin, 'Truro Attractions');
  const empty = await pipeline.admin.post('/api/v1/pipeline/dmos', { name: 'Old Scraper', dmo_type_id: 1 });
  await signIn(tab.page, admin.email, admin.password, '/admin/sources');
  const { page } = tab;

  await page.locator(`[data-dmo-id="${dmoId}"]`).getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Delete DMO' }).click();
  await page.getByRole('alert').filter({ hasText: 'still has configs or listings' }).waitFor();
  await page.getByRole('button', { name: 'Keep it' }).click();

  await page.locator(`[data-dmo-id="${empty.body.id}"]`).getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Delete DMO' }).click();
  await page.locator(`[data-dmo-id="${empty.body.id}"]`).waitFor({ state: 'detached' });
  expect((await pipeline.admin.get(`/api/v1/pipeline/dmos/${empty.body.id}`)).status).toBe(404);
  expect((await pipeline.admin.get(`/api/v1/pipeline/dmos/${dmoId}`)).status).toBe(200);
});

test('a viewer sees the DMOs and configs but no button to create, change or run them', async () => {
  const viewer = await userWithRoles(pipeline.t.ctx, ['viewer']);
  const { configId } = await createCsvSource(pipeline.admin, 'Wolfville Wineries', 2);
  await signIn(tab.page, viewer.email, viewer.password, '/admin/sources');
  const { page } = tab;
  await page.locator(`[data-config-id="${configId}"]`).waitFor();
  for (const name of ['New DMO', 'New config', 'Run now', 'Edit', 'Delete', 'Add config']) {
    await expect(page.getByRole('button', { name }).count()).resolves.toBe(0);
  }
  await page.goto(`/admin/sources/configs/${configId}`);
  await page.getByText('You do not have access to this page').waitFor();
});
