// Contacts: list (search, sort, paging; state in the URL, through the list helper) and a contact's
// page (details, link to its account, and each enabled module's panel).

import { h, replace } from '../dom.js';
import { t, formatRelative, formatDateTime, personName } from '../i18n.js';
import { api, seg } from '../api.js';
import { navigate } from '../router.js';
import { fieldDenied } from '../session.js';
import { pageHeader, loadingState, emptyState, errorState } from '../ui.js';
import { listController, searchBox } from '../list.js';
import { slotPanels } from '../plugins.js';

const SORTABLE = ['last_name', 'first_name', 'email', 'title', 'updated_at'];

export function renderContactList({ main, query, signal }) {
  const search = searchBox({ id: 'contact-search', value: query.q || '', placeholder: t('contacts.search_placeholder'), label: t('contacts.search') });
  const body = h('div', { id: 'contact-results' });
  main.append(
    pageHeader(t('contacts.title')),
    h('div', { class: 'toolbar', role: 'search' }, search.nodes),
    h('section', { class: 'card', 'aria-label': t('contacts.results') }, body));
  const list = listController({
    body, signal, query, endpoint: '/api/v1/contacts',
    sort: { keys: SORTABLE, key: 'last_name', order: 'asc' },
    caption: t('contacts.title'),
    empty: (state) => emptyState(state.q ? t('contacts.no_match', { q: state.q }) : t('contacts.none'), state.q ? t('common.try_other_search') : null),
    columns: () => [
      { key: 'last_name', label: t('contacts.fields.name'), sortable: true, header: true, render: (r) => h('a', { href: `#/contacts/${seg(r.id)}`, text: personName(r.first_name, r.last_name) || '—' }) },
      { key: 'title', label: t('contacts.fields.title'), sortable: true },
      { key: 'account', label: t('contacts.fields.account'), render: (r) => (r.account_id ? h('a', { href: `#/accounts/${seg(r.account_id)}`, text: r.account_name || t('contacts.open_account') }) : '—') },
      fieldDenied('core.contact.email') ? null : { key: 'email', label: t('contacts.fields.email'), sortable: true, render: (r) => (r.email ? h('a', { href: `mailto:${r.email}`, text: r.email }) : '—') },
      fieldDenied('core.contact.phone') ? null : { key: 'phone', label: t('contacts.fields.phone'), render: (r) => r.phone || '—' },
      { key: 'updated_at', label: t('contacts.fields.updated_at'), sortable: true, render: (r) => (r.updated_at ? h('time', { datetime: r.updated_at, title: formatDateTime(r.updated_at), text: formatRelative(r.updated_at) }) : '—') },
    ],
    onRowClick: (r) => navigate(`/contacts/${r.id}`),
  });
  list.bindSearch(search.input);
  list.load();
  return () => list.dispose();
}

function definition(label, value) {
  return [h('dt', { text: label }), h('dd', null, value === null || value === undefined || value === '' ? '—' : value)];
}

export async function renderContactDetail({ main, params, signal }) {
  main.appendChild(loadingState());
  let contact;
  try {
    contact = await api.get(`/api/v1/contacts/${seg(params.id)}`, { signal });
  } catch (err) {
    if (err.name === 'AbortError') return;
    replace(main, pageHeader(t('contacts.title'), { crumbs: [{ label: t('contacts.title'), href: '#/contacts' }] }),
      errorState(err.status === 404 ? { message: t('contacts.not_found') } : err));
    return;
  }
  const name = personName(contact.first_name, contact.last_name) || `#${contact.id}`;
  let accountName = null;
  if (contact.account_id) {
    try { accountName = (await api.get(`/api/v1/accounts/${seg(contact.account_id)}`, { signal })).name; } catch (err) { if (err.name === 'AbortError') return; }
  }
  replace(main,
    pageHeader(name, { subtitle: [contact.title, accountName].filter(Boolean).join(' · '), crumbs: [{ label: t('contacts.title'), href: '#/contacts' }, { label: name }] }),
    h('div', { class: 'detail-grid' },
      h('section', { class: 'card span-3', 'aria-labelledby': 'contact-info-h' },
        h('h2', { id: 'contact-info-h', text: t('contacts.details') }),
        h('dl', { class: 'props' },
          definition(t('contacts.fields.name'), name),
          definition(t('contacts.fields.title'), contact.title),
          definition(t('contacts.fields.account'), contact.account_id ? h('a', { href: `#/accounts/${seg(contact.account_id)}`, id: 'contact-account-link', text: accountName || t('contacts.open_account') }) : null),
          'email' in contact ? definition(t('contacts.fields.email'), contact.email ? h('a', { href: `mailto:${contact.email}`, text: contact.email }) : null) : null,
          'phone' in contact ? definition(t('contacts.fields.phone'), contact.phone) : null,
          definition(t('contacts.fields.updated_at'), formatDateTime(contact.updated_at)))),
      slotPanels('contact', { record: contact, signal })));
}
