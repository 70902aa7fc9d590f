// Administration through the UI: every admin page loads; the admin creates a department and a
// user in it (form), resets a password, disables a user, edits a role; the new user signs in;
// a module disabled for the user's department is absent from their navigation and routes while a
// rep of another department still sees it; the audit log filters and exports what happened.
import {
  openBrowser, login, screenshot, suite, assert, assertNoProblems, apiCall, requireEndpoint, uniq, BASE,
} from './lib.mjs';

const s = suite('admin-users');
const admin = await openBrowser();
const { page, problems } = admin;
const marker = uniq('e2e');
const EAST = `East ${marker}`;
const WEST = `West ${marker}`;
const PASSWORD = 'Rep-Password-2026-e2e!';
const NEW_PASSWORD = 'Rep-Password-2026-reset!';
const userA = { email: `a-${marker}@example.com`, name: `Rep A ${marker}` };
const userB = { email: `b-${marker}@example.com`, name: `Rep B ${marker}` };
let eastId = null;
let westId = null;
let userAId = null;
let userBId = null;

async function settled(p = page) {
  await p.waitForFunction(() => !document.querySelector('#main .state-loading'), null, { timeout: 15000 });
}

s.test('sign in; every admin page loads without errors', async () => {
  await login(page);
  for (const spec of ['GET /api/v1/admin/users', 'GET /api/v1/admin/roles', 'GET /api/v1/admin/permissions', 'GET /api/v1/admin/modules/enablement', 'GET /api/v1/admin/audit']) {
    await requireEndpoint(page, spec);
  }
  const nav = await page.locator('#sidebar a.nav-link').allTextContents();
  for (const label of ['Users', 'Departments', 'Roles & permissions', 'Module enablement', 'Plugins', 'Audit log']) {
    assert(nav.some((t) => t.includes(label)), `admin navigation has ${label}: ${nav.join(', ')}`);
  }
  for (const [hash, heading] of [['#/admin/users', 'Users'], ['#/admin/departments', 'Departments'], ['#/admin/roles', 'Roles & permissions'], ['#/admin/modules', 'Module enablement'], ['#/admin/audit', 'Audit log']]) {
    await page.goto(`${BASE}/${hash}`);
    await page.locator('#main h1', { hasText: heading }).waitFor();
    await settled();
    assert(await page.locator('#main .state-error, #main .state-unavailable').count() === 0, `${hash} shows no error`);
    await screenshot(page, `admin-page-${hash.replace(/\W+/g, '-')}`);
  }
  assertNoProblems(problems, 'admin pages');
});

s.test('the department tree creates a child department and renames it', async () => {
  await page.goto(`${BASE}/#/admin/departments`);
  await page.locator('#dept-tree').waitFor();
  const root = page.locator('#dept-tree > li').first();
  await root.locator('[data-action="add-child"]').first().click();
  await page.locator('dialog[open] #dept-name').fill(`${EAST} draft`);
  await page.locator('dialog[open] #dept-name_zh').fill(`华东${marker}`);
  await page.locator('#dept-save').click();
  await page.locator('dialog[open]').waitFor({ state: 'detached' });
  const item = page.locator(`#dept-tree li.tree-item[data-name="${EAST} draft"]`);
  await item.waitFor();
  eastId = Number(await item.getAttribute('data-id'));
  await item.locator(`[data-action="rename"][data-id="${eastId}"]`).click();
  await page.locator('dialog[open] #dept-name').fill(EAST);
  await page.locator('#dept-save').click();
  await page.locator(`#dept-tree li.tree-item[data-name="${EAST}"][data-id="${eastId}"]`).waitFor();
  await screenshot(page, 'admin-departments-tree');
  // The second department for the other rep, through the API.
  const depts = await apiCall(page, 'GET', '/api/v1/departments');
  const rootId = depts.data.items.find((d) => !d.parent_id).id;
  const west = await apiCall(page, 'POST', '/api/v1/departments', { name: WEST, name_zh: `华西${marker}`, parent_id: rootId });
  assert(west.status === 201 || west.status === 200, `POST department → ${west.status}`);
  westId = west.data.id;
  assertNoProblems(problems, 'departments');
});

s.test('the admin creates a user in the new department through the form', async () => {
  await page.goto(`${BASE}/#/admin/users`);
  await page.locator('#user-new').click();
  await page.locator('#user-email').waitFor();
  await page.locator('#user-save').click();
  await page.locator('#user-email-err').waitFor({ state: 'visible' });
  assert(await page.locator('#user-email').getAttribute('aria-invalid') === 'true', 'email marked invalid when empty');
  await page.locator('#user-email').fill(userA.email);
  await page.locator('#user-display_name').fill(userA.name);
  await page.locator('#user-password').fill(PASSWORD);
  await page.locator('#user-title').fill('Account executive');
  await page.selectOption('#user-department_id', String(eastId));
  await page.selectOption('#user-locale', 'en');
  const repBox = page.locator('#user-role-rep');
  if (!(await repBox.isChecked())) await repBox.check();
  await page.locator('#user-save').click();
  await page.waitForURL(/#\/admin\/users\/\d+$/);
  userAId = Number(page.url().split('/').pop());
  await page.locator('#main h1', { hasText: userA.name }).waitFor();
  const user = await apiCall(page, 'GET', `/api/v1/admin/users/${userAId}`);
  assert(user.status === 200 && user.data.department_id === eastId && user.data.roles.includes('rep'), `stored with department and role: ${JSON.stringify(user.data)}`);
  await screenshot(page, 'admin-user-created');
  // The list finds the user by search and shows the department name.
  await page.goto(`${BASE}/#/admin/users`);
  await page.locator('#user-search').fill(marker);
  await page.locator(`#user-results[data-q="${marker}"] tbody tr`).first().waitFor();
  const row = await page.locator('#user-results tbody tr').first().textContent();
  assert(row.includes(userA.name) && row.includes(EAST), `list row has name and department: ${row}`);
  // User B (another department) through the API.
  const b = await apiCall(page, 'POST', '/api/v1/admin/users', { email: userB.email, display_name: userB.name, password: PASSWORD, department_id: westId, roles: ['rep'], locale: 'en' });
  assert(b.status === 201, `POST user B → ${b.status} ${JSON.stringify(b.data)}`);
  userBId = b.data.id;
  assertNoProblems(problems, 'create user');
});

s.test('editing a user keeps the version; a stale edit shows a conflict', async () => {
  await page.goto(`${BASE}/#/admin/users/${userAId}`);
  await page.locator('#user-title').waitFor();
  const cur = await apiCall(page, 'GET', `/api/v1/admin/users/${userAId}`);
  const other = await apiCall(page, 'PUT', `/api/v1/admin/users/${userAId}`, { title: 'Changed elsewhere', version: cur.data.version });
  assert(other.status === 200, `concurrent PUT → ${other.status}`);
  await page.locator('#user-title').fill('Senior account executive');
  await page.locator('#user-save').click();
  await page.locator('.form-error:not([hidden])').waitFor();
  await screenshot(page, 'admin-user-conflict');
  await page.goto(`${BASE}/#/admin/users/${userAId}?r=1`);
  await page.locator('#user-title').waitFor();
  assert(await page.locator('#user-title').inputValue() === 'Changed elsewhere', 'reload shows the latest version');
  await page.locator('#user-title').fill('Senior account executive');
  await page.locator('#user-save').click();
  await page.waitForURL(/#\/admin\/users(\?|$)/);
  const after = await apiCall(page, 'GET', `/api/v1/admin/users/${userAId}`);
  assert(after.data.title === 'Senior account executive', 'title saved');
});

s.test('reset password through the dialog', async () => {
  await page.goto(`${BASE}/#/admin/users/${userAId}`);
  await page.locator('#user-reset-password').click();
  await page.locator('dialog[open] #reset-password').fill(NEW_PASSWORD);
  await page.locator('dialog[open] #reset-confirm').fill('something else');
  await page.locator('#reset-save').click();
  await page.locator('#reset-confirm-err').waitFor({ state: 'visible' });
  await page.locator('dialog[open] #reset-confirm').fill(NEW_PASSWORD);
  await page.locator('#reset-save').click();
  await page.locator('dialog[open]').waitFor({ state: 'detached' });
  assertNoProblems(problems, 'reset password');
});

s.test('the role editor shows every catalogue permission with a scope and saves a custom role', async () => {
  const perms = await apiCall(page, 'GET', '/api/v1/admin/permissions');
  await page.goto(`${BASE}/#/admin/roles/new`);
  await page.locator('#role-permissions').waitFor();
  const rows = await page.locator('#role-permissions tbody tr').count();
  assert(rows === perms.data.items.length, `one row per permission (${rows} / ${perms.data.items.length})`);
  const roleName = `e2e-${marker.toLowerCase().replace(/[^a-z0-9]/g, '')}`.slice(0, 60);
  await page.locator('#role-name').fill(roleName);
  await page.locator('#role-description').fill('Reads accounts of the department, no phones');
  await page.selectOption('#perm-core-account-read', 'department');
  await page.locator('#role-denied-input').fill('core.account.phone');
  await page.locator('#role-denied-add').click();
  await page.locator('#role-denied-list code', { hasText: 'core.account.phone' }).waitFor();
  await screenshot(page, 'admin-role-editor');
  await page.locator('#role-save').click();
  await page.waitForURL(/#\/admin\/roles\/\d+$/);
  const id = page.url().split('/').pop();
  const role = await apiCall(page, 'GET', `/api/v1/admin/roles/${id}`);
  assert(role.data.permissions['core.account.read'] === 'department', `scope saved: ${JSON.stringify(role.data.permissions)}`);
  assert(role.data.denied_fields.includes('core.account.phone'), 'hidden field saved');
  assertNoProblems(problems, 'role editor');
});

s.test('the new user signs in with the reset password and sees the core pages only', async () => {
  const other = await openBrowser();
  try {
    await login(other.page, userA.email, NEW_PASSWORD);
    const nav = await other.page.locator('#sidebar a.nav-link').allTextContents();
    assert(nav.some((t) => t.includes('Accounts')), `rep sees Accounts: ${nav.join(', ')}`);
    assert(!nav.some((t) => /Users|Roles|Audit/.test(t)), `rep sees no admin pages: ${nav.join(', ')}`);
    await screenshot(other.page, 'admin-new-user-signed-in');
    assertNoProblems(other.problems, 'new user');
  } finally {
    await other.close();
  }
});

s.test('a module disabled for a department is gone for its reps, still there for other departments', async () => {
  // Needs a loaded business module with pages: the sales plugin.
  await requireEndpoint(page, 'GET /api/v1/sales/pipelines');
  const plugins = await apiCall(page, 'GET', '/api/v1/admin/plugins');
  assert((plugins.data.plugins || []).some((p) => p.id === 'sales' && p.state === 'loaded'), 'the sales plugin is loaded');
  await page.goto(`${BASE}/#/admin/modules`);
  await page.locator('#modules-matrix').waitFor();
  const cell = page.locator(`#mod-sales-${eastId}`);
  assert(await cell.isChecked(), 'sales is on for the new department (inherited)');
  assert(await cell.getAttribute('data-source') !== 'own', 'inherited before the change');
  await cell.click();
  await page.locator(`#mod-sales-${eastId}[data-source="own"]`).waitFor();
  assert(!(await page.locator(`#mod-sales-${eastId}`).isChecked()), 'now off for the department');
  assert(await page.locator(`#mod-sales-${westId}`).isChecked(), 'still on for the other department');
  await screenshot(page, 'admin-modules-matrix');

  const repA = await openBrowser();
  const repB = await openBrowser();
  try {
    await login(repA.page, userA.email, NEW_PASSWORD);
    const navA = await repA.page.locator('#sidebar').textContent();
    assert(!/Opportunities|Leads|Forecast/.test(navA), `rep A has no sales pages: ${navA}`);
    const meA = await apiCall(repA.page, 'GET', '/api/v1/auth/me');
    assert(!meA.data.modules.some((m) => m.id === 'sales'), 'sales not among rep A modules');
    // No page: neither the plugin's URL nor an old link.
    for (const hash of ['#/m/sales/opportunities', '#/m/sales/leads', '#/sales/opportunities']) {
      await repA.page.goto(`${BASE}/${hash}`);
      await repA.page.locator('#main h1', { hasText: 'Not found' }).waitFor();
    }
    const apiA = await apiCall(repA.page, 'GET', '/api/v1/sales/opportunities');
    assert(apiA.status === 403 || apiA.status === 404, `the API refuses rep A too (${apiA.status})`);
    // Nothing of the module was even loaded: no script, bundle or stylesheet.
    const servedA = await repA.page.evaluate(() => performance.getEntriesByType('resource').map((r) => new URL(r.name).pathname));
    assert(!servedA.some((p) => p.startsWith('/plugins/sales/')), `rep A loaded no sales file: ${servedA.filter((p) => p.startsWith('/plugins/')).join(', ')}`);
    // No panel on the account page.
    const accA = await apiCall(repA.page, 'POST', '/api/v1/accounts', { name: `East Trading ${marker}` });
    assert(accA.status === 201 || accA.status === 200, `rep A creates an account (${accA.status})`);
    await repA.page.goto(`${BASE}/#/accounts/${accA.data.id}`);
    await repA.page.locator('#acc-info-h').waitFor();
    await repA.page.locator('#acc-contacts-h').waitFor();
    await repA.page.waitForTimeout(300);
    assert(await repA.page.locator('#acc-opps, [data-module="sales"]').count() === 0, 'no sales panel on the account page');
    // Nothing in the global search or the New menu.
    await repA.page.locator('#global-search').fill(`East Trading ${marker}`);
    await repA.page.locator('#global-search-results [data-provider="core-accounts"] a').first().waitFor();
    assert(await repA.page.locator('#global-search-results [data-provider="sales"]').count() === 0, 'no sales search group');
    await repA.page.locator('#global-search').press('Escape');
    await repA.page.locator('#new-menu-button').click();
    await repA.page.locator('#new-menu [role=menuitem]').first().waitFor();
    assert(await repA.page.locator('#new-menu [data-module="sales"]').count() === 0, 'no sales item in New');
    await screenshot(repA.page, 'admin-module-hidden-rep-a');

    await login(repB.page, userB.email, PASSWORD);
    const navB = await repB.page.locator('#sidebar').textContent();
    assert(/Opportunities/.test(navB), `rep B (other department) sees sales: ${navB}`);
    await repB.page.goto(`${BASE}/#/m/sales/opportunities`);
    await repB.page.locator('#main h1', { hasText: 'Opportunities' }).waitFor();
    const accB = await apiCall(repB.page, 'POST', '/api/v1/accounts', { name: `West Trading ${marker}` });
    await repB.page.goto(`${BASE}/#/accounts/${accB.data.id}`);
    await repB.page.locator('#acc-opps').waitFor();
    await repB.page.locator('#new-menu-button').click();
    await repB.page.locator('#new-menu [data-module="sales"]').first().waitFor();
    await screenshot(repB.page, 'admin-module-visible-rep-b');
    assertNoProblems(repA.problems, 'rep A');
    assertNoProblems(repB.problems, 'rep B');
  } finally {
    await repA.close();
    await repB.close();
  }
});

s.test('disabling a user ends their access', async () => {
  await page.goto(`${BASE}/#/admin/users/${userBId}`);
  await page.locator('#user-disable').click();
  await page.locator('dialog[open] .btn-danger').click();
  await page.locator('#user-enable').waitFor();
  const u = await apiCall(page, 'GET', `/api/v1/admin/users/${userBId}`);
  assert(u.data.active === false, 'stored as disabled');
  const status = await page.evaluate(async (email) => (await fetch('/api/v1/auth/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, credentials: 'omit', body: JSON.stringify({ email, password: 'Rep-Password-2026-e2e!' }),
  })).status, userB.email);
  assert(status === 401 || status === 403, `a disabled user cannot sign in (${status})`);
  await screenshot(page, 'admin-user-disabled');
});

s.test('the audit log filters by record and exports the same filter as CSV', async () => {
  await page.goto(`${BASE}/#/admin/audit`);
  await page.locator('#audit-entity-type').fill('user');
  await page.locator('#audit-entity-id').fill(String(userAId));
  await page.locator('#audit-apply').click();
  await page.waitForFunction(() => location.hash.includes('entity_type=user'));
  // The results are those of the filtered query once that load (not an aborted earlier one) ends.
  await page.waitForFunction((id) => {
    const body = document.querySelector('#audit-results');
    return body && body.getAttribute('aria-busy') === 'false' && (body.dataset.query || '').includes(`entity_id=${id}`);
  }, userAId);
  await page.locator('#audit-results tbody tr').first().waitFor();
  const rows = await page.locator('#audit-results tbody tr[data-key]').count();
  assert(rows >= 2, `creation and changes of the user are listed (${rows})`);
  await page.locator('#audit-results tbody tr[data-key] button[aria-expanded]').first().click();
  await page.locator('#audit-results .diff').first().waitFor();
  const hrefCsv = await page.locator('#audit-csv').getAttribute('href');
  assert(hrefCsv.includes('entity_type=user') && hrefCsv.includes(`entity_id=${userAId}`), `CSV link carries the filters: ${hrefCsv}`);
  const csv = await page.evaluate(async (url) => { const r = await fetch(url, { credentials: 'same-origin' }); return { status: r.status, type: r.headers.get('Content-Type'), text: await r.text() }; }, hrefCsv);
  assert(csv.status === 200 && /csv/.test(csv.type), `CSV export works (${csv.status} ${csv.type})`);
  assert(csv.text.split('\r\n').filter(Boolean).length === rows + 1, 'CSV has the same rows as the page plus a header');
  await screenshot(page, 'admin-audit-filtered');
  assertNoProblems(problems, 'audit');
});

await s.run();
await admin.close();
