// JSON API client. Same-origin cookies carry the session; state-changing requests carry the
// anti-forgery token as X-CSRF-Token; errors arrive as {"error":{"code","message","fields"}}.

import { getLocale, has, t } from './i18n.js';

let csrfToken = null;
let unauthorizedHandler = null;

export function setCsrfToken(token) { csrfToken = token || null; }
export function onUnauthorized(fn) { unauthorizedHandler = fn; }

export class ApiError extends Error {
  constructor({ status, code, message, fields, retryAfter, serverMessage }) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields || null;
    this.retryAfter = retryAfter ?? null;
    this.serverMessage = serverMessage || '';
  }
}

/** Message for the user: our translation of the error code if we have one, else the server's. */
function messageFor(status, code, serverMessage) {
  if (code && has(`errors.${code}`)) return t(`errors.${code}`);
  if (serverMessage) return serverMessage;
  if (has(`errors.http_${status}`)) return t(`errors.http_${status}`);
  return t('errors.unknown', { status });
}

function retryAfterFrom(res, body) {
  const fromBody = body && body.error && Number(body.error.retry_after);
  if (Number.isFinite(fromBody) && fromBody > 0) return fromBody;
  const header = Number(res.headers.get('Retry-After'));
  return Number.isFinite(header) && header > 0 ? header : null;
}

/**
 * Performs a request. Resolves to the parsed JSON body (or null for 204); rejects with ApiError.
 * Options: body (JSON-encoded), query (object → query string, empty values skipped), signal,
 * skipAuthRedirect (do not bounce to the login page on 401, used by the login form and boot).
 */
export async function request(method, path, { body, query, signal, skipAuthRedirect = false } = {}) {
  let url = path;
  if (query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue;
      qs.set(k, String(v));
    }
    const s = qs.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  const headers = { Accept: 'application/json', 'Accept-Language': getLocale() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;

  let res;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal,
    });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError({ status: 0, code: 'network', message: t('errors.network') });
  }

  if (res.status === 204) return null;
  let data = null;
  const type = res.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try { data = await res.json(); } catch { data = null; }
  } else {
    try { await res.text(); } catch { /* drain */ }
  }

  if (res.ok) return data;

  const e = (data && data.error) || {};
  const code = e.code || (res.status === 401 ? 'unauthenticated' : `http_${res.status}`);
  const error = new ApiError({
    status: res.status,
    code,
    message: messageFor(res.status, e.code, e.message),
    serverMessage: e.message,
    fields: e.fields,
    retryAfter: retryAfterFrom(res, data),
  });
  if (res.status === 401 && !skipAuthRedirect && unauthorizedHandler) unauthorizedHandler(error);
  throw error;
}

export const api = {
  get: (path, opts) => request('GET', path, opts),
  post: (path, body, opts) => request('POST', path, { ...opts, body: body ?? {} }),
  put: (path, body, opts) => request('PUT', path, { ...opts, body }),
  patch: (path, body, opts) => request('PATCH', path, { ...opts, body }),
  del: (path, opts) => request('DELETE', path, opts),
};

/**
 * Performs a request whose answer is a file (exports that are POST-only): resolves to a Blob,
 * rejects with the same ApiError as request() (the error body is JSON). `body` is sent as JSON
 * (a scorecard export takes the evaluation request, a dashboard export its filters).
 */
export async function requestBlob(method, path, { query, body, signal } = {}) {
  let url = path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  if (qs.toString()) url += (url.includes('?') ? '&' : '?') + qs.toString();
  const headers = { 'Accept-Language': getLocale() };
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store', signal });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError({ status: 0, code: 'network', message: t('errors.network') });
  }
  if (res.ok) return res.blob();
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  const e = (data && data.error) || {};
  const error = new ApiError({ status: res.status, code: e.code || `http_${res.status}`, message: messageFor(res.status, e.code, e.message), serverMessage: e.message, fields: e.fields, retryAfter: retryAfterFrom(res, data) });
  if (res.status === 401 && unauthorizedHandler) unauthorizedHandler(error);
  throw error;
}

/** Path segment encoding for ids in URLs. */
export function seg(value) { return encodeURIComponent(String(value)); }
