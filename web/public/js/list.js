// The list page helper: one controller for every paged list (accounts, contacts, users, and the
// modules' lists through host.list). It keeps the list's state (q, filters, sort, paging) in the
// URL, loads a page of {items, total}, aborts a stale load when a newer one starts (or the route
// is left), shows loading / empty / error states, and draws the table and the pager.

import { h, icon, replace, debounce } from './dom.js';
import { t } from './i18n.js';
import { api } from './api.js';
import { updateQuery } from './router.js';
import { dataTable, pager, loadingState, emptyState, errorState } from './ui.js';

const PAGE_SIZES = [25, 50, 100];

/** Reads a filter value from the URL query: `values` (allowed list) or `pattern` (RegExp). */
function readFilter(spec, raw) {
  const value = raw === undefined || raw === null ? '' : String(raw);
  if (spec.values) return spec.values.includes(value) ? value : spec.default ?? '';
  if (spec.pattern) return spec.pattern.test(value) ? value : spec.default ?? '';
  return value || (spec.default ?? '');
}

/**
 * Creates a list controller.
 *   body        element the results go into (gets data-q, data-sort, aria-busy)
 *   signal      the route's AbortSignal
 *   query       the route's query (initial state)
 *   endpoint    GET path answering {items, total} — or fetch(params, {signal}) for anything else
 *   params      (state) → the request's query (default: q, filters, sort, order, limit, offset)
 *   sort        {keys: [...], key, order} (omit for an unsorted list)
 *   filters     {name: {values | pattern, default}}
 *   limit       default page size (25, 50 or 100); sizes: the pager's choices
 *   columns     (state, data) → dataTable columns; caption, rowKey, onRowClick as for dataTable
 *   empty       (state) → the empty state node
 *   error       (err, retry) → the error node (default errorState)
 *   onData      (data, state) → called after each successful load (charts, summaries)
 * Returns {state, load, set(patch), bindSearch(input), bindSelect(select, key), dispose}.
 * set() changes state, goes back to the first page and reloads.
 */
export function listController({
  body, signal, query = {}, endpoint, fetch, params, sort = null, filters = {}, limit = 50, sizes = PAGE_SIZES,
  columns, caption, rowKey = 'id', onRowClick, empty, error = errorState, onData,
}) {
  const state = {
    q: query.q || '',
    offset: Math.max(0, Number(query.offset) || 0),
    limit: sizes.includes(Number(query.limit)) ? Number(query.limit) : limit,
  };
  for (const [name, spec] of Object.entries(filters)) state[name] = readFilter(spec, query[name]);
  if (sort) {
    state.sort = sort.keys.includes(query.sort) ? query.sort : sort.key;
    const other = sort.order === 'desc' ? 'asc' : 'desc';
    state.order = query.order === other ? other : (sort.order || 'asc');
  }

  const urlState = () => {
    const q = { q: state.q, offset: state.offset || '', limit: state.limit !== limit ? state.limit : '' };
    for (const [name, spec] of Object.entries(filters)) q[name] = state[name] !== (spec.default ?? '') ? state[name] : '';
    if (sort) { q.sort = state.sort !== sort.key ? state.sort : ''; q.order = state.order !== (sort.order || 'asc') ? state.order : ''; }
    return q;
  };
  const requestParams = () => {
    if (params) return params(state);
    const q = { q: state.q, limit: state.limit, offset: state.offset };
    for (const name of Object.keys(filters)) q[name] = state[name];
    if (sort) { q.sort = state.sort; q.order = state.order; }
    return q;
  };

  let controller = null;
  const load = async () => {
    updateQuery(urlState());
    if (controller) controller.abort();
    const mine = new AbortController();
    controller = mine;
    if (signal) signal.addEventListener('abort', () => mine.abort(), { once: true });
    body.setAttribute('aria-busy', 'true');
    if (!body.firstChild) body.appendChild(loadingState());
    try {
      const data = fetch ? await fetch(requestParams(), { signal: mine.signal }) : await api.get(endpoint, { signal: mine.signal, query: requestParams() });
      if (controller !== mine) return;
      const items = (data && data.items) || [];
      const total = Number.isFinite(data && data.total) ? data.total : items.length;
      body.dataset.q = state.q;
      if (sort) body.dataset.sort = `${state.sort}:${state.order}`;
      if (onData) onData(data, state);
      if (!items.length && state.offset > 0 && total > 0) { state.offset = 0; load(); return; }
      if (!items.length) {
        replace(body, empty ? empty(state) : emptyState(state.q ? t('list.no_match', { q: state.q }) : t('list.none'), state.q ? t('common.try_other_search') : null));
        return;
      }
      replace(body,
        dataTable({
          caption, rowKey, onRowClick,
          columns: columns(state, data),
          rows: items,
          sort: sort ? { key: state.sort, order: state.order } : undefined,
          onSort: sort ? (key, order) => { state.sort = key; state.order = order; state.offset = 0; load(); } : undefined,
        }),
        pager({ offset: state.offset, limit: state.limit, total, sizes, onChange: (offset, size) => { state.offset = offset; state.limit = size; load(); } }));
    } catch (err) {
      if (err.name === 'AbortError') return;
      replace(body, error(err, load));
    } finally {
      if (controller === mine) body.setAttribute('aria-busy', 'false');
    }
  };

  const set = (patch) => { Object.assign(state, patch, { offset: 0 }); return load(); };
  const cancels = [];
  return {
    state,
    load,
    set,
    /** Typing searches after a pause; Enter searches at once. */
    bindSearch(input) {
      const run = () => set({ q: input.value.trim() });
      const onInput = debounce(run, 300);
      input.addEventListener('input', onInput);
      input.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); onInput.cancel(); run(); } });
      cancels.push(() => onInput.cancel());
    },
    bindSelect(select, key) { select.addEventListener('change', () => set({ [key]: select.value })); },
    dispose() { for (const c of cancels) c(); if (controller) controller.abort(); },
  };
}

/** The toolbar's search field: returns {input, nodes} (a hidden label and the boxed input). */
export function searchBox({ id, value = '', placeholder = '', label = '' }) {
  const input = h('input', { type: 'search', id, value, placeholder, autocomplete: 'off' });
  return { input, nodes: [h('label', { for: id, class: 'sr-only', text: label }), h('span', { class: 'search-box' }, icon('search'), input)] };
}
