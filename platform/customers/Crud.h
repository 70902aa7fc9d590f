#pragma once
// A scoped, audited REST resource over one table: list (pagination, allow-listed sort, filters,
// search), get, create, update (optimistic concurrency on `version`), delete. Record scope and
// field-level denials of the caller apply to every operation. The core's accounts and contacts
// use it; its conventions are the ones plugins follow.

#include "http/Router.h"
#include "identity/Audit.h"
#include "store/Database.h"

#include <atrium/sdk/fields.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace atrium::customers {

struct FieldSpec {
    enum class Type { Text, Integer, Real, Date, Email, Url, Reference };
    std::string name;
    Type type = Type::Text;
    bool required = false;
    std::size_t maxLength = 255;
    bool sortable = false;
    bool filterable = false;
    bool searchable = false;
    bool writable = true;
    std::vector<std::string> allowed{};  ///< allowed values (empty = any)
    std::string referenceTable{};        ///< for Type::Reference: must name an existing row
    std::string referencePermission{};   ///< read permission whose scope must reach that row ("core.account.read")

    /// The SDK's rule for this field: the host and every plugin validate with the same code.
    sdk::FieldRule rule() const;
};

struct EntitySpec {
    std::string name;        ///< "account": entity type in audit and timeline, and field keys "core.account.<field>"
    std::string table;       ///< "accounts"
    std::string permission;  ///< "core.account": read/write/delete suffixes
    std::string basePath;    ///< "/api/v1/accounts"
    std::vector<FieldSpec> fields;
    std::string defaultSort = "id";
    /// Extra filter for list: e.g. contacts of one account via /accounts/{id}/contacts.
    std::string accountColumn; ///< column holding the account id for timeline events ("id" for accounts)
};

class CrudResource : public std::enable_shared_from_this<CrudResource> {
public:
    CrudResource(EntitySpec spec, store::DatabasePtr db, identity::Audit& audit);
    /// Registers the five routes; the router's handlers keep this resource alive.
    void registerRoutes(http::Router& router);

    http::Json list(const http::Request& request, const std::string& extraWhere = {}, const store::Values& extraParams = {});
    http::Json get(const http::Request& request, std::int64_t id);
    const EntitySpec& spec() const { return _spec; }

    /// Who writes and from where: the audit row and the timeline entry record it.
    struct WriteContext {
        std::string requestId;
        std::string clientAddress;
        std::string source = "core"; ///< "core", or the plugin id creating the record
    };
    /// Validates `body` as POST does and inserts the record on `c` (in the caller's transaction)
    /// with its audit row and timeline entry; returns the new id. Throws HttpError: 400 for a
    /// field that cannot be set, 422 with the field problems, 403 for an owner out of scope.
    std::int64_t insert(store::Connection& c, const identity::Principal& principal, const http::Json& body, const WriteContext& context);

private:
    http::Json rowJson(const identity::Principal& p, const std::vector<std::string>& columns, const store::Values& row) const;
    std::vector<std::string> visibleColumns(const identity::Principal& p) const;
    std::string fieldKey(const std::string& field) const { return "core." + _spec.name + "." + field; }
    store::Value validate(const FieldSpec& f, const http::Json& v, sdk::Problems& problems) const;
    http::Json create(http::Request& request);
    http::Json update(http::Request& request, std::int64_t id);
    void remove(http::Request& request, std::int64_t id);
    std::optional<store::Values> loadScoped(store::Connection& c, const identity::Principal& p, const std::string& perm,
                                            std::int64_t id, const std::vector<std::string>& columns);

    EntitySpec _spec;
    store::DatabasePtr _db;
    identity::Audit& _audit;
};

/// Appends an event to the timeline (on `c`, inside the caller's transaction).
void appendTimeline(store::Connection& c, const store::Dialect& d, const std::string& entityType, std::int64_t entityId,
                    std::int64_t accountId, const std::string& kind, const std::string& title, const http::Json& body,
                    std::int64_t actorId, const std::string& source);

/// Registers accounts, contacts, departments and timeline routes.
void registerCustomerRoutes(http::Router& router, store::DatabasePtr db, identity::Audit& audit);

/// The core's customer entities ("account", "contact"), as the REST routes declare them.
const EntitySpec& customerSpec(const std::string& kind);

/// Creates an account or contact on `c` for a plugin (atrium_host_api.customer_create): the
/// same rules, audit and timeline as POST /api/v1/accounts|contacts. Throws like insert().
std::int64_t createCustomer(store::DatabasePtr db, identity::Audit& audit, store::Connection& c, const identity::Principal& principal,
                            const std::string& kind, const http::Json& body, const std::string& source);

} // namespace atrium::customers
