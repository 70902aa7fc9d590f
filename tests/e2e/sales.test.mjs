// Sales pages, served from the sales plugin (plugins/sales/web, #/m/sales/…): a lead is created and
// converted through the UI; the pipeline board moves a deal by drag and drop (the update carries
// the version) and handles a concurrent change (409) by reloading; the opportunity detail shows the
// stage history as a timeline; the forecast draws its chart; the account page shows the plugin's
// panel; old #/sales/… links land on the new pages; global search and "New…" list the module's
// entries; and the same pages in Chinese take their labels from the plugin's bundle.
import { openBrowser, login, screenshot, suite, assert, assertNoProblems, apiCall, requireEndpoint, drawnPixels, uniq, BASE } from './lib.mjs';

const s = suite('sales');
const b = await openBrowser();
const { page, problems } = b;
const marker = uniq('e2e');
let oppId = null;
let accountId = null;
let leadId = null;

s.test('sign in; the sales navigation is there and comes from the plugin', async () => {
  await login(page);
  await requireEndpoint(page, 'GET /api/v1/sales/pipelines');
  const nav = await page.locator('#sidebar').textContent();
  assert(/Opportunities/.test(nav) && /Leads/.test(nav) && /Forecast/.test(nav), `sales entries in the navigation: ${nav}`);
  const hrefs = await page.locator('#sidebar a.nav-link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  for (const path of ['#/m/sales/opportunities', '#/m/sales/leads', '#/m/sales/forecast']) assert(hrefs.includes(path), `nav links ${path}: ${hrefs.join(', ')}`);
  // The pages, the bundle and the stylesheet are the plugin's files.
  const served = await page.evaluate(() => performance.getEntriesByType('resource').map((r) => new URL(r.name).pathname));
  for (const file of ['/plugins/sales/main.js', '/plugins/sales/i18n/en.json', '/plugins/sales/sales.css', '/plugins/sales/pages/leads.js'])
    assert(served.includes(file), `the browser loaded ${file}`);
  assert(!served.some((p) => p.startsWith('/js/pages/sales')), 'no sales page from the core');
});

s.test('an old #/sales/… link lands on the plugin page', async () => {
  await page.goto(`${BASE}/#/sales/leads?status=new`);
  await page.waitForURL(/#\/m\/sales\/leads\?status=new$/);
  await page.locator('#main h1', { hasText: 'Leads' }).waitFor();
  await page.locator('#lead-results table, #lead-results .state-empty').first().waitFor();
});

s.test('a lead is created, qualified and converted through the UI', async () => {
  await requireEndpoint(page, 'GET /api/v1/sales/leads');
  await page.goto(`${BASE}/#/m/sales/leads`);
  await page.locator('#lead-new').click();
  await page.locator('#lead-save').click();
  await page.locator('#lead-company-err').waitFor({ state: 'visible' });
  await page.locator('#lead-company').fill(`Hangzhou Optics ${marker}`);
  await page.locator('#lead-first_name').fill('Wei');
  await page.locator('#lead-last_name').fill('Zhang');
  await page.selectOption('#lead-source', 'referral');
  await page.locator('#lead-save').click();
  await page.waitForURL(/#\/m\/sales\/leads\/\d+$/);
  leadId = Number(page.url().split('/').pop());
  await page.locator('#main h1', { hasText: marker }).waitFor();
  await page.selectOption('#lead-status', 'qualified');
  await page.locator('.toast-success').first().waitFor();
  await page.waitForFunction(() => location.hash.includes('r=') && document.querySelector('#lead-status') && !document.querySelector('#lead-status').disabled
    && document.querySelector('#lead-status').value === 'qualified');
  await screenshot(page, 'sales-lead-detail');
  await page.locator('#lead-convert').click();
  await page.locator('dialog[open] #conv-opportunity-amount').fill('450000');
  await page.locator('#conv-save').click();
  await page.waitForURL(/#\/m\/sales\/opportunities\/\d+$/);
  oppId = Number(page.url().split('/').pop());
  const opp = await apiCall(page, 'GET', `/api/v1/sales/opportunities/${oppId}`);
  assert(opp.status === 200 && opp.data.amount === 450000, `converted into an opportunity of 450000: ${JSON.stringify(opp.data)}`);
  accountId = opp.data.account_id;
  await page.locator('#opp-timeline').waitFor();
  await screenshot(page, 'sales-converted-opportunity');
  assertNoProblems(problems, 'lead conversion');
});

s.test('dragging a card to another stage saves it with the version', async () => {
  await requireEndpoint(page, 'GET /api/v1/sales/opportunities');
  const before = await apiCall(page, 'GET', `/api/v1/sales/opportunities/${oppId}`);
  await page.goto(`${BASE}/#/m/sales/opportunities?view=board&pipeline_id=${before.data.pipeline_id}`);
  const card = page.locator(`#pipeline-board .opp-card[data-id="${oppId}"]`);
  await card.waitFor();
  const pipelines = await apiCall(page, 'GET', '/api/v1/sales/pipelines');
  const stages = pipelines.data.items.find((p) => p.id === before.data.pipeline_id).stages;
  const target = stages.find((st) => st.outcome === 'open' && st.position > stages.find((x) => x.id === before.data.stage_id).position);
  // The board moves the card at once (optimistic); wait for the server's answer, not the card.
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/api/v1/sales/opportunities/${oppId}`)),
    card.dragTo(page.locator(`#pipeline-board .board-col[data-stage="${target.id}"]`)),
  ]);
  const request = response.request();
  assert(response.status() === 200, `PUT answered ${response.status()}`);
  const sent = JSON.parse(request.postData());
  assert(sent.stage_id === target.id && sent.version === before.data.version, `PUT carries stage and version: ${request.postData()}`);
  await page.locator(`#pipeline-board .board-col[data-stage="${target.id}"] .opp-card[data-id="${oppId}"]`).waitFor();
  const after = await apiCall(page, 'GET', `/api/v1/sales/opportunities/${oppId}`);
  assert(after.data.stage_id === target.id, 'stage saved');
  await screenshot(page, 'sales-board-after-drag');
});

s.test('a move against a stale version shows the conflict and reloads the board', async () => {
  await requireEndpoint(page, 'GET /api/v1/sales/opportunities');
  const cur = await apiCall(page, 'GET', `/api/v1/sales/opportunities/${oppId}`);
  // Someone else renames the deal: the board's copy is now stale.
  const other = await apiCall(page, 'PUT', `/api/v1/sales/opportunities/${oppId}`, { name: `Renamed ${marker}`, version: cur.data.version });
  assert(other.status === 200, `concurrent PUT → ${other.status}`);
  const pipelines = await apiCall(page, 'GET', '/api/v1/sales/pipelines');
  const stages = pipelines.data.items.find((p) => p.id === cur.data.pipeline_id).stages;
  const back = stages.find((st) => st.outcome === 'open' && st.id !== cur.data.stage_id);
  await page.selectOption(`#pipeline-board .opp-card[data-id="${oppId}"] .card-move`, String(back.id));
  await page.locator('.toast-error', { hasText: marker }).waitFor();
  await page.locator(`#pipeline-board .board-col[data-stage="${cur.data.stage_id}"] .opp-card[data-id="${oppId}"] .opp-card-name`, { hasText: `Renamed ${marker}` }).waitFor();
  const after = await apiCall(page, 'GET', `/api/v1/sales/opportunities/${oppId}`);
  assert(after.data.stage_id === cur.data.stage_id, 'the stale move was not applied');
  await screenshot(page, 'sales-board-conflict');
});

s.test('the opportunity detail shows the stage history on its timeline', async () => {
  await requireEndpoint(page, 'GET /api/v1/sales/opportunities');
  await page.goto(`${BASE}/#/m/sales/opportunities/${oppId}`);
  await page.locator('#opp-timeline').waitFor();
  const items = await page.locator('#opp-timeline .timeline-item').count();
  assert(items >= 2, `created and moved entries on the timeline (${items})`);
  assert(await page.locator('.stage-path .stage-step.current').count() === 1, 'stage path marks the current stage');
  assert(await page.locator('#opp-account-link').getAttribute('href') === `#/accounts/${accountId}`, 'links to the account');
  await screenshot(page, 'sales-opportunity-detail');
  assertNoProblems(problems, 'opportunity detail');
});

s.test('the forecast draws its chart and table', async () => {
  await requireEndpoint(page, 'GET /api/v1/sales/forecast');
  await page.goto(`${BASE}/#/m/sales/forecast?period_type=quarter&period_start=2030-01-01&group=owner`);
  await page.locator('#main h1', { hasText: 'Forecast' }).waitFor();
  await page.waitForFunction(() => !document.querySelector('#fc-table .state-loading'));
  assert(await page.locator('#fc-table .state-error, #fc-table .state-unavailable').count() === 0, 'forecast loaded');
  // The quarter the converted deal is expected to close in: its owner's row, a drawn chart, and the
  // deal's amount in the pipeline.
  const opp = await apiCall(page, 'GET', `/api/v1/sales/opportunities/${oppId}`);
  assert(opp.status === 200 && /^\d{4}-\d{2}-\d{2}/.test(opp.data.expected_close_date || ''), `the deal has a close date: ${JSON.stringify(opp.data)}`);
  const [y, m] = opp.data.expected_close_date.split('-').map(Number);
  const quarterStart = `${y}-${String(Math.floor((m - 1) / 3) * 3 + 1).padStart(2, '0')}-01`;
  await page.goto(`${BASE}/#/m/sales/forecast?period_type=quarter&period_start=${quarterStart}&group=owner`);
  await page.waitForFunction(() => !document.querySelector('#fc-table .state-loading'));
  const rows = await page.locator('#fc-table tbody tr').count();
  assert(rows > 0, `the deal's quarter ${quarterStart} has a forecast row`);
  await page.locator('#forecast-chart[data-ready="true"] canvas').first().waitFor();
  await page.waitForTimeout(500);
  const px = await drawnPixels(page, '#forecast-chart');
  assert(px.some((n) => n > 200), `forecast chart drew pixels (${px.join(',')})`);
  const api = await apiCall(page, 'GET', `/api/v1/sales/forecast?period_type=quarter&period_start=${quarterStart}&group=owner`);
  assert(api.status === 200 && Number(api.data.total.pipeline) >= Number(opp.data.amount), `the deal is in the quarter's pipeline: ${JSON.stringify(api.data.total)}`);
  await screenshot(page, 'sales-forecast');
  assertNoProblems(problems, 'forecast');
});

s.test('the leads and opportunities lists page, sort and search through the list helper', async () => {
  await page.goto(`${BASE}/#/m/sales/leads?q=${encodeURIComponent(marker)}`);
  await page.waitForFunction((m) => document.querySelector('#lead-results')?.dataset.q === m && document.querySelector('#lead-results')?.getAttribute('aria-busy') === 'false', marker);
  assert(await page.locator('#lead-results tbody tr').count() === 1, 'the converted lead is found');
  await page.locator('#lead-results th button', { hasText: 'Score' }).click();
  await page.waitForFunction(() => document.querySelector('#lead-results')?.dataset.sort === 'score:asc');
  assert(/sort=score/.test(page.url()), `sort kept in the URL: ${page.url()}`);
  await page.goto(`${BASE}/#/m/sales/opportunities?status=all&q=${encodeURIComponent(marker)}`);
  await page.waitForFunction((m) => document.querySelector('#opp-results')?.dataset.q === m && document.querySelector('#opp-results tbody tr'), marker);
  assert(await page.locator(`#opp-results a[href="#/m/sales/opportunities/${oppId}"]`).count() === 1, 'the deal is listed with a plugin link');
  await page.locator('#opp-search').fill('no-such-deal-zzz');
  await page.locator('#opp-results .state-empty').waitFor();
  await screenshot(page, 'sales-opportunities-list');
  assertNoProblems(problems, 'lists');
});

s.test("the account and contact pages show the plugin's opportunities panel", async () => {
  await page.goto(`${BASE}/#/accounts/${accountId}`);
  await page.locator('#acc-opps table').waitFor();
  assert(await page.locator(`#acc-opps a[href="#/m/sales/opportunities/${oppId}"]`).count() === 1, 'the panel links the deal');
  assert(await page.locator('#acc-opp-new').count() === 1, 'the panel offers a new opportunity');
  // The lead's conversion on the account timeline, titled from the sales bundle.
  await page.locator('.timeline-item[data-entity="sales.lead"][data-kind="converted"] .timeline-title', { hasText: 'Lead converted into a customer' }).waitFor();
  await screenshot(page, 'sales-account-panel');
  // The converted lead's contact: its page shows the deals of its account too.
  await page.locator('#main a[href^="#/contacts/"]').first().click();
  await page.locator('#contact-info-h').waitFor();
  await page.locator(`#acc-opps a[href="#/m/sales/opportunities/${oppId}"]`).waitFor();
  assertNoProblems(problems, 'account panel');
});

s.test('global search and the New menu list the module', async () => {
  await page.locator('#global-search').fill(marker);
  await page.locator('#global-search-results [data-provider="sales"] a').first().waitFor();
  const hrefs = await page.locator('#global-search-results [data-provider="sales"] a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert(hrefs.includes(`#/m/sales/opportunities/${oppId}`), `search finds the deal: ${hrefs.join(', ')}`);
  await page.locator('#global-search').press('Escape');
  await page.locator('#new-menu-button').click();
  const items = await page.locator('#new-menu [data-module="sales"]').allTextContents();
  assert(items.some((t) => /New lead/.test(t)) && items.some((t) => /New opportunity/.test(t)), `New menu: ${items.join(', ')}`);
  await page.locator('#new-menu [data-module="sales"]', { hasText: 'New lead' }).click();
  await page.locator('dialog[open] #lead-company').waitFor();
  await page.keyboard.press('Escape');
  assertNoProblems(problems, 'search and new');
});

s.test('in Chinese the sales pages take their labels from the plugin bundle', async () => {
  await page.goto(`${BASE}/#/m/sales/leads`);
  await page.locator('#main h1', { hasText: 'Leads' }).waitFor();
  await page.selectOption('#shell-lang', 'zh-CN');
  await page.locator('#main h1', { hasText: '线索' }).waitFor();
  const served = await page.evaluate(() => performance.getEntriesByType('resource').map((r) => new URL(r.name).pathname));
  assert(served.includes('/plugins/sales/i18n/zh-CN.json'), 'the Chinese bundle came from the plugin');
  const nav = await page.locator('#sidebar').textContent();
  assert(nav.includes('商机') && nav.includes('线索') && nav.includes('销售预测'), `nav in Chinese: ${nav}`);
  assert(await page.locator('#lead-results th', { hasText: '公司' }).count() === 1, 'the company column in Chinese');
  await page.goto(`${BASE}/#/m/sales/leads/${leadId}`);
  await page.locator('#lead-info-h', { hasText: '线索详情' }).waitFor();
  await page.goto(`${BASE}/#/m/sales/opportunities`);
  await page.locator('#main h1', { hasText: '商机' }).waitFor();
  const board = (await apiCall(page, 'GET', `/api/v1/sales/opportunities/${oppId}`)).data;
  await page.goto(`${BASE}/#/m/sales/opportunities?view=board&pipeline_id=${board.pipeline_id}`);
  await page.locator(`#pipeline-board .opp-card[data-id="${oppId}"]`).waitFor();
  await page.goto(`${BASE}/#/m/sales/opportunities/${oppId}`);
  await page.locator('#opp-timeline').waitFor();
  // The stage move's timeline entry: kind and parameters rendered through the Chinese bundle.
  await page.locator('#opp-timeline .timeline-item[data-kind="stage_changed"] .timeline-title', { hasText: '商机从' }).first().waitFor();
  await page.goto(`${BASE}/#/m/sales/forecast`);
  await page.locator('#main h1', { hasText: '销售预测' }).waitFor();
  await page.goto(`${BASE}/#/accounts/${accountId}`);
  await page.locator('#acc-opps-h', { hasText: '商机' }).waitFor();
  await page.locator('.timeline-item[data-kind="converted"] .timeline-title', { hasText: '线索已转化为客户' }).waitFor();
  await screenshot(page, 'sales-account-panel-zh');
  await page.selectOption('#shell-lang', 'en');
  await page.locator('#acc-opps-h', { hasText: 'Opportunities' }).waitFor();
  assertNoProblems(problems, 'Chinese');
});

await s.run();
await b.close();
