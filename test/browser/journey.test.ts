// A content admin's whole first day, through the UI only: sign in, create a DMO and a CSV config from
// the mapping a sample suggests, run it, upload the file in the dialog, watch the run reach review,
// approve the new rows, promote, and find the listings in Listings and in the public API.
import type { Browser } from 'playwright-core';
import { launchBrowser, openAdmin, signIn, type AdminBrowser } from '../harness/browser';
import { userWithRoles } from '../harness/context';
import { startPipelineUnderTest, type PipelineUnderTest } from '../harness/pipeline';

let pipeline: PipelineUnderTest;
let browser: Browser;
let tab: AdminBrowser;

beforeAll(async () => {
  pipeline = await startPipelineUnderTest();
  browser = await launchBrowser();
  tab = await openAdmin(browser, pipeline.server.url);
});
afterAll(async () => {
  await tab?.close();
  await browser?.close();
  await pipeline?.close();
});

// a DMO's own export, with headers the suggestion has to recognise (no mapping is typed by hand)
const exportCsv = [
  'Listing ID,Business Name,Street Address,Town,Postal Code,Latitude,Longitude,Description,Email,Phone',
  'GB-1,Grand Banks Chowder House,12 Water Street,Lunenburg,B0J 2C0,44.37712,-64.31901,"Chowder, lobster rolls and the harbour view.",eat@grandbanks.example,902-555-0101',
  'GB-2,Bluenose Lookout Inn,4 Kaulbach Street,Lunenburg,B0J 2C0,44.37880,-64.31250,A quiet inn above the old town.,stay@bluenose.example,902-555-0102',
  'GB-3,Château Montréal Gallery,88 Pelham Street,Lunenburg,B0J 2C0,44.37650,-64.31720,Paintings of the South Shore.,art@chateau.example,902-555-0103',
].join('\n') + '\n';

test('from sign-in to listings in production, through the admin UI alone', async () => {
  const person = await userWithRoles(pipeline.t.ctx, ['pipeline_admin'], 'maria.admin@lunenburg.example');
  const { page } = tab;
  await signIn(page, person.email, person.password, '/admin/sources');

  // a DMO
  await page.getByRole('button', { name: 'New DMO' }).click();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Lunenburg Tourism');
  await page.getByRole('combobox', { name: 'Type', exact: true }).click();
  await page.getByRole('option', { name: 'client (3)', exact: true }).click();
  await page.getByRole('button', { name: 'Create DMO' }).click();
  const dmoRow = page.locator('[data-testid=dmo-table] tr', { hasText: 'Lunenburg Tourism' });
  await dmoRow.waitFor();

  // its CSV config, mapped by dropping the export itself
  await dmoRow.getByRole('button', { name: 'Add config' }).click();
  await page.locator('[data-testid=sample-dropzone] input[type=file]').setInputFiles({
    name: 'lunenburg.csv', mimeType: 'text/csv', buffer: Buffer.from(exportCsv),
  });
  await page.getByTestId('sample-summary').waitFor();
  for (const [field, column] of [['listings.name', 'Business Name'], ['locations.city', 'Town'], ['locations.lat', 'Latitude']]) {
    await expect(page.getByRole('combobox', { name: `Source column for ${field}` }).inputValue()).resolves.toBe(column);
  }
  await page.getByLabel('Each record has its own id in a column').check();
  await page.getByRole('combobox', { name: 'Id column', exact: true }).click();
  await page.getByRole('option', { name: 'Listing ID', exact: true }).click();
  await page.getByRole('button', { name: 'Create config' }).click();
  const created = page.getByText(/Config #\d+ was created/);
  await created.waitFor();
  const configId = Number((await created.textContent())!.match(/#(\d+)/)![1]);

  // run it: the run asks for its file, which goes up in the dialog, and the run goes on by itself
  await page.waitForURL(/\/admin\/sources$/);
  await page.locator(`[data-config-id="${configId}"]`).getByRole('button', { name: 'Run now' }).click();
  await page.waitForURL(/\/admin\/runs\/\d+\?upload=1$/);
  const runId = Number(new URL(page.url()).pathname.split('/').pop());
  const dialog = page.getByRole('dialog', { name: 'Upload the file for this run' });
  await dialog.waitFor();
  await page.getByTestId('upload-dropzone').locator('input[type="file"]').setInputFiles({
    name: 'lunenburg.csv', mimeType: 'text/csv', buffer: Buffer.from(exportCsv),
  });
  await dialog.waitFor({ state: 'hidden' });
  await page.locator('h2 + [data-status="awaiting_review"]').waitFor({ timeout: 45_000 });

  // review: three new listings, approve what the pipeline proposes, promote
  await page.getByRole('main').getByRole('link', { name: 'Review', exact: true }).click();
  await page.waitForURL(new RegExp(`/admin/runs/${runId}/review`));
  await page.getByTestId('rows-table').waitFor();
  // the sidebar says where the admin is: Review, not Runs
  await expect(page.getByRole('navigation', { name: 'Pipeline' }).getByRole('link', { name: 'Review' }).getAttribute('data-active')).resolves.toBe('true');
  await expect(page.getByRole('navigation', { name: 'Pipeline' }).getByRole('link', { name: 'Runs' }).getAttribute('data-active')).resolves.toBeNull();
  await expect(page.getByRole('tab', { name: /^New/ }).getByTestId('tab-count').innerText()).resolves.toBe('3');
  await page.getByRole('button', { name: 'Approve all proposed' }).click();
  await expect(page.getByTestId('decision-message').innerText()).resolves.toContain('3');
  await page.getByRole('button', { name: 'Promote…' }).click();
  const confirm = page.getByRole('dialog');
  await expect(confirm.getByTestId('promote-plan').innerText()).resolves.toContain('Promote will insert 3 new listings.');
  await confirm.getByRole('button', { name: 'Promote now' }).click();
  const outcome = page.getByTestId('promote-outcome');
  await outcome.waitFor({ timeout: 30_000 });
  await expect(outcome.locator('[data-result="inserted"] [data-value]').getAttribute('data-value')).resolves.toBe('3');

  // production: Listings finds them (accents need not be typed), and so does the public API, with no sign-in
  await page.getByRole('link', { name: 'Listings' }).click();
  await page.getByLabel('Search').fill('chateau montreal');
  await page.getByRole('link', { name: 'Château Montréal Gallery' }).click();
  await page.getByTestId('listing-name').waitFor();
  await expect(page.getByTestId('listing-name').innerText()).resolves.toBe('Château Montréal Gallery');
  await page.getByText('Paintings of the South Shore.').waitFor();

  const anonymous = await browser.newContext({ baseURL: pipeline.server.url });
  try {
    const reply = await anonymous.request.get('/v1/listings?q=lunenburg');
    expect(reply.status()).toBe(200);
    const body = await reply.json();
    expect(body.listings.map((listing: { name: string }) => listing.name).sort())
      .toEqual(['Bluenose Lookout Inn', 'Château Montréal Gallery', 'Grand Banks Chowder House']);
  } finally {
    await anonymous.close();
  }
  expect(tab.problems).toEqual([]);
});
