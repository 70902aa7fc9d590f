#include "customers/Crud.h"

#include "identity/RecordScope.h"

#include <algorithm>
#include <set>

namespace atrium::customers {

using http::HttpError;
using http::Json;
using identity::Principal;
using identity::Scope;
using store::Value;
using store::Values;

namespace {

constexpr std::int64_t kMaxLimit = 200;
const std::set<std::string> kSystemColumns = {"id", "owner_id", "department_id", "version", "created_at", "updated_at"};

std::int64_t parseIntParam(const std::string& name, const std::string& v, std::int64_t lo, std::int64_t hi) {
    try {
        std::size_t pos = 0;
        const auto n = std::stoll(v, &pos);
        if (pos == v.size() && n >= lo && n <= hi) return n;
    } catch (...) {
    }
    throw HttpError::badRequest("The parameter '" + name + "' must be a whole number from " + std::to_string(lo) + " to " +
                                std::to_string(hi) + ".");
}

Json valueJson(const Value& v) {
    if (auto i = std::get_if<std::int64_t>(&v)) return *i;
    if (auto d = std::get_if<double>(&v)) return *d;
    if (auto s = std::get_if<std::string>(&v)) return *s;
    return nullptr;
}

// A reference may only name a row the caller can read: linking to a record out of scope would
// write onto its timeline and confirm that it exists (same answer as a missing row).
bool referenceReadable(store::Connection& c, const Principal& p, const FieldSpec& f, const Value& v) {
    if (f.referencePermission.empty()) return c.queryScalar("SELECT id FROM " + f.referenceTable + " WHERE id = ?", {v}).has_value();
    auto scope = identity::scopePredicate(p, f.referencePermission, "r.owner_id", "r.department_id");
    Values params = {v};
    params.insert(params.end(), scope.params.begin(), scope.params.end());
    return c.queryScalar("SELECT r.id FROM " + f.referenceTable + " r WHERE r.id = ? AND " + scope.sql, params).has_value();
}

} // namespace

void appendTimeline(store::Connection& c, const store::Dialect& d, const std::string& entityType, std::int64_t entityId,
                    std::int64_t accountId, const std::string& kind, const std::string& title, const Json& body,
                    std::int64_t actorId, const std::string& source) {
    c.execute("INSERT INTO timeline_events (entity_type, entity_id, account_id, kind, title, body, actor_id, source, occurred_at) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, " + d.nowUtc() + ")",
              {entityType, entityId, accountId ? Value{accountId} : Value{nullptr}, kind, title.substr(0, 250),
               body.is_null() ? Value{nullptr} : Value{body.dump()}, actorId ? Value{actorId} : Value{nullptr}, source});
}

CrudResource::CrudResource(EntitySpec spec, store::DatabasePtr db, identity::Audit& audit)
    : _spec(std::move(spec)), _db(std::move(db)), _audit(audit) {}

std::vector<std::string> CrudResource::visibleColumns(const Principal& p) const {
    std::vector<std::string> cols = {"id"};
    for (const auto& f : _spec.fields)
        if (!p.fieldDenied(fieldKey(f.name))) cols.push_back(f.name);
    for (const char* s : {"owner_id", "department_id", "version", "created_at", "updated_at"}) cols.emplace_back(s);
    return cols;
}

Json CrudResource::rowJson(const Principal&, const std::vector<std::string>& columns, const Values& row) const {
    Json j = Json::object();
    for (std::size_t i = 0; i < columns.size() && i < row.size(); ++i) j[columns[i]] = valueJson(row[i]);
    return j;
}

std::optional<Values> CrudResource::loadScoped(store::Connection& c, const Principal& p, const std::string& perm, std::int64_t id,
                                               const std::vector<std::string>& columns) {
    auto scope = identity::scopePredicate(p, perm, "t.owner_id", "t.department_id");
    std::string sql = "SELECT ";
    for (std::size_t i = 0; i < columns.size(); ++i) sql += (i ? ", t." : "t.") + columns[i];
    sql += " FROM " + _spec.table + " t WHERE t.id = ? AND " + scope.sql;
    Values params = {id};
    params.insert(params.end(), scope.params.begin(), scope.params.end());
    auto rows = c.queryAll(sql, params);
    if (rows.empty()) return std::nullopt;
    return rows[0];
}

Json CrudResource::list(const http::Request& req, const std::string& extraWhere, const Values& extraParams) {
    const auto& p = req.principal;
    const auto cols = visibleColumns(p);
    std::int64_t limit = 50, offset = 0;
    std::string sort = _spec.defaultSort, order = "asc";
    std::vector<std::string> where;
    Values params;
    auto scope = identity::scopePredicate(p, _spec.permission + ".read", "t.owner_id", "t.department_id");
    where.push_back(scope.sql);
    params.insert(params.end(), scope.params.begin(), scope.params.end());
    if (!extraWhere.empty()) {
        where.push_back(extraWhere);
        params.insert(params.end(), extraParams.begin(), extraParams.end());
    }
    for (const auto& [key, value] : req.query) {
        if (key == "limit") limit = parseIntParam(key, value, 1, kMaxLimit);
        else if (key == "offset") offset = parseIntParam(key, value, 0, 100000000);
        else if (key == "order") {
            if (value != "asc" && value != "desc") throw HttpError::badRequest("The parameter 'order' must be asc or desc.");
            order = value;
        } else if (key == "sort") {
            const bool sys = value == "id" || value == "created_at" || value == "updated_at";
            auto it = std::find_if(_spec.fields.begin(), _spec.fields.end(), [&](const FieldSpec& f) { return f.name == value && f.sortable; });
            if (!sys && it == _spec.fields.end())
                throw HttpError::badRequest("The list cannot be sorted by '" + value + "'.");
            if (!sys && p.fieldDenied(fieldKey(value))) throw HttpError::forbidden("You may not sort by the field '" + value + "'.");
            sort = value;
        } else if (key == "q") {
            if (value.size() > 200) throw HttpError::badRequest("The search text is longer than 200 characters.");
            std::vector<std::string> ors;
            for (const auto& f : _spec.fields) {
                if (!f.searchable || p.fieldDenied(fieldKey(f.name))) continue;
                ors.push_back("t." + f.name + " LIKE ? ESCAPE '!'");
                params.push_back("%" + sdk::escapeLike(value) + "%");
            }
            if (!ors.empty()) {
                std::string clause = "(";
                for (std::size_t i = 0; i < ors.size(); ++i) clause += (i ? " OR " : "") + ors[i];
                where.push_back(clause + ")");
            }
        } else if (key == "owner_id" || key == "department_id") {
            where.push_back("t." + key + " = ?");
            params.push_back(parseIntParam(key, value, 1, INT64_MAX));
        } else {
            auto it = std::find_if(_spec.fields.begin(), _spec.fields.end(), [&](const FieldSpec& f) { return f.name == key; });
            if (it == _spec.fields.end() || !it->filterable)
                throw HttpError::badRequest("The list cannot be filtered by '" + key + "'.");
            if (p.fieldDenied(fieldKey(key))) throw HttpError::forbidden("You may not filter by the field '" + key + "'.");
            where.push_back("t." + key + " = ?");
            if (it->type == FieldSpec::Type::Integer || it->type == FieldSpec::Type::Reference)
                params.push_back(parseIntParam(key, value, INT64_MIN, INT64_MAX));
            else
                params.push_back(value);
        }
    }
    std::string whereSql;
    for (std::size_t i = 0; i < where.size(); ++i) whereSql += (i ? " AND " : " WHERE ") + where[i];
    auto c = _db->acquire();
    const auto total = store::asInt(*c->queryScalar("SELECT COUNT(*) FROM " + _spec.table + " t" + whereSql, params));
    std::string sql = "SELECT ";
    for (std::size_t i = 0; i < cols.size(); ++i) sql += (i ? ", t." : "t.") + cols[i];
    sql += " FROM " + _spec.table + " t" + whereSql + " ORDER BY t." + sort + " " + order + (sort == "id" ? "" : ", t.id " + order) +
           " LIMIT " + std::to_string(limit) + " OFFSET " + std::to_string(offset);
    Json items = Json::array();
    for (auto& row : c->queryAll(sql, params)) items.push_back(rowJson(p, cols, row));
    return {{"items", items}, {"total", total}, {"limit", limit}, {"offset", offset}};
}

Json CrudResource::get(const http::Request& req, std::int64_t id) {
    const auto cols = visibleColumns(req.principal);
    auto c = _db->acquire();
    auto row = loadScoped(*c, req.principal, _spec.permission + ".read", id, cols);
    // Out of scope answers like absent: a 403 would confirm the record exists.
    if (!row) throw HttpError::notFound("The " + _spec.name);
    return rowJson(req.principal, cols, *row);
}

sdk::FieldRule FieldSpec::rule() const {
    using T = FieldSpec::Type;
    sdk::FieldRule r;
    r.name = name;
    r.required = required;
    r.maxLength = maxLength ? maxLength : 255;
    r.allowed = allowed;
    switch (type) {
    case T::Text: r.kind = sdk::FieldKind::Text; break;
    case T::Integer: r.kind = sdk::FieldKind::Integer; break;
    case T::Real: r.kind = sdk::FieldKind::Number; break;
    case T::Date: r.kind = sdk::FieldKind::Date; break;
    case T::Email: r.kind = sdk::FieldKind::Email; break;
    case T::Url: r.kind = sdk::FieldKind::Url; break;
    case T::Reference: r.kind = sdk::FieldKind::Reference; break;
    }
    return r;
}

Value CrudResource::validate(const FieldSpec& f, const Json& v, sdk::Problems& problems) const {
    const auto value = sdk::validateField(f.rule(), v, problems);
    if (const auto* i = std::get_if<std::int64_t>(&value)) return *i;
    if (const auto* d = std::get_if<double>(&value)) return *d;
    if (const auto* t = std::get_if<std::string>(&value)) return *t;
    return nullptr;
}

std::int64_t CrudResource::insert(store::Connection& c, const Principal& p, const Json& body, const WriteContext& context) {
    if (!body.is_object()) throw HttpError::badRequest("The " + _spec.name + " must be a JSON object.");
    sdk::Problems problems;
    std::vector<std::string> cols;
    Values vals;
    for (const auto& [key, value] : body.items()) {
        if (key == "owner_id" || key == "department_id") continue;
        auto it = std::find_if(_spec.fields.begin(), _spec.fields.end(), [&](const FieldSpec& f) { return f.name == key; });
        if (it == _spec.fields.end() || !it->writable) throw HttpError::badRequest("The field '" + key + "' cannot be set.");
        if (p.fieldDenied(fieldKey(key))) throw HttpError::forbidden("You may not set the field '" + key + "'.");
    }
    for (const auto& f : _spec.fields) {
        if (!f.writable) continue;
        const Json v = body.contains(f.name) ? body[f.name] : Json(nullptr);
        auto value = validate(f, v, problems);
        if (!body.contains(f.name) && !f.required) continue;
        cols.push_back(f.name);
        vals.push_back(value);
    }
    std::int64_t owner = p.userId;
    if (body.contains("owner_id")) {
        if (!body["owner_id"].is_number_integer()) problems.add("owner_id", "Enter a user id.");
        else owner = body["owner_id"].get<std::int64_t>();
    }
    if (!problems.empty()) throw HttpError::validation(problems.fields());
    for (std::size_t i = 0; i < cols.size(); ++i) {
        auto it = std::find_if(_spec.fields.begin(), _spec.fields.end(), [&](const FieldSpec& f) { return f.name == cols[i]; });
        if (it->type == FieldSpec::Type::Reference && !store::isNull(vals[i])) {
            // The referenced record must exist and be readable by the caller.
            if (!referenceReadable(c, p, *it, vals[i])) problems.add(cols[i], "No record has this id.");
        }
    }
    auto ownerRow = c.queryAll("SELECT u.department_id, d.path FROM users u LEFT JOIN departments d ON d.id = u.department_id "
                               "WHERE u.id = ? AND u.active = 1",
                               {owner});
    if (ownerRow.empty()) problems.add("owner_id", "No active user has this id.");
    if (!problems.empty()) throw HttpError::validation(problems.fields());
    if (!identity::inScope(p, _spec.permission + ".write", owner, store::asText(ownerRow[0][1])))
        throw HttpError::forbidden("You may not create records for that owner.");
    const auto dept = ownerRow[0][0];
    std::string sql = "INSERT INTO " + _spec.table + " (";
    std::string marks;
    for (const auto& col : cols) {
        sql += col + ", ";
        marks += "?, ";
    }
    const auto now = _db->dialect().nowUtc();
    sql += "owner_id, department_id, version, created_at, updated_at) VALUES (" + marks + "?, ?, 1, " + now + ", " + now + ")";
    Values params = vals;
    params.push_back(owner);
    params.push_back(dept);
    const auto id = c.insert(sql, params);
    Json newValues = Json::object();
    for (std::size_t i = 0; i < cols.size(); ++i) newValues[cols[i]] = valueJson(vals[i]);
    newValues["owner_id"] = owner;
    if (context.source != "core") newValues["created_by_plugin"] = context.source;
    auto audit = identity::AuditEntry::by(p, "create", _spec.name, id);
    audit.newValues = newValues;
    audit.clientAddress = context.clientAddress;
    audit.requestId = context.requestId;
    _audit.record(c, audit);
    if (!_spec.accountColumn.empty()) {
        std::int64_t account = _spec.accountColumn == "id" ? id : 0;
        for (std::size_t i = 0; i < cols.size(); ++i)
            if (cols[i] == _spec.accountColumn && !store::isNull(vals[i])) account = store::asInt(vals[i]);
        appendTimeline(c, _db->dialect(), _spec.name, id, account, _spec.name + ".created", _spec.name + " created", newValues, p.userId,
                       context.source);
    }
    return id;
}

Json CrudResource::create(http::Request& req) {
    const auto& p = req.principal;
    const auto body = req.jsonBody();
    auto c = _db->acquire();
    store::Transaction tx(*c);
    const auto id = insert(*c, p, body, {req.requestId, req.clientAddress, "core"});
    tx.commit();
    const auto outCols = visibleColumns(p);
    auto created = loadScoped(*c, p, _spec.permission + ".read", id, outCols);
    return created ? rowJson(p, outCols, *created) : Json{{"id", id}};
}

Json CrudResource::update(http::Request& req, std::int64_t id) {
    const auto& p = req.principal;
    const auto body = req.jsonBody();
    if (!body.contains("version") || !body["version"].is_number_integer())
        throw HttpError::validation({{"version", "Send the record's version you edited, so concurrent edits are not lost."}});
    const auto version = body["version"].get<std::int64_t>();
    sdk::Problems problems;
    std::vector<std::string> cols;
    Values vals;
    std::optional<std::int64_t> newOwner;
    for (const auto& [key, value] : body.items()) {
        if (key == "version" || key == "id") continue;
        if (key == "owner_id") {
            if (!value.is_number_integer()) problems.add("owner_id", "Enter a user id.");
            else newOwner = value.get<std::int64_t>();
            continue;
        }
        auto it = std::find_if(_spec.fields.begin(), _spec.fields.end(), [&](const FieldSpec& f) { return f.name == key; });
        if (it == _spec.fields.end() || !it->writable) throw HttpError::badRequest("The field '" + key + "' cannot be set.");
        if (p.fieldDenied(fieldKey(key))) throw HttpError::forbidden("You may not set the field '" + key + "'.");
        auto v = validate(*it, value, problems);
        cols.push_back(key);
        vals.push_back(v);
    }
    if (!problems.empty()) throw HttpError::validation(problems.fields());
    auto c = _db->acquire();
    store::Transaction tx(*c);
    std::vector<std::string> all = {"id"};
    for (const auto& f : _spec.fields) all.push_back(f.name);
    all.insert(all.end(), {"owner_id", "department_id", "version"});
    auto before = loadScoped(*c, p, _spec.permission + ".write", id, all);
    if (!before) {
        // Readable but not writable is a 403; not even readable stays a 404.
        if (loadScoped(*c, p, _spec.permission + ".read", id, {"id"})) throw HttpError::forbidden("You may not change this " + _spec.name + ".");
        throw HttpError::notFound("The " + _spec.name);
    }
    for (std::size_t i = 0; i < cols.size(); ++i) {
        auto it = std::find_if(_spec.fields.begin(), _spec.fields.end(), [&](const FieldSpec& f) { return f.name == cols[i]; });
        if (it->type == FieldSpec::Type::Reference && !store::isNull(vals[i]) && !referenceReadable(*c, p, *it, vals[i]))
            throw HttpError::validation({{cols[i], "No record has this id."}});
    }
    std::string sql = "UPDATE " + _spec.table + " SET ";
    Values params;
    for (std::size_t i = 0; i < cols.size(); ++i) {
        sql += cols[i] + " = ?, ";
        params.push_back(vals[i]);
    }
    if (newOwner) {
        auto ownerRow = c->queryAll("SELECT u.department_id, d.path FROM users u LEFT JOIN departments d ON d.id = u.department_id "
                                    "WHERE u.id = ? AND u.active = 1",
                                    {*newOwner});
        if (ownerRow.empty()) throw HttpError::validation({{"owner_id", "No active user has this id."}});
        if (!identity::inScope(p, _spec.permission + ".write", *newOwner, store::asText(ownerRow[0][1])))
            throw HttpError::forbidden("You may not hand this record to that owner.");
        sql += "owner_id = ?, department_id = ?, ";
        params.push_back(*newOwner);
        params.push_back(ownerRow[0][0]);
    }
    sql += "version = version + 1, updated_at = " + _db->dialect().nowUtc() + " WHERE id = ? AND version = ?";
    params.push_back(id);
    params.push_back(version);
    if (c->execute(sql, params) == 0)
        throw HttpError::conflict("This " + _spec.name + " was changed by someone else (your version " + std::to_string(version) +
                                  " is stale); reload it and apply your change again.");
    Json oldValues = Json::object(), newValues = Json::object();
    for (std::size_t i = 0; i < cols.size(); ++i) {
        auto idx = std::find(all.begin(), all.end(), cols[i]) - all.begin();
        oldValues[cols[i]] = valueJson((*before)[static_cast<std::size_t>(idx)]);
        newValues[cols[i]] = valueJson(vals[i]);
    }
    if (newOwner) {
        oldValues["owner_id"] = valueJson((*before)[all.size() - 3]);
        newValues["owner_id"] = *newOwner;
    }
    auto audit = identity::AuditEntry::by(p, "update", _spec.name, id);
    audit.oldValues = oldValues;
    audit.newValues = newValues;
    audit.clientAddress = req.clientAddress;
    audit.requestId = req.requestId;
    _audit.record(*c, audit);
    if (!_spec.accountColumn.empty()) {
        auto idx = std::find(all.begin(), all.end(), _spec.accountColumn) - all.begin();
        appendTimeline(*c, _db->dialect(), _spec.name, id, store::asInt((*before)[static_cast<std::size_t>(idx)]), _spec.name + ".updated",
                       _spec.name + " updated", newValues, p.userId, "core");
    }
    tx.commit();
    const auto outCols = visibleColumns(p);
    auto after = loadScoped(*c, p, _spec.permission + ".read", id, outCols);
    return after ? rowJson(p, outCols, *after) : Json{{"id", id}};
}

void CrudResource::remove(http::Request& req, std::int64_t id) {
    const auto& p = req.principal;
    auto c = _db->acquire();
    store::Transaction tx(*c);
    std::vector<std::string> all = {"id"};
    for (const auto& f : _spec.fields) all.push_back(f.name);
    all.insert(all.end(), {"owner_id", "department_id", "version"});
    auto before = loadScoped(*c, p, _spec.permission + ".delete", id, all);
    if (!before) {
        if (loadScoped(*c, p, _spec.permission + ".read", id, {"id"})) throw HttpError::forbidden("You may not delete this " + _spec.name + ".");
        throw HttpError::notFound("The " + _spec.name);
    }
    c->execute("DELETE FROM " + _spec.table + " WHERE id = ?", {id});
    Json oldValues = Json::object();
    for (std::size_t i = 0; i < all.size(); ++i) oldValues[all[i]] = valueJson((*before)[i]);
    auto audit = identity::AuditEntry::by(p, "delete", _spec.name, id);
    audit.oldValues = oldValues;
    audit.clientAddress = req.clientAddress;
    audit.requestId = req.requestId;
    _audit.record(*c, audit);
    tx.commit();
}

void CrudResource::registerRoutes(http::Router& router) {
    const auto& s = _spec;
    auto self = shared_from_this();
    router.add({"GET", s.basePath, s.permission + ".read", false, "core", "", "List " + s.table,
                [self](http::Request& req, http::Response& res) { res.json(self->list(req)); }});
    router.add({"POST", s.basePath, s.permission + ".write", false, "core", "", "Create a " + s.name,
                [self](http::Request& req, http::Response& res) { res.json(self->create(req), 201); }});
    router.add({"GET", s.basePath + "/{id}", s.permission + ".read", false, "core", "", "Get a " + s.name,
                [self](http::Request& req, http::Response& res) { res.json(self->get(req, req.idParam())); }});
    router.add({"PUT", s.basePath + "/{id}", s.permission + ".write", false, "core", "", "Update a " + s.name,
                [self](http::Request& req, http::Response& res) { res.json(self->update(req, req.idParam())); }});
    router.add({"DELETE", s.basePath + "/{id}", s.permission + ".delete", false, "core", "", "Delete a " + s.name,
                [self](http::Request& req, http::Response& res) {
                    self->remove(req, req.idParam());
                    res.json({{"ok", true}});
                }});
}

} // namespace atrium::customers
