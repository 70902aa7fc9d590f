// Dashboards: list, and a dashboard view with global filters (period presets / custom range,
// department tree, owner), widgets on a 12-column grid, cross-filters from clicked marks,
// drill-down to records, data view, PNG / CSV export. Filter state (cross-filters included)
// lives in the URL so a view can be bookmarked and shared. The builder is dashboard-builder.js.

import { h, icon, replace, clear, toCsv, download, slug } from '../dom.js';
import { t, localized, formatDateTime, formatCell, formatPeriod } from '../i18n.js';
import { api, seg } from '../api.js';
import { updateQuery, navigate } from '../router.js';
import { currentUser, can, PERM } from '../session.js';
import { pageHeader, loadingState, emptyState, errorState, openDialog, toast, toastError } from '../ui.js';
import { createWidget } from '../charts/widgets.js';
import { PRESETS, resolvePreset, isIsoDate } from '../charts/periods.js';
import { exportButtons, mayExport, periodSuffix } from '../exports.js';

// ---- list -----------------------------------------------------------------------------------

export async function renderDashboardList({ main, signal }) {
  const create = can(...PERM.dashboardWrite)
    ? h('a', { class: 'btn btn-primary', href: '#/dashboards/new', id: 'dashboard-new' }, icon('plus'), t('builder.new'))
    : null;
  main.append(pageHeader(t('dashboards.title'), { actions: create ? [create] : [] }));
  const body = h('div', null, loadingState());
  main.appendChild(body);
  const load = async () => {
    replace(body, loadingState());
    try {
      const data = await api.get('/api/v1/reports/dashboards', { signal });
      const items = ((data && data.items) || []).slice().sort((a, b) => localized(a.name).localeCompare(localized(b.name)));
      if (!items.length) { replace(body, emptyState(t('dashboards.none'), t('dashboards.none_hint'))); return; }
      replace(body, h('ul', { class: 'card-list', 'aria-label': t('dashboards.title') }, items.map((d) => h('li', null,
        h('a', { class: 'card card-link', href: `#/dashboards/${seg(d.id)}` },
          h('span', { class: 'card-link-icon', 'aria-hidden': 'true' }, icon('dashboard')),
          h('span', { class: 'card-link-text' },
            h('strong', { text: localized(d.name) || t('dashboards.untitled') }),
            d.description ? h('span', { class: 'muted small', text: localized(d.description) }) : null,
            Number.isFinite(d.widget_count) ? h('span', { class: 'muted small', text: t('dashboards.widget_count', { count: d.widget_count }) }) : null))))));
    } catch (err) {
      if (err.name === 'AbortError') return;
      // A server without the reporting module answers 404 for the catalogue: nothing to show.
      replace(body, err.status === 404 ? emptyState(t('dashboards.none'), t('dashboards.none_hint')) : errorState(err, load));
    }
  };
  await load();
}

// ---- filters --------------------------------------------------------------------------------

export async function loadDepartments(signal) {
  try {
    const data = await api.get('/api/v1/departments', { signal });
    const items = (data && data.items) || [];
    const byId = new Map(items.map((d) => [d.id, d]));
    const depth = (d) => {
      if (d.path) return String(d.path).split('/').filter(Boolean).length - 1;
      let n = 0; let p = d.parent_id;
      while (p && byId.has(p) && n < 20) { n += 1; p = byId.get(p).parent_id; }
      return n;
    };
    // Depth-first order so children follow their parent.
    const children = new Map();
    for (const d of items) {
      const key = d.parent_id && byId.has(d.parent_id) ? d.parent_id : 0;
      if (!children.has(key)) children.set(key, []);
      children.get(key).push(d);
    }
    const out = [];
    const walk = (key, seen) => {
      for (const d of (children.get(key) || []).sort((a, b) => String(a.name).localeCompare(String(b.name)))) {
        if (seen.has(d.id)) continue;
        seen.add(d.id);
        out.push({ ...d, depth: depth(d) });
        walk(d.id, seen);
      }
    };
    walk(0, new Set());
    return out;
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    return null;
  }
}

async function loadUsers(signal) {
  try {
    const data = await api.get('/api/v1/admin/users', { signal, query: { limit: 200, active: 'true' } });
    return ((data && data.items) || []).filter((u) => u.active !== false);
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    return null;
  }
}

export function departmentLabel(d) {
  const name = localized({ en: d.name, 'zh-CN': d.name_zh || d.name });
  return `${'\u00a0\u00a0\u00a0'.repeat(Math.max(0, d.depth))}${d.depth > 0 ? '└ ' : ''}${name}`;
}

/** Reads filter values from the URL query (validated) with the definition's defaults. */
function initialFilters(defs, query) {
  const values = {};
  for (const f of defs) {
    if (f.type === 'period') {
      const preset = PRESETS.includes(query.period) ? query.period : (PRESETS.includes(f.default) ? f.default : 'last_12_months');
      values[f.field] = preset === 'custom' && isIsoDate(query.from) && isIsoDate(query.to)
        ? { preset, from: query.from, to: query.to }
        : { preset: preset === 'custom' ? 'last_12_months' : preset };
    } else if (f.type === 'department' || f.type === 'user') {
      const v = query[f.field] ?? f.default;
      values[f.field] = v !== undefined && v !== null && /^\d+$/.test(String(v)) ? Number(v) : null;
    }
  }
  return values;
}

/** Filters for the render request: {"period":{"from","to"}, "department_id": 3, …}. */
function requestFilters(defs, values) {
  const out = {};
  for (const f of defs) {
    const v = values[f.field];
    if (v === null || v === undefined) continue;
    if (f.type === 'period') {
      const range = v.preset === 'custom' ? { from: v.from, to: v.to } : resolvePreset(v.preset);
      if (range) out[f.field] = range;
    } else {
      out[f.field] = v;
    }
  }
  return out;
}

function urlQuery(defs, values) {
  const q = {};
  for (const f of defs) {
    const v = values[f.field];
    if (v === null || v === undefined) continue;
    if (f.type === 'period') {
      q.period = v.preset;
      if (v.preset === 'custom') { q.from = v.from; q.to = v.to; }
    } else q[f.field] = v;
  }
  return q;
}

function filterBar(defs, values, { departments, users, onChange }) {
  const controls = [];
  for (const f of defs) {
    const id = `flt-${slug(f.field)}`;
    if (f.type === 'period') {
      const v = values[f.field];
      const select = h('select', { id }, PRESETS.map((p) => h('option', { value: p, selected: p === v.preset, text: t(`period.presets.${p}`) })));
      const from = h('input', { type: 'date', id: `${id}-from`, value: v.from || '', 'aria-label': t('period.from') });
      const to = h('input', { type: 'date', id: `${id}-to`, value: v.to || '', 'aria-label': t('period.to') });
      const range = h('span', { class: 'date-range', hidden: v.preset !== 'custom' }, from, h('span', { 'aria-hidden': 'true', text: '–' }), to);
      const rangeText = h('span', { class: 'muted small period-text', 'aria-live': 'polite' });
      const describe = () => {
        const r = v.preset === 'custom' ? (v.from && v.to ? { from: v.from, to: v.to } : null) : resolvePreset(v.preset);
        rangeText.textContent = r ? t('period.range', { from: formatCell(r.from, 'date'), to: formatCell(r.to, 'date') }) : '';
      };
      describe();
      select.addEventListener('change', () => {
        v.preset = select.value;
        range.hidden = v.preset !== 'custom';
        if (v.preset === 'custom') {
          const r = resolvePreset('last_12_months');
          from.value = v.from || r.from;
          to.value = v.to || r.to;
          v.from = from.value; v.to = to.value;
          from.focus();
        } else { delete v.from; delete v.to; }
        describe();
        onChange();
      });
      const onDate = () => {
        if (!isIsoDate(from.value) || !isIsoDate(to.value)) return;
        if (from.value > to.value) { to.setCustomValidity(t('period.invalid')); to.reportValidity(); return; }
        to.setCustomValidity('');
        v.from = from.value; v.to = to.value;
        describe();
        onChange();
      };
      from.addEventListener('change', onDate);
      to.addEventListener('change', onDate);
      controls.push(h('div', { class: 'filter' }, h('label', { for: id, text: t('filters.period') }), h('span', { class: 'filter-row' }, select, range), rangeText));
    } else if (f.type === 'department') {
      const select = h('select', { id },
        h('option', { value: '', text: t('filters.all_departments') }),
        (departments || []).map((d) => h('option', { value: String(d.id), selected: values[f.field] === d.id, text: departmentLabel(d) })));
      if (values[f.field] && !(departments || []).some((d) => d.id === values[f.field])) {
        select.appendChild(h('option', { value: String(values[f.field]), selected: true, text: t('filters.department_n', { id: values[f.field] }) }));
      }
      select.addEventListener('change', () => { values[f.field] = select.value ? Number(select.value) : null; onChange(); });
      controls.push(h('div', { class: 'filter' }, h('label', { for: id, text: t('filters.department') }), select));
    } else if (f.type === 'user') {
      const me = currentUser();
      const list = users || (me ? [{ id: me.id, display_name: me.display_name || me.email }] : []);
      const select = h('select', { id },
        h('option', { value: '', text: t('filters.all_owners') }),
        me ? h('option', { value: String(me.id), selected: values[f.field] === me.id, text: t('filters.me') }) : null,
        list.filter((u) => !me || u.id !== me.id).sort((a, b) => String(a.display_name || a.email).localeCompare(String(b.display_name || b.email)))
          .map((u) => h('option', { value: String(u.id), selected: values[f.field] === u.id, text: u.display_name || u.email || `#${u.id}` })));
      if (values[f.field] && ![...select.options].some((o) => o.value === String(values[f.field]))) {
        select.appendChild(h('option', { value: String(values[f.field]), selected: true, text: t('filters.user_n', { id: values[f.field] }) }));
      }
      select.addEventListener('change', () => { values[f.field] = select.value ? Number(select.value) : null; onChange(); });
      controls.push(h('div', { class: 'filter' }, h('label', { for: id, text: t('filters.owner') }), select));
    }
  }
  return controls;
}

// ---- drill-down and data views ----------------------------------------------------------------

function recordTable(columns, rows, caption, currency) {
  const cols = (columns || []).map((c, i) => ({ ...c, index: i, label: localized(c.label) || c.name || '' }));
  const numeric = (type) => ['number', 'integer', 'count', 'decimal', 'currency', 'money', 'percent', 'days'].includes(type);
  const cell = (c, value) => {
    if ((c.name === 'account_id' || c.type === 'account') && value !== null && value !== undefined && value !== '') {
      return h('a', { href: `#/accounts/${seg(value)}`, text: String(value) });
    }
    return formatCell(value, c.type, currency);
  };
  // A column "account_name" next to "account_id" becomes the link text.
  const nameCol = cols.find((c) => c.name === 'account_name');
  const idCol = cols.find((c) => c.name === 'account_id');
  const shown = nameCol && idCol ? cols.filter((c) => c !== idCol) : cols;
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table table-compact' },
    h('caption', { class: 'sr-only', text: caption }),
    h('thead', null, h('tr', null, shown.map((c) => h('th', { scope: 'col', class: numeric(c.type) ? 'align-end' : '', text: c.label })))),
    h('tbody', null, (rows || []).map((r) => h('tr', null, shown.map((c) => {
      let content = cell(c, r[c.index]);
      if (c === nameCol && idCol && r[idCol.index] !== null && r[idCol.index] !== undefined) {
        content = h('a', { href: `#/accounts/${seg(r[idCol.index])}`, text: String(r[c.index] ?? r[idCol.index]) });
      }
      return h('td', { class: numeric(c.type) ? 'align-end num' : '' }, content);
    }))))));
}

function pointLabel(point) {
  return [point.series, point.category].filter((v) => v !== null && v !== undefined && v !== '').map((v) => formatPeriod(v)).join(' · ');
}

async function openDrill(dashboardId, def, point, filters) {
  const title = localized(def.title);
  const label = pointLabel(point);
  const { body, close } = openDialog({ title: label ? `${title}: ${label}` : title, size: 'lg' });
  body.appendChild(loadingState(t('dashboards.loading_records')));
  try {
    const res = await api.post(`/api/v1/reports/dashboards/${seg(dashboardId)}/widgets/${seg(def.id)}/drill`, { filters, point });
    const rows = (res && res.rows) || [];
    const csv = h('button', { type: 'button', class: 'btn', disabled: !rows.length }, icon('download'), t('dashboards.export_csv'));
    csv.addEventListener('click', () => {
      download(`${slug(title)}-${slug(label || 'records')}.csv`, new Blob([toCsv((res.columns || []).map((c) => localized(c.label) || c.name), rows)], { type: 'text/csv;charset=utf-8' }));
    });
    replace(body,
      h('p', { class: 'muted', role: 'status', text: res && res.truncated ? t('dashboards.records_truncated', { count: rows.length }) : t('dashboards.records_count', { count: rows.length }) }),
      rows.length ? recordTable(res.columns, rows, title, res.currency) : emptyState(t('dashboards.no_records')),
      h('div', { class: 'dialog-actions' }, csv, h('button', { type: 'button', class: 'btn btn-primary', text: t('common.close'), on: { click: () => close() } })));
  } catch (err) {
    replace(body, errorState(err));
  }
}

function openDataView(def, tab, drill) {
  const title = localized(def.title);
  const { body } = openDialog({ title: t('dashboards.data_of', { title }), size: 'lg' });
  const cols = tab.columns.map((c) => ({ name: c.label, label: c.label, type: c.type }));
  const table = recordTable(cols, tab.rows, title);
  if (drill && tab.points) {
    // Accessible drill-down: each row gets a button doing what clicking the chart mark does.
    const headRow = table.querySelector('thead tr');
    headRow.appendChild(h('th', { scope: 'col', class: 'sr-only', text: t('dashboards.records') }));
    table.querySelectorAll('tbody tr').forEach((tr, i) => {
      const b = h('button', { type: 'button', class: 'link-btn', text: t('dashboards.view_records') });
      b.addEventListener('click', () => drill(tab.points[i]));
      tr.appendChild(h('td', null, b));
    });
  }
  body.appendChild(table);
}

// ---- cross-filters ----------------------------------------------------------------------------

/** Cross-filters from the URL (`xf`, JSON [{field, value, label, fieldLabel}]), checked. */
function parseCrossFilters(text) {
  if (!text) return [];
  try {
    const list = JSON.parse(text);
    if (!Array.isArray(list)) return [];
    return list.filter((c) => c && /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(String(c.field))
      && (typeof c.value === 'string' || typeof c.value === 'number' || typeof c.value === 'boolean'))
      .slice(0, 12)
      .map((c) => ({ field: String(c.field), value: c.value, label: String(c.label ?? c.value), fieldLabel: String(c.fieldLabel || c.field) }));
  } catch {
    return [];
  }
}

/**
 * Menu at a clicked mark: "Filter by <field>: <value>" and "View records". Keyboard: the first
 * item takes focus, arrows move, Escape closes and returns focus to `returnFocus`.
 */
function openMarkMenu(anchor, items, returnFocus) {
  const menu = h('div', { class: 'mark-menu', role: 'menu', 'aria-label': t('builder.cross.menu') });
  const buttons = items.map((it) => {
    const b = h('button', { type: 'button', class: 'mark-menu-item', role: 'menuitem', dataset: { action: it.action } }, icon(it.icon), h('span', { text: it.label }));
    b.addEventListener('click', () => { close(); it.run(); });
    return b;
  });
  buttons.forEach((b) => menu.appendChild(b));
  document.body.appendChild(menu);
  const box = menu.getBoundingClientRect();
  menu.style.left = `${Math.max(4, Math.min(anchor.x, window.innerWidth - box.width - 4))}px`;
  menu.style.top = `${Math.max(4, Math.min(anchor.y + 4, window.innerHeight - box.height - 4))}px`;
  const onDown = (ev) => { if (!menu.contains(ev.target)) close(); };
  const onKey = (ev) => {
    const i = buttons.indexOf(document.activeElement);
    if (ev.key === 'Escape') { ev.preventDefault(); close(); if (returnFocus) returnFocus.focus(); }
    else if (ev.key === 'ArrowDown') { ev.preventDefault(); buttons[(i + 1) % buttons.length].focus(); }
    else if (ev.key === 'ArrowUp') { ev.preventDefault(); buttons[(i - 1 + buttons.length) % buttons.length].focus(); }
  };
  function close() {
    document.removeEventListener('pointerdown', onDown, true);
    document.removeEventListener('keydown', onKey, true);
    window.removeEventListener('scroll', close, true);
    menu.remove();
  }
  // Registered after this click has finished, so the click that opened the menu does not close it.
  setTimeout(() => {
    document.addEventListener('pointerdown', onDown, true);
    document.addEventListener('keydown', onKey, true);
    window.addEventListener('scroll', close, true);
  }, 0);
  buttons[0].focus();
  return close;
}

/** Makes a personal copy (POST …/copy) and opens it in the builder. */
export async function duplicateDashboard(id) {
  try {
    const copy = await api.post(`/api/v1/reports/dashboards/${seg(id)}/copy`, {});
    toast(t('builder.copied', { name: localized(copy.name) }), 'success');
    navigate(`/dashboards/${seg(copy.id)}/edit`);
  } catch (err) {
    toastError(err);
  }
}

// ---- dashboard view -------------------------------------------------------------------------

export async function renderDashboard({ main, params, query, signal }) {
  main.appendChild(loadingState());
  let dashboard;
  let departments = null;
  let users = null;
  try {
    dashboard = await api.get(`/api/v1/reports/dashboards/${seg(params.id)}`, { signal });
    const defs = dashboard.filters || [];
    [departments, users] = await Promise.all([
      defs.some((f) => f.type === 'department') ? loadDepartments(signal) : null,
      defs.some((f) => f.type === 'user') && can(...PERM.userRead) ? loadUsers(signal) : null,
    ]);
  } catch (err) {
    if (err.name === 'AbortError') return undefined;
    replace(main, pageHeader(t('dashboards.title'), { crumbs: [{ label: t('dashboards.title'), href: '#/dashboards' }] }),
      errorState(err.status === 404 ? { message: t('dashboards.not_found') } : err));
    return undefined;
  }

  const filterDefs = (dashboard.filters || []).filter((f) => ['period', 'department', 'user'].includes(f.type));
  const values = initialFilters(filterDefs, query);
  const name = localized(dashboard.name) || t('dashboards.untitled');
  const updated = h('span', { class: 'muted small', 'aria-live': 'polite' });
  const refresh = h('button', { type: 'button', class: 'btn', id: 'dashboard-refresh' }, icon('refresh'), t('common.refresh'));
  const reset = h('button', { type: 'button', class: 'btn btn-ghost', id: 'dashboard-reset', text: t('filters.reset') });
  const filtersEl = h('div', { class: 'filters', role: 'group', 'aria-label': t('filters.label') });
  const grid = h('div', { class: 'dash-grid' });
  const cross = parseCrossFilters(query.xf);
  const crossBar = h('section', { class: 'xfilter-bar', 'aria-label': t('builder.cross.label'), hidden: true });
  // Dashboard filters plus cross-filters (a cross-filter on owner_id / department_id wins).
  const allFilters = () => {
    const out = requestFilters(filterDefs, values);
    for (const c of cross) out[c.field] = c.value;
    return out;
  };

  let renderAll = () => {};
  const setCross = (key) => {
    const i = cross.findIndex((c) => c.field === key.field);
    if (i >= 0) cross.splice(i, 1, key); else cross.push(key);
    drawCross();
    renderAll();
  };
  const onSelect = (d, point, key, anchor) => {
    const returnFocus = document.activeElement;
    const records = point ? { action: 'records', icon: 'list', label: t('dashboards.view_records'), run: () => openDrill(dashboard.id, d, point, allFilters()) } : null;
    if (!key) { if (records) records.run(); return; }
    openMarkMenu(anchor, [
      { action: 'filter', icon: 'funnel', label: t('builder.cross.filter_by', { field: key.fieldLabel, value: key.label }), run: () => setCross(key) },
      records,
    ].filter(Boolean), returnFocus);
  };

  const widgets = (dashboard.widgets || [])
    .slice()
    .sort((a, b) => (Number(a.y) || 0) - (Number(b.y) || 0) || (Number(a.x) || 0) - (Number(b.x) || 0))
    .map((def) => createWidget(def, {
      onDrill: (d, point) => openDrill(dashboard.id, d, point, allFilters()),
      onShowData: (d, tab, drill) => openDataView(d, tab, drill),
      onSelect,
    }));
  for (const w of widgets) grid.appendChild(w.el);

  const actions = [updated, refresh];
  if (dashboard.editable) actions.push(h('a', { class: 'btn', id: 'dashboard-edit', href: `#/dashboards/${seg(dashboard.id)}/edit` }, icon('edit'), t('common.edit')));
  if (can(...PERM.dashboardWrite)) {
    const dup = h('button', { type: 'button', class: 'btn', id: 'dashboard-duplicate' }, icon('plus'), t('builder.duplicate'));
    dup.addEventListener('click', () => duplicateDashboard(dashboard.id));
    actions.push(dup);
  }
  // Every widget as a sheet / a PDF table, for the filters on screen.
  if (mayExport()) {
    actions.push(exportButtons({ id: 'dashboard-export', formats: ['xlsx', 'pdf'], path: `/api/v1/reports/dashboards/${seg(dashboard.id)}/export`,
      body: () => ({ filters: allFilters() }), filename: () => `dashboard-${name}${periodSuffix(allFilters().period)}` }));
  }

  replace(main,
    pageHeader(name, {
      subtitle: localized(dashboard.description) || null,
      crumbs: [{ label: t('dashboards.title'), href: '#/dashboards' }, { label: name }],
      actions,
    }),
    filterDefs.length ? h('section', { class: 'filter-bar card', 'aria-label': t('filters.label') }, filtersEl, reset) : null,
    crossBar,
    widgets.length ? grid : emptyState(t('dashboards.no_widgets')));

  function drawCross() {
    crossBar.hidden = cross.length === 0;
    if (!cross.length) { clear(crossBar); return; }
    const clearAll = h('button', { type: 'button', class: 'btn btn-ghost btn-sm', id: 'xfilter-clear', text: t('builder.cross.clear') });
    clearAll.addEventListener('click', () => { cross.splice(0); drawCross(); renderAll(); });
    replace(crossBar,
      h('span', { class: 'xfilter-title', text: t('builder.cross.label') }),
      h('ul', { class: 'chip-list xfilter-chips' }, cross.map((c) => {
        const text = `${c.fieldLabel}: ${c.label}`;
        const remove = h('button', { type: 'button', class: 'chip-x', 'aria-label': t('builder.cross.remove', { filter: text }) }, icon('close'));
        remove.addEventListener('click', () => {
          cross.splice(cross.indexOf(c), 1);
          drawCross();
          renderAll();
          const next = crossBar.querySelector('.chip-x') || refresh;
          if (next.focus) next.focus();
        });
        return h('li', { class: 'chip chip-info chip-removable xfilter-chip', dataset: { field: c.field } }, h('span', { text }), remove);
      })),
      clearAll);
  }
  drawCross();

  let seq = 0;
  let controller = null;
  renderAll = async () => {
    const mine = ++seq;
    updateQuery({ ...urlQuery(filterDefs, values), xf: cross.length ? JSON.stringify(cross) : null });
    if (controller) controller.abort();
    controller = new AbortController();
    const onAbort = () => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    for (const w of widgets) w.setLoading(true);
    grid.setAttribute('aria-busy', 'true');
    refresh.disabled = true;
    try {
      const res = await api.post(`/api/v1/reports/dashboards/${seg(dashboard.id)}/render`, { filters: allFilters() }, { signal: controller.signal });
      if (mine !== seq) return;
      const results = (res && res.widgets) || {};
      await Promise.all(widgets.map((w) => w.setData(results[String(w.def.id)])));
      updated.textContent = t('dashboards.updated', { time: formatDateTime(new Date()) });
    } catch (err) {
      if (err.name === 'AbortError' || mine !== seq) return;
      for (const w of widgets) w.setError(err);
      toastError(err);
    } finally {
      if (mine === seq) { grid.setAttribute('aria-busy', 'false'); refresh.disabled = false; }
      signal.removeEventListener('abort', onAbort);
    }
  };

  const drawFilters = () => replace(filtersEl, filterBar(filterDefs, values, { departments, users, onChange: () => renderAll() }));
  drawFilters();
  refresh.addEventListener('click', () => renderAll());
  reset.addEventListener('click', () => {
    Object.assign(values, initialFilters(filterDefs, {}));
    cross.splice(0);
    drawCross();
    drawFilters();
    renderAll();
  });
  renderAll();

  return () => {
    seq += 1;
    if (controller) controller.abort();
    for (const w of widgets) w.dispose();
    clear(grid);
  };
}
