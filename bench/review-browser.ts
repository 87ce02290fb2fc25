// The review page of a staged run as a reviewer sees it, in Debian's Chromium (playwright-core): time
// from opening the page to its first 50 rows, to the next page, and to the last page, beside opening
// the account page (one small request) as the baseline measured in the same run. Skipped, with a note,
// where Chromium is not installed.
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { chromium, type Page } from 'playwright-core';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

export interface BrowserReviewTiming {
  baselineMs: number;
  openMs: number;
  nextPageMs: number;
  lastPageMs: number;
  /** the largest pageSize any staged-rows request asked for: the page never loads a whole run */
  largestPageSize: number;
  requests: number;
}

export const chromiumAvailable = () => fs.existsSync(chromiumPath);

async function timed(step: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await step();
  return performance.now() - started;
}

const rowsShown = (page: Page, number: number, firstRecNum: number) =>
  page.locator(`[data-testid="rows"][data-page="${number}"] tr[data-rec-num="${firstRecNum}"]`).waitFor({ timeout: 60_000 });

export async function timeReviewInBrowser(baseUrl: string, login: { email: string; password: string }, runId: number, rows: number):
  Promise<BrowserReviewTiming> {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: flags });
  try {
    const page = await (await browser.newContext({ baseURL: baseUrl, viewport: { width: 1360, height: 860 } })).newPage();
    await page.goto('/admin/sign-in');
    await page.getByLabel('Email').fill(login.email);
    await page.getByRole('textbox', { name: 'Password' }).fill(login.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('user-menu').waitFor();
    const pageSizes: number[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/api/v1/pipeline/staging/rows') pageSizes.push(Number(url.searchParams.get('pageSize')));
    });

    // warm the lazily loaded page code once, so the figures are the data's, not the first download's
    await page.goto(`/admin/runs/${runId}/review`);
    await rowsShown(page, 1, 1);
    const baselineMs = await timed(async () => {
      await page.goto('/admin/account');
      await page.getByRole('heading', { name: 'My account' }).waitFor();
    });
    const openMs = await timed(async () => {
      await page.goto(`/admin/runs/${runId}/review`);
      await rowsShown(page, 1, 1);
    });
    const nextPageMs = await timed(async () => {
      await page.getByRole('button', { name: 'next page' }).click();
      await rowsShown(page, 2, 51);
    });
    const last = Math.ceil(rows / 50);
    const lastPageMs = await timed(async () => {
      await page.getByLabel('Go to page').fill(String(last));
      await page.getByRole('button', { name: 'Go', exact: true }).click();
      await rowsShown(page, last, (last - 1) * 50 + 1);
    });
    return { baselineMs, openMs, nextPageMs, lastPageMs, largestPageSize: Math.max(...pageSizes), requests: pageSizes.length };
  } finally {
    await browser.close();
  }
}
