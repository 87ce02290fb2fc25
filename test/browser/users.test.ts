// Users and My account in a real browser: an admin creates a reviewer who then sees Review but not Users,
// disabling them sends them to sign in, a password change on My account (the old one stops working),
// and an API token shown once that works as a bearer token until it is revoked.
import type { Browser } from 'playwright-core';
import { launchBrowser, openAdmin, screenshot, signIn, type AdminBrowser } from '../harness/browser';
import { userWithRoles } from '../harness/context';
import { startPipelineUnderTest, type PipelineUnderTest } from '../harness/pipeline';

let pipeline: PipelineUnderTest;
let browser: Browser;
let admin: AdminBrowser;
const adminUser = { email: 'claire.martin@visit-nova.example', name: 'Claire Martin', password: '' };
const reviewer = { email: 'sam.okafor@visit-nova.example', name: 'Sam Okafor', password: 'harbour lights 1867' };
const tabs: AdminBrowser[] = [];

async function newTab(): Promise<AdminBrowser> {
  const tab = await openAdmin(browser, pipeline.server.url);
  tabs.push(tab);
  return tab;
}

/** Signs in through the form and says what the server answered: the shell, or the form's message. */
async function trySignIn(tab: AdminBrowser, email: string, password: string): Promise<'signed in' | string> {
  await tab.page.goto('/admin/sign-in');
  await tab.page.getByLabel('Email').fill(email);
  await tab.page.getByRole('textbox', { name: 'Password' }).fill(password);
  await tab.page.getByRole('button', { name: 'Sign in' }).click();
  const shell = tab.page.getByTestId('user-menu');
  const refused = tab.page.getByRole('alert');
  await shell.or(refused).first().waitFor();
  return (await shell.isVisible()) ? 'signed in' : (await refused.textContent()) ?? '';
}

beforeAll(async () => {
  pipeline = await startPipelineUnderTest();
  browser = await launchBrowser();
  const claire = await userWithRoles(pipeline.t.ctx, ['super_admin'], adminUser.email);
  adminUser.password = claire.password;
  await pipeline.admin.patch(`/api/v1/admin/users/${claire.id}`, { name: adminUser.name });
  // colleagues, so the list looks like a team's
  for (const [email, name, roles] of [
    ['priya.raman@visit-nova.example', 'Priya Raman', ['ops']],
    ['tom.lee@visit-nova.example', 'Tom Lee', ['viewer']],
    ['ana.souza@visit-nova.example', 'Ana Souza', ['pipeline_admin']],
  ] as const) {
    const created = await pipeline.admin.post('/api/v1/admin/users', { email, name, password: 'a long first password', roles });
    expect(created.status).toBe(201);
  }
  admin = await newTab();
  await signIn(admin.page, adminUser.email, adminUser.password, '/admin/users');
});
afterAll(async () => {
  for (const tab of tabs) await tab.close();
  await browser?.close();
  await pipeline?.close();
});

test('an admin creates a reviewer, who signs in and sees Review but not Users', async () => {
  const { page } = admin;
  await page.getByTestId('roles-table').getByText('Reads and reviews staged rows').waitFor();
  await page.getByRole('button', { name: 'New user' }).click();
  const dialog = page.getByRole('dialog', { name: 'New user' });
  await dialog.getByLabel('Email').fill(reviewer.email);
  await dialog.getByLabel('Name').fill(reviewer.name);
  await dialog.getByLabel('First password').fill('short');
  // the server's own rule, shown as the admin types
  await dialog.getByText(/at least 8|>=8/i).last().waitFor();
  await expect(dialog.getByRole('button', { name: 'Create user' }).isDisabled()).resolves.toBe(true);
  await dialog.getByLabel('First password').fill(reviewer.password);
  // each role says what it grants
  await expect(dialog.getByText('pipeline:review').count()).resolves.toBeGreaterThan(0);
  await dialog.getByRole('checkbox', { name: 'reviewer' }).check();
  await dialog.getByRole('button', { name: 'Create user' }).click();
  await dialog.waitFor({ state: 'hidden' });

  const row = page.locator(`tr[data-user="${reviewer.email}"]`);
  await row.waitFor();
  await expect(row.textContent()).resolves.toMatch(/Sam Okafor.*reviewer.*Active/);
  await page.reload();
  await page.getByTestId('roles-table').waitFor();
  await screenshot(page, 'users');
  const listed = (await pipeline.admin.get('/api/v1/admin/users')).body.users.find((user: { email: string }) => user.email === reviewer.email);
  expect(listed).toMatchObject({ name: reviewer.name, roles: ['reviewer'], disabled: false });

  const sam = await newTab();
  await signIn(sam.page, reviewer.email, reviewer.password);
  await sam.page.getByRole('navigation', { name: 'Pipeline' }).waitFor();
  await expect(sam.page.getByRole('link', { name: 'Review' }).isVisible()).resolves.toBe(true);
  await expect(sam.page.getByRole('link', { name: 'Users' }).count()).resolves.toBe(0);
  await sam.page.goto('/admin/users');
  await sam.page.getByText('You do not have access to this page').waitFor();
  expect(admin.problems).toEqual([]);
});

test('the server refuses a second user with the same email, and the dialog says why', async () => {
  const { page } = admin;
  await page.goto('/admin/users');
  await page.getByRole('button', { name: 'New user' }).click();
  const dialog = page.getByRole('dialog', { name: 'New user' });
  await dialog.getByLabel('Email').fill(reviewer.email);
  await dialog.getByLabel('First password').fill('another long password');
  await dialog.getByRole('button', { name: 'Create user' }).click();
  await expect(dialog.getByRole('alert').textContent()).resolves.toContain(`A user with email ${reviewer.email} exists already`);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
});

test('an admin disables the reviewer: their next page load sends them to sign in, and enabling lets them back', async () => {
  const { page } = admin;
  await page.goto('/admin/users');
  const sam = await newTab();
  await signIn(sam.page, reviewer.email, reviewer.password, '/admin/review');

  await page.getByRole('button', { name: `Change ${reviewer.email}` }).click();
  await page.getByRole('menuitem', { name: 'Disable' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.textContent()).resolves.toContain('signed out everywhere at once');
  await dialog.getByRole('button', { name: 'Disable' }).click();
  await page.locator(`tr[data-user="${reviewer.email}"]`).getByText('Disabled').waitFor();

  await sam.page.reload();
  await sam.page.waitForURL(/\/admin\/sign-in\?next=%2Fadmin%2Freview/);
  await expect(trySignIn(sam, reviewer.email, reviewer.password)).resolves.toContain('Wrong email or password');

  await page.getByRole('button', { name: `Change ${reviewer.email}` }).click();
  await page.getByRole('menuitem', { name: 'Enable' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Enable' }).click();
  await page.locator(`tr[data-user="${reviewer.email}"]`).getByText('Active').waitFor();
  await expect(trySignIn(sam, reviewer.email, reviewer.password)).resolves.toBe('signed in');
});

test('a user changes their password on My account: the old one no longer signs in, the new one does', async () => {
  const tom = await userWithRoles(pipeline.t.ctx, ['viewer']);
  const tab = await newTab();
  const { page } = tab;
  await signIn(page, tom.email, tom.password, '/admin/account');
  await expect(page.getByTestId('account-email').textContent()).resolves.toBe(tom.email);
  await expect(page.getByTestId('account-permissions').textContent()).resolves.toContain('See sources, runs, review and listings');
  const form = page.getByRole('form', { name: 'Change my password' });
  await expect(form.textContent()).resolves.toContain('ends all your API tokens');

  const newPassword = 'a brand new passphrase';
  await form.getByLabel('Current password').fill('not my password');
  await form.getByLabel('New password', { exact: true }).fill(newPassword);
  await form.getByLabel('New password again').fill(newPassword);
  await form.getByRole('button', { name: 'Change password' }).click();
  await form.getByText('this is not your current password').waitFor();

  await form.getByLabel('Current password').fill(tom.password);
  await form.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('Password changed').waitFor();
  await page.reload();
  await page.getByTestId('account-email').waitFor(); // this browser stays signed in

  await page.getByTestId('user-menu').click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await page.waitForURL(/\/admin\/sign-in$/);
  await expect(trySignIn(tab, tom.email, tom.password)).resolves.toContain('Wrong email or password');
  await expect(trySignIn(tab, tom.email, newPassword)).resolves.toBe('signed in');
  expect(tab.problems).toEqual([]);
});

test('a token made on My account is shown once, works as a bearer token, and answers 401 once revoked', async () => {
  const { page, context } = admin;
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: pipeline.server.url });
  await page.goto('/admin/account');
  const createForm = page.getByRole('form', { name: 'Create a token' });

  await createForm.getByLabel("New token's name").fill('tourism board sync');
  await createForm.getByRole('button', { name: 'Create token' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'I have copied it' }).click();

  await createForm.getByLabel("New token's name").fill('nightly export script');
  await createForm.getByRole('button', { name: 'Create token' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.textContent()).resolves.toContain('it will not be shown again');
  const token = (await dialog.getByTestId('new-token').textContent())!;
  expect(token.length).toBeGreaterThan(20);
  await dialog.getByRole('button', { name: 'Copy token' }).click();
  await dialog.getByRole('button', { name: 'Copied', exact: true }).waitFor();
  await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(token);
  await dialog.getByRole('button', { name: 'I have copied it' }).click();
  await dialog.waitFor({ state: 'hidden' });

  // shown once: neither the page nor a reload of it has the token any more
  await expect(page.content()).resolves.not.toContain(token);
  await page.reload();
  const row = page.locator('tr[data-token="nightly export script"]');
  await row.waitFor();
  await expect(page.content()).resolves.not.toContain(token);

  const script = await browser.newContext({ baseURL: pipeline.server.url });
  try {
    const me = await script.request.get('/api/v1/auth/me', { headers: { authorization: `Bearer ${token}` } });
    expect(me.status()).toBe(200);
    expect((await me.json()).user.email).toBe(adminUser.email);

    await page.reload();
    await expect(row.textContent()).resolves.not.toContain('never'); // last used just now
    await screenshot(page, 'account');

    await row.getByRole('button', { name: 'Revoke' }).click();
    const confirm = page.getByRole('dialog');
    await expect(confirm.textContent()).resolves.toContain('stop working at once');
    await confirm.getByRole('button', { name: 'Revoke token' }).click();
    await row.waitFor({ state: 'detached' });
    await expect(page.locator('tr[data-token="tourism board sync"]').isVisible()).resolves.toBe(true);

    const after = await script.request.get('/api/v1/auth/me', { headers: { authorization: `Bearer ${token}` } });
    expect(after.status()).toBe(401);
  } finally {
    await script.close();
  }
  expect(admin.problems).toEqual([]);
});
