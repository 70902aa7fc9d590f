// e2e: needs demo data (run-with-server.sh seeds `atrium demo` for test files carrying this line)
//
// Scorecards and evaluations: the built-in sales rep scorecard renders a ranking and a KPI table
// with RAG chips; an evaluation cycle is created in the UI, one participant gets a manager
// adjustment with a comment, the cycle is submitted and approved, and the grade distribution
// chart draws pixels.
import { openBrowser, login, screenshot, suite, assert, assertNoProblems, apiCall, drawnPixels, requireEndpoint, uniq, BASE } from './lib.mjs';

const s = suite('scorecards');
const b = await openBrowser();
const { page, problems } = b;
const cycleName = uniq('E2E cycle');
let cycleId = null;
let person = null;

async function notLoading() {
  await page.waitForFunction(() => !document.querySelector('#main .state-loading'), null, { timeout: 30000 });
}

s.test('sign in; the navigation offers Scorecards and Evaluations', async () => {
  await login(page);
  await requireEndpoint(page, 'GET /api/v1/reports/scorecards');
  await requireEndpoint(page, 'GET /api/v1/reports/evaluations');
  const nav = await page.locator('#sidebar').textContent();
  assert(/Scorecards/.test(nav) && /Evaluations/.test(nav), `nav entries: ${nav}`);
});

s.test('scorecard table renders subjects, KPI rows and RAG chips', async () => {
  await page.locator('#sidebar a[data-nav="scorecards"]').click();
  await page.locator('#main h1', { hasText: 'Scorecards' }).waitFor();
  await page.locator('#sc-template').waitFor();
  await page.selectOption('#sc-template', 'builtin.sales_rep');
  await page.selectOption('#sc-period', 'this_year');
  await notLoading();
  const ranking = page.locator('.sc-ranking tbody tr');
  assert(await ranking.count() > 0, 'ranking has subjects');
  assert(await page.locator('.sc-ranking .rag-chip').count() === await ranking.count(), 'one RAG chip per subject');
  assert(await page.locator('.sc-ranking svg.sc-spark').count() > 0, 'trend sparklines');
  const kpiRows = page.locator('.sc-detail tbody tr');
  assert(await kpiRows.count() === 5, `five KPI rows of the sales rep template (${await kpiRows.count()})`);
  const chips = await page.locator('.sc-detail tbody .rag-chip').evaluateAll((els) => els.map((e) => e.dataset.rag));
  assert(chips.length === 5 && chips.every((c) => ['green', 'amber', 'red'].includes(c)), `RAG chips: ${chips}`);
  const first = await kpiRows.first().locator('td').allTextContents();
  assert(first.length === 6 && first.every((c) => c.trim() !== ''), `actual, target, attainment, status, weight, score: ${first}`);
  // The detail shows the subject selected first; ties and the period decide which rank that is.
  await page.locator('.sc-detail .sc-composite', { hasText: /rank \d+/ }).waitFor();
  assert(/Composite .* rank \d+/.test(await page.locator('.sc-detail .sc-composite').textContent()), 'composite and rank shown');
  // Another subject's row opens their KPIs.
  if (await ranking.count() > 1) {
    await ranking.nth(1).locator('button.link-btn').click();
    assert(/rank \d+/.test(await page.locator('.sc-detail .sc-composite').textContent()), 'second subject shown');
  }
  assert(page.url().includes('scorecard=builtin.sales_rep') && page.url().includes('period=this_year'), 'filters in the URL');
  await screenshot(page, 'scorecard');
  assertNoProblems(problems, 'scorecard');
});

s.test('create an evaluation cycle in the UI', async () => {
  await page.locator('#sidebar a[data-nav="evaluations"]').click();
  await page.locator('#main h1', { hasText: 'Evaluations' }).waitFor();
  await notLoading();
  await page.locator('#eval-new').click();
  await page.locator('#ev-name').fill(cycleName);
  await page.selectOption('#ev-scorecard', 'builtin.sales_rep');
  const year = new Date().getFullYear();
  await page.locator('#ev-from').fill(`${year}-01-01`);
  await page.locator('#ev-to').fill(`${year}-06-30`);
  await page.locator('#ev-bound').fill('10');
  await page.locator('#ev-create').click();
  await page.waitForURL(/#\/evaluations\/\d+$/, { timeout: 30000 });
  cycleId = page.url().match(/#\/evaluations\/(\d+)$/)[1];
  await page.locator('#main h1', { hasText: cycleName }).waitFor();
  assert(await page.locator('.eval-status[data-status="draft"]').count() === 1, 'draft status');
  assert(await page.locator('.eval-people tbody tr').count() > 0, 'participants listed');
  await screenshot(page, 'evaluation-draft');
});

s.test('adjust one participant with a comment (bound and comment enforced)', async () => {
  const link = page.locator('.eval-people tbody tr a').first();
  person = (await link.textContent()).trim();
  await link.click();
  await page.locator('#main h1', { hasText: person }).waitFor();
  assert(await page.locator('#main .rag-chip').count() === 5, 'the person\'s scorecard is shown');
  await page.locator('#ev-adjustment').fill('25');
  await page.locator('#ev-save').click();
  assert(/±10/.test(await page.locator('.form-error').textContent()), 'out-of-bound adjustment refused');
  await page.locator('#ev-adjustment').fill('4.5');
  await page.locator('#ev-comment').fill('');
  await page.locator('#ev-save').click();
  assert(/comment/i.test(await page.locator('.form-error').textContent()), 'comment required');
  await page.locator('#ev-comment').fill('Closed the two largest deals of the region <b>x</b>');
  await page.locator('#ev-save').click();
  await page.waitForURL(new RegExp(`#/evaluations/${cycleId}$`));
  await page.locator('.eval-people tbody tr').first().waitFor();
  const row = page.locator('.eval-people tbody tr', { hasText: person });
  assert(/\+4\.5/.test(await row.textContent()), `adjustment shown: ${await row.textContent()}`);
  assert(/<b>x<\/b>/.test(await row.textContent()), 'comment shown as text');
  const res = await apiCall(page, 'GET', `/api/v1/reports/evaluations/${cycleId}`);
  const p = res.data.participants.find((x) => x.name === person);
  assert(p && p.adjustment === 4.5 && /largest deals/.test(p.comment), `stored: ${JSON.stringify(p && { a: p.adjustment, c: p.comment })}`);
});

s.test('submit, return with a reason, submit again, approve; the grade distribution chart draws', async () => {
  await page.locator('#eval-submit').click();
  await page.locator('dialog .btn-primary').click();
  await page.locator('.eval-status[data-status="submitted"]').waitFor();
  await page.locator('#eval-return').click();
  await page.locator('#ev-return-confirm').click();
  assert(/why/.test(await page.locator('dialog .form-error').textContent()), 'a reason is required');
  await page.locator('#ev-return-comment').fill('Check the pipeline numbers first');
  await page.locator('#ev-return-confirm').click();
  await page.locator('.eval-status[data-status="draft"]').waitFor();
  await page.locator('#eval-submit').click();
  await page.locator('dialog .btn-primary').click();
  await page.locator('.eval-status[data-status="submitted"]').waitFor();
  await page.locator('#eval-approve').click();
  await page.locator('dialog .btn-primary').click();
  await page.locator('.eval-status[data-status="approved"]').waitFor();
  await page.locator('#eval-grade-chart[data-ready="true"] canvas').waitFor();
  await page.waitForTimeout(700);
  const pixels = await drawnPixels(page, '#eval-grade-chart');
  assert(pixels.some((n) => n > 200), `grade chart drew pixels (${pixels})`);
  const grades = await page.locator('.eval-people tbody tr td .chip').allTextContents();
  assert(grades.length > 0 && grades.every((g) => /^[A-D]$/.test(g)), `grades assigned: ${grades}`);
  assert(await page.locator('#eval-submit, #eval-approve, #eval-return').count() === 0, 'no workflow buttons once approved');
  await screenshot(page, 'evaluation-approved');
});

s.test('export downloads the results as CSV', async () => {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#eval-export-csv').click()]);
  const file = await dl.path();
  const { readFileSync } = await import('node:fs');
  const text = readFileSync(file, 'utf8');
  assert(text.includes(person) && /Grade/.test(text), `CSV has the results: ${text.slice(0, 120)}`);
  assertNoProblems(problems, 'evaluation flow');
});

s.test('the cycle list shows the approved cycle; Chinese labels', async () => {
  await page.goto(`${BASE}/#/evaluations`);
  await notLoading();
  const row = page.locator('#main tbody tr', { hasText: cycleName });
  assert(await row.locator('.eval-status[data-status="approved"]').count() === 1, 'approved in the list');
  await page.selectOption('#shell-lang', 'zh-CN');
  await page.locator('#main h1', { hasText: '绩效考核' }).waitFor();
  assert(/计分卡/.test(await page.locator('#sidebar').textContent()), 'nav translated');
  await page.selectOption('#shell-lang', 'en');
  await page.locator('#main h1', { hasText: 'Evaluations' }).waitFor();
  assertNoProblems(problems, 'list');
});

await s.run();
await b.close();
