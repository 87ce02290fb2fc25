// Another site's page cannot act with an admin's session: a form on a page served from another origin
// posts to the API with the admin's cookie riding along, and the server refuses it (403 cross_origin)
// and changes nothing; the same action from the admin UI itself goes through. A user without
// pipeline:read is refused by the API as well as not shown the menu.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { launchBrowser, openAdmin, signIn, type AdminBrowser } from '../harness/browser';
import { userWithRoles } from '../harness/context';
import {
  createCsvSource, listingsCsv, makeListings, startCsvRun, startPipelineUnderTest, waitForRun, type PipelineUnderTest,
} from '../harness/pipeline';

let pipeline: PipelineUnderTest;
let browser: Browser;
let tab: AdminBrowser;
let otherSite: http.Server;
let otherSiteUrl: string;
let formTarget = '';

beforeAll(async () => {
  pipeline = await startPipelineUnderTest();
  browser = await launchBrowser();
  // a page on another origin (same host, other port: "same-site" to the browser, so the Lax cookie is sent)
  otherSite = http.createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<!doctype html><form method="post" action="${formTarget}"><button>Win a prize</button></form>`);
  });
  await new Promise<void>((resolve) => otherSite.listen(0, '127.0.0.1', resolve));
  otherSiteUrl = `http://localhost:${(otherSite.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await new Promise((resolve) => otherSite?.close(resolve));
  await browser?.close();
  await pipeline?.close();
});
beforeEach(async () => (tab = await openAdmin(browser, pipeline.server.url)));
afterEach(async () => tab.close());

test("a form on another site posting with the admin's cookie is refused and the run stays as it was", async () => {
  const { configId } = await createCsvSource(pipeline.admin, 'Cross-Origin Harbour');
  const runId = await startCsvRun(pipeline.admin, configId, listingsCsv(makeListings(2)));
  await waitForRun(pipeline.admin, runId, ['awaiting_review']);
  const admin = await userWithRoles(pipeline.t.ctx, ['pipeline_admin']);
  await signIn(tab.page, admin.email, admin.password, `/admin/runs/${runId}`);

  formTarget = `${pipeline.server.url}/api/v1/pipeline/jobs/${runId}/cancel`;
  await tab.page.goto(otherSiteUrl);
  await tab.page.getByRole('button', { name: 'Win a prize' }).click();
  await tab.page.waitForURL(formTarget);
  const answer = JSON.parse((await tab.page.locator('body').innerText()).trim());
  expect(answer.error.code).toBe('cross_origin');
  expect((await pipeline.admin.get(`/api/v1/pipeline/jobs/${runId}`)).body.status).toBe('awaiting_review');

  // the cookie was there and works from the product's own pages: the same cancel from the UI goes through
  await tab.page.goto(`/admin/runs/${runId}`);
  await tab.page.getByRole('button', { name: 'Cancel run' }).click();
  await tab.page.getByRole('dialog').getByRole('button', { name: 'Cancel run' }).click();
  await tab.page.locator('h2 + [data-status="cancelled"]').waitFor();
  expect((await pipeline.admin.get(`/api/v1/pipeline/jobs/${runId}`)).body.status).toBe('cancelled');
});

test('a user without pipeline:read gets 403 from the pipeline API with their own session', async () => {
  const nobody = await userWithRoles(pipeline.t.ctx, []);
  await signIn(tab.page, nobody.email, nobody.password);
  const reply = await tab.page.request.get('/api/v1/pipeline/jobs');
  expect(reply.status()).toBe(403);
  expect((await reply.json()).error.message).toContain('pipeline:read');
  await expect(tab.page.getByRole('navigation', { name: 'Pipeline' }).count()).resolves.toBe(0);
});
