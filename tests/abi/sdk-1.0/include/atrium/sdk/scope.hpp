#pragma once
// Record scope: which rows the caller may see under a permission.
//
//     auto filter = req.scopeFilter("hello.greetings.read", "g.owner_id", "g.department_id");
//     auto stmt = db.prepare("SELECT … FROM hello_greetings g WHERE " + filter.sql + " AND g.id > ?");
//     int next = filter.bind(stmt);      // binds the filter's parameters as 1..n
//     stmt.bind(next, since);
//
// The predicate comes from the host, so plugin lists, reports and the core filter alike.

#include <atrium/sdk/db.hpp>

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace atrium::sdk {

/// Ordered: a wider scope compares greater.
enum class Scope { None = ATRIUM_SCOPE_NONE, Own = ATRIUM_SCOPE_OWN, Department = ATRIUM_SCOPE_DEPARTMENT, All = ATRIUM_SCOPE_ALL };

inline Scope scopeOf(const atrium_host_api* api, const atrium_principal* principal, std::string_view permission) {
    const std::string p(permission);
    const int s = api->principal_scope(principal, p.c_str());
    return (s >= ATRIUM_SCOPE_NONE && s <= ATRIUM_SCOPE_ALL) ? static_cast<Scope>(s) : Scope::None;
}

/// An SQL predicate with its '?' parameters.
struct ScopeFilter {
    std::string sql; ///< "1=1", "1=0", or a predicate with '?' placeholders
    std::vector<std::variant<std::int64_t, double, std::string>> params;

    /// Binds the parameters to `statement` starting at `first`; returns the next free index.
    int bind(Statement& statement, int first = 1) const {
        int i = first;
        for (const auto& p : params) std::visit([&](const auto& v) { statement.bind(i++, v); }, p);
        return i;
    }

    static ScopeFilter make(const atrium_host_api* api, const atrium_principal* principal, std::string_view permission,
                            std::string_view ownerColumn, std::string_view departmentColumn) {
        const std::string perm(permission), owner(ownerColumn), dept(departmentColumn);
        atrium_value values[8];
        std::size_t count = 0;
        ScopeFilter out;
        out.sql = detail::readText([&](char* b, std::size_t n, std::size_t* size, atrium_error* e) {
            return api->scope_predicate(api->host, principal, perm.c_str(), owner.empty() ? nullptr : owner.c_str(),
                                        dept.empty() ? nullptr : dept.c_str(), b, n, size, values, 8, &count, e);
        });
        for (std::size_t i = 0; i < count; ++i) {
            switch (values[i].type) {
            case ATRIUM_TYPE_INT: out.params.emplace_back(values[i].int_value); break;
            case ATRIUM_TYPE_DOUBLE: out.params.emplace_back(values[i].double_value); break;
            default: out.params.emplace_back(std::string(values[i].text.data ? values[i].text.data : "", values[i].text.size)); break;
            }
        }
        return out;
    }
};

} // namespace atrium::sdk
