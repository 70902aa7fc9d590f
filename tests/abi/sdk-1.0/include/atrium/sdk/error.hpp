#pragma once
// Errors of the C++ layer, and the bridge that keeps every exception on the plugin's side of the
// boundary: each callback the host calls runs inside boundary(), which turns exceptions into an
// ATRIUM_E_* code plus a message in the host's buffer.

#include <atrium/plugin.h>

#include <nlohmann/json.hpp>

#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace atrium::sdk {

using Json = nlohmann::json;

/// A host call failed. code() is the ATRIUM_E_* value; what() the host's sentence.
class Error : public std::runtime_error {
public:
    Error(atrium_status code, const std::string& message) : std::runtime_error(message), _code(code) {}
    atrium_status code() const noexcept { return _code; }
    /// True for a unique-key or foreign-key violation (answer 409).
    bool isConflict() const noexcept { return _code == ATRIUM_E_CONFLICT; }
    /// True when the database is down or the pool is exhausted (answer 503, retry later).
    bool isUnavailable() const noexcept { return _code == ATRIUM_E_UNAVAILABLE; }

private:
    atrium_status _code;
};

/// Thrown by route handlers to answer with {"error": {"code", "message"[, "fields"]}} and
/// `status` — the same shape the host uses for its own errors.
class HttpError : public std::runtime_error {
public:
    HttpError(int status, std::string code, const std::string& message, Json fields = nullptr)
        : std::runtime_error(message), _status(status), _code(std::move(code)), _fields(std::move(fields)) {}
    int status() const noexcept { return _status; }
    const std::string& code() const noexcept { return _code; }
    const Json& fields() const noexcept { return _fields; }

    static HttpError badRequest(const std::string& message) { return {400, "bad_request", message}; }
    static HttpError forbidden(const std::string& message = "You do not have permission for this action.") {
        return {403, "forbidden", message};
    }
    static HttpError notFound(const std::string& what) { return {404, "not_found", what + " was not found."}; }
    static HttpError conflict(const std::string& message) { return {409, "conflict", message}; }
    /// `fields` maps a field name to its problem: {"amount": "must be positive"}.
    static HttpError validation(Json fields) {
        return {422, "validation_failed", "Some fields are invalid; see error.fields.", std::move(fields)};
    }

private:
    int _status;
    std::string _code;
    Json _fields;
};

namespace detail {

/// A message buffer for calls into the host.
struct ErrorBuffer {
    char message[ATRIUM_ERROR_MESSAGE_SIZE];
    atrium_error error;
    ErrorBuffer() : message{0}, error{ATRIUM_OK, 0, message, sizeof message} {}
    ErrorBuffer(const ErrorBuffer&) = delete;
    ErrorBuffer& operator=(const ErrorBuffer&) = delete;
    atrium_error* get() noexcept { return &error; }
    std::string text() const { return message[0] ? std::string(message) : std::string("the host reported an error without a message"); }
};

/// Throws Error when `status` is a failure.
inline atrium_status check(atrium_status status, const ErrorBuffer& buffer) {
    if (status < 0) throw Error(status, buffer.text());
    return status;
}

/// Fills the host's error report; never throws.
inline atrium_status report(atrium_error* error, atrium_status code, std::string_view message, int httpStatus = 0) noexcept {
    if (!error) return code;
    error->code = code;
    error->http_status = httpStatus;
    if (error->message && error->message_size > 0) {
        std::size_t n = message.size() < error->message_size - 1 ? message.size() : error->message_size - 1;
        if (n < message.size())
            while (n > 0 && (static_cast<unsigned char>(message[n]) & 0xC0) == 0x80) --n; // whole UTF-8 characters
        std::memcpy(error->message, message.data(), n);
        error->message[n] = '\0';
    }
    return code;
}

inline atrium_status codeForStatus(int status) noexcept {
    switch (status) {
    case 400:
    case 422: return ATRIUM_E_INVALID;
    case 401:
    case 403: return ATRIUM_E_FORBIDDEN;
    case 404: return ATRIUM_E_NOT_FOUND;
    case 409: return ATRIUM_E_CONFLICT;
    case 503: return ATRIUM_E_UNAVAILABLE;
    default: return status >= 500 ? ATRIUM_E_INTERNAL : ATRIUM_E_INVALID;
    }
}

/// Runs `f` and converts whatever it throws into a status code for the host. Every function
/// the SDK hands to the host goes through here: a C++ exception must never unwind into the
/// host, which may be built with another compiler or standard library.
template <class F>
atrium_status boundary(atrium_error* error, F&& f) noexcept {
    try {
        return f();
    } catch (const HttpError& e) {
        return report(error, codeForStatus(e.status()), e.what(), e.status());
    } catch (const Error& e) {
        return report(error, e.code(), e.what());
    } catch (const Json::exception& e) {
        // Reading a field of the wrong type from a request body is the caller's mistake.
        return report(error, ATRIUM_E_INVALID, std::string("invalid JSON data: ") + e.what(), 400);
    } catch (const std::bad_alloc&) {
        return report(error, ATRIUM_E_INTERNAL, "the plugin ran out of memory");
    } catch (const std::exception& e) {
        return report(error, ATRIUM_E_INTERNAL, e.what());
    } catch (...) {
        return report(error, ATRIUM_E_INTERNAL, "the plugin threw an exception that is not a std::exception");
    }
}

} // namespace detail
} // namespace atrium::sdk
