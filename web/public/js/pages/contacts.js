// Contacts list: search, sort, paging (state in the URL), link to each contact's account.

import { h, icon, replace, debounce } from '../dom.js';
import { t, formatRelative, formatDateTime, personName } from '../i18n.js';
import { api, seg } from '../api.js';
import { updateQuery } from '../router.js';
import { fieldDenied } from '../session.js';
import { pageHeader, dataTable, pager, loadingState, emptyState, errorState } from '../ui.js';

const SORTABLE = ['last_name', 'first_name', 'email', 'title', 'updated_at'];

export function renderContactList({ main, query, signal }) {
  const state = {
    q: query.q || '',
    sort: SORTABLE.includes(query.sort) ? query.sort : 'last_name',
    order: query.order === 'desc' ? 'desc' : 'asc',
    offset: Math.max(0, Number(query.offset) || 0),
    limit: [25, 50, 100].includes(Number(query.limit)) ? Number(query.limit) : 50,
  };
  const search = h('input', { type: 'search', id: 'contact-search', value: state.q, placeholder: t('contacts.search_placeholder'), autocomplete: 'off' });
  const body = h('div', { id: 'contact-results' });
  main.append(
    pageHeader(t('contacts.title')),
    h('div', { class: 'toolbar', role: 'search' },
      h('label', { for: 'contact-search', class: 'sr-only', text: t('contacts.search') }),
      h('span', { class: 'search-box' }, icon('search'), search)),
    h('section', { class: 'card', 'aria-label': t('contacts.results') }, body));

  let controller = null;
  const load = async () => {
    updateQuery({ q: state.q, sort: state.sort !== 'last_name' ? state.sort : '', order: state.order !== 'asc' ? state.order : '', offset: state.offset || '', limit: state.limit !== 50 ? state.limit : '' });
    if (controller) controller.abort();
    const mine = new AbortController();
    controller = mine;
    signal.addEventListener('abort', () => mine.abort(), { once: true });
    body.setAttribute('aria-busy', 'true');
    if (!body.firstChild) body.appendChild(loadingState());
    try {
      const data = await api.get('/api/v1/contacts', {
        signal: mine.signal,
        query: { limit: state.limit, offset: state.offset, sort: state.sort, order: state.order, q: state.q },
      });
      const items = (data && data.items) || [];
      body.dataset.q = state.q;
      body.dataset.sort = `${state.sort}:${state.order}`;
      const total = Number.isFinite(data && data.total) ? data.total : items.length;
      if (items.length === 0 && state.offset > 0 && total > 0) { state.offset = 0; load(); return; }
      if (!items.length) {
        replace(body, emptyState(state.q ? t('contacts.no_match', { q: state.q }) : t('contacts.none'), state.q ? t('common.try_other_search') : null));
        return;
      }
      replace(body,
        dataTable({
          caption: t('contacts.title'),
          columns: [
            { key: 'last_name', label: t('contacts.fields.name'), sortable: true, header: true, render: (r) => personName(r.first_name, r.last_name) || '—' },
            { key: 'title', label: t('contacts.fields.title'), sortable: true },
            { key: 'account', label: t('contacts.fields.account'), render: (r) => (r.account_id ? h('a', { href: `#/accounts/${seg(r.account_id)}`, text: r.account_name || t('contacts.open_account') }) : '—') },
            fieldDenied('core.contact.email') ? null : { key: 'email', label: t('contacts.fields.email'), sortable: true, render: (r) => (r.email ? h('a', { href: `mailto:${r.email}`, text: r.email }) : '—') },
            fieldDenied('core.contact.phone') ? null : { key: 'phone', label: t('contacts.fields.phone'), render: (r) => r.phone || '—' },
            { key: 'updated_at', label: t('contacts.fields.updated_at'), sortable: true, render: (r) => (r.updated_at ? h('time', { datetime: r.updated_at, title: formatDateTime(r.updated_at), text: formatRelative(r.updated_at) }) : '—') },
          ],
          rows: items,
          sort: { key: state.sort, order: state.order },
          onSort: (key, order) => { state.sort = key; state.order = order; state.offset = 0; load(); },
        }),
        pager({ offset: state.offset, limit: state.limit, total, onChange: (offset, limit) => { state.offset = offset; state.limit = limit; load(); } }));
    } catch (err) {
      if (err.name === 'AbortError') return;
      replace(body, errorState(err, load));
    } finally {
      if (controller === mine) body.setAttribute('aria-busy', 'false');
    }
  };
  const onSearch = debounce(() => { state.q = search.value.trim(); state.offset = 0; load(); }, 300);
  search.addEventListener('input', onSearch);
  load();
  return () => { onSearch.cancel(); if (controller) controller.abort(); };
}
