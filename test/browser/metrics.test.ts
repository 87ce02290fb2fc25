// The Metrics page in a real browser, over runs the real workers carried out: a CSV run promoted with
// two records rejected, and one that failed at import. Opened from the sidebar, its charts show those
// runs' figures as a person reads them (legend, tooltip, the figures table beside each chart), the
// days selector asks the server for another window, and someone without pipeline:read is not offered it.
import type { Browser, Locator } from 'playwright-core';
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

const promotedCsv = (() => {
  const rows = makeListings(6);
  rows[2]!.lat = 'abc';
  rows[4]!.name = '';
  return listingsCsv(rows);
})();
// without the Email column the config maps: the import refuses the file
const failingCsv = listingsCsv(makeListings(3, 100)).split('\n').map((line) => line.split(',').slice(0, 7).join(',')).join('\n');

const summaryPath = '/api/v1/pipeline/metrics/summary';
/** The runs made for these tests, by the status they end in. */
const runs = { promoted: 0, failed: 0 };

beforeAll(async () => {
  pipeline = await startPipelineUnderTest();
  browser = await launchBrowser();
  admin = await userWithRoles(pipeline.t.ctx, ['pipeline_admin']);
  const api = pipeline.admin;

  const coast = await createCsvSource(api, 'Coastal Nova Scotia');
  runs.promoted = await startCsvRun(api, coast.configId, promotedCsv, 'coast.csv');
  await waitForRun(api, runs.promoted, ['awaiting_review']);
  await approveAndPromote(api, runs.promoted);

  const digby = await createCsvSource(api, 'Digby Neck');
  runs.failed = await startCsvRun(api, digby.configId, failingCsv, 'digby.csv');
  await waitForRun(api, runs.failed, ['failed']);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await pipeline?.close();
});
beforeEach(async () => (tab = await openAdmin(browser, pipeline.server.url)));
afterEach(async () => tab.close());

const card = (id: string) => tab.page.locator(`[data-metric="${id}"]`);
const figures = (id: string) => card(id).getByRole('table');

/** The figures table's body as rows of cell texts. */
async function tableRows(table: Locator): Promise<string[][]> {
  return table.locator('tbody tr').evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent ?? '')));
}

/** The figures table's rows by their first cell. */
async function tableByFirstCell(table: Locator): Promise<Record<string, string[]>> {
  return Object.fromEntries((await tableRows(table)).map(([first, ...rest]) => [first!, rest]));
}

/** The runs of these tests by the UTC day they were created, as the server counts them per day. */
async function runsByDay(): Promise<Map<string, Record<string, number>>> {
  const byDay = new Map<string, Record<string, number>>();
  for (const [status, id] of Object.entries(runs)) {
    const run = (await pipeline.admin.get(`/api/v1/pipeline/jobs/${id}`)).body;
    expect(run.status).toBe(status);
    const day = new Date(run.created_at).toISOString().slice(0, 10);
    const counts = byDay.get(day) ?? { total: 0, promoted: 0, failed: 0 };
    counts.total! += 1;
    counts[status]! += 1;
    byDay.set(day, counts);
  }
  return byDay;
}

/** A UTC day as the page writes it: "1 Dec 2026" in a table, "1 Dec" on a chart's axis. */
const dayInWords = (day: string, withYear: boolean) =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: withYear ? 'numeric' : undefined, timeZone: 'UTC' });

/** Waits until the page's chart bars stop moving (recharts animates them in), so a screenshot shows them whole. */
async function chartsSettled(): Promise<void> {
  let last = '';
  for (let i = 0; i < 40; i++) {
    const boxes = await tab.page.locator('.recharts-rectangle, .recharts-sector').evaluateAll((shapes) =>
      shapes.map((shape) => shape.getAttribute('d') ?? '').join('|'));
    if (boxes && boxes === last) return;
    last = boxes;
    await tab.page.waitForTimeout(150);
  }
}

test('a content admin opens Metrics from the sidebar and reads the runs\' figures off the charts', async () => {
  const { body: summary, status } = await pipeline.admin.get(`${summaryPath}?days=30`);
  expect(status).toBe(200);
  await signIn(tab.page, admin.email, admin.password, '/admin/runs');
  await tab.page.getByRole('navigation', { name: 'Pipeline' }).getByRole('link', { name: 'Metrics' }).click();
  await tab.page.waitForURL(/\/admin\/metrics$/);
  await tab.page.getByRole('heading', { name: 'Metrics', level: 2 }).waitFor();
  await tab.page.locator('[data-window-days="30"]').waitFor();
  await expect(tab.page.getByText('Figures for the last 30 days').isVisible()).resolves.toBe(true);

  // at a glance
  const tile = (label: string) => tab.page.locator(`[data-tile="${label}"]`).textContent();
  await expect(tile('Runs started')).resolves.toBe('Runs started2');
  await expect(tile('Records read')).resolves.toBe('Records read6');
  await expect(tile('Records rejected')).resolves.toBe('Records rejected33.3%');
  await expect(tile('Runs failed')).resolves.toBe('Runs failed50%');
  await expect(tile('Records written to production')).resolves.toBe('Records written to production4');

  // runs per day: the two runs on the (UTC) day each was created, usually both today, one promoted and
  // one failed, in the table, the legend and the tooltip
  const perDay = await runsByDay();
  const days = [...perDay.keys()].sort().reverse();
  const words = (day: string) => ['promoted', 'failed'].filter((status) => perDay.get(day)![status]).map((status) => `${perDay.get(day)![status]} ${status}`).join(', ');
  expect(await tableRows(figures('runs-per-day'))).toEqual(days.map((day) => [dayInWords(day, true), String(perDay.get(day)!.total), words(day)]));
  // the legend names the statuses the bars show, no others
  await expect(card('runs-per-day').locator('.mantine-ChartLegend-legendItemName').allTextContents().then((names) => names.sort())).resolves.toEqual(['failed', 'promoted']);
  // today's bar, hovered, says what it is made of
  await card('runs-per-day').locator('.recharts-bar-rectangle').filter({ visible: true }).last().hover();
  const tooltip = card('runs-per-day').locator('.mantine-ChartTooltip-tooltip');
  await tooltip.waitFor();
  const newest = perDay.get(days[0]!)!;
  await expect(tooltip.locator('.mantine-ChartTooltip-tooltipLabel').textContent()).resolves.toBe(dayInWords(days[0]!, false));
  const items = await tooltip.locator('.mantine-ChartTooltip-tooltipItem').evaluateAll((rows) =>
    rows.map((row) => `${row.querySelector('.mantine-ChartTooltip-tooltipItemName')?.textContent}: ${row.querySelector('.mantine-ChartTooltip-tooltipItemData')?.textContent}`));
  const runCount = (n: number) => `${n} ${n === 1 ? 'run' : 'runs'}`;
  expect(items).toEqual([`promoted: ${runCount(newest.promoted!)}`, `failed: ${runCount(newest.failed!)}`]);

  expect(await tableByFirstCell(figures('runs-by-status'))).toEqual({ promoted: ['1'], failed: ['1'] });

  // records per step: six read, two rejected, four staged as new and inserted into production
  const steps = await tableByFirstCell(figures('rows-per-step'));
  expect(steps.Imported).toEqual(['6']);
  expect(steps.Rejected).toEqual(['2']);
  expect(steps['Staged: new']).toEqual(['4']);
  expect(steps['Promoted: inserted']).toEqual(['4']);
  expect(steps['Staged: updated']).toEqual(['0']);

  expect(await tableByFirstCell(figures('error-rate'))).toEqual({
    'Records rejected': ['33.3%', '2 of 6 records read'],
    'Runs failed': ['50%', 'of 2 runs that ended'],
  });

  // throughput: the promoted run's records (the failed one was never staged)
  await expect(card('throughput').textContent()).resolves.toContain(`${summary.throughput.records} records from 1 run in`);

  // queues now: every queue, nothing left waiting once the runs are done
  const queues = await tableByFirstCell(figures('queue-depth'));
  expect(Object.keys(queues)).toEqual(['Import', 'Transform', 'Geocode', 'Stage', 'Images', 'Promote']);
  const queueWords: Record<string, string> = { import: 'Import', transform: 'Transform', geocode: 'Geocode', stage: 'Stage', image: 'Images', promote: 'Promote' };
  for (const queue of summary.queues) {
    const shown = queues[queueWords[queue.queue]!]!;
    expect(shown[0]).toBe(String(queue.counts.waiting));
    expect(shown[2]).toBe(String(queue.counts.active));
  }
  await expect(card('queue-depth').getByRole('link', { name: /Bull Board/ }).getAttribute('href')).resolves.toBe('/admin/queues');

  // cost: each DMO's files in the blob store, the upload exactly the bytes of the file sent (under a KiB)
  const blobs = await tableByFirstCell(figures('blob-bytes'));
  expect(Object.keys(blobs).sort()).toEqual(['Coastal Nova Scotia', 'Digby Neck']);
  expect(Buffer.byteLength(promotedCsv)).toBeLessThan(1024);
  const [files, upload, raw, total] = blobs['Coastal Nova Scotia']!;
  expect(files).toBe(String(summary.cost.blob_bytes.find((row: { dmo_name: string }) => row.dmo_name === 'Coastal Nova Scotia').files));
  expect(upload).toBe(`${Buffer.byteLength(promotedCsv)} B`);
  expect(raw).toMatch(/^\d+(\.\d)? (B|KiB|MiB)$/);
  expect(total).toMatch(/^\d+(\.\d)? (B|KiB|MiB)$/);
  expect(blobs['Digby Neck']![1]).toBe(`${Buffer.byteLength(failingCsv)} B`);

  // geocoding and provider calls: as many as the server counted, an empty state when none
  if (summary.geocode.calls + summary.geocode.cache_hits === 0) {
    await expect(card('geocode').textContent()).resolves.toContain('No address was geocoded in the last 30 days');
  } else {
    const geocode = await tableByFirstCell(figures('geocode'));
    expect(geocode['Answered by the cache']?.[0]).toBe(summary.geocode.cache_hits.toLocaleString('en'));
  }
  if (summary.cost.provider_calls.length === 0) {
    await expect(card('provider-calls').textContent()).resolves.toContain('No provider was called in the last 30 days');
  } else {
    expect(await tableRows(figures('provider-calls'))).toHaveLength(summary.cost.provider_calls.length);
  }

  // for operations: Bull Board and Prometheus
  const ops = tab.page.getByRole('region', { name: 'For operations' });
  await expect(ops.getByRole('link', { name: 'Bull Board' }).getAttribute('href')).resolves.toBe('/admin/queues');
  await expect(ops.getByRole('link', { name: '/metrics' }).getAttribute('href')).resolves.toBe('/metrics');

  await tab.page.mouse.move(0, 0);
  await tab.page.evaluate(() => window.scrollTo(0, 0));
  await chartsSettled();
  await screenshot(tab.page, 'metrics');
  expect(tab.problems).toEqual([]);
});

test('the days selector asks for another window, keeps it in the address, and a reload keeps it', async () => {
  await signIn(tab.page, admin.email, admin.password, '/admin/metrics');
  await tab.page.locator('[data-window-days="30"]').waitFor();
  const period = tab.page.getByRole('radiogroup', { name: 'Period' });

  const asked = tab.page.waitForRequest((request) => request.url().includes(`${summaryPath}?days=7`));
  await period.getByText('7 days', { exact: true }).click();
  await asked;
  await tab.page.waitForURL(/\/admin\/metrics\?days=7$/);
  await tab.page.locator('[data-window-days="7"]').waitFor();
  await expect(tab.page.getByText('Figures for the last 7 days').isVisible()).resolves.toBe(true);
  await expect(card('runs-per-day').textContent()).resolves.toContain('over the last 7 days');
  // the two runs of these tests are in every window
  await expect(tableRows(figures('runs-per-day')).then((rows) => rows.reduce((sum, row) => sum + Number(row[1]), 0))).resolves.toBe(2);

  await tab.page.reload();
  await tab.page.locator('[data-window-days="7"]').waitFor();
  await expect(period.getByRole('radio', { name: '7 days' }).isChecked()).resolves.toBe(true);

  await period.getByText('90 days', { exact: true }).click();
  await tab.page.waitForURL(/\?days=90$/);
  await tab.page.locator('[data-window-days="90"]').waitFor();
  await expect(tab.page.getByText('Figures for the last 90 days').isVisible()).resolves.toBe(true);

  // back to the default window, which needs nothing in the address
  await period.getByText('30 days', { exact: true }).click();
  await tab.page.waitForURL(/\/admin\/metrics$/);
  await tab.page.locator('[data-window-days="30"]').waitFor();
  expect(tab.problems).toEqual([]);
});

test('while the figures load the page says so, and a server error shows its message and Try again', async () => {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  let failing = true;
  await tab.page.route(`**${summaryPath}**`, async (route) => {
    await held;
    if (failing) {
      return route.fulfill({ status: 503, json: { error: { code: 'query_timeout', message: 'The summary took too long to count: try again in a moment' } } });
    }
    return route.continue();
  });
  await signIn(tab.page, admin.email, admin.password, '/admin/metrics');
  await tab.page.getByLabel('Loading the metrics').waitFor();
  await expect(tab.page.getByText('Counting the last 30 days').isVisible()).resolves.toBe(true);
  release();

  // a 5xx is asked again twice before the page gives up
  const alert = tab.page.getByRole('alert').filter({ hasText: 'The metrics could not be loaded' });
  await alert.waitFor({ timeout: 15_000 });
  await expect(alert.textContent()).resolves.toContain('The summary took too long to count: try again in a moment');

  failing = false;
  await tab.page.getByRole('button', { name: 'Try again' }).click();
  await tab.page.locator('[data-window-days="30"]').waitFor();
  await expect(alert.count()).resolves.toBe(0);
});

test('a user without pipeline:read is not offered Metrics, and the address tells them why', async () => {
  const nobody = await userWithRoles(pipeline.t.ctx, []);
  await signIn(tab.page, nobody.email, nobody.password);
  await tab.page.waitForURL(/\/admin\/account$/);
  await expect(tab.page.getByRole('link', { name: 'Metrics' }).count()).resolves.toBe(0);
  await tab.page.goto('/admin/metrics');
  await tab.page.getByText('You do not have access to this page').waitFor();
  await expect(tab.page.getByText('pipeline:read').first().isVisible()).resolves.toBe(true);
  expect((await tab.page.request.get(`${summaryPath}?days=30`)).status()).toBe(403);

  // a viewer reads the pipeline, so Metrics is theirs
  const viewer = await userWithRoles(pipeline.t.ctx, ['viewer']);
  const viewerTab = await openAdmin(browser, pipeline.server.url);
  try {
    await signIn(viewerTab.page, viewer.email, viewer.password);
    await expect(viewerTab.page.getByRole('navigation', { name: 'Pipeline' }).getByRole('link', { name: 'Metrics' }).getAttribute('href'))
      .resolves.toBe('/admin/metrics');
  } finally {
    await viewerTab.close();
  }
});
