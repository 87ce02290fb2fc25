// The admin UI's frame in a real browser: sign in and back to the page asked for, the Pipeline menu only
// with pipeline:read, a reload of a deep link, an expired session.
import type { Browser } from 'playwright-core';
import { launchBrowser, openAdmin, screenshot, signIn, type AdminBrowser } from '../harness/browser';
import { userWithRoles } from '../harness/context';
import { startPipelineUnderTest, type PipelineUnderTest } from '../harness/pipeline';

let pipeline: PipelineUnderTest;
let browser: Browser;
let tab: AdminBrowser;

beforeAll(async () => {
  pipeline = await startPipelineUnderTest();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await pipeline?.close();
});
beforeEach(async () => (tab = await openAdmin(browser, pipeline.server.url)));
afterEach(async () => tab.close());

test('a page asked for before signing in opens after signing in, and a reload keeps it', async () => {
  const admin = await userWithRoles(pipeline.t.ctx, ['super_admin']);
  await tab.page.goto('/admin/listings');
  await tab.page.waitForURL(/\/admin\/sign-in\?next=%2Fadmin%2Flistings/);
  await screenshot(tab.page, 'sign-in');
  await tab.page.getByLabel('Email').fill(admin.email);
  await tab.page.getByRole('textbox', { name: 'Password' }).fill(admin.password);
  await tab.page.getByRole('button', { name: 'Sign in' }).click();
  await tab.page.waitForURL(/\/admin\/listings$/);
  await tab.page.reload();
  await expectNav(tab, ['Pipeline', 'Administration', 'Account']);
  expect(new URL(tab.page.url()).pathname).toBe('/admin/listings');
  expect(tab.problems).toEqual([]);
});

test('wrong credentials say so and stay on the sign-in page', async () => {
  await tab.page.goto('/admin/sign-in');
  await tab.page.getByLabel('Email').fill('nobody@test.local');
  await tab.page.getByRole('textbox', { name: 'Password' }).fill('not the password');
  await tab.page.getByRole('button', { name: 'Sign in' }).click();
  await expect(tab.page.getByRole('alert').textContent()).resolves.toContain('Wrong email or password');
  expect(new URL(tab.page.url()).pathname).toBe('/admin/sign-in');
});

test('a user without pipeline:read sees no Pipeline menu, and a pipeline page tells them why', async () => {
  const nobody = await userWithRoles(pipeline.t.ctx, []);
  await signIn(tab.page, nobody.email, nobody.password);
  await tab.page.waitForURL(/\/admin\/account$/);
  await expectNav(tab, ['Account']);
  await tab.page.goto('/admin/runs');
  await tab.page.getByText('You do not have access to this page').waitFor();
  await expect(tab.page.getByText('pipeline:read').first().isVisible()).resolves.toBe(true);
});

test('a viewer sees the Pipeline menu without Users', async () => {
  const viewer = await userWithRoles(pipeline.t.ctx, ['viewer']);
  await signIn(tab.page, viewer.email, viewer.password);
  await expectNav(tab, ['Pipeline', 'Account']);
  await expect(tab.page.getByRole('link', { name: 'Users' }).count()).resolves.toBe(0);
  await expect(tab.page.getByRole('link', { name: /Queues/ }).getAttribute('href')).resolves.toBe('/admin/queues');
});

test('when the session ends, the next request sends the user to sign in and then back', async () => {
  const admin = await userWithRoles(pipeline.t.ctx, ['super_admin']);
  await signIn(tab.page, admin.email, admin.password, '/admin/sources');
  // once the page shows what it asked for (its DMOs and configs, and any request the shell makes
  // after them), so the next request is the click's: an earlier one would end the session first
  await tab.page.getByRole('heading', { name: 'Configs' }).waitFor();
  await tab.page.waitForLoadState('networkidle');
  await pipeline.t.ctx.db.query('DELETE FROM public.user_sessions WHERE user_id = $1', [admin.id]);
  await tab.page.getByRole('link', { name: 'Runs' }).click();
  await tab.page.waitForURL(/\/admin\/sign-in\?next=/);
  await tab.page.getByLabel('Email').fill(admin.email);
  await tab.page.getByRole('textbox', { name: 'Password' }).fill(admin.password);
  await tab.page.getByRole('button', { name: 'Sign in' }).click();
  await tab.page.waitForURL(/\/admin\/runs$/);
});

test('sign out ends the session', async () => {
  const admin = await userWithRoles(pipeline.t.ctx, ['super_admin']);
  await signIn(tab.page, admin.email, admin.password);
  await tab.page.getByTestId('user-menu').click();
  await tab.page.getByRole('menuitem', { name: 'Sign out' }).click();
  await tab.page.waitForURL(/\/admin\/sign-in$/);
  const me = await tab.page.request.get('/api/v1/auth/me');
  expect(me.status()).toBe(401);
});

test('a Bull Board link opened while signed out comes back to that page of Bull Board after signing in', async () => {
  const ops = await userWithRoles(pipeline.t.ctx, ['ops']);
  await tab.page.goto('/admin/queues/queue/import');
  await tab.page.waitForURL(/\/admin\/sign-in\?next=%2Fadmin%2Fqueues%2Fqueue%2Fimport$/);
  await tab.page.getByLabel('Email').fill(ops.email);
  await tab.page.getByRole('textbox', { name: 'Password' }).fill(ops.password);
  await tab.page.getByRole('button', { name: 'Sign in' }).click();
  await tab.page.waitForURL(/\/admin\/queues\/queue\/import$/);
  await tab.page.getByText('import', { exact: true }).first().waitFor();
});

async function expectNav(admin: AdminBrowser, sections: string[]) {
  await admin.page.getByRole('navigation', { name: sections[0] }).waitFor();
  const names = await admin.page.locator('nav[aria-label]').evaluateAll((navs) => navs.map((nav) => nav.getAttribute('aria-label')));
  expect(names).toEqual(sections);
}
