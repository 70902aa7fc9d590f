// Language switch: zh-CN translates the navigation (core, admin and module entries) and formats
// numbers, currency and dates the Chinese way; switching back restores English. The sales check
// (compact currency in 万 on the opportunity list) needs the sales plugin.
import { openBrowser, login, screenshot, suite, assert, assertNoProblems, apiCall, requireEndpoint, uniq, BASE } from './lib.mjs';

const s = suite('i18n');
const b = await openBrowser();
const { page, problems } = b;
const marker = uniq('e2e');
let accountId = null;

async function toLocale(loc) {
  await page.selectOption('#shell-lang', loc);
  await page.waitForFunction((l) => document.documentElement.lang === l, loc);
}

s.test('sign in and create an account with a large head count', async () => {
  await login(page);
  const res = await apiCall(page, 'POST', '/api/v1/accounts', { name: `Zhongshan Machinery ${marker}`, industry: 'Manufacturing', employees: 1234567, city: 'Suzhou', country: 'CN' });
  assert(res.status === 201 || res.status === 200, `POST account → ${res.status} ${JSON.stringify(res.data)}`);
  accountId = res.data.id;
});

s.test('both translation files have exactly the same keys', async () => {
  const diff = await page.evaluate(async () => {
    const keys = (o, p = '') => Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' ? keys(v, `${p}${k}.`) : [`${p}${k}`]));
    const [en, zh] = await Promise.all(['en', 'zh-CN'].map((l) => fetch(`/i18n/${l}.json`).then((r) => r.json())));
    const a = new Set(keys(en)); const b = new Set(keys(zh));
    return { onlyEn: [...a].filter((k) => !b.has(k)), onlyZh: [...b].filter((k) => !a.has(k)), count: a.size };
  });
  assert(!diff.onlyEn.length && !diff.onlyZh.length, `keys differ: only in en ${diff.onlyEn.join(', ')}; only in zh-CN ${diff.onlyZh.join(', ')}`);
  assert(diff.count > 500, `a full set of strings (${diff.count})`);
});

s.test("each module's bundle has the same keys in both languages", async () => {
  const result = await page.evaluate(async () => {
    const keys = (o, p = '') => Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' ? keys(v, `${p}${k}.`) : [`${p}${k}`]));
    const me = await fetch('/api/v1/auth/me').then((r) => r.json());
    const out = [];
    for (const m of me.modules.filter((x) => x.ui)) {
      const [en, zh] = await Promise.all(['en', 'zh-CN'].map((l) => fetch(`/plugins/${m.id}/i18n/${l}.json`).then((r) => (r.ok ? r.json() : null))));
      if (!en && !zh) continue;
      const a = new Set(keys(en || {})); const b = new Set(keys(zh || {}));
      out.push({ id: m.id, count: a.size, onlyEn: [...a].filter((k) => !b.has(k)), onlyZh: [...b].filter((k) => !a.has(k)) });
    }
    return out;
  });
  assert(result.some((r) => r.id === 'sales' && r.count > 150), `the sales bundle is served: ${JSON.stringify(result.map((r) => [r.id, r.count]))}`);
  for (const r of result) assert(!r.onlyEn.length && !r.onlyZh.length, `${r.id}: only in en ${r.onlyEn.join(', ')}; only in zh-CN ${r.onlyZh.join(', ')}`);
});

s.test('switching to zh-CN translates the whole navigation', async () => {
  await page.goto(`${BASE}/#/admin/users`);
  await page.locator('#main h1', { hasText: 'Users' }).waitFor();
  const before = await page.locator('#sidebar').textContent();
  assert(/Accounts/.test(before) && /Audit log/.test(before), `English navigation first: ${before}`);
  await toLocale('zh-CN');
  await page.locator('#main h1', { hasText: '用户' }).waitFor();
  const nav = await page.locator('#sidebar').textContent();
  for (const zh of ['客户', '联系人', '系统管理', '用户', '部门', '角色与权限', '模块启用', '插件', '审计日志']) {
    assert(nav.includes(zh), `navigation has ${zh}: ${nav}`);
  }
  assert(!/Accounts|Contacts|Users|Departments|Audit log|Administration/.test(nav), `no English left in the navigation: ${nav}`);
  assert((await page.locator('#user-menu-button').getAttribute('aria-expanded')) === 'false', 'user menu still works');
  assert((await page.title()).includes('用户'), `document title translated: ${await page.title()}`);
  await screenshot(page, 'i18n-zh-CN-admin-users');
  assertNoProblems(problems, 'zh-CN navigation');
});

s.test('numbers and dates follow the Chinese locale', async () => {
  await page.goto(`${BASE}/#/accounts/${accountId}`);
  await page.locator('#main h1', { hasText: marker }).waitFor();
  await page.waitForFunction(() => !document.querySelector('#main .state-loading'));
  const text = await page.locator('#main .props').textContent();
  assert(text.includes('1,234,567'), `head count grouped: ${text}`);
  assert(/\d{4}年\d{1,2}月\d{1,2}日/.test(text), `created date in Chinese format: ${text}`);
  await page.goto(`${BASE}/#/admin/audit`);
  await page.locator('#audit-summary').waitFor();
  await page.waitForFunction(() => /\d/.test(document.querySelector('#audit-summary').textContent));
  const summary = await page.locator('#audit-summary').textContent();
  assert(/^共 [\d,]+ 条$/.test(summary.trim()), `audit total in Chinese: ${summary}`);
  const firstTime = await page.locator('#audit-results tbody time').first().textContent();
  assert(/年.*月.*日/.test(firstTime), `audit time in Chinese: ${firstTime}`);
  await screenshot(page, 'i18n-zh-CN-audit');
});

s.test('currency amounts are compact in 万 on the sales pages', async () => {
  await requireEndpoint(page, 'GET /api/v1/sales/opportunities');
  const res = await apiCall(page, 'POST', '/api/v1/sales/opportunities', { name: `Line upgrade ${marker}`, account_id: accountId, amount: 1234567, expected_close_date: '2030-06-30' });
  assert(res.status === 201 || res.status === 200, `POST opportunity → ${res.status} ${JSON.stringify(res.data)}`);
  await page.goto(`${BASE}/#/m/sales/opportunities?q=${encodeURIComponent(marker)}`);
  await page.locator('#main h1', { hasText: '商机' }).waitFor();
  await page.locator(`#opp-results[data-q="${marker}"] tbody tr`).first().waitFor();
  const total = await page.locator('#opp-total-amount .summary-value').textContent();
  assert(/123\.5万/.test(total), `compact amount in 万: ${total}`);
  const cell = await page.locator('#opp-results tbody tr').first().textContent();
  assert(cell.includes('¥1,234,567'), `full amount with grouping: ${cell}`);
  await screenshot(page, 'i18n-zh-CN-opportunities');
  await toLocale('en');
  await page.locator('#main h1', { hasText: 'Opportunities' }).waitFor();
  await page.waitForFunction(() => /M/.test(document.querySelector('#opp-total-amount .summary-value')?.textContent || ''));
  const en = await page.locator('#opp-total-amount .summary-value').textContent();
  assert(/1\.2M/.test(en), `compact amount in English: ${en}`);
});

s.test('switching back to English restores the navigation', async () => {
  await page.goto(`${BASE}/#/accounts`);
  await page.locator('#main h1').waitFor();
  if (await page.evaluate(() => document.documentElement.lang) !== 'en') await toLocale('en');
  await page.locator('#main h1', { hasText: 'Accounts' }).waitFor();
  const nav = await page.locator('#sidebar').textContent();
  assert(/Accounts/.test(nav) && !/客户/.test(nav), `English navigation again: ${nav}`);
  assertNoProblems(problems, 'back to English');
});

await s.run();
await b.close();
