// The upload dialog of a run waiting for its file, in a real browser against the real server: a dropped
// CSV goes up with a progress bar that really moves (the browser's upload is slowed through the DevTools
// protocol, which Chromium applies to XHR request bodies), the run then goes on by itself to review;
// a cancelled upload leaves the run waiting with no file, and the server's refusals are shown.
import http from 'node:http';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { launchBrowser, openAdmin, screenshot, signIn, type AdminBrowser } from '../harness/browser';
import { userWithRoles } from '../harness/context';
import { createCsvSource, listingsCsv, makeListings, startPipelineUnderTest, type PipelineUnderTest } from '../harness/pipeline';

const maxUploadBytes = 8 * 1024 * 1024;
let pipeline: PipelineUnderTest;
let browser: Browser;
let tab: AdminBrowser;
let admin: { email: string; password: string };
let configId: number;

/** About 3 MB of listings: a few thousand rows with long descriptions, so the import stays quick. */
function largeCsv(): string {
  const rows = makeListings(2000).map((row) => ({ ...row, description: `${row.description} ${'Sea views, quiet rooms, local food. '.repeat(40)}` }));
  return listingsCsv(rows);
}
const large = largeCsv();

beforeAll(async () => {
  pipeline = await startPipelineUnderTest({ UPLOAD_MAX_BYTES: String(maxUploadBytes) });
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

/** A new run of the config, waiting for its file, as Sources → Run now makes it. */
async function waitingRun(): Promise<number> {
  const { body } = await pipeline.admin.post('/api/v1/pipeline/executeStage', { configId });
  expect(body.status).toBe('waiting_for_input');
  return body.jobId;
}

/** Slows what the browser sends; the page's XHR upload progress then reports the bytes as they really leave. */
async function throttleUploads(page: Page, bytesPerSecond: number): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond });
  return cdp;
}

/** Every value the upload progress bar shows, as the page renders it (a MutationObserver, so none is missed). */
async function recordProgress(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: number[] = [];
    (window as unknown as { progressSeen: number[] }).progressSeen = seen;
    const read = () => {
      const bar = document.querySelector('[role="progressbar"][aria-label="Upload progress"]');
      const value = bar?.getAttribute('aria-valuenow');
      if (value !== null && value !== undefined && seen[seen.length - 1] !== Number(value)) seen.push(Number(value));
    };
    new MutationObserver(read).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
  });
}
const progressSeen = (page: Page) => page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);

/** Drops a file on the dropzone the way a browser delivers a drag and drop: a drop event carrying it. */
async function dropFile(page: Page, name: string, content: string, type = 'text/csv') {
  const dataTransfer = await page.evaluateHandle(([name, content, type]) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([content], name, { type }));
    return transfer;
  }, [name, content, type] as const);
  await page.getByTestId('upload-dropzone').dispatchEvent('drop', { dataTransfer });
}

/** Chooses a file through the dropzone's file picker (its click opens the same input). */
async function chooseFile(page: Page, name: string, content: string | Buffer, mimeType = 'text/csv') {
  await page.getByTestId('upload-dropzone').locator('input[type="file"]').setInputFiles({ name, mimeType, buffer: Buffer.from(content) });
}

/** The statuses the run page's header shows, in order, until it shows `until`. */
async function statusesUntil(page: Page, until: string, timeoutMs = 45_000): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await page.locator('h2 + [data-status]').getAttribute('data-status').catch(() => null);
    if (status && seen[seen.length - 1] !== status) seen.push(status);
    if (status === until) return seen;
    if (Date.now() > deadline) throw new Error(`the page showed ${seen.join(' → ')}, never ${until}`);
    await page.waitForTimeout(100);
  }
}

const lifecycle = ['waiting_for_input', 'queued', 'running', 'awaiting_review'];
const inLifecycleOrder = (statuses: string[]) => statuses.every((status, i) => i === 0 || lifecycle.indexOf(status) > lifecycle.indexOf(statuses[i - 1]!));

test('Run now sends the admin to the dialog; a dropped CSV goes up and the run goes on to review', async () => {
  const runId = await waitingRun();
  await signIn(tab.page, admin.email, admin.password, `/admin/runs/${runId}?upload=1`);
  const dialog = tab.page.getByRole('dialog', { name: 'Upload the file for this run' });
  await dialog.waitFor();
  await dropFile(tab.page, 'south-shore.csv', listingsCsv(makeListings(12)));
  await dialog.waitFor({ state: 'hidden' });
  const statuses = await statusesUntil(tab.page, 'awaiting_review');
  expect(inLifecycleOrder(statuses)).toBe(true);
  // the address no longer asks for the dialog, so a reload does not open it again
  expect(new URL(tab.page.url()).search).toBe('');
  const files = (await pipeline.admin.get(`/api/v1/pipeline/jobs/${runId}/files`)).body.files;
  expect(files.find((file: { kind: string }) => file.kind === 'upload')?.original_name).toBe('south-shore.csv');
  await tab.page.getByRole('table', { name: 'Files' }).getByText('south-shore.csv').waitFor();
  expect(tab.problems).toEqual([]);
});

test('the progress bar shows the bytes going up, then the run continues by itself', async () => {
  const runId = await waitingRun();
  await signIn(tab.page, admin.email, admin.password, `/admin/runs/${runId}`);
  await tab.page.getByRole('button', { name: 'Upload file' }).click();
  await tab.page.getByRole('dialog', { name: 'Upload the file for this run' }).waitFor();
  await throttleUploads(tab.page, 512 * 1024);
  await recordProgress(tab.page);
  await chooseFile(tab.page, 'south-shore-full.csv', large);

  const bar = tab.page.getByRole('progressbar', { name: 'Upload progress' });
  for (;;) {
    const value = Number(await bar.getAttribute('aria-valuenow'));
    if (value >= 35) break;
    await tab.page.waitForTimeout(50);
  }
  await screenshot(tab.page, 'upload');
  const statuses = await statusesUntil(tab.page, 'awaiting_review');

  const values = await progressSeen(tab.page);
  if (process.env.SHOW_PROGRESS) console.log(`progress shown: ${values.join(', ')}; statuses: ${statuses.join(' → ')}`);
  const between = new Set(values.filter((value) => value > 0 && value < 100));
  expect(between.size).toBeGreaterThanOrEqual(2);
  expect(values).toContain(100);
  expect(values.indexOf(100)).toBe(values.length - 1);
  expect([...values].sort((a, b) => a - b)).toEqual(values);
  // the run was seen moving before review, in lifecycle order
  expect(inLifecycleOrder(statuses)).toBe(true);
  expect(statuses.some((status) => status === 'queued' || status === 'running')).toBe(true);
  const run = (await pipeline.admin.get(`/api/v1/pipeline/jobs/${runId}`)).body;
  expect(run.results.records_total).toBe(2000);
});

test('Cancel during the upload stops it: the run still waits and keeps no file; a second try succeeds', async () => {
  const runId = await waitingRun();
  await signIn(tab.page, admin.email, admin.password, `/admin/runs/${runId}?upload=1`);
  const dialog = tab.page.getByRole('dialog', { name: 'Upload the file for this run' });
  await dialog.waitFor();
  const cdp = await throttleUploads(tab.page, 512 * 1024);
  await chooseFile(tab.page, 'south-shore-full.csv', large);
  const bar = tab.page.getByRole('progressbar', { name: 'Upload progress' });
  while (Number(await bar.getAttribute('aria-valuenow')) < 10) await tab.page.waitForTimeout(50);
  await dialog.getByRole('button', { name: 'Cancel upload' }).click();
  await dialog.getByText('was cancelled; nothing was kept').waitFor();

  const run = (await pipeline.admin.get(`/api/v1/pipeline/jobs/${runId}`)).body;
  expect(run.status).toBe('waiting_for_input');
  expect((await pipeline.admin.get(`/api/v1/pipeline/jobs/${runId}/files`)).body.files).toEqual([]);

  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await chooseFile(tab.page, 'south-shore-full.csv', large);
  await dialog.waitFor({ state: 'hidden' });
  await statusesUntil(tab.page, 'awaiting_review');
  const files = (await pipeline.admin.get(`/api/v1/pipeline/jobs/${runId}/files`)).body.files;
  expect(files.filter((file: { kind: string }) => file.kind === 'upload')).toHaveLength(1);
});

test("a refused file shows the server's message and another file can be chosen", async () => {
  const runId = await waitingRun();
  await signIn(tab.page, admin.email, admin.password, `/admin/runs/${runId}?upload=1`);
  const dialog = tab.page.getByRole('dialog', { name: 'Upload the file for this run' });
  await dialog.waitFor();

  // not a CSV: the dialog says so before anything is sent
  await dropFile(tab.page, 'photo.png', 'not really a picture', 'image/png');
  await expect(dialog.getByRole('alert').textContent()).resolves.toContain('photo.png is not a CSV file');

  await chooseFile(tab.page, 'empty.csv', '');
  await expect(dialog.getByRole('alert').textContent()).resolves.toContain('empty.csv is empty');

  await chooseFile(tab.page, 'huge.csv', Buffer.alloc(maxUploadBytes + 1024, 'a'));
  await dialog.getByText(`larger than the ${maxUploadBytes} bytes allowed`).waitFor();

  expect((await pipeline.admin.get(`/api/v1/pipeline/jobs/${runId}/files`)).body.files).toEqual([]);
  await chooseFile(tab.page, 'south-shore.csv', listingsCsv(makeListings(5, 50)));
  await dialog.waitFor({ state: 'hidden' });
  await statusesUntil(tab.page, 'awaiting_review');
});

/** Another client's upload to the run that has begun and does not end until released, as a slow script's would. */
async function holdUpload(runId: number): Promise<{ release(): Promise<void> }> {
  const token = (await pipeline.admin.post('/api/v1/auth/tokens', { name: 'a slow script' })).body.token as string;
  const boundary = 'held-upload-boundary';
  const request = http.request(new URL('/api/v1/pipeline/uploadStageFile', pipeline.server.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' },
  });
  const answered = new Promise<void>((resolve) => {
    request.on('response', (response) => response.resume().on('end', resolve));
    request.on('error', () => resolve());
  });
  request.write(`--${boundary}\r\nContent-Disposition: form-data; name="jobId"\r\n\r\n${runId}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="held.csv"\r\nContent-Type: text/csv\r\n\r\nID,Name\r\n`);
  // the server claims the run when the file part begins
  await new Promise((resolve) => setTimeout(resolve, 500));
  return {
    async release() {
      request.destroy();
      await answered;
    },
  };
}

test('while another upload to the run is under way, the dialog shows why and lets the admin try again', async () => {
  const runId = await waitingRun();
  const held = await holdUpload(runId);
  try {
    await signIn(tab.page, admin.email, admin.password, `/admin/runs/${runId}?upload=1`);
    const dialog = tab.page.getByRole('dialog', { name: 'Upload the file for this run' });
    await dialog.waitFor();
    await chooseFile(tab.page, 'south-shore.csv', listingsCsv(makeListings(5, 80)));
    const alert = dialog.getByRole('alert');
    await expect(alert.textContent()).resolves.toContain(`Run ${runId} is receiving another upload`);
    await expect(alert.textContent()).resolves.toContain('Not possible right now');
  } finally {
    await held.release();
  }
  expect((await pipeline.admin.get(`/api/v1/pipeline/jobs/${runId}/files`)).body.files).toEqual([]);
  await chooseFile(tab.page, 'south-shore.csv', listingsCsv(makeListings(5, 80)));
  await tab.page.getByRole('dialog', { name: 'Upload the file for this run' }).waitFor({ state: 'hidden' });
  await statusesUntil(tab.page, 'awaiting_review');
});
