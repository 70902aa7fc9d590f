// HTTP endpoints of the login contract: POST /api/v1/auth/login, POST /api/v1/auth/logout,
// GET /api/v1/auth/me, and API tokens.

#include "identity/Identity.h"

namespace atrium::identity {

using http::HttpError;
using http::Json;

Json Identity::principalJson(const Principal& p) {
    Json perms = Json::object();
    for (const auto& [k, v] : p.permissions) perms[k] = scopeName(v);
    return {{"id", p.userId},           {"email", p.email},
            {"display_name", p.displayName}, {"department_id", p.departmentId},
            {"locale", p.locale},       {"roles", p.roles},
            {"permissions", perms},     {"denied_fields", p.deniedFields}};
}

void Identity::registerRoutes(http::Router& router, std::function<Json(const Principal&)> modules) {
    router.add({"POST", "/api/v1/auth/login", "", true, "core", "", "Sign in with email and password",
                [this](http::Request& req, http::Response& res) {
                    const auto body = req.jsonBody();
                    if (!body.contains("email") || !body["email"].is_string() || !body.contains("password") ||
                        !body["password"].is_string())
                        throw HttpError::validation({{"email", "Enter your email and password."}});
                    // Rotation: a session presented with the login is ended, never upgraded.
                    if (req.principal.sessionId) logout(req.principal.sessionId);
                    LoginResult result;
                    try {
                        result = login(body["email"].get<std::string>(), body["password"].get<std::string>(), req.clientAddress,
                                       req.header("user-agent"), req.requestId);
                    } catch (const HttpError& e) {
                        if (e.status() == 429 && e.fields().contains("retry_after"))
                            res.setHeader("Retry-After", std::to_string(e.fields()["retry_after"].get<int>()));
                        throw;
                    }
                    res.setHeader("Set-Cookie", sessionCookie(result.token));
                    res.setHeader("Cache-Control", "no-store");
                    res.json({{"csrf_token", result.csrfToken}, {"user", principalJson(result.principal)}});
                }});
    router.add({"POST", "/api/v1/auth/logout", "authenticated", false, "core", "", "End the current session",
                [this](http::Request& req, http::Response& res) {
                    if (req.principal.sessionId) logout(req.principal.sessionId);
                    AuditEntry e = AuditEntry::by(req.principal, "logout", "session", req.principal.sessionId);
                    e.clientAddress = req.clientAddress;
                    e.requestId = req.requestId;
                    _audit.recordNow(e);
                    res.setHeader("Set-Cookie", clearCookie());
                    res.json({{"ok", true}});
                }});
    router.add({"GET", "/api/v1/auth/me", "authenticated", false, "core", "", "The signed-in user, permissions and modules",
                [this, modules](http::Request& req, http::Response& res) {
                    Json out = {{"user", principalJson(req.principal)}, {"modules", modules ? modules(req.principal) : Json::array()}};
                    if (req.principal.sessionId) {
                        auto c = _db->acquire();
                        if (auto v = c->queryScalar("SELECT csrf_token FROM sessions WHERE id = ?", {req.principal.sessionId}))
                            out["csrf_token"] = store::asText(*v);
                    }
                    res.setHeader("Cache-Control", "no-store");
                    res.json(out);
                }});
    router.add({"POST", "/api/v1/auth/tokens", "core.token.write", false, "core", "", "Create an API token (shown once)",
                [this](http::Request& req, http::Response& res) {
                    // A leaked token must not be able to mint tokens that outlive its revocation.
                    if (req.principal.viaApiToken) throw HttpError::forbidden("API tokens are created from a signed-in session, not with another token.");
                    const auto body = req.jsonBody();
                    for (const auto& [k, _] : body.items())
                        if (k != "name" && k != "scopes" && k != "expires_in_days")
                            throw HttpError::badRequest("The field '" + k + "' cannot be set.");
                    const auto name = body.value("name", std::string());
                    if (name.empty() || name.size() > 100) throw HttpError::validation({{"name", "Give the token a name of 1 to 100 characters."}});
                    std::vector<std::string> scopes;
                    if (body.contains("scopes")) scopes = body["scopes"].get<std::vector<std::string>>();
                    int days = 90;
                    if (body.contains("expires_in_days")) {
                        if (!body["expires_in_days"].is_number_integer()) throw HttpError::validation({{"expires_in_days", "Enter a number of days."}});
                        const auto d = body["expires_in_days"].get<std::int64_t>();
                        if (d < 1 || d > 366) throw HttpError::validation({{"expires_in_days", "Use a number of days from 1 to 366."}});
                        days = static_cast<int>(d);
                    }
                    auto [id, token] = createApiToken(req.principal, name, scopes, days);
                    res.setHeader("Cache-Control", "no-store");
                    res.json({{"id", id}, {"name", name}, {"scopes", scopes}, {"expires_in_days", days}, {"token", token}}, 201);
                }});
    router.add({"GET", "/api/v1/auth/tokens", "authenticated", false, "core", "", "List my API tokens",
                [this](http::Request& req, http::Response& res) {
                    auto c = _db->acquire();
                    Json items = Json::array();
                    auto text = [](const store::Value& v) { return store::isNull(v) ? Json(nullptr) : Json(store::asText(v)); };
                    for (auto& r : c->queryAll("SELECT id, name, created_at, last_used_at, revoked_at, expires_at, scopes FROM api_tokens "
                                               "WHERE user_id = ? ORDER BY id",
                                               {req.principal.userId})) {
                        auto scopes = Json::parse(store::asText(r[6]), nullptr, false);
                        items.push_back({{"id", store::asInt(r[0])},
                                         {"name", store::asText(r[1])},
                                         {"created_at", store::asText(r[2])},
                                         {"last_used_at", text(r[3])},
                                         {"expires_at", text(r[5])},
                                         {"scopes", scopes.is_discarded() ? Json::array() : scopes},
                                         {"revoked", !store::isNull(r[4])}});
                    }
                    res.json({{"items", items}});
                }});
    router.add({"DELETE", "/api/v1/auth/tokens/{id}", "authenticated", false, "core", "", "Revoke one of my API tokens",
                [this](http::Request& req, http::Response& res) {
                    const auto id = req.idParam();
                    auto c = _db->acquire();
                    store::Transaction tx(*c);
                    if (c->execute("UPDATE api_tokens SET revoked_at = " + _db->dialect().nowUtc() +
                                       " WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
                                   {id, req.principal.userId}) == 0)
                        throw HttpError::notFound("The token");
                    _audit.record(*c, AuditEntry::by(req.principal, "delete", "api_token", id));
                    tx.commit();
                    forgetToken(id);
                    res.json({{"ok", true}});
                }});
    registerAdminRoutes(router);
}

} // namespace atrium::identity
