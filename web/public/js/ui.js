// Shared UI building blocks: toasts, dialogs, page header, states, data table, pager.

import { h, icon, clear, append } from './dom.js';
import { t, formatNumber } from './i18n.js';

// ---- toasts ---------------------------------------------------------------------------------

export function toast(message, kind = 'info', { timeout = 6000 } = {}) {
  const region = document.getElementById('toasts');
  if (!region) return;
  const close = h('button', { type: 'button', class: 'toast-close', 'aria-label': t('common.dismiss') }, icon('close'));
  const el = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : null }, h('span', { class: 'toast-text', text: message }), close);
  const remove = () => { el.classList.add('leaving'); setTimeout(() => el.remove(), 200); };
  close.addEventListener('click', remove);
  region.appendChild(el);
  if (timeout) setTimeout(remove, timeout);
  while (region.children.length > 4) region.firstChild.remove();
}

export function toastError(err) {
  if (err && err.name === 'AbortError') return;
  toast((err && err.message) || t('errors.unknown', { status: '' }), 'error', { timeout: 9000 });
}

// ---- dialogs --------------------------------------------------------------------------------

/**
 * Opens a modal <dialog> (native focus trap and Escape handling). Returns {dialog, body, close}.
 * `onClose` runs once when it closes for any reason.
 */
export function openDialog({ title, size = 'md', onClose, labelledBy } = {}) {
  const titleId = labelledBy || `dlg-${Math.random().toString(36).slice(2)}`;
  const body = h('div', { class: 'dialog-body' });
  const closeBtn = h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('common.close') }, icon('close'));
  const dialog = h('dialog', { class: `dialog dialog-${size}`, 'aria-labelledby': titleId },
    h('header', { class: 'dialog-header' }, h('h2', { id: titleId, text: title || '' }), closeBtn),
    body);
  document.body.appendChild(dialog);
  let closed = false;
  const close = (value) => { if (!closed) dialog.close(value ?? ''); };
  closeBtn.addEventListener('click', () => close('cancel'));
  dialog.addEventListener('click', (ev) => { if (ev.target === dialog) close('cancel'); });
  dialog.addEventListener('close', () => {
    if (closed) return;
    closed = true;
    dialog.remove();
    if (onClose) onClose(dialog.returnValue);
  });
  dialog.showModal();
  return { dialog, body, close };
}

/** Confirmation dialog; resolves true when confirmed. */
export function confirmDialog({ title, message, confirmLabel, danger = false }) {
  return new Promise((resolve) => {
    let result = false;
    const { body, close } = openDialog({ title, size: 'sm', onClose: () => resolve(result) });
    const ok = h('button', { type: 'button', class: danger ? 'btn btn-danger' : 'btn btn-primary', text: confirmLabel || t('common.confirm') });
    const cancel = h('button', { type: 'button', class: 'btn', text: t('common.cancel') });
    ok.addEventListener('click', () => { result = true; close('ok'); });
    cancel.addEventListener('click', () => close('cancel'));
    append(body, [h('p', { text: message }), h('div', { class: 'dialog-actions' }, cancel, ok)]);
    cancel.focus();
  });
}

// ---- page layout and states -----------------------------------------------------------------

/** Page header with an h1 (focused after navigation for screen readers) and action buttons. */
export function pageHeader(title, { subtitle, actions = [], crumbs = [] } = {}) {
  return h('header', { class: 'page-header' },
    crumbs.length ? h('nav', { class: 'crumbs', 'aria-label': t('common.breadcrumbs') },
      h('ol', null, crumbs.map((c) => h('li', null, c.href ? h('a', { href: c.href, text: c.label }) : h('span', { text: c.label, 'aria-current': 'page' }))))) : null,
    h('div', { class: 'page-title-row' },
      h('div', { class: 'page-title' },
        h('h1', { tabindex: '-1', text: title }),
        subtitle ? h('p', { class: 'subtitle', text: subtitle }) : null),
      actions.length ? h('div', { class: 'page-actions' }, actions) : null));
}

export function loadingState(label) {
  return h('div', { class: 'state state-loading', role: 'status' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', { text: label || t('common.loading') }));
}

export function emptyState(title, hint, action) {
  return h('div', { class: 'state state-empty' },
    h('p', { class: 'state-title', text: title || t('common.empty') }),
    hint ? h('p', { class: 'state-hint', text: hint }) : null,
    action || null);
}

export function errorState(err, onRetry) {
  const retry = onRetry ? h('button', { type: 'button', class: 'btn', on: { click: onRetry } }, icon('refresh'), t('common.retry')) : null;
  return h('div', { class: 'state state-error', role: 'alert' },
    h('p', { class: 'state-title', text: err && err.status === 403 ? t('errors.forbidden_title') : t('errors.load_failed') }),
    h('p', { class: 'state-hint', text: (err && err.message) || '' }),
    retry);
}

export function chip(text, kind) {
  return h('span', { class: `chip chip-${kind || 'neutral'}`, text });
}

// ---- data table -----------------------------------------------------------------------------

/**
 * Sortable table. columns: [{key, label, sortable, render(row) → Node|string, class, align}].
 * sort: {key, order}; onSort(key, order). Cells are text unless render returns a Node.
 */
export function dataTable({ columns: allColumns, rows, sort, onSort, caption, rowKey = 'id', onRowClick, busy = false }) {
  const columns = allColumns.filter(Boolean);
  const head = h('tr', null, columns.map((col) => {
    const active = sort && sort.key === col.key;
    const ariaSort = active ? (sort.order === 'desc' ? 'descending' : 'ascending') : (col.sortable ? 'none' : null);
    let content = col.label;
    if (col.sortable && onSort) {
      const next = active && sort.order === 'asc' ? 'desc' : 'asc';
      content = h('button', {
        type: 'button', class: 'sort-btn',
        on: { click: () => onSort(col.key, active ? next : 'asc') },
      }, col.label, h('span', { class: `sort-ind ${active ? sort.order : ''}`, 'aria-hidden': 'true' }));
    }
    return h('th', { scope: 'col', 'aria-sort': ariaSort, class: [col.align ? `align-${col.align}` : '', col.class || ''] }, content);
  }));
  const body = h('tbody', null, rows.map((row) => {
    const tr = h('tr', { dataset: { key: String(row[rowKey] ?? '') } }, columns.map((col) => {
      const value = col.render ? col.render(row) : row[col.key];
      const cell = value instanceof Node ? value : (value === null || value === undefined || value === '' ? '—' : String(value));
      return h(col.header ? 'th' : 'td', { class: [col.align ? `align-${col.align}` : '', col.class || ''], scope: col.header ? 'row' : null }, cell);
    }));
    if (onRowClick) {
      tr.classList.add('clickable');
      tr.addEventListener('click', (ev) => {
        if (ev.target.closest('a, button, input, select')) return;
        onRowClick(row, ev);
      });
    }
    return tr;
  }));
  return h('div', { class: 'table-wrap', 'aria-busy': busy ? 'true' : 'false' },
    h('table', { class: 'table' }, caption ? h('caption', { class: 'sr-only', text: caption }) : null, h('thead', null, head), body));
}

/** "1–50 of 1,234" + page size + previous/next. */
export function pager({ offset, limit, total, onChange, sizes = [25, 50, 100] }) {
  const from = total === 0 ? 0 : offset + 1;
  const to = Math.min(offset + limit, total);
  const page = Math.floor(offset / limit) + 1;
  const pages = Math.max(1, Math.ceil(total / limit));
  const prev = h('button', { type: 'button', class: 'btn btn-icon', 'aria-label': t('pager.previous'), disabled: offset <= 0 }, icon('chevronLeft'));
  const next = h('button', { type: 'button', class: 'btn btn-icon', 'aria-label': t('pager.next'), disabled: offset + limit >= total }, icon('chevronRight'));
  prev.addEventListener('click', () => onChange(Math.max(0, offset - limit), limit));
  next.addEventListener('click', () => onChange(offset + limit, limit));
  const sizeId = `ps-${Math.random().toString(36).slice(2)}`;
  const size = h('select', { id: sizeId }, sizes.map((s) => h('option', { value: String(s), selected: s === limit, text: formatNumber(s) })));
  size.addEventListener('change', () => onChange(0, Number(size.value)));
  return h('nav', { class: 'pager', 'aria-label': t('pager.label') },
    h('span', { class: 'pager-range', 'aria-live': 'polite', text: t('pager.range', { from, to, total }) }),
    h('span', { class: 'pager-size' }, h('label', { for: sizeId, text: t('pager.page_size') }), size),
    h('span', { class: 'pager-pages' }, prev, h('span', { text: t('pager.page', { page, pages }) }), next));
}

/** Replaces the contents of `el` with a loading state while `promise` runs (aria-busy set). */
export function setBusy(el, busy) {
  el.setAttribute('aria-busy', busy ? 'true' : 'false');
}

export { clear };
