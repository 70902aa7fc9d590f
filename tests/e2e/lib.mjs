// Shared harness for the browser tests: launches Debian's Chromium through playwright-core
// with a fresh profile, signs in, collects console errors and CSP violations, takes
// screenshots into $E2E_ARTIFACTS, and prints "N passed, N failed" at the end.

import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
// playwright-core is installed by web/package.json (npm ci in web/).
const require = createRequire(path.join(repo, 'web', 'package.json'));
const { chromium } = require('playwright-core');

export const BASE = (process.env.ATRIUM_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const ADMIN_EMAIL = process.env.ATRIUM_ADMIN_EMAIL || 'admin@example.com';
export const ADMIN_PASSWORD = process.env.ATRIUM_ADMIN_PASSWORD || '';
export const ARTIFACTS = path.resolve(process.env.E2E_ARTIFACTS || path.join(repo, 'build', 'e2e-artifacts'));
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const HEADLESS_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'];

/** A browser session with a fresh user-data dir. */
export async function openBrowser({ locale = 'en-US', viewport = { width: 1440, height: 960 } } = {}) {
  const profile = mkdtempSync(path.join(tmpdir(), 'atrium-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: HEADLESS_ARGS,
    ignoreDefaultArgs: ['--headless'],
    locale,
    viewport,
    acceptDownloads: true,
  });
  const problems = [];
  const watch = (page) => {
    page.on('console', (msg) => {
      const text = msg.text();
      if (msg.type() === 'error' && !/Failed to load resource: the server responded with a status of (401|403|404|405|409|422|429)/.test(text)) problems.push(`console: ${text}`);
      if (/Content Security Policy/i.test(text)) problems.push(`csp: ${text}`);
    });
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  };
  context.on('page', watch);
  const page = context.pages()[0] || await context.newPage();
  watch(page);
  // Generous: CI shares two cores between the browser, the server and other suites.
  page.setDefaultTimeout(30000);
  return {
    context,
    page,
    problems,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name.replace(/[^\w.-]+/g, '_')}.png`);
  await page.screenshot({ path: file, fullPage: true }).catch((err) => console.error(`screenshot ${name}: ${err.message}`));
  return file;
}

/** Signs in through the login form and waits for the shell. */
export async function login(page, email = ADMIN_EMAIL, password = ADMIN_PASSWORD) {
  await page.goto(`${BASE}/#/login`);
  await page.locator('#login-email').fill(email);
  await page.locator('#login-password').fill(password);
  await page.locator('#login-submit').click();
  await page.locator('.shell #main h1').waitFor();
}

/** Calls the JSON API from inside the page (same cookies, same CSRF token as the UI). */
export async function apiCall(page, method, url, body) {
  return page.evaluate(async ({ method, url, body }) => {
    const me = await fetch('/api/v1/auth/me', { credentials: 'same-origin' }).then((r) => r.json());
    const res = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': me.csrf_token || '' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await res.json(); } catch { /* empty */ }
    return { status: res.status, data };
  }, { method, url, body });
}

/** Counts non-background pixels in every canvas under `selector` (proves a chart was drawn). */
export async function drawnPixels(page, selector) {
  return page.evaluate((sel) => [...document.querySelectorAll(`${sel} canvas`)].map((c) => {
    const w = c.width; const h = c.height;
    if (!w || !h) return 0;
    const ctx = c.getContext('2d');
    if (!ctx) return 0;
    const data = ctx.getImageData(0, 0, w, h).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 16) if (data[i] > 0) n += 1;
    return n;
  }), selector);
}

// ---- endpoints other engineers are still building ------------------------------------------
//
// A test that needs an API endpoint calls requireEndpoint(page, 'GET /api/v1/…'). When the server
// answers 404 for the route itself ("There is nothing at …"), the test FAILS — unless the endpoint
// is listed here, in which case it is reported as `skip` and counted in the final line. Remove an
// entry as soon as the endpoint ships, so its tests can never silently pass.
export const PENDING_ENDPOINTS = new Set([
  // Nothing pending: the identity admin API, the reporting API and the sales plugin all answer.
  // Add 'METHOD /api/v1/…' here (with the owner and a reason) only while another engineer is
  // still building an endpoint a test needs.
]);

/** Thrown by a test to be counted as skipped (only requireEndpoint does, for PENDING_ENDPOINTS). */
export class Skip extends Error {
  constructor(reason) { super(reason); this.name = 'Skip'; }
}

const endpointCache = new Map();
/**
 * Checks that `spec` ("GET /api/v1/…", a concrete probe path) is served. A 404 meaning "no such
 * route" throws Skip for a pending endpoint and an Error otherwise; any other status passes
 * (401/403/422 prove the route exists).
 */
export async function requireEndpoint(page, spec, probePath) {
  if (!endpointCache.has(spec)) {
    const [method, path] = spec.split(' ');
    const url = probePath || path;
    const res = await apiCall(page, method === 'GET' ? 'GET' : method, url, method === 'GET' ? undefined : {});
    const message = (res.data && res.data.error && res.data.error.message) || '';
    endpointCache.set(spec, res.status === 404 && (/nothing at/i.test(message) || !res.data) ? 'missing' : 'present');
  }
  if (endpointCache.get(spec) === 'missing') {
    if (PENDING_ENDPOINTS.has(spec)) throw new Skip(`${spec} is pending (listed in PENDING_ENDPOINTS)`);
    throw new Error(`${spec} answers 404: the endpoint is missing and not listed in PENDING_ENDPOINTS`);
  }
}

/** Minimal runner: test(name, fn) then run(); exit code 1 if any failed. */
export function suite(title) {
  const tests = [];
  return {
    test(name, fn, { skipIf } = {}) { tests.push({ name, fn, skipIf }); },
    async run() {
      let passed = 0; let failed = 0; let skipped = 0;
      console.log(`# ${title} against ${BASE}`);
      if (!ADMIN_PASSWORD) console.log('# warning: ATRIUM_ADMIN_PASSWORD is not set');
      for (const tc of tests) {
        const started = Date.now();
        try {
          const reason = tc.skipIf ? await tc.skipIf() : null;
          if (reason) { skipped += 1; console.log(`skipped - ${tc.name} (${reason})`); continue; }
          await tc.fn();
          passed += 1;
          console.log(`ok - ${tc.name} (${Date.now() - started} ms)`);
        } catch (err) {
          if (err instanceof Skip) { skipped += 1; console.log(`skipped - ${tc.name} (${err.message})`); continue; }
          failed += 1;
          console.log(`not ok - ${tc.name}\n  ${String(err && err.stack || err).split('\n').join('\n  ')}`);
        }
      }
      console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
      process.exitCode = failed ? 1 : 0;
    },
  };
}

export function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

export function assertNoProblems(problems, context) {
  const list = problems.splice(0);
  assert(list.length === 0, `${context}: browser reported problems:\n  ${list.join('\n  ')}`);
}

/** A unique marker for records a test creates. */
export function uniq(prefix) {
  return `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}
