// Admin → Departments: the department tree (expand / collapse, keyboard operable), create a
// child department, rename (English and Chinese names, with the record's version). Contract:
// GET /api/v1/departments, POST {"name","name_zh","parent_id"}, PUT /{id} {"name","name_zh","version"}.

import { h, icon, replace } from '../dom.js';
import { t } from '../i18n.js';
import { api, seg } from '../api.js';
import { can, PERM } from '../session.js';
import { pageHeader, loadingState, emptyState, toast, openDialog, chip } from '../ui.js';
import { createForm, textInput } from '../forms.js';
import { loadDepartmentTree, departmentName, departmentPath, unavailableOr } from './admin-common.js';

export async function renderDepartments({ main, signal }) {
  const canWrite = can(...PERM.departmentWrite);
  const body = h('div', { id: 'dept-tree-host' }, loadingState());
  const collapsed = new Set();
  let tree = null;
  const addRoot = canWrite ? h('button', { type: 'button', class: 'btn btn-primary', id: 'dept-new-root' }, icon('plus'), t('admin.departments.new_top')) : null;
  main.append(
    pageHeader(t('admin.departments.title'), { subtitle: t('admin.departments.subtitle'), actions: addRoot ? [addRoot] : [] }),
    h('section', { class: 'card', 'aria-label': t('admin.departments.title') }, body));

  const draw = () => {
    const { list, children } = tree;
    if (!list.length) { replace(body, emptyState(t('admin.departments.none'))); return; }
    const node = (d) => {
      const kids = children.get(d.id) || [];
      const open = !collapsed.has(d.id);
      const toggle = kids.length
        ? h('button', { type: 'button', class: 'icon-btn tree-toggle', 'aria-expanded': String(open), 'aria-label': t(open ? 'admin.departments.collapse' : 'admin.departments.expand', { name: departmentName(d) }) }, icon(open ? 'chevronDown' : 'chevronRight'))
        : h('span', { class: 'tree-spacer', 'aria-hidden': 'true' });
      if (kids.length) toggle.addEventListener('click', () => { if (open) collapsed.add(d.id); else collapsed.delete(d.id); draw(); });
      const other = departmentName(d) === d.name ? d.name_zh : d.name;
      const buttons = canWrite ? h('span', { class: 'tree-actions' },
        h('button', { type: 'button', class: 'btn btn-sm', dataset: { action: 'add-child', id: String(d.id) }, on: { click: () => editDialog({ parent: d }) } }, icon('plus'), t('admin.departments.add_child')),
        h('button', { type: 'button', class: 'btn btn-sm', dataset: { action: 'rename', id: String(d.id) }, on: { click: () => editDialog({ dept: d }) } }, icon('edit'), t('admin.departments.rename'))) : null;
      // Nested lists with disclosure buttons (not role="tree": the rows hold their own buttons).
      return h('li', { class: 'tree-item', dataset: { id: String(d.id), name: departmentName(d) } },
        h('div', { class: 'tree-row' },
          toggle,
          h('span', { class: 'tree-name' },
            h('strong', { text: departmentName(d) }),
            other && other !== departmentName(d) ? h('span', { class: 'muted small', text: other }) : null,
            d.code ? chip(d.code, 'neutral') : null,
            kids.length ? h('span', { class: 'muted small', text: t('admin.departments.children', { count: kids.length }) }) : null),
          buttons),
        kids.length && open ? h('ul', { class: 'tree-group' }, kids.map(node)) : null);
    };
    const roots = children.get(0) || [];
    replace(body, h('ul', { class: 'tree', id: 'dept-tree', 'aria-label': t('admin.departments.title') }, roots.map(node)));
  };

  const load = async () => {
    try {
      tree = await loadDepartmentTree(signal);
      draw();
    } catch (err) {
      if (err.name !== 'AbortError') replace(body, unavailableOr(err, load));
    }
  };

  function editDialog({ dept, parent }) {
    const renaming = !!dept;
    const { body: dlg, close } = openDialog({
      title: renaming ? t('admin.departments.rename_title', { name: departmentName(dept) }) : parent ? t('admin.departments.new_child_title', { parent: departmentName(parent) }) : t('admin.departments.new_top'),
      size: 'sm',
    });
    const f = createForm({ idPrefix: 'dept' });
    const name = textInput({ value: renaming ? dept.name || '' : '', maxlength: '200' });
    const nameZh = textInput({ value: renaming ? dept.name_zh || '' : '', maxlength: '200', lang: 'zh-CN' });
    const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'dept-save', text: renaming ? t('common.save') : t('admin.departments.create') });
    const form = h('form', { class: 'form-stack', novalidate: true },
      parent ? h('p', { class: 'muted', text: t('admin.departments.parent_is', { path: departmentPath(parent, tree.byId) }) }) : null,
      f.banner,
      f.field('name', t('admin.departments.fields.name'), name, { required: true }),
      f.field('name_zh', t('admin.departments.fields.name_zh'), nameZh),
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', text: t('common.cancel'), on: { click: () => close() } }), save));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      f.reset();
      if (!name.value.trim()) { f.showErrors({ name: t('admin.departments.name_required') }); return; }
      save.disabled = true;
      try {
        if (renaming) {
          await api.put(`/api/v1/departments/${seg(dept.id)}`, { name: name.value.trim(), name_zh: nameZh.value.trim() || null, version: dept.version });
          toast(t('admin.departments.renamed', { name: name.value.trim() }), 'success');
        } else {
          const body = { name: name.value.trim(), name_zh: nameZh.value.trim() || null };
          if (parent) body.parent_id = parent.id;
          await api.post('/api/v1/departments', body);
          if (parent) collapsed.delete(parent.id);
          toast(t('admin.departments.created', { name: name.value.trim() }), 'success');
        }
        close();
        await load();
      } catch (err) {
        save.disabled = false;
        f.fail(err, { conflict: t('admin.departments.conflict') });
        if (err.status === 409) load();
      }
    });
    dlg.appendChild(form);
    name.focus();
  }

  if (addRoot) addRoot.addEventListener('click', () => editDialog({}));
  await load();
}
