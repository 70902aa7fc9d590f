#include "identity/RecordScope.h"

namespace atrium::identity {

ScopePredicate scopePredicate(const Principal& p, const std::string& permission, const std::string& ownerColumn,
                              const std::string& departmentColumn) {
    switch (p.scope(permission)) {
    case Scope::All: return {"1=1", {}};
    case Scope::Department:
        // A user without a department has no subtree: department scope narrows to their own
        // records (an empty path would otherwise match every department).
        if (p.departmentPath.empty()) return {"(" + ownerColumn + " = ?)", {p.userId}};
        return {"(" + ownerColumn + " = ? OR " + departmentColumn +
                    " IN (SELECT scope_d.id FROM departments scope_d WHERE scope_d.path LIKE ?))",
                {p.userId, p.departmentPath + "%"}};
    case Scope::Own: return {"(" + ownerColumn + " = ?)", {p.userId}};
    default: return {"0=1", {}};
    }
}

bool inScope(const Principal& p, const std::string& permission, std::int64_t ownerId, const std::string& departmentPath) {
    switch (p.scope(permission)) {
    case Scope::All: return true;
    case Scope::Department:
        return ownerId == p.userId ||
               (!p.departmentPath.empty() && departmentPath.rfind(p.departmentPath, 0) == 0);
    case Scope::Own: return ownerId == p.userId;
    default: return false;
    }
}

} // namespace atrium::identity
