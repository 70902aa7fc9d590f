// Admin → Roles: list, and the role editor — for every permission of the catalogue
// (GET /api/v1/admin/permissions, grouped by the core or plugin that declares it) a scope
// none / own / department / all, and the fields the role may not see ("denied fields").
// Contract: GET/POST /api/v1/admin/roles, GET/PUT/DELETE /api/v1/admin/roles/{id}
// ({name, description, permissions: {perm: scope}, denied_fields: [], builtin, version}).

import { h, icon, replace } from '../dom.js';
import { t, has, localized, formatNumber } from '../i18n.js';
import { api, seg } from '../api.js';
import { can, PERM } from '../session.js';
import { navigate, href } from '../router.js';
import { pageHeader, dataTable, loadingState, emptyState, toast, toastError, confirmDialog, chip } from '../ui.js';
import { focusHeading } from '../shell.js';
import { createForm, textInput } from '../forms.js';
import { unavailableOr, roleLabel } from './admin-common.js';

export const SCOPES = ['own', 'department', 'all'];

function scopeLabel(scope) {
  const key = `scopes.${scope}`;
  return t(key) === key ? String(scope) : t(key);
}

/** The permission's description: our translation for core permissions, else the declared text. */
function permissionText(p) {
  const key = `admin.roles.perm.${String(p.name).replace(/\./g, '_')}`;
  return has(key) ? t(key) : localized(p.description) || '—';
}

function ownerLabel(owner) {
  if (!owner || owner === 'core') return t('admin.roles.owner_core');
  return owner;
}

export async function renderRoleList({ main, signal }) {
  const actions = can(...PERM.roleWrite) ? [h('a', { href: '#/admin/roles/new', class: 'btn btn-primary', id: 'role-new' }, icon('plus'), t('admin.roles.new'))] : [];
  const body = h('div', { id: 'role-results' }, loadingState());
  main.append(pageHeader(t('admin.roles.title'), { subtitle: t('admin.roles.subtitle'), actions }), h('section', { class: 'card', 'aria-label': t('admin.roles.title') }, body));
  const load = async () => {
    try {
      const data = await api.get('/api/v1/admin/roles', { signal });
      const items = (data && data.items) || [];
      if (!items.length) { replace(body, emptyState(t('admin.roles.none'))); return; }
      replace(body, dataTable({
        caption: t('admin.roles.title'),
        columns: [
          { key: 'name', label: t('admin.roles.fields.name'), header: true, render: (r) => h('span', { class: 'stack' }, h('a', { href: `#/admin/roles/${seg(r.id)}`, text: roleLabel(r.name) }), roleLabel(r.name) !== r.name ? h('code', { class: 'muted small', text: r.name }) : null) },
          { key: 'description', label: t('admin.roles.fields.description'), class: 'wrap', render: (r) => localized(r.description) || '—' },
          { key: 'permissions', label: t('admin.roles.fields.permissions'), align: 'end', render: (r) => (r.permissions && r.permissions['*'] ? t('admin.roles.everything') : formatNumber(Object.keys(r.permissions || {}).length)) },
          { key: 'denied_fields', label: t('admin.roles.fields.denied_fields'), align: 'end', render: (r) => formatNumber((r.denied_fields || []).length) },
          { key: 'users', label: t('admin.roles.fields.users'), align: 'end', render: (r) => (Number.isFinite(r.users) ? formatNumber(r.users) : '—') },
          { key: 'builtin', label: t('admin.roles.fields.kind'), render: (r) => chip(r.builtin ? t('admin.roles.builtin') : t('admin.roles.custom'), r.builtin ? 'info' : 'neutral') },
        ],
        rows: items,
        onRowClick: (r) => navigate(`/admin/roles/${r.id}`),
      }));
    } catch (err) {
      if (err.name !== 'AbortError') replace(body, unavailableOr(err, load));
    }
  };
  await load();
}

export async function renderRoleForm({ main, params, signal }) {
  const creating = !params.id;
  main.appendChild(loadingState());
  let role = { name: '', description: '', permissions: {}, denied_fields: [], builtin: false };
  let catalogue;
  // The fields a role may hide, as the core and each plugin declare them (GET /api/v1/admin/fields).
  let deniable = [];
  try {
    const [perms, r, fields] = await Promise.all([
      api.get('/api/v1/admin/permissions', { signal }),
      creating ? null : api.get(`/api/v1/admin/roles/${seg(params.id)}`, { signal }),
      api.get('/api/v1/admin/fields', { signal }),
    ]);
    catalogue = (perms && perms.items) || [];
    deniable = (fields && fields.items) || [];
    if (r) role = r;
  } catch (err) {
    if (err.name === 'AbortError') return;
    replace(main, pageHeader(t('admin.roles.title'), { crumbs: [{ label: t('admin.roles.title'), href: '#/admin/roles' }] }), unavailableOr(err));
    return;
  }
  const canWrite = can(...PERM.roleWrite);
  const isAdminRole = role.name === 'admin';
  const wildcard = !!(role.permissions && role.permissions['*']);
  const readOnly = !canWrite || isAdminRole;
  const f = createForm({ idPrefix: 'role' });
  const name = textInput({ value: role.name || '', maxlength: '64', pattern: '[a-z][a-z0-9_.\\-]{1,63}', disabled: role.builtin, spellcheck: 'false' });
  const description = h('textarea', { rows: '2', maxlength: '500' });
  description.value = localized(role.description) || '';

  // Permissions grouped by their owner (core first, then plugins alphabetically).
  const known = new Set(catalogue.map((p) => p.name));
  const extra = Object.keys(role.permissions || {}).filter((p) => p !== '*' && !known.has(p)).map((name) => ({ name, description: '', owner: name.split('.')[0] }));
  const all = [...catalogue, ...extra];
  const groups = new Map();
  for (const p of all) {
    const owner = p.plugin || p.owner || String(p.name).split('.')[0];
    if (!groups.has(owner)) groups.set(owner, []);
    groups.get(owner).push(p);
  }
  const owners = [...groups.keys()].sort((a, b) => (a === 'core' ? -1 : b === 'core' ? 1 : a.localeCompare(b)));
  const scopeSelects = {};
  const filter = h('input', { type: 'search', id: 'perm-filter', placeholder: t('admin.roles.filter_permissions'), autocomplete: 'off' });
  const permTable = h('div', { class: 'perm-groups', id: 'role-permissions' }, owners.map((owner) => {
    const rows = groups.get(owner).slice().sort((a, b) => a.name.localeCompare(b.name));
    return h('section', { class: 'perm-group', dataset: { owner } },
      h('h3', { class: 'perm-owner', text: ownerLabel(owner) }),
      h('div', { class: 'table-wrap' }, h('table', { class: 'table table-compact' },
        h('caption', { class: 'sr-only', text: t('admin.roles.permissions_of', { owner: ownerLabel(owner) }) }),
        h('thead', null, h('tr', null,
          h('th', { scope: 'col', text: t('admin.roles.fields.permission') }),
          h('th', { scope: 'col', text: t('admin.roles.fields.description') }),
          h('th', { scope: 'col', class: 'perm-scope-col', text: t('admin.roles.fields.scope') }))),
        h('tbody', null, rows.map((p) => {
          const id = `perm-${p.name.replace(/[^\w-]/g, '-')}`;
          const current = wildcard ? 'all' : (role.permissions || {})[p.name] || '';
          const select = h('select', { id, dataset: { permission: p.name }, disabled: readOnly || wildcard, 'aria-label': t('admin.roles.scope_of', { permission: p.name }) },
            h('option', { value: '', selected: !current, text: t('admin.roles.scope_none') }),
            SCOPES.map((s) => h('option', { value: s, selected: current === s, text: scopeLabel(s) })));
          const mark = () => select.closest('tr') && select.closest('tr').classList.toggle('granted', !!select.value);
          select.addEventListener('change', mark);
          scopeSelects[p.name] = select;
          const tr = h('tr', { dataset: { permission: p.name }, class: current ? 'granted' : '' },
            h('th', { scope: 'row' }, h('code', { text: p.name })),
            h('td', { class: 'wrap', text: permissionText(p) }),
            h('td', null, select));
          return tr;
        })))));
  }));
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase();
    for (const tr of permTable.querySelectorAll('tbody tr')) tr.hidden = !!q && !tr.textContent.toLowerCase().includes(q);
    for (const sec of permTable.querySelectorAll('.perm-group')) sec.hidden = ![...sec.querySelectorAll('tbody tr')].some((tr) => !tr.hidden);
  });

  // Denied fields: chips with remove buttons plus an input suggesting every declared deniable
  // field by its entity and field names in the reader's language.
  const byKey = new Map(deniable.map((x) => [x.key, x]));
  const fieldName = (key) => {
    const x = byKey.get(key);
    return x ? `${localized(x.entity_label) || x.entity} · ${localized(x.label) || x.field}` : '';
  };
  const denied = new Set(role.denied_fields || []);
  const chips = h('ul', { class: 'chip-list', id: 'role-denied-list', 'aria-live': 'polite' });
  const drawChips = () => replace(chips, denied.size ? [...denied].sort().map((fKey) => h('li', { class: 'chip chip-amber chip-removable', title: fKey },
    fieldName(fKey) ? h('span', { text: `${fieldName(fKey)} ` }) : null,
    h('code', { text: fKey }),
    readOnly ? null : h('button', { type: 'button', class: 'chip-x', 'aria-label': t('admin.roles.remove_field', { field: fKey }), on: { click: () => { denied.delete(fKey); drawChips(); } } }, icon('close')))) : h('li', { class: 'muted', text: t('admin.roles.no_denied') }));
  drawChips();
  const fieldInput = textInput({ id: 'role-denied-input', list: 'role-field-suggestions', placeholder: 'core.account.phone', spellcheck: 'false', disabled: readOnly });
  const addField = h('button', { type: 'button', class: 'btn', id: 'role-denied-add', disabled: readOnly }, icon('plus'), t('admin.roles.add_field'));
  const addNow = () => {
    const v = fieldInput.value.trim();
    if (!v) return;
    if (!/^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*){2,}$/.test(v)) { f.showErrors({ denied_fields: t('admin.roles.field_format') }); return; }
    f.reset();
    denied.add(v);
    fieldInput.value = '';
    drawChips();
  };
  addField.addEventListener('click', addNow);
  fieldInput.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); addNow(); } });
  const deniedBox = h('div', { class: 'denied-box', role: 'group' }, chips,
    h('div', { class: 'inline-add' }, fieldInput, addField,
      h('datalist', { id: 'role-field-suggestions' }, deniable.map((x) => h('option', { value: x.key, label: fieldName(x.key) })))));

  const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'role-save', text: creating ? t('admin.roles.create') : t('common.save') });
  const form = h('form', { class: 'form-wide', novalidate: true },
    f.banner,
    isAdminRole ? h('p', { class: 'notice', role: 'status', text: t('admin.roles.admin_notice') }) : null,
    h('section', { class: 'card', 'aria-labelledby': 'role-basics-h' },
      h('h2', { id: 'role-basics-h', text: t('admin.roles.basics') }),
      h('div', { class: 'form-grid' },
        f.field('name', t('admin.roles.fields.name'), name, { required: true, hint: role.builtin ? t('admin.roles.builtin_name') : t('admin.roles.name_hint') }),
        f.field('description', t('admin.roles.fields.description'), description))),
    h('section', { class: 'card', 'aria-labelledby': 'role-perms-h' },
      h('div', { class: 'card-head' },
        h('h2', { id: 'role-perms-h', text: t('admin.roles.fields.permissions') }),
        h('span', { class: 'search-box' }, icon('search'), h('label', { for: 'perm-filter', class: 'sr-only', text: t('admin.roles.filter_permissions') }), filter)),
      h('p', { class: 'muted small', text: t('admin.roles.scope_explain') }),
      wildcard && !isAdminRole ? h('p', { class: 'notice', text: t('admin.roles.wildcard_notice') }) : null,
      f.field('permissions', t('admin.roles.permission_list'), permTable, { wide: true, hideLabel: true })),
    h('section', { class: 'card', 'aria-labelledby': 'role-denied-h' },
      h('h2', { id: 'role-denied-h', text: t('admin.roles.fields.denied_fields') }),
      h('p', { class: 'muted small', text: t('admin.roles.denied_explain') }),
      f.field('denied_fields', t('admin.roles.hidden_fields'), deniedBox, { wide: true, hideLabel: true })),
    readOnly ? null : h('div', { class: 'form-actions sticky-actions' }, h('a', { class: 'btn', href: '#/admin/roles', text: t('common.cancel') }), save));
  if (readOnly) { name.disabled = true; description.disabled = true; }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    f.reset();
    const body = { name: name.value.trim(), description: description.value.trim() || null, denied_fields: [...denied].sort() };
    if (!wildcard) {
      body.permissions = {};
      for (const [perm, sel] of Object.entries(scopeSelects)) if (sel.value) body.permissions[perm] = sel.value;
    }
    if (!body.name) { f.showErrors({ name: t('admin.roles.name_required') }); return; }
    if (!/^[a-z][a-z0-9_.-]{1,63}$/.test(body.name)) { f.showErrors({ name: t('admin.roles.name_hint') }); return; }
    save.disabled = true;
    try {
      const saved = creating
        ? await api.post('/api/v1/admin/roles', body)
        : await api.put(`/api/v1/admin/roles/${seg(role.id)}`, { ...body, name: role.builtin ? role.name : body.name, version: role.version });
      toast(t(creating ? 'admin.roles.created' : 'admin.roles.saved', { name: body.name }), 'success');
      navigate(creating && saved && saved.id ? `/admin/roles/${saved.id}` : '/admin/roles');
    } catch (err) {
      save.disabled = false;
      f.fail(err, { conflict: h('span', null, t('admin.roles.conflict'), ' ', h('a', { href: href(`/admin/roles/${role.id}`, { r: Date.now() }), text: t('common.reload') })) });
    }
  });

  const actions = [];
  if (!creating && canWrite && !role.builtin) {
    const del = h('button', { type: 'button', class: 'btn btn-danger-outline', id: 'role-delete', disabled: role.users > 0, title: role.users > 0 ? t('admin.roles.in_use', { count: role.users }) : null }, icon('trash'), t('common.delete'));
    del.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: t('admin.roles.delete_title'), message: t('admin.roles.delete_confirm', { name: role.name }), confirmLabel: t('common.delete'), danger: true });
      if (!ok) return;
      try {
        await api.del(`/api/v1/admin/roles/${seg(role.id)}`);
        toast(t('admin.roles.deleted', { name: role.name }), 'success');
        navigate('/admin/roles');
      } catch (err) { toastError(err); }
    });
    actions.push(del);
  }
  const heading = creating ? t('admin.roles.new_title') : roleLabel(role.name);
  replace(main,
    pageHeader(heading, {
      subtitle: creating ? t('admin.roles.new_subtitle') : [role.builtin ? t('admin.roles.builtin') : t('admin.roles.custom'), Number.isFinite(role.users) ? t('admin.roles.held_by', { count: role.users }) : null].filter(Boolean).join(' · '),
      crumbs: [{ label: t('admin.roles.title'), href: '#/admin/roles' }, { label: creating ? t('admin.roles.new') : roleLabel(role.name) }],
      actions,
    }),
    catalogue.length || extra.length ? form : h('div', null, form, emptyState(t('admin.roles.no_catalogue'))));
  focusHeading(main);
}
