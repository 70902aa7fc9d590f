// Application frame: header (brand, language, user menu), navigation built from the user's
// modules and permissions, and the <main> region pages render into.

import { h, icon, clear, replace } from './dom.js';
import { t, getLocale, setLocale, LOCALES, localized, personName } from './i18n.js';
import { api } from './api.js';
import { session, currentUser, can, modules, PERM, clearSession } from './session.js';
import { currentRoute, navigate } from './router.js';
import { pluginNavItems, searchProviders, newItems } from './plugins.js';
import { toastError } from './ui.js';

let frame = null; // { root, main, nav }
let localeEndpoint = true;

export function languageSelect({ id = 'lang-select', compact = false } = {}) {
  const select = h('select', { id, class: 'lang-select', 'aria-label': t('shell.language') },
    LOCALES.map((loc) => h('option', { value: loc, selected: loc === getLocale(), text: t(`locales.${loc}`) })));
  select.addEventListener('change', () => changeLocale(select.value));
  if (compact) return select;
  return h('span', { class: 'lang' }, icon('globe'), select);
}

export async function changeLocale(loc) {
  await setLocale(loc);
  // Tell the server so e-mails, exports and the next sign-in use the same language.
  if (session() && localeEndpoint) {
    api.patch('/api/v1/auth/me', { locale: loc }, { skipAuthRedirect: true }).catch((err) => {
      if (err.status === 404 || err.status === 405) localeEndpoint = false; // server without it: stop asking
    });
  }
}

function navItems() {
  const items = [];
  if (can(...PERM.dashboardRead)) items.push({ id: 'dashboards', href: '#/dashboards', label: t('nav.dashboards'), icon: 'dashboard' });
  if (can(...PERM.scorecardRead)) items.push({ id: 'scorecards', href: '#/scorecards', label: t('nav.scorecards'), icon: 'target' });
  if (can(...PERM.evaluationRead)) items.push({ id: 'evaluations', href: '#/evaluations', label: t('nav.evaluations'), icon: 'chart' });
  if (can(...PERM.accountRead)) items.push({ id: 'accounts', href: '#/accounts', label: t('nav.accounts'), icon: 'accounts' });
  if (can(...PERM.contactRead)) items.push({ id: 'contacts', href: '#/contacts', label: t('nav.contacts'), icon: 'contacts' });
  return items;
}

function adminItems() {
  const items = [];
  // Reps may read their colleagues (core.user.read) but the directory is an admin page.
  if (can(...PERM.userRead) && can(...PERM.userWrite, ...PERM.roleRead)) items.push({ id: 'admin-users', href: '#/admin/users', label: t('nav.users'), icon: 'users' });
  if (can(...PERM.departmentRead) && can(...PERM.departmentWrite, ...PERM.userWrite)) items.push({ id: 'admin-departments', href: '#/admin/departments', label: t('nav.departments'), icon: 'tree' });
  if (can(...PERM.roleRead)) items.push({ id: 'admin-roles', href: '#/admin/roles', label: t('nav.roles'), icon: 'shield' });
  if (can(...PERM.moduleAdmin)) items.push({ id: 'admin-modules', href: '#/admin/modules', label: t('nav.module_enablement'), icon: 'grid' });
  if (can(...PERM.pluginAdmin)) items.push({ id: 'admin-plugins', href: '#/admin/plugins', label: t('nav.plugins'), icon: 'plugin' });
  if (can(...PERM.auditRead)) items.push({ id: 'admin-audit', href: '#/admin/audit', label: t('nav.audit'), icon: 'audit' });
  return items;
}

/** First page the user may open (used after login and for "#/"). */
export function homeHash() {
  const first = navItems()[0] || pluginNavItems()[0] || adminItems()[0];
  return first ? first.href : '#/profile';
}

function navLink(item) {
  return h('li', null, h('a', { href: item.href, class: 'nav-link', dataset: { nav: item.id } }, icon(item.icon || 'module'), h('span', { text: item.label })));
}

function buildNav() {
  const groups = [];
  const main = navItems();
  if (main.length) groups.push(h('ul', { class: 'nav-group' }, main.map(navLink)));
  const moduleItems = pluginNavItems();
  if (moduleItems.length) {
    groups.push(h('p', { class: 'nav-heading', id: 'nav-h-modules', text: t('nav.modules') }));
    groups.push(h('ul', { class: 'nav-group', 'aria-labelledby': 'nav-h-modules' }, moduleItems.map(navLink)));
  }
  const admin = adminItems();
  if (admin.length) {
    groups.push(h('p', { class: 'nav-heading', id: 'nav-h-admin', text: t('nav.admin') }));
    groups.push(h('ul', { class: 'nav-group', 'aria-labelledby': 'nav-h-admin' }, admin.map(navLink)));
  }
  if (!groups.length) groups.push(h('p', { class: 'nav-empty', text: t('nav.nothing') }));
  return groups;
}

// ---- global search: the core's accounts and contacts plus each enabled module's provider ----

function coreSearchProviders() {
  const list = [];
  const rows = (data) => (data && data.items) || [];
  if (can(...PERM.accountRead)) {
    list.push({ module: 'core-accounts', label: () => t('nav.accounts'), search: async (q, { signal, limit }) => rows(await api.get('/api/v1/accounts', { signal, query: { q, limit } }))
      .map((a) => ({ title: a.name || t('accounts.unnamed'), subtitle: [a.industry, a.city].filter(Boolean).join(' · '), href: `#/accounts/${encodeURIComponent(a.id)}` })) });
  }
  if (can(...PERM.contactRead)) {
    list.push({ module: 'core-contacts', label: () => t('nav.contacts'), search: async (q, { signal, limit }) => rows(await api.get('/api/v1/contacts', { signal, query: { q, limit } }))
      .map((c) => ({ title: personName(c.first_name, c.last_name) || c.email || `#${c.id}`, subtitle: c.account_name || c.email || '', href: `#/contacts/${encodeURIComponent(c.id)}` })) });
  }
  return list;
}

function globalSearch() {
  const input = h('input', {
    type: 'search', id: 'global-search', class: 'global-search-input', placeholder: t('search.placeholder'), autocomplete: 'off',
    role: 'combobox', 'aria-expanded': 'false', 'aria-controls': 'global-search-results', 'aria-label': t('search.label'),
  });
  const panel = h('div', { class: 'search-results', id: 'global-search-results', hidden: true, role: 'region', 'aria-label': t('search.results') });
  let controller = null;
  let timer = 0;
  const close = () => { panel.hidden = true; input.setAttribute('aria-expanded', 'false'); };
  const run = async () => {
    const q = input.value.trim();
    if (controller) controller.abort();
    if (q.length < 2) { close(); return; }
    const mine = new AbortController();
    controller = mine;
    const providers = [...coreSearchProviders(), ...searchProviders()];
    panel.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    panel.setAttribute('aria-busy', 'true');
    replace(panel, h('p', { class: 'muted small search-status', text: t('search.searching') }));
    const groups = await Promise.all(providers.map(async (p) => {
      try {
        const items = await p.search(q, { signal: mine.signal, limit: 5 });
        return { p, items: Array.isArray(items) ? items.slice(0, 5) : [] };
      } catch (err) {
        if (err.name !== 'AbortError') console.warn(`search provider ${p.module}`, err);
        return { p, items: [] };
      }
    }));
    if (controller !== mine) return;
    panel.setAttribute('aria-busy', 'false');
    const found = groups.filter((g) => g.items.length);
    replace(panel, found.length ? found.map(({ p, items }) => h('section', { class: 'search-group', dataset: { provider: p.module } },
      h('h2', { class: 'search-group-title', text: p.label() }),
      h('ul', null, items.map((it) => h('li', null, h('a', { href: it.href, class: 'search-hit' },
        h('span', { class: 'search-hit-title', text: it.title || '' }),
        it.subtitle ? h('span', { class: 'muted small', text: it.subtitle }) : null))))))
      : h('p', { class: 'muted small search-status', id: 'global-search-none', text: t('search.none', { q }) }));
  };
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, 250); });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') { ev.preventDefault(); clearTimeout(timer); run(); }
    if (ev.key === 'Escape') { close(); }
    if (ev.key === 'ArrowDown') { const first = panel.querySelector('a'); if (first) { ev.preventDefault(); first.focus(); } }
  });
  panel.addEventListener('click', (ev) => { if (ev.target.closest('a')) { close(); input.value = ''; } });
  panel.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') { close(); input.focus(); } });
  return h('div', { class: 'global-search', role: 'search' }, icon('search'), input, panel);
}

// ---- "New…": the core's records and each enabled module's items ------------------------------

function newMenu() {
  const items = [];
  if (can(...PERM.accountCreate)) items.push({ module: 'core', label: () => t('accounts.new'), icon: 'plus', run: () => navigate('/accounts/new') });
  items.push(...newItems());
  if (!items.length) return null;
  const button = h('button', { type: 'button', class: 'btn btn-sm', id: 'new-menu-button', 'aria-haspopup': 'true', 'aria-expanded': 'false', 'aria-controls': 'new-menu' },
    icon('plus'), h('span', { text: t('shell.new') }));
  const menu = h('div', { class: 'menu new-menu', id: 'new-menu', role: 'menu', hidden: true, 'aria-labelledby': 'new-menu-button' },
    items.map((it, i) => {
      const el = h('button', { type: 'button', class: 'menu-item', role: 'menuitem', dataset: { module: it.module, index: String(i) } }, icon(it.icon || 'plus'), it.label());
      el.addEventListener('click', () => { setOpen(false); it.run(); });
      return el;
    }));
  function setOpen(open) {
    menu.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    if (open) (menu.querySelector('[role=menuitem]') || menu).focus();
  }
  button.addEventListener('click', () => setOpen(menu.hidden));
  menu.addEventListener('keydown', (ev) => {
    const list = [...menu.querySelectorAll('[role=menuitem]')];
    const i = list.indexOf(document.activeElement);
    if (ev.key === 'Escape') { setOpen(false); button.focus(); }
    else if (ev.key === 'ArrowDown') { ev.preventDefault(); list[(i + 1) % list.length].focus(); }
    else if (ev.key === 'ArrowUp') { ev.preventDefault(); list[(i - 1 + list.length) % list.length].focus(); }
  });
  return h('div', { class: 'new' }, button, menu);
}

function userMenu() {
  const user = currentUser() || {};
  const name = user.display_name || user.email || '';
  const initials = (name.trim()[0] || '?').toUpperCase();
  const button = h('button', {
    type: 'button', class: 'user-btn', id: 'user-menu-button',
    'aria-haspopup': 'true', 'aria-expanded': 'false', 'aria-controls': 'user-menu',
  }, h('span', { class: 'avatar', 'aria-hidden': 'true', text: initials }), h('span', { class: 'user-name', text: name }));
  const roles = (user.roles || []).map((r) => (t(`roles.${r}`) === `roles.${r}` ? r : t(`roles.${r}`))).join(', ');
  const logout = h('button', { type: 'button', class: 'menu-item', id: 'logout-button', role: 'menuitem' }, icon('logout'), t('shell.logout'));
  const profile = h('a', { href: '#/profile', class: 'menu-item', role: 'menuitem' }, icon('user'), t('shell.profile'));
  const menu = h('div', { class: 'menu', id: 'user-menu', role: 'menu', hidden: true, 'aria-labelledby': 'user-menu-button' },
    h('div', { class: 'menu-header', role: 'presentation' },
      h('strong', { text: name }),
      h('span', { class: 'muted', text: user.email || '' }),
      roles ? h('span', { class: 'muted small', text: roles }) : null),
    profile, logout);

  const setOpen = (open) => {
    menu.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    if (open) (menu.querySelector('[role=menuitem]') || menu).focus();
  };
  button.addEventListener('click', () => setOpen(menu.hidden));
  menu.addEventListener('keydown', (ev) => {
    const items = [...menu.querySelectorAll('[role=menuitem]')];
    const i = items.indexOf(document.activeElement);
    if (ev.key === 'Escape') { setOpen(false); button.focus(); }
    else if (ev.key === 'ArrowDown') { ev.preventDefault(); items[(i + 1) % items.length].focus(); }
    else if (ev.key === 'ArrowUp') { ev.preventDefault(); items[(i - 1 + items.length) % items.length].focus(); }
  });
  menu.addEventListener('click', (ev) => { if (ev.target.closest('a')) setOpen(false); });
  logout.addEventListener('click', () => { setOpen(false); logoutNow(); });
  return h('div', { class: 'user' }, button, menu);
}

export async function logoutNow() {
  try {
    await api.post('/api/v1/auth/logout', {}, { skipAuthRedirect: true });
  } catch (err) {
    if (err.status !== 401) toastError(err);
  }
  clearSession();
  destroyShell();
  navigate('/login', null, { replace: true });
}

function highlightNav() {
  if (!frame) return;
  const route = currentRoute();
  const path = route ? route.path : '';
  for (const a of frame.nav.querySelectorAll('a.nav-link')) {
    const target = a.getAttribute('href').slice(1);
    const active = path === target || path.startsWith(`${target}/`);
    if (active) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
}

/** Builds (or returns) the frame and gives back the empty <main> element for a page. */
export function mountPage() {
  if (!frame || !document.body.contains(frame.root)) buildShell();
  clear(frame.main);
  frame.main.setAttribute('aria-busy', 'false');
  highlightNav();
  frame.root.classList.remove('nav-open');
  const toggle = frame.root.querySelector('.nav-toggle');
  if (toggle) toggle.setAttribute('aria-expanded', 'false');
  return frame.main;
}

export function rebuildShell() {
  if (!frame) return;
  destroyShell();
  buildShell();
}

export function destroyShell() {
  if (frame) frame.root.remove();
  frame = null;
}

function buildShell() {
  const app = document.getElementById('app');
  clear(app);
  app.setAttribute('aria-busy', 'false');
  const toggle = h('button', { type: 'button', class: 'icon-btn nav-toggle', 'aria-label': t('shell.menu'), 'aria-expanded': 'false', 'aria-controls': 'sidebar' }, icon('menu'));
  const nav = h('nav', { class: 'sidebar', id: 'sidebar', 'aria-label': t('shell.navigation') }, buildNav());
  const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  const root = h('div', { class: 'shell' },
    h('header', { class: 'topbar' },
      toggle,
      h('a', { href: homeHash(), class: 'brand' }, h('img', { src: '/img/favicon.svg', alt: '', width: '24', height: '24' }), h('span', { text: t('app.name') })),
      globalSearch(),
      h('div', { class: 'topbar-spacer' }),
      newMenu(),
      languageSelect({ id: 'shell-lang' }),
      userMenu()),
    nav,
    main);
  toggle.addEventListener('click', () => {
    const open = !root.classList.contains('nav-open');
    root.classList.toggle('nav-open', open);
    toggle.setAttribute('aria-expanded', String(open));
  });
  app.appendChild(root);
  frame = { root, main, nav };
}

document.addEventListener('atrium:navigate', highlightNav);
// One listener for the page's lifetime: a click outside the user menu closes it.
document.addEventListener('click', (ev) => {
  for (const [menuId, buttonId, owner] of [['user-menu', 'user-menu-button', '.user'], ['new-menu', 'new-menu-button', '.new'], ['global-search-results', 'global-search', '.global-search']]) {
    const menu = document.getElementById(menuId);
    if (!menu || menu.hidden || ev.target.closest(owner)) continue;
    menu.hidden = true;
    const button = document.getElementById(buttonId);
    if (button) button.setAttribute('aria-expanded', 'false');
  }
});

/** Moves focus to the page heading after a navigation (screen readers announce the new page). */
export function focusHeading(container) {
  const h1 = container.querySelector('h1');
  if (h1) h1.focus({ preventScroll: true });
  const title = h1 ? h1.textContent : '';
  document.title = title ? `${title} · ${t('app.name')}` : t('app.name');
}

export function moduleName(id) {
  const m = modules().find((x) => x.id === id);
  return m ? localized(m.name) : id;
}

export { replace };
