// Plugin pages. Each enabled module whose `ui` is set ships an ES module at /plugins/<id>/….js.
// The shell loads the plugin's i18n bundle (/plugins/<id>/i18n/<locale>.json), imports the module
// and calls its exported `register(host)`; docs/ui.md and docs/plugin-guide.md ("The web UI of a
// plugin") describe the host API. Plugin routes live under #/m/<id>/…
//
// The core knows no module by name: everything a module shows (nav entries, pages, panels on
// core pages, search providers, "New…" items) is registered here by the module itself and shown
// only while the server's session lists the module as enabled for the user.

import * as dom from './dom.js';
import * as i18n from './i18n.js';
import { api, seg } from './api.js';
import { modules, can, currentUser, fieldDenied, hasModule } from './session.js';
import { route, navigate, href, updateQuery } from './router.js';
import * as ui from './ui.js';
import * as forms from './forms.js';
import { listController, searchBox } from './list.js';
import { simpleChart, tipHead, tipRow, TOOLTIP } from './charts/simple.js';
import { createWidget } from './charts/widgets.js';
import { timelineItem, timelineTitle, timelineKind } from './timeline.js';
import { focusHeading } from './shell.js';

const navEntries = new Map(); // moduleId → [{id, href, label, icon}]
const loaded = new Map();     // moduleId → {ok, error}
const slots = { panel: [], search: [], newItem: [] }; // each entry carries its module id
const UI_PATH = /^\/plugins\/[a-z0-9][a-z0-9_.-]*\/(?:[A-Za-z0-9_-]+\/)*[A-Za-z0-9_.-]+\.m?js$/;
const ASSET = /^(?:[A-Za-z0-9_-]+\/)*[A-Za-z0-9_.-]+\.css$/;
const PANEL_PAGES = new Set(['account', 'contact']);

const enabled = (id) => hasModule(id);

function labelOf(id, label) {
  if (typeof label === 'function') return label();
  if (label && typeof label === 'object' && typeof label.key === 'string') return i18n.tFor(id, label.key);
  return i18n.localized(label);
}

function hostFor(mod, page) {
  const id = mod.id;
  const base = `/m/${id}`;
  const full = (path) => `${base}${!path || path === '/' ? '' : path}`;
  const t = (key, params) => i18n.tFor(id, key, params);
  return Object.freeze({
    id,
    apiVersion: 2,
    api,
    seg,
    dom: Object.freeze({
      h: dom.h, append: dom.append, clear: dom.clear, replace: dom.replace, icon: dom.icon, debounce: dom.debounce,
      escapeHtml: dom.escapeHtml, safeHttpUrl: dom.safeHttpUrl, toCsv: dom.toCsv, download: dom.download,
    }),
    /** t/has resolve in this plugin's bundle first, then the core's; pages re-render on a language switch. */
    i18n: Object.freeze({
      t, has: (key) => i18n.hasFor(id, key),
      locale: i18n.getLocale, localized: i18n.localized, onLocaleChange: i18n.onLocaleChange,
      formatNumber: i18n.formatNumber, formatCurrency: i18n.formatCurrency, formatPercent: i18n.formatPercent,
      formatDate: i18n.formatDate, formatDateTime: i18n.formatDateTime, formatRelative: i18n.formatRelative,
      formatCell: i18n.formatCell, personName: i18n.personName,
    }),
    ui: Object.freeze({ ...ui }),
    /** createForm (labelled fields, 422 error.fields shown beside the inputs, 409 banner), inputs. */
    forms: Object.freeze({ createForm: forms.createForm, textInput: forms.textInput, selectInput: forms.selectInput }),
    /** The dashboards' ECharts code: simpleChart for a page chart, widget for a dashboard widget. */
    charts: Object.freeze({ simpleChart, tipHead, tipRow, TOOLTIP, widget: createWidget }),
    /** The list page helper every core list uses (paging, sort, filters, q, states, stale-load abort). */
    list: Object.freeze({ controller: listController, searchBox }),
    /** Timeline entries rendered from their kind and body through the owner's bundle. */
    timeline: Object.freeze({ item: timelineItem, title: timelineTitle, kind: timelineKind }),
    focusHeading,
    can,
    fieldDenied,
    user: currentUser,
    /** Adds a page at #/m/<id><path>; render({params, query, signal, main}) may return a cleanup. */
    route(path, render, { permissions = null } = {}) {
      route(full(path), page(render, permissions), { module: id });
    },
    /**
     * Sends an old link of this module (a pattern under "/<id>/", e.g. "/<id>/*") to a page of its
     * own: to(params, rest) returns the plugin path. A plugin cannot take over another path.
     */
    redirect(pattern, to) {
      if (!pattern.startsWith(`/${id}/`)) throw new Error(`a redirect of ${id} must start with /${id}/`);
      route(pattern, (ctx) => {
        const rest = ctx.path.slice(id.length + 2);
        navigate(full(to(ctx.params, rest)), ctx.query, { replace: true });
      }, { module: id });
    },
    /** Adds a navigation entry; label is a string, {"en","zh-CN"}, {key} in the bundle, or a function. */
    nav({ path = '/', label, icon = 'module', permissions = null }) {
      const list = navEntries.get(id) || [];
      list.push({ id: `m-${id}-${list.length}`, href: href(full(path)), labelSource: label, icon, permissions });
      navEntries.set(id, list);
    },
    /** Adds a stylesheet this plugin ships (a path under /plugins/<id>/). */
    stylesheet(file) {
      if (!ASSET.test(file) || file.includes('..')) throw new Error(`refused stylesheet ${file}`);
      const url = `/plugins/${id}/${file}`;
      if (document.querySelector(`link[data-plugin="${id}"][href="${url}"]`)) return;
      document.head.appendChild(dom.h('link', { rel: 'stylesheet', href: url, dataset: { plugin: id } }));
    },
    /**
     * A panel on a core page ('account' or 'contact'): render({record, signal}) returns an
     * element (or null for nothing), synchronously or as a promise.
     */
    panel(pageName, render, { order = 100 } = {}) {
      if (!PANEL_PAGES.has(pageName)) throw new Error(`no panel slot on "${pageName}"`);
      slots.panel.push({ module: id, page: pageName, render, order });
    },
    /** A global search provider: search(q, {signal, limit}) → [{title, subtitle, href}]. */
    search({ label, search }) {
      slots.search.push({ module: id, label: () => labelOf(id, label), search });
    },
    /** An item in the "New…" menu: run() opens a dialog or navigates; shown if permissions allow. */
    newItem({ label, icon = 'plus', permissions = null, run }) {
      slots.newItem.push({ module: id, label: () => labelOf(id, label), icon, permissions, run });
    },
    href: (path, query) => href(full(path), query),
    navigate: (path, query, opts) => navigate(full(path), query, opts),
    /** Core routes (#/accounts/…) and the query of the current page. */
    router: Object.freeze({ href, navigate, updateQuery }),
  });
}

/** Loads every enabled module's bundle and UI. Failures are recorded, never fatal for the shell. */
export async function loadPluginUis(page) {
  const jobs = modules().filter((m) => m && m.ui && !loaded.has(m.id)).map(async (mod) => {
    loaded.set(mod.id, { ok: false, pending: true });
    if (!UI_PATH.test(mod.ui) || mod.ui.includes('..') || !mod.ui.startsWith(`/plugins/${mod.id}/`)) {
      loaded.set(mod.id, { ok: false, error: new Error(`refused UI path ${mod.ui}`) });
      return;
    }
    try {
      await i18n.registerBundle(mod.id, `/plugins/${mod.id}`);
      const module = await import(mod.ui);
      const register = module.register || module.default;
      if (typeof register !== 'function') throw new Error('UI module exports no register(host)');
      await register(hostFor(mod, page));
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
    if (!mod || !mod.ui) continue;
    const entries = (navEntries.get(mod.id) || []).filter((e) => !e.permissions || can(...e.permissions));
    if (entries.length) {
      for (const e of entries) items.push({ ...e, label: labelOf(mod.id, e.labelSource) || i18n.localized(mod.name) });
    } else if (!navEntries.has(mod.id)) {
      items.push({ id: `m-${mod.id}`, href: href(`/m/${mod.id}`), label: i18n.localized(mod.name) || mod.id, icon: 'module' });
    }
  }
  return items;
}

/** Panels the enabled modules put on a core page, in order; a failing panel is left out. */
export function slotPanels(pageName, ctx) {
  return slots.panel.filter((p) => p.page === pageName && enabled(p.module)).sort((a, b) => a.order - b.order).map((p) => {
    const holder = dom.h('div', { class: 'slot-panel span-3', dataset: { module: p.module } });
    Promise.resolve().then(() => p.render(ctx)).then((node) => {
      if (node) holder.replaceWith(node); else holder.remove();
    }).catch((err) => {
      if (err && err.name === 'AbortError') return;
      console.error(`panel of ${p.module}`, err);
      holder.remove();
    });
    return holder;
  });
}

/** Search providers of the enabled modules: [{module, label(), search}]. */
export function searchProviders() { return slots.search.filter((s) => enabled(s.module)); }

/** "New…" items of the enabled modules the user may use. */
export function newItems() {
  return slots.newItem.filter((n) => enabled(n.module) && (!n.permissions || can(...n.permissions)));
}

export function pluginStatus(id) { return loaded.get(id); }
