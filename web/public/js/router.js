// Hash router: "#/accounts/42?tab=timeline". Patterns use ":name" segments. Only hashes that
// start with "#/" are routes, so in-page anchors (the skip link) are left alone.

const routes = [];
let notFound = null;
let current = null;
let guard = null;

/** Registers a route. `render(ctx)` may return a cleanup function (or a promise of one). */
export function route(pattern, render, meta = {}) {
  const keys = [];
  const source = pattern
    .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\/:(\w+)/g, (_, key) => { keys.push(key); return '/([^/]+)'; })
    .replace(/\/\*$/, '(?:/(.*))?');
  routes.push({ pattern, regex: new RegExp(`^${source}/?$`), keys, render, meta, wild: pattern.endsWith('/*') });
}

export function setNotFound(render) { notFound = render; }

let leaveGuard = null;
/**
 * A page holding unsaved work registers `fn()`; before the route is left or re-rendered (another
 * link, back, language switch) it is asked: `true` leaves, `false` stays, a promise of either
 * keeps the page (and its URL) until answered. Cleared whenever a route renders.
 */
export function setLeaveGuard(fn) { leaveGuard = fn; }
/** `fn(match)` may return false to block a navigation (e.g. to send the user to the login page). */
export function setGuard(fn) { guard = fn; }

export function parseHash(hash = location.hash) {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  const qIndex = raw.indexOf('?');
  const path = qIndex >= 0 ? raw.slice(0, qIndex) : raw;
  const query = Object.fromEntries(new URLSearchParams(qIndex >= 0 ? raw.slice(qIndex + 1) : ''));
  return { path: path || '/', query };
}

export function match(path) {
  // Exact patterns win over catch-alls, whatever order they were registered in.
  for (const r of [...routes.filter((x) => !x.wild), ...routes.filter((x) => x.wild)]) {
    const m = r.regex.exec(path);
    if (m) {
      const params = {};
      r.keys.forEach((k, i) => { params[k] = decodeURIComponent(m[i + 1]); });
      return { route: r, params };
    }
  }
  return null;
}

/** Builds "#/path?query" with empty query values dropped. */
export function href(path, query) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v === undefined || v === null || v === '') continue;
    qs.set(k, String(v));
  }
  const s = qs.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

export function navigate(path, query, { replace = false } = {}) {
  const target = href(path, query);
  if (target === location.hash) { render(); return; }
  if (replace) {
    history.replaceState(null, '', target);
    render();
  } else {
    location.hash = target;
  }
}

/** Updates the query part of the current route without re-rendering (list state, filters). */
export function updateQuery(query) {
  const { path } = parseHash();
  history.replaceState(null, '', href(path, query));
  if (current) current.query = { ...query };
}

export function currentRoute() { return current; }

let renderSeq = 0;
export async function render() {
  if (!location.hash.startsWith('#/')) {
    if (!location.hash || location.hash === '#') { navigate('/', null, { replace: true }); }
    return;
  }
  const { path, query } = parseHash();
  const found = match(path);
  if (guard && guard({ path, query, found }) === false) return;
  if (leaveGuard && current) {
    const answer = leaveGuard();
    if (answer !== true) {
      const target = location.hash;
      history.replaceState(null, '', href(current.path, current.query)); // stay, visibly
      if (answer === false) return;
      const ok = await answer;
      if (!ok) return;
      leaveGuard = null;
      history.replaceState(null, '', target);
    }
  }
  leaveGuard = null;

  const seq = ++renderSeq;
  if (current) {
    current.abort.abort();
    try { current.cleanup && current.cleanup(); } catch (err) { console.error(err); }
  }
  const abort = new AbortController();
  current = { path, query, params: found ? found.params : {}, meta: found ? found.route.meta : {}, abort, cleanup: null };
  document.dispatchEvent(new CustomEvent('atrium:navigate', { detail: current }));
  const ctx = { params: current.params, query, path, signal: abort.signal };
  try {
    const result = found ? found.route.render(ctx) : notFound && notFound(ctx);
    const cleanup = await result;
    if (seq !== renderSeq) { if (typeof cleanup === 'function') cleanup(); return; }
    if (typeof cleanup === 'function') current.cleanup = cleanup;
  } catch (err) {
    if (err && err.name === 'AbortError') return;
    console.error(err);
    document.dispatchEvent(new CustomEvent('atrium:route-error', { detail: err }));
  }
}

export function start() {
  window.addEventListener('hashchange', render);
  return render();
}
