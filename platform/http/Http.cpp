#include "http/Http.h"

#include <charconv>

namespace atrium::http {

Json errorBody(const std::string& code, const std::string& message, const Json& fields) {
    Json err = {{"code", code}, {"message", message}};
    if (!fields.is_null()) err["fields"] = fields;
    return Json{{"error", err}};
}

std::optional<std::string> Request::queryParam(const std::string& name) const {
    auto it = query.find(name);
    if (it == query.end()) return std::nullopt;
    return it->second;
}

std::string Request::header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? std::string() : it->second;
}

std::int64_t Request::idParam(const std::string& name) const {
    auto it = pathParams.find(name);
    std::int64_t id = 0;
    if (it != pathParams.end()) {
        const auto& s = it->second;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
        if (ec == std::errc() && p == s.data() + s.size() && id > 0) return id;
    }
    throw HttpError(404, "not_found", "No record has the id '" + (it == pathParams.end() ? "" : it->second) + "'.");
}

Json Request::jsonBody() const {
    if (body.empty()) throw HttpError::badRequest("The request needs a JSON object body.");
    Json j = Json::parse(body, nullptr, false);
    if (j.is_discarded()) throw HttpError::badRequest("The request body is not valid JSON.");
    if (!j.is_object()) throw HttpError::badRequest("The request body must be a JSON object.");
    return j;
}

} // namespace atrium::http
