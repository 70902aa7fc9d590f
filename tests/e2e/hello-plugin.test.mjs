// e2e: with example plugins
// The SDK example's web UI (sdk/examples/hello-plugin/web), as a third-party author would ship it:
// its page under #/m/hello with a label from its own bundle, its panel on the core account page
// (a form whose 422 field errors show beside the inputs), its "New…" item, and its timeline entry
// titled from its bundle — in English and in Chinese.
import { openBrowser, login, screenshot, suite, assert, assertNoProblems, apiCall, uniq, BASE } from './lib.mjs';

const s = suite('hello-plugin');
const b = await openBrowser();
const { page, problems } = b;
const marker = uniq('hello');
let accountId = null;

s.test('sign in; the hello plugin is loaded with its bundle and nav entry', async () => {
  await login(page);
  const me = await apiCall(page, 'GET', '/api/v1/auth/me');
  assert(me.data.modules.some((m) => m.id === 'hello' && m.ui), `hello is among the modules: ${JSON.stringify(me.data.modules)}`);
  await page.locator('#sidebar a.nav-link[href="#/m/hello"]', { hasText: 'Greetings' }).waitFor();
  const served = await page.evaluate(() => performance.getEntriesByType('resource').map((r) => new URL(r.name).pathname));
  assert(served.includes('/plugins/hello/i18n/en.json'), 'the bundle came from the plugin');
  await page.goto(`${BASE}/#/m/hello`);
  await page.locator('#main h1', { hasText: 'Greetings' }).waitFor();
  await page.locator('#hello-results table, #hello-results .state-empty').first().waitFor();
  assertNoProblems(problems, 'hello page');
});

s.test("the account page shows the plugin's panel; its form shows the server's field errors", async () => {
  const res = await apiCall(page, 'POST', '/api/v1/accounts', { name: `Hello Trading ${marker}` });
  assert(res.status === 201 || res.status === 200, `account created (${res.status})`);
  accountId = res.data.id;
  await page.goto(`${BASE}/#/accounts/${accountId}`);
  const panel = page.locator('#hello-account-panel');
  await panel.locator('h2', { hasText: `Greetings for Hello Trading ${marker}` }).waitFor();
  // An empty greeting: the server answers 422 with error.fields.text, shown beside the input.
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/hello/greetings')),
    panel.locator('#hello-save').click(),
  ]);
  assert(answer.status() === 422, `an empty greeting is refused with 422 (${answer.status()})`);
  await panel.locator('#hello-text-err:not([hidden])').waitFor();
  assert(await panel.locator('#hello-text').getAttribute('aria-invalid') === 'true', 'the input is marked invalid');
  await panel.locator('#hello-text').fill(`Hi ${marker}`);
  await panel.locator('#hello-save').click();
  await panel.locator('#hello-account-greetings li', { hasText: `Hi ${marker}` }).waitFor();
  await screenshot(page, 'hello-account-panel');
  assertNoProblems(problems, 'account panel');
});

s.test('the timeline entry and the panel follow the language switch', async () => {
  await page.reload(); // the account page again, with the greeting's timeline entry
  await page.locator('.timeline-item[data-entity="hello.greeting"] .timeline-title', { hasText: 'A greeting in' }).waitFor();
  await page.selectOption('#shell-lang', 'zh-CN');
  await page.locator('#hello-account-panel h2', { hasText: `给Hello Trading ${marker}的问候` }).waitFor();
  await page.locator('.timeline-item[data-entity="hello.greeting"] .timeline-title', { hasText: '问候' }).waitFor();
  await page.locator('#sidebar a.nav-link[href="#/m/hello"]', { hasText: '问候' }).waitFor();
  await screenshot(page, 'hello-account-panel-zh');
  await page.selectOption('#shell-lang', 'en');
  await page.locator('#hello-account-panel h2', { hasText: 'Greetings for' }).waitFor();
  assertNoProblems(problems, 'language switch');
});

s.test('the New menu offers a greeting', async () => {
  await page.locator('#new-menu-button').click();
  await page.locator('#new-menu [data-module="hello"]', { hasText: 'New greeting' }).click();
  await page.locator('dialog[open] #hello-text').waitFor();
  await page.keyboard.press('Escape');
  assertNoProblems(problems, 'new menu');
});

await s.run();
await b.close();
