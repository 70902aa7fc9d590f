// Sales pages against the sales plugin: a lead is created and converted through the UI; the
// pipeline board moves a deal by drag and drop (the update carries the version) and handles a
// concurrent change (409) by reloading; the opportunity detail shows the stage history as a
// timeline; the forecast draws its chart. Every case needs the plugin's API (PENDING_ENDPOINTS).
import { openBrowser, login, screenshot, suite, assert, assertNoProblems, apiCall, requireEndpoint, drawnPixels, uniq, BASE } from './lib.mjs';

const s = suite('sales');
const b = await openBrowser();
const { page, problems } = b;
const marker = uniq('e2e');
let oppId = null;
let accountId = null;

s.test('sign in; the sales navigation is there', async () => {
  await login(page);
  await requireEndpoint(page, 'GET /api/v1/sales/pipelines');
  const nav = await page.locator('#sidebar').textContent();
  assert(/Opportunities/.test(nav) && /Leads/.test(nav) && /Forecast/.test(nav), `sales entries in the navigation: ${nav}`);
});

s.test('a lead is created, qualified and converted through the UI', async () => {
  await requireEndpoint(page, 'GET /api/v1/sales/leads');
  await page.goto(`${BASE}/#/sales/leads`);
  await page.locator('#lead-new').click();
  await page.locator('#lead-save').click();
  await page.locator('#lead-company-err').waitFor({ state: 'visible' });
  await page.locator('#lead-company').fill(`Hangzhou Optics ${marker}`);
  await page.locator('#lead-first_name').fill('Wei');
  await page.locator('#lead-last_name').fill('Zhang');
  await page.selectOption('#lead-source', 'referral');
  await page.locator('#lead-save').click();
  await page.waitForURL(/#\/sales\/leads\/\d+$/);
  await page.locator('#main h1', { hasText: marker }).waitFor();
  await page.selectOption('#lead-status', 'qualified');
  await page.locator('.toast-success').first().waitFor();
  await page.waitForFunction(() => location.hash.includes('r=') && document.querySelector('#lead-status') && !document.querySelector('#lead-status').disabled
    && document.querySelector('#lead-status').value === 'qualified');
  await screenshot(page, 'sales-lead-detail');
  await page.locator('#lead-convert').click();
  await page.locator('dialog[open] #conv-opportunity-amount').fill('450000');
  await page.locator('#conv-save').click();
  await page.waitForURL(/#\/sales\/opportunities\/\d+$/);
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
  await page.goto(`${BASE}/#/sales/opportunities?view=board&pipeline_id=${before.data.pipeline_id}`);
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
  await page.goto(`${BASE}/#/sales/opportunities/${oppId}`);
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
  await page.goto(`${BASE}/#/sales/forecast?period_type=quarter&period_start=2030-01-01&group=owner`);
  await page.locator('#main h1', { hasText: 'Forecast' }).waitFor();
  await page.waitForFunction(() => !document.querySelector('#fc-table .state-loading'));
  assert(await page.locator('#fc-table .state-error, #fc-table .state-unavailable').count() === 0, 'forecast loaded');
  // The quarter the converted deal is expected to close in: its owner's row, a drawn chart, and the
  // deal's amount in the pipeline.
  const opp = await apiCall(page, 'GET', `/api/v1/sales/opportunities/${oppId}`);
  assert(opp.status === 200 && /^\d{4}-\d{2}-\d{2}/.test(opp.data.expected_close_date || ''), `the deal has a close date: ${JSON.stringify(opp.data)}`);
  const [y, m] = opp.data.expected_close_date.split('-').map(Number);
  const quarterStart = `${y}-${String(Math.floor((m - 1) / 3) * 3 + 1).padStart(2, '0')}-01`;
  await page.goto(`${BASE}/#/sales/forecast?period_type=quarter&period_start=${quarterStart}&group=owner`);
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

await s.run();
await b.close();
