#pragma once
// Users, roles, sessions and the request gate (authentication, CSRF, module enablement).

#include "http/Router.h"
#include "http/Server.h"
#include "identity/Audit.h"
#include "identity/Principal.h"
#include "store/Database.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <optional>
#include <string>
#include <vector>

namespace atrium::identity {

struct IdentityOptions {
    std::chrono::minutes idleTimeout{30};
    std::chrono::hours absoluteLifetime{12};
    int accountFailureLimit = 5;        ///< failures within the window before the account is locked
    int addressFailureLimit = 20;       ///< failures within the window before the address is throttled
    std::chrono::minutes failureWindow{15};
    std::chrono::minutes lockDuration{15};
    bool secureCookies = false;
    std::string cookieName = "atrium_session";
};

struct NewUser {
    std::string email;
    std::string displayName;
    std::string password;
    std::int64_t departmentId = 0;   ///< 0 = the root department
    std::int64_t managerId = 0;
    std::vector<std::string> roles;  ///< role names; default {"rep"}
    std::string locale = "en";
    std::string title;
};

struct UserRow {
    std::int64_t id = 0;
    std::string email, displayName, locale, title;
    std::int64_t departmentId = 0, managerId = 0;
    bool active = true;
    std::vector<std::string> roles;
};

/// A permission that the core or a plugin declares, with the scope each built-in role gets.
struct PermissionDecl {
    std::string name;
    std::string description;
    std::map<std::string, Scope> defaults; ///< built-in role name -> scope
};

/// A catalogue entry: who declared the permission ("core" or a plugin id) and what it is.
struct DeclaredPermission {
    std::string owner;
    PermissionDecl decl;
};

struct LoginResult {
    std::string token;      ///< the cookie value (never stored)
    std::string csrfToken;
    std::int64_t sessionId = 0;
    Principal principal;
};

class Identity : public http::Gate {
public:
    Identity(store::DatabasePtr db, Audit& audit, IdentityOptions options = {});

    /// Core permissions with the built-in roles' defaults.
    static const std::vector<PermissionDecl>& corePermissions();
    /// Creates the built-in roles if missing and grants `decls`' defaults where a role has no
    /// grant yet for that permission (so an admin's later change is kept).
    void ensureRolesAndGrants(const std::vector<PermissionDecl>& decls);
    /// Adds `decls` to the permission catalogue under `owner` ("core" or a plugin id) and grants
    /// their defaults to the built-in roles (ensureRolesAndGrants). The plugin loader calls it
    /// after the core schema is migrated. A plugin may only declare names under its own id
    /// ("acme.invoice.read" for owner "acme"); throws std::invalid_argument otherwise, or
    /// when another owner already declared the name.
    void declarePermissions(const std::string& owner, const std::vector<PermissionDecl>& decls);
    /// Drops `owner`'s entries from the catalogue (plugin disabled). Existing grants are kept.
    void withdrawPermissions(const std::string& owner);
    /// Every declared permission, sorted by name.
    std::vector<DeclaredPermission> permissionCatalogue() const;
    bool permissionDeclared(const std::string& name) const;

    /// The core's own entities (account, contact) and their fields, declared in C++ in the shape
    /// of a plugin manifest's "entities" (CoreEntities.cpp).
    static const http::Json& coreEntities();
    /// Adds `entities` (a validated manifest "entities" array) under `owner` ("core" or a plugin
    /// id), replacing what that owner declared before: what the roles page offers to hide.
    void declareEntities(const std::string& owner, const http::Json& entities);
    void withdrawEntities(const std::string& owner);
    /// [{owner, name, label, fields: [{name, type, label, deniable, key}]}], core first.
    http::Json entityCatalogue() const;
    /// True when some declared entity field "<entity>.<field>" is deniable: the only keys a role
    /// may list in denied_fields.
    bool fieldDeniable(const std::string& key) const;
    /// Throws HttpError(403) unless `actor` already holds every grant of role `roleId` (with at
    /// least the same scope) and the role hides every field hidden from `actor`: nobody can hand
    /// out more than they have.
    void checkGrantable(store::Connection& c, const Principal& actor, std::int64_t roleId);
    /// Ends every session of `userId` at once (database and this process's caches).
    void endSessions(store::Connection& c, std::int64_t userId);

    /// The root department ("Company"), created if missing.
    std::int64_t ensureRootDepartment();

    /// Validates and creates a user; throws http::HttpError(422) with field messages.
    std::int64_t createUser(const NewUser& user, const Principal* actor = nullptr);
    std::vector<UserRow> listUsers();
    std::optional<UserRow> findUser(const std::string& email);
    /// Deactivates the user and ends every session and API token of theirs at once.
    void disableUser(std::int64_t userId, const Principal* actor = nullptr);
    void setPassword(std::int64_t userId, const std::string& password, const Principal* actor = nullptr);

    Principal loadPrincipal(store::Connection& c, std::int64_t userId);

    /// Throws http::HttpError 401 (wrong credentials), 403 (disabled) or 429 (throttled).
    LoginResult login(const std::string& email, const std::string& password, const std::string& clientAddress,
                      const std::string& userAgent, const std::string& requestId);
    void logout(std::int64_t sessionId);
    /// Creates an API token for `principal`'s user; returns the token (shown once).
    /// `scopes` are permission names the token is limited to (empty = every permission of the
    /// user); each must be one the user holds (422 otherwise). `expiresInDays` 0 = never.
    std::pair<std::int64_t, std::string> createApiToken(const Principal& principal, const std::string& name,
                                                        const std::vector<std::string>& scopes, int expiresInDays = 0);

    /// Login, logout, me and API tokens, and the admin API (registerAdminRoutes). `modules`
    /// lists the modules the principal may use (the plugin manager supplies it).
    void registerRoutes(http::Router& router, std::function<http::Json(const Principal&)> modules);
    /// /api/v1/admin/{users,roles,permissions,modules,audit}: every route permission-checked,
    /// record-scoped where it reads users, and audited when it changes something (AdminRoutes.cpp).
    void registerAdminRoutes(http::Router& router);
    static http::Json principalJson(const Principal& p);
    std::string sessionCookie(const std::string& token) const;
    std::string clearCookie() const;

    // http::Gate
    void authenticate(http::Request& request) override;
    void verifyCsrf(const http::Request& request) override;
    bool moduleEnabled(const std::string& module, const Principal& principal) override;
    void denied(const http::Request& request, const std::string& reason) override;

    /// Drops cached principals and enablement (after role, user or enablement changes).
    void invalidateCaches();
    /// Forgets one API token in this host's cache (its revocation takes effect at once here).
    void forgetToken(std::int64_t tokenId);
    /// Bumped by every invalidation (user, role, department, enablement changes): results that
    /// depend on who is who can key on it.
    std::uint64_t cacheGeneration() const { return _cacheGeneration.load(); }
    /// Enables/disables `pluginId` for a department (its subtree inherits unless overridden).
    void setModuleEnabled(const std::string& pluginId, std::int64_t departmentId, bool enabled, const Principal* actor);
    /// Plugins enabled for a department (walking up the tree). Plugins with no row anywhere on
    /// the path are enabled by default.
    bool moduleEnabledFor(const std::string& module, std::int64_t departmentId);

    const IdentityOptions& options() const { return _options; }
    Audit& audit() { return _audit; }

private:
    struct CachedSession {
        std::int64_t sessionId = 0;
        std::int64_t userId = 0;
        std::string csrf;
        std::chrono::system_clock::time_point expiresAt, lastSeenWritten, idleDeadline;
        std::chrono::steady_clock::time_point cachedAt;
    };
    bool throttled(store::Connection& c, const std::string& key, int limit, int& retryAfter);
    void recordFailure(store::Connection& c, const std::string& key, int limit);
    void clearFailures(store::Connection& c, const std::string& key);
    std::optional<CachedSession> findSession(const std::string& token);
    Principal cachedPrincipal(std::int64_t userId);

    store::DatabasePtr _db;
    Audit& _audit;
    IdentityOptions _options;
    std::mutex _cacheMutex;
    struct CachedToken {
        std::int64_t tokenId = 0;
        std::int64_t userId = 0;
        std::optional<std::chrono::system_clock::time_point> expiresAt;
        std::vector<std::string> scopes; ///< empty: the user's own permissions
        std::chrono::system_clock::time_point lastUsedWritten;
        std::chrono::steady_clock::time_point cachedAt;
    };
    std::map<std::string, CachedSession> _sessions;          // token hash -> session
    std::map<std::string, CachedToken> _tokens;              // API token hash -> token (1 s)
    std::map<std::int64_t, std::pair<Principal, std::chrono::steady_clock::time_point>> _principals;
    std::map<std::pair<std::string, std::int64_t>, bool> _enablement;
    std::atomic<std::uint64_t> _cacheGeneration{0}; // bumped by every invalidation
    mutable std::mutex _catalogueMutex;
    std::map<std::string, DeclaredPermission> _catalogue; // name -> declaration
    std::map<std::string, http::Json> _entities;          // owner -> its "entities" array
};

/// One CSV cell, quoted, with spreadsheet formula injection neutralised: a value beginning with
/// = + - @ TAB or CR (or their full-width forms) gets a leading apostrophe (OWASP CSV injection).
std::string csvCell(const std::string& value);

/// 'YYYY-MM-DD HH:MM:SS' UTC for a time point (the portable timestamp text of the schema).
std::string sqlTime(std::chrono::system_clock::time_point t);
std::chrono::system_clock::time_point parseSqlTime(const std::string& s);

} // namespace atrium::identity
