#pragma once
// Append-only audit trail: logins, authorisation failures, admin changes and record writes,
// with actor, UTC time, entity and old/new values. Record writes are audited on the same
// connection inside the write's transaction, so a write and its audit row commit together.

#include "identity/Principal.h"
#include "store/Database.h"

#include <nlohmann/json.hpp>

#include <string>

namespace atrium::identity {

struct AuditEntry {
    std::int64_t actorId = 0;
    std::string actorEmail;
    std::string action;      ///< "login", "login_failed", "create", "update", "delete", "denied", "admin.role.update" …
    std::string entityType;  ///< "account", "acme.invoice" …
    std::int64_t entityId = 0;
    std::string outcome = "ok"; ///< ok | denied | failed
    nlohmann::json oldValues;
    nlohmann::json newValues;
    std::string clientAddress;
    std::string requestId;

    static AuditEntry by(const Principal& p, std::string action, std::string entityType, std::int64_t entityId) {
        AuditEntry e;
        e.actorId = p.userId;
        e.actorEmail = p.email;
        e.action = std::move(action);
        e.entityType = std::move(entityType);
        e.entityId = entityId;
        return e;
    }
};

class Audit {
public:
    explicit Audit(store::DatabasePtr db) : _db(std::move(db)) {}
    /// Writes on `connection` (inside the caller's transaction).
    void record(store::Connection& connection, const AuditEntry& entry) const;
    /// Writes on a connection of its own; never throws (a failed audit write is logged).
    void recordNow(const AuditEntry& entry) const noexcept;

private:
    store::DatabasePtr _db;
};

} // namespace atrium::identity
