#pragma once
// Turns a principal's scope for a permission into an SQL predicate, so list, get, update,
// delete, export and report queries all filter the same way.

#include "identity/Principal.h"
#include "store/Value.h"

#include <string>

namespace atrium::identity {

struct ScopePredicate {
    std::string sql;          ///< "1=1", "0=1", or a predicate with '?' placeholders
    store::Values params;     ///< values for those placeholders, in order
};

/// Predicate restricting rows to what `principal` may reach under `permission`.
/// `ownerColumn` and `departmentColumn` are trusted column expressions ("a.owner_id").
/// Own: owner = me. Department: the row's department lies in my department's subtree (or I own it).
ScopePredicate scopePredicate(const Principal& principal, const std::string& permission,
                              const std::string& ownerColumn, const std::string& departmentColumn);

/// Whether one record (owner, department path) is within scope.
bool inScope(const Principal& principal, const std::string& permission, std::int64_t ownerId,
             const std::string& departmentPath);

} // namespace atrium::identity
