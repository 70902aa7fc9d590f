// The signed-in user: GET /api/v1/auth/me → {user, modules, csrf_token}. Permissions are a map
// permission → scope ("own" | "department" | "all"); a permission absent from the map is denied.

import { api, setCsrfToken } from './api.js';

let me = null;

export async function loadSession({ signal } = {}) {
  const data = await api.get('/api/v1/auth/me', { signal, skipAuthRedirect: true });
  setSession(data);
  return me;
}

export function setSession(data) {
  if (!data) { me = null; setCsrfToken(null); return; }
  const user = data.user || {};
  me = {
    user: { ...user, roles: user.roles || [], permissions: user.permissions || {} },
    modules: Array.isArray(data.modules) ? data.modules : [],
  };
  if (data.csrf_token) setCsrfToken(data.csrf_token);
}

export function clearSession() { setSession(null); }
export function session() { return me; }
export function currentUser() { return me ? me.user : null; }
export function modules() { return me ? me.modules : []; }

export function isAdmin() {
  return !!me && (me.user.roles.includes('admin') || me.user.is_admin === true);
}

/** True if any of the given permissions is granted (admins have everything). */
export function can(...permissions) {
  if (!me) return false;
  if (isAdmin()) return true;
  const granted = me.user.permissions;
  const ok = (p) => granted[p] && granted[p] !== 'none';
  // "*" grants everything; "core.*" everything under core.
  return permissions.some((p) => ok(p) || ok('*') || p.split('.').slice(0, -1).some((_, i, parts) => ok(`${parts.slice(0, i + 1).join('.')}.*`)));
}

/** True when a field ("core.account.phone") is denied to the user: it never leaves the server. */
export function fieldDenied(key) {
  return !!me && Array.isArray(me.user.denied_fields) && me.user.denied_fields.includes(key);
}

export function hasModule(id) {
  return modules().some((m) => m.id === id);
}

// Permission names the UI checks. The server enforces them regardless; the UI only hides what
// would be refused. Where the platform may name a permission either way, both are accepted.
export const PERM = {
  accountRead: ['core.account.read'],
  accountCreate: ['core.account.create', 'core.account.write'],
  accountUpdate: ['core.account.update', 'core.account.write'],
  accountDelete: ['core.account.delete'],
  contactRead: ['core.contact.read'],
  dashboardRead: ['reports.dashboard.read', 'core.report.read', 'reports.read'],
  dashboardWrite: ['reports.dashboard.write'],
  pluginAdmin: ['core.plugin.read', 'core.plugin.admin', 'core.admin'],
  departmentRead: ['core.department.read'],
  userRead: ['core.user.read'],
  userWrite: ['core.user.write'],
  departmentWrite: ['core.department.write'],
  roleRead: ['core.role.read'],
  roleWrite: ['core.role.write'],
  moduleAdmin: ['core.plugin.read'],
  moduleWrite: ['core.plugin.write'],
  auditRead: ['core.audit.read'],
  scorecardRead: ['reports.scorecard.read'],
  evaluationRead: ['reports.evaluation.read'],
  evaluationWrite: ['reports.evaluation.write'],
  evaluationApprove: ['reports.evaluation.approve'],
};
