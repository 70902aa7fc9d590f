#include "identity/Audit.h"

#include <Poco/Logger.h>

namespace atrium::identity {

void Audit::record(store::Connection& c, const AuditEntry& e) const {
    auto text = [](const nlohmann::json& j) -> store::Value {
        if (j.is_null()) return nullptr;
        return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    };
    auto optInt = [](std::int64_t v) -> store::Value { return v ? store::Value{v} : store::Value{nullptr}; };
    auto optStr = [](const std::string& v) -> store::Value { return v.empty() ? store::Value{nullptr} : store::Value{v}; };
    c.execute("INSERT INTO audit_log (occurred_at, actor_id, actor_email, action, entity_type, entity_id, outcome, "
              "old_values, new_values, client_address, request_id) VALUES (" +
                  _db->dialect().nowUtc() + ", ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              {optInt(e.actorId), optStr(e.actorEmail), e.action, optStr(e.entityType), optInt(e.entityId), e.outcome,
               text(e.oldValues), text(e.newValues), optStr(e.clientAddress), optStr(e.requestId)});
}

void Audit::recordNow(const AuditEntry& e) const noexcept {
    try {
        auto c = _db->acquire();
        record(*c, e);
    } catch (const std::exception& ex) {
        Poco::Logger::get("atrium.audit").error("req=%s audit write failed for %s: %s", e.requestId, e.action,
                                                std::string(ex.what()));
    }
}

} // namespace atrium::identity
