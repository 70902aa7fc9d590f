#pragma once
// Field rules: how a value sent by a client is checked before it is stored, with one sentence per
// problem. The host validates its own records (accounts, contacts) with these same functions and
// every plugin's resource layer does too, so "a valid e-mail address" means one thing everywhere.
//
//     FieldRule rule{"email", FieldKind::Email};
//     Problems problems;
//     FieldValue v = validateField(rule, body["email"], problems);
//     if (!problems.empty()) … problems.fields() is {"email": "Enter a valid email address."}
//
// Header-only and free of host calls: it needs only nlohmann::json and the standard library.

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace atrium::sdk {

using Json = nlohmann::json;

/// What a field holds. Money and Number are both stored as numbers; Money is rounded to cents.
enum class FieldKind { Text, Integer, Number, Money, Boolean, Date, DateTime, Email, Url, Reference };

/// The lowercase name a manifest and the API use for a kind ("text", "money", …).
inline const char* fieldKindName(FieldKind k) {
    switch (k) {
    case FieldKind::Text: return "text";
    case FieldKind::Integer: return "integer";
    case FieldKind::Number: return "number";
    case FieldKind::Money: return "money";
    case FieldKind::Boolean: return "boolean";
    case FieldKind::Date: return "date";
    case FieldKind::DateTime: return "datetime";
    case FieldKind::Email: return "email";
    case FieldKind::Url: return "url";
    case FieldKind::Reference: return "reference";
    }
    return "text";
}

/// The checks one field's value passes.
struct FieldRule {
    std::string name;
    FieldKind kind = FieldKind::Text;
    bool required = false;
    std::size_t maxLength = 255;     ///< bytes of UTF-8, for text kinds
    double min = -1e15, max = 1e15;  ///< for numeric kinds
    std::vector<std::string> allowed{}; ///< the values a text field may take (empty = any)
};

/// A checked value, ready to bind: NULL, a whole number, a real number or text.
using FieldValue = std::variant<std::monostate, std::int64_t, double, std::string>;

inline bool isNull(const FieldValue& v) { return std::holds_alternative<std::monostate>(v); }

inline Json toJson(const FieldValue& v) {
    if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
    if (const auto* d = std::get_if<double>(&v)) return *d;
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
    return nullptr;
}

/// Field problems collected over a whole request, so the client sees all of them at once.
class Problems {
public:
    /// Keeps the first problem of each field.
    void add(const std::string& field, const std::string& message) {
        if (!_fields.contains(field)) _fields[field] = message;
    }
    bool has(const std::string& field) const { return _fields.contains(field); }
    bool empty() const { return _fields.empty(); }
    /// {"field": "sentence", …}: what a 422 answer carries under error.fields.
    const Json& fields() const { return _fields; }
    /// "name: This field is required. email: Enter a valid email address." for one-line errors.
    std::string sentence() const {
        std::string out;
        for (const auto& [k, v] : _fields.items()) out += (out.empty() ? "" : " ") + k + ": " + v.get<std::string>();
        return out;
    }

private:
    Json _fields = Json::object();
};

/// Escapes LIKE wildcards with '!', the escape character every Atrium query declares
/// (`LIKE ? ESCAPE '!'`): a backslash would need different quoting on MySQL and SQLite.
inline std::string escapeLike(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    for (char c : s) {
        if (c == '%' || c == '_' || c == '!') out += '!';
        out += c;
    }
    return out;
}

namespace detail {
inline bool digits(std::string_view s, std::size_t from, std::size_t n) {
    for (std::size_t i = from; i < from + n; ++i)
        if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    return true;
}
inline int number(std::string_view s, std::size_t from, std::size_t n) {
    int v = 0;
    for (std::size_t i = from; i < from + n; ++i) v = v * 10 + (s[i] - '0');
    return v;
}
} // namespace detail

/// 'YYYY-MM-DD' naming a day that exists (2026-02-30 does not).
inline bool isDate(std::string_view s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !detail::digits(s, 0, 4) || !detail::digits(s, 5, 2) || !detail::digits(s, 8, 2))
        return false;
    const int y = detail::number(s, 0, 4), m = detail::number(s, 5, 2), d = detail::number(s, 8, 2);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1) return false;
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + (m == 2 && leap ? 1 : 0);
}

/// 'YYYY-MM-DD HH:MM:SS' (or with 'T'), UTC, as every Atrium datetime column stores it.
inline bool isDateTime(std::string_view s) {
    if (s.size() != 19 || !isDate(s.substr(0, 10)) || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':') return false;
    if (!detail::digits(s, 11, 2) || !detail::digits(s, 14, 2) || !detail::digits(s, 17, 2)) return false;
    return detail::number(s, 11, 2) < 24 && detail::number(s, 14, 2) < 60 && detail::number(s, 17, 2) < 60;
}

/// One '@' with a local part of 1..64 characters, a domain holding a dot, and no white space.
inline bool isEmail(std::string_view s) {
    const auto at = s.find('@');
    if (at == std::string_view::npos || at == 0 || at > 64 || s.find('@', at + 1) != std::string_view::npos) return false;
    for (char c : s)
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return false;
    const auto domain = s.substr(at + 1);
    const auto dot = domain.find('.');
    return dot != std::string_view::npos && dot > 0 && dot + 1 < domain.size();
}

inline bool isWebAddress(std::string_view s) {
    return (s.rfind("http://", 0) == 0 && s.size() > 7) || (s.rfind("https://", 0) == 0 && s.size() > 8);
}

/// Checks `value` against `rule`. An absent value (null, or "" for text) is NULL, and a problem
/// when the field is required. Problems go to `problems` under the field's name; the returned
/// value is then NULL.
inline FieldValue validateField(const FieldRule& rule, const Json& value, Problems& problems) {
    const auto problem = [&](const std::string& message) {
        problems.add(rule.name, message);
        return FieldValue{};
    };
    if (value.is_null() || (value.is_string() && value.get_ref<const std::string&>().empty())) {
        if (rule.required) problems.add(rule.name, "This field is required.");
        return FieldValue{};
    }
    switch (rule.kind) {
    case FieldKind::Integer:
    case FieldKind::Reference: {
        if (!value.is_number_integer()) return problem("Enter a whole number.");
        const auto v = value.get<std::int64_t>();
        if (rule.kind == FieldKind::Integer && (static_cast<double>(v) < rule.min || static_cast<double>(v) > rule.max)) {
            char b[96];
            if (rule.max >= 1e15) std::snprintf(b, sizeof b, "Enter a whole number of at least %.0f.", rule.min);
            else std::snprintf(b, sizeof b, "Enter a number from %.0f to %.0f.", rule.min, rule.max);
            return problem(b);
        }
        return v;
    }
    case FieldKind::Number:
    case FieldKind::Money: {
        if (!value.is_number()) return problem("Enter a number.");
        const auto v = value.get<double>();
        if (!std::isfinite(v) || v < rule.min || v > rule.max) {
            char b[96];
            std::snprintf(b, sizeof b, "Enter a number from %g to %g.", rule.min, rule.max);
            return problem(b);
        }
        return rule.kind == FieldKind::Money ? std::round(v * 100.0) / 100.0 : v;
    }
    case FieldKind::Boolean:
        if (!value.is_boolean()) return problem("Send true or false.");
        return std::int64_t{value.get<bool>() ? 1 : 0};
    default: break;
    }
    if (!value.is_string()) return problem("Enter text.");
    const auto& s = value.get_ref<const std::string&>();
    if (s.size() > rule.maxLength) return problem("Use at most " + std::to_string(rule.maxLength) + " characters.");
    switch (rule.kind) {
    case FieldKind::Email:
        if (!isEmail(s)) return problem("Enter a valid email address.");
        break;
    case FieldKind::Url:
        if (!isWebAddress(s)) return problem("Enter a web address starting with http:// or https://.");
        break;
    case FieldKind::Date:
        if (!isDate(s)) return problem("Enter a date as YYYY-MM-DD.");
        break;
    case FieldKind::DateTime:
        if (isDate(s)) return s + " 00:00:00"; // a day alone means its start
        if (!isDateTime(s)) return problem("Enter a date as YYYY-MM-DD or a time as YYYY-MM-DD HH:MM:SS (UTC).");
        break;
    default: break;
    }
    if (!rule.allowed.empty()) {
        for (const auto& a : rule.allowed)
            if (a == s) return s;
        std::string list;
        for (const auto& a : rule.allowed) list += (list.empty() ? "" : ", ") + a;
        return problem("Use one of: " + list + ".");
    }
    if (rule.kind == FieldKind::DateTime && s[10] == 'T') {
        std::string normal = s;
        normal[10] = ' ';
        return normal;
    }
    return s;
}

} // namespace atrium::sdk
