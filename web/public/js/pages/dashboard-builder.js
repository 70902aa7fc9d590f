// Dashboard builder: create a dashboard, or edit one you may write. Widgets come from the
// reporting catalogue — a KPI, or a dataset query (measures, grouping, time grain, filters) — in
// any type the engine renders. They sit on the 12-column grid and move (drag the header) or
// resize (drag the corner) with the pointer, snapped to columns and rows; widgets in the way are
// pushed down. The handle button does the same from the keyboard (arrows move, Shift+arrows
// resize). Every change re-renders a live preview of the unsaved document
// (POST /api/v1/reports/dashboards/preview). Save posts or puts with the version read (409 →
// "changed elsewhere, reload"); Duplicate copies; Share picks departments and roles.

import { h, icon, replace, clear, debounce } from '../dom.js';
import { t, has, localized } from '../i18n.js';
import { api, seg } from '../api.js';
import { navigate, render as rerender, setLeaveGuard } from '../router.js';
import { can, PERM } from '../session.js';
import { pageHeader, loadingState, emptyState, errorState, openDialog, confirmDialog, toast } from '../ui.js';
import { createForm, textInput, selectInput } from '../forms.js';
import { createWidget, layout } from '../charts/widgets.js';
import { PRESETS } from '../charts/periods.js';
import { loadDepartments, departmentLabel, duplicateDashboard } from './dashboards.js';

/** What a KPI can feed (Dashboards.cpp validate) and what a query can feed. */
export const KPI_TYPES = ['kpi', 'gauge', 'line', 'bar'];
export const QUERY_TYPES = ['bar', 'line', 'stacked_bar', 'pie', 'donut', 'funnel', 'gauge', 'table', 'leaderboard', 'heatmap', 'scatter'];
const AGGREGATES = ['sum', 'avg', 'min', 'max', 'count', 'count_distinct'];
const GRAINS = ['day', 'week', 'month', 'quarter', 'year'];
const OPS = [['=', 'eq'], ['!=', 'ne'], ['in', 'in'], ['>', 'gt'], ['>=', 'ge'], ['<', 'lt'], ['<=', 'le'], ['contains', 'contains']];
const COLS = 12;
const MAX_H = 12;
const DEFAULT_FILTERS = [
  { field: 'period', type: 'period', default: 'last_12_months' },
  { field: 'department_id', type: 'department' },
  { field: 'owner_id', type: 'user' },
];

const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));
const overlaps = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
const both = (en, zh) => ({ en, 'zh-CN': zh || en });

/** Pushes every widget overlapping `moved` below it, and so on down the grid; `moved` stays put. */
function pushDown(defs, moved) {
  const queue = [moved];
  for (let guard = 0; queue.length && guard < 5000; guard += 1) {
    const a = queue.shift();
    for (const b of defs) {
      if (b !== a && b !== moved && overlaps(a, b)) { b.y = a.y + a.h; queue.push(b); }
    }
  }
}

/** The first free slot (top to bottom, left to right) for a w × h widget. */
function freeSlot(defs, w, hgt) {
  const bottom = defs.reduce((m, d) => Math.max(m, d.y + d.h), 0);
  for (let y = 0; y <= bottom; y += 1) {
    for (let x = 0; x + w <= COLS; x += 1) {
      const probe = { x, y, w, h: hgt };
      if (!defs.some((d) => overlaps(d, probe))) return { x, y };
    }
  }
  return { x: 0, y: bottom };
}

function defaultSize(type) {
  if (type === 'kpi') return { w: 3, h: 2 };
  if (type === 'gauge') return { w: 3, h: 3 };
  if (type === 'table' || type === 'leaderboard') return { w: 6, h: 5 };
  return { w: 6, h: 4 };
}

function nextId(defs) {
  const used = new Set(defs.map((d) => String(d.id)));
  let n = defs.length + 1;
  while (used.has(`w${n}`)) n += 1;
  return `w${n}`;
}

// ---- page -----------------------------------------------------------------------------------

export async function renderDashboardBuilder({ main, params, signal }) {
  const editingId = params.id || null;
  main.appendChild(loadingState());
  let catalog;
  let saved = null;
  try {
    [catalog, saved] = await Promise.all([
      api.get('/api/v1/reports/catalog', { signal }),
      editingId ? api.get(`/api/v1/reports/dashboards/${seg(editingId)}`, { signal }) : null,
    ]);
  } catch (err) {
    if (err.name === 'AbortError') return undefined;
    replace(main, pageHeader(t('builder.new'), { crumbs: [{ label: t('dashboards.title'), href: '#/dashboards' }] }),
      errorState(err.status === 404 ? { message: t('dashboards.not_found') } : err));
    return undefined;
  }
  const crumbs = [{ label: t('dashboards.title'), href: '#/dashboards' }];
  if (saved && !saved.editable) {
    const name = localized(saved.name) || t('dashboards.untitled');
    const dup = h('button', { type: 'button', class: 'btn btn-primary', id: 'builder-duplicate' }, icon('plus'), t('builder.duplicate'));
    dup.addEventListener('click', () => duplicateDashboard(saved.id));
    replace(main, pageHeader(name, { crumbs: [...crumbs, { label: name, href: `#/dashboards/${seg(saved.id)}` }] }),
      emptyState(t('builder.not_editable'), t('builder.not_editable_hint'), dup));
    return undefined;
  }

  const state = {
    id: saved ? saved.id : null,
    version: saved ? saved.version : null,
    saved,
    shared: (saved && saved.shared) || { departments: [], roles: [] },
    filters: saved && Array.isArray(saved.filters) && saved.filters.length ? saved.filters.map((f) => ({ ...f })) : DEFAULT_FILTERS.map((f) => ({ ...f })),
    defs: ((saved && saved.widgets) || []).map((w) => JSON.parse(JSON.stringify(w))),
    dirty: false,
  };
  const cards = new Map(); // widget id → {def, widget, el}

  // ---- header, form, toolbar ----
  const title = saved ? t('builder.edit_title', { name: localized(saved.name) || t('dashboards.untitled') }) : t('builder.new');
  const status = h('span', { class: 'muted small', id: 'builder-status', 'aria-live': 'polite' });
  const saveBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'builder-save' }, t('common.save'));
  const shareBtn = h('button', { type: 'button', class: 'btn', id: 'builder-share', disabled: !state.id, title: state.id ? null : t('builder.share.save_first') }, icon('users'), t('builder.share.button'));
  const dupBtn = state.id ? h('button', { type: 'button', class: 'btn', id: 'builder-duplicate' }, icon('plus'), t('builder.duplicate')) : null;
  const openLink = state.id ? h('a', { class: 'btn btn-ghost', id: 'builder-open', href: `#/dashboards/${seg(state.id)}` }, icon('dashboard'), t('builder.open')) : null;

  const form = createForm({ idPrefix: 'builder' });
  const nameEn = textInput({ id: 'builder-name-en', maxlength: '120', value: saved ? (saved.name && saved.name.en) || '' : '' });
  const nameZh = textInput({ id: 'builder-name-zh', maxlength: '120', lang: 'zh-CN', value: saved ? (saved.name && saved.name['zh-CN']) || '' : '' });
  const periodFilter = state.filters.find((f) => f.type === 'period');
  const periodSel = selectInput(PRESETS.filter((p) => p !== 'custom').map((p) => ({ value: p, label: t(`period.presets.${p}`) })),
    (periodFilter && periodFilter.default) || 'last_12_months', { id: 'builder-period' });
  const addBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'builder-add', disabled: !(catalog.kpis || []).length && !(catalog.datasets || []).length }, icon('plus'), t('builder.add_widget'));
  const grid = h('div', { class: 'dash-grid builder-grid', id: 'builder-grid', role: 'group', 'aria-label': t('builder.grid_label') });
  const empty = emptyState(t('builder.empty'), (catalog.kpis || []).length || (catalog.datasets || []).length ? t('builder.empty_hint') : t('builder.no_catalog'));
  const live = h('p', { class: 'sr-only', 'aria-live': 'polite' });

  replace(main,
    pageHeader(title, {
      crumbs: [...crumbs, ...(saved ? [{ label: localized(saved.name) || t('dashboards.untitled'), href: `#/dashboards/${seg(saved.id)}` }] : []), { label: saved ? t('common.edit') : t('builder.new') }],
      actions: [status, openLink, dupBtn, shareBtn, saveBtn].filter(Boolean),
    }),
    h('section', { class: 'card builder-form', 'aria-label': t('builder.settings') },
      form.banner,
      h('div', { class: 'form-row' },
        form.field('name_en', t('builder.name_en'), nameEn, { required: true }),
        form.field('name_zh', t('builder.name_zh'), nameZh),
        form.field('period', t('builder.default_period'), periodSel, { hint: t('builder.default_period_hint') })),
      h('div', { class: 'builder-toolbar' }, addBtn, h('span', { class: 'muted small', text: t('builder.layout_hint') }))),
    empty,
    grid,
    live);

  const markDirty = () => {
    state.dirty = true;
    status.textContent = t('builder.unsaved');
  };
  // Unsaved work is not lost to a stray click, the back button, a language switch or a reload.
  setLeaveGuard(() => !state.dirty || confirmDialog({ title: t('builder.leave.title'), message: t('builder.leave.message'), confirmLabel: t('builder.leave.confirm'), danger: true }));
  const onBeforeUnload = (e) => { if (state.dirty) { e.preventDefault(); e.returnValue = ''; } };
  window.addEventListener('beforeunload', onBeforeUnload);
  [nameEn, nameZh].forEach((i) => i.addEventListener('input', markDirty));
  periodSel.addEventListener('change', () => {
    const p = state.filters.find((f) => f.type === 'period');
    if (p) p.default = periodSel.value; else state.filters.unshift({ field: 'period', type: 'period', default: periodSel.value });
    markDirty();
    preview();
  });

  /** The document as the API takes it. */
  const documentBody = () => {
    const body = {
      name: both(nameEn.value.trim(), nameZh.value.trim()),
      filters: state.filters,
      widgets: state.defs,
      shared: state.shared,
    };
    if (saved && saved.description) body.description = saved.description;
    return body;
  };

  // ---- preview ----
  let previewSeq = 0;
  let previewCtl = null;
  const runPreview = async () => {
    if (!state.defs.length) return;
    const mine = ++previewSeq;
    if (previewCtl) previewCtl.abort();
    previewCtl = new AbortController();
    for (const c of cards.values()) c.widget.setLoading(true);
    grid.setAttribute('aria-busy', 'true');
    try {
      const res = await api.post('/api/v1/reports/dashboards/preview',
        { dashboard: documentBody(), filters: { period: periodSel.value } }, { signal: previewCtl.signal });
      if (mine !== previewSeq) return;
      const results = (res && res.widgets) || {};
      await Promise.all([...cards.values()].map((c) => c.widget.setData(results[String(c.def.id)])));
    } catch (err) {
      if (err.name === 'AbortError' || mine !== previewSeq) return;
      for (const c of cards.values()) c.widget.setError(err);
      form.showBanner(t('builder.preview_failed', { message: err.message }));
    } finally {
      if (mine === previewSeq) grid.setAttribute('aria-busy', 'false');
    }
  };
  const preview = debounce(runPreview, 200);

  // ---- cards on the grid ----
  const relayout = () => {
    for (const c of cards.values()) layout(c.el, c.def);
    empty.hidden = state.defs.length > 0;
  };
  const announce = (def) => {
    live.textContent = t('builder.position', { title: localized(def.title) || def.id, x: def.x + 1, y: def.y + 1, w: def.w, h: def.h });
  };

  /** Drag to move (header) or resize (corner), snapped to grid columns and rows. */
  const startDrag = (ev, card, mode) => {
    if (ev.button !== 0) return;
    ev.preventDefault();
    const target = ev.currentTarget;
    target.setPointerCapture(ev.pointerId);
    const cs = getComputedStyle(grid);
    const gap = parseFloat(cs.columnGap) || 16;
    const colStep = (grid.getBoundingClientRect().width - gap * (COLS - 1)) / COLS + gap;
    const rowStep = (parseFloat(cs.gridAutoRows) || 76) + (parseFloat(cs.rowGap) || gap);
    const start = { x: ev.clientX, y: ev.clientY };
    const snapshot = state.defs.map((d) => ({ d, x: d.x, y: d.y, w: d.w, h: d.h }));
    const orig = { x: card.def.x, y: card.def.y, w: card.def.w, h: card.def.h };
    let changed = false;
    card.el.classList.add(mode === 'move' ? 'is-moving' : 'is-resizing');
    const onMove = (e) => {
      const dc = Math.round((e.clientX - start.x) / colStep);
      const dr = Math.round((e.clientY - start.y) / rowStep);
      const next = mode === 'move'
        ? { x: clamp(orig.x + dc, 0, COLS - orig.w), y: Math.max(0, orig.y + dr), w: orig.w, h: orig.h }
        : { x: orig.x, y: orig.y, w: clamp(orig.w + dc, 1, COLS - orig.x), h: clamp(orig.h + dr, 1, MAX_H) };
      const d = card.def;
      if (next.x === d.x && next.y === d.y && next.w === d.w && next.h === d.h) return;
      for (const s of snapshot) Object.assign(s.d, { x: s.x, y: s.y, w: s.w, h: s.h });
      Object.assign(card.def, next);
      pushDown(state.defs, card.def);
      changed = next.x !== orig.x || next.y !== orig.y || next.w !== orig.w || next.h !== orig.h;
      relayout();
    };
    const onUp = () => {
      target.removeEventListener('pointermove', onMove);
      target.removeEventListener('pointerup', onUp);
      target.removeEventListener('pointercancel', onUp);
      card.el.classList.remove('is-moving', 'is-resizing');
      if (changed) { markDirty(); announce(card.def); }
    };
    target.addEventListener('pointermove', onMove);
    target.addEventListener('pointerup', onUp);
    target.addEventListener('pointercancel', onUp);
  };

  const onHandleKey = (ev, card) => {
    const dirs = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (!dirs[ev.key]) return;
    ev.preventDefault();
    const [dx, dy] = dirs[ev.key];
    const d = card.def;
    if (ev.shiftKey) { d.w = clamp(d.w + dx, 1, COLS - d.x); d.h = clamp(d.h + dy, 1, MAX_H); }
    else { d.x = clamp(d.x + dx, 0, COLS - d.w); d.y = Math.max(0, d.y + dy); }
    pushDown(state.defs, d);
    relayout();
    markDirty();
    announce(d);
  };

  const addCard = (def, before) => {
    const widget = createWidget(def, {});
    const el = widget.el;
    const card = { def, widget, el };
    const wtitle = localized(def.title) || def.id;
    el.classList.add('builder-card');
    const header = el.querySelector('.widget-header');
    header.classList.add('builder-drag');
    const handle = h('button', { type: 'button', class: 'icon-btn builder-handle', 'aria-label': t('builder.move_label', { title: wtitle }), title: t('builder.move_hint'), dataset: { action: 'move' } }, icon('move'));
    const edit = h('button', { type: 'button', class: 'icon-btn', 'aria-label': `${t('builder.edit_widget')}: ${wtitle}`, title: t('builder.edit_widget'), dataset: { action: 'edit' } }, icon('edit'));
    const remove = h('button', { type: 'button', class: 'icon-btn', 'aria-label': `${t('builder.remove_widget')}: ${wtitle}`, title: t('builder.remove_widget'), dataset: { action: 'remove' } }, icon('trash'));
    header.appendChild(h('div', { class: 'builder-tools' }, handle, edit, remove));
    const resizer = h('span', { class: 'builder-resize', title: t('builder.resize'), 'aria-hidden': 'true', dataset: { action: 'resize' } });
    el.appendChild(resizer);
    header.addEventListener('pointerdown', (ev) => {
      if (ev.target.closest('button:not(.builder-handle), a, input, select')) return;
      startDrag(ev, card, 'move');
    });
    resizer.addEventListener('pointerdown', (ev) => startDrag(ev, card, 'resize'));
    handle.addEventListener('keydown', (ev) => onHandleKey(ev, card));
    edit.addEventListener('click', () => openWidgetDialog(catalog, card.def, (next) => replaceCard(card, next)));
    remove.addEventListener('click', () => {
      state.defs.splice(state.defs.indexOf(card.def), 1);
      cards.delete(String(def.id));
      widget.dispose();
      el.remove();
      relayout();
      markDirty();
      live.textContent = t('builder.removed', { title: wtitle });
      addBtn.focus();
    });
    cards.set(String(def.id), card);
    if (before) grid.insertBefore(el, before); else grid.appendChild(el);
    layout(el, def);
    return card;
  };

  const replaceCard = (card, next) => {
    const i = state.defs.indexOf(card.def);
    state.defs.splice(i, 1, next);
    const after = card.el.nextSibling;
    card.widget.dispose();
    card.el.remove();
    cards.delete(String(card.def.id));
    addCard(next, after);
    relayout();
    markDirty();
    preview();
  };

  for (const def of state.defs) addCard(def);
  relayout();
  runPreview();

  addBtn.addEventListener('click', () => openWidgetDialog(catalog, null, (def) => {
    const size = defaultSize(def.type);
    Object.assign(def, { id: nextId(state.defs), ...size, ...freeSlot(state.defs, size.w, size.h) });
    state.defs.push(def);
    const card = addCard(def);
    relayout();
    markDirty();
    preview();
    card.el.scrollIntoView({ block: 'nearest' });
    announce(def);
  }));

  // ---- save, duplicate, share ----
  const conflictNode = () => {
    const reload = h('button', { type: 'button', class: 'btn btn-sm', id: 'builder-reload' }, icon('refresh'), t('common.reload'));
    // Reloading is the answer to "changed elsewhere": the local edits are given up knowingly.
    reload.addEventListener('click', () => { state.dirty = false; rerender(); });
    return h('span', { class: 'builder-conflict' }, h('span', { text: t('builder.conflict') }), ' ', reload);
  };

  saveBtn.addEventListener('click', async () => {
    form.reset();
    if (!nameEn.value.trim()) { form.showErrors({ name_en: t('builder.name_required') }); return; }
    saveBtn.disabled = true;
    try {
      const body = documentBody();
      if (!state.id) {
        const created = await api.post('/api/v1/reports/dashboards', body);
        state.dirty = false;
        toast(t('builder.created', { name: localized(created.name) }), 'success');
        navigate(`/dashboards/${seg(created.id)}/edit`, null, { replace: true });
        return;
      }
      const updated = await api.put(`/api/v1/reports/dashboards/${seg(state.id)}`, { ...body, version: state.version });
      state.saved = updated;
      state.version = updated.version;
      state.dirty = false;
      status.textContent = t('builder.all_saved');
      toast(t('builder.saved', { name: localized(updated.name) }), 'success');
    } catch (err) {
      if (err.status === 409) form.showBanner(conflictNode());
      else form.fail(err);
    } finally {
      saveBtn.disabled = false;
    }
  });

  if (dupBtn) {
    dupBtn.addEventListener('click', async () => {
      if (state.dirty && !(await confirmDialog({ title: t('builder.duplicate'), message: t('builder.duplicate_unsaved'), confirmLabel: t('builder.duplicate') }))) return;
      state.dirty = false; // agreed to above: the copy opens without asking again
      duplicateDashboard(state.id);
    });
  }
  shareBtn.addEventListener('click', () => openShareDialog(state, (updated) => {
    state.saved = updated;
    state.version = updated.version;
    state.shared = updated.shared || state.shared;
  }));

  return () => {
    window.removeEventListener('beforeunload', onBeforeUnload);
    previewSeq += 1;
    preview.cancel();
    if (previewCtl) previewCtl.abort();
    for (const c of cards.values()) c.widget.dispose();
    clear(grid);
  };
}

// ---- share dialog -----------------------------------------------------------------------------

async function openShareDialog(state, onSaved) {
  const name = localized(state.saved && state.saved.name) || t('dashboards.untitled');
  const { body, close } = openDialog({ title: t('builder.share.title', { name }), size: 'md' });
  body.appendChild(loadingState());
  const shared = state.shared || { departments: [], roles: [] };
  const [departments, roles] = await Promise.all([
    can(...PERM.departmentRead) ? loadDepartments().catch(() => null) : Promise.resolve('denied'),
    can(...PERM.roleRead) ? api.get('/api/v1/admin/roles').then((r) => (r && r.items) || [], (err) => (err.status === 403 ? 'denied' : null)) : Promise.resolve('denied'),
  ]);
  const depBoxes = new Map();
  const roleBoxes = new Map();
  const check = (prefix, value, label, checked, boxes) => {
    const id = `${prefix}-${String(value).replace(/[^\w-]/g, '-')}`;
    const input = h('input', { type: 'checkbox', id, value: String(value), checked });
    boxes.set(value, input);
    return h('label', { class: 'check', for: id }, input, h('span', { text: label }));
  };
  const section = (id, label, list, denied) => h('fieldset', { class: 'share-group', id },
    h('legend', { class: 'field-label', text: label }),
    list === 'denied' ? h('p', { class: 'muted', role: 'note', text: denied })
      : list === null ? h('p', { class: 'field-error', text: t('builder.share.load_failed') })
        : h('div', { class: 'checks' }, list));

  let depList = departments;
  if (Array.isArray(departments)) {
    depList = departments.map((d) => check('share-dep', d.id, departmentLabel(d), (shared.departments || []).includes(d.id), depBoxes));
    for (const id of shared.departments || []) {
      if (!departments.some((d) => d.id === id)) depList.push(check('share-dep', id, t('filters.department_n', { id }), true, depBoxes));
    }
  }
  let roleList = roles;
  if (Array.isArray(roles)) {
    roleList = roles.map((r) => check('share-role', r.name, has(`roles.${r.name}`) ? t(`roles.${r.name}`) : r.name, (shared.roles || []).includes(r.name), roleBoxes));
    for (const r of shared.roles || []) if (!roles.some((x) => x.name === r)) roleList.push(check('share-role', r, r, true, roleBoxes));
  }
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const save = h('button', { type: 'button', class: 'btn btn-primary', id: 'share-save', text: t('common.save') });
  const cancel = h('button', { type: 'button', class: 'btn', text: t('common.cancel') });
  cancel.addEventListener('click', () => close('cancel'));
  replace(body,
    h('p', { class: 'muted', text: t('builder.share.intro') }),
    error,
    section('share-departments', t('builder.share.departments'), depList, t('builder.share.no_departments')),
    section('share-roles', t('builder.share.roles'), roleList, t('builder.share.no_roles')),
    h('div', { class: 'dialog-actions' }, cancel, save));
  save.addEventListener('click', async () => {
    // Lists the user could not read keep what was shared before.
    const next = {
      departments: Array.isArray(departments) ? [...depBoxes].filter(([, b]) => b.checked).map(([id]) => id) : (shared.departments || []),
      roles: Array.isArray(roles) ? [...roleBoxes].filter(([, b]) => b.checked).map(([r]) => r) : (shared.roles || []),
    };
    save.disabled = true;
    error.hidden = true;
    try {
      // Sharing applies to the saved dashboard at once; unsaved layout edits stay unsaved.
      const s = state.saved;
      const updated = await api.put(`/api/v1/reports/dashboards/${seg(state.id)}`, {
        name: s.name, description: s.description, filters: s.filters, widgets: s.widgets, shared: next, version: state.version,
      });
      onSaved(updated);
      toast(t('builder.share.saved'), 'success');
      close('ok');
    } catch (err) {
      error.hidden = false;
      error.textContent = err.status === 409 ? t('builder.conflict') : err.message;
      save.disabled = false;
    }
  });
}

// ---- widget dialog ----------------------------------------------------------------------------

/** Field options of a dataset by kind, labelled for the active locale. */
function fieldsOf(ds, ...kinds) {
  return ((ds && ds.fields) || []).filter((f) => kinds.includes(f.kind)).map((f) => ({ value: f.name, label: localized(f.label) || f.name, field: f }));
}

function measureOf(m, ds) {
  if (m === 'count' || (m && typeof m === 'object' && !m.field && (m.aggregate || 'count') === 'count')) return { field: '', aggregate: 'count' };
  if (typeof m === 'string') {
    const f = ((ds && ds.fields) || []).find((x) => x.name === m);
    return { field: m, aggregate: (f && f.aggregate) || 'sum' };
  }
  return { field: m.field || '', aggregate: m.aggregate || 'sum' };
}

/** Measure in the query API's form: "count", a field name (its own aggregate), or {field, aggregate, as}. */
function measureJson({ field, aggregate }, ds) {
  if (!field) return 'count';
  const f = ((ds && ds.fields) || []).find((x) => x.name === field);
  if (f && (f.aggregate || 'count') === aggregate) return field;
  return { field, aggregate, as: `${field}_${aggregate}` };
}

function parseValue(text, numeric, op) {
  const one = (s) => { const v = s.trim(); return numeric && v !== '' && Number.isFinite(Number(v)) ? Number(v) : v; };
  return op === 'in' ? String(text).split(',').map(one).filter((v) => v !== '') : one(String(text));
}

let filterRows = 0; // ids of the filter value suggestion lists

function openWidgetDialog(catalog, existing, onDone) {
  const editing = !!existing;
  const def = existing ? JSON.parse(JSON.stringify(existing)) : {};
  const kpis = (catalog.kpis || []).slice().sort((a, b) => (localized(a.name) || a.id).localeCompare(localized(b.name) || b.id));
  const datasets = (catalog.datasets || []).slice().sort((a, b) => (localized(a.name) || a.id).localeCompare(localized(b.name) || b.id));
  const { body, close } = openDialog({ title: editing ? t('builder.widget.edit_title') : t('builder.widget.add_title'), size: 'lg' });
  const f = createForm({ idPrefix: 'wd' });
  let titleTouched = editing;

  // Source
  const source = def.query ? 'query' : def.kpi ? 'kpi' : (kpis.length ? 'kpi' : 'query');
  const radio = (value, label) => {
    const input = h('input', { type: 'radio', name: 'wd-source', id: `wd-source-${value}`, value, checked: source === value, disabled: value === 'kpi' ? !kpis.length : !datasets.length });
    return { input, el: h('label', { class: 'check', for: input.id }, input, h('span', { text: label })) };
  };
  const srcKpi = radio('kpi', t('builder.widget.source_kpi'));
  const srcQuery = radio('query', t('builder.widget.source_query'));
  const sourceGroup = h('div', { class: 'checks checks-inline', role: 'radiogroup' }, srcKpi.el, srcQuery.el);
  const currentSource = () => (srcQuery.input.checked ? 'query' : 'kpi');

  // KPI part
  const kpiSel = selectInput([{ value: '', label: t('builder.widget.choose') }, ...kpis.map((k) => ({ value: k.id, label: localized(k.name) || k.id }))], def.kpi || '', { id: 'wd-kpi' });
  const kpiGrain = selectInput([{ value: '', label: t('builder.widget.grain_auto') }, ...GRAINS.map((g) => ({ value: g, label: t(`builder.grains.${g}`) }))], def.grain || '', { id: 'wd-kpi-grain' });
  const kpiPart = h('div', { class: 'form-row wd-kpi-part' },
    f.field('kpi', t('builder.widget.kpi'), kpiSel, { required: true }),
    f.field('kpi_grain', t('builder.widget.grain'), kpiGrain, { hint: t('builder.widget.kpi_grain_hint') }));

  // Query part
  const q = def.query || {};
  const dsSel = selectInput([{ value: '', label: t('builder.widget.choose') }, ...datasets.map((d) => ({ value: d.id, label: localized(d.name) || d.id }))], q.dataset || '', { id: 'wd-dataset' });
  const measuresEl = h('div', { class: 'wd-rows', id: 'wd-measures' });
  const addMeasure = h('button', { type: 'button', class: 'btn btn-sm', id: 'wd-add-measure' }, icon('plus'), t('builder.widget.add_measure'));
  const dimSel = h('select', { id: 'wd-dimension' });
  const dim2Sel = h('select', { id: 'wd-dimension2' });
  const timeSel = h('select', { id: 'wd-time' });
  const grainSel = h('select', { id: 'wd-grain' });
  const filtersEl = h('div', { class: 'wd-rows', id: 'wd-filters' });
  const addFilter = h('button', { type: 'button', class: 'btn btn-sm', id: 'wd-add-filter' }, icon('plus'), t('builder.widget.add_filter'));
  const limitIn = h('input', { type: 'number', id: 'wd-limit', min: '1', max: '1000', step: '1', value: q.limit && q.sort ? String(q.limit) : '' });
  const queryPart = h('div', { class: 'wd-query-part' },
    h('div', { class: 'form-row' }, f.field('dataset', t('builder.widget.dataset'), dsSel, { required: true })),
    h('div', null, f.field('measures', t('builder.widget.measures'), measuresEl, { required: true }), addMeasure),
    h('div', { class: 'form-row' },
      f.field('dimension', t('builder.widget.dimension'), dimSel),
      f.field('dimension2', t('builder.widget.dimension2'), dim2Sel),
      f.field('time', t('builder.widget.time'), timeSel, { hint: t('builder.widget.time_hint') }),
      f.field('grain', t('builder.widget.grain'), grainSel)),
    h('div', null, f.field('filters', t('builder.widget.filters'), filtersEl), addFilter),
    h('div', { class: 'form-row' }, f.field('limit', t('builder.widget.limit'), limitIn, { hint: t('builder.widget.limit_hint') })));

  // Type, options, title
  const typeSel = h('select', { id: 'wd-type' });
  const horizontal = h('input', { type: 'checkbox', id: 'wd-horizontal', checked: def.orientation === 'horizontal' });
  const horizontalEl = h('label', { class: 'check', for: 'wd-horizontal' }, horizontal, h('span', { text: t('builder.widget.horizontal') }));
  const titleEn = textInput({ id: 'wd-title-en', maxlength: '120', value: (def.title && (typeof def.title === 'string' ? def.title : def.title.en)) || '' });
  const titleZh = textInput({ id: 'wd-title-zh', maxlength: '120', lang: 'zh-CN', value: (def.title && typeof def.title === 'object' && def.title['zh-CN']) || '' });
  [titleEn, titleZh].forEach((i) => i.addEventListener('input', () => { titleTouched = true; }));

  const dataset = () => datasets.find((d) => d.id === dsSel.value) || null;
  const fillSelect = (sel, options, value, noneLabel) => {
    replace(sel, h('option', { value: '', text: noneLabel }), options.map((o) => h('option', { value: o.value, text: o.label })));
    sel.value = options.some((o) => o.value === value) ? value : '';
  };

  const measureRow = (m) => {
    const ds = dataset();
    const choices = [{ value: '', label: t('builder.widget.count_rows') }, ...fieldsOf(ds, 'measure'), ...fieldsOf(ds, 'dimension')];
    const fieldSel = h('select', { class: 'wd-measure-field', 'aria-label': t('builder.widget.measure') }, choices.map((o) => h('option', { value: o.value, text: o.label })));
    fieldSel.value = choices.some((o) => o.value === m.field) ? m.field : '';
    const aggSel = h('select', { class: 'wd-measure-agg', 'aria-label': t('builder.widget.aggregate') }, AGGREGATES.map((a) => h('option', { value: a, text: t(`builder.aggregates.${a}`) })));
    aggSel.value = m.aggregate;
    const sync = (fromField) => {
      const fld = ((ds && ds.fields) || []).find((x) => x.name === fieldSel.value);
      if (!fieldSel.value) { aggSel.value = 'count'; aggSel.disabled = true; return; }
      aggSel.disabled = false;
      if (fromField) aggSel.value = fld && fld.kind === 'dimension' ? 'count_distinct' : (fld && fld.aggregate) || 'sum';
    };
    sync(false);
    fieldSel.addEventListener('change', () => { sync(true); autoTitle(); });
    const remove = h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('builder.widget.remove_measure') }, icon('trash'));
    const row = h('div', { class: 'wd-row wd-measure' }, fieldSel, aggSel, remove);
    remove.addEventListener('click', () => { row.remove(); autoTitle(); });
    row.read = () => ({ field: fieldSel.value, aggregate: fieldSel.value ? aggSel.value : 'count' });
    return row;
  };

  const filterRow = (flt) => {
    const ds = dataset();
    const choices = fieldsOf(ds, 'dimension', 'measure', 'time');
    const fieldSel = h('select', { class: 'wd-filter-field', 'aria-label': t('builder.widget.filter_field') }, choices.map((o) => h('option', { value: o.value, text: o.label })));
    if (flt.field) fieldSel.value = flt.field;
    const opSel = h('select', { class: 'wd-filter-op', 'aria-label': t('builder.widget.filter_op') }, OPS.map(([op, key]) => h('option', { value: op, text: t(`builder.ops.${key}`) })));
    opSel.value = OPS.some(([op]) => op === flt.op) ? flt.op : '=';
    // Values the field declares names for (catalogue `labels`) are offered as suggestions.
    const suggestions = h('datalist', { id: `wd-filter-values-${++filterRows}` });
    const value = textInput({ class: 'wd-filter-value', list: suggestions.id, 'aria-label': t('builder.widget.filter_value'), placeholder: t('builder.widget.filter_value_hint'), value: Array.isArray(flt.value) ? flt.value.join(', ') : (flt.value ?? '') });
    const suggest = () => {
      const fld = choices.find((c) => c.value === fieldSel.value);
      replace(suggestions, Object.entries((fld && fld.field.labels) || {}).map(([v, name]) => h('option', { value: v, label: localized(name) || v })));
    };
    suggest();
    fieldSel.addEventListener('change', suggest);
    const remove = h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('builder.widget.remove_filter') }, icon('trash'));
    const row = h('div', { class: 'wd-row wd-filter' }, fieldSel, opSel, value, suggestions, remove);
    remove.addEventListener('click', () => row.remove());
    row.read = () => {
      const fld = choices.find((c) => c.value === fieldSel.value);
      const numeric = fld && ['integer', 'real', 'money'].includes(fld.field.type);
      return { field: fieldSel.value, op: opSel.value, value: parseValue(value.value, numeric, opSel.value), raw: value.value.trim() };
    };
    return row;
  };

  const fillQueryFields = (initial) => {
    const ds = dataset();
    const dims = [...fieldsOf(ds, 'dimension')];
    const times = fieldsOf(ds, 'time');
    fillSelect(dimSel, dims, initial ? (q.dimensions || [])[0] : dimSel.value, t('builder.widget.none'));
    fillSelect(dim2Sel, dims, initial ? (q.dimensions || [])[1] : dim2Sel.value, t('builder.widget.none'));
    fillSelect(timeSel, times, initial ? (q.time ? q.time.field : (editing ? '' : (times[0] || {}).value)) : (timeSel.value || (times[0] || {}).value), t('builder.widget.no_time'));
    fillSelect(grainSel, GRAINS.map((g) => ({ value: g, label: t(`builder.grains.${g}`) })), initial ? (q.time && q.time.grain) || '' : grainSel.value, t('builder.widget.grain_none'));
    const ms = initial && Array.isArray(q.measures) && q.measures.length ? q.measures.map((m) => measureOf(m, ds)) : [{ field: (fieldsOf(ds, 'measure')[0] || {}).value || '', aggregate: ((fieldsOf(ds, 'measure')[0] || {}).field || {}).aggregate || 'count' }];
    replace(measuresEl, ds ? ms.map(measureRow) : []);
    replace(filtersEl, ds && initial ? (q.filters || []).map(filterRow) : []);
    addMeasure.disabled = !ds;
    addFilter.disabled = !ds;
  };

  const fillTypes = () => {
    const types = currentSource() === 'kpi' ? KPI_TYPES : QUERY_TYPES;
    const value = types.includes(typeSel.value) ? typeSel.value : (types.includes(def.type) ? def.type : types[0]);
    replace(typeSel, types.map((ty) => h('option', { value: ty, text: t(`builder.types.${ty}`) })));
    typeSel.value = value;
  };
  const syncVisibility = () => {
    const src = currentSource();
    kpiPart.hidden = src !== 'kpi';
    queryPart.hidden = src !== 'query';
    horizontalEl.hidden = !['bar', 'stacked_bar'].includes(typeSel.value);
    grainSel.disabled = !timeSel.value;
  };
  function autoTitle() {
    if (titleTouched) return;
    let label = null;
    if (currentSource() === 'kpi') {
      const k = kpis.find((x) => x.id === kpiSel.value);
      label = k ? k.name : null;
    } else {
      const first = measuresEl.querySelector('.wd-measure');
      const m = first ? first.read() : null;
      const fld = m && m.field ? ((dataset() || {}).fields || []).find((x) => x.name === m.field) : null;
      // A measure is titled by its field; a row count by its dataset.
      label = fld ? fld.label : (m && dataset() ? dataset().name : null);
    }
    titleEn.value = label ? (typeof label === 'string' ? label : label.en || '') : '';
    titleZh.value = label && typeof label === 'object' ? label['zh-CN'] || '' : '';
  }

  fillQueryFields(true);
  fillTypes();
  syncVisibility();
  [srcKpi.input, srcQuery.input].forEach((r) => r.addEventListener('change', () => { fillTypes(); syncVisibility(); autoTitle(); }));
  kpiSel.addEventListener('change', autoTitle);
  dsSel.addEventListener('change', () => { fillQueryFields(false); autoTitle(); });
  timeSel.addEventListener('change', syncVisibility);
  typeSel.addEventListener('change', syncVisibility);
  addMeasure.addEventListener('click', () => { measuresEl.appendChild(measureRow({ field: '', aggregate: 'count' })); measuresEl.lastChild.querySelector('select').focus(); });
  addFilter.addEventListener('click', () => { filtersEl.appendChild(filterRow({})); filtersEl.lastChild.querySelector('select').focus(); });

  const submit = h('button', { type: 'button', class: 'btn btn-primary', id: 'wd-submit', text: editing ? t('builder.widget.apply') : t('builder.widget.add') });
  const cancel = h('button', { type: 'button', class: 'btn', text: t('common.cancel') });
  cancel.addEventListener('click', () => close('cancel'));

  replace(body, h('div', { class: 'form-stack widget-dialog' },
    f.banner,
    f.field('source', t('builder.widget.source'), sourceGroup),
    kpiPart,
    queryPart,
    h('div', { class: 'form-row' }, f.field('type', t('builder.widget.type'), typeSel), horizontalEl),
    h('div', { class: 'form-row' },
      f.field('title_en', t('builder.widget.title_en'), titleEn, { required: true }),
      f.field('title_zh', t('builder.widget.title_zh'), titleZh)),
    h('div', { class: 'dialog-actions' }, cancel, submit)));
  if (!editing) autoTitle();
  (currentSource() === 'kpi' ? kpiSel : dsSel).focus();

  /** The widget definition from the form, or null after showing what is missing. */
  const build = () => {
    f.reset();
    const errors = {};
    const type = typeSel.value;
    const out = { id: def.id, type, title: both(titleEn.value.trim(), titleZh.value.trim()), x: def.x, y: def.y, w: def.w, h: def.h };
    if (!titleEn.value.trim()) errors.title_en = t('builder.widget.need_title');
    if (currentSource() === 'kpi') {
      if (!kpiSel.value) errors.kpi = t('builder.widget.need_kpi');
      out.kpi = kpiSel.value;
      if (kpiGrain.value && (type === 'line' || type === 'bar')) out.grain = kpiGrain.value;
    } else {
      const ds = dataset();
      if (!ds) errors.dataset = t('builder.widget.need_dataset');
      const measures = [...measuresEl.querySelectorAll('.wd-measure')].map((r) => r.read());
      const keys = measures.map((m) => `${m.field}:${m.aggregate}`);
      if (!measures.length) errors.measures = t('builder.widget.need_measure');
      else if (new Set(keys).size !== keys.length) errors.measures = t('builder.widget.duplicate_measure');
      const dimensions = [dimSel.value, dim2Sel.value].filter(Boolean);
      if (new Set(dimensions).size !== dimensions.length) errors.dimension2 = t('builder.widget.duplicate_dimension');
      const query = { dataset: dsSel.value, measures: measures.map((m) => measureJson(m, ds)) };
      if (dimensions.length) query.dimensions = [...new Set(dimensions)];
      if (timeSel.value) query.time = grainSel.value ? { field: timeSel.value, grain: grainSel.value } : { field: timeSel.value };
      const filters = [...filtersEl.querySelectorAll('.wd-filter')].map((r) => r.read());
      if (filters.some((x) => x.raw === '')) errors.filters = t('builder.widget.need_value');
      if (filters.length) query.filters = filters.map(({ field, op, value }) => ({ field, op, value }));
      const limit = Number(limitIn.value);
      if (limitIn.value && Number.isInteger(limit) && limit > 0) {
        query.limit = limit;
        const m0 = query.measures[0];
        query.sort = [`-${typeof m0 === 'string' ? m0 : m0.as}`];
      }
      const groups = (query.dimensions || []).length + (query.time && query.time.grain ? 1 : 0);
      if (['pie', 'donut', 'funnel'].includes(type) && groups !== 1) errors.type = t('builder.widget.need_one_group', { type: t(`builder.types.${type}`) });
      if (type === 'heatmap' && groups !== 2) errors.type = t('builder.widget.need_two_groups');
      if (type === 'scatter' && (!(query.dimensions || []).length || measures.length < 2)) errors.type = t('builder.widget.need_scatter');
      out.query = query;
    }
    if (['bar', 'stacked_bar'].includes(type) && horizontal.checked) out.orientation = 'horizontal';
    if (Object.keys(errors).length) { f.showErrors(errors); return null; }
    // Options of the previous definition that still apply (units, funnel order, gauge max …).
    for (const k of ['unit', 'currency', 'order', 'max', 'compare', 'drillable']) if (def[k] !== undefined && out[k] === undefined) out[k] = def[k];
    return out;
  };

  submit.addEventListener('click', async () => {
    const next = build();
    if (!next) return;
    submit.disabled = true;
    try {
      // The server checks the widget as it would on save; its message shows in the dialog.
      const probe = { ...next, id: next.id || 'new', x: 0, y: 0, w: 12, h: 4 };
      await api.post('/api/v1/reports/dashboards/preview', { dashboard: { widgets: [probe] } });
      close('ok');
      onDone(next);
    } catch (err) {
      f.fail(err);
      submit.disabled = false;
    }
  });
}
