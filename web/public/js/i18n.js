// Translations and locale-aware formatting. Every visible string comes from /i18n/<locale>.json;
// numbers, currency, dates and relative times go through Intl for the active locale.

export const LOCALES = ['en', 'zh-CN'];
const STORAGE_KEY = 'atrium.locale';

let locale = 'en';
let messages = {};
let fallback = {};
const listeners = new Set();
const cache = new Map();
// Plugin bundles: id → {base, messages: Map(locale → dict)}. A plugin's keys resolve in its own
// bundle (active locale, then English) before the core's.
const bundles = new Map();

function detectLocale() {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (LOCALES.includes(stored)) return stored;
  } catch { /* storage may be disabled */ }
  const nav = (navigator.languages && navigator.languages[0]) || navigator.language || 'en';
  return nav.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

async function loadMessages(loc) {
  if (cache.has(loc)) return cache.get(loc);
  const res = await fetch(`/i18n/${loc}.json`, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`i18n ${loc}: HTTP ${res.status}`);
  const data = await res.json();
  cache.set(loc, data);
  return data;
}

/** Loads the stored / browser locale (and English as the fallback). */
export async function initI18n() {
  fallback = await loadMessages('en');
  await setLocale(detectLocale(), { persist: false });
}

/** True if the user chose a language explicitly on this browser. */
export function hasStoredLocale() {
  try { return LOCALES.includes(localStorage.getItem(STORAGE_KEY)); } catch { return false; }
}

/** Fetches one plugin bundle; a missing file (404) is an empty bundle, not an error. */
async function fetchBundle(base, loc) {
  try {
    const res = await fetch(`${base}/i18n/${loc}.json`, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (!res.ok) return {};
    const data = await res.json();
    return data && typeof data === 'object' ? data : {};
  } catch (err) {
    console.warn(`i18n bundle ${base} ${loc}`, err);
    return {};
  }
}

async function loadBundle(entry, loc) {
  if (!entry.messages.has(loc)) entry.messages.set(loc, await fetchBundle(entry.base, loc));
}

/**
 * Registers plugin `id`'s bundle, served at `${base}/i18n/<locale>.json`, and loads English and the
 * active locale. Later locale switches load the plugin's file before pages re-render.
 */
export async function registerBundle(id, base) {
  const entry = bundles.get(id) || { base, messages: new Map() };
  bundles.set(id, entry);
  await Promise.all([loadBundle(entry, 'en'), loadBundle(entry, locale)]);
}

export async function setLocale(loc, { persist = true } = {}) {
  if (!LOCALES.includes(loc)) loc = 'en';
  await Promise.all([...bundles.values()].map((entry) => loadBundle(entry, loc)));
  messages = loc === 'en' ? fallback : await loadMessages(loc);
  locale = loc;
  formatters.clear();
  document.documentElement.lang = loc;
  if (persist) {
    try { localStorage.setItem(STORAGE_KEY, loc); } catch { /* ignore */ }
  }
  for (const fn of listeners) fn(loc);
}

export function getLocale() { return locale; }
export function onLocaleChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

function lookup(dict, key) {
  let node = dict;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object' || !(part in node)) return undefined;
    node = node[part];
  }
  return typeof node === 'string' ? node : undefined;
}

/** Has a translation for `key` in the active locale or the fallback. */
export function has(key) {
  return lookup(messages, key) !== undefined || lookup(fallback, key) !== undefined;
}

/**
 * Translates `key`, replacing {name} placeholders with params (numbers formatted per locale).
 * A `count` param selects `key.one` / `key.other` when the key is a plural object.
 */
export function t(key, params) {
  return translate([messages, fallback], key, params);
}

/** The dictionaries a plugin's key is looked up in: its bundle (locale, English), then the core. */
function chain(id) {
  const entry = id ? bundles.get(id) : null;
  if (!entry) return [messages, fallback];
  return [entry.messages.get(locale) || {}, entry.messages.get('en') || {}, messages, fallback];
}

/** Looks `key` up in plugin `id`'s bundle first, then in the core's (see t). */
export function tFor(id, key, params) {
  return translate(chain(id), key, params);
}

/** True if plugin `id`'s bundle or the core has `key`. */
export function hasFor(id, key) {
  return chain(id).some((dict) => lookup(dict, key) !== undefined);
}

/** The raw template for `key` in plugin `id`'s bundle only (no core fallback), or undefined. */
export function ownText(id, key) {
  const entry = bundles.get(id);
  if (!entry) return undefined;
  return lookup(entry.messages.get(locale) || {}, key) ?? lookup(entry.messages.get('en') || {}, key);
}

/** Replaces {name} placeholders with params (numbers formatted per locale). */
export function fill(text, params) {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name) => {
    if (!(name in params)) return m;
    const v = params[name];
    return typeof v === 'number' ? formatNumber(v) : String(v ?? '');
  });
}

function translate(dicts, key, params) {
  let text;
  if (params && typeof params.count === 'number') {
    const rule = pluralRules().select(params.count);
    for (const dict of dicts) {
      text = lookup(dict, `${key}.${rule}`) ?? lookup(dict, `${key}.other`);
      if (text !== undefined) break;
    }
  }
  for (const dict of dicts) {
    if (text !== undefined) break;
    text = lookup(dict, key);
  }
  if (text === undefined) {
    console.warn('missing translation', key);
    return key;
  }
  return fill(text, params);
}

/** Picks the active locale's text from a {"en":…, "zh-CN":…} object (or returns a string as is). */
export function localized(value) {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return String(value);
  return value[locale] ?? value.en ?? value['zh-CN'] ?? Object.values(value)[0] ?? '';
}

// ---- formatting -----------------------------------------------------------------------------

const formatters = new Map();
function cached(key, make) {
  let f = formatters.get(key);
  if (!f) { f = make(); formatters.set(key, f); }
  return f;
}
function pluralRules() { return cached('plural', () => new Intl.PluralRules(locale)); }

function isNum(v) { return typeof v === 'number' && Number.isFinite(v); }
function toNum(v) {
  if (isNum(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

export function formatNumber(value, { maxDigits = 2, minDigits = 0 } = {}) {
  const n = toNum(value);
  if (n === null) return value === null || value === undefined ? '—' : String(value);
  return cached(`n${maxDigits}.${minDigits}`, () => new Intl.NumberFormat(locale, {
    maximumFractionDigits: maxDigits, minimumFractionDigits: minDigits,
  })).format(n);
}

/** Short form for big numbers: 1.2M / 120万. */
export function formatCompact(value) {
  const n = toNum(value);
  if (n === null) return '—';
  if (Math.abs(n) < 10000) return formatNumber(n, { maxDigits: Math.abs(n) < 10 ? 2 : 0 });
  return cached('compact', () => new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 })).format(n);
}

export function formatCurrency(value, currency = 'CNY', { compact = false } = {}) {
  const n = toNum(value);
  if (n === null) return '—';
  const code = /^[A-Z]{3}$/.test(currency || '') ? currency : 'CNY';
  // narrowSymbol: "¥1,200" rather than "CN¥1,200"; whole amounts and big amounts drop the cents.
  const digits = Math.abs(n) >= 1000 || Number.isInteger(n) ? 0 : 2;
  const opts = compact && Math.abs(n) >= 10000
    ? { style: 'currency', currency: code, currencyDisplay: 'narrowSymbol', notation: 'compact', maximumFractionDigits: 1 }
    : { style: 'currency', currency: code, currencyDisplay: 'narrowSymbol', minimumFractionDigits: digits, maximumFractionDigits: digits };
  return cached(`c${code}${compact && Math.abs(n) >= 10000}${digits}`, () => new Intl.NumberFormat(locale, opts)).format(n);
}

/** Percent from a fraction: 0.375 → "37.5%". */
export function formatPercent(fraction, { signed = false, maxDigits = 1 } = {}) {
  const n = toNum(fraction);
  if (n === null) return '—';
  return cached(`p${signed}${maxDigits}`, () => new Intl.NumberFormat(locale, {
    style: 'percent', maximumFractionDigits: maxDigits, signDisplay: signed ? 'exceptZero' : 'auto',
  })).format(n);
}

export function formatSigned(value, { minDigits = 0 } = {}) {
  const n = toNum(value);
  if (n === null) return '—';
  return cached(`signed${minDigits}`, () => new Intl.NumberFormat(locale, { minimumFractionDigits: minDigits, maximumFractionDigits: Math.max(2, minDigits), signDisplay: 'exceptZero' })).format(n);
}

/**
 * Formats a value by unit: currency | count | percent (fraction) | days | number.
 * `compact` shortens big values for KPI cards and axes.
 */
export function formatByUnit(value, unit, { currency, compact = false } = {}) {
  switch (unit) {
    case 'currency': return formatCurrency(value, currency, { compact });
    case 'percent': return formatPercent(value);
    case 'days': return t('units.days', { count: toNum(value) ?? 0, value: formatNumber(value, { maxDigits: 1 }) });
    case 'count': return compact ? formatCompact(value) : formatNumber(value, { maxDigits: 0 });
    default: return compact ? formatCompact(value) : formatNumber(value);
  }
}

function toDate(value) {
  if (value === null || value === undefined || value === '') return null;
  // Date-only strings are calendar dates: show them without a timezone shift.
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const [y, m, d] = value.split('-').map(Number);
    return new Date(y, m - 1, d);
  }
  // "2026-11-23 06:17:08" (SQL timestamp without zone) is UTC on this server.
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) {
    value = `${value.replace(' ', 'T')}Z`;
  }
  const d = new Date(typeof value === 'number' && value < 1e12 ? value * 1000 : value);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function formatDate(value) {
  const d = toDate(value);
  if (!d) return value ? String(value) : '—';
  return cached('date', () => new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: 'numeric' })).format(d);
}

export function formatDateTime(value) {
  const d = toDate(value);
  if (!d) return value ? String(value) : '—';
  return cached('datetime', () => new Intl.DateTimeFormat(locale, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
  })).format(d);
}

/** "3 days ago" / "3天前". */
export function formatRelative(value, now = Date.now()) {
  const d = toDate(value);
  if (!d) return '—';
  const seconds = Math.round((d.getTime() - now) / 1000);
  const rtf = cached('rel', () => new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }));
  const abs = Math.abs(seconds);
  if (abs < 60) return rtf.format(seconds, 'second');
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), 'hour');
  if (abs < 86400 * 30) return rtf.format(Math.round(seconds / 86400), 'day');
  if (abs < 86400 * 365) return rtf.format(Math.round(seconds / (86400 * 30)), 'month');
  return rtf.format(Math.round(seconds / (86400 * 365)), 'year');
}

/** Formats a "period" label from the reporting API: 2025-03 → "Mar 2025", 2025-Q1, 2025-03-04. */
export function formatPeriod(value) {
  const s = String(value ?? '');
  let m = /^(\d{4})-(\d{2})$/.exec(s);
  if (m) {
    return cached('month', () => new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short' }))
      .format(new Date(Number(m[1]), Number(m[2]) - 1, 1));
  }
  m = /^(\d{4})-?Q([1-4])$/i.exec(s);
  if (m) return t('period.quarter_label', { year: m[1], quarter: m[2] });
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return formatDate(s);
  return s;
}

/** Formats a value by a column type from the reporting / drill-down API. */
export function formatCell(value, type, currency) {
  if (value === null || value === undefined || value === '') return '—';
  switch (type) {
    case 'currency': case 'money': return formatCurrency(value, currency);
    case 'percent': return formatPercent(value);
    case 'number': case 'integer': case 'count': case 'decimal': return formatNumber(value);
    case 'days': return formatByUnit(value, 'days');
    case 'date': return formatDate(value);
    case 'datetime': case 'timestamp': return formatDateTime(value);
    case 'boolean': return value ? t('common.yes') : t('common.no');
    case 'period': return formatPeriod(value);
    default: return String(value);
  }
}

/** Person name in the locale's order: "张伟" for Chinese names in zh-CN, "Wei Zhang" otherwise. */
export function personName(first, last) {
  first = (first || '').trim();
  last = (last || '').trim();
  const cjk = /[\u3400-\u9fff]/;
  if (cjk.test(first) || cjk.test(last)) return `${last}${first}`;
  return [first, last].filter(Boolean).join(' ');
}
