#pragma once
// Request/response types of the host's HTTP layer and the error that handlers throw.

#include "identity/Principal.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace atrium::http {

using Json = nlohmann::json;

/// Thrown by handlers (and by the layer itself) to answer with
/// {"error":{"code":…,"message":…[,"fields":{…}]}} and `status`.
class HttpError : public std::runtime_error {
public:
    HttpError(int status, std::string code, const std::string& message, Json fields = nullptr)
        : std::runtime_error(message), _status(status), _code(std::move(code)), _fields(std::move(fields)) {}
    int status() const { return _status; }
    const std::string& code() const { return _code; }
    const Json& fields() const { return _fields; }

    static HttpError badRequest(const std::string& message) { return {400, "bad_request", message}; }
    static HttpError validation(Json fields) {
        return {422, "validation_failed", "Some fields are invalid; see error.fields.", std::move(fields)};
    }
    static HttpError notFound(const std::string& what) { return {404, "not_found", what + " was not found."}; }
    static HttpError forbidden(const std::string& message = "You do not have permission for this action.") {
        return {403, "forbidden", message};
    }
    static HttpError conflict(const std::string& message) { return {409, "conflict", message}; }

private:
    int _status;
    std::string _code;
    Json _fields;
};

struct Request {
    std::string method;
    std::string path;     ///< decoded path without query
    std::string rawQuery;
    std::multimap<std::string, std::string> query;     ///< decoded query parameters
    std::map<std::string, std::string> pathParams;     ///< from the route pattern
    std::map<std::string, std::string> headers;        ///< lower-case names
    std::map<std::string, std::string> cookies;
    std::string body;
    std::string clientAddress;
    std::string requestId;
    identity::Principal principal;
    std::string routePattern; ///< the matched route's pattern ("/api/v1/accounts/{id}")

    std::optional<std::string> queryParam(const std::string& name) const;
    std::string header(const std::string& lowerName) const;
    /// Path parameter as a positive integer id; 404 when it is not one.
    std::int64_t idParam(const std::string& name = "id") const;
    /// The body parsed as a JSON object; 400 with a clear message otherwise.
    Json jsonBody() const;
};

struct Response {
    int status = 200;
    std::string contentType = "application/json; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;

    void json(const Json& value, int statusCode = 200) {
        status = statusCode;
        contentType = "application/json; charset=utf-8";
        body = value.dump(-1, ' ', false, Json::error_handler_t::replace);
    }
    void setHeader(std::string name, std::string value) { headers.emplace_back(std::move(name), std::move(value)); }
};

using Handler = std::function<void(Request&, Response&)>;

/// The error body every failure answers with.
Json errorBody(const std::string& code, const std::string& message, const Json& fields = nullptr);

} // namespace atrium::http
