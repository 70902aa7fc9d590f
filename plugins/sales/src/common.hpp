#pragma once
// Helpers shared by the sales plugin's routes and demo: dates, validation, the list
// conventions of the core (limit/offset/total, allow-listed sort, filters, search).

#include <atrium/sdk.hpp>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sales {

using atrium::sdk::Db;
using atrium::sdk::HttpError;
using atrium::sdk::Json;
using atrium::sdk::Request;

// ---- dates (UTC, proleptic Gregorian) --------------------------------------------------------

/// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm).
inline std::int64_t daysFromCivil(int y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
    int y;
    unsigned m, d;
};
inline Civil civilFromDays(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<int>(y + (m <= 2)), m, d};
}

inline std::string formatDate(std::int64_t days) {
    const auto c = civilFromDays(days);
    char b[11];
    std::snprintf(b, sizeof b, "%04d-%02u-%02u", c.y, c.m, c.d);
    return b;
}
inline std::string formatDateTime(std::int64_t seconds) {
    const std::int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
    const std::int64_t rest = seconds - days * 86400;
    char b[20];
    const auto c = civilFromDays(days);
    std::snprintf(b, sizeof b, "%04d-%02u-%02u %02d:%02d:%02d", c.y, c.m, c.d, static_cast<int>(rest / 3600), static_cast<int>(rest / 60 % 60),
                  static_cast<int>(rest % 60));
    return b;
}

/// Parses 'YYYY-MM-DD' (optionally followed by a time) into days; nullopt when invalid.
inline std::optional<std::int64_t> parseDate(std::string_view s) {
    if (s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
    for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (s[static_cast<std::size_t>(i)] < '0' || s[static_cast<std::size_t>(i)] > '9') return std::nullopt;
    const int y = std::stoi(std::string(s.substr(0, 4)));
    const unsigned m = static_cast<unsigned>(std::stoi(std::string(s.substr(5, 2))));
    const unsigned d = static_cast<unsigned>(std::stoi(std::string(s.substr(8, 2))));
    if (m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
    const auto days = daysFromCivil(y, m, d);
    const auto back = civilFromDays(days);
    if (back.m != m || back.d != d) return std::nullopt; // 2026-02-30
    return days;
}

/// Seconds since the epoch of 'YYYY-MM-DD HH:MM:SS' (time optional).
inline std::optional<std::int64_t> parseDateTime(std::string_view s) {
    auto days = parseDate(s);
    if (!days) return std::nullopt;
    std::int64_t secs = *days * 86400;
    if (s.size() >= 19) secs += std::stoi(std::string(s.substr(11, 2))) * 3600 + std::stoi(std::string(s.substr(14, 2))) * 60 + std::stoi(std::string(s.substr(17, 2)));
    return secs;
}

inline std::int64_t nowSeconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
inline std::string nowText() { return formatDateTime(nowSeconds()); }
inline std::int64_t today() { return nowSeconds() / 86400; }

/// First day of the month / quarter containing `days`, and the first day after it.
struct Period {
    std::string type; ///< month | quarter
    std::int64_t start = 0, end = 0;
};
inline Period periodOf(const std::string& type, std::int64_t days) {
    auto c = civilFromDays(days);
    unsigned firstMonth = type == "quarter" ? (c.m - 1) / 3 * 3 + 1 : c.m;
    const auto start = daysFromCivil(c.y, firstMonth, 1);
    unsigned endMonth = firstMonth + (type == "quarter" ? 3 : 1);
    int endYear = c.y;
    if (endMonth > 12) {
        endMonth -= 12;
        ++endYear;
    }
    return {type, start, daysFromCivil(endYear, endMonth, 1)};
}

// ---- money -------------------------------------------------------------------------------------

inline double round2(double v) { return std::round(v * 100.0) / 100.0; }

inline const std::set<std::string>& currencies() {
    static const std::set<std::string> c = {"CNY", "USD", "EUR", "HKD", "JPY", "GBP", "SGD"};
    return c;
}

// ---- validation ------------------------------------------------------------------------------

/// Collects field problems and answers 422 with all of them at once. The checks are the SDK's
/// field rules (atrium/sdk/fields.hpp), so sales validates exactly as the core and every other
/// module does; these helpers only read a field out of a request body.
class Problems : public atrium::sdk::Problems {
public:
    void throwIfAny() const {
        if (!empty()) throw HttpError::validation(fields());
    }

    /// Text of at most `max` characters; nullopt when absent/empty (and `required` adds a problem).
    std::optional<std::string> text(const Json& body, const std::string& field, bool required, std::size_t max) {
        return asText(check(body, rule(field, FieldKind::Text, required, max)));
    }
    std::optional<std::string> oneOf(const Json& body, const std::string& field, bool required, const std::vector<std::string>& allowed) {
        auto r = rule(field, FieldKind::Text, required, 64);
        r.allowed = allowed;
        return asText(check(body, r));
    }
    std::optional<std::int64_t> integer(const Json& body, const std::string& field, bool required, std::int64_t min, std::int64_t max) {
        auto r = rule(field, FieldKind::Integer, required, 0);
        r.min = static_cast<double>(min);
        r.max = static_cast<double>(max);
        const auto v = check(body, r);
        if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
        return std::nullopt;
    }
    std::optional<double> number(const Json& body, const std::string& field, bool required, double min, double max) {
        auto r = rule(field, FieldKind::Number, required, 0);
        r.min = min;
        r.max = max;
        const auto v = check(body, r);
        if (const auto* d = std::get_if<double>(&v)) return *d;
        return std::nullopt;
    }
    std::optional<std::string> date(const Json& body, const std::string& field, bool required) {
        return asText(check(body, rule(field, FieldKind::Date, required, 10)));
    }
    std::optional<std::string> email(const Json& body, const std::string& field) {
        return asText(check(body, rule(field, FieldKind::Email, false, 254)));
    }

private:
    using FieldKind = atrium::sdk::FieldKind;
    static atrium::sdk::FieldRule rule(const std::string& field, FieldKind kind, bool required, std::size_t max) {
        atrium::sdk::FieldRule r;
        r.name = field;
        r.kind = kind;
        r.required = required;
        r.maxLength = max;
        return r;
    }
    atrium::sdk::FieldValue check(const Json& body, const atrium::sdk::FieldRule& r) {
        const auto it = body.find(r.name);
        return atrium::sdk::validateField(r, it == body.end() ? Json() : *it, *this);
    }
    static std::optional<std::string> asText(const atrium::sdk::FieldValue& v) {
        if (const auto* s = std::get_if<std::string>(&v)) return *s;
        return std::nullopt;
    }
};

/// Refuses fields the resource does not accept (like the core: unknown fields are a 400, not
/// silently dropped).
inline void onlyFields(const Json& body, const std::set<std::string>& allowed) {
    for (const auto& [key, value] : body.items())
        if (!allowed.contains(key)) throw HttpError::badRequest("The field '" + key + "' cannot be set.");
}

/// The version sent with an update (409 protection); 422 when missing.
inline std::int64_t requireVersion(const Json& body) {
    if (!body.contains("version") || !body["version"].is_number_integer())
        throw HttpError::validation({{"version", "Send the record's version you edited, so concurrent edits are not lost."}});
    return body["version"].get<std::int64_t>();
}

/// `values` with "id" first.
inline Json withId(std::int64_t id, const Json& values) {
    Json out = {{"id", id}};
    for (const auto& [k, v] : values.items()) out[k] = v;
    return out;
}

// ---- lists -----------------------------------------------------------------------------------

struct Filter {
    std::string column; ///< "o.status"
    bool integer = false;
};

/// How a list route reads its query string; mirrors platform/customers/Crud.cpp.
struct ListSpec {
    std::string from;                        ///< "sales_opportunities o LEFT JOIN …"
    std::string select;                      ///< column list
    std::string permission;                  ///< for the scope predicate
    std::string ownerColumn, departmentColumn;
    std::map<std::string, std::string> sorts; ///< public name -> column
    std::string defaultSort;                 ///< public name
    std::string idColumn;                    ///< "o.id": tie-breaker
    std::map<std::string, Filter> filters;   ///< query parameter -> column
    std::vector<std::string> search;         ///< columns ?q= looks in
    std::map<std::string, std::string> ranges; ///< "closing_from" -> "o.expected_close_date >= ?"
};

using atrium::sdk::escapeLike;

using Param = std::variant<std::int64_t, double, std::string>;

inline void bindParams(atrium::sdk::Statement& st, const std::vector<Param>& params, int first = 1) {
    int i = first;
    for (const auto& p : params) std::visit([&](const auto& v) { st.bind(i++, v); }, p);
}

inline std::int64_t parseInt(const std::string& name, std::string_view v) {
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size()) throw HttpError::badRequest("The parameter '" + name + "' must be a whole number.");
    return n;
}

/// Runs a list: {"items", "total", "limit", "offset"}. `rowJson` turns a row into an item.
template <class F>
Json runList(const Request& req, Db& db, const ListSpec& spec, F&& rowJson) {
    const auto limit = req.queryInt("limit", 50, 1, 200);
    const auto offset = req.queryInt("offset", 0, 0, 100000000);
    const std::string order = req.query("order", "asc");
    if (order != "asc" && order != "desc") throw HttpError::badRequest("The parameter 'order' must be asc or desc.");
    const std::string sortName = req.query("sort", spec.defaultSort);
    auto sortIt = spec.sorts.find(sortName);
    if (sortIt == spec.sorts.end()) throw HttpError::badRequest("The list cannot be sorted by '" + sortName + "'.");

    std::string where = " WHERE 1=1";
    std::vector<Param> params;
    if (!spec.ownerColumn.empty() || !spec.departmentColumn.empty()) {
        const auto scope = req.scopeFilter(spec.permission, spec.ownerColumn, spec.departmentColumn);
        where = " WHERE " + scope.sql;
        for (const auto& p : scope.params) params.push_back(p);
    }
    const atrium_request* raw = req.raw();
    for (std::size_t i = 0; i < raw->query_param_count; ++i) {
        const std::string key(raw->query_params[i].name.data, raw->query_params[i].name.size);
        const std::string value(raw->query_params[i].value.data, raw->query_params[i].value.size);
        if (key == "limit" || key == "offset" || key == "sort" || key == "order") continue;
        if (key == "q") {
            if (value.size() > 200) throw HttpError::badRequest("The search text is longer than 200 characters.");
            if (value.empty() || spec.search.empty()) continue;
            std::string clause;
            for (const auto& col : spec.search) {
                clause += (clause.empty() ? "" : " OR ") + col + " LIKE ? ESCAPE '!'";
                params.emplace_back("%" + escapeLike(value) + "%");
            }
            where += " AND (" + clause + ")";
            continue;
        }
        if (auto r = spec.ranges.find(key); r != spec.ranges.end()) {
            if (!parseDate(value)) throw HttpError::badRequest("The parameter '" + key + "' must be a date as YYYY-MM-DD.");
            where += " AND " + r->second;
            params.emplace_back(value);
            continue;
        }
        auto f = spec.filters.find(key);
        if (f == spec.filters.end()) throw HttpError::badRequest("The list cannot be filtered by '" + key + "'.");
        where += " AND " + f->second.column + " = ?";
        if (f->second.integer) params.emplace_back(parseInt(key, value));
        else params.emplace_back(value);
    }
    std::int64_t total = 0;
    {
        // Finalized before the page query runs (a MySQL connection streams one result at a time).
        auto count = db.prepare("SELECT COUNT(*) FROM " + spec.from + where);
        bindParams(count, params);
        if (count.step()) total = count.row().i64(0);
    }
    auto st = db.prepare("SELECT " + spec.select + " FROM " + spec.from + where + " ORDER BY " + sortIt->second + " " + order +
                         (sortIt->second == spec.idColumn ? "" : ", " + spec.idColumn + " " + order) + " LIMIT " + std::to_string(limit) +
                         " OFFSET " + std::to_string(offset));
    bindParams(st, params);
    Json items = Json::array();
    while (st.step()) items.push_back(rowJson(st.row()));
    return {{"items", items}, {"total", total}, {"limit", limit}, {"offset", offset}};
}

/// The owner's department and whether the caller may write records for that owner under
/// `permission`: own scope only for themself, department scope for owners in their subtree.
struct OwnerInfo {
    std::int64_t id = 0;
    std::optional<std::int64_t> department;
};
inline OwnerInfo checkOwner(const Request& req, Db& db, std::int64_t owner, const std::string& permission, Problems& problems) {
    OwnerInfo info{owner, std::nullopt};
    bool found = false;
    for (auto row : db.query("SELECT department_id FROM users WHERE id = ? AND active = 1", owner)) {
        found = true;
        info.department = row.optI64(0);
    }
    if (!found) {
        problems.add("owner_id", "No active user has this id.");
        return info;
    }
    if (owner == req.userId()) return info;
    // Another owner: the caller's write scope must cover that user.
    const auto filter = req.scopeFilter(permission, "u.id", "u.department_id");
    auto st = db.prepare("SELECT u.id FROM users u WHERE u.id = ? AND " + filter.sql);
    st.bind(1, owner);
    filter.bind(st, 2);
    if (!st.step()) throw HttpError::forbidden("You may not assign records to that owner.");
    return info;
}

} // namespace sales
