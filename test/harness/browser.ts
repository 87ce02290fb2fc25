// A real browser for the admin UI's tests: Debian's Chromium driven by playwright-core. Screenshots
// the README shows are written to docs/screenshots/ by the tests that reach those pages.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const screenshotDir = path.resolve(__dirname, '../../docs/screenshots');

// Without the background-networking flags Chromium keeps trying to reach Google's hosts, which this
// machine's closed network refuses.
const chromiumFlags = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
];

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(`Browser tests need Chromium at ${chromiumPath}: apt-get install chromium (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({ executablePath: chromiumPath, args: chromiumFlags });
}

export interface AdminBrowser {
  context: BrowserContext;
  page: Page;
  /** What the page's console said at error level and uncaught exceptions: a test may assert there were none. */
  problems: string[];
  close(): Promise<void>;
}

export async function openAdmin(browser: Browser, baseUrl: string): Promise<AdminBrowser> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1360, height: 860 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // a 4xx the app expects (a 401 before sign-in, a 409 it shows) is logged by Chromium as a failed resource
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  return { context, page, problems, close: () => context.close() };
}

/** Signs in through the form, as a person does, and waits for the shell. */
export async function signIn(page: Page, email: string, password: string, startAt = '/admin/'): Promise<void> {
  await page.goto(startAt);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('textbox', { name: 'Password' }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('user-menu').waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: false });
}
