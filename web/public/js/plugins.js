// Plugin pages. Each enabled module whose `ui` is set ships an ES module at /plugins/<id>/….js.
// The shell imports it and calls its exported `register(host)`; see docs/ui.md for the host API.
// Plugin routes live under #/m/<id>/…; plugin nav labels are {"en","zh-CN"} objects.

import * as dom from './dom.js';
import * as i18n from './i18n.js';
import { api, seg } from './api.js';
import { modules, can, currentUser } from './session.js';
import { route, navigate, href } from './router.js';
import * as ui from './ui.js';

const navEntries = new Map(); // moduleId → [{id, href, label, icon}]
const loaded = new Map();     // moduleId → {ok, error}
// Modules whose pages the core ships itself (js/pages/…): their plugin UI module is not loaded,
// so the navigation does not list the same pages twice.
export const BUILTIN_UI = new Set(['sales']);
const UI_PATH = /^\/plugins\/[a-z0-9][a-z0-9_.-]*\/(?:[A-Za-z0-9_-]+\/)*[A-Za-z0-9_.-]+\.m?js$/;

function hostFor(mod, mountPage) {
  const base = `/m/${mod.id}`;
  return Object.freeze({
    id: mod.id,
    apiVersion: 1,
    api,
    seg,
    dom: Object.freeze({ h: dom.h, append: dom.append, clear: dom.clear, icon: dom.icon, escapeHtml: dom.escapeHtml, safeHttpUrl: dom.safeHttpUrl, toCsv: dom.toCsv, download: dom.download }),
    i18n: Object.freeze({
      t: i18n.t, locale: i18n.getLocale, localized: i18n.localized, onLocaleChange: i18n.onLocaleChange,
      formatNumber: i18n.formatNumber, formatCurrency: i18n.formatCurrency, formatPercent: i18n.formatPercent,
      formatDate: i18n.formatDate, formatDateTime: i18n.formatDateTime, formatCell: i18n.formatCell,
    }),
    ui: Object.freeze({ ...ui }),
    can,
    user: currentUser,
    /** Adds a page at #/m/<id><path>; render({params, query, signal, main}) may return a cleanup. */
    route(path, render) {
      const full = `${base}${path === '/' ? '' : path}`;
      route(full, (ctx) => render({ ...ctx, main: mountPage() }), { module: mod.id });
    },
    /** Adds a navigation entry; label is a string or {"en","zh-CN"}. */
    nav({ path = '/', label, icon = 'module' }) {
      const list = navEntries.get(mod.id) || [];
      list.push({ id: `m-${mod.id}-${list.length}`, href: href(`${base}${path === '/' ? '' : path}`), labelSource: label, icon });
      navEntries.set(mod.id, list);
    },
    navigate: (path, query) => navigate(`${base}${path === '/' ? '' : path}`, query),
  });
}

/** Imports every enabled module's UI. Failures are recorded, never fatal for the shell. */
export async function loadPluginUis(mountPage) {
  const jobs = modules().filter((m) => m && m.ui && !loaded.has(m.id) && !BUILTIN_UI.has(m.id)).map(async (mod) => {
    if (!UI_PATH.test(mod.ui) || mod.ui.includes('..') || !mod.ui.startsWith(`/plugins/${mod.id}/`)) {
      loaded.set(mod.id, { ok: false, error: new Error(`refused UI path ${mod.ui}`) });
      return;
    }
    try {
      const module = await import(mod.ui);
      const register = module.register || module.default;
      if (typeof register !== 'function') throw new Error('UI module exports no register(host)');
      await register(hostFor(mod, mountPage));
      loaded.set(mod.id, { ok: true });
    } catch (error) {
      console.error(`plugin UI ${mod.id}`, error);
      loaded.set(mod.id, { ok: false, error });
    }
  });
  await Promise.all(jobs);
}

/** Module nav items: each loaded UI's own entries, or one entry to a status page on failure. */
export function pluginNavItems() {
  const items = [];
  for (const mod of modules()) {
    if (!mod || !mod.ui || BUILTIN_UI.has(mod.id)) continue;
    const entries = navEntries.get(mod.id);
    if (entries && entries.length) {
      for (const e of entries) items.push({ ...e, label: i18n.localized(e.labelSource) || i18n.localized(mod.name) });
    } else {
      items.push({ id: `m-${mod.id}`, href: href(`/m/${mod.id}`), label: i18n.localized(mod.name) || mod.id, icon: 'module' });
    }
  }
  return items;
}

export function pluginStatus(id) { return loaded.get(id); }

export function resetPlugins() {
  navEntries.clear();
  loaded.clear();
}
