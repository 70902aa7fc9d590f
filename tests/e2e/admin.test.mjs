// Administration pages: plugin status (loaded / refused with reason) and the profile page.
import { openBrowser, login, screenshot, suite, assert, assertNoProblems, apiCall, requireEndpoint, BASE } from './lib.mjs';

const s = suite('admin');
const b = await openBrowser();
const { page, problems } = b;

let pluginsApi = null;

s.test('sign in', async () => {
  await login(page);
  pluginsApi = await apiCall(page, 'GET', '/api/v1/admin/plugins');
});

s.test('the plugin page lists every plugin the server reports, with state and reason', async () => {
  await requireEndpoint(page, 'GET /api/v1/admin/plugins');
  const api = pluginsApi;
  assert(api.status === 200, `GET /api/v1/admin/plugins → ${api.status}`);
  await page.goto(`${BASE}/#/admin/plugins`);
  await page.locator('#main h1', { hasText: 'Plugins' }).waitFor();
  await page.waitForFunction(() => !document.querySelector('#main .state-loading'));
  const plugins = api.data.plugins || [];
  if (!plugins.length) {
    await page.locator('#main .state-empty').waitFor();
  } else {
    const rows = page.locator('#main tbody tr');
    assert(await rows.count() === plugins.length, `one row per plugin (${plugins.length})`);
    for (const p of plugins) {
      const row = page.locator(`#main tbody tr[data-key="${p.id}"]`);
      assert(await row.count() === 1, `row for ${p.id}`);
      assert(await row.locator('.chip').count() === 1, `${p.id} has a state chip`);
      if (p.state === 'refused') assert((await row.textContent()).includes(p.reason), `${p.id} shows the refusal reason`);
    }
  }
  await screenshot(page, 'admin-plugins');
  assertNoProblems(problems, 'plugins page');
});

s.test('the plugin page is translated', async () => {
  await requireEndpoint(page, 'GET /api/v1/admin/plugins');
  await page.selectOption('#shell-lang', 'zh-CN');
  await page.locator('#main h1', { hasText: '插件' }).waitFor();
  await screenshot(page, 'admin-plugins-zh-CN');
  await page.selectOption('#shell-lang', 'en');
  await page.locator('#main h1', { hasText: 'Plugins' }).waitFor();
});

s.test('the profile page shows roles and permissions', async () => {
  await page.goto(`${BASE}/#/profile`);
  await page.locator('#main h1', { hasText: 'My profile' }).waitFor();
  const me = await apiCall(page, 'GET', '/api/v1/auth/me');
  const granted = Object.keys(me.data.user.permissions || {});
  const rows = await page.locator('#main tbody tr').count();
  assert(rows === granted.length, `one row per granted permission (${rows} vs ${granted.length})`);
  if (!granted.length) assert(await page.locator('#main').textContent().then((t) => t.includes('No permissions')), 'says none granted');
  await screenshot(page, 'admin-profile');
  assertNoProblems(problems, 'profile');
});

s.test('an unknown route shows a not-found page inside the shell', async () => {
  await page.goto(`${BASE}/#/no/such/page`);
  await page.locator('#main h1', { hasText: 'Not found' }).waitFor();
  assertNoProblems(problems, 'not found');
});

await s.run();
await b.close();
