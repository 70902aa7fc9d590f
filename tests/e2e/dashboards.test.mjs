// e2e: needs demo data (run-with-server.sh seeds `atrium demo` for test files carrying this line)
// Dashboards on the demo data: the built-in sales dashboard shows every widget with data (charts
// have drawn pixels, not just a canvas), a department filter changes the numbers to what the API
// computes for that department, a drill-down lists exactly the records behind a point, exports
// download, and the dashboard renders in Chinese.
import { openBrowser, login, screenshot, suite, assert, assertNoProblems, apiCall, drawnPixels, BASE } from './lib.mjs';

const s = suite('dashboards');
const b = await openBrowser();
const { page, problems } = b;
const DASHBOARD = 'builtin.sales_overview';
const CHARTS = ['line', 'bar', 'stacked_bar', 'pie', 'donut', 'funnel', 'gauge', 'heatmap', 'scatter'];
let dashboard = null;
let uiFilters = null; // the filters the page itself rendered with (period resolved to from/to)

async function settled() {
  await page.waitForFunction(() => {
    const ws = document.querySelectorAll('.widget');
    const grid = document.querySelector('.dash-grid');
    return ws.length > 0 && grid && grid.getAttribute('aria-busy') !== 'true'
      && [...ws].every((w) => w.dataset.state !== 'loading' && w.getAttribute('aria-busy') !== 'true');
  }, null, { timeout: 30000 });
  await page.waitForTimeout(700); // ECharts' entry animation
}

/** The whole number a KPI card shows in full (its title attribute; the text may be compact). */
async function kpiNumber(id) {
  const title = await page.locator(`.widget[data-widget-id="${id}"] .kpi-value`).getAttribute('title');
  const digits = String(title || '').replace(/[^\d.-]/g, '');
  assert(digits !== '', `KPI ${id} shows a number (${title})`);
  return Number(digits);
}

/** The same dashboard rendered through the API with `filters`. */
async function rendered(filters) {
  const res = await apiCall(page, 'POST', `/api/v1/reports/dashboards/${DASHBOARD}/render`, { filters });
  assert(res.status === 200, `render → ${res.status} ${JSON.stringify(res.data)}`);
  return res.data.widgets;
}

s.test('sign in; the dashboard list links the built-in sales dashboard', async () => {
  await login(page);
  const res = await apiCall(page, 'GET', '/api/v1/reports/dashboards');
  assert(res.status === 200, `GET /api/v1/reports/dashboards → ${res.status}`);
  const items = res.data.items || [];
  dashboard = items.find((d) => d.id === DASHBOARD);
  assert(dashboard, `the sales plugin ships ${DASHBOARD}: ${items.map((d) => d.id).join(', ')}`);
  await page.goto(`${BASE}/#/dashboards`);
  await page.locator('#main h1', { hasText: 'Dashboards' }).waitFor();
  await page.waitForFunction(() => !document.querySelector('#main .state-loading'));
  assert(await page.locator('#main .card-link').count() === items.length, 'one card per dashboard');
  await screenshot(page, 'dashboards-list');
});

s.test('every widget shows data; charts draw pixels; KPI cards match the API', async () => {
  const [request] = await Promise.all([
    page.waitForRequest((r) => r.url().includes(`/dashboards/${DASHBOARD}/render`) && r.method() === 'POST'),
    page.goto(`${BASE}/#/dashboards/${DASHBOARD}`),
  ]);
  uiFilters = JSON.parse(request.postData() || '{}').filters || {};
  await page.locator('.dash-grid').waitFor();
  await settled();
  const widgets = await page.locator('.widget').evaluateAll((ws) => ws.map((w) => ({ id: w.dataset.widgetId, type: w.dataset.type, state: w.dataset.state })));
  assert(widgets.length >= 6, `the six widgets of the sales overview (${widgets.length})`);
  const notReady = widgets.filter((w) => w.state !== 'ready');
  assert(notReady.length === 0, `every widget has data on the demo (${JSON.stringify(notReady)})`);
  for (const w of widgets) {
    const sel = `.widget[data-widget-id="${w.id}"]`;
    if (CHARTS.includes(w.type)) {
      const pixels = await drawnPixels(page, sel);
      assert(pixels.length > 0 && pixels.some((n) => n > 200), `${w.type} ${w.id} drew pixels (${pixels.join(',')})`);
    } else if (w.type === 'kpi') {
      assert((await page.locator(`${sel} .kpi-value`).textContent()).trim() !== '', `kpi ${w.id} shows a value`);
    } else {
      assert(await page.locator(`${sel} tbody tr, ${sel} .lb-row`).count() > 0, `${w.type} ${w.id} has rows`);
    }
  }
  const api = await rendered(uiFilters);
  const won = await kpiNumber('kpi1');
  assert(won > 0, `deals were won in the last 12 months of the demo (${won})`);
  assert(won === Number(api.kpi1.data.value), `the card shows what the API computes (${won} vs ${api.kpi1.data.value})`);
  // The leaderboard: highest amount first, the amount shown as the value (not the rank).
  const board = await page.locator('.widget[data-widget-id="leaders"] .lb-row').evaluateAll((rows) => rows.map((r) => ({
    value: Number(r.dataset.value), rank: r.querySelector('.lb-rank').textContent.trim(), name: r.querySelector('.lb-name').textContent.trim(),
  })));
  assert(board.length > 1, `leaderboard rows (${board.length})`);
  assert(board.every((r, i) => i === 0 || board[i - 1].value >= r.value), `highest first: ${board.map((r) => r.value)}`);
  const amounts = api.leaders.data.rows.map((r) => Number(r[r.length - 1]));
  assert(board[0].value === Math.max(...amounts) && board[0].rank === '1', `the top performer leads: ${JSON.stringify(board[0])} vs ${Math.max(...amounts)}`);
  await screenshot(page, 'dashboard-rendered');
  assertNoProblems(problems, 'dashboard render');
});

s.test('a department filter changes the numbers to that department\'s', async () => {
  const all = await kpiNumber('kpi1');
  const select = page.locator('#flt-department_id');
  const options = await select.locator('option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  assert(options.length > 1, `departments to pick from (${options.length})`);
  // The first department whose number differs from the whole company's (a sales region).
  let picked = null;
  let expected = null;
  for (const id of options) {
    const w = await rendered({ ...uiFilters, department_id: Number(id) });
    const v = Number(w.kpi1.data.value);
    if (v > 0 && v < all) { picked = id; expected = v; break; }
  }
  assert(picked, 'a department with part of the deals');
  const [request] = await Promise.all([
    page.waitForRequest((r) => r.url().includes('/render') && r.method() === 'POST'),
    select.selectOption(picked),
  ]);
  const body = JSON.parse(request.postData() || '{}');
  assert(Number(body.filters.department_id) === Number(picked), `the filter is sent: ${request.postData()}`);
  await settled();
  await page.waitForFunction(([sel, before]) => {
    const el = document.querySelector(sel);
    return el && el.getAttribute('title') && el.getAttribute('title').replace(/[^\d.-]/g, '') !== String(before);
  }, [`.widget[data-widget-id="kpi1"] .kpi-value`, all], { timeout: 15000 });
  const now = await kpiNumber('kpi1');
  assert(now === expected, `the card shows the department's number (${now}, API ${expected}, all ${all})`);
  assert(page.url().includes(`department_id=${picked}`), `filter kept in the URL: ${page.url()}`);
  await screenshot(page, 'dashboard-filtered');
  // Back to the whole company for the next tests.
  await select.selectOption('');
  await settled();
});

s.test('a drill-down lists exactly the records behind a point', async () => {
  const trend = page.locator('.widget[data-widget-id="trend"]');
  await trend.locator('[data-action="data"]').click();
  const dataDialog = page.locator('dialog[open]');
  await dataDialog.waitFor();
  // The month with the most deals won.
  const rows = await dataDialog.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td,th')].map((c) => c.textContent.trim())));
  assert(rows.length >= 12, `a row per month (${rows.length})`);
  let best = -1;
  let bestValue = 0;
  rows.forEach((r, i) => {
    const v = Number(String(r[1] || '').replace(/[^\d.-]/g, ''));
    if (v > bestValue) { bestValue = v; best = i; }
  });
  assert(best >= 0 && bestValue > 0, `a month with deals won: ${JSON.stringify(rows)}`);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().includes('/widgets/trend/drill') && r.request().method() === 'POST'),
    dataDialog.locator('tbody tr').nth(best).locator('.link-btn').click(),
  ]);
  const drill = await response.json();
  await page.waitForFunction(() => document.querySelectorAll('dialog[open]').length === 2 && !document.querySelector('dialog[open] .state-loading'));
  const records = page.locator('dialog[open]').last();
  assert(await records.locator('.state-error').count() === 0, 'drill-down answered');
  const shown = await records.locator('tbody tr').count();
  assert(shown === bestValue, `one record per deal won that month (${shown} rows, chart ${bestValue})`);
  assert(drill.rows.length === bestValue && !drill.truncated, `the API agrees (${drill.rows.length})`);
  // Every record is a won deal closed in that month, named as the charts name it.
  const col = (name) => drill.columns.findIndex((c) => c.name === name);
  const status = col('status');
  const closed = col('closed_at');
  assert(status >= 0 && closed >= 0, `status and close date listed: ${drill.columns.map((c) => c.name)}`);
  const months = new Set(drill.rows.map((r) => String(r[closed]).slice(0, 7)));
  assert(months.size === 1, `all closed in one month: ${[...months]}`);
  assert(drill.rows.every((r) => r[status] === 'Won'), `all won, shown by label: ${[...new Set(drill.rows.map((r) => r[status]))]}`);
  await screenshot(page, 'dashboard-drill');
  await records.locator('.dialog-header button').click();
  await dataDialog.locator('.dialog-header button').click();
});

s.test('CSV and PNG exports download files', async () => {
  const chart = page.locator('.widget[data-widget-id="breakdown"]');
  const [png] = await Promise.all([page.waitForEvent('download'), chart.locator('[data-action="png"]').click()]);
  assert(png.suggestedFilename().endsWith('.png'), 'png file');
  const [csv] = await Promise.all([page.waitForEvent('download'), chart.locator('[data-action="csv"]').click()]);
  assert(csv.suggestedFilename().endsWith('.csv'), 'csv file');
});

s.test('the dashboard renders in Chinese', async () => {
  await page.selectOption('#shell-lang', 'zh-CN');
  await page.locator('.filter-bar label', { hasText: '时间段' }).waitFor();
  await settled();
  const states = await page.locator('.widget').evaluateAll((ws) => ws.map((w) => w.dataset.state));
  assert(states.every((st) => st === 'ready'), `every widget has data in Chinese too (${states})`);
  const breakdown = await page.locator('.widget[data-widget-id="breakdown"] .widget-title').textContent();
  assert(/按/.test(breakdown), `widget titles are Chinese (${breakdown})`);
  await screenshot(page, 'dashboard-zh-CN');
  await page.selectOption('#shell-lang', 'en');
  await settled();
  assertNoProblems(problems, 'dashboard locale switch');
});

await s.run();
await b.close();
