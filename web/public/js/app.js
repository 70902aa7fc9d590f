// Entry point: loads translations and the session, registers routes, starts the router.

import { h, clear } from './dom.js';
import { initI18n, onLocaleChange, t } from './i18n.js';
import { onUnauthorized } from './api.js';
import { loadSession, session, clearSession, can, modules, hasModule, PERM } from './session.js';
import { route, setNotFound, setGuard, start, render, navigate, parseHash, href } from './router.js';
import { mountPage, rebuildShell, destroyShell, homeHash, focusHeading } from './shell.js';
import { loadPluginUis, pluginStatus } from './plugins.js';
import { pageHeader, emptyState, errorState, toastError } from './ui.js';
import { renderLogin } from './pages/login.js';
import { renderAccountList, renderAccountDetail, renderAccountForm } from './pages/accounts.js';
import { renderContactList, renderContactDetail } from './pages/contacts.js';
import { renderPlugins } from './pages/admin-plugins.js';
import { renderDashboardList, renderDashboard } from './pages/dashboards.js';
import { renderDashboardBuilder } from './pages/dashboard-builder.js';
import { renderScorecards, renderEvaluationList, renderEvaluation, renderEvaluationPerson } from './pages/scorecards.js';
import { renderProfile } from './pages/profile.js';
import { renderUserList, renderUserForm } from './pages/admin-users.js';
import { renderDepartments } from './pages/admin-departments.js';
import { renderRoleList, renderRoleForm } from './pages/admin-roles.js';
import { renderModules } from './pages/admin-modules.js';
import { renderAudit } from './pages/admin-audit.js';

/** Wraps a page renderer: mounts the frame, passes `main`, focuses the heading when done. */
function page(renderer, permissions) {
  return async (ctx) => {
    const main = mountPage();
    if (permissions && !can(...permissions)) {
      main.appendChild(pageHeader(t('errors.forbidden_title')));
      main.appendChild(emptyState(t('errors.forbidden'), null, h('a', { href: homeHash(), class: 'btn', text: t('common.go_home') })));
      focusHeading(main);
      return undefined;
    }
    const cleanup = await renderer({ ...ctx, main });
    if (main.isConnected) focusHeading(main);
    return cleanup;
  };
}

function notFoundPage(main) {
  main.appendChild(pageHeader(t('errors.not_found_title')));
  main.appendChild(emptyState(t('errors.not_found'), null, h('a', { href: homeHash(), class: 'btn', text: t('common.go_home') })));
}

function registerRoutes() {
  route('/login', (ctx) => renderLogin({ query: ctx.query, onSignedIn: afterSignIn }), { public: true });
  route('/', () => { navigate(homeHash().slice(1), null, { replace: true }); });
  route('/dashboards', page(renderDashboardList, PERM.dashboardRead));
  // Before '/dashboards/:id', which would otherwise take "new" for an id.
  route('/dashboards/new', page(renderDashboardBuilder, PERM.dashboardWrite));
  route('/dashboards/:id/edit', page(renderDashboardBuilder, PERM.dashboardWrite));
  route('/dashboards/:id', page(renderDashboard, PERM.dashboardRead));
  route('/scorecards', page(renderScorecards, PERM.scorecardRead));
  route('/evaluations', page(renderEvaluationList, PERM.evaluationRead));
  route('/evaluations/:id', page(renderEvaluation, PERM.evaluationRead));
  route('/evaluations/:id/people/:uid', page(renderEvaluationPerson, PERM.evaluationRead));
  route('/accounts', page(renderAccountList, PERM.accountRead));
  route('/accounts/new', page(renderAccountForm, PERM.accountCreate));
  route('/accounts/:id', page(renderAccountDetail, PERM.accountRead));
  route('/accounts/:id/edit', page(renderAccountForm, PERM.accountUpdate));
  route('/contacts', page(renderContactList, PERM.contactRead));
  route('/contacts/:id', page(renderContactDetail, PERM.contactRead));
  route('/admin/plugins', page(renderPlugins, PERM.pluginAdmin));
  route('/admin/users', page(renderUserList, PERM.userRead));
  route('/admin/users/new', page(renderUserForm, PERM.userWrite));
  route('/admin/users/:id', page(renderUserForm, PERM.userRead));
  route('/admin/departments', page(renderDepartments, PERM.departmentRead));
  route('/admin/roles', page(renderRoleList, PERM.roleRead));
  route('/admin/roles/new', page(renderRoleForm, PERM.roleWrite));
  route('/admin/roles/:id', page(renderRoleForm, PERM.roleRead));
  route('/admin/modules', page(renderModules, PERM.moduleAdmin));
  route('/admin/audit', page(renderAudit, PERM.auditRead));
  route('/profile', page(renderProfile));
  // A module whose UI did not load (or has no page at its root) gets a status page.
  route('/m/:module/*', page(({ params, main }) => {
    // A module not enabled for this user (or not installed) leaves no trace: not found.
    if (!hasModule(params.module)) { notFoundPage(main); return; }
    const status = pluginStatus(params.module);
    main.appendChild(pageHeader(t('modules.title')));
    main.appendChild(status && !status.ok
      ? errorState({ message: t('modules.load_failed') })
      : emptyState(t('modules.no_page')));
  }));
  setNotFound(page(({ main }) => notFoundPage(main)));
}

async function afterSignIn(next) {
  await loadPluginUis(page);
  rebuildShell();
  const target = typeof next === 'string' && next.startsWith('/') && !next.startsWith('/login') ? next : homeHash().slice(1);
  const { path, query } = parseHash(`#${target}`);
  navigate(path, query, { replace: true });
}

function guard({ path, query, found }) {
  const isPublic = found && found.route.meta.public;
  if (!session() && !isPublic) {
    const next = path === '/' ? '' : href(path, query).slice(1);
    navigate('/login', { next }, { replace: true });
    return false;
  }
  if (session() && path === '/login') {
    navigate(homeHash().slice(1), null, { replace: true });
    return false;
  }
  // Pages of a module not enabled for this user are not reachable (the server refuses the API too).
  const moduleId = found && found.route.meta.module;
  if (moduleId && !modules().some((m) => m.id === moduleId)) {
    navigate('/not-found', null, { replace: true });
    return false;
  }
  return true;
}

async function boot() {
  const app = document.getElementById('app');
  try {
    await initI18n();
  } catch (err) {
    console.error(err);
    clear(app).appendChild(h('p', { class: 'boot-error', role: 'alert', text: 'Atrium could not load its translations. Reload the page. / 无法加载界面语言文件，请刷新页面。' }));
    return;
  }
  document.getElementById('skip-link').textContent = t('shell.skip');
  document.getElementById('skip-link').addEventListener('click', (ev) => {
    ev.preventDefault();
    const main = document.getElementById('main');
    if (main) main.focus();
  });

  registerRoutes();
  setGuard(guard);
  onUnauthorized(() => {
    if (!session()) return;
    clearSession();
    destroyShell();
    const { path, query } = parseHash();
    navigate('/login', { reason: 'expired', next: path === '/login' ? '' : href(path, query).slice(1) }, { replace: true });
  });
  onLocaleChange(() => {
    document.getElementById('skip-link').textContent = t('shell.skip');
    if (session()) rebuildShell();
    render();
  });
  document.addEventListener('atrium:route-error', (ev) => toastError(ev.detail));

  try {
    await loadSession();
    await loadPluginUis(page);
  } catch (err) {
    if (err.status !== 401) console.warn('session check failed', err);
    clearSession();
  }
  await start();
}

boot();
