// The host's schema. Append new versions at the end; never edit a released one.
#include "store/Migrations.h"

namespace atrium::store {

const std::vector<Migration>& coreMigrations() {
    static const std::vector<Migration> migrations = {
        {1, "departments, users, roles, sessions", R"SQL(
CREATE TABLE departments (
  id ${ID},
  parent_id ${BIGINT} NULL REFERENCES departments(id),
  name ${STR} NOT NULL,
  name_zh ${STR} NULL,
  code ${STR} NULL,
  path ${STR} NOT NULL,
  version ${INT} NOT NULL DEFAULT 1,
  created_at ${DATETIME} NOT NULL,
  updated_at ${DATETIME} NOT NULL
)${TABLE};
CREATE UNIQUE INDEX departments_code ON departments(code);
CREATE INDEX departments_path ON departments(path);

CREATE TABLE users (
  id ${ID},
  email ${STR} NOT NULL,
  display_name ${STR} NOT NULL,
  department_id ${BIGINT} NULL REFERENCES departments(id),
  manager_id ${BIGINT} NULL REFERENCES users(id),
  password_hash ${STR} NULL,
  active ${BOOL} NOT NULL DEFAULT 1,
  locale ${STR} NOT NULL DEFAULT 'en',
  title ${STR} NULL,
  version ${INT} NOT NULL DEFAULT 1,
  created_at ${DATETIME} NOT NULL,
  updated_at ${DATETIME} NOT NULL
)${TABLE};
CREATE UNIQUE INDEX users_email ON users(email);
CREATE INDEX users_department ON users(department_id);
CREATE INDEX users_manager ON users(manager_id);

CREATE TABLE roles (
  id ${ID},
  name ${STR} NOT NULL,
  description ${STR} NULL,
  builtin ${BOOL} NOT NULL DEFAULT 0,
  version ${INT} NOT NULL DEFAULT 1,
  created_at ${DATETIME} NOT NULL,
  updated_at ${DATETIME} NOT NULL
)${TABLE};
CREATE UNIQUE INDEX roles_name ON roles(name);

CREATE TABLE role_permissions (
  role_id ${BIGINT} NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  permission ${STR} NOT NULL,
  scope ${STR} NOT NULL,
  PRIMARY KEY (role_id, permission)
)${TABLE};

CREATE TABLE role_denied_fields (
  role_id ${BIGINT} NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  field ${STR} NOT NULL,
  PRIMARY KEY (role_id, field)
)${TABLE};

CREATE TABLE user_roles (
  user_id ${BIGINT} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role_id ${BIGINT} NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, role_id)
)${TABLE};

CREATE TABLE sessions (
  id ${ID},
  token_hash ${STR} NOT NULL,
  user_id ${BIGINT} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token ${STR} NOT NULL,
  created_at ${DATETIME} NOT NULL,
  last_seen_at ${DATETIME} NOT NULL,
  expires_at ${DATETIME} NOT NULL,
  client_address ${STR} NULL,
  user_agent ${STR} NULL
)${TABLE};
CREATE UNIQUE INDEX sessions_token ON sessions(token_hash);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
  id ${ID},
  token_hash ${STR} NOT NULL,
  user_id ${BIGINT} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name ${STR} NOT NULL,
  scopes ${TEXT} NOT NULL,
  created_at ${DATETIME} NOT NULL,
  last_used_at ${DATETIME} NULL,
  expires_at ${DATETIME} NULL,
  revoked_at ${DATETIME} NULL
)${TABLE};
CREATE UNIQUE INDEX api_tokens_token ON api_tokens(token_hash);

CREATE TABLE login_throttle (
  throttle_key ${STR} NOT NULL PRIMARY KEY,
  failures ${INT} NOT NULL,
  window_start ${DATETIME} NOT NULL,
  locked_until ${DATETIME} NULL
)${TABLE};

CREATE TABLE module_enablement (
  plugin_id ${STR} NOT NULL,
  department_id ${BIGINT} NOT NULL REFERENCES departments(id) ON DELETE CASCADE,
  enabled ${BOOL} NOT NULL,
  PRIMARY KEY (plugin_id, department_id)
)${TABLE};

CREATE TABLE audit_log (
  id ${ID},
  occurred_at ${DATETIME} NOT NULL,
  actor_id ${BIGINT} NULL,
  actor_email ${STR} NULL,
  action ${STR} NOT NULL,
  entity_type ${STR} NULL,
  entity_id ${BIGINT} NULL,
  outcome ${STR} NOT NULL,
  old_values ${TEXT} NULL,
  new_values ${TEXT} NULL,
  client_address ${STR} NULL,
  request_id ${STR} NULL
)${TABLE};
CREATE INDEX audit_log_time ON audit_log(occurred_at);
CREATE INDEX audit_log_entity ON audit_log(entity_type, entity_id);
CREATE INDEX audit_log_actor ON audit_log(actor_id)
)SQL"},
        {2, "accounts, contacts, timeline", R"SQL(
CREATE TABLE accounts (
  id ${ID},
  name ${STR} NOT NULL,
  industry ${STR} NULL,
  size_band ${STR} NULL,
  employees ${INT} NULL,
  region ${STR} NULL,
  country ${STR} NULL,
  city ${STR} NULL,
  website ${STR} NULL,
  phone ${STR} NULL,
  owner_id ${BIGINT} NULL REFERENCES users(id),
  department_id ${BIGINT} NULL REFERENCES departments(id),
  version ${INT} NOT NULL DEFAULT 1,
  created_at ${DATETIME} NOT NULL,
  updated_at ${DATETIME} NOT NULL
)${TABLE};
CREATE INDEX accounts_name ON accounts(name);
CREATE INDEX accounts_owner ON accounts(owner_id);
CREATE INDEX accounts_department ON accounts(department_id);

CREATE TABLE contacts (
  id ${ID},
  account_id ${BIGINT} NULL REFERENCES accounts(id) ON DELETE SET NULL,
  first_name ${STR} NOT NULL,
  last_name ${STR} NULL,
  email ${STR} NULL,
  phone ${STR} NULL,
  title ${STR} NULL,
  owner_id ${BIGINT} NULL REFERENCES users(id),
  department_id ${BIGINT} NULL REFERENCES departments(id),
  version ${INT} NOT NULL DEFAULT 1,
  created_at ${DATETIME} NOT NULL,
  updated_at ${DATETIME} NOT NULL
)${TABLE};
CREATE INDEX contacts_account ON contacts(account_id);
CREATE INDEX contacts_owner ON contacts(owner_id);
CREATE INDEX contacts_email ON contacts(email);

CREATE TABLE timeline_events (
  id ${ID},
  entity_type ${STR} NOT NULL,
  entity_id ${BIGINT} NOT NULL,
  account_id ${BIGINT} NULL,
  kind ${STR} NOT NULL,
  title ${STR} NOT NULL,
  body ${TEXT} NULL,
  actor_id ${BIGINT} NULL,
  source ${STR} NOT NULL,
  occurred_at ${DATETIME} NOT NULL
)${TABLE};
CREATE INDEX timeline_entity ON timeline_events(entity_type, entity_id, occurred_at);
CREATE INDEX timeline_account ON timeline_events(account_id, occurred_at)
)SQL"},
        {3, "identity: audit and token lookups", R"SQL(
CREATE INDEX audit_log_action ON audit_log(action, occurred_at);
CREATE INDEX api_tokens_user ON api_tokens(user_id);
CREATE INDEX login_throttle_locked ON login_throttle(locked_until)
)SQL"},
        // Default grants are applied once: an administrator who revokes one keeps it revoked
        // across restarts. Every grant present now counts as applied.
        {4, "identity: default grants applied once", R"SQL(
CREATE TABLE role_default_grants (
  role_id ${BIGINT} NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  permission ${STR} NOT NULL,
  applied_at ${DATETIME} NOT NULL,
  PRIMARY KEY (role_id, permission)
)${TABLE};
INSERT INTO role_default_grants (role_id, permission, applied_at) SELECT role_id, permission, CURRENT_TIMESTAMP FROM role_permissions
)SQL"},
    };
    return migrations;
}

} // namespace atrium::store
