// Admin → Users: list (search, department, status; state in the URL), create and edit (roles,
// department, manager, language, title), disable, reset password. Contract: GET/POST
// /api/v1/admin/users, GET/PUT /api/v1/admin/users/{id} (with version), POST …/{id}/disable,
// POST …/{id}/reset-password {"password"}.

import { h, icon, replace } from '../dom.js';
import { t, formatRelative, formatDateTime, LOCALES } from '../i18n.js';
import { api, seg } from '../api.js';
import { can, PERM, currentUser } from '../session.js';
import { navigate, href } from '../router.js';
import { listController, searchBox } from '../list.js';
import { pageHeader, loadingState, emptyState, errorState, toast, toastError, confirmDialog, openDialog, chip } from '../ui.js';
import { focusHeading } from '../shell.js';
import { createForm, textInput, selectInput } from '../forms.js';
import { loadDepartmentTree, departmentName, departmentOptions, unavailableOr, roleLabel } from './admin-common.js';

// ---- list -----------------------------------------------------------------------------------

export async function renderUserList({ main, query, signal }) {
  const actions = can(...PERM.userWrite) ? [h('a', { href: '#/admin/users/new', class: 'btn btn-primary', id: 'user-new' }, icon('plus'), t('admin.users.new'))] : [];
  const search = searchBox({ id: 'user-search', value: query.q || '', placeholder: t('admin.users.search_placeholder'), label: t('admin.users.search') });
  const dept = h('select', { id: 'user-filter-dept' }, h('option', { value: '', text: t('filters.all_departments') }));
  const status = selectInput([
    { value: '', label: t('admin.users.status_any') },
    { value: 'true', label: t('admin.users.status_active') },
    { value: 'false', label: t('admin.users.status_disabled') },
  ], ['true', 'false'].includes(query.active) ? query.active : '', { id: 'user-filter-active' });
  const body = h('div', { id: 'user-results' }, loadingState());
  main.append(
    pageHeader(t('admin.users.title'), { subtitle: t('admin.users.subtitle'), actions }),
    h('div', { class: 'toolbar', role: 'search' },
      search.nodes,
      h('label', { for: 'user-filter-dept', class: 'sr-only', text: t('admin.users.fields.department') }), dept,
      h('label', { for: 'user-filter-active', class: 'sr-only', text: t('admin.users.fields.status') }), status),
    h('section', { class: 'card', 'aria-label': t('admin.users.results') }, body));

  let tree = null;
  try { tree = await loadDepartmentTree(signal); } catch (err) { if (err.name === 'AbortError') return undefined; }
  const list = listController({
    body, signal, query, endpoint: '/api/v1/admin/users',
    filters: { department_id: { pattern: /^\d+$/ }, active: { values: ['true', 'false'] } },
    caption: t('admin.users.title'),
    empty: (state) => emptyState(state.q ? t('admin.users.no_match', { q: state.q }) : t('admin.users.none')),
    error: unavailableOr,
    columns: () => {
      const byId = tree ? tree.byId : new Map();
      return [
        { key: 'display_name', label: t('admin.users.fields.display_name'), header: true, render: (u) => h('span', { class: 'stack' }, h('a', { href: `#/admin/users/${seg(u.id)}`, text: u.display_name || u.email }), u.title ? h('span', { class: 'muted small', text: u.title }) : null) },
        { key: 'email', label: t('admin.users.fields.email') },
        { key: 'department', label: t('admin.users.fields.department'), render: (u) => (u.department_id ? (byId.get(u.department_id) ? departmentName(byId.get(u.department_id)) : `#${u.department_id}`) : '—') },
        { key: 'roles', label: t('admin.users.fields.roles'), render: (u) => h('span', { class: 'chips' }, (u.roles || []).map((r) => chip(roleLabel(r), r === 'admin' ? 'info' : 'neutral'))) },
        { key: 'locale', label: t('admin.users.fields.locale'), render: (u) => t(`locales.${u.locale}`) === `locales.${u.locale}` ? (u.locale || '—') : t(`locales.${u.locale}`) },
        { key: 'active', label: t('admin.users.fields.status'), render: (u) => chip(u.active === false ? t('admin.users.status_disabled') : t('admin.users.status_active'), u.active === false ? 'red' : 'green') },
        { key: 'updated_at', label: t('admin.users.fields.updated_at'), render: (u) => h('time', { datetime: u.updated_at || '', title: formatDateTime(u.updated_at), text: formatRelative(u.updated_at) }) },
      ];
    },
    onRowClick: (u) => navigate(`/admin/users/${u.id}`),
  });
  if (tree) replace(dept, departmentOptions(tree.list, list.state.department_id, { none: t('filters.all_departments') }));
  list.bindSearch(search.input);
  list.bindSelect(dept, 'department_id');
  list.bindSelect(status, 'active');
  await list.load();
  return () => list.dispose();
}

// ---- create / edit --------------------------------------------------------------------------

async function loadRoles(signal) {
  try {
    const data = await api.get('/api/v1/admin/roles', { signal });
    return (data && data.items) || [];
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    return null;
  }
}

async function loadManagers(signal) {
  try {
    const data = await api.get('/api/v1/admin/users', { signal, query: { limit: 200, active: 'true' } });
    return (data && data.items) || [];
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    return [];
  }
}

export async function renderUserForm({ main, params, signal }) {
  const editing = !!params.id;
  main.appendChild(loadingState());
  let user = { email: '', display_name: '', department_id: null, manager_id: null, roles: ['rep'], locale: 'zh-CN', title: '', active: true };
  let tree; let roles; let managers;
  try {
    [tree, roles, managers] = await Promise.all([
      loadDepartmentTree(signal).catch((err) => { if (err.name === 'AbortError') throw err; return null; }),
      loadRoles(signal),
      loadManagers(signal),
    ]);
    if (editing) user = await api.get(`/api/v1/admin/users/${seg(params.id)}`, { signal });
  } catch (err) {
    if (err.name === 'AbortError') return;
    replace(main, pageHeader(t('admin.users.title'), { crumbs: [{ label: t('admin.users.title'), href: '#/admin/users' }] }),
      editing && err.status === 404 && err.serverMessage && !/nothing at/i.test(err.serverMessage) ? errorState({ message: t('admin.users.not_found') }) : unavailableOr(err));
    return;
  }
  const canWrite = can(...PERM.userWrite);
  const title = editing ? (user.display_name || user.email) : t('admin.users.new_title');
  const f = createForm({ idPrefix: 'user' });

  const email = textInput({ type: 'email', value: user.email || '', maxlength: '254', autocomplete: 'off' });
  const name = textInput({ value: user.display_name || '', maxlength: '200' });
  const password = h('input', { type: 'password', autocomplete: 'new-password', minlength: '12' });
  const titleIn = textInput({ value: user.title || '', maxlength: '200' });
  const dept = h('select', null, departmentOptions(tree ? tree.list : [], user.department_id, { none: t('admin.users.choose_department') }));
  const manager = h('select', null,
    h('option', { value: '', text: t('admin.users.no_manager') }),
    managers.filter((m) => m.id !== user.id).sort((a, b) => String(a.display_name).localeCompare(String(b.display_name)))
      .map((m) => h('option', { value: String(m.id), selected: m.id === user.manager_id, text: `${m.display_name || m.email} <${m.email}>` })));
  if (user.manager_id && !managers.some((m) => m.id === user.manager_id)) manager.appendChild(h('option', { value: String(user.manager_id), selected: true, text: `#${user.manager_id}` }));
  const locale = selectInput(LOCALES.map((l) => ({ value: l, label: t(`locales.${l}`) })), user.locale || 'en');
  const roleBoxes = {};
  const roleGroup = h('fieldset', { class: 'checks', 'aria-labelledby': 'user-roles-label' },
    (roles || user.roles.map((n) => ({ name: n }))).map((r) => {
      const id = `user-role-${r.name.replace(/[^\w-]/g, '-')}`;
      roleBoxes[r.name] = h('input', { type: 'checkbox', id, value: r.name, checked: (user.roles || []).includes(r.name) });
      return h('label', { class: 'check', for: id }, roleBoxes[r.name], h('span', { text: roleLabel(r.name) }), r.description ? h('span', { class: 'muted small', text: r.description }) : null);
    }));
  roleGroup.id = 'user-roles';

  const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'user-save', text: editing ? t('common.save') : t('admin.users.create') });
  const cancel = h('a', { class: 'btn', href: '#/admin/users', text: t('common.cancel') });
  const form = h('form', { class: 'card form', novalidate: true, 'aria-label': title },
    f.banner,
    h('div', { class: 'form-grid' },
      f.field('email', t('admin.users.fields.email'), email, { required: true }),
      f.field('display_name', t('admin.users.fields.display_name'), name, { required: true }),
      editing ? null : f.field('password', t('admin.users.fields.password'), password, { required: true, hint: t('admin.users.password_hint') }),
      f.field('title', t('admin.users.fields.title'), titleIn),
      f.field('department_id', t('admin.users.fields.department'), dept, { required: true }),
      f.field('manager_id', t('admin.users.fields.manager'), manager),
      f.field('locale', t('admin.users.fields.locale'), locale),
      f.field('roles', t('admin.users.fields.roles'), roleGroup, { wide: true })),
    canWrite ? h('div', { class: 'form-actions' }, cancel, save) : null);
  if (!canWrite) for (const el of form.querySelectorAll('input, select')) el.disabled = true;

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    f.reset();
    const chosenRoles = Object.entries(roleBoxes).filter(([, b]) => b.checked).map(([n]) => n);
    const body = {
      email: email.value.trim(),
      display_name: name.value.trim(),
      department_id: dept.value ? Number(dept.value) : null,
      manager_id: manager.value ? Number(manager.value) : null,
      locale: locale.value,
      roles: chosenRoles,
      title: titleIn.value.trim() || null,
    };
    const missing = {};
    if (!body.email) missing.email = t('admin.users.email_required');
    if (!body.display_name) missing.display_name = t('admin.users.name_required');
    if (!editing && !password.value) missing.password = t('admin.users.password_required');
    if (!body.department_id) missing.department_id = t('admin.users.department_required');
    if (!chosenRoles.length) missing.roles = t('admin.users.roles_required');
    if (Object.keys(missing).length) { f.showErrors(missing); return; }
    save.disabled = true;
    try {
      let saved;
      if (editing) {
        // Only what changed: the audit log then records exactly what the administrator did.
        const same = (a, b) => JSON.stringify(Array.isArray(a) ? [...a].sort() : a ?? null) === JSON.stringify(Array.isArray(b) ? [...b].sort() : b ?? null);
        const changes = Object.fromEntries(Object.entries(body).filter(([k, v]) => !same(v, user[k])));
        if (changes.department_id === null) delete changes.department_id;
        saved = await api.put(`/api/v1/admin/users/${seg(user.id)}`, { ...changes, version: user.version });
      } else {
        if (body.manager_id === null) delete body.manager_id;
        if (body.title === null) delete body.title;
        saved = await api.post('/api/v1/admin/users', { ...body, password: password.value });
      }
      toast(t(editing ? 'admin.users.saved' : 'admin.users.created', { name: body.display_name }), 'success');
      if (editing) navigate('/admin/users');
      else navigate(`/admin/users/${(saved && saved.id) || ''}`);
    } catch (err) {
      save.disabled = false;
      f.fail(err, { conflict: h('span', null, t('admin.users.conflict'), ' ', h('a', { href: href(`/admin/users/${user.id}`), text: t('common.reload') })) });
    }
  });

  // Actions on an existing user.
  const actions = [];
  if (editing && canWrite) {
    const me = currentUser();
    const reset = h('button', { type: 'button', class: 'btn', id: 'user-reset-password' }, t('admin.users.reset_password'));
    reset.addEventListener('click', () => resetPasswordDialog(user));
    actions.push(reset);
    if (user.active !== false) {
      const disable = h('button', { type: 'button', class: 'btn btn-danger-outline', id: 'user-disable', disabled: me && me.id === user.id }, t('admin.users.disable'));
      disable.addEventListener('click', async () => {
        const ok = await confirmDialog({ title: t('admin.users.disable_title'), message: t('admin.users.disable_confirm', { name: user.display_name || user.email }), confirmLabel: t('admin.users.disable'), danger: true });
        if (!ok) return;
        try {
          await api.post(`/api/v1/admin/users/${seg(user.id)}/disable`, {});
          toast(t('admin.users.disabled', { name: user.display_name || user.email }), 'success');
          navigate(`/admin/users/${user.id}`, { r: Date.now() }, { replace: true });
        } catch (err) { toastError(err); }
      });
      actions.push(disable);
    } else {
      const enable = h('button', { type: 'button', class: 'btn', id: 'user-enable' }, t('admin.users.enable'));
      enable.addEventListener('click', async () => {
        try {
          await api.put(`/api/v1/admin/users/${seg(user.id)}`, { active: true, version: user.version });
          toast(t('admin.users.enabled', { name: user.display_name || user.email }), 'success');
          navigate(`/admin/users/${user.id}`, { r: Date.now() }, { replace: true });
        } catch (err) { toastError(err); }
      });
      actions.push(enable);
    }
  }

  replace(main,
    pageHeader(title, {
      subtitle: editing ? [user.email, user.active === false ? t('admin.users.status_disabled') : null].filter(Boolean).join(' · ') : t('admin.users.new_subtitle'),
      crumbs: [{ label: t('admin.users.title'), href: '#/admin/users' }, { label: editing ? (user.display_name || user.email) : t('admin.users.new') }],
      actions,
    }),
    editing && user.active === false ? h('p', { class: 'notice notice-warn', role: 'status', text: t('admin.users.disabled_notice') }) : null,
    form);
  focusHeading(main);
  if (!editing) email.focus();
}

function resetPasswordDialog(user) {
  const { body, close } = openDialog({ title: t('admin.users.reset_title', { name: user.display_name || user.email }), size: 'sm' });
  const f = createForm({ idPrefix: 'reset' });
  const pw = h('input', { type: 'password', autocomplete: 'new-password', minlength: '12' });
  const pw2 = h('input', { type: 'password', autocomplete: 'new-password', minlength: '12' });
  const ok = h('button', { type: 'submit', class: 'btn btn-primary', id: 'reset-save', text: t('admin.users.reset_password') });
  const cancel = h('button', { type: 'button', class: 'btn', text: t('common.cancel'), on: { click: () => close() } });
  const form = h('form', { class: 'form-stack', novalidate: true },
    h('p', { class: 'muted', text: t('admin.users.reset_explain') }),
    f.banner,
    f.field('password', t('admin.users.new_password'), pw, { required: true, hint: t('admin.users.password_hint') }),
    f.field('confirm', t('admin.users.confirm_password'), pw2, { required: true }),
    h('div', { class: 'dialog-actions' }, cancel, ok));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    f.reset();
    if (!pw.value) { f.showErrors({ password: t('admin.users.password_required') }); return; }
    if (pw.value !== pw2.value) { f.showErrors({ confirm: t('admin.users.password_mismatch') }); return; }
    ok.disabled = true;
    try {
      await api.post(`/api/v1/admin/users/${seg(user.id)}/reset-password`, { password: pw.value });
      toast(t('admin.users.password_reset', { name: user.display_name || user.email }), 'success');
      close();
    } catch (err) {
      ok.disabled = false;
      f.fail(err);
    }
  });
  body.appendChild(form);
  pw.focus();
}
