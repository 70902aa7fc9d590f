#include "identity/Principal.h"

#include <algorithm>
#include <stdexcept>

namespace atrium::identity {

const char* scopeName(Scope s) {
    switch (s) {
    case Scope::Own: return "own";
    case Scope::Department: return "department";
    case Scope::All: return "all";
    default: return "none";
    }
}

Scope parseScope(const std::string& s) {
    if (s == "own") return Scope::Own;
    if (s == "department") return Scope::Department;
    if (s == "all") return Scope::All;
    if (s == "none") return Scope::None;
    throw std::invalid_argument("unknown scope '" + s + "': use own, department or all");
}

bool Principal::isAdmin() const { return std::find(roles.begin(), roles.end(), "admin") != roles.end(); }

Scope Principal::scope(const std::string& permission) const {
    // "authenticated" is the permission of routes every signed-in user may call (logout, me).
    if (permission == "authenticated") return userId != 0 ? Scope::All : Scope::None;
    auto it = permissions.find(permission);
    if (it != permissions.end()) return it->second;
    // "*" is the administrator's grant of every permission, including those plugins add later.
    auto star = permissions.find("*");
    return star == permissions.end() ? Scope::None : star->second;
}

} // namespace atrium::identity
