#pragma once
// Routes with JSON in and out:
//
//     router.get("greetings/{id}", "hello.greetings.read", [](Request& req, Db& db) -> Json {
//         auto id = req.idParam();
//         for (auto row : db.query("SELECT id, text FROM hello_greetings WHERE id = ?", id))
//             return row.object();
//         throw HttpError::notFound("Greeting " + std::to_string(id));
//     });
//
// A handler either returns Json (answered with 200, or `status` given to the route) or takes a
// Response& and writes it. Throwing HttpError answers with its status and the host's error
// shape; any other exception becomes a logged 500. Nothing is thrown across the boundary.

#include <atrium/sdk/db.hpp>
#include <atrium/sdk/error.hpp>
#include <atrium/sdk/scope.hpp>

#include <charconv>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace atrium::sdk {

/// The request a handler receives. Views are valid while the handler runs.
class Request {
public:
    Request(const atrium_host_api* api, const atrium_request* request) : _api(api), _r(request) {}

    std::string_view method() const { return sv(_r->method); }
    std::string_view path() const { return sv(_r->path); }
    std::string_view rawQuery() const { return sv(_r->raw_query); }
    std::string_view body() const { return sv(_r->body); }
    std::string_view routePattern() const { return sv(_r->route_pattern); }
    std::string_view requestId() const { return sv(_r->request_id); }
    /// "en" or "zh-CN".
    std::string_view locale() const { return sv(_r->locale); }

    /// A path parameter ("{id}" in the pattern); 404 when absent.
    std::string_view param(std::string_view name) const {
        for (std::size_t i = 0; i < _r->path_param_count; ++i)
            if (sv(_r->path_params[i].name) == name) return sv(_r->path_params[i].value);
        throw HttpError::notFound("The resource");
    }
    /// A path parameter that must be a positive integer id; 404 otherwise (like the host).
    std::int64_t idParam(std::string_view name = "id") const {
        const auto text = param(name);
        std::int64_t id = 0;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
        if (ec != std::errc() || p != text.data() + text.size() || id <= 0)
            throw HttpError(404, "not_found", "No record has the id '" + std::string(text) + "'.");
        return id;
    }

    /// The first value of a query parameter.
    std::optional<std::string_view> query(std::string_view name) const {
        for (std::size_t i = 0; i < _r->query_param_count; ++i)
            if (sv(_r->query_params[i].name) == name) return sv(_r->query_params[i].value);
        return std::nullopt;
    }
    std::string query(std::string_view name, std::string_view fallback) const { return std::string(query(name).value_or(fallback)); }
    /// Every value of a repeated query parameter (?tag=a&tag=b).
    std::vector<std::string_view> queryAll(std::string_view name) const {
        std::vector<std::string_view> out;
        for (std::size_t i = 0; i < _r->query_param_count; ++i)
            if (sv(_r->query_params[i].name) == name) out.push_back(sv(_r->query_params[i].value));
        return out;
    }
    /// An integer query parameter within [min, max]; 400 when it is not one.
    std::int64_t queryInt(std::string_view name, std::int64_t fallback, std::int64_t min = std::numeric_limits<std::int64_t>::min(),
                          std::int64_t max = std::numeric_limits<std::int64_t>::max()) const {
        auto text = query(name);
        if (!text || text->empty()) return fallback;
        std::int64_t v = 0;
        auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
        if (ec != std::errc() || p != text->data() + text->size() || v < min || v > max)
            throw HttpError::badRequest("The query parameter '" + std::string(name) + "' must be a whole number between " +
                                        std::to_string(min) + " and " + std::to_string(max) + ".");
        return v;
    }

    /// A request header by lower-case name (credentials are never visible).
    std::optional<std::string_view> header(std::string_view lowerName) const {
        for (std::size_t i = 0; i < _r->header_count; ++i)
            if (sv(_r->headers[i].name) == lowerName) return sv(_r->headers[i].value);
        return std::nullopt;
    }

    /// The body as a JSON object; 400 with a clear message otherwise.
    Json json() const {
        if (body().empty()) throw HttpError::badRequest("The request needs a JSON object body.");
        Json j = Json::parse(body(), nullptr, false);
        if (j.is_discarded()) throw HttpError::badRequest("The request body is not valid JSON.");
        if (!j.is_object()) throw HttpError::badRequest("The request body must be a JSON object.");
        return j;
    }

    /// 0 for an anonymous caller (public routes only).
    std::int64_t userId() const { return _r->user_id; }
    std::int64_t departmentId() const { return _r->department_id; }

    /// The caller's scope for `permission`.
    Scope scope(std::string_view permission) const { return scopeOf(_api, _r->principal, permission); }
    bool can(std::string_view permission) const { return scope(permission) != Scope::None; }
    /// Throws 403 unless the caller holds `permission`.
    void require(std::string_view permission) const {
        if (!can(permission)) throw HttpError::forbidden();
    }
    /// True when the caller's roles hide `field` ("hello.greeting.text").
    bool fieldDenied(std::string_view field) const {
        const std::string f(field);
        return _api->principal_field_denied(_r->principal, f.c_str()) != 0;
    }
    /// The SQL filter restricting rows to what the caller may see under `permission`; see
    /// ScopeFilter. Either column may be empty.
    ScopeFilter scopeFilter(std::string_view permission, std::string_view ownerColumn, std::string_view departmentColumn = {}) const {
        return ScopeFilter::make(_api, _r->principal, permission, ownerColumn, departmentColumn);
    }

    /// Writes an audit row for a change this caller made, on `db` (in its transaction, so the
    /// change and its audit row commit together). `action` is "create", "update", "delete", …
    void audit(const Db& db, std::string_view action, std::string_view entityType, std::int64_t entityId,
               const Json& oldValues = nullptr, const Json& newValues = nullptr) const {
        requireMember(ATRIUM_HAS_MEMBER(_api, atrium_host_api, audit_append), "audit_append");
        const std::string a(action), t(entityType), rid(requestId());
        const std::string o = oldValues.is_null() ? std::string() : oldValues.dump(-1, ' ', false, Json::error_handler_t::replace);
        const std::string n = newValues.is_null() ? std::string() : newValues.dump(-1, ' ', false, Json::error_handler_t::replace);
        detail::ErrorBuffer eb;
        detail::check(_api->audit_append(db.handle(), _r->principal, a.c_str(), t.c_str(), entityId, o.empty() ? nullptr : o.data(), o.size(),
                                         n.empty() ? nullptr : n.data(), n.size(), rid.empty() ? nullptr : rid.c_str(), eb.get()),
                      eb);
    }

    /// Creates a core account as this caller, on `db` (in its transaction): the fields of
    /// POST /api/v1/accounts plus an optional "owner_id". Invalid fields answer 422 (the
    /// problem under error.fields.account), an owner outside the caller's scope 403.
    std::int64_t createAccount(const Db& db, const Json& fields) const { return createCustomer(db, "account", fields); }
    /// Creates a core contact (fields of POST /api/v1/contacts, "account_id" included).
    std::int64_t createContact(const Db& db, const Json& fields) const { return createCustomer(db, "contact", fields); }

    const atrium_request* raw() const { return _r; }

private:
    static void requireMember(bool present, const char* name) {
        if (!present) throw Error(ATRIUM_E_UNSUPPORTED, std::string("this host is too old: it lacks ") + name + " in atrium_host_api");
    }
    std::int64_t createCustomer(const Db& db, const char* kind, const Json& fields) const {
        requireMember(ATRIUM_HAS_MEMBER(_api, atrium_host_api, customer_create), "customer_create");
        const std::string body = fields.dump(-1, ' ', false, Json::error_handler_t::replace);
        detail::ErrorBuffer eb;
        std::int64_t id = 0;
        const auto rc = _api->customer_create(db.handle(), _r->principal, kind, body.data(), body.size(), &id, eb.get());
        if (rc == ATRIUM_E_INVALID) throw HttpError::validation(Json{{kind, eb.text()}});
        if (rc == ATRIUM_E_FORBIDDEN) throw HttpError::forbidden(eb.text());
        detail::check(rc, eb);
        return id;
    }
    static std::string_view sv(const atrium_str& s) { return s.data ? std::string_view(s.data, s.size) : std::string_view(); }
    const atrium_host_api* _api;
    const atrium_request* _r;
};

/// The response a handler writes (host-owned; valid while the handler runs).
class Response {
public:
    Response(const atrium_host_api* api, atrium_response* response) : _api(api), _r(response) {}

    Response& status(int code) {
        _api->response_set_status(_r, code);
        return *this;
    }
    Response& contentType(std::string_view type) {
        const std::string t(type);
        _api->response_set_content_type(_r, t.c_str());
        return *this;
    }
    Response& header(std::string_view name, std::string_view value) {
        const std::string n(name), v(value);
        detail::ErrorBuffer eb;
        detail::check(_api->response_add_header(_r, n.c_str(), v.c_str(), eb.get()), eb);
        return *this;
    }
    Response& body(std::string_view data) {
        _api->response_set_body(_r, data.data(), data.size());
        return *this;
    }
    Response& append(std::string_view data) {
        _api->response_append_body(_r, data.data(), data.size());
        return *this;
    }
    /// JSON body with `code` (invalid UTF-8 is replaced, never thrown).
    void json(const Json& value, int code = 200) {
        status(code);
        contentType("application/json; charset=utf-8");
        body(value.dump(-1, ' ', false, Json::error_handler_t::replace));
    }
    void text(std::string_view value, int code = 200, std::string_view type = "text/plain; charset=utf-8") {
        status(code);
        contentType(type);
        body(value);
    }
    /// 204 without a body.
    void noContent() {
        status(204);
        body({});
    }
    /// The host's error shape: {"error": {"code", "message"[, "fields"]}}.
    void error(int code, std::string_view errorCode, std::string_view message, const Json& fields = nullptr) {
        Json err = {{"code", errorCode}, {"message", message}};
        if (!fields.is_null()) err["fields"] = fields;
        json(Json{{"error", err}}, code);
    }

private:
    const atrium_host_api* _api;
    atrium_response* _r;
};

/// Registers routes during init. Handlers must be thread-safe: the host runs requests in
/// parallel. The router must live until shutdown (keep it in your Plugin).
class Router {
public:
    /// Writes the response itself.
    using Handler = std::function<void(Request&, Response&, Db&)>;
    /// Returns the JSON body (answered with the route's success status).
    using JsonHandler = std::function<Json(Request&, Db&)>;

    explicit Router(const atrium_host_api* api) : _api(api) {}
    Router(const Router&) = delete;
    Router& operator=(const Router&) = delete;

    /// `pattern` is relative to /api/v1/<plugin id>/ ("greetings/{id}") or absolute under it.
    template <class F>
    Router& get(std::string_view pattern, std::string_view permission, F&& handler, std::string_view summary = {}) {
        return add("GET", pattern, permission, std::forward<F>(handler), summary, 200);
    }
    template <class F>
    Router& post(std::string_view pattern, std::string_view permission, F&& handler, std::string_view summary = {}) {
        return add("POST", pattern, permission, std::forward<F>(handler), summary, 201);
    }
    template <class F>
    Router& put(std::string_view pattern, std::string_view permission, F&& handler, std::string_view summary = {}) {
        return add("PUT", pattern, permission, std::forward<F>(handler), summary, 200);
    }
    template <class F>
    Router& patch(std::string_view pattern, std::string_view permission, F&& handler, std::string_view summary = {}) {
        return add("PATCH", pattern, permission, std::forward<F>(handler), summary, 200);
    }
    template <class F>
    Router& del(std::string_view pattern, std::string_view permission, F&& handler, std::string_view summary = {}) {
        return add("DELETE", pattern, permission, std::forward<F>(handler), summary, 200);
    }

    /// A route without authentication (webhooks). Use sparingly: the handler is all that
    /// stands between the internet and your data.
    template <class F>
    Router& publicRoute(std::string_view method, std::string_view pattern, F&& handler, std::string_view summary = {}) {
        return add(method, pattern, {}, std::forward<F>(handler), summary, 200, true);
    }

    /// The general form; `successStatus` is used for handlers returning Json.
    template <class F>
    Router& add(std::string_view method, std::string_view pattern, std::string_view permission, F&& handler, std::string_view summary,
                int successStatus, bool isPublic = false) {
        auto entry = std::make_unique<Entry>();
        entry->api = _api;
        if constexpr (std::is_invocable_r_v<Json, F&, Request&, Db&> && !std::is_invocable_v<F&, Request&, Response&, Db&>) {
            entry->handler = [h = std::forward<F>(handler), successStatus](Request& req, Response& res, Db& db) {
                res.json(h(req, db), successStatus);
            };
        } else {
            static_assert(std::is_invocable_v<F&, Request&, Response&, Db&>,
                          "a route handler is either Json(Request&, Db&) or void(Request&, Response&, Db&)");
            entry->handler = Handler(std::forward<F>(handler));
        }
        const std::string m(method), p(pattern), perm(permission), s(summary);
        atrium_route route{};
        route.struct_size = sizeof(atrium_route);
        route.method = m.c_str();
        route.pattern = p.c_str();
        route.permission = isPublic ? nullptr : perm.c_str();
        route.is_public = isPublic ? 1 : 0;
        route.summary = s.empty() ? nullptr : s.c_str();
        route.handler = &Router::trampoline;
        route.user_data = entry.get();
        detail::ErrorBuffer eb;
        detail::check(_api->route_add(_api->host, &route, eb.get()), eb);
        _entries.push_back(std::move(entry));
        return *this;
    }

private:
    struct Entry {
        const atrium_host_api* api = nullptr;
        Handler handler;
    };

    static atrium_status trampoline(void* userData, const atrium_request* request, atrium_response* response, atrium_db* db,
                                    atrium_error* error) noexcept {
        auto* entry = static_cast<Entry*>(userData);
        return detail::boundary(error, [&]() -> atrium_status {
            Response res(entry->api, response);
            try {
                Request req(entry->api, request);
                Db handle(entry->api, db);
                entry->handler(req, res, handle);
            } catch (const HttpError& e) {
                // Rendered here rather than by the host so validation fields survive the trip.
                res.error(e.status(), e.code(), e.what(), e.fields());
            }
            return ATRIUM_OK;
        });
    }

    const atrium_host_api* _api;
    std::vector<std::unique_ptr<Entry>> _entries;
};

} // namespace atrium::sdk
