#pragma once
// Who is making a request and what they may do. Every HTTP request carries one (an anonymous
// principal for public routes); plugins see it through the host API.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace atrium::identity {

/// Record scope a permission is granted with. Ordered: a wider scope compares greater.
enum class Scope { None = 0, Own = 1, Department = 2, All = 3 };
const char* scopeName(Scope s);
Scope parseScope(const std::string& s); ///< throws std::invalid_argument

struct Principal {
    std::int64_t userId = 0;          ///< 0 = anonymous
    std::string email;
    std::string displayName;
    std::int64_t departmentId = 0;
    std::string departmentPath;       ///< materialised path of the user's department, "/1/4/"
    std::string locale = "en";
    std::vector<std::string> roles;
    std::map<std::string, Scope> permissions; ///< permission -> widest scope granted
    std::set<std::string> deniedFields;       ///< "acme.invoice.total", "core.account.phone"
    std::int64_t sessionId = 0;       ///< 0 when authenticated by API token
    std::int64_t apiTokenId = 0;
    bool viaApiToken = false;

    bool authenticated() const { return userId != 0; }
    bool isAdmin() const;
    /// Widest scope granted for `permission`; Scope::None when not granted.
    Scope scope(const std::string& permission) const;
    bool can(const std::string& permission) const { return scope(permission) != Scope::None; }
    bool fieldDenied(const std::string& field) const { return deniedFields.count(field) != 0; }
};

} // namespace atrium::identity
