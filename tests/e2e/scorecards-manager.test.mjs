// e2e: needs demo data (run-with-server.sh seeds `atrium demo` for test files carrying this line)
//
// Scorecards as a manager, not an administrator: a regional manager of the demo data signs in,
// runs the sales rep scorecard and sees exactly the people of their region (computed from the
// user and department APIs as the administrator, never hard-coded), never a rep of another
// region; a KPI row opens that KPI's chart for the person (drawn pixels, narrowed to the person);
// the scorecard, an evaluation cycle and a dashboard download as XLSX ("PK") and PDF ("%PDF").
// A rep gets the "not allowed" page for scorecards and evaluations.
import { readFileSync } from 'node:fs';
import { openBrowser, login, screenshot, suite, assert, assertNoProblems, apiCall, drawnPixels, requireEndpoint, uniq, BASE } from './lib.mjs';

// Every demo user's password (README, `atrium demo` output).
const DEMO_PASSWORD = process.env.ATRIUM_DEMO_PASSWORD || 'Demo-Password-2026';

const s = suite('scorecards as a manager');
const b = await openBrowser();
const { context, page, problems } = b;

let manager = null;       // {id, email, display_name, department_id}
let managerPath = '';
let expectedIds = [];     // the reps a sales rep scorecard of the manager's region lists
let everyoneIds = [];
let users = [];     // everyone of the region (the role filter set to "All roles")
let outsider = null;      // a rep of another region

async function notLoading() {
  await page.waitForFunction(() => !document.querySelector('#main .state-loading'), null, { timeout: 30000 });
}

/** Ends the session; the next user works in English whatever their profile says (demo users are half zh-CN). */
async function signOut() {
  await context.clearCookies();
  await page.goto(`${BASE}/#/login`);
  await page.evaluate(() => localStorage.setItem('atrium.locale', 'en'));
  await page.reload();
  await page.locator('#login-email').waitFor();
}

/** Clicks a download button and returns {name, bytes}. */
async function downloadFrom(selector) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator(selector).click()]);
  const file = await dl.path();
  return { name: dl.suggestedFilename(), bytes: readFileSync(file) };
}

async function rankingIds() {
  return page.locator('.sc-ranking tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.dataset.key)));
}

s.test('the administrator finds a regional manager, their people and a rep elsewhere', async () => {
  await login(page);
  await requireEndpoint(page, 'GET /api/v1/reports/scorecards');
  users = (await apiCall(page, 'GET', '/api/v1/admin/users?limit=200&active=true')).data.items;
  const departments = (await apiCall(page, 'GET', '/api/v1/departments')).data.items;
  const pathOf = new Map(departments.map((d) => [d.id, String(d.path)]));
  const hasChildren = (id) => departments.some((d) => d.parent_id === id);
  // A manager whose department has sub-departments (a region, not a team) and a parent (not the company).
  manager = users.find((u) => u.roles.includes('manager') && /@demo\.atrium\.example$/.test(u.email)
    && hasChildren(u.department_id) && departments.find((d) => d.id === u.department_id).parent_id);
  assert(manager, 'the demo data has a regional manager');
  managerPath = pathOf.get(manager.department_id);
  const inRegion = (u) => String(pathOf.get(u.department_id) || '').startsWith(managerPath);
  // The sales rep template scores reps (its subject_roles); the manager is not one of them.
  expectedIds = users.filter((u) => inRegion(u) && u.roles.includes('rep')).map((u) => u.id).sort((x, y) => x - y);
  everyoneIds = users.filter(inRegion).map((u) => u.id).sort((x, y) => x - y);
  outsider = users.find((u) => u.roles.includes('rep') && !inRegion(u));
  assert(expectedIds.length > 2 && !expectedIds.includes(manager.id) && everyoneIds.includes(manager.id), `reps of the region: ${expectedIds}`);
  assert(outsider, 'a rep of another region');
});

s.test('the manager runs the sales rep scorecard and sees only their region', async () => {
  await signOut();
  await login(page, manager.email, DEMO_PASSWORD);
  const nav = await page.locator('#sidebar').textContent();
  assert(/Scorecards/.test(nav), `the manager's navigation offers Scorecards: ${nav}`);
  await page.locator('#sidebar a[data-nav="scorecards"]').click();
  await page.locator('#main h1', { hasText: 'Scorecards' }).waitFor();
  await page.locator('#sc-template').waitFor();
  await page.selectOption('#sc-template', 'builtin.sales_rep');
  await page.selectOption('#sc-period', 'this_year');
  await notLoading();
  // Even with "All departments" the server keeps the manager to their department subtree.
  let ids = (await rankingIds()).sort((x, y) => x - y);
  assert(JSON.stringify(ids) === JSON.stringify(expectedIds), `all departments: ${ids} vs the region ${expectedIds}`);
  // Their own team (region) chosen explicitly: the same people.
  await page.selectOption('#sc-department', String(manager.department_id));
  await page.waitForURL(new RegExp(`department_id=${manager.department_id}`));
  await notLoading();
  await page.locator('.sc-ranking tbody tr').first().waitFor();
  ids = (await rankingIds()).sort((x, y) => x - y);
  assert(JSON.stringify(ids) === JSON.stringify(expectedIds), `their region: ${ids} vs ${expectedIds}`);
  assert(!ids.includes(outsider.id), `${outsider.display_name} (${outsider.id}) of another region is not listed`);
  // "All roles" widens it to everyone of the region, the manager included; the choice is kept in the URL.
  assert(await page.locator('#sc-role').inputValue() === 'rep', 'the rep template preselects reps');
  await page.selectOption('#sc-role', '');
  await page.waitForURL(/role=all/);
  await notLoading();
  await page.locator('.sc-ranking tbody tr').first().waitFor();
  ids = (await rankingIds()).sort((x, y) => x - y);
  assert(JSON.stringify(ids) === JSON.stringify(everyoneIds), `every role: ${ids} vs ${everyoneIds}`);
  await page.selectOption('#sc-role', 'rep');
  await notLoading();
  await page.locator('.sc-ranking tbody tr').first().waitFor();
  // The API as the manager agrees with what the page shows.
  const api = await apiCall(page, 'POST', '/api/v1/reports/scorecards/builtin.sales_rep/evaluate',
    { period: { from: `${new Date().getFullYear()}-01-01`, to: `${new Date().getFullYear()}-12-31` }, trend_periods: 0 });
  assert(api.status === 200, `evaluate as the manager → ${api.status}`);
  assert(!api.data.subjects.some((x) => x.id === outsider.id), 'the API does not list the outsider either');
  await screenshot(page, 'scorecard-manager');
  assertNoProblems(problems, 'manager scorecard');
});

s.test('a KPI row opens its chart for that person, drawn and narrowed to them', async () => {
  const subjectId = await page.locator('.sc-ranking tbody tr.selected').getAttribute('data-key');
  const row = page.locator('.sc-detail tbody tr').first();
  const kpiName = (await row.locator('.sc-kpi-open').textContent()).trim();
  const [request] = await Promise.all([
    page.waitForRequest((r) => /\/api\/v1\/reports\/kpis\/[^/]+\/evaluate$/.test(r.url()) && /previous_period/.test(r.postData() || '')),
    row.locator('.sc-kpi-open').click(),
  ]);
  const sent = JSON.parse(request.postData());
  assert(String(sent.owner_id) === subjectId, `the KPI is evaluated for the person (owner_id ${sent.owner_id}, subject ${subjectId})`);
  const dialog = page.locator('dialog[open]');
  await dialog.locator('h2', { hasText: kpiName }).waitFor();
  await page.locator('#sc-kpi-chart[data-ready="true"] canvas').first().waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('#sc-kpi-chart canvas')].some((c) => {
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 16) if (data[i] > 0) n += 1;
    return n > 200;
  }), null, { timeout: 30000 });
  await page.locator('#sc-kpi-chart[data-drawn="true"]').waitFor();
  const pixels = await drawnPixels(page, '#sc-kpi-chart');
  assert(pixels.some((n) => n > 200), `the KPI chart drew pixels (${pixels})`);
  const periods = await dialog.locator('.sc-kpi-table tbody tr').count();
  assert(periods > 0, 'the chart data is also a table');
  assert(/Actual .* target .* attainment/.test(await dialog.locator('.sc-kpi-summary').textContent()), 'actual, target and attainment summarised');
  await screenshot(page, 'scorecard-manager-kpi-chart');
  // A second KPI row: a ratio or sum, whichever; it must draw as well. The cumulative switch redraws.
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  await page.locator('.sc-detail tbody tr').nth(1).locator('td').first().click();
  await page.locator('#sc-kpi-chart[data-ready="true"] canvas').first().waitFor();
  if (await page.locator('#sc-kpi-cumulative').count()) {
    await page.locator('label[for="sc-kpi-cumulative"]').click();
    assert(await page.locator('#sc-kpi-cumulative').isChecked(), 'cumulative switched on');
  }
  await page.locator('#sc-kpi-chart[data-drawn="true"]').waitFor();
  await screenshot(page, 'scorecard-manager-kpi-chart-2');
  await page.keyboard.press('Escape');
  await page.locator('dialog[open]').waitFor({ state: 'detached' });
  // The chart speaks Chinese too.
  await page.selectOption('#shell-lang', 'zh-CN');
  await page.locator('#main h1', { hasText: '计分卡' }).waitFor();
  await notLoading();
  await page.locator('.sc-detail .sc-kpi-open').first().click();
  await page.locator('dialog[open] .sc-kpi-summary', { hasText: '达成率' }).waitFor();
  await page.locator('#sc-kpi-chart[data-ready="true"]').waitFor();
  assert(/本期/.test(await page.locator('dialog[open]').textContent()), 'Chinese labels in the KPI chart dialog');
  await page.keyboard.press('Escape');
  await page.locator('dialog[open]').waitFor({ state: 'detached' });
  await page.selectOption('#shell-lang', 'en');
  await page.locator('#main h1', { hasText: 'Scorecards' }).waitFor();
  await notLoading();
  assertNoProblems(problems, 'KPI chart');
});

s.test('the scorecard downloads as XLSX and PDF (and CSV with the people)', async () => {
  const xlsx = await downloadFrom('#sc-export-xlsx');
  assert(xlsx.bytes.subarray(0, 2).toString('latin1') === 'PK', `XLSX is a zip (${xlsx.bytes.subarray(0, 4).toString('hex')})`);
  assert(/^scorecard-.*\.xlsx$/.test(xlsx.name), `file name ${xlsx.name}`);
  const pdf = await downloadFrom('#sc-export-pdf');
  assert(pdf.bytes.subarray(0, 4).toString('latin1') === '%PDF', `PDF header (${pdf.bytes.subarray(0, 8).toString('latin1')})`);
  assert(/^scorecard-.*\.pdf$/.test(pdf.name), `file name ${pdf.name}`);
  const csv = await downloadFrom('#sc-export-csv');
  const text = csv.bytes.toString('utf8');
  const someRep = users.find((u) => u.id === expectedIds[0]);
  assert(someRep && text.includes(someRep.display_name), 'the CSV lists the manager\'s people');
  assert(!text.includes(manager.display_name), 'the manager is not scored as a rep');
  assertNoProblems(problems, 'scorecard export');
});

s.test('an evaluation cycle of the region downloads as XLSX and PDF', async () => {
  const year = new Date().getFullYear();
  const created = await apiCall(page, 'POST', '/api/v1/reports/evaluations', {
    name: uniq('E2E manager cycle'), scorecard: 'builtin.sales_rep', period: { from: `${year}-01-01`, to: `${year}-06-30` },
    participants: { department_id: manager.department_id }, adjustment_bound: 5,
  });
  assert(created.status === 201, `cycle created as the manager → ${created.status} ${JSON.stringify(created.data)}`);
  await page.goto(`${BASE}/#/evaluations/${created.data.id}`);
  await page.locator('#eval-export-xlsx').waitFor();
  const xlsx = await downloadFrom('#eval-export-xlsx');
  assert(xlsx.bytes.subarray(0, 2).toString('latin1') === 'PK' && /^evaluation-.*\.xlsx$/.test(xlsx.name), `XLSX ${xlsx.name}`);
  const pdf = await downloadFrom('#eval-export-pdf');
  assert(pdf.bytes.subarray(0, 4).toString('latin1') === '%PDF' && /^evaluation-.*\.pdf$/.test(pdf.name), `PDF ${pdf.name}`);
  assertNoProblems(problems, 'evaluation export');
});

s.test('a dashboard downloads as XLSX and PDF for the filters on screen', async () => {
  const list = await apiCall(page, 'GET', '/api/v1/reports/dashboards');
  const first = list.data.items[0];
  assert(first, 'the manager sees a dashboard');
  await page.goto(`${BASE}/#/dashboards/${encodeURIComponent(first.id)}`);
  await page.locator('#dashboard-export-xlsx').waitFor();
  const [req, xlsx] = await Promise.all([
    page.waitForRequest((r) => r.url().includes('/export?format=xlsx')),
    downloadFrom('#dashboard-export-xlsx'),
  ]);
  assert(req.headers()['x-csrf-token'], 'the export carries the CSRF token');
  const doc = (await apiCall(page, 'GET', `/api/v1/reports/dashboards/${encodeURIComponent(first.id)}`)).data;
  if ((doc.filters || []).some((f) => f.type === 'period')) assert(JSON.parse(req.postData()).filters.period, 'the export carries the period on screen');
  assert(xlsx.bytes.subarray(0, 2).toString('latin1') === 'PK' && /^dashboard-.*\.xlsx$/.test(xlsx.name), `XLSX ${xlsx.name}`);
  const pdf = await downloadFrom('#dashboard-export-pdf');
  assert(pdf.bytes.subarray(0, 4).toString('latin1') === '%PDF' && /^dashboard-.*\.pdf$/.test(pdf.name), `PDF ${pdf.name}`);
  assertNoProblems(problems, 'dashboard export');
});

s.test('a rep gets a clear "not allowed" page for scorecards and evaluations', async () => {
  await signOut();
  await login(page, outsider.email, DEMO_PASSWORD);
  assert(!/Scorecards/.test(await page.locator('#sidebar').textContent()), 'no Scorecards entry for a rep');
  await page.goto(`${BASE}/#/scorecards`);
  await page.locator('#main h1', { hasText: 'Access denied' }).waitFor();
  assert(/permission/i.test(await page.locator('#main').textContent()), 'the page says why');
  assert(await page.locator('#main a.btn').count() > 0, 'and offers a way back');
  await screenshot(page, 'scorecard-rep-denied');
  const year = new Date().getFullYear();
  const res = await apiCall(page, 'POST', '/api/v1/reports/scorecards/builtin.sales_rep/evaluate', { period: { from: `${year}-01-01`, to: `${year}-12-31` } });
  assert(res.status === 403, `the server refuses the rep too (${res.status})`);
  await page.goto(`${BASE}/#/evaluations`);
  await page.locator('#main h1', { hasText: 'Access denied' }).waitFor();
  assertNoProblems(problems, 'rep');
});

await s.run();
await b.close();
