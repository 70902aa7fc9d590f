// Leads list: search, status and source filters, sort, paging (state in the URL).

import {
  h, icon, t, formatDate, formatDateTime, formatRelative, personName, api, seg, can, pageHeader, loadingState,
  emptyState, chip, selectInput, link, go, host, PERM, LEAD_STATUSES, LEAD_SOURCES, STATUS_CHIP, tr, crumbs,
  unavailable, scoreBar,
} from '../common.js';
import { leadDialog } from '../dialogs.js';

export function renderLeadList({ main, query, signal }) {
  const actions = can(...PERM.leadWrite) ? [h('button', { type: 'button', class: 'btn btn-primary', id: 'lead-new', on: { click: () => leadDialog() } }, icon('plus'), t('leads.new'))] : [];
  const search = host.list.searchBox({ id: 'lead-search', value: query.q || '', placeholder: t('leads.search_placeholder'), label: t('leads.search') });
  const status = selectInput([{ value: '', label: t('leads.any_status') }, ...LEAD_STATUSES.map((s) => ({ value: s, label: tr('lead_status', s) }))], LEAD_STATUSES.includes(query.status) ? query.status : '', { id: 'lead-status-filter' });
  const source = selectInput([{ value: '', label: t('leads.any_source') }, ...LEAD_SOURCES.map((s) => ({ value: s, label: tr('sources', s) }))], LEAD_SOURCES.includes(query.source) ? query.source : '', { id: 'lead-source-filter' });
  const body = h('div', { id: 'lead-results' }, loadingState());
  main.append(
    pageHeader(t('leads.title'), { subtitle: t('leads.subtitle'), actions, crumbs: crumbs({ label: t('leads.title') }) }),
    h('div', { class: 'toolbar', role: 'search' },
      search.nodes,
      h('label', { for: 'lead-status-filter', class: 'sr-only', text: t('leads.fields.status') }), status,
      h('label', { for: 'lead-source-filter', class: 'sr-only', text: t('leads.fields.source') }), source),
    h('section', { class: 'card', 'aria-label': t('leads.title') }, body));

  const list = host.list.controller({
    body, signal, query, endpoint: '/api/v1/sales/leads',
    sort: { keys: ['score', 'company', 'created_at', 'updated_at', 'last_activity_at'], key: 'created_at', order: 'desc' },
    filters: { status: { values: LEAD_STATUSES }, source: { values: LEAD_SOURCES } },
    caption: t('leads.title'),
    empty: (state) => emptyState(state.q ? t('leads.no_match', { q: state.q }) : t('leads.none')),
    error: unavailable,
    columns: () => [
      { key: 'company', label: t('leads.fields.company'), sortable: true, header: true, render: (l) => h('span', { class: 'stack' }, h('a', { href: link(`/leads/${seg(l.id)}`), text: l.company || '—' }), h('span', { class: 'muted small', text: [personName(l.first_name, l.last_name), l.title].filter(Boolean).join(' · ') })) },
      { key: 'status', label: t('leads.fields.status'), render: (l) => chip(tr('lead_status', l.status), STATUS_CHIP[l.status]) },
      { key: 'source', label: t('leads.fields.source'), render: (l) => tr('sources', l.source) },
      { key: 'score', label: t('leads.fields.score'), sortable: true, align: 'end', render: (l) => scoreBar(l.score) },
      { key: 'owner', label: t('fields.owner'), render: (l) => l.owner_name || '—' },
      { key: 'last_activity_at', label: t('leads.fields.last_activity_at'), sortable: true, render: (l) => (l.last_activity_at ? h('time', { datetime: l.last_activity_at, title: formatDateTime(l.last_activity_at), text: formatRelative(l.last_activity_at) }) : '—') },
      { key: 'created_at', label: t('fields.created_at'), sortable: true, render: (l) => formatDate(l.created_at) },
    ],
    onRowClick: (l) => go(`/leads/${l.id}`),
  });
  list.bindSearch(search.input);
  list.bindSelect(status, 'status');
  list.bindSelect(source, 'source');
  list.load();
  return () => list.dispose();
}
