// e2e: with example plugins
// Admin → Plugins → Settings: the hello example's "default_language" setting (a choice declared
// in its manifest) is edited in the dialog, labelled in the chosen language; a value the server
// refuses shows its 422 field error beside the input; a saved change applies to the next
// greeting without a restart.
import { openBrowser, login, screenshot, suite, assert, assertNoProblems, apiCall, BASE } from './lib.mjs';

const s = suite('plugin-settings');
const b = await openBrowser();
const { page, problems } = b;

async function openSettings() {
  await page.goto(`${BASE}/#/admin/plugins`);
  await page.locator('button[data-plugin="hello"]').click();
  await page.locator('dialog[open] #plugin-settings-form').waitFor();
}

s.test('the dialog shows the setting with its label and current value', async () => {
  await login(page);
  const api = await apiCall(page, 'GET', '/api/v1/admin/plugins/hello/settings');
  assert(api.status === 200, `GET settings → ${api.status}`);
  await openSettings();
  const dialog = page.locator('dialog[open]');
  await dialog.locator('label[for="setting-default_language"]', { hasText: 'Default language' }).waitFor();
  const value = await dialog.locator('#setting-default_language').inputValue();
  assert(value === api.data.items[0].value, `the select shows the current value (${value})`);
  await screenshot(page, 'plugin-settings-dialog');
  assertNoProblems(problems, 'settings dialog');
});

s.test("a value the server refuses shows the 422 beside the input", async () => {
  const dialog = page.locator('dialog[open]');
  // The select offers only valid values; add one the server must refuse, as a stale page could.
  await page.evaluate(() => {
    const sel = document.querySelector('#setting-default_language');
    sel.append(new Option('fr', 'fr'));
    sel.value = 'fr';
  });
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().includes('/api/v1/admin/plugins/hello/settings/default_language')),
    dialog.locator('#settings-save').click(),
  ]);
  assert(answer.status() === 422, `"fr" is refused with 422 (${answer.status()})`);
  await dialog.locator('#setting-default_language-err:not([hidden])', { hasText: 'Choose one of' }).waitFor();
  assert(await dialog.locator('#setting-default_language').getAttribute('aria-invalid') === 'true', 'the input is marked invalid');
  await page.keyboard.press('Escape');
  assertNoProblems(problems, 'refused value');
});

s.test('saving zh-CN applies to the next greeting at once', async () => {
  await openSettings();
  const dialog = page.locator('dialog[open]');
  await dialog.locator('#setting-default_language').selectOption('zh-CN');
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PUT' && r.status() === 200),
    dialog.locator('#settings-save').click(),
  ]);
  await page.locator('dialog[open]').waitFor({ state: 'detached' });
  const created = await apiCall(page, 'POST', '/api/v1/hello/greetings', { text: 'settings e2e' });
  assert(created.status === 201, `greeting created (${created.status})`);
  assert(created.data.language === 'zh-CN', `the new default language applies without restart (${created.data.language})`);
  const audit = await apiCall(page, 'GET', '/api/v1/admin/audit?action=admin.plugin.setting');
  assert(audit.status === 200 && JSON.stringify(audit.data).includes('admin.plugin.setting'), 'the change is in the audit log');
});

s.test('the dialog follows the language switch', async () => {
  await page.selectOption('#shell-lang', 'zh-CN');
  await openSettings();
  await page.locator('dialog[open] label[for="setting-default_language"]', { hasText: '默认语言' }).waitFor();
  await page.locator('dialog[open] h2', { hasText: '设置' }).waitFor();
  await screenshot(page, 'plugin-settings-dialog-zh');
  await page.keyboard.press('Escape');
  await page.selectOption('#shell-lang', 'en');
  assertNoProblems(problems, 'language switch');
});

await s.run();
await b.close();
