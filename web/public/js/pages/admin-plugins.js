// Admin → Plugins: every plugin the host found, with its state; refused plugins show the reason
// the host gave (ABI mismatch, bad signature, missing permission declaration, …). Each plugin's
// Settings dialog edits what its manifest declares in "settings" (labels in the chosen
// language, an input per type, the server's field errors beside the input).

import { h, icon, replace } from '../dom.js';
import { t, localized, formatNumber } from '../i18n.js';
import { api } from '../api.js';
import { pageHeader, dataTable, loadingState, emptyState, errorState, chip, openDialog, toast } from '../ui.js';
import { createForm, textInput, selectInput } from '../forms.js';

const STATE_CHIP = { loaded: 'green', refused: 'red', disabled: 'neutral' };

function stateLabel(state) {
  const key = `plugins.states.${state}`;
  const text = t(key);
  return text === key ? String(state || '') : text;
}

/** An input for one declared setting (text, integer, number, boolean, choice). */
function settingInput(item) {
  const disabled = !item.editable;
  if (item.type === 'choice') {
    return selectInput((item.values || []).map((v) => ({ value: v, label: String(v) })), item.value, { disabled });
  }
  if (item.type === 'boolean') {
    return selectInput([{ value: 'true', label: t('common.yes') }, { value: 'false', label: t('common.no') }], String(item.value === true), { disabled });
  }
  if (item.type === 'integer' || item.type === 'number') {
    const attrs = { type: 'number', value: item.value ?? '', step: item.type === 'integer' ? '1' : 'any', disabled };
    if (item.min !== undefined) attrs.min = String(item.min);
    if (item.max !== undefined) attrs.max = String(item.max);
    return textInput(attrs);
  }
  return textInput({ value: item.value ?? '', disabled });
}

/** The JSON value an input holds for the setting's type (the server validates it again). */
function inputValue(item, input) {
  const raw = input.value;
  if (item.type === 'boolean') return raw === 'true';
  if (item.type === 'integer' || item.type === 'number') return raw.trim() === '' ? null : Number(raw);
  if (item.type === 'choice') {
    const match = (item.values || []).find((v) => String(v) === raw);
    return match === undefined ? raw : match;
  }
  return raw;
}

async function settingsDialog(plugin) {
  const name = localized(plugin.name) || plugin.id;
  const { body: dlg, close } = openDialog({ title: t('plugins.settings.title', { name }), size: 'md' });
  dlg.appendChild(loadingState());
  let data;
  try {
    data = await api.get(`/api/v1/admin/plugins/${encodeURIComponent(plugin.id)}/settings`);
  } catch (err) {
    replace(dlg, errorState(err));
    return;
  }
  const items = (data && data.items) || [];
  if (!items.length) {
    replace(dlg, emptyState(t('plugins.settings.none')), h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', text: t('common.close'), on: { click: () => close() } })));
    return;
  }
  const f = createForm({ idPrefix: 'setting' });
  const rows = items.map((item) => {
    const input = settingInput(item);
    input.dataset.key = item.key;
    return { item, input, row: f.field(item.key, localized(item.label) || item.key, input, { hint: localized(item.description) || null, wide: true }) };
  });
  const canSave = items.some((i) => i.editable);
  const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'settings-save', text: t('common.save'), disabled: !canSave });
  const form = h('form', { class: 'form-stack', novalidate: true, id: 'plugin-settings-form' },
    f.banner,
    canSave ? null : h('p', { class: 'muted small', text: t('plugins.settings.read_only') }),
    rows.map((r) => r.row),
    h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', text: t('common.cancel'), on: { click: () => close() } }), save));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    f.reset();
    save.disabled = true;
    let changed = 0;
    try {
      for (const { item, input } of rows) {
        if (!item.editable) continue;
        const value = inputValue(item, input);
        if (JSON.stringify(value) === JSON.stringify(item.value)) continue;
        try {
          const res = await api.put(`/api/v1/admin/plugins/${encodeURIComponent(plugin.id)}/settings/${encodeURIComponent(item.key)}`, { value });
          item.value = res.value;
          changed += 1;
        } catch (err) {
          // The server names the field "value"; show it beside this setting's input.
          if (err.status === 422 && err.fields) err.fields = { [item.key]: err.fields.value || Object.values(err.fields)[0] };
          f.fail(err);
          return;
        }
      }
      toast(changed ? t('plugins.settings.saved') : t('plugins.settings.unchanged'), 'success');
      close();
    } finally {
      save.disabled = false;
    }
  });
  replace(dlg, form);
  const first = rows.find((r) => !r.input.disabled);
  if (first) first.input.focus();
}

export async function renderPlugins({ main, signal }) {
  const refresh = h('button', { type: 'button', class: 'btn', id: 'plugins-refresh' }, icon('refresh'), t('common.refresh'));
  const summary = h('div', { class: 'summary-row', 'aria-live': 'polite' });
  const body = h('div', null, loadingState());
  // Filled when the reporting engine reports declarations it cannot serve (administrators only).
  const problems = h('section', { class: 'card', id: 'report-problems', hidden: true, 'aria-labelledby': 'report-problems-h' });
  main.append(pageHeader(t('plugins.title'), { subtitle: t('plugins.subtitle'), actions: [refresh] }), summary, h('section', { class: 'card', 'aria-label': t('plugins.title') }, body), problems);

  const loadProblems = async () => {
    try {
      const cat = await api.get('/api/v1/reports/catalog', { signal });
      const list = (cat && Array.isArray(cat.problems)) ? cat.problems : [];
      problems.hidden = list.length === 0;
      replace(problems,
        h('h2', { id: 'report-problems-h', text: t('plugins.report_problems') }),
        h('p', { class: 'muted small', text: t('plugins.report_problems_hint') }),
        h('ul', { class: 'problem-list' }, list.map((p) => h('li', null, h('code', { text: String(p) })))));
    } catch {
      problems.hidden = true; // no reporting access: nothing to show
    }
  };

  const load = async () => {
    body.setAttribute('aria-busy', 'true');
    try {
      const data = await api.get('/api/v1/admin/plugins', { signal });
      const plugins = ((data && data.plugins) || []).slice().sort((a, b) => String(a.id).localeCompare(String(b.id)));
      const counts = { loaded: 0, refused: 0, disabled: 0 };
      for (const p of plugins) if (p.state in counts) counts[p.state] += 1;
      replace(summary, ['loaded', 'refused', 'disabled'].map((s) =>
        h('div', { class: `summary-tile tile-${STATE_CHIP[s]}` }, h('span', { class: 'summary-value', text: formatNumber(counts[s]) }), h('span', { class: 'summary-label', text: stateLabel(s) }))));
      if (!plugins.length) { replace(body, emptyState(t('plugins.none'))); return; }
      replace(body, dataTable({
        caption: t('plugins.title'),
        rowKey: 'id',
        columns: [
          { key: 'name', label: t('plugins.fields.name'), header: true, render: (p) => h('span', null, h('strong', { text: localized(p.name) || p.id }), h('span', { class: 'muted small block', text: p.id })) },
          { key: 'version', label: t('plugins.fields.version'), render: (p) => p.version || '—' },
          { key: 'state', label: t('plugins.fields.state'), render: (p) => chip(stateLabel(p.state), STATE_CHIP[p.state] || 'neutral') },
          { key: 'reason', label: t('plugins.fields.reason'), class: 'wrap', render: (p) => (p.reason ? h('span', { class: p.state === 'refused' ? 'reason-refused' : '', text: p.reason }) : '—') },
          { key: 'settings', label: t('plugins.settings.column'), render: (p) => (p.state === 'refused' ? '—'
            : h('button', { type: 'button', class: 'btn btn-sm', 'data-plugin': p.id, text: t('plugins.settings.open'), 'aria-label': t('plugins.settings.title', { name: localized(p.name) || p.id }), on: { click: () => settingsDialog(p) } })) },
        ],
        rows: plugins,
      }));
    } catch (err) {
      if (err.name !== 'AbortError') replace(body, errorState(err, load));
    } finally {
      body.setAttribute('aria-busy', 'false');
    }
  };
  refresh.addEventListener('click', () => { load(); loadProblems(); });
  await Promise.all([load(), loadProblems()]);
}
