#include "identity/Identity.h"

#include "identity/Passwords.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <ctime>
#include <regex>
#include <set>

namespace atrium::identity {

using http::HttpError;
using http::Json;
using store::Values;

namespace {
constexpr auto kPrincipalTtl = std::chrono::seconds(2);
constexpr auto kSessionTtl = std::chrono::seconds(2);
// API tokens: a revocation made on this host applies at once; one made elsewhere within a second.
constexpr auto kTokenTtl = std::chrono::seconds(1);
constexpr std::size_t kTokenCacheMax = 10000;
constexpr auto kLastSeenEvery = std::chrono::seconds(60);

bool validEmail(const std::string& e) {
    static const std::regex re(R"(^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$)");
    return e.size() <= 254 && std::regex_match(e, re);
}

std::string lowerAscii(std::string s) {
    for (auto& c : s)
        if (static_cast<unsigned char>(c) < 128) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}
} // namespace

std::string sqlTime(std::chrono::system_clock::time_point t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

std::chrono::system_clock::time_point parseSqlTime(const std::string& s) {
    std::tm tm{};
    if (s.size() < 19 || !strptime(s.c_str(), "%Y-%m-%d %H:%M:%S", &tm)) return {};
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

Identity::Identity(store::DatabasePtr db, Audit& audit, IdentityOptions options)
    : _db(std::move(db)), _audit(audit), _options(std::move(options)) {
    for (const auto& d : corePermissions()) _catalogue[d.name] = {"core", d};
    _entities["core"] = coreEntities();
}

void Identity::declarePermissions(const std::string& owner, const std::vector<PermissionDecl>& decls) {
    static const std::regex name(R"(^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$)");
    {
        std::lock_guard lock(_catalogueMutex);
        for (const auto& d : decls) {
            if (!std::regex_match(d.name, name) || d.name.size() > 150)
                throw std::invalid_argument("permission '" + d.name + "' is not a dotted lower-case name like 'acme.invoice.read'");
            if (owner != "core" && d.name.rfind(owner + ".", 0) != 0)
                throw std::invalid_argument("plugin '" + owner + "' may only declare permissions starting with '" + owner +
                                            ".', not '" + d.name + "'");
            auto it = _catalogue.find(d.name);
            if (it != _catalogue.end() && it->second.owner != owner)
                throw std::invalid_argument("permission '" + d.name + "' is already declared by " + it->second.owner);
        }
        for (const auto& d : decls) _catalogue[d.name] = {owner, d};
    }
    ensureRolesAndGrants(decls);
}

void Identity::withdrawPermissions(const std::string& owner) {
    if (owner == "core") return;
    std::lock_guard lock(_catalogueMutex);
    std::erase_if(_catalogue, [&](const auto& kv) { return kv.second.owner == owner; });
}

std::vector<DeclaredPermission> Identity::permissionCatalogue() const {
    std::lock_guard lock(_catalogueMutex);
    std::vector<DeclaredPermission> out;
    for (const auto& [_, d] : _catalogue) out.push_back(d);
    return out;
}

bool Identity::permissionDeclared(const std::string& name) const {
    std::lock_guard lock(_catalogueMutex);
    return _catalogue.count(name) != 0;
}

void Identity::checkGrantable(store::Connection& c, const Principal& actor, std::int64_t roleId) {
    for (auto& r : c.queryAll("SELECT permission, scope FROM role_permissions WHERE role_id = ?", {roleId})) {
        const auto perm = store::asText(r[0]);
        Scope wanted = Scope::None;
        try {
            wanted = parseScope(store::asText(r[1]));
        } catch (...) {
            wanted = Scope::All;
        }
        const Scope held = perm == "*" ? (actor.permissions.count("*") ? actor.permissions.at("*") : Scope::None) : actor.scope(perm);
        if (held < wanted)
            throw HttpError::forbidden("You cannot hand out the permission '" + perm + "' with scope " + scopeName(wanted) +
                                       ": you do not hold it yourself.");
    }
    std::set<std::string> hidden;
    for (auto& r : c.queryAll("SELECT field FROM role_denied_fields WHERE role_id = ?", {roleId})) hidden.insert(store::asText(r[0]));
    for (const auto& f : actor.deniedFields)
        if (!hidden.count(f)) throw HttpError::forbidden("You cannot hand out access to the field '" + f + "': it is hidden from you.");
}

void Identity::endSessions(store::Connection& c, std::int64_t userId) {
    c.execute("DELETE FROM sessions WHERE user_id = ?", {userId});
    std::lock_guard lock(_cacheMutex);
    ++_cacheGeneration;
    std::erase_if(_sessions, [&](const auto& kv) { return kv.second.userId == userId; });
    _principals.erase(userId);
}

const std::vector<PermissionDecl>& Identity::corePermissions() {
    using S = Scope;
    static const std::vector<PermissionDecl> decls = {
        {"core.account.read", "Read accounts", {{"manager", S::Department}, {"rep", S::Own}, {"analyst", S::All}}},
        {"core.account.write", "Create and change accounts", {{"manager", S::Department}, {"rep", S::Own}}},
        {"core.account.delete", "Delete accounts", {{"manager", S::Department}}},
        {"core.contact.read", "Read contacts", {{"manager", S::Department}, {"rep", S::Own}, {"analyst", S::All}}},
        {"core.contact.write", "Create and change contacts", {{"manager", S::Department}, {"rep", S::Own}}},
        {"core.contact.delete", "Delete contacts", {{"manager", S::Department}}},
        {"core.department.read", "See the department tree", {{"manager", S::All}, {"rep", S::All}, {"analyst", S::All}}},
        {"core.department.write", "Change departments", {}},
        {"core.user.read", "See users", {{"manager", S::Department}, {"rep", S::Department}, {"analyst", S::All}}},
        {"core.user.write", "Create, change and disable users", {}},
        {"core.role.read", "See roles", {{"manager", S::All}}},
        {"core.role.write", "Change roles and their permissions", {}},
        {"core.audit.read", "Read the audit log", {}},
        {"core.plugin.read", "See plugin status", {}},
        {"core.plugin.write", "Enable and disable modules", {}},
        {"core.token.write", "Create API tokens for integrations", {{"manager", S::Own}}},
    };
    return decls;
}

void Identity::ensureRolesAndGrants(const std::vector<PermissionDecl>& decls) {
    auto c = _db->acquire();
    store::Transaction tx(*c);
    const auto now = _db->dialect().nowUtc();
    const std::vector<std::pair<std::string, std::string>> builtin = {
        {"admin", "Administrators: every permission, everywhere"},
        {"manager", "Managers: their department's records, dashboards and reviews"},
        {"rep", "Reps, agents and marketers: their own records"},
        {"analyst", "Analysts: read everything, change nothing"},
    };
    for (const auto& [name, description] : builtin) {
        if (!c->queryScalar("SELECT id FROM roles WHERE name = ?", {name}))
            c->execute("INSERT INTO roles (name, description, builtin, created_at, updated_at) VALUES (?, ?, 1, " + now +
                           ", " + now + ")",
                       {name, description});
    }
    auto roleId = [&](const std::string& name) { return store::asInt(*c->queryScalar("SELECT id FROM roles WHERE name = ?", {name})); };
    const auto adminId = roleId("admin");
    if (!c->queryScalar("SELECT 1 FROM role_permissions WHERE role_id = ? AND permission = '*'", {adminId}))
        c->execute("INSERT INTO role_permissions (role_id, permission, scope) VALUES (?, '*', 'all')", {adminId});
    // A declared default is granted once per role: what an administrator changes or revokes
    // afterwards stands, across restarts and upgrades (role_default_grants remembers).
    for (const auto& d : decls) {
        for (const auto& [role, scope] : d.defaults) {
            auto rid = c->queryScalar("SELECT id FROM roles WHERE name = ?", {role});
            if (!rid) continue;
            if (c->queryScalar("SELECT 1 FROM role_default_grants WHERE role_id = ? AND permission = ?", {*rid, d.name})) continue;
            if (!c->queryScalar("SELECT 1 FROM role_permissions WHERE role_id = ? AND permission = ?", {*rid, d.name}))
                c->execute("INSERT INTO role_permissions (role_id, permission, scope) VALUES (?, ?, ?)",
                           {*rid, d.name, std::string(scopeName(scope))});
            c->execute("INSERT INTO role_default_grants (role_id, permission, applied_at) VALUES (?, ?, " + now + ")", {*rid, d.name});
        }
    }
    tx.commit();
    invalidateCaches();
}

std::int64_t Identity::ensureRootDepartment() {
    auto c = _db->acquire();
    if (auto id = c->queryScalar("SELECT id FROM departments WHERE parent_id IS NULL ORDER BY id LIMIT 1"))
        return store::asInt(*id);
    store::Transaction tx(*c);
    const auto now = _db->dialect().nowUtc();
    const auto id = c->insert("INSERT INTO departments (name, name_zh, code, path, created_at, updated_at) VALUES "
                              "('Company', '公司', 'company', '/', " + now + ", " + now + ")");
    c->execute("UPDATE departments SET path = ? WHERE id = ?", {"/" + std::to_string(id) + "/", id});
    tx.commit();
    return id;
}

std::int64_t Identity::createUser(const NewUser& u, const Principal* actor) {
    Json fields = Json::object();
    const std::string email = lowerAscii(u.email);
    if (!validEmail(email)) fields["email"] = "Enter a valid email address.";
    if (u.displayName.empty() || u.displayName.size() > 200) fields["display_name"] = "Enter a name of 1 to 200 characters.";
    if (auto msg = checkPasswordPolicy(u.password, email); !msg.empty()) fields["password"] = msg;
    if (u.locale != "en" && u.locale != "zh-CN") fields["locale"] = "Use en or zh-CN.";
    if (!fields.empty()) throw HttpError::validation(fields);

    const std::string hash = hashPassword(u.password);
    const std::int64_t dept = u.departmentId ? u.departmentId : ensureRootDepartment();
    auto c = _db->acquire();
    store::Transaction tx(*c);
    if (c->queryScalar("SELECT id FROM users WHERE email = ?", {email}))
        throw HttpError::validation({{"email", "A user with this email already exists."}});
    if (!c->queryScalar("SELECT id FROM departments WHERE id = ?", {dept}))
        throw HttpError::validation({{"department_id", "No department has this id."}});
    if (u.managerId && !c->queryScalar("SELECT id FROM users WHERE id = ?", {u.managerId}))
        throw HttpError::validation({{"manager_id", "No user has this id."}});
    const auto now = _db->dialect().nowUtc();
    const auto id = c->insert("INSERT INTO users (email, display_name, department_id, manager_id, password_hash, active, "
                              "locale, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, " + now + ", " + now + ")",
                              {email, u.displayName, dept, u.managerId ? store::Value{u.managerId} : store::Value{nullptr}, hash,
                               u.locale, u.title.empty() ? store::Value{nullptr} : store::Value{u.title}});
    auto roles = u.roles.empty() ? std::vector<std::string>{"rep"} : u.roles;
    for (const auto& r : roles) {
        auto rid = c->queryScalar("SELECT id FROM roles WHERE name = ?", {r});
        if (!rid) throw HttpError::validation({{"roles", "There is no role named '" + r + "'."}});
        c->execute("INSERT INTO user_roles (user_id, role_id) VALUES (?, ?)", {id, *rid});
    }
    AuditEntry e = actor ? AuditEntry::by(*actor, "create", "user", id) : AuditEntry{};
    if (!actor) {
        e.action = "create";
        e.entityType = "user";
        e.entityId = id;
        e.actorEmail = "cli";
    }
    e.newValues = {{"email", email}, {"display_name", u.displayName}, {"department_id", dept}, {"roles", roles}};
    _audit.record(*c, e);
    tx.commit();
    return id;
}

namespace {
/// Users matching `where` (with bound `params`), each with their role names — two queries in all.
std::vector<UserRow> readUsers(store::Connection& c, const std::string& where, const store::Values& params) {
    std::vector<UserRow> out;
    std::map<std::int64_t, std::size_t> index;
    for (auto& r : c.queryAll("SELECT id, email, display_name, department_id, manager_id, active, locale, title FROM users" + where + " ORDER BY id",
                              params)) {
        UserRow u;
        u.id = store::asInt(r[0]);
        u.email = store::asText(r[1]);
        u.displayName = store::asText(r[2]);
        u.departmentId = store::asInt(r[3]);
        u.managerId = store::asInt(r[4]);
        u.active = store::asInt(r[5]) != 0;
        u.locale = store::asText(r[6]);
        u.title = store::asText(r[7]);
        index[u.id] = out.size();
        out.push_back(std::move(u));
    }
    if (out.empty()) return out;
    const auto roles = "SELECT ur.user_id, r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id" +
                       (where.empty() ? std::string() : " WHERE ur.user_id IN (SELECT id FROM users" + where + ")") + " ORDER BY ur.user_id, r.name";
    for (auto& rr : c.queryAll(roles, params))
        if (auto it = index.find(store::asInt(rr[0])); it != index.end()) out[it->second].roles.push_back(store::asText(rr[1]));
    return out;
}
} // namespace

std::vector<UserRow> Identity::listUsers() {
    auto c = _db->acquire();
    return readUsers(*c, "", {});
}

std::optional<UserRow> Identity::findUser(const std::string& email) {
    auto c = _db->acquire();
    auto users = readUsers(*c, " WHERE email = ?", {lowerAscii(email)});
    if (users.empty()) return std::nullopt;
    return users.front();
}

void Identity::disableUser(std::int64_t userId, const Principal* actor) {
    auto c = _db->acquire();
    store::Transaction tx(*c);
    const auto now = _db->dialect().nowUtc();
    if (c->execute("UPDATE users SET active = 0, version = version + 1, updated_at = " + now + " WHERE id = ?", {userId}) == 0)
        throw HttpError::notFound("The user");
    c->execute("DELETE FROM sessions WHERE user_id = ?", {userId});
    c->execute("UPDATE api_tokens SET revoked_at = " + now + " WHERE user_id = ? AND revoked_at IS NULL", {userId});
    AuditEntry e = actor ? AuditEntry::by(*actor, "admin.user.disable", "user", userId) : AuditEntry{};
    if (!actor) {
        e.action = "admin.user.disable";
        e.entityType = "user";
        e.entityId = userId;
        e.actorEmail = "cli";
    }
    _audit.record(*c, e);
    tx.commit();
    invalidateCaches();
}

void Identity::setPassword(std::int64_t userId, const std::string& password, const Principal* actor) {
    std::string email;
    {
        auto c = _db->acquire();
        auto e = c->queryScalar("SELECT email FROM users WHERE id = ?", {userId});
        if (!e) throw HttpError::notFound("The user");
        email = store::asText(*e);
    }
    if (auto msg = checkPasswordPolicy(password, email); !msg.empty()) throw HttpError::validation({{"password", msg}});
    const auto hash = hashPassword(password);
    auto c = _db->acquire();
    store::Transaction tx(*c);
    c->execute("UPDATE users SET password_hash = ?, version = version + 1, updated_at = " + _db->dialect().nowUtc() +
                   " WHERE id = ?",
               {hash, userId});
    // A new password ends every existing session: whoever knew the old one is signed out.
    c->execute("DELETE FROM sessions WHERE user_id = ?", {userId});
    AuditEntry e = actor ? AuditEntry::by(*actor, "admin.user.reset_password", "user", userId) : AuditEntry{};
    if (!actor) {
        e.action = "admin.user.reset_password";
        e.entityType = "user";
        e.entityId = userId;
        e.actorEmail = "cli";
    }
    _audit.record(*c, e);
    tx.commit();
    invalidateCaches();
}

Principal Identity::loadPrincipal(store::Connection& c, std::int64_t userId) {
    Principal p;
    auto rows = c.queryAll("SELECT u.id, u.email, u.display_name, u.department_id, d.path, u.locale, u.active "
                           "FROM users u LEFT JOIN departments d ON d.id = u.department_id WHERE u.id = ?",
                           {userId});
    if (rows.empty() || store::asInt(rows[0][6]) == 0) return p;
    const auto& r = rows[0];
    p.userId = store::asInt(r[0]);
    p.email = store::asText(r[1]);
    p.displayName = store::asText(r[2]);
    p.departmentId = store::asInt(r[3]);
    p.departmentPath = store::asText(r[4]);
    p.locale = store::asText(r[5]);
    std::vector<std::int64_t> roleIds;
    for (auto& rr : c.queryAll("SELECT r.id, r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = ?",
                               {userId})) {
        roleIds.push_back(store::asInt(rr[0]));
        p.roles.push_back(store::asText(rr[1]));
    }
    // A field is hidden only when every role of the user hides it: roles grant, they do not take away.
    std::map<std::string, std::size_t> deniedCount;
    for (auto rid : roleIds) {
        for (auto& pr : c.queryAll("SELECT permission, scope FROM role_permissions WHERE role_id = ?", {rid})) {
            const auto perm = store::asText(pr[0]);
            Scope s = Scope::None;
            try {
                s = parseScope(store::asText(pr[1]));
            } catch (...) {
            }
            auto& cur = p.permissions[perm];
            cur = std::max(cur, s);
        }
        for (auto& f : c.queryAll("SELECT field FROM role_denied_fields WHERE role_id = ?", {rid})) ++deniedCount[store::asText(f[0])];
    }
    for (const auto& [field, n] : deniedCount)
        if (n == roleIds.size()) p.deniedFields.insert(field);
    return p;
}

Principal Identity::cachedPrincipal(std::int64_t userId) {
    {
        std::lock_guard lock(_cacheMutex);
        auto it = _principals.find(userId);
        if (it != _principals.end() && std::chrono::steady_clock::now() - it->second.second < kPrincipalTtl) return it->second.first;
    }
    const auto generation = _cacheGeneration.load();
    auto c = _db->acquire();
    auto p = loadPrincipal(*c, userId);
    std::lock_guard lock(_cacheMutex);
    // Not cached when an invalidation ran meanwhile: the row read may predate a disable.
    if (generation == _cacheGeneration.load()) _principals[userId] = {p, std::chrono::steady_clock::now()};
    return p;
}

void Identity::invalidateCaches() {
    std::lock_guard lock(_cacheMutex);
    ++_cacheGeneration;
    _principals.clear();
    _sessions.clear();
    _tokens.clear();
    _enablement.clear();
}

void Identity::forgetToken(std::int64_t tokenId) {
    std::lock_guard lock(_cacheMutex);
    ++_cacheGeneration; // a lookup that read the row before the revocation committed is not cached
    std::erase_if(_tokens, [&](const auto& kv) { return kv.second.tokenId == tokenId; });
}

bool Identity::throttled(store::Connection& c, const std::string& key, int limit, int& retryAfter) {
    auto rows = c.queryAll("SELECT failures, window_start, locked_until FROM login_throttle WHERE throttle_key = ?", {key});
    if (rows.empty()) return false;
    const auto now = std::chrono::system_clock::now();
    const auto lockedUntil = parseSqlTime(store::asText(rows[0][2]));
    if (lockedUntil > now) {
        retryAfter = static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(lockedUntil - now).count()) + 1;
        return true;
    }
    (void)limit;
    return false;
}

void Identity::recordFailure(store::Connection& c, const std::string& key, int limit) {
    const auto now = std::chrono::system_clock::now();
    auto rows = c.queryAll("SELECT failures, window_start FROM login_throttle WHERE throttle_key = ?", {key});
    int failures = 1;
    auto windowStart = now;
    if (!rows.empty()) {
        const auto ws = parseSqlTime(store::asText(rows[0][1]));
        if (now - ws < _options.failureWindow) {
            failures = static_cast<int>(store::asInt(rows[0][0])) + 1;
            windowStart = ws;
        }
    }
    store::Value locked = nullptr;
    if (failures >= limit) locked = sqlTime(now + _options.lockDuration);
    c.execute(_db->dialect().upsert("login_throttle", {"throttle_key", "failures", "window_start", "locked_until"}, {"throttle_key"}),
              {key, std::int64_t{failures}, sqlTime(windowStart), locked});
}

void Identity::clearFailures(store::Connection& c, const std::string& key) {
    c.execute("DELETE FROM login_throttle WHERE throttle_key = ?", {key});
}

LoginResult Identity::login(const std::string& emailIn, const std::string& password, const std::string& clientAddress,
                            const std::string& userAgent, const std::string& requestId) {
    const std::string email = lowerAscii(emailIn);
    const std::string accountKey = "account:" + email;
    const std::string addressKey = "address:" + clientAddress;
    AuditEntry audit;
    audit.actorEmail = email.substr(0, 254);
    audit.entityType = "session";
    audit.clientAddress = clientAddress;
    audit.requestId = requestId;

    std::int64_t userId = 0;
    std::string hash;
    bool active = false;
    {
        auto c = _db->acquire();
        int retry = 0;
        if (throttled(*c, addressKey, _options.addressFailureLimit, retry) ||
            throttled(*c, accountKey, _options.accountFailureLimit, retry)) {
            audit.action = "login_throttled";
            audit.outcome = "denied";
            _audit.record(*c, audit);
            HttpError err(429, "throttled",
                          "Too many failed sign-in attempts. Try again in " + std::to_string((retry + 59) / 60) + " minute(s).",
                          Json{{"retry_after", retry}});
            throw err;
        }
        auto rows = c->queryAll("SELECT id, password_hash, active FROM users WHERE email = ?", {email});
        if (!rows.empty()) {
            userId = store::asInt(rows[0][0]);
            hash = store::asText(rows[0][1]);
            active = store::asInt(rows[0][2]) != 0;
        }
    }
    // Unknown users pay for a verification too, so timing does not reveal which emails exist.
    // A user without a usable hash (never set) takes the same path as an unknown one.
    const bool usable = userId && hash.rfind("$argon2id$", 0) == 0;
    const bool ok = usable ? verifyPassword(password, hash) : (burnVerification(password), false);
    auto c = _db->acquire();
    if (!ok) {
        store::Transaction tx(*c);
        recordFailure(*c, accountKey, _options.accountFailureLimit);
        recordFailure(*c, addressKey, _options.addressFailureLimit);
        audit.action = "login_failed";
        audit.outcome = "failed";
        audit.actorId = userId;
        _audit.record(*c, audit);
        tx.commit();
        throw HttpError(401, "invalid_credentials", "The email or password is not correct.");
    }
    if (!active) {
        audit.action = "login_failed";
        audit.outcome = "denied";
        audit.actorId = userId;
        _audit.record(*c, audit);
        throw HttpError(403, "account_disabled", "This account is disabled; ask an administrator.");
    }
    LoginResult result;
    result.token = randomToken(32);
    result.csrfToken = randomToken(24);
    const auto now = std::chrono::system_clock::now();
    store::Transaction tx(*c);
    clearFailures(*c, accountKey);
    result.sessionId = c->insert("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, "
                                 "client_address, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                 {sha256Hex(result.token), userId, result.csrfToken, sqlTime(now), sqlTime(now),
                                  sqlTime(now + _options.absoluteLifetime), clientAddress, userAgent.substr(0, 250)});
    audit.action = "login";
    audit.actorId = userId;
    audit.entityId = result.sessionId;
    _audit.record(*c, audit);
    tx.commit();
    result.principal = loadPrincipal(*c, userId);
    result.principal.sessionId = result.sessionId;
    return result;
}

void Identity::logout(std::int64_t sessionId) {
    auto c = _db->acquire();
    c->execute("DELETE FROM sessions WHERE id = ?", {sessionId});
    std::lock_guard lock(_cacheMutex);
    ++_cacheGeneration;
    std::erase_if(_sessions, [&](const auto& kv) { return kv.second.sessionId == sessionId; });
}

std::pair<std::int64_t, std::string> Identity::createApiToken(const Principal& p, const std::string& name,
                                                              const std::vector<std::string>& scopes, int expiresInDays) {
    // A token can only narrow its creator's rights, never widen them.
    for (const auto& s : scopes)
        if (s == "*" || s == "authenticated" || !permissionDeclared(s) || !p.can(s))
            throw HttpError::validation({{"scopes", "You cannot give a token the permission '" + s + "': you do not hold it."}});
    if (expiresInDays < 0 || expiresInDays > 366)
        throw HttpError::validation({{"expires_in_days", "Use a number of days from 1 to 366."}});
    const auto token = "atr_" + randomToken(32);
    auto c = _db->acquire();
    store::Transaction tx(*c);
    store::Value expires = nullptr;
    if (expiresInDays > 0) expires = sqlTime(std::chrono::system_clock::now() + std::chrono::hours(24) * expiresInDays);
    const auto id = c->insert("INSERT INTO api_tokens (token_hash, user_id, name, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, " +
                                  _db->dialect().nowUtc() + ", ?)",
                              {sha256Hex(token), p.userId, name, Json(scopes).dump(), expires});
    auto e = AuditEntry::by(p, "create", "api_token", id);
    e.newValues = {{"name", name}, {"scopes", scopes}, {"expires_at", expires.index() == 0 ? Json(nullptr) : Json(store::asText(expires))}};
    _audit.record(*c, e);
    tx.commit();
    return {id, token};
}

std::string Identity::sessionCookie(const std::string& token) const {
    const auto maxAge = std::chrono::duration_cast<std::chrono::seconds>(_options.absoluteLifetime).count();
    return _options.cookieName + "=" + token + "; Path=/; Max-Age=" + std::to_string(maxAge) + "; HttpOnly; SameSite=Strict" +
           (_options.secureCookies ? "; Secure" : "");
}

std::string Identity::clearCookie() const {
    return _options.cookieName + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" + (_options.secureCookies ? "; Secure" : "");
}

std::optional<Identity::CachedSession> Identity::findSession(const std::string& token) {
    const auto hash = sha256Hex(token);
    const auto now = std::chrono::system_clock::now();
    {
        std::lock_guard lock(_cacheMutex);
        auto it = _sessions.find(hash);
        if (it != _sessions.end() && std::chrono::steady_clock::now() - it->second.cachedAt < kSessionTtl) {
            if (now > it->second.expiresAt || now > it->second.idleDeadline) {
                _sessions.erase(it);
                return std::nullopt;
            }
            return it->second;
        }
    }
    const auto generation = _cacheGeneration.load();
    auto c = _db->acquire();
    auto rows = c->queryAll("SELECT id, user_id, csrf_token, expires_at, last_seen_at FROM sessions WHERE token_hash = ?", {hash});
    if (rows.empty()) return std::nullopt;
    CachedSession s;
    s.sessionId = store::asInt(rows[0][0]);
    s.userId = store::asInt(rows[0][1]);
    s.csrf = store::asText(rows[0][2]);
    s.expiresAt = parseSqlTime(store::asText(rows[0][3]));
    const auto lastSeen = parseSqlTime(store::asText(rows[0][4]));
    s.idleDeadline = lastSeen + _options.idleTimeout;
    if (now > s.expiresAt || now > s.idleDeadline) {
        c->execute("DELETE FROM sessions WHERE id = ?", {s.sessionId});
        return std::nullopt;
    }
    // last_seen_at is written at most once a minute: a write per request would serialise reads.
    if (now - lastSeen > kLastSeenEvery) {
        c->execute("UPDATE sessions SET last_seen_at = ? WHERE id = ?", {sqlTime(now), s.sessionId});
        s.idleDeadline = now + _options.idleTimeout;
    }
    s.cachedAt = std::chrono::steady_clock::now();
    std::lock_guard lock(_cacheMutex);
    if (generation == _cacheGeneration.load()) _sessions[hash] = s;
    return s;
}

void Identity::authenticate(http::Request& request) {
    const auto auth = request.header("authorization");
    if (auth.rfind("Bearer ", 0) == 0) {
        const auto hash = sha256Hex(auth.substr(7));
        const auto now = std::chrono::system_clock::now();
        const auto invalid = [] { return HttpError(401, "invalid_token", "The API token is unknown, expired or revoked."); };
        // Cached for a second (an integration's burst of requests costs one lookup); revoking
        // through this host, disabling the user or any identity change drops the entry at once.
        std::optional<CachedToken> tok;
        {
            std::lock_guard lock(_cacheMutex);
            auto it = _tokens.find(hash);
            if (it != _tokens.end() && std::chrono::steady_clock::now() - it->second.cachedAt < kTokenTtl) tok = it->second;
        }
        if (!tok) {
            const auto generation = _cacheGeneration.load();
            auto c = _db->acquire();
            auto rows = c->queryAll("SELECT id, user_id, expires_at, revoked_at, scopes, last_used_at FROM api_tokens WHERE token_hash = ?", {hash});
            if (rows.empty() || !store::isNull(rows[0][3])) throw invalid();
            CachedToken t;
            t.tokenId = store::asInt(rows[0][0]);
            t.userId = store::asInt(rows[0][1]);
            if (!store::isNull(rows[0][2])) t.expiresAt = parseSqlTime(store::asText(rows[0][2]));
            const auto scopes = Json::parse(store::asText(rows[0][4]), nullptr, false);
            if (scopes.is_array())
                for (const auto& s : scopes)
                    if (s.is_string()) t.scopes.push_back(s.get<std::string>());
            t.lastUsedWritten = store::isNull(rows[0][5]) ? std::chrono::system_clock::time_point{} : parseSqlTime(store::asText(rows[0][5]));
            t.cachedAt = std::chrono::steady_clock::now();
            std::lock_guard lock(_cacheMutex);
            if (generation == _cacheGeneration.load()) {
                if (_tokens.size() >= kTokenCacheMax) _tokens.clear();
                _tokens[hash] = t;
            }
            tok = t;
        }
        if (tok->expiresAt && *tok->expiresAt < now) throw invalid();
        request.principal = cachedPrincipal(tok->userId);
        if (!request.principal.authenticated()) throw invalid();
        request.principal.apiTokenId = tok->tokenId;
        request.principal.viaApiToken = true;
        // A scoped token keeps only the listed permissions (each at the user's own scope).
        if (!tok->scopes.empty()) {
            std::map<std::string, Scope> narrowed;
            for (const auto& name : tok->scopes)
                if (auto sc = request.principal.scope(name); sc != Scope::None) narrowed[name] = sc;
            request.principal.permissions = std::move(narrowed);
        }
        if (now - tok->lastUsedWritten > kLastSeenEvery) {
            {
                std::lock_guard lock(_cacheMutex);
                if (auto it = _tokens.find(hash); it != _tokens.end()) it->second.lastUsedWritten = now;
            }
            auto c = _db->acquire();
            c->execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", {sqlTime(now), tok->tokenId});
        }
        return;
    }
    auto it = request.cookies.find(_options.cookieName);
    if (it == request.cookies.end() || it->second.empty()) return;
    auto session = findSession(it->second);
    if (!session) return; // expired or unknown: anonymous; protected routes answer 401
    request.principal = cachedPrincipal(session->userId);
    request.principal.sessionId = session->sessionId;
}

void Identity::verifyCsrf(const http::Request& request) {
    if (request.principal.viaApiToken || !request.principal.sessionId) return;
    const auto token = request.header("x-csrf-token");
    if (!token.empty()) {
        std::string expected;
        // The session cache is keyed by the cookie's hash: one lookup, not a scan of every session.
        if (auto ck = request.cookies.find(_options.cookieName); ck != request.cookies.end()) {
            const auto hash = sha256Hex(ck->second);
            std::lock_guard lock(_cacheMutex);
            if (auto s = _sessions.find(hash); s != _sessions.end() && s->second.sessionId == request.principal.sessionId) expected = s->second.csrf;
        }
        if (expected.empty()) {
            auto c = _db->acquire();
            if (auto v = c->queryScalar("SELECT csrf_token FROM sessions WHERE id = ?", {request.principal.sessionId}))
                expected = store::asText(*v);
        }
        if (!expected.empty() && constantTimeEquals(token, expected)) return;
    }
    throw HttpError(403, "csrf_failed", "The request lacks a valid X-CSRF-Token header; reload the page and try again.");
}

bool Identity::moduleEnabledFor(const std::string& module, std::int64_t departmentId) {
    {
        std::lock_guard lock(_cacheMutex);
        auto it = _enablement.find({module, departmentId});
        if (it != _enablement.end()) return it->second;
    }
    auto c = _db->acquire();
    // The nearest department on the path from the user's department to the root that has a
    // setting decides; with none, a loaded module is on.
    bool enabled = true;
    auto path = c->queryScalar("SELECT path FROM departments WHERE id = ?", {departmentId});
    if (path) {
        const auto p = store::asText(*path);
        std::vector<std::int64_t> chain;
        std::size_t i = 1;
        while (i < p.size()) {
            auto j = p.find('/', i);
            if (j == std::string::npos) break;
            chain.push_back(std::stoll(p.substr(i, j - i)));
            i = j + 1;
        }
        for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
            if (auto v = c->queryScalar("SELECT enabled FROM module_enablement WHERE plugin_id = ? AND department_id = ?", {module, *it})) {
                enabled = store::asInt(*v) != 0;
                break;
            }
        }
    }
    std::lock_guard lock(_cacheMutex);
    _enablement[{module, departmentId}] = enabled;
    return enabled;
}

bool Identity::moduleEnabled(const std::string& module, const Principal& principal) {
    if (principal.isAdmin()) return true;
    return moduleEnabledFor(module, principal.departmentId);
}

void Identity::setModuleEnabled(const std::string& pluginId, std::int64_t departmentId, bool enabled, const Principal* actor) {
    auto c = _db->acquire();
    store::Transaction tx(*c);
    if (!c->queryScalar("SELECT id FROM departments WHERE id = ?", {departmentId}))
        throw HttpError::validation({{"department_id", "No department has this id."}});
    auto before = c->queryScalar("SELECT enabled FROM module_enablement WHERE plugin_id = ? AND department_id = ?", {pluginId, departmentId});
    c->execute(_db->dialect().upsert("module_enablement", {"plugin_id", "department_id", "enabled"}, {"plugin_id", "department_id"}),
               {pluginId, departmentId, std::int64_t{enabled ? 1 : 0}});
    AuditEntry e = actor ? AuditEntry::by(*actor, "admin.module.set", "department", departmentId) : AuditEntry{};
    if (!actor) {
        e.action = "admin.module.set";
        e.entityType = "department";
        e.entityId = departmentId;
        e.actorEmail = "cli";
    }
    e.oldValues = before ? Json{{"plugin", pluginId}, {"enabled", store::asInt(*before) != 0}} : Json(nullptr);
    e.newValues = {{"plugin", pluginId}, {"enabled", enabled}};
    _audit.record(*c, e);
    tx.commit();
    invalidateCaches();
}

void Identity::denied(const http::Request& request, const std::string& reason) {
    AuditEntry e = AuditEntry::by(request.principal, "denied", "route", 0);
    e.outcome = "denied";
    e.newValues = {{"method", request.method}, {"path", request.path}, {"reason", reason}};
    e.clientAddress = request.clientAddress;
    e.requestId = request.requestId;
    _audit.recordNow(e);
}

} // namespace atrium::identity
