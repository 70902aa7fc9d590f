// Accounts: list (search, sort, paging; state kept in the URL), detail with contacts and
// timeline, create / edit form with server-side validation and optimistic-locking conflicts.

import { h, icon, replace, safeHttpUrl } from '../dom.js';
import { t, formatDate, formatDateTime, formatRelative, formatNumber, personName } from '../i18n.js';
import { api, seg } from '../api.js';
import { can, PERM, fieldDenied } from '../session.js';
import { navigate, href } from '../router.js';
import { pageHeader, dataTable, loadingState, emptyState, errorState, toast, toastError, confirmDialog } from '../ui.js';
import { focusHeading } from '../shell.js';
import { listController, searchBox } from '../list.js';
import { slotPanels } from '../plugins.js';
import { timelineItem } from '../timeline.js';

const SORTABLE = ['name', 'industry', 'region', 'country', 'city', 'updated_at', 'created_at'];
const FIELDS = ['name', 'industry', 'size_band', 'employees', 'region', 'country', 'city', 'website', 'phone'];
const SIZE_BANDS = ['1-10', '11-50', '51-200', '201-1000', '1000+'];

function websiteLink(value) {
  const url = safeHttpUrl(value);
  if (!url) return value || '—';
  return h('a', { href: url, target: '_blank', rel: 'noopener noreferrer nofollow', text: value });
}

function phoneLink(value) {
  if (!value) return '—';
  const tel = String(value).replace(/[^\d+]/g, '');
  return tel ? h('a', { href: `tel:${tel}`, text: value }) : String(value);
}

// ---- list -----------------------------------------------------------------------------------

export function renderAccountList({ main, query, signal }) {
  const actions = [];
  if (can(...PERM.accountCreate)) {
    actions.push(h('a', { href: '#/accounts/new', class: 'btn btn-primary', id: 'account-new' }, icon('plus'), t('accounts.new')));
  }
  const search = searchBox({ id: 'account-search', value: query.q || '', placeholder: t('accounts.search_placeholder'), label: t('accounts.search') });
  const body = h('div', { id: 'account-results' });
  main.append(
    pageHeader(t('accounts.title'), { actions }),
    h('div', { class: 'toolbar', role: 'search' }, search.nodes),
    h('section', { class: 'card', 'aria-labelledby': 'accounts-results-h' }, h('h2', { id: 'accounts-results-h', class: 'sr-only', text: t('accounts.results') }), body));
  const list = listController({
    body, signal, query, endpoint: '/api/v1/accounts',
    sort: { keys: SORTABLE, key: 'name', order: 'asc' },
    caption: t('accounts.title'),
    empty: (state) => emptyState(state.q ? t('accounts.no_match', { q: state.q }) : t('accounts.none'), state.q ? t('common.try_other_search') : null),
    columns: () => [
      { key: 'name', label: t('accounts.fields.name'), sortable: true, header: true, render: (r) => h('a', { href: `#/accounts/${seg(r.id)}`, text: r.name || t('accounts.unnamed') }) },
      { key: 'industry', label: t('accounts.fields.industry'), sortable: true },
      { key: 'region', label: t('accounts.fields.region'), sortable: true },
      { key: 'city', label: t('accounts.fields.city'), sortable: true, render: (r) => [r.city, r.country].filter(Boolean).join(', ') },
      fieldDenied('core.account.phone') ? null : { key: 'phone', label: t('accounts.fields.phone'), render: (r) => phoneLink(r.phone) },
      { key: 'updated_at', label: t('accounts.fields.updated_at'), sortable: true, render: (r) => h('time', { datetime: r.updated_at || '', title: formatDateTime(r.updated_at), text: formatRelative(r.updated_at) }) },
    ],
    onRowClick: (row) => navigate(`/accounts/${row.id}`),
  });
  list.bindSearch(search.input);
  list.load();
  return () => list.dispose();
}

// ---- detail ---------------------------------------------------------------------------------

function definition(label, value) {
  return [h('dt', { text: label }), h('dd', null, value === null || value === undefined || value === '' ? '—' : value)];
}

export async function renderAccountDetail({ main, params, signal }) {
  main.appendChild(loadingState());
  let account;
  try {
    account = await api.get(`/api/v1/accounts/${seg(params.id)}`, { signal });
  } catch (err) {
    if (err.name === 'AbortError') return;
    replace(main, pageHeader(t('accounts.title'), { crumbs: [{ label: t('accounts.title'), href: '#/accounts' }] }),
      errorState(err.status === 404 ? { message: t('accounts.not_found') } : err, () => renderAccountDetail({ main: replace(main), params, signal })));
    return;
  }
  const actions = [];
  if (can(...PERM.accountUpdate)) actions.push(h('a', { href: `#/accounts/${seg(account.id)}/edit`, class: 'btn', id: 'account-edit' }, icon('edit'), t('common.edit')));
  if (can(...PERM.accountDelete)) {
    const del = h('button', { type: 'button', class: 'btn btn-danger-outline', id: 'account-delete' }, icon('trash'), t('common.delete'));
    del.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: t('accounts.delete_title'), message: t('accounts.delete_confirm', { name: account.name }), confirmLabel: t('common.delete'), danger: true });
      if (!ok) return;
      try {
        await api.del(`/api/v1/accounts/${seg(account.id)}`);
        toast(t('accounts.deleted', { name: account.name }), 'success');
        navigate('/accounts');
      } catch (err) { toastError(err); }
    });
    actions.push(del);
  }

  const contactsBody = h('div', null, loadingState());
  const timelineBody = h('div', null, loadingState());
  replace(main,
    pageHeader(account.name || t('accounts.unnamed'), {
      subtitle: [account.industry, [account.city, account.country].filter(Boolean).join(', ')].filter(Boolean).join(' · '),
      crumbs: [{ label: t('accounts.title'), href: '#/accounts' }, { label: account.name || t('accounts.unnamed') }],
      actions,
    }),
    h('div', { class: 'detail-grid' },
      h('section', { class: 'card', 'aria-labelledby': 'acc-info-h' },
        h('h2', { id: 'acc-info-h', text: t('accounts.details') }),
        h('dl', { class: 'props' },
          definition(t('accounts.fields.name'), account.name),
          definition(t('accounts.fields.industry'), account.industry),
          'size_band' in account ? definition(t('accounts.fields.size_band'), account.size_band ? t('accounts.size_band_value', { band: account.size_band }) : null) : null,
          'employees' in account ? definition(t('accounts.fields.employees'), account.employees === null || account.employees === undefined ? null : formatNumber(account.employees)) : null,
          definition(t('accounts.fields.region'), account.region),
          definition(t('accounts.fields.country'), account.country),
          definition(t('accounts.fields.city'), account.city),
          definition(t('accounts.fields.website'), account.website ? websiteLink(account.website) : null),
          definition(t('accounts.fields.phone'), account.phone ? phoneLink(account.phone) : null),
          definition(t('accounts.fields.created_at'), formatDate(account.created_at)),
          definition(t('accounts.fields.updated_at'), formatDateTime(account.updated_at)))),
      h('section', { class: 'card span-2', 'aria-labelledby': 'acc-contacts-h' },
        h('h2', { id: 'acc-contacts-h', text: t('accounts.contacts') }), contactsBody),
      // Each enabled module's panel (e.g. a module's records of this account).
      slotPanels('account', { record: account, signal }),
      h('section', { class: 'card span-3', 'aria-labelledby': 'acc-timeline-h' },
        h('h2', { id: 'acc-timeline-h' }, icon('timeline'), t('accounts.timeline')), timelineBody)));

  const loadContacts = async () => {
    replace(contactsBody, loadingState());
    try {
      const data = await api.get(`/api/v1/accounts/${seg(account.id)}/contacts`, { signal, query: { limit: 100 } });
      const items = (data && data.items) || [];
      replace(contactsBody, items.length === 0 ? emptyState(t('contacts.none_for_account')) : dataTable({
        caption: t('accounts.contacts'),
        columns: [
          { key: 'name', label: t('contacts.fields.name'), header: true, render: (r) => h('a', { href: `#/contacts/${seg(r.id)}`, text: personName(r.first_name, r.last_name) || `#${r.id}` }) },
          { key: 'title', label: t('contacts.fields.title') },
          { key: 'email', label: t('contacts.fields.email'), render: (r) => (r.email ? h('a', { href: `mailto:${r.email}`, text: r.email }) : '—') },
          { key: 'phone', label: t('contacts.fields.phone'), render: (r) => phoneLink(r.phone) },
        ],
        rows: items,
      }));
    } catch (err) {
      if (err.name !== 'AbortError') replace(contactsBody, errorState(err, loadContacts));
    }
  };
  const loadTimeline = async () => {
    replace(timelineBody, loadingState());
    try {
      const data = await api.get(`/api/v1/accounts/${seg(account.id)}/timeline`, { signal, query: { limit: 100 } });
      const items = ((data && data.items) || []).slice().sort((a, b) => String(b.occurred_at).localeCompare(String(a.occurred_at)));
      replace(timelineBody, items.length === 0 ? emptyState(t('timeline.none')) : h('ol', { class: 'timeline' }, items.map(timelineItem)));
    } catch (err) {
      if (err.name !== 'AbortError') replace(timelineBody, errorState(err, loadTimeline));
    }
  };
  loadContacts();
  loadTimeline();
}

// ---- create / edit --------------------------------------------------------------------------

export async function renderAccountForm({ main, params, signal }) {
  const editing = !!params.id;
  let account = { name: '', industry: '', region: '', country: '', city: '', website: '', phone: '' };
  if (editing) {
    main.appendChild(loadingState());
    try {
      account = await api.get(`/api/v1/accounts/${seg(params.id)}`, { signal });
    } catch (err) {
      if (err.name === 'AbortError') return;
      replace(main, pageHeader(t('accounts.edit_title')), errorState(err));
      return;
    }
  }
  const title = editing ? t('accounts.edit_title') : t('accounts.new_title');
  // Fields the server leaves out of a record are denied to this user: they are not shown or sent.
  const fields = editing ? FIELDS.filter((f) => f in account) : FIELDS;
  const inputs = {};
  const errors = {};
  const formError = h('div', { class: 'form-error', role: 'alert', hidden: true, id: 'account-form-error' });
  const fieldRows = fields.map((field) => {
    const id = `acc-${field}`;
    const errId = `${id}-err`;
    const value = account[field] === null || account[field] === undefined ? '' : String(account[field]);
    if (field === 'size_band') {
      inputs[field] = h('select', { id, name: field },
        h('option', { value: '', text: t('accounts.size_band_none') }),
        SIZE_BANDS.map((b) => h('option', { value: b, selected: b === value, text: t('accounts.size_band_value', { band: b }) })));
    } else {
      const type = { website: 'url', phone: 'tel', employees: 'number' }[field] || 'text';
      inputs[field] = h('input', {
        id, name: field, type, value,
        maxlength: type === 'number' ? null : ({ name: '200', phone: '50', website: '255' }[field] || '100'),
        min: type === 'number' ? '0' : null, step: type === 'number' ? '1' : null, inputmode: type === 'number' ? 'numeric' : null,
        required: field === 'name', autocomplete: 'off',
      });
    }
    errors[field] = h('p', { class: 'field-error', id: errId, hidden: true });
    inputs[field].setAttribute('aria-describedby', errId);
    return h('div', { class: `field${field === 'name' ? ' field-wide' : ''}` },
      h('label', { for: id }, t(`accounts.fields.${field}`), field === 'name' ? h('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : null),
      inputs[field], errors[field]);
  });
  const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'account-save', text: t('common.save') });
  const cancel = h('a', { class: 'btn', href: editing ? `#/accounts/${seg(account.id)}` : '#/accounts', text: t('common.cancel') });
  const form = h('form', { class: 'card form', novalidate: true, 'aria-labelledby': 'acc-form-h' },
    h('h2', { id: 'acc-form-h', class: 'sr-only', text: title }),
    formError,
    h('div', { class: 'form-grid' }, fieldRows),
    h('div', { class: 'form-actions' }, cancel, save));

  const clearErrors = () => {
    formError.hidden = true;
    formError.textContent = '';
    for (const f of fields) { errors[f].hidden = true; errors[f].textContent = ''; inputs[f].removeAttribute('aria-invalid'); }
  };
  const showFieldErrors = (fieldErrors) => {
    let first = null;
    const other = [];
    for (const [f, msg] of Object.entries(fieldErrors || {})) {
      const text = typeof msg === 'string' ? msg : t('errors.invalid_value');
      if (!inputs[f]) { other.push(`${f}: ${text}`); continue; }
      errors[f].textContent = text;
      errors[f].hidden = false;
      inputs[f].setAttribute('aria-invalid', 'true');
      first = first || inputs[f];
    }
    if (other.length) {
      formError.hidden = false;
      formError.textContent = [formError.textContent, ...other].filter(Boolean).join(' ');
    }
    if (first) first.focus();
    return !!first;
  };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors();
    const body = {};
    // "www.example.com" means https://www.example.com (the server wants a scheme).
    if (inputs.website && inputs.website.value.trim() && !/^[a-z][a-z0-9+.-]*:/i.test(inputs.website.value.trim())) {
      inputs.website.value = `https://${inputs.website.value.trim()}`;
    }
    for (const f of fields) {
      const v = inputs[f].value.trim();
      if (!editing && v === '') continue; // a new record leaves blank fields unset
      body[f] = f === 'employees' && v !== '' ? Number(v) : v;
    }
    if (!body.name) { showFieldErrors({ name: t('accounts.name_required') }); return; }
    if ('employees' in body && body.employees !== '' && !(Number.isInteger(body.employees) && body.employees >= 0)) {
      showFieldErrors({ employees: t('accounts.employees_invalid') });
      return;
    }
    if (editing) body.version = account.version;
    save.disabled = true;
    try {
      const saved = editing
        ? await api.put(`/api/v1/accounts/${seg(account.id)}`, body)
        : await api.post('/api/v1/accounts', body);
      toast(t(editing ? 'accounts.saved' : 'accounts.created', { name: body.name }), 'success');
      navigate(`/accounts/${(saved && saved.id) || account.id}`);
    } catch (err) {
      save.disabled = false;
      if (err.status === 409) {
        formError.hidden = false;
        formError.replaceChildren(
          h('span', { text: t('accounts.conflict') }), ' ',
          h('a', { href: href(`/accounts/${account.id}`), text: t('accounts.conflict_reload') }));
        formError.focus();
      } else if (err.status === 422 || err.code === 'validation_failed') {
        formError.hidden = false;
        formError.textContent = err.serverMessage || t('errors.validation_failed');
        showFieldErrors(err.fields);
      } else {
        formError.hidden = false;
        formError.textContent = err.message;
      }
    }
  });

  replace(main,
    pageHeader(title, {
      crumbs: editing
        ? [{ label: t('accounts.title'), href: '#/accounts' }, { label: account.name, href: `#/accounts/${seg(account.id)}` }, { label: t('common.edit') }]
        : [{ label: t('accounts.title'), href: '#/accounts' }, { label: t('accounts.new') }],
    }),
    form);
  formError.setAttribute('tabindex', '-1');
  focusHeading(main);
  inputs.name.focus();
}
