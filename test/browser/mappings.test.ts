// The Mappings page in a real browser, over runs the real workers promoted: a client DMO and a partner
// that lists one of its places under another name. The list and its "Conflicts only" switch (a place
// the client delivered twice), an admin force-matching the partner's record onto the client's listing,
// after which the listing page shows both DMOs' records and the timeline event, and unmerge bringing
// it back to a listing of its own; a viewer is offered no change.
import type { Browser } from 'playwright-core';
import { launchBrowser, openAdmin, screenshot, signIn, type AdminBrowser } from '../harness/browser';
import { userWithRoles } from '../harness/context';
import {
  approveAndPromote, createCsvSource, listingsCsv, startCsvRun, startPipelineUnderTest, waitForRun, type ListingRow, type PipelineUnderTest,
} from '../harness/pipeline';

let pipeline: PipelineUnderTest;
let browser: Browser;
let tab: AdminBrowser;
let admin: { email: string; password: string };
const dmo = { client: 0, partner: 0 };

const place = (id: string, name: string, address: string, lat: string, lng: string, description: string): ListingRow =>
  ({ id, name, address, city: 'Lunenburg', lat, lng, description, email: '' });
const market = place('DL-1', 'Bluenose Fish Market', '1 Montague Street', '44.37701', '-64.30902', 'Fresh haddock and lobster off the boats.');
const clientRows = [
  market,
  place('DL-2', 'Fisheries Museum of the Atlantic', '68 Bluenose Drive', '44.37611', '-64.31190', 'Schooners, dories and the Bluenose story.'),
  place('DL-3', 'Ironworks Distillery', '2 Kempt Street', '44.37552', '-64.31501', 'Rum and brandy in an old blacksmith shop.'),
];
// the partner's name for the market: nothing could match it automatically
const stall = place('LE-4', 'The Smokehouse on the Wharf', '1 Montague St', '44.37812', '-64.30455', 'Stop 2 of the seafood trail: smoked mackerel.');

const api = (path: string) => pipeline.admin.get(`/api/v1/pipeline${path}`);
const listingOf = async (dmoId: number, sourceId: string) =>
  (await api(`/mappings?dmo_id=${dmoId}&source_id=${encodeURIComponent(sourceId)}`)).body.rows[0].listing_id as number;

async function importRows(configId: number, rows: ListingRow[]) {
  const run = await startCsvRun(pipeline.admin, configId, listingsCsv(rows));
  await waitForRun(pipeline.admin, run, ['awaiting_review']);
  await approveAndPromote(pipeline.admin, run);
}

beforeAll(async () => {
  pipeline = await startPipelineUnderTest();
  browser = await launchBrowser();
  admin = await userWithRoles(pipeline.t.ctx, ['pipeline_admin'], 'morgan.content@visit-lunenburg.example');
  const client = await createCsvSource(pipeline.admin, 'Discover Lunenburg', 3, { import: { source_id_column: 'ID', full_snapshot: false } });
  const partner = await createCsvSource(pipeline.admin, 'Lunenburg Seafood Trail', 4);
  dmo.client = client.dmoId;
  dmo.partner = partner.dmoId;
  await importRows(client.configId, clientRows);
  // the client sends the distillery again under a new id: the match hash merges it into the same listing
  await importRows(client.configId, [{ ...clientRows[2]!, id: 'DL-3-NEW', description: 'Now with a tasting room.' }]);
  await importRows(partner.configId, [stall]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await pipeline?.close();
});
beforeEach(async () => {
  tab = await openAdmin(browser, pipeline.server.url);
  await signIn(tab.page, admin.email, admin.password, '/admin/mappings');
});
afterEach(async () => tab.close());

const row = (sourceId: string) => tab.page.getByTestId('mappings-table').locator(`tr[data-source-id="${sourceId}"]`);

test('the list shows each DMO record and its listing; Conflicts only shows the place the client sent twice, in words', async () => {
  const { page } = tab;
  await page.getByRole('navigation', { name: 'Pipeline' }).getByRole('link', { name: 'Mappings' }).click();
  await page.getByTestId('mapping-count').filter({ hasText: '5 records' }).waitFor();
  await expect(row('LE-4').textContent()).resolves.toMatch(/Lunenburg Seafood Trail.*LE-4.*The Smokehouse on the Wharf.*1 record/);
  await expect(row('DL-3').locator('[data-conflict="same_dmo_twice"]').textContent()).resolves
    .toMatch(/Same DMO twice on a listing.*“Ironworks Distillery” \(listing #\d+\) has 2 records from Discover Lunenburg \(this one and DL-3-NEW\)/);
  await expect(row('LE-4').getByRole('button', { name: /Give .* its own listing/ }).count()).resolves.toBe(0); // alone on its listing
  await screenshot(page, 'mappings');

  await page.getByRole('switch', { name: 'Conflicts only' }).click();
  await page.waitForURL(/conflicts=true/);
  await page.getByTestId('mapping-count').filter({ hasText: '2 records' }).waitFor();
  await expect(page.getByTestId('mappings-table').locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-source-id'))))
    .resolves.toEqual(['DL-3', 'DL-3-NEW']);
  // the DMO filter narrows it; a reload keeps both
  await page.getByRole('combobox', { name: 'DMO' }).click();
  await page.getByRole('option', { name: 'Lunenburg Seafood Trail' }).click();
  await page.getByText('No conflicts: every record is linked to one listing').waitFor();
  await page.reload();
  await page.getByText('No conflicts: every record is linked to one listing').waitFor();
  expect(tab.problems).toEqual([]);
});

test("an admin matches the partner's record to the client's listing: the listing page shows both DMOs' records and the event", async () => {
  const { page } = tab;
  const target = await listingOf(dmo.client, 'DL-1');
  const old = await listingOf(dmo.partner, 'LE-4');
  await page.goto(`/admin/mappings?dmo=${dmo.partner}`);
  await row('LE-4').getByRole('button', { name: /Match LE-4 .* to another listing/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Match to another listing' });
  await expect(dialog.textContent()).resolves.toContain('is now shown on The Smokehouse on the Wharf');
  await expect(dialog.getByRole('button', { name: 'Match to this listing' }).isDisabled()).resolves.toBe(true);

  // a listing that is not there says so; the right one shows its name before anything changes
  await dialog.getByLabel('Listing id').fill('999999');
  await dialog.getByText('There is no listing #999999.').waitFor();
  await dialog.getByLabel('Listing id').fill(String(target));
  await dialog.getByTestId('match-target').filter({ hasText: 'Bluenose Fish Market' }).waitFor();
  await expect(dialog.getByTestId('match-target').textContent()).resolves.toMatch(/Listing #\d+ · Lunenburg · 1 Montague Street.*Records from Discover Lunenburg/);
  await expect(dialog.getByTestId('match-explanation').textContent()).resolves
    .toContain('The Smokehouse on the Wharf has no other record, so it goes off the public site');
  await dialog.getByRole('button', { name: 'Match to this listing' }).click();
  await dialog.waitFor({ state: 'hidden' });

  const done = page.getByTestId('mapping-done');
  await expect(done.textContent()).resolves.toMatch(/Matched.*The record LE-4 from Lunenburg Seafood Trail is shown on Bluenose Fish Market/);
  await expect(done.textContent()).resolves.toContain('The Smokehouse on the Wharf has no record shown any more and is off the site (Merged away)');
  await expect(row('LE-4').textContent()).resolves.toMatch(/Bluenose Fish Market.*2 records.*Matched by a person.*by a person/);

  await done.getByRole('link', { name: 'Bluenose Fish Market' }).click();
  await page.getByTestId('listing-name').filter({ hasText: 'Bluenose Fish Market' }).waitFor();
  expect(new URL(page.url()).pathname).toBe(`/admin/listings/${target}`);
  await expect(page.getByRole('heading', { name: 'Discover Lunenburg' }).isVisible()).resolves.toBe(true);
  await expect(page.getByRole('heading', { name: 'Lunenburg Seafood Trail' }).isVisible()).resolves.toBe(true);
  await expect(page.getByText('Stop 2 of the seafood trail: smoked mackerel.').isVisible()).resolves.toBe(true);
  await page.getByRole('tab', { name: /Timeline/ }).click();
  const event = page.getByTestId('timeline').locator('tr[data-change="match"]');
  await event.first().waitFor();
  await expect(event.count()).resolves.toBe(1);
  await expect(event.textContent()).resolves.toMatch(new RegExp(`You.*Matched.*Record from Lunenburg Seafood Trail.*Listing.*Listing #${old}.*→.*Listing #${target}`));

  const listing = (await api(`/listings/${target}`)).body;
  expect(listing.listing_info.map((info: { dmo_name: string }) => info.dmo_name)).toEqual(['Discover Lunenburg', 'Lunenburg Seafood Trail']);
  expect((await api(`/listings/${old}`)).body).toMatchObject({ listing_visible: false, listing_status: 'merged' });
  expect(tab.problems).toEqual([]);
});

test('"Give it its own listing" asks in plain words, then the record is back on a listing of its own', async () => {
  const { page } = tab;
  const target = await listingOf(dmo.client, 'DL-1');
  expect(await listingOf(dmo.partner, 'LE-4')).toBe(target); // the previous test's match
  await page.goto(`/admin/mappings?listing=${target}`);
  await expect(page.getByLabel('Listing id').first().inputValue()).resolves.toBe(String(target));
  await page.getByTestId('mapping-count').filter({ hasText: '2 records' }).waitFor();
  await row('LE-4').getByRole('button', { name: /Give LE-4 .* its own listing/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Give this record its own listing?' });
  await expect(dialog.textContent()).resolves.toMatch(
    /The record LE-4 from Lunenburg Seafood Trail will be taken off Bluenose Fish Market and shown on a new listing of its own, made from what Lunenburg Seafood Trail last sent.*keeps its 1 other record/);
  await dialog.getByRole('button', { name: 'Give it its own listing' }).click();
  await dialog.waitFor({ state: 'hidden' });

  const done = page.getByTestId('mapping-done');
  await expect(done.textContent()).resolves.toMatch(/It has its own listing now.*shown on The Smokehouse on the Wharf, a new listing made from what it last sent.*Bluenose Fish Market keeps its other records/);
  const own = await listingOf(dmo.partner, 'LE-4');
  expect(own).not.toBe(target);
  await page.getByTestId('mapping-count').filter({ hasText: '1 record' }).waitFor(); // the listing filter: only the client's record is left

  await done.getByRole('link', { name: 'The Smokehouse on the Wharf' }).click();
  await page.getByTestId('listing-name').filter({ hasText: 'The Smokehouse on the Wharf' }).waitFor();
  expect(new URL(page.url()).pathname).toBe(`/admin/listings/${own}`);
  await page.getByRole('tab', { name: /Timeline/ }).click();
  await page.getByTestId('timeline').locator('tr[data-change="unmerge"]').waitFor();
  await expect(page.getByTestId('timeline').locator('tr[data-change="unmerge"]').textContent()).resolves
    .toMatch(new RegExp(`You.*Unmerged.*Record from Lunenburg Seafood Trail.*Listing #${target}.*→.*Listing #${own}`));
  const listing = (await api(`/listings/${own}`)).body;
  expect(listing).toMatchObject({ name: 'The Smokehouse on the Wharf', listing_visible: true, location: { address1: '1 Montague St' } });
  expect((await api(`/listings/${target}`)).body.timeline[0]).toMatchObject({ change: 'unmerge' });
  expect(tab.problems).toEqual([]);
});

test('a viewer sees the mappings and their conflicts but is offered no change', async () => {
  const viewer = await userWithRoles(pipeline.t.ctx, ['viewer']);
  const other = await openAdmin(browser, pipeline.server.url);
  try {
    await signIn(other.page, viewer.email, viewer.password, '/admin/mappings?conflicts=true');
    await other.page.getByTestId('mapping-count').filter({ hasText: '2 records' }).waitFor();
    await expect(other.page.getByRole('columnheader', { name: 'Fix' }).count()).resolves.toBe(0);
    await expect(other.page.getByRole('button', { name: /to another listing|its own listing/ }).count()).resolves.toBe(0);
    expect(other.problems).toEqual([]);
  } finally {
    await other.close();
  }
});
