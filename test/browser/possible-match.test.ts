// Matching on the review page in a real browser: a second DMO's file against a first one's promoted
// listings. The hotel matched automatically says so with its certainty and distance; the shop by the
// botanical garden is a possible match whose card shows the garden with its evidence, a reviewer picks
// it and promote adds the shop's record to that listing; rows the source sent without coordinates say
// where theirs came from.
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openAdmin, screenshotDir, signIn, type AdminBrowser } from '../harness/browser';
import { userWithRoles } from '../harness/context';
import { approveAndPromote, createCsvSource, startCsvRun, startPipelineUnderTest, waitForRun, type PipelineUnderTest } from '../harness/pipeline';

jest.setTimeout(120_000);

interface Place { id: string; name: string; address: string; city: string; lat: string; lng: string }
const csv = (rows: Place[]) => ['ID,Name,Address,City,Country,Latitude,Longitude',
  ...rows.map((r) => [r.id, r.name, r.address, r.city, 'CA', r.lat, r.lng].join(','))].join('\n') + '\n';
const mapping = {
  'listings.name': 'Name', 'locations.address1': 'Address', 'locations.city': 'City', 'locations.country': 'Country',
  'locations.lat': 'Latitude', 'locations.lng': 'Longitude',
};

const production: Place[] = [
  { id: 'germain', name: 'Hotel Le Germain', address: '2050 Rue Mansfield', city: 'Montréal', lat: '45.50046', lng: '-73.57540' },
  { id: 'jardin', name: 'Jardin botanique', address: '4101 Rue Sherbrooke E', city: 'Montréal', lat: '45.56000', lng: '-73.55600' },
];
const incoming: Place[] = [
  // the same hotel under another name, 40 m away: matched automatically
  { id: 'B-1', name: 'Le Germain Hotel Montreal', address: '2050 Mansfield St', city: 'Montreal', lat: '45.50010', lng: '-73.57540' },
  // the shop by the garden, 78 m away: not sure either way
  { id: 'B-3', name: 'Jardin Botanique Shop', address: '', city: 'Montreal', lat: '45.56000', lng: '-73.55500' },
  // no coordinates: the offline gazetteer places it at the city centre
  { id: 'B-4', name: 'Musée des beaux-arts', address: '1380 Rue Sherbrooke O', city: 'Montréal', lat: '', lng: '' },
  // no coordinates and a town nobody knows
  { id: 'B-5', name: 'Cabane à sucre Nulle Part', address: '1 Chemin du Rang', city: 'Nullepartville', lat: '', lng: '' },
];

let pipeline: PipelineUnderTest;
let browser: Browser;
let tab: AdminBrowser;
let admin: { email: string; password: string };
let secondDmo: number;
let secondRun: number;
let listingOf: Map<string, number>;
let firstDmo: number;

type Row = { id: number; source_id: string; listing_id: number | null; certainty_score: number | null };
async function rowsOf(runId: number): Promise<Map<string, Row>> {
  const { body } = await pipeline.admin.get(`/api/v1/pipeline/staging/rows?jobId=${runId}&pageSize=100`);
  return new Map(body.rows.map((row: Row) => [row.source_id, row]));
}

beforeAll(async () => {
  pipeline = await startPipelineUnderTest();
  browser = await launchBrowser();
  admin = await userWithRoles(pipeline.t.ctx, ['pipeline_admin']);
  const a = await createCsvSource(pipeline.admin, 'Tourisme Montréal', 3, { transform: { map_fields: mapping } });
  firstDmo = a.dmoId;
  const first = await startCsvRun(pipeline.admin, a.configId, csv(production));
  await waitForRun(pipeline.admin, first, ['awaiting_review']);
  await approveAndPromote(pipeline.admin, first);
  listingOf = new Map([...(await rowsOf(first))].map(([sourceId, row]) => [sourceId, row.listing_id!]));

  const b = await createCsvSource(pipeline.admin, 'Québec Original', 4, { transform: { map_fields: mapping } });
  secondDmo = b.dmoId;
  secondRun = await startCsvRun(pipeline.admin, b.configId, csv(incoming));
  const staged = await waitForRun(pipeline.admin, secondRun, ['awaiting_review']);
  // the file was made to have one of each: the tests mean nothing otherwise
  expect(staged.results).toMatchObject({ records_new: 3, records_possible_match: 1 });
});
afterAll(async () => {
  await browser?.close();
  await pipeline?.close();
});
beforeEach(async () => (tab = await openAdmin(browser, pipeline.server.url)));
afterEach(async () => tab.close());

/** The rows of a tab once they are shown and settled. */
async function rowsShown(page: Page, action: string) {
  const rows = page.locator(`[data-testid="rows"][data-action="${action}"][data-loading="false"]`);
  await rows.waitFor();
  return rows;
}

/** Opens a row of a tab by its name and waits for its detail (the drawer is titled with the row's name once it is loaded). */
async function openRow(page: Page, tabName: RegExp, action: string, name: string) {
  await page.getByRole('tab', { name: tabName }).click();
  await (await rowsShown(page, action)).getByRole('button', { name }).click();
  const detail = page.getByRole('dialog', { name: new RegExp(`· ${name}$`) }).getByTestId('row-detail');
  await detail.waitFor();
  return detail;
}

async function closeRow(page: Page) {
  await page.keyboard.press('Escape');
  await page.getByTestId('row-detail').waitFor({ state: 'detached' });
}

/** Waits until the drawer's opening transition has ended, so a screenshot shows it settled. */
async function settled(page: Page) {
  await page.waitForTimeout(300);
  await page.evaluate(() => Promise.all(document.getAnimations().map((animation) => animation.finished)));
}

const percent = (share: number) => Math.min(99, Math.round(share * 100));

test('the hotel matched automatically says so with its certainty, distance and what agrees; rows without coordinates say where theirs came from', async () => {
  const rows = await rowsOf(secondRun);
  const germain = rows.get('B-1')!;
  expect(germain.listing_id).toBe(listingOf.get('germain'));
  const [match] = (await pipeline.admin.get(`/api/v1/pipeline/staging/rows/${germain.id}`)).body.candidates;

  await signIn(tab.page, admin.email, admin.password, `/admin/runs/${secondRun}/review`);
  let detail = await openRow(tab.page, /^New/, 'insert', 'Le Germain Hotel Montreal');
  const summary = detail.getByTestId('match-summary');
  const said = await summary.innerText();
  expect(said).toContain(`Matched automatically to listing #${listingOf.get('germain')} · ${percent(germain.certainty_score!)}% sure · ` +
    `${Math.round(match.evidence.distance_m)} m away · same address`);
  expect(said).toContain('In production: Hotel Le Germain, Montréal');
  // it is not a question for the reviewer
  await expect(detail.getByTestId('possible-match').count()).resolves.toBe(0);
  // the source sent its coordinates: nothing to say about them
  await expect(detail.getByTestId('coordinates-origin').count()).resolves.toBe(0);

  await closeRow(tab.page);
  detail = await openRow(tab.page, /^New/, 'insert', 'Musée des beaux-arts');
  await expect(detail.getByTestId('coordinates-origin').innerText()).resolves.toMatch(
    /^Placed by the offline gazetteer at the city centre — low precision/);
  await expect(detail.getByTestId('match-summary').count()).resolves.toBe(0);

  await closeRow(tab.page);
  detail = await openRow(tab.page, /^New/, 'insert', 'Cabane à sucre Nulle Part');
  await expect(detail.getByTestId('coordinates-origin').innerText()).resolves.toMatch(/^Not found: check the address/);
  expect(tab.problems).toEqual([]);
});

test('a possible match shows the garden with its evidence; the reviewer matches it and promote adds the shop to that listing', async () => {
  const garden = listingOf.get('jardin')!;
  await signIn(tab.page, admin.email, admin.password, `/admin/runs/${secondRun}/review`);
  await tab.page.getByRole('tab', { name: /^Possible matches/ }).click();
  await tab.page.waitForURL(/action=possible_match/);
  const possible = await rowsShown(tab.page, 'possible_match');
  await expect(possible.locator('tbody tr').count()).resolves.toBe(1);
  await possible.getByRole('button', { name: 'Jardin Botanique Shop' }).click();

  const card = tab.page.getByTestId('possible-match');
  const candidate = card.locator(`[data-candidate="${garden}"]`);
  await expect(candidate.getByTestId('candidate-place').innerText()).resolves.toBe('Jardin botanique, Montréal');
  const evidence = await candidate.getByTestId('candidate-evidence').innerText();
  const [sure, away] = evidence.split(' · ');
  // borderline: sure enough to ask, not enough to decide alone
  expect(Number(sure!.match(/^(\d+)% sure$/)![1])).toBeGreaterThanOrEqual(50);
  expect(Number(sure!.match(/^(\d+)% sure$/)![1])).toBeLessThan(80);
  const metres = Number(away!.match(/^(\d+) m away$/)![1]);
  expect(metres).toBeGreaterThan(40);
  expect(metres).toBeLessThan(120);
  expect(evidence).toMatch(/names \d+% alike/);
  // the shop gave no phone, website or address to compare: nothing is claimed about them
  expect(evidence).not.toMatch(/phone|website|address/);
  await settled(tab.page);
  await card.screenshot({ path: path.join(screenshotDir, 'possible-match.png') });

  await card.getByRole('button', { name: `Match to listing #${garden}` }).click();
  await expect(tab.page.getByTestId('decision-message').innerText()).resolves.toBe(`1 row matched to listing #${garden} and approved`);
  await expect(tab.page.getByTestId('match-summary').innerText()).resolves.toContain(`Matched by a reviewer to listing #${garden}`);
  await expect(tab.page.getByTestId('possible-match').count()).resolves.toBe(0);
  await closeRow(tab.page);

  // the rest as proposed (the hotel and the museum), then promote from the page
  await tab.page.getByRole('button', { name: 'Approve all proposed' }).click();
  await tab.page.getByTestId('decision-message').getByText('2 rows approved').waitFor();
  await tab.page.getByRole('button', { name: 'Promote…' }).click();
  await tab.page.getByRole('dialog').getByRole('button', { name: 'Promote now' }).click();
  await tab.page.getByTestId('promote-outcome').waitFor({ timeout: 30_000 });
  await waitForRun(pipeline.admin, secondRun, ['promoted']);

  const listing = (await pipeline.admin.get(`/api/v1/pipeline/listings/${garden}`)).body;
  expect(listing.listing_info.map((info: { dmo_id: number }) => info.dmo_id).sort()).toEqual([firstDmo, secondDmo].sort());
  const mapping = (await pipeline.admin.get(`/api/v1/pipeline/mappings?dmo_id=${secondDmo}&source_id=B-3`)).body.rows;
  expect(mapping).toEqual([expect.objectContaining({ listing_id: garden, match_method: 'manual' })]);
  const hotel = (await pipeline.admin.get(`/api/v1/pipeline/mappings?dmo_id=${secondDmo}&source_id=B-1`)).body.rows;
  expect(hotel).toEqual([expect.objectContaining({ listing_id: listingOf.get('germain'), match_method: 'fuzzy' })]);
  expect(tab.problems).toEqual([]);
});
