// Admin → Module enablement: a matrix of modules (plugins) × departments. A department without
// its own setting inherits its parent's (the top defaults to on); a toggle sets the module for
// that department and, by inheritance, its subtree. Contract: GET /api/v1/admin/modules/enablement
// → {items: [{plugin, department_id, enabled}], default}, PUT /api/v1/admin/modules/{plugin}/
// departments/{dept} {"enabled"}; plugins from GET /api/v1/admin/plugins.

import { h, icon, replace } from '../dom.js';
import { t, localized } from '../i18n.js';
import { api, seg } from '../api.js';
import { can, PERM } from '../session.js';
import { pageHeader, loadingState, emptyState, toast, toastError, chip } from '../ui.js';
import { loadDepartmentTree, departmentName, unavailableOr } from './admin-common.js';

const STATE_CHIP = { loaded: 'green', refused: 'red', disabled: 'neutral' };

/** Effective setting of `plugin` for department `d`: {enabled, source: 'own'|'inherited'|'default', from}. */
export function effective(plugin, d, explicit, byId, fallback = true) {
  let cur = d;
  const seen = new Set();
  while (cur && !seen.has(cur.id)) {
    seen.add(cur.id);
    const key = `${plugin}:${cur.id}`;
    if (explicit.has(key)) return { enabled: explicit.get(key), source: cur.id === d.id ? 'own' : 'inherited', from: cur };
    cur = cur.parent_id ? byId.get(cur.parent_id) : null;
  }
  return { enabled: fallback, source: 'default', from: null };
}

export async function renderModules({ main, signal }) {
  const canWrite = can(...PERM.moduleWrite);
  const refresh = h('button', { type: 'button', class: 'btn', id: 'modules-refresh' }, icon('refresh'), t('common.refresh'));
  const body = h('div', { id: 'modules-matrix-host' }, loadingState());
  main.append(
    pageHeader(t('admin.modules.title'), { subtitle: t('admin.modules.subtitle'), actions: [refresh] }),
    h('p', { class: 'legend muted small' },
      h('span', { class: 'src-own', text: t('admin.modules.legend_own') }), ' · ',
      h('span', { class: 'src-inherited', text: t('admin.modules.legend_inherited') })),
    h('section', { class: 'card', 'aria-label': t('admin.modules.title') }, body));

  let tree; let plugins; let explicit; let fallback = true;
  const draw = () => {
    if (!plugins.length) { replace(body, emptyState(t('admin.modules.none'), t('admin.modules.none_hint'))); return; }
    if (!tree.list.length) { replace(body, emptyState(t('admin.departments.none'))); return; }
    const head = h('tr', null,
      h('th', { scope: 'col', class: 'matrix-dept', text: t('admin.modules.department') }),
      plugins.map((p) => h('th', { scope: 'col', class: 'matrix-plugin', dataset: { plugin: p.id } },
        h('span', { class: 'stack' }, h('strong', { text: localized(p.name) || p.id }), h('code', { class: 'muted small', text: p.id }),
          p.state && p.state !== 'loaded' ? chip(t(`plugins.states.${p.state}`) === `plugins.states.${p.state}` ? p.state : t(`plugins.states.${p.state}`), STATE_CHIP[p.state] || 'neutral') : null))));
    const rows = tree.list.map((d) => h('tr', { dataset: { dept: String(d.id) } },
      h('th', { scope: 'row', class: 'matrix-dept' }, h('span', { class: `indent-${Math.min(d.depth, 6)}` }, d.depth ? h('span', { class: 'tree-branch', 'aria-hidden': 'true', text: '└ ' }) : null, departmentName(d))),
      plugins.map((p) => {
        const eff = effective(p.id, d, explicit, tree.byId, fallback);
        const id = `mod-${p.id.replace(/[^\w-]/g, '-')}-${d.id}`;
        const box = h('input', { type: 'checkbox', role: 'switch', id, class: 'switch', checked: eff.enabled, disabled: !canWrite, dataset: { plugin: p.id, dept: String(d.id), source: eff.source } });
        const srcText = eff.source === 'own' ? t('admin.modules.set_here')
          : eff.source === 'inherited' ? t('admin.modules.inherited_from', { name: departmentName(eff.from) })
            : t('admin.modules.default_on');
        box.setAttribute('aria-label', t('admin.modules.toggle_label', { module: localized(p.name) || p.id, department: departmentName(d) }));
        box.setAttribute('aria-describedby', `${id}-src`);
        box.addEventListener('change', async () => {
          box.disabled = true;
          try {
            await api.put(`/api/v1/admin/modules/${seg(p.id)}/departments/${seg(d.id)}`, { enabled: box.checked });
            toast(t(box.checked ? 'admin.modules.enabled_for' : 'admin.modules.disabled_for', { module: localized(p.name) || p.id, department: departmentName(d) }), 'success');
            await loadEnablement();
            draw();
            const again = document.getElementById(id);
            if (again) again.focus();
          } catch (err) {
            box.checked = !box.checked;
            box.disabled = !canWrite;
            toastError(err);
          }
        });
        return h('td', { class: ['matrix-cell', eff.enabled ? 'on' : 'off', `src-${eff.source}`] },
          h('label', { class: 'switch-wrap', for: id }, box, h('span', { class: 'switch-text', text: eff.enabled ? t('admin.modules.on') : t('admin.modules.off') })),
          h('span', { class: 'muted small block', id: `${id}-src`, text: srcText }));
      })));
    replace(body, h('div', { class: 'table-wrap' }, h('table', { class: 'table matrix', id: 'modules-matrix' },
      h('caption', { class: 'sr-only', text: t('admin.modules.title') }), h('thead', null, head), h('tbody', null, rows))));
  };

  const loadEnablement = async () => {
    const data = await api.get('/api/v1/admin/modules/enablement', { signal });
    explicit = new Map();
    for (const it of (data && data.items) || []) explicit.set(`${it.plugin}:${it.department_id}`, !!it.enabled);
    fallback = data && typeof data.default === 'boolean' ? data.default : true;
    return data;
  };

  const load = async () => {
    replace(body, loadingState());
    try {
      let pluginData = null;
      [tree, pluginData] = await Promise.all([loadDepartmentTree(signal), api.get('/api/v1/admin/plugins', { signal }), loadEnablement()]);
      const list = ((pluginData && pluginData.plugins) || []).slice();
      // Modules that have settings but are not installed any more still show (settings stay).
      for (const key of explicit.keys()) {
        const id = key.slice(0, key.lastIndexOf(':'));
        if (!list.some((p) => p.id === id)) list.push({ id, name: id, state: 'missing' });
      }
      const order = { loaded: 0, disabled: 1, refused: 2, missing: 3 };
      plugins = list.sort((a, b) => (order[a.state] ?? 4) - (order[b.state] ?? 4) || String(a.id).localeCompare(String(b.id)));
      draw();
    } catch (err) {
      if (err.name !== 'AbortError') replace(body, unavailableOr(err, load));
    }
  };
  refresh.addEventListener('click', load);
  await load();
}
