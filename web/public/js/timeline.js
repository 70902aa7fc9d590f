// Timeline entries in the reader's language. An entry is {entity_type, kind, title, body, …}: its
// owner is the prefix of entity_type ("<module>.<entity>" → that module's bundle; "account" and
// "contact" → the core's). The title is the owner's template `timeline.<entity>.<kind>` or
// `timeline.<kind>` with {param} placeholders filled from the body; a template whose parameters the
// body lacks is skipped, and the stored English title is the last resort.

import { h } from './dom.js';
import { t, tFor, ownText, fill, has, hasFor, formatDateTime, formatRelative } from './i18n.js';
import { chip } from './ui.js';

const KIND_CHIP = {
  note: 'neutral', call: 'info', email: 'info', meeting: 'info', task: 'amber', stage_change: 'green', stage_changed: 'green',
  created: 'green', converted: 'green', won: 'green', lost: 'red', deleted: 'red', forward: 'green', backward: 'amber',
  account_created: 'green', contact_created: 'green', account_updated: 'info', contact_updated: 'info',
  account_deleted: 'red', contact_deleted: 'red',
};

/** {owner, entity}: "<module>.<entity>" → module's; anything else is the core's. */
export function ownerOf(entry) {
  const type = String((entry && entry.entity_type) || '');
  const dot = type.indexOf('.');
  return dot > 0 ? { owner: type.slice(0, dot), entity: type.slice(dot + 1) } : { owner: null, entity: type };
}

const kindKey = (entry) => String((entry && entry.kind) || '').replace(/[^\w]+/g, '_');
const paramsOf = (entry) => (entry && entry.body && typeof entry.body === 'object' && !Array.isArray(entry.body) ? entry.body : {});
const fits = (text, params) => [...text.matchAll(/\{(\w+)\}/g)].every((m) => m[1] in params && params[m[1]] !== null && params[m[1]] !== undefined);

/** The entry's title in the active language. */
export function timelineTitle(entry) {
  const { owner, entity } = ownerOf(entry);
  const kind = kindKey(entry);
  const params = paramsOf(entry);
  if (owner) {
    for (const key of [`timeline.${entity}.${kind}`, `timeline.${kind}`]) {
      const text = ownText(owner, key);
      if (typeof text === 'string' && fits(text, params)) return fill(text, params);
    }
    return entry.title || '';
  }
  const key = `timeline.titles.${kind}`;
  return has(key) ? t(key, params) : entry.title || '';
}

/** The kind's short label (a chip): the owner's `timeline.kinds.<kind>`, then the core's. */
export function timelineKind(entry) {
  const { owner } = ownerOf(entry);
  const key = `timeline.kinds.${kindKey(entry)}`;
  return hasFor(owner, key) ? tFor(owner, key) : String((entry && entry.kind) || '');
}

/** A body field's label: the owner's `timeline.fields.<name>` (core: accounts/contacts fields). */
export function timelineFieldLabel(entry, name) {
  const { owner, entity } = ownerOf(entry);
  const key = owner ? `timeline.fields.${name}` : `${entity === 'contact' ? 'contacts' : 'accounts'}.fields.${name}`;
  return hasFor(owner, key) ? tFor(owner, key) : name;
}

const HIDDEN_FIELDS = new Set(['owner_id', 'department_id']);

function timelineBody(entry) {
  const body = entry.body;
  if (body === null || body === undefined || body === '') return null;
  if (typeof body !== 'object') return h('p', { class: 'timeline-body', text: String(body) });
  const entries = Object.entries(body).filter(([k]) => !HIDDEN_FIELDS.has(k));
  if (!entries.length) return null;
  return h('dl', { class: 'timeline-fields' }, entries.map(([k, v]) => [
    h('dt', { text: timelineFieldLabel(entry, k) }),
    h('dd', { text: v === null || v === undefined || v === '' ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v) }),
  ]));
}

/** One <li> of a timeline list: kind chip, title, time, body fields, source and actor. */
export function timelineItem(entry) {
  const kind = kindKey(entry);
  const source = entry.source ? t('timeline.source', { source: has(`timeline.sources.${entry.source}`) ? t(`timeline.sources.${entry.source}`) : entry.source }) : '';
  const actor = (entry.actor_name || entry.actor_id) ? t('timeline.actor', { name: entry.actor_name || `#${entry.actor_id}` }) : '';
  return h('li', { class: 'timeline-item', dataset: { kind, entity: entry.entity_type || '' } },
    h('div', { class: 'timeline-marker', 'aria-hidden': 'true' }),
    h('div', { class: 'timeline-content' },
      h('div', { class: 'timeline-head' },
        chip(timelineKind(entry), KIND_CHIP[kind] || 'neutral'),
        h('strong', { class: 'timeline-title', text: timelineTitle(entry) }),
        h('time', { datetime: entry.occurred_at || '', title: formatDateTime(entry.occurred_at), class: 'muted', text: formatRelative(entry.occurred_at) })),
      timelineBody(entry),
      source || actor ? h('p', { class: 'muted small', text: [source, actor].filter(Boolean).join(' · ') }) : null));
}
