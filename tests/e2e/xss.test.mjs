// Stored markup in an account name (`<img src=x onerror=…>`) renders as text everywhere it
// appears: the account list and detail, the opportunity list, board and detail, and an ECharts
// tooltip (hover a chart mark, then check the tooltip DOM has the literal text and no <img>).
import { openBrowser, login, screenshot, suite, assert, assertNoProblems, apiCall, requireEndpoint, uniq, BASE } from './lib.mjs';

const s = suite('xss');
const b = await openBrowser();
const { page, problems } = b;
const marker = uniq('xss');
const evil = `<img src=x onerror="window.__xss=(window.__xss||0)+1">${marker}`;
let accountId = null;
let oppId = null;

async function noXss(where) {
  assert(await page.evaluate(() => window.__xss) === undefined, `${where}: the payload did not run`);
  assert(await page.locator('img[src="x"], img[src$="/x"]').count() === 0, `${where}: no <img> element made from data`);
}

s.test('an account named with markup is stored', async () => {
  await login(page);
  const res = await apiCall(page, 'POST', '/api/v1/accounts', { name: evil, industry: 'Retail', city: 'Shanghai', country: 'CN' });
  assert(res.status === 201 || res.status === 200, `POST account → ${res.status}`);
  accountId = res.data.id;
  assert(res.data.name === evil, 'stored verbatim');
});

s.test('list and detail show the name as text', async () => {
  await page.goto(`${BASE}/#/accounts?q=${encodeURIComponent(marker)}`);
  await page.locator(`#account-results[data-q="${marker}"] tbody th a`).first().waitFor();
  assert(await page.locator('#account-results tbody th a').first().textContent() === evil, 'list cell is the literal name');
  await noXss('account list');
  await screenshot(page, 'xss-account-list');
  await page.goto(`${BASE}/#/accounts/${accountId}`);
  await page.locator('#main h1').waitFor();
  assert(await page.locator('#main h1').textContent() === evil, 'detail heading is the literal name');
  assert((await page.locator('.crumbs').textContent()).includes(evil), 'breadcrumb is the literal name');
  await noXss('account detail');
  await screenshot(page, 'xss-account-detail');
  assertNoProblems(problems, 'account pages');
});

s.test('the chart tooltip on the opportunity page shows the name as text', async () => {
  await requireEndpoint(page, 'GET /api/v1/sales/opportunities');
  const res = await apiCall(page, 'POST', '/api/v1/sales/opportunities', { name: `Deal ${marker}`, account_id: accountId, amount: 888000, expected_close_date: '2031-03-31' });
  assert(res.status === 201 || res.status === 200, `POST opportunity → ${res.status} ${JSON.stringify(res.data)}`);
  oppId = res.data.id;
  await page.goto(`${BASE}/#/m/sales/opportunities?q=${encodeURIComponent(marker)}`);
  await page.locator(`#opp-results[data-q="${marker}"] tbody tr`).first().waitFor();
  assert(await page.locator('#opp-results tbody .account-link').first().textContent() === evil, 'opportunity list shows the account name literally');
  await page.locator('#opp-account-chart[data-ready="true"] canvas').first().waitFor();
  await page.waitForTimeout(500); // entry animation
  const box = await page.locator('#opp-account-chart').boundingBox();
  // One account → one band across the plot; hover the middle of the plot area until the tooltip shows.
  const tooltip = page.locator('.chart-tooltip');
  let shown = false;
  for (const fx of [0.5, 0.4, 0.6, 0.3]) {
    await page.mouse.move(box.x + box.width * fx, box.y + box.height * 0.55);
    await page.waitForTimeout(300);
    if (await tooltip.isVisible().catch(() => false) && (await tooltip.textContent()).includes(marker)) { shown = true; break; }
  }
  assert(shown, 'hovering the bar shows a tooltip naming the account');
  const tip = await tooltip.evaluate((el) => ({ text: el.textContent, imgs: el.querySelectorAll('img').length, html: el.innerHTML }));
  assert(tip.imgs === 0, `tooltip has no <img> element: ${tip.html}`);
  assert(tip.text.includes(evil), `tooltip shows the literal markup as text: ${tip.text}`);
  await noXss('chart tooltip');
  await screenshot(page, 'xss-chart-tooltip');
  assertNoProblems(problems, 'chart tooltip');
});

s.test('the opportunity detail and the board show the name as text', async () => {
  await requireEndpoint(page, 'GET /api/v1/sales/opportunities');
  await page.goto(`${BASE}/#/m/sales/opportunities/${oppId}`);
  await page.locator('#opp-account-link').waitFor();
  assert(await page.locator('#opp-account-link').textContent() === evil, 'detail link text is literal');
  await noXss('opportunity detail');
  await page.goto(`${BASE}/#/m/sales/opportunities?view=board`);
  await page.locator(`#pipeline-board .opp-card[data-id="${oppId}"]`).waitFor();
  assert(await page.locator(`#pipeline-board .opp-card[data-id="${oppId}"] .opp-card-account`).textContent() === evil, 'board card shows it literally');
  await noXss('board');
  await screenshot(page, 'xss-board');
  assertNoProblems(problems, 'opportunity pages');
});

await s.run();
await b.close();
