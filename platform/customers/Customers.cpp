// The core's customer domain: accounts, contacts, the department tree and the timeline.

#include "customers/Crud.h"

#include "identity/RecordScope.h"

#include <memory>

namespace atrium::customers {

using http::HttpError;
using http::Json;
using T = FieldSpec::Type;

namespace {

EntitySpec accountSpec() {
    EntitySpec s;
    s.name = "account";
    s.table = "accounts";
    s.permission = "core.account";
    s.basePath = "/api/v1/accounts";
    s.defaultSort = "name";
    s.accountColumn = "id";
    s.fields = {
        {"name", T::Text, true, 200, true, false, true},
        {"industry", T::Text, false, 100, true, true, false},
        {"size_band", T::Text, false, 20, true, true, false, true, {"1-10", "11-50", "51-200", "201-1000", "1000+"}},
        {"employees", T::Integer, false, 0, true, false, false},
        {"region", T::Text, false, 100, true, true, false},
        {"country", T::Text, false, 100, true, true, false},
        {"city", T::Text, false, 100, true, true, true},
        {"website", T::Url, false, 255, false, false, true},
        {"phone", T::Text, false, 50, false, false, true},
    };
    return s;
}

EntitySpec contactSpec() {
    EntitySpec s;
    s.name = "contact";
    s.table = "contacts";
    s.permission = "core.contact";
    s.basePath = "/api/v1/contacts";
    s.defaultSort = "last_name";
    s.accountColumn = "account_id";
    FieldSpec account{"account_id", T::Reference, false, 0, false, true, false};
    account.referenceTable = "accounts";
    account.referencePermission = "core.account.read";
    s.fields = {
        account,
        {"first_name", T::Text, true, 100, true, false, true},
        {"last_name", T::Text, false, 100, true, false, true},
        {"email", T::Email, false, 254, true, true, true},
        {"phone", T::Text, false, 50, false, false, true},
        {"title", T::Text, false, 100, true, false, true},
    };
    return s;
}

Json departmentJson(const store::Values& r) {
    return {{"id", store::asInt(r[0])},
            {"parent_id", store::isNull(r[1]) ? Json(nullptr) : Json(store::asInt(r[1]))},
            {"name", store::asText(r[2])},
            {"name_zh", store::isNull(r[3]) ? Json(nullptr) : Json(store::asText(r[3]))},
            {"code", store::isNull(r[4]) ? Json(nullptr) : Json(store::asText(r[4]))},
            {"path", store::asText(r[5])},
            {"version", store::asInt(r[6])}};
}

void registerDepartments(http::Router& router, store::DatabasePtr db, identity::Audit& audit) {
    router.add({"GET", "/api/v1/departments", "core.department.read", false, "core", "", "The department tree",
                [db](http::Request&, http::Response& res) {
                    auto c = db->acquire();
                    Json items = Json::array();
                    for (auto& r : c->queryAll("SELECT id, parent_id, name, name_zh, code, path, version FROM departments ORDER BY path"))
                        items.push_back(departmentJson(r));
                    res.json({{"items", items}, {"total", items.size()}});
                }});
    router.add({"POST", "/api/v1/departments", "core.department.write", false, "core", "", "Create a department",
                [db, &audit](http::Request& req, http::Response& res) {
                    const auto body = req.jsonBody();
                    for (const auto& [k, _] : body.items())
                        if (k != "name" && k != "name_zh" && k != "code" && k != "parent_id")
                            throw HttpError::badRequest("The field '" + k + "' cannot be set.");
                    Json errors = Json::object();
                    const auto name = body.value("name", std::string());
                    if (name.empty() || name.size() > 200) errors["name"] = "Enter a name of 1 to 200 characters.";
                    if (!body.contains("parent_id") || !body["parent_id"].is_number_integer())
                        errors["parent_id"] = "Choose the parent department.";
                    if (!errors.empty()) throw HttpError::validation(errors);
                    auto c = db->acquire();
                    store::Transaction tx(*c);
                    const auto parent = body["parent_id"].get<std::int64_t>();
                    auto path = c->queryScalar("SELECT path FROM departments WHERE id = ?", {parent});
                    if (!path) throw HttpError::validation({{"parent_id", "No department has this id."}});
                    const auto now = db->dialect().nowUtc();
                    const auto id = c->insert(
                        "INSERT INTO departments (parent_id, name, name_zh, code, path, created_at, updated_at) VALUES (?, ?, ?, ?, '', " +
                            now + ", " + now + ")",
                        {parent, name, body.contains("name_zh") ? store::Value{body["name_zh"].get<std::string>()} : store::Value{nullptr},
                         body.contains("code") ? store::Value{body["code"].get<std::string>()} : store::Value{nullptr}});
                    c->execute("UPDATE departments SET path = ? WHERE id = ?", {store::asText(*path) + std::to_string(id) + "/", id});
                    auto e = identity::AuditEntry::by(req.principal, "create", "department", id);
                    e.newValues = body;
                    e.requestId = req.requestId;
                    audit.record(*c, e);
                    tx.commit();
                    auto rows = c->queryAll("SELECT id, parent_id, name, name_zh, code, path, version FROM departments WHERE id = ?", {id});
                    res.json(departmentJson(rows.at(0)), 201);
                }});
    router.add({"PUT", "/api/v1/departments/{id}", "core.department.write", false, "core", "", "Rename a department",
                [db, &audit](http::Request& req, http::Response& res) {
                    const auto id = req.idParam();
                    const auto body = req.jsonBody();
                    for (const auto& [k, _] : body.items())
                        if (k != "name" && k != "name_zh" && k != "version")
                            throw HttpError::badRequest("The field '" + k + "' cannot be set (moving departments is not supported).");
                    if (!body.contains("version") || !body["version"].is_number_integer())
                        throw HttpError::validation({{"version", "Send the version you edited."}});
                    const auto name = body.value("name", std::string());
                    if (name.empty() || name.size() > 200) throw HttpError::validation({{"name", "Enter a name of 1 to 200 characters."}});
                    auto c = db->acquire();
                    store::Transaction tx(*c);
                    auto before = c->queryAll("SELECT id, parent_id, name, name_zh, code, path, version FROM departments WHERE id = ?", {id});
                    if (before.empty()) throw HttpError::notFound("The department");
                    if (c->execute("UPDATE departments SET name = ?, name_zh = ?, version = version + 1, updated_at = " +
                                       db->dialect().nowUtc() + " WHERE id = ? AND version = ?",
                                   {name, body.contains("name_zh") ? store::Value{body["name_zh"].get<std::string>()} : before[0][3], id,
                                    body["version"].get<std::int64_t>()}) == 0)
                        throw HttpError::conflict("This department was changed by someone else; reload it and try again.");
                    auto e = identity::AuditEntry::by(req.principal, "update", "department", id);
                    e.oldValues = departmentJson(before[0]);
                    e.newValues = body;
                    e.requestId = req.requestId;
                    audit.record(*c, e);
                    tx.commit();
                    auto rows = c->queryAll("SELECT id, parent_id, name, name_zh, code, path, version FROM departments WHERE id = ?", {id});
                    res.json(departmentJson(rows.at(0)));
                }});
}

} // namespace

const EntitySpec& customerSpec(const std::string& kind) {
    static const EntitySpec account = accountSpec(), contact = contactSpec();
    if (kind == "account") return account;
    if (kind == "contact") return contact;
    throw std::invalid_argument("the customer kind \"" + kind + "\" is not \"account\" or \"contact\"");
}

std::int64_t createCustomer(store::DatabasePtr db, identity::Audit& audit, store::Connection& c, const identity::Principal& principal,
                            const std::string& kind, const Json& body, const std::string& source) {
    CrudResource resource(customerSpec(kind), std::move(db), audit);
    return resource.insert(c, principal, body, {"", "", source});
}

void registerCustomerRoutes(http::Router& router, store::DatabasePtr db, identity::Audit& audit) {
    auto acc = std::make_shared<CrudResource>(accountSpec(), db, audit);
    auto con = std::make_shared<CrudResource>(contactSpec(), db, audit);
    acc->registerRoutes(router);
    con->registerRoutes(router);
    router.add({"GET", "/api/v1/accounts/{id}/contacts", "core.contact.read", false, "core", "", "Contacts of an account",
                [acc, con](http::Request& req, http::Response& res) {
                    const auto id = req.idParam();
                    acc->get(req, id); // 404 unless the account is in the caller's scope
                    res.json(con->list(req, "t.account_id = ?", {id}));
                }});
    router.add({"GET", "/api/v1/accounts/{id}/timeline", "core.account.read", false, "core", "", "Timeline of an account",
                [acc, db](http::Request& req, http::Response& res) {
                    const auto id = req.idParam();
                    acc->get(req, id);
                    auto c = db->acquire();
                    Json items = Json::array();
                    for (auto& r : c->queryAll("SELECT id, entity_type, entity_id, kind, title, body, actor_id, source, occurred_at "
                                               "FROM timeline_events WHERE account_id = ? ORDER BY occurred_at DESC, id DESC LIMIT 200",
                                               {id})) {
                        Json body = store::isNull(r[5]) ? Json(nullptr) : Json::parse(store::asText(r[5]), nullptr, false);
                        // Timeline bodies carry field values: drop those the reader may not see.
                        if (body.is_object()) {
                            // Core entity types are bare ("account": key "core.account.phone");
                            // a plugin's carry its id ("acme.invoice": key "acme.invoice.total").
                            const auto type = store::asText(r[1]);
                            const auto prefix = (type.find('.') == std::string::npos ? "core." + type : type) + ".";
                            for (auto it = body.begin(); it != body.end();)
                                it = req.principal.fieldDenied(prefix + it.key()) ? body.erase(it) : std::next(it);
                        }
                        items.push_back({{"id", store::asInt(r[0])},
                                         {"entity_type", store::asText(r[1])},
                                         {"entity_id", store::asInt(r[2])},
                                         {"kind", store::asText(r[3])},
                                         {"title", store::asText(r[4])},
                                         {"body", body.is_discarded() ? Json(nullptr) : body},
                                         {"actor_id", store::isNull(r[6]) ? Json(nullptr) : Json(store::asInt(r[6]))},
                                         {"source", store::asText(r[7])},
                                         {"occurred_at", store::asText(r[8])}});
                    }
                    res.json({{"items", items}});
                }});
    registerDepartments(router, db, audit);
}

} // namespace atrium::customers
