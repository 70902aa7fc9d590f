// e2e: needs demo data (run-with-server.sh seeds `atrium demo` for test files carrying this line)
//
// Dashboard builder and cross-filters, as the demo sales director (a manager): a dashboard built
// through the UI (a KPI card, a bar chart, a line chart; one drag-move and one resize) is saved,
// reloads identically (DOM and GET document) with charts that draw pixels, survives a stale save
// (409 shown, reload), is duplicated and shared. On the dashboard, clicking a bar cross-filters
// the other widgets, the chip removes the filter again, and the records stay one click away.
import { openBrowser, login, screenshot, suite, assert, assertNoProblems, apiCall, requireEndpoint, uniq, BASE } from './lib.mjs';

const MANAGER = 'director@demo.atrium.example';
const DEMO_PASSWORD = 'Demo-Password-2026';

const s = suite('builder');
const b = await openBrowser();
const { page, problems } = b;
const name = uniq('E2E board');
let dashboardId = null;
let built = null; // [{id, type, title, grid}] as the builder showed them before saving

const CARD = (id) => `.builder-card[data-widget-id="${id}"]`;

/**
 * Every widget has finished loading (state set, not busy) and every chart has finished drawing,
 * animation included (data-rendered, from ECharts' "finished" event), with pixels on its canvas.
 */
async function settled(gridSelector) {
  await page.waitForFunction((sel) => {
    const ws = [...document.querySelectorAll(`${sel} .widget`)];
    const drawn = (c) => {
      if (!c.width || !c.height) return 0;
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 16) if (d[i] > 0) n += 1;
      return n;
    };
    return ws.length > 0 && document.querySelector(sel).getAttribute('aria-busy') !== 'true'
      && ws.every((w) => w.dataset.state !== 'loading' && w.getAttribute('aria-busy') !== 'true')
      && ws.filter((w) => w.dataset.state === 'ready' && w.querySelector('.widget-chart'))
        .every((w) => w.querySelector('.widget-chart').dataset.rendered === 'true'
          && [...w.querySelectorAll('canvas')].some((c) => drawn(c) > 200));
  }, gridSelector);
}

/** Widgets as the page shows them: id, type, title, grid position "x,y,w,h". */
async function shownWidgets(gridSelector) {
  return page.locator(`${gridSelector} .widget`).evaluateAll((ws) => ws.map((w) => ({
    id: w.dataset.widgetId, type: w.dataset.type, title: w.querySelector('.widget-title').textContent, grid: w.dataset.grid,
  })).sort((a, c) => a.id.localeCompare(c.id)));
}

async function addWidget(fill) {
  await page.locator('#builder-add').click();
  const dialog = page.locator('dialog[open]');
  await dialog.waitFor();
  await fill(dialog);
  const before = await page.locator('.builder-card').count();
  await dialog.locator('#wd-submit').click();
  await page.waitForFunction((n) => !document.querySelector('dialog[open]') && document.querySelectorAll('.builder-card').length === n + 1, before);
}

/** Drags with the mouse (pointer events) from the centre-left of `locator` by dx, dy pixels. */
async function drag(locator, dx, dy, { atCorner = false } = {}) {
  const box = await locator.boundingBox();
  const x = atCorner ? box.x + box.width / 2 : box.x + Math.min(80, box.width / 3);
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + dx / 2, y + dy / 2, { steps: 5 });
  await page.mouse.move(x + dx, y + dy, { steps: 5 });
  await page.mouse.up();
}

async function gridSteps() {
  return page.locator('#builder-grid').evaluate((g) => {
    const cs = getComputedStyle(g);
    const gap = parseFloat(cs.columnGap);
    return { col: (g.getBoundingClientRect().width - gap * 11) / 12 + gap, row: parseFloat(cs.gridAutoRows) + parseFloat(cs.rowGap) };
  });
}

s.test('a manager opens the builder from the dashboard list', async () => {
  await login(page, MANAGER, DEMO_PASSWORD);
  await requireEndpoint(page, 'GET /api/v1/reports/dashboards');
  await page.goto(`${BASE}/#/dashboards`);
  await page.locator('#dashboard-new').click();
  await page.locator('#main h1', { hasText: 'New dashboard' }).waitFor();
  await page.locator('#builder-name-en').fill(name);
  await page.locator('#builder-name-zh').fill(`${name} 中文`);
});

s.test('validation: a pie without one grouping is refused next to the form', async () => {
  await page.locator('#builder-add').click();
  const dialog = page.locator('dialog[open]');
  await dialog.locator('label[for="wd-source-query"]').click();
  await dialog.locator('#wd-dataset').selectOption('sales.opportunities');
  await dialog.locator('#wd-type').selectOption('pie');
  await dialog.locator('#wd-submit').click();
  await dialog.locator('#wd-type[aria-invalid="true"]').waitFor();
  assert(/exactly one grouping/.test(await dialog.locator('.field-error:not([hidden])').first().textContent()), 'pie grouping message');
  await dialog.locator('.dialog-header button').click();
});

s.test('build a KPI card, a bar chart and a line chart; drag one, resize another', async () => {
  await addWidget(async (d) => {
    await d.locator('#wd-kpi').selectOption('sales.won_revenue');
    await d.locator('#wd-type').selectOption('kpi');
    assert(await d.locator('#wd-title-en').inputValue() === 'Won revenue', 'title filled from the KPI');
    assert(await d.locator('#wd-title-zh').inputValue() === '赢单收入', 'Chinese title filled from the KPI');
  });
  await addWidget(async (d) => {
    await d.locator('label[for="wd-source-query"]').click();
    await d.locator('#wd-dataset').selectOption('sales.opportunities');
    await d.locator('.wd-measure-field').first().selectOption('amount');
    await d.locator('#wd-dimension').selectOption('status');
    await d.locator('#wd-type').selectOption('bar');
    await d.locator('#wd-title-en').fill('Amount by status');
    await d.locator('#wd-title-zh').fill('各状态金额');
    await screenshot(page, 'builder-widget-dialog');
  });
  await addWidget(async (d) => {
    await d.locator('label[for="wd-source-query"]').click();
    await d.locator('#wd-dataset').selectOption('sales.opportunities');
    await d.locator('.wd-measure-field').first().selectOption('amount');
    await d.locator('#wd-time').selectOption('created_at');
    await d.locator('#wd-grain').selectOption('month');
    await d.locator('#wd-type').selectOption('line');
    await d.locator('#wd-title-en').fill('Amount per month');
    await d.locator('#wd-title-zh').fill('每月金额');
  });
  const placed = await shownWidgets('#builder-grid');
  assert(JSON.stringify(placed.map((w) => [w.type, w.grid])) === JSON.stringify([['kpi', '0,0,3,2'], ['bar', '3,0,6,4'], ['line', '0,4,6,4']]),
    `placed in the first free slots: ${JSON.stringify(placed)}`);

  const steps = await gridSteps();
  // Move the KPI card 9 columns to the right (by its header).
  await drag(page.locator(`${CARD('w1')} .widget-header`), steps.col * 9, 0);
  await page.locator(`${CARD('w1')}[data-grid="9,0,3,2"]`).waitFor();
  // Resize the line chart to the full width and one row taller (by its corner).
  await drag(page.locator(`${CARD('w3')} .builder-resize`), steps.col * 6, steps.row, { atCorner: true });
  await page.locator(`${CARD('w3')}[data-grid="0,4,12,5"]`).waitFor();
  await page.locator('#builder-status', { hasText: 'Unsaved changes' }).waitFor();

  // Live preview of the unsaved document: the KPI shows a number, the charts draw.
  await settled('#builder-grid');
  assert((await page.locator(`${CARD('w1')} .kpi-value`).textContent()).trim() !== '', 'KPI value previewed');
  built = await shownWidgets('#builder-grid');
  await screenshot(page, 'builder-built');
  assertNoProblems(problems, 'building');
});

s.test('save, reload: the same widgets, types, titles and positions, in the builder and the dashboard', async () => {
  await page.locator('#builder-save').click();
  await page.waitForURL(/#\/dashboards\/\d+\/edit/);
  dashboardId = page.url().match(/#\/dashboards\/(\d+)\/edit/)[1];
  await page.locator('#main h1', { hasText: name }).waitFor();

  const doc = (await apiCall(page, 'GET', `/api/v1/reports/dashboards/${dashboardId}`)).data;
  const fromDoc = doc.widgets.map((w) => ({ id: w.id, type: w.type, title: w.title.en, grid: `${w.x},${w.y},${w.w},${w.h}` })).sort((a, c) => a.id.localeCompare(c.id));
  assert(JSON.stringify(fromDoc) === JSON.stringify(built), `stored document matches the builder:\n${JSON.stringify(fromDoc)}\n${JSON.stringify(built)}`);
  assert(doc.name['zh-CN'] === `${name} 中文`, 'Chinese name stored');
  assert(doc.widgets.find((w) => w.id === 'w2').title['zh-CN'] === '各状态金额', 'Chinese widget title stored');

  await page.reload();
  await page.locator('#builder-grid .builder-card').first().waitFor();
  await settled('#builder-grid');
  assert(JSON.stringify(await shownWidgets('#builder-grid')) === JSON.stringify(built), 'builder reloads identically');
  assert(await page.locator('#builder-name-en').inputValue() === name, 'name reloaded');

  await page.locator('#builder-open').click();
  await page.locator('.dash-grid:not(.builder-grid) .widget').first().waitFor();
  await settled('.dash-grid');
  assert(JSON.stringify(await shownWidgets('.dash-grid')) === JSON.stringify(built), 'dashboard view shows the same layout');
  await screenshot(page, 'builder-saved-dashboard');
  assertNoProblems(problems, 'save and reload');
});

s.test('a stale save shows "changed elsewhere" and reloads', async () => {
  await page.goto(`${BASE}/#/dashboards/${dashboardId}/edit`);
  await settled('#builder-grid');
  // Someone else saves meanwhile.
  const doc = (await apiCall(page, 'GET', `/api/v1/reports/dashboards/${dashboardId}`)).data;
  const other = await apiCall(page, 'PUT', `/api/v1/reports/dashboards/${dashboardId}`, { ...doc, description: { en: 'changed elsewhere', 'zh-CN': '别处修改' } });
  assert(other.status === 200, `concurrent PUT: ${other.status}`);
  await page.locator('#builder-name-en').fill(`${name} v2`);
  await page.locator('#builder-save').click();
  const banner = page.locator('.form-error:not([hidden])');
  await banner.locator('text=changed elsewhere').waitFor();
  await screenshot(page, 'builder-conflict');
  await page.locator('#builder-reload').click();
  await page.waitForFunction((n) => document.querySelector('#builder-name-en') && document.querySelector('#builder-name-en').value === n, name);
  await page.locator('#builder-name-en').fill(`${name} v2`);
  await page.locator('#builder-save').click();
  await page.locator('#builder-status', { hasText: 'All changes saved' }).waitFor();
  const after = (await apiCall(page, 'GET', `/api/v1/reports/dashboards/${dashboardId}`)).data;
  assert(after.name.en === `${name} v2` && after.version === doc.version + 2, `saved after reload (version ${after.version})`);
  assert(after.description && after.description.en === 'changed elsewhere', 'the other change was kept');
});

s.test('share with a department and a role', async () => {
  await page.locator('#builder-share').click();
  const dialog = page.locator('dialog[open]');
  await dialog.locator('#share-departments input[type=checkbox]').first().waitFor();
  const depId = Number(await dialog.locator('#share-departments input[type=checkbox]').first().getAttribute('value'));
  await dialog.locator('#share-departments label.check').first().click();
  await dialog.locator('label[for="share-role-rep"]').click();
  await screenshot(page, 'builder-share');
  await dialog.locator('#share-save').click();
  await page.waitForFunction(() => !document.querySelector('dialog[open]'));
  const doc = (await apiCall(page, 'GET', `/api/v1/reports/dashboards/${dashboardId}`)).data;
  assert(doc.shared.departments.includes(depId) && doc.shared.roles.includes('rep'), `shared: ${JSON.stringify(doc.shared)}`);
  // The builder carries the new version: a later save is not a conflict.
  await page.locator('#builder-save').click();
  await page.locator('#builder-status', { hasText: 'All changes saved' }).waitFor();
});

s.test('duplicate makes a personal copy with the same widgets', async () => {
  await page.locator('#builder-duplicate').click();
  await page.waitForURL((url) => /#\/dashboards\/\d+\/edit/.test(url.hash) && !url.hash.includes(`/${dashboardId}/`));
  const copyId = page.url().match(/#\/dashboards\/(\d+)\/edit/)[1];
  await page.locator('#main h1', { hasText: '(copy)' }).waitFor();
  await settled('#builder-grid');
  assert(JSON.stringify(await shownWidgets('#builder-grid')) === JSON.stringify(built), 'copy has the same layout');
  const copy = (await apiCall(page, 'GET', `/api/v1/reports/dashboards/${copyId}`)).data;
  assert(copy.source === dashboardId && copy.shared.departments.length === 0, 'copy is personal and names its source');
  assertNoProblems(problems, 'share and duplicate');
});

s.test('leaving with unsaved changes asks first; staying keeps the work', async () => {
  const editUrl = page.url();
  await page.locator('#builder-name-en').fill(`${name} unsaved`);
  await page.evaluate(() => { location.hash = '#/accounts'; });
  const dialog = page.locator('dialog[open]');
  await dialog.locator('text=Leave without saving?').first().waitFor();
  assert(page.url() === editUrl, `the URL stays on the builder while asking: ${page.url()}`);
  await screenshot(page, 'builder-leave-guard');
  await dialog.locator('button.btn:not(.btn-danger)').click();
  await page.waitForFunction(() => !document.querySelector('dialog[open]'));
  assert(page.url() === editUrl, 'stayed');
  assert(await page.locator('#builder-name-en').inputValue() === `${name} unsaved`, 'the unsaved name is still there');
  await page.evaluate(() => { location.hash = '#/accounts'; });
  await page.locator('dialog[open] button.btn-danger').click();
  await page.waitForURL(/#\/accounts/);
  await page.locator('#main h1').waitFor();
  assertNoProblems(problems, 'leave guard');
});

s.test('cross-filter: a bar filters the other widgets; removing the chip restores them; records stay reachable', async () => {
  const renders = [];
  page.on('request', (r) => { if (r.url().endsWith('/render') && r.method() === 'POST') renders.push(JSON.parse(r.postData() || '{}')); });
  // Categories show names ("Open", "进行中"); cross-filters carry the raw values behind them.
  const answers = [];
  page.on('response', async (r) => {
    if (!r.url().endsWith('/render') || r.request().method() !== 'POST') return;
    try { answers.push(await r.json()); } catch { /* navigation raced the body */ }
  });
  const barKeys = () => {
    for (let i = answers.length - 1; i >= 0; i -= 1) {
      const w = answers[i].widgets && answers[i].widgets.w2;
      if (w && w.data && Array.isArray(w.data.keys)) return w.data.keys;
    }
    return [];
  };
  await page.goto(`${BASE}/#/dashboards/${dashboardId}`);
  await settled('.dash-grid');
  const kpi = page.locator('.widget[data-widget-id="w1"] .kpi-value');
  const lineData = () => page.evaluate(() => {
    const inst = window.echarts.getInstanceByDom(document.querySelector('.widget[data-widget-id="w3"] .widget-chart'));
    return JSON.stringify(inst.getOption().series[0].data);
  });
  const kpiBefore = (await kpi.textContent()).trim();
  const lineBefore = await lineData();

  // Click the tallest bar other than "won" (the KPI counts won deals only, so "won" would not
  // change it), in the middle of its height.
  const barAt = async () => {
    const keys = barKeys();
    const b = await page.evaluate((k) => {
      const el = document.querySelector('.widget[data-widget-id="w2"] .widget-chart');
      const inst = window.echarts.getInstanceByDom(el);
      const opt = inst.getOption();
      const values = opt.series[0].data.map((v, i) => (k[i] === 'won' ? 0 : Number(v) || 0));
      const best = values.indexOf(Math.max(...values));
      const [x, y] = inst.convertToPixel({ seriesIndex: 0 }, [best, values[best] / 2]);
      const r = el.getBoundingClientRect();
      return { x: r.left + x, y: r.top + y, category: opt.xAxis[0].data[best], index: best };
    }, keys);
    return { ...b, key: keys[b.index] };
  };
  let bar = await barAt();
  await page.mouse.click(bar.x, bar.y);
  const menu = page.locator('.mark-menu');
  await menu.waitFor();
  const filterItem = menu.locator('[data-action="filter"]');
  assert((await filterItem.textContent()).includes(`Status: ${bar.category}`), `menu offers the status filter: ${await filterItem.textContent()}`);
  await filterItem.click();
  await page.locator('.xfilter-chip', { hasText: `Status: ${bar.category}` }).waitFor();
  await settled('.dash-grid');
  const kpiText = () => { const el = document.querySelector('.widget[data-widget-id="w1"] .kpi-value'); return el ? el.textContent.trim() : ''; };
  await page.waitForFunction(`(${kpiText})() !== ${JSON.stringify(kpiBefore)}`);
  assert(await lineData() !== lineBefore, 'line chart re-rendered with the cross-filter');
  const last = renders[renders.length - 1];
  assert(bar.key && last.filters && last.filters.status === bar.key, `render sent the cross-filter ${bar.key}: ${JSON.stringify(last)}`);
  assert(page.url().includes('xf='), 'cross-filter kept in the URL');
  await screenshot(page, 'cross-filtered');

  // The records behind a bar stay one click away (menu → View records).
  bar = await barAt();
  await page.mouse.click(bar.x, bar.y);
  await menu.locator('[data-action="records"]').click();
  await page.waitForFunction(() => document.querySelector('dialog[open]') && !document.querySelector('dialog[open] .state-loading'));
  const records = page.locator('dialog[open]');
  assert(await records.locator('.state-error').count() === 0, 'drill-down answered');
  assert(await records.locator('tbody tr').count() > 0, 'records listed');
  await records.locator('.dialog-header button').click();

  // Removing the chip restores the original numbers.
  await page.locator('.xfilter-chip .chip-x').click();
  await page.waitForFunction(() => !document.querySelector('.xfilter-chip'));
  await settled('.dash-grid');
  await page.waitForFunction(`(${kpiText})() === ${JSON.stringify(kpiBefore)}`);
  assert(await lineData() === lineBefore, 'line chart back to the original data');
  assert(!('status' in renders[renders.length - 1].filters), 'no cross-filter sent after removing the chip');
  assertNoProblems(problems, 'cross-filter');
});

s.test('the builder in Chinese', async () => {
  await page.goto(`${BASE}/#/dashboards/${dashboardId}/edit`);
  await settled('#builder-grid');
  await page.selectOption('#shell-lang', 'zh-CN');
  await page.locator('#builder-add', { hasText: '添加组件' }).waitFor();
  await settled('#builder-grid');
  assert((await page.locator(`${CARD('w2')} .widget-title`).textContent()) === '各状态金额', 'Chinese widget title');
  await screenshot(page, 'builder-zh-CN');
  await page.selectOption('#shell-lang', 'en');
  await page.locator('#builder-add', { hasText: 'Add widget' }).waitFor();
  assertNoProblems(problems, 'builder locale switch');
});

await s.run();
await b.close();
