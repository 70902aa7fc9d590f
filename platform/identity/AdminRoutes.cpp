// The admin API: users, roles, the permission catalogue, module enablement and the audit log.
//
// Rules every handler here follows:
// - the route names the permission it needs (the router refuses one without);
// - reads of users are record-scoped like accounts (core.user.read own / department / all), and
//   writes check core.user.write's scope against the target user's department;
// - unknown body fields are a 400 (mass assignment), invalid values a 422 with error.fields,
//   a stale `version` a 409;
// - every change is audited in the same transaction as the change itself, with old and new values;
// - nobody hands out more than they hold (roles, grants, hidden fields), and the last active
//   administrator cannot be removed.

#include "identity/Identity.h"
#include "identity/Passwords.h"
#include "identity/RecordScope.h"

#include <algorithm>
#include <charconv>
#include <regex>
#include <set>

namespace atrium::identity {

using http::HttpError;
using http::Json;
using store::Value;
using store::Values;

namespace {

constexpr std::int64_t kMaxPage = 200;
constexpr std::int64_t kMaxExportRows = 100000;

const std::regex& roleNameRe() {
    static const std::regex re(R"(^[a-z][a-z0-9_.-]{1,63}$)");
    return re;
}
const std::regex& fieldKeyRe() {
    static const std::regex re(R"(^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*){2,}$)");
    return re;
}
const std::regex& pluginIdRe() {
    static const std::regex re(R"(^[a-z][a-z0-9_-]{0,63}$)");
    return re;
}

std::string lowerAscii(std::string s) {
    for (auto& c : s)
        if (static_cast<unsigned char>(c) < 128) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool validEmail(const std::string& e) {
    static const std::regex re(R"(^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$)");
    return e.size() <= 254 && std::regex_match(e, re);
}

// '!' is the LIKE escape (as in customers/Crud.cpp): a backslash is quoted differently by
// MariaDB and SQLite string literals.
std::string escapeLike(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '%' || c == '_' || c == '!') out += '!';
        out += c;
    }
    return out;
}

/// Mass assignment guard: a key outside `allowed` is a 400 naming it.
void rejectUnknown(const Json& body, std::initializer_list<const char*> allowed) {
    for (const auto& [k, _] : body.items())
        if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; }))
            throw HttpError::badRequest("The field '" + k + "' cannot be set here.");
}

std::int64_t intParam(const std::string& name, const std::string& v, std::int64_t lo, std::int64_t hi) {
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size() || n < lo || n > hi)
        throw HttpError::badRequest("The parameter '" + name + "' must be a whole number from " + std::to_string(lo) + " to " +
                                    std::to_string(hi) + ".");
    return n;
}

/// "2026-01-31", "2026-01-31 10:00:00", "2026-01-31T10:00:00Z" -> "2026-01-31 10:00:00" (UTC).
std::string timeParam(const std::string& name, const std::string& v, bool endOfDay) {
    static const std::regex date(R"(^(\d{4}-\d{2}-\d{2})$)");
    static const std::regex dateTime(R"(^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})Z?$)");
    std::smatch m;
    std::string out;
    if (std::regex_match(v, m, date)) out = m[1].str() + (endOfDay ? " 23:59:59" : " 00:00:00");
    else if (std::regex_match(v, m, dateTime)) out = m[1].str() + " " + m[2].str();
    if (out.empty() || parseSqlTime(out) == std::chrono::system_clock::time_point{} || sqlTime(parseSqlTime(out)) != out)
        throw HttpError::badRequest("The parameter '" + name + "' must be a UTC date (YYYY-MM-DD) or time (YYYY-MM-DDTHH:MM:SSZ).");
    return out;
}

std::string textParam(const std::string& name, const std::string& v, std::size_t max) {
    if (v.empty() || v.size() > max)
        throw HttpError::badRequest("The parameter '" + name + "' must have 1 to " + std::to_string(max) + " characters.");
    return v;
}

Json textOrNull(const Value& v) { return store::isNull(v) ? Json(nullptr) : Json(store::asText(v)); }
Json intOrNull(const Value& v) { return store::isNull(v) ? Json(nullptr) : Json(store::asInt(v)); }

AuditEntry auditFor(const http::Request& req, std::string action, std::string entityType, std::int64_t entityId) {
    auto e = AuditEntry::by(req.principal, std::move(action), std::move(entityType), entityId);
    e.clientAddress = req.clientAddress;
    e.requestId = req.requestId;
    return e;
}

// ---- users -------------------------------------------------------------------------------

const char* kUserColumns = "u.id, u.email, u.display_name, u.department_id, u.manager_id, u.locale, u.title, u.active, u.version, "
                           "u.created_at, u.updated_at, d.path";

std::vector<std::string> userRoles(store::Connection& c, std::int64_t userId) {
    std::vector<std::string> out;
    for (auto& r : c.queryAll("SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = ? ORDER BY r.name",
                              {userId}))
        out.push_back(store::asText(r[0]));
    return out;
}

Json userJson(store::Connection& c, const Values& r) {
    const auto id = store::asInt(r[0]);
    return {{"id", id},
            {"email", store::asText(r[1])},
            {"display_name", store::asText(r[2])},
            {"department_id", intOrNull(r[3])},
            {"manager_id", intOrNull(r[4])},
            {"locale", store::asText(r[5])},
            {"title", textOrNull(r[6])},
            {"active", store::asInt(r[7]) != 0},
            {"version", store::asInt(r[8])},
            {"created_at", store::asText(r[9])},
            {"updated_at", store::asText(r[10])},
            {"roles", userRoles(c, id)}};
}

/// The user row if `permission`'s scope reaches it (a user "owns" their own row; department
/// scope reaches users of the caller's department subtree).
std::optional<Values> loadUser(store::Connection& c, const Principal& p, const std::string& permission, std::int64_t id) {
    auto scope = scopePredicate(p, permission, "u.id", "u.department_id");
    Values params = {id};
    params.insert(params.end(), scope.params.begin(), scope.params.end());
    auto rows = c.queryAll(std::string("SELECT ") + kUserColumns +
                               " FROM users u LEFT JOIN departments d ON d.id = u.department_id WHERE u.id = ? AND " + scope.sql,
                           params);
    if (rows.empty()) return std::nullopt;
    return rows[0];
}

/// Loads the target of a user write: 404 when the caller cannot even see the user, 403 when
/// they can see it but not change it.
Values loadUserForWrite(store::Connection& c, const Principal& p, std::int64_t id) {
    if (auto row = loadUser(c, p, "core.user.write", id)) return *row;
    if (loadUser(c, p, "core.user.read", id)) throw HttpError::forbidden("You may not change this user.");
    throw HttpError::notFound("The user");
}

std::int64_t activeAdminsOtherThan(store::Connection& c, std::int64_t userId) {
    return store::asInt(*c.queryScalar("SELECT COUNT(*) FROM users u JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = "
                                       "ur.role_id WHERE r.name = 'admin' AND u.active = 1 AND u.id <> ?",
                                       {userId}));
}

/// The department's path, or a 422 on `field`; and a 403 when the caller's write scope does
/// not reach that department.
std::string departmentForWrite(store::Connection& c, const Principal& p, std::int64_t deptId, const char* field) {
    auto path = c.queryScalar("SELECT path FROM departments WHERE id = ?", {deptId});
    if (!path) throw HttpError::validation({{field, "No department has this id."}});
    const auto s = store::asText(*path);
    if (!inScope(p, "core.user.write", 0, s))
        throw HttpError::forbidden("You may not place users in a department outside your own.");
    return s;
}

void checkManager(store::Connection& c, std::int64_t userId, std::int64_t managerId) {
    if (managerId == userId) throw HttpError::validation({{"manager_id", "A user cannot be their own manager."}});
    if (!c.queryScalar("SELECT id FROM users WHERE id = ?", {managerId}))
        throw HttpError::validation({{"manager_id", "No user has this id."}});
    // Walk up the chain: the new manager must not report (directly or not) to this user.
    std::set<std::int64_t> seen;
    std::int64_t cur = managerId;
    while (cur && seen.insert(cur).second) {
        auto next = c.queryScalar("SELECT manager_id FROM users WHERE id = ?", {cur});
        if (!next || store::isNull(*next)) break;
        cur = store::asInt(*next);
        if (cur == userId) throw HttpError::validation({{"manager_id", "This manager reports to the user: that would make a cycle."}});
    }
}

std::vector<std::int64_t> roleIdsFor(store::Connection& c, const Json& roles) {
    if (!roles.is_array() || roles.empty() || roles.size() > 20)
        throw HttpError::validation({{"roles", "Give a list of 1 to 20 role names."}});
    std::vector<std::int64_t> ids;
    for (const auto& r : roles) {
        if (!r.is_string()) throw HttpError::validation({{"roles", "Role names are text."}});
        auto id = c.queryScalar("SELECT id FROM roles WHERE name = ?", {r.get<std::string>()});
        if (!id) throw HttpError::validation({{"roles", "There is no role named '" + r.get<std::string>() + "'."}});
        if (std::find(ids.begin(), ids.end(), store::asInt(*id)) == ids.end()) ids.push_back(store::asInt(*id));
    }
    return ids;
}

// ---- roles -------------------------------------------------------------------------------

Json roleJson(store::Connection& c, const Values& r) {
    const auto id = store::asInt(r[0]);
    Json perms = Json::object();
    for (auto& pr : c.queryAll("SELECT permission, scope FROM role_permissions WHERE role_id = ? ORDER BY permission", {id}))
        perms[store::asText(pr[0])] = store::asText(pr[1]);
    Json denied = Json::array();
    for (auto& f : c.queryAll("SELECT field FROM role_denied_fields WHERE role_id = ? ORDER BY field", {id})) denied.push_back(store::asText(f[0]));
    return {{"id", id},
            {"name", store::asText(r[1])},
            {"description", textOrNull(r[2])},
            {"builtin", store::asInt(r[3]) != 0},
            {"version", store::asInt(r[4])},
            {"created_at", store::asText(r[5])},
            {"updated_at", store::asText(r[6])},
            {"permissions", perms},
            {"denied_fields", denied},
            {"users", store::asInt(*c.queryScalar("SELECT COUNT(*) FROM user_roles WHERE role_id = ?", {id}))}};
}

Values loadRole(store::Connection& c, std::int64_t id) {
    auto rows = c.queryAll("SELECT id, name, description, builtin, version, created_at, updated_at FROM roles WHERE id = ?", {id});
    if (rows.empty()) throw HttpError::notFound("The role");
    return rows[0];
}

} // namespace

std::string csvCell(const std::string& value) {
    std::string v = value;
    static const char* fullWidth[] = {"\xEF\xBC\x9D", "\xEF\xBC\x8B", "\xEF\xBC\x8D", "\xEF\xBC\xA0"}; // ＝ ＋ － ＠
    bool risky = !v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r');
    for (const char* f : fullWidth) risky = risky || v.rfind(f, 0) == 0;
    if (risky) v.insert(v.begin(), '\'');
    std::string out = "\"";
    for (char c : v) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

void Identity::registerAdminRoutes(http::Router& router) {
    // ---------------------------------------------------------------- users
    router.add({"GET", "/api/v1/admin/users", "core.user.read", false, "core", "", "List users (scoped), with filters",
                [this](http::Request& req, http::Response& res) {
                    std::int64_t limit = 50, offset = 0;
                    auto scope = scopePredicate(req.principal, "core.user.read", "u.id", "u.department_id");
                    std::string where = " WHERE " + scope.sql;
                    Values params = scope.params;
                    for (const auto& [k, v] : req.query) {
                        if (k == "limit") limit = intParam(k, v, 1, kMaxPage);
                        else if (k == "offset") offset = intParam(k, v, 0, 100000000);
                        else if (k == "q") {
                            const auto q = "%" + escapeLike(textParam(k, v, 200)) + "%";
                            where += " AND (u.email LIKE ? ESCAPE '!' OR u.display_name LIKE ? ESCAPE '!')";
                            params.push_back(q);
                            params.push_back(q);
                        } else if (k == "department_id") {
                            where += " AND u.department_id = ?";
                            params.push_back(intParam(k, v, 1, INT64_MAX));
                        } else if (k == "active") {
                            if (v != "true" && v != "false") throw HttpError::badRequest("The parameter 'active' must be true or false.");
                            where += std::string(" AND u.active = ") + (v == "true" ? "1" : "0");
                        } else if (k == "role") {
                            where += " AND u.id IN (SELECT ur.user_id FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE r.name = ?)";
                            params.push_back(textParam(k, v, 64));
                        } else
                            throw HttpError::badRequest("The user list cannot be filtered by '" + k + "'.");
                    }
                    auto c = _db->acquire();
                    const auto total = store::asInt(*c->queryScalar("SELECT COUNT(*) FROM users u" + where, params));
                    Json items = Json::array();
                    for (auto& r : c->queryAll(std::string("SELECT ") + kUserColumns +
                                                   " FROM users u LEFT JOIN departments d ON d.id = u.department_id" + where +
                                                   " ORDER BY u.id LIMIT " + std::to_string(limit) + " OFFSET " + std::to_string(offset),
                                               params))
                        items.push_back(userJson(*c, r));
                    res.json({{"items", items}, {"total", total}, {"limit", limit}, {"offset", offset}});
                }});

    router.add({"POST", "/api/v1/admin/users", "core.user.write", false, "core", "", "Create a user",
                [this](http::Request& req, http::Response& res) {
                    const auto body = req.jsonBody();
                    rejectUnknown(body, {"email", "display_name", "password", "department_id", "manager_id", "roles", "locale", "title"});
                    Json errors = Json::object();
                    auto str = [&](const char* k) -> std::string {
                        if (!body.contains(k) || body[k].is_null()) return {};
                        if (!body[k].is_string()) {
                            errors[k] = "Enter text.";
                            return {};
                        }
                        return body[k].get<std::string>();
                    };
                    auto id = [&](const char* k) -> std::int64_t {
                        if (!body.contains(k) || body[k].is_null()) return 0;
                        if (!body[k].is_number_integer() || body[k].get<std::int64_t>() <= 0) {
                            errors[k] = "Enter an id.";
                            return 0;
                        }
                        return body[k].get<std::int64_t>();
                    };
                    NewUser u;
                    u.email = str("email");
                    u.displayName = str("display_name");
                    u.password = str("password");
                    u.locale = body.contains("locale") ? str("locale") : "en";
                    u.title = str("title");
                    u.departmentId = id("department_id");
                    u.managerId = id("manager_id");
                    if (u.title.size() > 200) errors["title"] = "Use at most 200 characters.";
                    if (!errors.empty()) throw HttpError::validation(errors);
                    {
                        auto c = _db->acquire();
                        if (u.departmentId) departmentForWrite(*c, req.principal, u.departmentId, "department_id");
                        else if (req.principal.scope("core.user.write") != Scope::All)
                            throw HttpError::validation({{"department_id", "Choose the user's department."}});
                        Json roles = body.contains("roles") ? body["roles"] : Json::array({"rep"});
                        for (auto rid : roleIdsFor(*c, roles)) checkGrantable(*c, req.principal, rid);
                        for (const auto& r : roles) u.roles.push_back(r.get<std::string>());
                    }
                    const auto newId = createUser(u, &req.principal);
                    auto c = _db->acquire();
                    auto row = loadUser(*c, req.principal, "core.user.read", newId);
                    res.json(row ? userJson(*c, *row) : Json{{"id", newId}}, 201);
                }});

    router.add({"GET", "/api/v1/admin/users/{id}", "core.user.read", false, "core", "", "Get a user",
                [this](http::Request& req, http::Response& res) {
                    auto c = _db->acquire();
                    auto row = loadUser(*c, req.principal, "core.user.read", req.idParam());
                    if (!row) throw HttpError::notFound("The user");
                    res.json(userJson(*c, *row));
                }});

    router.add({"PUT", "/api/v1/admin/users/{id}", "core.user.write", false, "core", "",
                "Change a user: name, email, department, manager, locale, title, roles, active",
                [this](http::Request& req, http::Response& res) {
                    const auto userId = req.idParam();
                    const auto body = req.jsonBody();
                    rejectUnknown(body, {"version", "email", "display_name", "department_id", "manager_id", "locale", "title", "roles",
                                         "active"});
                    if (!body.contains("version") || !body["version"].is_number_integer())
                        throw HttpError::validation({{"version", "Send the user's version you edited, so concurrent edits are not lost."}});
                    Json errors = Json::object();
                    std::vector<std::pair<std::string, Value>> sets;
                    auto c = _db->acquire();
                    store::Transaction tx(*c);
                    const auto before = loadUserForWrite(*c, req.principal, userId);
                    const Json old = userJson(*c, before);
                    Json oldValues = Json::object(), newValues = Json::object();
                    auto change = [&](const std::string& col, const Value& v, const Json& shown) {
                        sets.emplace_back(col, v);
                        oldValues[col] = old.value(col, Json(nullptr));
                        newValues[col] = shown;
                    };
                    if (body.contains("email")) {
                        const auto e = body["email"].is_string() ? lowerAscii(body["email"].get<std::string>()) : std::string();
                        if (!validEmail(e)) errors["email"] = "Enter a valid email address.";
                        else if (c->queryScalar("SELECT id FROM users WHERE email = ? AND id <> ?", {e, userId}))
                            errors["email"] = "A user with this email already exists.";
                        else if (e != old["email"]) change("email", e, e);
                    }
                    if (body.contains("display_name")) {
                        const auto n = body["display_name"].is_string() ? body["display_name"].get<std::string>() : std::string();
                        if (n.empty() || n.size() > 200) errors["display_name"] = "Enter a name of 1 to 200 characters.";
                        else change("display_name", n, n);
                    }
                    if (body.contains("locale")) {
                        const auto l = body["locale"].is_string() ? body["locale"].get<std::string>() : std::string();
                        if (l != "en" && l != "zh-CN") errors["locale"] = "Use en or zh-CN.";
                        else change("locale", l, l);
                    }
                    if (body.contains("title")) {
                        if (body["title"].is_null()) change("title", nullptr, nullptr);
                        else if (!body["title"].is_string() || body["title"].get<std::string>().size() > 200)
                            errors["title"] = "Enter text of at most 200 characters.";
                        else change("title", body["title"].get<std::string>(), body["title"]);
                    }
                    if (body.contains("department_id")) {
                        if (!body["department_id"].is_number_integer()) errors["department_id"] = "Enter a department id.";
                        else {
                            const auto d = body["department_id"].get<std::int64_t>();
                            departmentForWrite(*c, req.principal, d, "department_id");
                            change("department_id", d, d);
                        }
                    }
                    if (body.contains("manager_id")) {
                        if (body["manager_id"].is_null()) change("manager_id", nullptr, nullptr);
                        else if (!body["manager_id"].is_number_integer()) errors["manager_id"] = "Enter a user id.";
                        else {
                            const auto m = body["manager_id"].get<std::int64_t>();
                            checkManager(*c, userId, m);
                            change("manager_id", m, m);
                        }
                    }
                    bool deactivate = false;
                    if (body.contains("active")) {
                        if (!body["active"].is_boolean()) errors["active"] = "Use true or false.";
                        else {
                            const bool a = body["active"].get<bool>();
                            deactivate = !a && old["active"].get<bool>();
                            if (deactivate && userId == req.principal.userId) errors["active"] = "You cannot disable your own account.";
                            change("active", std::int64_t{a ? 1 : 0}, a);
                        }
                    }
                    std::optional<std::vector<std::int64_t>> newRoles;
                    if (body.contains("roles")) newRoles = roleIdsFor(*c, body["roles"]);
                    if (!errors.empty()) throw HttpError::validation(errors);
                    if (newRoles) {
                        // Only roles being added need the caller to hold them; keeping what a user has is fine.
                        std::set<std::int64_t> had;
                        for (auto& r : c->queryAll("SELECT role_id FROM user_roles WHERE user_id = ?", {userId})) had.insert(store::asInt(r[0]));
                        for (auto rid : *newRoles)
                            if (!had.count(rid)) checkGrantable(*c, req.principal, rid);
                    }
                    const auto adminRole = store::asInt(*c->queryScalar("SELECT id FROM roles WHERE name = 'admin'"));
                    const bool wasAdmin = std::find(old["roles"].begin(), old["roles"].end(), "admin") != old["roles"].end();
                    const bool staysAdmin = newRoles ? std::find(newRoles->begin(), newRoles->end(), adminRole) != newRoles->end() : wasAdmin;
                    if (wasAdmin && old["active"].get<bool>() && (!staysAdmin || deactivate) && activeAdminsOtherThan(*c, userId) == 0)
                        throw HttpError::conflict("This is the last active administrator; make someone else an administrator first.");
                    std::string sql = "UPDATE users SET ";
                    Values params;
                    for (const auto& [col, v] : sets) {
                        sql += col + " = ?, ";
                        params.push_back(v);
                    }
                    sql += "version = version + 1, updated_at = " + _db->dialect().nowUtc() + " WHERE id = ? AND version = ?";
                    params.push_back(userId);
                    params.push_back(body["version"].get<std::int64_t>());
                    if (c->execute(sql, params) == 0)
                        throw HttpError::conflict("This user was changed by someone else (your version is stale); reload and try again.");
                    if (newRoles) {
                        c->execute("DELETE FROM user_roles WHERE user_id = ?", {userId});
                        for (auto rid : *newRoles) c->execute("INSERT INTO user_roles (user_id, role_id) VALUES (?, ?)", {userId, rid});
                        oldValues["roles"] = old["roles"];
                        newValues["roles"] = body["roles"];
                    }
                    if (deactivate) {
                        endSessions(*c, userId);
                        c->execute("UPDATE api_tokens SET revoked_at = " + _db->dialect().nowUtc() + " WHERE user_id = ? AND revoked_at IS NULL",
                                   {userId});
                    }
                    auto e = auditFor(req, "admin.user.update", "user", userId);
                    e.oldValues = oldValues;
                    e.newValues = newValues;
                    _audit.record(*c, e);
                    tx.commit();
                    invalidateCaches();
                    auto row = loadUser(*c, req.principal, "core.user.read", userId);
                    res.json(row ? userJson(*c, *row) : Json{{"id", userId}});
                }});

    router.add({"POST", "/api/v1/admin/users/{id}/disable", "core.user.write", false, "core", "",
                "Disable a user: ends their sessions and revokes their API tokens at once",
                [this](http::Request& req, http::Response& res) {
                    const auto userId = req.idParam();
                    {
                        auto c = _db->acquire();
                        const auto row = loadUserForWrite(*c, req.principal, userId);
                        if (userId == req.principal.userId) throw HttpError::validation({{"id", "You cannot disable your own account."}});
                        const auto roles = userRoles(*c, userId);
                        const bool admin = std::find(roles.begin(), roles.end(), "admin") != roles.end();
                        if (store::asInt(row[7]) != 0 && admin && activeAdminsOtherThan(*c, userId) == 0)
                            throw HttpError::conflict("This is the last active administrator; make someone else an administrator first.");
                    }
                    disableUser(userId, &req.principal); // audited, sessions deleted, caches invalidated
                    auto c = _db->acquire();
                    auto row = loadUser(*c, req.principal, "core.user.read", userId);
                    res.json(row ? userJson(*c, *row) : Json{{"id", userId}});
                }});

    router.add({"POST", "/api/v1/admin/users/{id}/reset-password", "core.user.write", false, "core", "",
                "Set a new password: ends the user's sessions and lifts a sign-in lock",
                [this](http::Request& req, http::Response& res) {
                    const auto userId = req.idParam();
                    const auto body = req.jsonBody();
                    rejectUnknown(body, {"password"});
                    if (!body.contains("password") || !body["password"].is_string())
                        throw HttpError::validation({{"password", "Enter the new password."}});
                    std::string email;
                    {
                        auto c = _db->acquire();
                        email = store::asText(loadUserForWrite(*c, req.principal, userId)[1]);
                    }
                    setPassword(userId, body["password"].get<std::string>(), &req.principal); // policy-checked, audited
                    auto c = _db->acquire();
                    c->execute("DELETE FROM login_throttle WHERE throttle_key = ?", {"account:" + email});
                    res.json({{"ok", true}});
                }});

    // ---------------------------------------------------------------- roles and permissions
    router.add({"GET", "/api/v1/admin/permissions", "core.role.read", false, "core", "",
                "The permission catalogue: declared by the core and by plugins",
                [this](http::Request&, http::Response& res) {
                    Json items = Json::array();
                    for (const auto& d : permissionCatalogue()) {
                        Json defaults = Json::object();
                        for (const auto& [role, scope] : d.decl.defaults) defaults[role] = scopeName(scope);
                        items.push_back({{"name", d.decl.name}, {"description", d.decl.description}, {"owner", d.owner}, {"defaults", defaults}});
                    }
                    res.json({{"items", items}, {"total", items.size()}, {"scopes", {"own", "department", "all"}}});
                }});

    router.add({"GET", "/api/v1/admin/fields", "core.role.read", false, "core", "",
                "The entities the core and plugins declare, with the fields a role may hide",
                [this](http::Request&, http::Response& res) {
                    const Json entities = entityCatalogue();
                    Json items = Json::array();
                    for (const auto& e : entities)
                        for (const auto& f : e["fields"])
                            if (f["deniable"].get<bool>())
                                items.push_back({{"key", f["key"]}, {"owner", e["owner"]}, {"entity", e["name"]}, {"entity_label", e["label"]},
                                                 {"field", f["name"]}, {"type", f["type"]}, {"label", f["label"]}});
                    res.json({{"items", items}, {"total", items.size()}, {"entities", entities}});
                }});

    router.add({"GET", "/api/v1/admin/roles", "core.role.read", false, "core", "", "List roles with permissions and hidden fields",
                [this](http::Request& req, http::Response& res) {
                    for (const auto& [k, _] : req.query) throw HttpError::badRequest("The role list cannot be filtered by '" + k + "'.");
                    auto c = _db->acquire();
                    Json items = Json::array();
                    for (auto& r : c->queryAll("SELECT id, name, description, builtin, version, created_at, updated_at FROM roles ORDER BY name"))
                        items.push_back(roleJson(*c, r));
                    res.json({{"items", items}, {"total", items.size()}});
                }});

    router.add({"GET", "/api/v1/admin/roles/{id}", "core.role.read", false, "core", "", "Get a role",
                [this](http::Request& req, http::Response& res) {
                    auto c = _db->acquire();
                    res.json(roleJson(*c, loadRole(*c, req.idParam())));
                }});

    // Validates permissions {name: scope} and denied_fields [..] and writes them for `roleId`.
    auto writeGrants = [this](store::Connection& c, const http::Request& req, std::int64_t roleId, const Json& body, Json& errors,
                              bool replace) {
        if (body.contains("permissions")) {
            const auto& perms = body["permissions"];
            if (!perms.is_object() || perms.size() > 500) {
                errors["permissions"] = "Give an object of permission name to scope (own, department or all).";
                return;
            }
            for (const auto& [name, scope] : perms.items()) {
                if (!permissionDeclared(name)) {
                    errors["permissions"] = "The permission '" + name + "' is not declared (see /api/v1/admin/permissions).";
                    return;
                }
                Scope s = Scope::None;
                try {
                    s = scope.is_string() ? parseScope(scope.get<std::string>()) : Scope::None;
                } catch (const std::invalid_argument&) {
                }
                if (s == Scope::None) {
                    errors["permissions"] = "The scope of '" + name + "' must be own, department or all.";
                    return;
                }
                if (req.principal.scope(name) < s)
                    throw HttpError::forbidden("You cannot grant '" + name + "' with scope " + scopeName(s) + ": you do not hold it.");
            }
            if (replace) c.execute("DELETE FROM role_permissions WHERE role_id = ?", {roleId});
            for (const auto& [name, scope] : perms.items())
                c.execute("INSERT INTO role_permissions (role_id, permission, scope) VALUES (?, ?, ?)", {roleId, name, scope.get<std::string>()});
        }
        std::set<std::string> denied;
        const bool hasDenied = body.contains("denied_fields");
        if (hasDenied) {
            const auto& df = body["denied_fields"];
            if (!df.is_array() || df.size() > 500) {
                errors["denied_fields"] = "Give a list of field keys like core.account.phone.";
                return;
            }
            for (const auto& f : df) {
                if (!f.is_string() || f.get<std::string>().size() > 150 || !std::regex_match(f.get<std::string>(), fieldKeyRe())) {
                    errors["denied_fields"] = "Field keys look like core.account.phone (owner.entity.field).";
                    return;
                }
                // Only what an entity declares deniable: a key nobody reads would hide nothing.
                if (!fieldDeniable(f.get<std::string>())) {
                    errors["denied_fields"] = "No entity declares the field '" + f.get<std::string>() + "' as one a role may hide (see /api/v1/admin/fields).";
                    return;
                }
                denied.insert(f.get<std::string>());
            }
        }
        // A role must hide at least what is hidden from its author.
        for (const auto& f : req.principal.deniedFields) {
            const bool hidden = hasDenied ? denied.count(f) != 0
                                          : c.queryScalar("SELECT 1 FROM role_denied_fields WHERE role_id = ? AND field = ?", {roleId, f}).has_value();
            if (!hidden) throw HttpError::forbidden("The role must hide the field '" + f + "': it is hidden from you.");
        }
        if (hasDenied) {
            if (replace) c.execute("DELETE FROM role_denied_fields WHERE role_id = ?", {roleId});
            for (const auto& f : denied) c.execute("INSERT INTO role_denied_fields (role_id, field) VALUES (?, ?)", {roleId, f});
        }
    };

    router.add({"POST", "/api/v1/admin/roles", "core.role.write", false, "core", "", "Create a role",
                [this, writeGrants](http::Request& req, http::Response& res) {
                    const auto body = req.jsonBody();
                    rejectUnknown(body, {"name", "description", "permissions", "denied_fields"});
                    Json errors = Json::object();
                    const auto name = body.contains("name") && body["name"].is_string() ? body["name"].get<std::string>() : std::string();
                    if (!std::regex_match(name, roleNameRe())) errors["name"] = "Use 2 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter.";
                    std::string description;
                    if (body.contains("description") && !body["description"].is_null()) {
                        if (!body["description"].is_string() || body["description"].get<std::string>().size() > 500)
                            errors["description"] = "Enter text of at most 500 characters.";
                        else description = body["description"].get<std::string>();
                    }
                    auto c = _db->acquire();
                    store::Transaction tx(*c);
                    if (errors.empty() && c->queryScalar("SELECT id FROM roles WHERE name = ?", {name}))
                        errors["name"] = "A role with this name already exists.";
                    if (!errors.empty()) throw HttpError::validation(errors);
                    const auto now = _db->dialect().nowUtc();
                    const auto id = c->insert("INSERT INTO roles (name, description, builtin, created_at, updated_at) VALUES (?, ?, 0, " + now +
                                                  ", " + now + ")",
                                              {name, description.empty() ? Value{nullptr} : Value{description}});
                    writeGrants(*c, req, id, body, errors, false);
                    if (!errors.empty()) throw HttpError::validation(errors);
                    const auto out = roleJson(*c, loadRole(*c, id));
                    auto e = auditFor(req, "admin.role.create", "role", id);
                    e.newValues = {{"name", out["name"]}, {"description", out["description"]}, {"permissions", out["permissions"]},
                                   {"denied_fields", out["denied_fields"]}};
                    _audit.record(*c, e);
                    tx.commit();
                    invalidateCaches();
                    res.json(out, 201);
                }});

    router.add({"PUT", "/api/v1/admin/roles/{id}", "core.role.write", false, "core", "",
                "Change a role's description, permissions and hidden fields",
                [this, writeGrants](http::Request& req, http::Response& res) {
                    const auto id = req.idParam();
                    const auto body = req.jsonBody();
                    rejectUnknown(body, {"version", "name", "description", "permissions", "denied_fields"});
                    if (!body.contains("version") || !body["version"].is_number_integer())
                        throw HttpError::validation({{"version", "Send the role's version you edited, so concurrent edits are not lost."}});
                    auto c = _db->acquire();
                    store::Transaction tx(*c);
                    const auto before = roleJson(*c, loadRole(*c, id));
                    Json errors = Json::object();
                    std::string name = before["name"];
                    if (body.contains("name")) {
                        const auto n = body["name"].is_string() ? body["name"].get<std::string>() : std::string();
                        if (before["builtin"].get<bool>() && n != name) errors["name"] = "Built-in roles keep their names.";
                        else if (!std::regex_match(n, roleNameRe())) errors["name"] = "Use 2 to 64 lower-case letters, digits, '.', '_' or '-'.";
                        else if (c->queryScalar("SELECT id FROM roles WHERE name = ? AND id <> ?", {n, id})) errors["name"] = "A role with this name already exists.";
                        else name = n;
                    }
                    Value description = before["description"].is_null() ? Value{nullptr} : Value{before["description"].get<std::string>()};
                    if (body.contains("description")) {
                        if (body["description"].is_null()) description = nullptr;
                        else if (!body["description"].is_string() || body["description"].get<std::string>().size() > 500)
                            errors["description"] = "Enter text of at most 500 characters.";
                        else description = body["description"].get<std::string>();
                    }
                    if (name == "admin" && (body.contains("permissions") || body.contains("denied_fields")))
                        throw HttpError::conflict("The admin role always holds every permission and sees every field.");
                    // Changing a role changes what its holders can do: the caller must already hold
                    // what the role grants (checkGrantable), so a custom-role editor cannot lift anyone above themselves.
                    checkGrantable(*c, req.principal, id);
                    if (!errors.empty()) throw HttpError::validation(errors);
                    if (c->execute("UPDATE roles SET name = ?, description = ?, version = version + 1, updated_at = " + _db->dialect().nowUtc() +
                                       " WHERE id = ? AND version = ?",
                                   {name, description, id, body["version"].get<std::int64_t>()}) == 0)
                        throw HttpError::conflict("This role was changed by someone else (your version is stale); reload and try again.");
                    writeGrants(*c, req, id, body, errors, true);
                    if (!errors.empty()) throw HttpError::validation(errors);
                    const auto after = roleJson(*c, loadRole(*c, id));
                    auto e = auditFor(req, "admin.role.update", "role", id);
                    e.oldValues = Json::object();
                    e.newValues = Json::object();
                    for (const char* k : {"name", "description", "permissions", "denied_fields"})
                        if (before[k] != after[k]) {
                            e.oldValues[k] = before[k];
                            e.newValues[k] = after[k];
                        }
                    _audit.record(*c, e);
                    tx.commit();
                    invalidateCaches();
                    res.json(after);
                }});

    router.add({"DELETE", "/api/v1/admin/roles/{id}", "core.role.write", false, "core", "",
                "Delete a custom role that nobody holds (built-in roles stay)",
                [this](http::Request& req, http::Response& res) {
                    const auto id = req.idParam();
                    auto c = _db->acquire();
                    store::Transaction tx(*c);
                    const auto before = roleJson(*c, loadRole(*c, id));
                    if (before["builtin"].get<bool>())
                        throw HttpError(409, "builtin_role", "The built-in role '" + before["name"].get<std::string>() + "' cannot be deleted.");
                    if (before["users"].get<std::int64_t>() > 0)
                        throw HttpError::conflict("The role is held by " + std::to_string(before["users"].get<std::int64_t>()) +
                                                  " user(s); take it away from them first.");
                    c->execute("DELETE FROM role_permissions WHERE role_id = ?", {id});
                    c->execute("DELETE FROM role_denied_fields WHERE role_id = ?", {id});
                    c->execute("DELETE FROM roles WHERE id = ?", {id});
                    auto e = auditFor(req, "admin.role.delete", "role", id);
                    e.oldValues = before;
                    _audit.record(*c, e);
                    tx.commit();
                    invalidateCaches();
                    res.json({{"ok", true}});
                }});

    // ---------------------------------------------------------------- module enablement
    router.add({"GET", "/api/v1/admin/modules/enablement", "core.plugin.read", false, "core", "",
                "Module enablement per department (departments without a row inherit from their parent; default on)",
                [this](http::Request& req, http::Response& res) {
                    for (const auto& [k, _] : req.query) throw HttpError::badRequest("The enablement list cannot be filtered by '" + k + "'.");
                    auto c = _db->acquire();
                    Json items = Json::array();
                    for (auto& r : c->queryAll("SELECT m.plugin_id, m.department_id, d.name, d.path, m.enabled FROM module_enablement m "
                                               "JOIN departments d ON d.id = m.department_id ORDER BY m.plugin_id, d.path"))
                        items.push_back({{"plugin", store::asText(r[0])},
                                         {"department_id", store::asInt(r[1])},
                                         {"department", store::asText(r[2])},
                                         {"path", store::asText(r[3])},
                                         {"enabled", store::asInt(r[4]) != 0}});
                    res.json({{"items", items}, {"total", items.size()}, {"default", true}});
                }});

    router.add({"PUT", "/api/v1/admin/modules/{plugin}/departments/{dept}", "core.plugin.write", false, "core", "",
                "Enable or disable a module for a department and its subtree",
                [this](http::Request& req, http::Response& res) {
                    const auto plugin = req.pathParams.count("plugin") ? req.pathParams.at("plugin") : std::string();
                    if (!std::regex_match(plugin, pluginIdRe()))
                        throw HttpError::badRequest("A module id is 1 to 64 lower-case letters, digits, '-' or '_'.");
                    const auto dept = req.idParam("dept");
                    const auto body = req.jsonBody();
                    rejectUnknown(body, {"enabled"});
                    if (!body.contains("enabled") || !body["enabled"].is_boolean())
                        throw HttpError::validation({{"enabled", "Use true or false."}});
                    {
                        auto c = _db->acquire();
                        if (!c->queryScalar("SELECT id FROM departments WHERE id = ?", {dept})) throw HttpError::notFound("The department");
                    }
                    setModuleEnabled(plugin, dept, body["enabled"].get<bool>(), &req.principal); // audited, caches invalidated
                    res.json({{"plugin", plugin}, {"department_id", dept}, {"enabled", body["enabled"]}});
                }});

    // ---------------------------------------------------------------- audit log
    struct AuditQuery {
        std::string where;
        Values params;
        std::int64_t limit = 50, offset = 0;
        Json filters = Json::object();
    };
    auto parseAuditQuery = [](const http::Request& req, std::int64_t maxLimit, std::int64_t defaultLimit) {
        AuditQuery q;
        q.limit = defaultLimit;
        std::vector<std::string> where;
        for (const auto& [k, v] : req.query) {
            if (k == "limit") q.limit = intParam(k, v, 1, maxLimit);
            else if (k == "offset") q.offset = intParam(k, v, 0, 100000000);
            else if (k == "actor_id" || k == "entity_id") {
                where.push_back(k + " = ?");
                q.params.push_back(intParam(k, v, 1, INT64_MAX));
            } else if (k == "action" || k == "entity_type") {
                where.push_back(k + " = ?");
                q.params.push_back(textParam(k, v, 100));
            } else if (k == "outcome") {
                if (v != "ok" && v != "denied" && v != "failed") throw HttpError::badRequest("The parameter 'outcome' must be ok, denied or failed.");
                where.push_back("outcome = ?");
                q.params.push_back(v);
            } else if (k == "from") {
                where.push_back("occurred_at >= ?");
                q.params.push_back(timeParam(k, v, false));
            } else if (k == "to") {
                where.push_back("occurred_at <= ?");
                q.params.push_back(timeParam(k, v, true));
            } else
                throw HttpError::badRequest("The audit log cannot be filtered by '" + k + "'.");
            if (k != "limit" && k != "offset") q.filters[k] = v;
        }
        for (std::size_t i = 0; i < where.size(); ++i) q.where += (i ? " AND " : " WHERE ") + where[i];
        return q;
    };
    static const char* kAuditColumns =
        "id, occurred_at, actor_id, actor_email, action, entity_type, entity_id, outcome, old_values, new_values, client_address, request_id";

    router.add({"GET", "/api/v1/admin/audit", "core.audit.read", false, "core", "",
                "The audit log, newest first; filters actor_id, action, entity_type, entity_id, outcome, from, to",
                [this, parseAuditQuery](http::Request& req, http::Response& res) {
                    const auto q = parseAuditQuery(req, kMaxPage, 50);
                    auto c = _db->acquire();
                    const auto total = store::asInt(*c->queryScalar("SELECT COUNT(*) FROM audit_log" + q.where, q.params));
                    Json items = Json::array();
                    auto json = [](const Value& v) {
                        if (store::isNull(v)) return Json(nullptr);
                        auto j = Json::parse(store::asText(v), nullptr, false);
                        return j.is_discarded() ? Json(store::asText(v)) : j;
                    };
                    for (auto& r : c->queryAll(std::string("SELECT ") + kAuditColumns + " FROM audit_log" + q.where +
                                                   " ORDER BY occurred_at DESC, id DESC LIMIT " + std::to_string(q.limit) + " OFFSET " +
                                                   std::to_string(q.offset),
                                               q.params))
                        items.push_back({{"id", store::asInt(r[0])},
                                         {"occurred_at", store::asText(r[1])},
                                         {"actor_id", intOrNull(r[2])},
                                         {"actor_email", textOrNull(r[3])},
                                         {"action", store::asText(r[4])},
                                         {"entity_type", textOrNull(r[5])},
                                         {"entity_id", intOrNull(r[6])},
                                         {"outcome", store::asText(r[7])},
                                         {"old_values", json(r[8])},
                                         {"new_values", json(r[9])},
                                         {"client_address", textOrNull(r[10])},
                                         {"request_id", textOrNull(r[11])}});
                    res.setHeader("Cache-Control", "no-store");
                    res.json({{"items", items}, {"total", total}, {"limit", q.limit}, {"offset", q.offset}});
                }});

    router.add({"GET", "/api/v1/admin/audit.csv", "core.audit.read", false, "core", "",
                "The audit log as CSV (same filters; formula injection neutralised); the export itself is audited",
                [this, parseAuditQuery](http::Request& req, http::Response& res) {
                    const auto q = parseAuditQuery(req, kMaxExportRows, kMaxExportRows);
                    std::string out = "id,occurred_at,actor_id,actor_email,action,entity_type,entity_id,outcome,old_values,new_values,"
                                      "client_address,request_id\r\n";
                    std::int64_t rows = 0;
                    {
                        auto c = _db->acquire();
                        for (auto& r : c->queryAll(std::string("SELECT ") + kAuditColumns + " FROM audit_log" + q.where +
                                                       " ORDER BY occurred_at DESC, id DESC LIMIT " + std::to_string(q.limit) + " OFFSET " +
                                                       std::to_string(q.offset),
                                                   q.params)) {
                            for (std::size_t i = 0; i < r.size(); ++i) {
                                if (i) out += ',';
                                if (!store::isNull(r[i])) out += csvCell(store::asText(r[i]));
                            }
                            out += "\r\n";
                            ++rows;
                        }
                    }
                    auto e = auditFor(req, "admin.audit.export", "audit_log", 0);
                    e.newValues = {{"filters", q.filters}, {"rows", rows}};
                    _audit.recordNow(e);
                    res.status = 200;
                    res.contentType = "text/csv; charset=utf-8";
                    res.setHeader("Content-Disposition", "attachment; filename=\"audit.csv\"");
                    res.setHeader("Cache-Control", "no-store");
                    res.body = std::move(out);
                }});
}

} // namespace atrium::identity
