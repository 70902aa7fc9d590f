// Admin → Audit log: filters (actor, action, entity type / id, outcome, date range) kept in the
// URL, paging, each entry's old and new values side by side, and a CSV export link with the same
// filters. Contract: GET /api/v1/admin/audit?actor_id&action&entity_type&entity_id&from&to&limit&offset
// → {items: [{id, occurred_at, actor_id, actor_email, action, entity_type, entity_id, outcome,
// old_values, new_values, client_address, request_id}], total}; GET /api/v1/admin/audit.csv.

import { h, icon, replace } from '../dom.js';
import { t, formatDateTime } from '../i18n.js';
import { api } from '../api.js';
import { can, PERM } from '../session.js';
import { updateQuery } from '../router.js';
import { pageHeader, pager, loadingState, emptyState, chip } from '../ui.js';
import { textInput } from '../forms.js';
import { unavailableOr } from './admin-common.js';

const FILTERS = ['actor_id', 'action', 'entity_type', 'entity_id', 'outcome', 'from', 'to'];
const OUTCOME_CHIP = { ok: 'green', denied: 'amber', failed: 'red' };
const isDate = (v) => /^\d{4}-\d{2}-\d{2}$/.test(v || '');

function show(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Old → new values as a small table of changed keys (text only). */
function changes(item) {
  const oldV = item.old_values && typeof item.old_values === 'object' ? item.old_values : null;
  const newV = item.new_values && typeof item.new_values === 'object' ? item.new_values : null;
  if (!oldV && !newV) {
    const raw = item.new_values ?? item.old_values;
    return raw === null || raw === undefined ? h('span', { class: 'muted', text: '—' }) : h('code', { text: show(raw) });
  }
  const keys = [...new Set([...Object.keys(oldV || {}), ...Object.keys(newV || {})])].sort();
  return h('table', { class: 'diff' },
    h('thead', null, h('tr', null, h('th', { scope: 'col', text: t('admin.audit.field') }), oldV ? h('th', { scope: 'col', text: t('admin.audit.old') }) : null, newV ? h('th', { scope: 'col', text: t('admin.audit.new') }) : null)),
    h('tbody', null, keys.map((k) => h('tr', { class: oldV && newV && show(oldV[k]) === show(newV[k]) ? 'diff-same' : '' },
      h('th', { scope: 'row' }, h('code', { text: k })),
      oldV ? h('td', { class: 'diff-old', text: show(oldV[k]) }) : null,
      newV ? h('td', { class: 'diff-new', text: show(newV[k]) }) : null))));
}

export async function renderAudit({ main, query, signal }) {
  const state = { offset: Math.max(0, Number(query.offset) || 0), limit: [25, 50, 100, 200].includes(Number(query.limit)) ? Number(query.limit) : 50 };
  for (const k of FILTERS) state[k] = query[k] || '';
  const inputs = {
    actor_id: textInput({ id: 'audit-actor', inputmode: 'numeric', value: state.actor_id, placeholder: t('admin.audit.actor_placeholder'), pattern: '\\d*', list: 'audit-actors' }),
    action: textInput({ id: 'audit-action', value: state.action, placeholder: 'admin.user.update', list: 'audit-actions' }),
    entity_type: textInput({ id: 'audit-entity-type', value: state.entity_type, placeholder: 'user', list: 'audit-entity-types' }),
    entity_id: textInput({ id: 'audit-entity-id', inputmode: 'numeric', value: state.entity_id, pattern: '\\d*' }),
    outcome: h('select', { id: 'audit-outcome' }, ['', 'ok', 'denied', 'failed'].map((o) => h('option', { value: o, selected: state.outcome === o, text: o ? t(`admin.audit.outcomes.${o}`) : t('admin.audit.any_outcome') }))),
    from: h('input', { type: 'date', id: 'audit-from', value: isDate(state.from) ? state.from : '' }),
    to: h('input', { type: 'date', id: 'audit-to', value: isDate(state.to) ? state.to : '' }),
  };
  const labels = { actor_id: 'actor', action: 'action', entity_type: 'entity_type', entity_id: 'entity_id', outcome: 'outcome', from: 'from', to: 'to' };
  const apply = h('button', { type: 'submit', class: 'btn btn-primary', id: 'audit-apply' }, icon('search'), t('admin.audit.apply'));
  const clearBtn = h('button', { type: 'button', class: 'btn btn-ghost', id: 'audit-clear', text: t('filters.reset') });
  const csv = h('a', { class: 'btn', id: 'audit-csv', download: 'audit.csv' }, icon('download'), t('admin.audit.export_csv'));
  const summary = h('p', { class: 'muted small', 'aria-live': 'polite', id: 'audit-summary' });
  const body = h('div', { id: 'audit-results' }, loadingState());
  const filterForm = h('form', { class: 'filter-bar card', role: 'search', 'aria-label': t('admin.audit.filters') },
    h('div', { class: 'filters' }, FILTERS.map((k) => h('div', { class: 'filter' }, h('label', { for: inputs[k].id, text: t(`admin.audit.fields.${labels[k]}`) }), inputs[k]))),
    h('div', { class: 'filter-buttons' }, clearBtn, apply),
    h('datalist', { id: 'audit-actors' }),
    h('datalist', { id: 'audit-actions' }, ['login', 'logout', 'login_failed', 'create', 'update', 'delete', 'admin.user.update', 'admin.role.create', 'admin.role.update', 'admin.audit.export', 'module.enable', 'module.disable'].map((v) => h('option', { value: v }))),
    h('datalist', { id: 'audit-entity-types' }));
  main.append(pageHeader(t('admin.audit.title'), { subtitle: t('admin.audit.subtitle'), actions: [csv] }), filterForm, summary,
    h('section', { class: 'card', 'aria-label': t('admin.audit.results') }, body));

  // Entity type suggestions: the core's, plus every type the server's audit rows name (modules'
  // types such as "<module>.<entity>" come from the data, not from a list in the core).
  const entityTypes = new Set(['user', 'role', 'session', 'department', 'account', 'contact', 'module', 'plugin']);
  const showEntityTypes = (items) => {
    for (const it of items || []) if (it && typeof it.entity_type === 'string' && it.entity_type) entityTypes.add(it.entity_type);
    const list = filterForm.querySelector('#audit-entity-types');
    if (list) replace(list, [...entityTypes].sort().map((v) => h('option', { value: v })));
  };
  showEntityTypes([]);
  api.get('/api/v1/admin/audit', { signal, query: { limit: 200 } }).then((data) => showEntityTypes(data && data.items)).catch(() => {});

  // Actor suggestions: the users this administrator can see (id as the value, name as the label).
  if (can(...PERM.userRead)) {
    api.get('/api/v1/admin/users', { signal, query: { limit: 200 } }).then((data) => {
      const list = filterForm.querySelector('#audit-actors');
      if (list) replace(list, ((data && data.items) || []).map((u) => h('option', { value: String(u.id), label: `${u.display_name || ''} <${u.email}>` })));
    }).catch(() => {});
  }

  const filterQuery = () => {
    const q = {};
    for (const k of FILTERS) if (state[k]) q[k] = state[k];
    return q;
  };
  const csvHref = () => {
    const qs = new URLSearchParams(filterQuery()).toString();
    csv.href = `/api/v1/admin/audit.csv${qs ? `?${qs}` : ''}`;
  };

  let controller = null;
  const load = async () => {
    updateQuery({ ...filterQuery(), offset: state.offset || '', limit: state.limit !== 50 ? state.limit : '' });
    csvHref();
    if (controller) controller.abort();
    const mine = new AbortController();
    controller = mine;
    signal.addEventListener('abort', () => mine.abort(), { once: true });
    body.setAttribute('aria-busy', 'true');
    body.dataset.query = new URLSearchParams(filterQuery()).toString();
    try {
      const data = await api.get('/api/v1/admin/audit', { signal: mine.signal, query: { ...filterQuery(), limit: state.limit, offset: state.offset } });
      const items = (data && data.items) || [];
      showEntityTypes(items);
      const total = Number.isFinite(data && data.total) ? data.total : items.length;
      summary.textContent = t('admin.audit.total', { count: total });
      body.dataset.total = String(total);
      if (!items.length) { replace(body, emptyState(t('admin.audit.none'), Object.keys(filterQuery()).length ? t('admin.audit.none_hint') : null)); return; }
      const rows = items.map((it) => {
        const detailId = `audit-detail-${it.id}`;
        const expand = h('button', { type: 'button', class: 'icon-btn', 'aria-expanded': 'false', 'aria-controls': detailId, 'aria-label': t('admin.audit.show_changes', { id: it.id }) }, icon('chevronRight'));
        const detail = h('tr', { id: detailId, class: 'audit-detail', hidden: true },
          h('td', { colspan: '7' }, h('div', { class: 'audit-detail-grid' },
            changes(it),
            h('dl', { class: 'props small' },
              h('dt', { text: t('admin.audit.fields.client_address') }), h('dd', { text: it.client_address || '—' }),
              h('dt', { text: t('admin.audit.fields.request_id') }), h('dd', null, it.request_id ? h('code', { text: it.request_id }) : '—'),
              h('dt', { text: t('admin.audit.fields.id') }), h('dd', { text: String(it.id) })))));
        expand.addEventListener('click', () => {
          const open = detail.hidden;
          detail.hidden = !open;
          expand.setAttribute('aria-expanded', String(open));
          replace(expand, icon(open ? 'chevronDown' : 'chevronRight'));
        });
        const hasChanges = it.old_values !== null && it.old_values !== undefined || it.new_values !== null && it.new_values !== undefined;
        return [h('tr', { dataset: { key: String(it.id) } },
          h('td', null, hasChanges || it.request_id ? expand : null),
          h('td', { class: 'nowrap' }, h('time', { datetime: it.occurred_at || '', text: formatDateTime(it.occurred_at) })),
          h('td', null, it.actor_email || (it.actor_id ? `#${it.actor_id}` : t('admin.audit.system')), it.actor_id ? h('span', { class: 'muted small block', text: `#${it.actor_id}` }) : null),
          h('td', null, h('code', { text: it.action || '' })),
          h('td', { text: [it.entity_type, it.entity_id ? `#${it.entity_id}` : ''].filter(Boolean).join(' ') || '—' }),
          h('td', null, chip(t(`admin.audit.outcomes.${it.outcome}`) === `admin.audit.outcomes.${it.outcome}` ? String(it.outcome || '') : t(`admin.audit.outcomes.${it.outcome}`), OUTCOME_CHIP[it.outcome] || 'neutral')),
          h('td', { class: 'muted small', text: it.client_address || '' })), detail];
      });
      replace(body,
        h('div', { class: 'table-wrap' }, h('table', { class: 'table table-compact audit-table' },
          h('caption', { class: 'sr-only', text: t('admin.audit.title') }),
          h('thead', null, h('tr', null,
            h('th', { scope: 'col' }, h('span', { class: 'sr-only', text: t('admin.audit.changes') })),
            ['occurred_at', 'actor', 'action', 'entity', 'outcome', 'client_address'].map((k) => h('th', { scope: 'col', text: t(`admin.audit.fields.${k}`) })))),
          h('tbody', null, rows))),
        pager({ offset: state.offset, limit: state.limit, total, sizes: [25, 50, 100, 200], onChange: (offset, limit) => { state.offset = offset; state.limit = limit; load(); } }));
    } catch (err) {
      if (err.name === 'AbortError') return;
      replace(body, unavailableOr(err, load));
    } finally {
      // An aborted earlier load must not mark the newer one as finished.
      if (controller === mine) body.setAttribute('aria-busy', 'false');
    }
  };
  filterForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    for (const k of FILTERS) state[k] = inputs[k].value.trim();
    if (state.from && state.to && state.from > state.to) { inputs.to.setCustomValidity(t('period.invalid')); inputs.to.reportValidity(); return; }
    inputs.to.setCustomValidity('');
    for (const k of ['actor_id', 'entity_id']) if (state[k] && !/^\d+$/.test(state[k])) { inputs[k].setCustomValidity(t('admin.audit.id_invalid')); inputs[k].reportValidity(); return; }
    inputs.actor_id.setCustomValidity(''); inputs.entity_id.setCustomValidity('');
    state.offset = 0;
    load();
  });
  clearBtn.addEventListener('click', () => {
    for (const k of FILTERS) { state[k] = ''; inputs[k].value = ''; }
    state.offset = 0;
    load();
  });
  await load();
  return () => { if (controller) controller.abort(); };
}
