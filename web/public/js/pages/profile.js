// The signed-in user's own profile: identity, roles, language, and what they may do.

import { h } from '../dom.js';
import { t, getLocale, LOCALES } from '../i18n.js';
import { currentUser, modules } from '../session.js';
import { changeLocale } from '../shell.js';
import { pageHeader, dataTable } from '../ui.js';
import { localized } from '../i18n.js';

const SCOPE_CHIP = { own: 'neutral', department: 'info', all: 'green' };

export function renderProfile({ main }) {
  const user = currentUser() || {};
  const lang = h('select', { id: 'profile-lang' }, LOCALES.map((l) => h('option', { value: l, selected: l === getLocale(), text: t(`locales.${l}`) })));
  lang.addEventListener('change', () => changeLocale(lang.value));
  const roleText = (user.roles || []).map((r) => (t(`roles.${r}`) === `roles.${r}` ? r : t(`roles.${r}`))).join(', ') || '—';
  const perms = Object.entries(user.permissions || {}).sort(([a], [b]) => a.localeCompare(b)).map(([name, scope]) => ({ name, scope }));
  main.append(
    pageHeader(t('profile.title')),
    h('div', { class: 'detail-grid' },
      h('section', { class: 'card', 'aria-labelledby': 'profile-h' },
        h('h2', { id: 'profile-h', text: t('profile.account') }),
        h('dl', { class: 'props' },
          h('dt', { text: t('profile.name') }), h('dd', { text: user.display_name || '—' }),
          h('dt', { text: t('profile.email') }), h('dd', { text: user.email || '—' }),
          h('dt', { text: t('profile.roles') }), h('dd', { text: roleText }),
          h('dt', { text: t('profile.modules') }), h('dd', { text: modules().map((m) => localized(m.name) || m.id).join(', ') || '—' }),
          h('dt', null, h('label', { for: 'profile-lang', text: t('shell.language') })), h('dd', null, lang))),
      h('section', { class: 'card span-2', 'aria-labelledby': 'perm-h' },
        h('h2', { id: 'perm-h', text: t('profile.permissions') }),
        perms.length ? dataTable({
          caption: t('profile.permissions'),
          rowKey: 'name',
          columns: [
            { key: 'name', label: t('profile.permission'), header: true, render: (p) => (p.name === '*' ? h('span', { text: t('profile.all_permissions') }) : h('code', { text: p.name })) },
            { key: 'scope', label: t('profile.scope'), render: (p) => h('span', { class: `chip chip-${SCOPE_CHIP[p.scope] || 'neutral'}`, text: t(`scopes.${p.scope}`) === `scopes.${p.scope}` ? String(p.scope) : t(`scopes.${p.scope}`) }) },
          ],
          rows: perms,
        }) : h('p', { class: 'muted', text: t('profile.no_permissions') }))));
}
