// Accounts and contacts: create / edit / delete through the UI, search, sort, paging, detail
// with contacts and timeline, optimistic-locking conflict, and stored XSS rendered as text.
import { openBrowser, login, screenshot, suite, assert, assertNoProblems, apiCall, uniq, BASE } from './lib.mjs';

const s = suite('accounts');
const b = await openBrowser();
const { page, problems } = b;
const marker = uniq('e2e');
const xssName = `<img src=x onerror="window.__xss=1">${marker}`;
let accountId = null;

async function noXss() {
  const fired = await page.evaluate(() => window.__xss);
  assert(fired === undefined, 'the stored payload did not execute');
  const injected = await page.locator('#main img[src="x"], #main img[src$="/x"]').count();
  assert(injected === 0, 'no <img> element was created from data');
}

s.test('sign in and open the account list', async () => {
  await login(page);
  await page.goto(`${BASE}/#/accounts`);
  await page.locator('#main h1', { hasText: 'Accounts' }).waitFor();
  await page.waitForFunction(() => !document.querySelector('#main .state-loading'));
  await screenshot(page, 'accounts-list');
});

s.test('the new-account form validates and creates an account (name with markup)', async () => {
  await page.locator('#account-new').click();
  await page.locator('#acc-name').waitFor();
  await page.locator('#account-save').click();
  await page.locator('#acc-name-err').waitFor({ state: 'visible' });
  assert(await page.locator('#acc-name').getAttribute('aria-invalid') === 'true', 'name marked invalid');
  await page.locator('#acc-name').fill(xssName);
  await page.locator('#acc-industry').fill('Manufacturing');
  await page.locator('#acc-city').fill('Suzhou');
  await page.locator('#acc-country').fill('CN');
  await page.locator('#acc-website').fill('www.example.com');
  await page.locator('#account-save').click();
  await page.waitForURL(/#\/accounts\/(?!new$)[^/?]+$/);
  accountId = decodeURIComponent(page.url().split('#/accounts/')[1]);
  await page.locator('#main h1').waitFor();
  assert((await page.locator('#main h1').textContent()) === xssName, 'heading shows the name literally');
  await noXss();
  await screenshot(page, 'accounts-created-detail');
});

s.test('the detail page shows details, contacts and the timeline', async () => {
  await page.waitForFunction(() => !document.querySelector('#main .state-loading'));
  const text = await page.locator('#main').textContent();
  assert(text.includes('Suzhou') && text.includes('Manufacturing'), 'details rendered');
  assert(await page.locator('#acc-contacts-h').count() === 1, 'contacts section');
  assert(await page.locator('#acc-timeline-h').count() === 1, 'timeline section');
  assert(await page.locator('#main .state-error').count() === 0, 'contacts and timeline loaded');
  const website = page.locator('#main a[href^="https://www.example.com"]');
  assert(await website.count() === 1, 'website is a safe https link');
  await noXss();
});

s.test('search finds the account and the list renders its name as text', async () => {
  await page.goto(`${BASE}/#/accounts`);
  await page.locator('#account-search').fill(marker);
  await page.locator(`#account-results[data-q="${marker}"]`).waitFor();
  const names = await page.locator('#main tbody th a').allTextContents();
  assert(names.length === 1 && names[0] === xssName, `exactly the new account, literally: ${names.join(' | ')}`);
  assert(page.url().includes(`q=${marker}`), 'search kept in the URL');
  await noXss();
  await screenshot(page, 'accounts-search');
});

s.test('sorting by name toggles the order and is reflected in the URL', async () => {
  await page.locator('#account-search').fill('');
  await page.locator('#account-results[data-q=""]').waitFor();
  const header = page.locator('#main thead th', { hasText: 'Name' });
  assert(await header.getAttribute('aria-sort') === 'ascending', 'ascending by default');
  const ascending = await page.locator('#main tbody th').allTextContents();
  await header.locator('button').click();
  await page.waitForFunction(() => location.hash.includes('order=desc'));
  await page.locator('#main thead th[aria-sort="descending"]').waitFor();
  await page.locator('#account-results[data-sort="name:desc"]').waitFor();
  const descending = await page.locator('#main tbody th').allTextContents();
  assert(descending.length === ascending.length, 'same page size');
  if (ascending.length > 1) assert(descending[0] !== ascending[0], `order changed: ${ascending[0]} / ${descending[0]}`);
  const range = await page.locator('.pager-range').textContent();
  assert(/\d/.test(range), `pager shows a range: ${range}`);
  await screenshot(page, 'accounts-sorted-desc');
});

s.test('a stale edit is refused with a conflict message (optimistic locking)', async () => {
  await page.goto(`${BASE}/#/accounts/${encodeURIComponent(accountId)}/edit`);
  await page.locator('#acc-city').waitFor();
  // Someone else saves first.
  const current = await apiCall(page, 'GET', `/api/v1/accounts/${encodeURIComponent(accountId)}`);
  assert(current.status === 200, `GET account ${current.status}`);
  const other = await apiCall(page, 'PUT', `/api/v1/accounts/${encodeURIComponent(accountId)}`, {
    name: current.data.name, industry: current.data.industry, region: current.data.region, country: current.data.country,
    city: 'Hangzhou', website: current.data.website, phone: current.data.phone, version: current.data.version,
  });
  assert(other.status === 200, `concurrent PUT accepted (${other.status} ${JSON.stringify(other.data)})`);
  await page.locator('#acc-city').fill('Nanjing');
  await page.locator('#account-save').click();
  const error = page.locator('#account-form-error');
  await error.waitFor({ state: 'visible' });
  assert((await error.textContent()).length > 0, 'conflict explained');
  await screenshot(page, 'accounts-conflict');
});

s.test('editing saves the change', async () => {
  await page.goto(`${BASE}/#/accounts/${encodeURIComponent(accountId)}`);
  await page.locator('#account-edit').click();
  await page.locator('#acc-city').waitFor();
  assert(await page.locator('#acc-city').inputValue() === 'Hangzhou', 'form loaded the latest version');
  await page.locator('#acc-city').fill('Nanjing');
  await page.locator('#account-save').click();
  await page.waitForURL(/#\/accounts\/[^/?]+$/);
  await page.locator('#main .props dd', { hasText: 'Nanjing' }).waitFor();
  await noXss();
});

s.test('the contact list loads with search and paging', async () => {
  await page.goto(`${BASE}/#/contacts`);
  await page.locator('#main h1', { hasText: 'Contacts' }).waitFor();
  await page.waitForFunction(() => !document.querySelector('#main .state-loading'));
  assert(await page.locator('#main .state-error').count() === 0, 'contacts loaded');
  await page.locator('#contact-search').fill('zzz-no-such-contact');
  await page.locator('#contact-results[data-q="zzz-no-such-contact"] .state-empty').waitFor();
  await screenshot(page, 'contacts-empty-search');
});

s.test('deleting asks for confirmation and removes the account', async () => {
  await page.goto(`${BASE}/#/accounts/${encodeURIComponent(accountId)}`);
  await page.locator('#account-delete').click();
  const dialog = page.locator('dialog[open]');
  await dialog.waitFor();
  assert((await dialog.textContent()).includes(marker), 'confirmation names the account (as text)');
  await screenshot(page, 'accounts-delete-confirm');
  await dialog.locator('.btn-danger').click();
  await page.waitForURL(/#\/accounts($|\?)/);
  const after = await apiCall(page, 'GET', `/api/v1/accounts/${encodeURIComponent(accountId)}`);
  assert(after.status === 404, `deleted account is gone (${after.status})`);
  await noXss();
  assertNoProblems(problems, 'accounts flow');
});

await s.run();
await b.close();
