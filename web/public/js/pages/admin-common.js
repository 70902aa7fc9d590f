// Shared by the admin pages: the department tree (GET /api/v1/departments, flat list with
// parent_id / path) in depth-first order, localised department names, "not available" states
// for admin endpoints the server does not have yet.

import { h } from '../dom.js';
import { t, has, getLocale } from '../i18n.js';
import { api } from '../api.js';
import { emptyState, errorState } from '../ui.js';

/** Department name in the active language ("name_zh" for zh-CN when set). */
export function departmentName(d) {
  if (!d) return '';
  return getLocale() === 'zh-CN' && d.name_zh ? d.name_zh : (d.name || d.name_zh || `#${d.id}`);
}

/** Departments depth-first (children after their parent, siblings by name) with `depth`. */
export function orderTree(items) {
  const byId = new Map(items.map((d) => [d.id, d]));
  const children = new Map();
  for (const d of items) {
    const key = d.parent_id && byId.has(d.parent_id) ? d.parent_id : 0;
    if (!children.has(key)) children.set(key, []);
    children.get(key).push(d);
  }
  const out = [];
  const walk = (key, depth, seen) => {
    const list = (children.get(key) || []).slice().sort((a, b) => departmentName(a).localeCompare(departmentName(b), getLocale()));
    for (const d of list) {
      if (seen.has(d.id)) continue;
      seen.add(d.id);
      out.push({ ...d, depth });
      walk(d.id, depth + 1, seen);
    }
  };
  walk(0, 0, new Set());
  return { list: out, byId, children };
}

export async function loadDepartmentTree(signal) {
  const data = await api.get('/api/v1/departments', { signal });
  return orderTree((data && data.items) || []);
}

/** "Company / Sales / East" for a department. */
export function departmentPath(d, byId) {
  const parts = [];
  let cur = d;
  const seen = new Set();
  while (cur && !seen.has(cur.id)) {
    seen.add(cur.id);
    parts.unshift(departmentName(cur));
    cur = cur.parent_id ? byId.get(cur.parent_id) : null;
  }
  return parts.join(' / ');
}

/** <option>s of the tree, indented. */
export function departmentOptions(list, selected, { none } = {}) {
  const opts = [];
  if (none) opts.push(h('option', { value: '', text: none }));
  for (const d of list) {
    opts.push(h('option', { value: String(d.id), selected: String(d.id) === String(selected ?? ''), text: `${'\u00a0\u00a0\u00a0'.repeat(d.depth)}${d.depth ? '└ ' : ''}${departmentName(d)}` }));
  }
  return opts;
}

/** State for an admin endpoint answering 404: the server does not offer it yet. */
export function unavailableOr(err, retry) {
  if (err && err.status === 404 && (err.code === 'not_found' || err.code === 'http_404')) {
    return h('div', { class: 'state state-unavailable', dataset: { unavailable: 'true' } },
      h('p', { class: 'state-title', text: t('admin.unavailable_title') }),
      h('p', { class: 'state-hint', text: t('admin.unavailable_hint') }));
  }
  return errorState(err, retry);
}

export function roleLabel(name) {
  const key = `roles.${name}`;
  return has(key) ? t(key) : name;
}

export { emptyState };
