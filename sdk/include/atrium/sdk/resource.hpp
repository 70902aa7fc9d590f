#pragma once
// The resource layer: declare an entity once and get its REST routes with the conventions every
// Atrium record follows — the same ones the core's accounts and contacts use.
//
//     Entity products = Entity("sales.product", "sales_products", "products")
//         .label("Product", "产品")
//         .permissions("sales.product.read", "sales.product.write", "sales.product.write")
//         .shared()                                     // a catalogue: no owner, no record scope
//         .text("code").required().max(50).searchable().sortable().unique()
//         .money("unit_price").required().range(0, 1e10).sortable()
//         .choice("currency", {"CNY", "USD"}).defaultsTo("CNY").filterable();
//     _products = std::make_unique<Resource>(api, products);
//     _products->routes(router());
//
// gives
//   GET    /api/v1/<plugin>/products        ?limit&offset&sort&order&q&<field>=…&<field>_from/_to
//                                            &created_from/_to&updated_from/_to (&owner_id&department_id)
//   POST   /api/v1/<plugin>/products        201 with the record; 422 {"error":{"fields":{…}}}
//   GET    /api/v1/<plugin>/products/{id}   404 outside the caller's scope
//   PUT    /api/v1/<plugin>/products/{id}   partial; needs "version"; 409 when stale;
//          (PATCH is the same)              403 when readable but not writable
//   DELETE /api/v1/<plugin>/products/{id}   204
// and on every write, in one transaction: the row, its audit row, a timeline entry and the event
// "<entity>.created|updated|deleted" (payload {"id", "values"|"changes"}). A role that denies the
// field "<entity>.<field>" (e.g. "sales.lead.email") never sees it in a list or a record, cannot
// sort, filter or search by it (403) and cannot write it (403).
//
// The table has the columns of its fields plus id, version, created_at, updated_at and — unless
// shared() — owner_id and department_id (record scope: own / department subtree / all).
// Hooks add a module's own rules; they run inside the write's transaction.

#include <atrium/sdk/events.hpp>
#include <atrium/sdk/fields.hpp>
#include <atrium/sdk/host.hpp>
#include <atrium/sdk/http.hpp>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace atrium::sdk {

/// One field of an entity: its rule plus how lists, the UI and roles treat it.
struct EntityField {
    FieldRule rule;
    Json label = nullptr;        ///< {"en", "zh-CN"}; null = the name
    bool searchable = false;     ///< ?q= looks in it (text kinds)
    bool sortable = false;
    bool filterable = false;     ///< ?<name>=value, and for dates/numbers ?<name>_from / _to
    bool deniable = false;       ///< a role may hide it ("<entity>.<name>")
    bool writable = true;        ///< false: only hooks set it (computed, or managed by other routes)
    bool createOnly = false;     ///< set on create, refused on update
    bool unique = false;         ///< no two rows share a non-NULL value
    Json defaultValue = nullptr; ///< used on create when the client sends nothing
    std::string refTable;        ///< Reference: the table whose id it holds ("accounts")
    std::string refPermission;   ///< Reference: the read permission whose scope must reach the row
};

/// A value joined from another table for display, e.g. the account's name beside account_id.
struct EntityLookup {
    std::string as;       ///< output name ("account_name")
    std::string field;    ///< local column holding the id ("account_id")
    std::string table;    ///< "accounts"
    std::string column;   ///< "name"
};

/// An entity declaration, built fluently; field modifiers apply to the field added last.
class Entity {
public:
    /// `type` "sales.product" (audit, timeline, events and field keys), `table` "sales_products",
    /// `path` relative to /api/v1/<plugin>/ ("products").
    Entity(std::string type, std::string table, std::string path)
        : _type(std::move(type)), _table(std::move(table)), _path(std::move(path)) {
        const auto dot = _type.rfind('.');
        const std::string base = _type;
        _read = base + ".read";
        _write = base + ".write";
        _delete = base + ".delete";
        _label = {{"en", dot == std::string::npos ? _type : _type.substr(dot + 1)}};
    }

    Entity& label(std::string en, std::string zh) {
        if (_fields.empty()) _label = {{"en", std::move(en)}, {"zh-CN", std::move(zh)}};
        else _fields.back().label = {{"en", std::move(en)}, {"zh-CN", std::move(zh)}};
        return *this;
    }
    /// The permissions of reading, writing (create, update) and deleting.
    Entity& permissions(std::string read, std::string write, std::string remove) {
        _read = std::move(read);
        _write = std::move(write);
        _delete = std::move(remove);
        return *this;
    }
    /// No owner: every holder of the read permission sees every row (catalogues, settings).
    Entity& shared() {
        _owned = false;
        return *this;
    }
    /// The field holding the customer account a record belongs to: its timeline entries land on
    /// that account's timeline.
    Entity& account(std::string field) {
        _accountField = std::move(field);
        return *this;
    }
    Entity& defaultSort(std::string field, bool descending = false) {
        _defaultSort = std::move(field);
        _defaultDescending = descending;
        return *this;
    }
    /// Turns off the timeline entries of writes (records nobody follows on a customer).
    Entity& noTimeline() {
        _timeline = false;
        return *this;
    }
    Entity& lookup(std::string as, std::string field, std::string table, std::string column) {
        _lookups.push_back({std::move(as), std::move(field), std::move(table), std::move(column)});
        return *this;
    }

    // ---- fields ----
    Entity& text(std::string name, std::size_t maxLength = 255) { return add(std::move(name), FieldKind::Text).max(maxLength); }
    Entity& integer(std::string name) { return add(std::move(name), FieldKind::Integer); }
    Entity& number(std::string name) { return add(std::move(name), FieldKind::Number); }
    Entity& money(std::string name) { return add(std::move(name), FieldKind::Money); }
    Entity& boolean(std::string name) { return add(std::move(name), FieldKind::Boolean); }
    Entity& date(std::string name) { return add(std::move(name), FieldKind::Date).max(10); }
    Entity& dateTime(std::string name) { return add(std::move(name), FieldKind::DateTime).max(19); }
    Entity& email(std::string name) { return add(std::move(name), FieldKind::Email).max(254); }
    Entity& url(std::string name) { return add(std::move(name), FieldKind::Url).max(500); }
    Entity& choice(std::string name, std::vector<std::string> values) {
        add(std::move(name), FieldKind::Text).max(64);
        _fields.back().rule.allowed = std::move(values);
        return *this;
    }
    /// The id of a row of `table` the caller must be able to read under `readPermission`
    /// (empty: existence is enough).
    Entity& reference(std::string name, std::string table, std::string readPermission = {}) {
        add(std::move(name), FieldKind::Reference);
        _fields.back().refTable = std::move(table);
        _fields.back().refPermission = std::move(readPermission);
        return *this;
    }

    Entity& required() { return mod([](EntityField& f) { f.rule.required = true; }); }
    Entity& max(std::size_t length) { return mod([&](EntityField& f) { f.rule.maxLength = length; }); }
    Entity& range(double lo, double hi) { return mod([&](EntityField& f) { f.rule.min = lo, f.rule.max = hi; }); }
    Entity& searchable() { return mod([](EntityField& f) { f.searchable = true; }); }
    Entity& sortable() { return mod([](EntityField& f) { f.sortable = true; }); }
    Entity& filterable() { return mod([](EntityField& f) { f.filterable = true; }); }
    Entity& deniable() { return mod([](EntityField& f) { f.deniable = true; }); }
    Entity& readOnly() { return mod([](EntityField& f) { f.writable = false; }); }
    Entity& createOnly() { return mod([](EntityField& f) { f.createOnly = true; }); }
    Entity& unique() { return mod([](EntityField& f) { f.unique = true; }); }
    Entity& defaultsTo(Json value) { return mod([&](EntityField& f) { f.defaultValue = std::move(value); }); }

    const std::string& type() const { return _type; }
    const std::string& table() const { return _table; }
    const std::string& path() const { return _path; }
    const std::string& readPermission() const { return _read; }
    const std::string& writePermission() const { return _write; }
    const std::string& deletePermission() const { return _delete; }
    bool owned() const { return _owned; }
    bool timeline() const { return _timeline; }
    const std::string& accountField() const { return _accountField; }
    const std::string& defaultSortField() const { return _defaultSort; }
    bool defaultDescending() const { return _defaultDescending; }
    const std::vector<EntityField>& fields() const { return _fields; }
    const std::vector<EntityLookup>& lookups() const { return _lookups; }
    const Json& labelJson() const { return _label; }
    const EntityField* field(std::string_view name) const {
        for (const auto& f : _fields)
            if (f.rule.name == name) return &f;
        return nullptr;
    }
    /// The key a role denies: "<entity>.<field>".
    std::string fieldKey(std::string_view name) const { return _type + "." + std::string(name); }

    /// The declaration as JSON (the shape of a manifest's "entities" entry).
    Json json() const {
        Json fields = Json::array();
        for (const auto& f : _fields) {
            Json j = {{"name", f.rule.name}, {"type", fieldKindName(f.rule.kind)}, {"required", f.rule.required}};
            if (!f.label.is_null()) j["label"] = f.label;
            if (!f.rule.allowed.empty()) j["values"] = f.rule.allowed;
            if (f.deniable) j["deniable"] = true;
            fields.push_back(std::move(j));
        }
        return {{"name", _type}, {"label", _label}, {"fields", fields}};
    }

private:
    Entity& add(std::string name, FieldKind kind) {
        EntityField f;
        f.rule.name = std::move(name);
        f.rule.kind = kind;
        _fields.push_back(std::move(f));
        return *this;
    }
    template <class F>
    Entity& mod(F&& f) {
        if (_fields.empty()) throw Error(ATRIUM_E_INVALID, "entity " + _type + ": declare a field before its modifiers");
        f(_fields.back());
        return *this;
    }

    std::string _type, _table, _path, _read, _write, _delete;
    Json _label;
    bool _owned = true, _timeline = true, _defaultDescending = false;
    std::string _accountField, _defaultSort = "id";
    std::vector<EntityField> _fields;
    std::vector<EntityLookup> _lookups;
};

/// Where a module adds its own rules. Every hook is optional and runs in the write's
/// transaction; throwing HttpError answers with it and rolls the write back.
struct ResourceHooks {
    /// After the fields were checked, before the write: `values` holds the checked fields being
    /// written (add computed ones, e.g. a score; change or refuse); `before` is the stored record
    /// on update and null on create. Report problems in `problems` (answered as 422).
    std::function<void(Request&, Db&, Json& values, const Json& before, Problems& problems)> validate;
    /// After the write (its audit row and event included): follow-up writes of the module.
    std::function<void(Request&, Db&, std::int64_t id, const Json& before, const Json& after)> afterWrite;
    /// Before a delete: refuse with HttpError::conflict when other records still need it.
    std::function<void(Request&, Db&, const Json& before)> beforeDelete;
    /// Adds computed values to every record the API returns (list items and single records).
    std::function<void(Request&, Db&, Json& record)> present;
    /// The one-line timeline title of a write ("Lead created: Ada (Acme)"); default:
    /// "<Label> created|updated|deleted".
    std::function<std::string(std::string_view action, const Json& record, const Json& changes)> title;
};

/// Extra conditions for a list (e.g. the children of one parent).
struct ListScope {
    std::string where; ///< SQL over the alias "t", with '?' placeholders
    std::vector<std::variant<std::int64_t, double, std::string>> params{};
};

/// The routes and operations of one declared entity. Keep it alive until shutdown (a member of
/// the plugin); handlers may run on many threads at once — it holds no mutable state.
class Resource {
public:
    enum Routes : unsigned { List = 1, Get = 2, Create = 4, Update = 8, Delete = 16, All = 31 };

    Resource(const atrium_host_api* api, Entity entity, ResourceHooks hooks = {})
        : _api(api), _e(std::move(entity)), _hooks(std::move(hooks)) {
        for (const auto& f : _e.fields())
            if (f.rule.kind == FieldKind::Reference && f.refTable.empty())
                throw Error(ATRIUM_E_INVALID, "entity " + _e.type() + ": reference field " + f.rule.name + " names no table");
    }

    const Entity& entity() const { return _e; }

    /// Registers the chosen routes under the entity's path.
    void routes(Router& router, unsigned which = All) {
        const std::string base = _e.path(), one = _e.path() + "/{id}";
        const std::string label = _e.labelJson().value("en", _e.type());
        if (which & List)
            router.get(base, _e.readPermission(), [this](Request& req, Db& db) -> Json { return list(req, db); }, "List " + label + " records");
        if (which & Create)
            router.post(base, _e.writePermission(), [this](Request& req, Db& db) -> Json { return create(req, db, req.json()); },
                        "Create a " + label);
        if (which & Get)
            router.get(one, _e.readPermission(), [this](Request& req, Db& db) -> Json { return get(req, db, req.idParam()); }, "One " + label);
        if (which & Update) {
            router.put(one, _e.writePermission(), [this](Request& req, Db& db) -> Json { return update(req, db, req.idParam(), req.json()); },
                       "Change a " + label + " (send its version)");
            router.patch(one, _e.writePermission(), [this](Request& req, Db& db) -> Json { return update(req, db, req.idParam(), req.json()); },
                         "Change a " + label + " (send its version)");
        }
        if (which & Delete)
            router.del(one, _e.deletePermission(), [this](Request& req, Response& res, Db& db) {
                remove(req, db, req.idParam());
                res.noContent();
            }, "Delete a " + label);
    }

    // ---- reading ---------------------------------------------------------------------------

    /// {"items", "total", "limit", "offset"} of the records the caller may read.
    Json list(Request& req, Db& db, const ListScope& extra = {}) const {
        const auto limit = req.queryInt("limit", 50, 1, 200);
        const auto offset = req.queryInt("offset", 0, 0, 100000000);
        const std::string order = req.query("order", _e.defaultDescending() && !req.query("sort") ? "desc" : "asc");
        if (order != "asc" && order != "desc") throw HttpError::badRequest("The parameter 'order' must be asc or desc.");
        const std::string sort = req.query("sort", _e.defaultSortField());
        std::string sortColumn;
        if (sort == "id" || sort == "created_at" || sort == "updated_at") sortColumn = "t." + sort;
        else if (const auto* f = _e.field(sort); f && f->sortable) {
            if (denied(req, f->rule.name)) throw HttpError::forbidden("You may not sort by the field '" + sort + "'.");
            sortColumn = "t." + sort;
        } else
            throw HttpError::badRequest("The list cannot be sorted by '" + sort + "'.");

        std::string where;
        Params params;
        scopeWhere(req, _e.readPermission(), where, params);
        if (!extra.where.empty()) {
            where += " AND (" + extra.where + ")";
            for (const auto& p : extra.params) std::visit([&](const auto& v) { params.emplace_back(v); }, p);
        }
        const atrium_request* raw = req.raw();
        for (std::size_t i = 0; i < raw->query_param_count; ++i) {
            const std::string key(raw->query_params[i].name.data, raw->query_params[i].name.size);
            const std::string value(raw->query_params[i].value.data, raw->query_params[i].value.size);
            if (key == "limit" || key == "offset" || key == "sort" || key == "order") continue;
            if (key == "q") {
                if (value.size() > 200) throw HttpError::badRequest("The search text is longer than 200 characters.");
                if (value.empty()) continue;
                std::string clause;
                for (const auto& f : _e.fields()) {
                    if (!f.searchable || denied(req, f.rule.name)) continue;
                    clause += (clause.empty() ? "" : " OR ") + ("t." + f.rule.name) + " LIKE ? ESCAPE '!'";
                    params.emplace_back("%" + escapeLike(value) + "%");
                }
                where += clause.empty() ? " AND 1=0" : " AND (" + clause + ")";
                continue;
            }
            if (key == "created_from" || key == "created_to" || key == "updated_from" || key == "updated_to") {
                const bool from = key.ends_with("_from");
                if (!isDate(value) && !isDateTime(value))
                    throw HttpError::badRequest("The parameter '" + key + "' must be a date (YYYY-MM-DD) or a date and time.");
                where += std::string(" AND t.") + (key[0] == 'c' ? "created_at" : "updated_at") + (from ? " >= ?" : " <= ?");
                params.emplace_back(isDate(value) ? value + (from ? " 00:00:00" : " 23:59:59") : value);
                continue;
            }
            if (_e.owned() && (key == "owner_id" || key == "department_id")) {
                where += " AND t." + key + " = ?";
                params.emplace_back(intParam(key, value));
                continue;
            }
            std::string name = key, op = "=";
            const EntityField* f = _e.field(key);
            if (!f && key.size() > 5 && (key.ends_with("_from") || key.ends_with("_to"))) {
                const bool from = key.ends_with("_from");
                name = key.substr(0, key.size() - (from ? 5 : 3));
                f = _e.field(name);
                op = from ? ">=" : "<=";
                if (f && !ranged(*f)) f = nullptr;
            }
            if (!f || !f->filterable) throw HttpError::badRequest("The list cannot be filtered by '" + key + "'.");
            if (denied(req, f->rule.name)) throw HttpError::forbidden("You may not filter by the field '" + f->rule.name + "'.");
            where += " AND t." + name + " " + op + " ?";
            params.push_back(filterValue(*f, key, value, op == "<=" && f->rule.kind == FieldKind::DateTime));
        }

        const auto [select, joins] = selectList(req);
        std::int64_t total = 0;
        {
            auto count = db.prepare("SELECT COUNT(*) FROM " + _e.table() + " t WHERE " + where);
            bind(count, params);
            if (count.step()) total = count.row().i64(0);
        }
        auto st = db.prepare("SELECT " + select + " FROM " + _e.table() + " t" + joins + " WHERE " + where + " ORDER BY " + sortColumn + " " +
                             order + (sortColumn == "t.id" ? "" : ", t.id " + order) + " LIMIT " + std::to_string(limit) + " OFFSET " +
                             std::to_string(offset));
        bind(st, params);
        Json items = Json::array();
        while (st.step()) items.push_back(recordJson(st.row()));
        st = Statement(db.api(), nullptr);
        if (_hooks.present)
            for (auto& item : items) _hooks.present(req, db, item);
        return {{"items", std::move(items)}, {"total", total}, {"limit", limit}, {"offset", offset}};
    }

    /// One record the caller may read; 404 otherwise (out of scope answers like absent).
    Json get(Request& req, Db& db, std::int64_t id) const {
        auto record = load(req, db, id, _e.readPermission());
        if (record.is_null()) throw HttpError::notFound("The " + labelEn());
        if (_hooks.present) _hooks.present(req, db, record);
        return record;
    }

    /// The record as the caller may see it under `permission`, or null. Denied fields are left out.
    Json load(Request& req, Db& db, std::int64_t id, const std::string& permission) const {
        std::string where = "t.id = ?";
        Params params{id};
        scopeWhere(req, permission, where, params);
        const auto [select, joins] = selectList(req);
        auto st = db.prepare("SELECT " + select + " FROM " + _e.table() + " t" + joins + " WHERE " + where);
        bind(st, params);
        if (!st.step()) return nullptr;
        return recordJson(st.row());
    }

    // ---- writing ---------------------------------------------------------------------------

    Json create(Request& req, Db& db, const Json& body) const {
        Problems problems;
        Json values = Json::object();
        for (const auto& [key, v] : body.items()) {
            if (_e.owned() && key == "owner_id") continue;
            const auto* f = _e.field(key);
            if (!f || !f->writable) throw HttpError::badRequest("The field '" + key + "' cannot be set.");
            if (denied(req, key)) throw HttpError::forbidden("You may not set the field '" + key + "'.");
        }
        for (const auto& f : _e.fields()) {
            if (!f.writable) continue;
            const bool sent = body.contains(f.rule.name);
            const Json& v = sent ? body[f.rule.name] : f.defaultValue;
            auto value = validateField(f.rule, v, problems);
            if (sent || !isNull(value) || f.rule.required) values[f.rule.name] = asJson(f, value);
        }
        std::int64_t owner = req.userId();
        if (_e.owned() && body.contains("owner_id")) {
            if (!body["owner_id"].is_number_integer()) problems.add("owner_id", "Enter a user id.");
            else owner = body["owner_id"].get<std::int64_t>();
        }
        if (!problems.empty()) throw HttpError::validation(problems.fields());

        Transaction tx(db);
        if (_hooks.validate) _hooks.validate(req, db, values, Json(nullptr), problems);
        checkValues(req, db, values, 0, problems);
        std::optional<std::int64_t> department;
        if (_e.owned() && !problems.has("owner_id")) department = checkOwner(req, db, owner, problems);
        if (!problems.empty()) throw HttpError::validation(problems.fields());

        const auto now = nowUtc();
        std::string columns, marks;
        Params params;
        for (const auto& [k, v] : values.items()) {
            columns += k + ", ";
            marks += "?, ";
            params.push_back(param(v));
        }
        if (_e.owned()) {
            columns += "owner_id, department_id, ";
            marks += "?, ?, ";
            params.emplace_back(owner);
            params.push_back(department ? Param(*department) : Param(std::monostate{}));
        }
        auto st = db.prepare("INSERT INTO " + _e.table() + " (" + columns + "version, created_at, updated_at) VALUES (" + marks + "1, ?, ?)");
        params.emplace_back(now);
        params.emplace_back(now);
        bind(st, params);
        st.step();
        const auto id = st.lastInsertId();
        st = Statement(db.api(), nullptr);

        Json stored = values;
        if (_e.owned()) stored["owner_id"] = owner;
        req.audit(db, "create", _e.type(), id, nullptr, stored);
        Json after = loadAll(db, id);
        appendTimeline(req, db, "created", id, after, stored);
        publish(db, "created", {{"id", id}, {"values", stored}});
        if (_hooks.afterWrite) _hooks.afterWrite(req, db, id, Json(nullptr), after);
        tx.commit();
        auto out = load(req, db, id, _e.readPermission());
        if (out.is_null()) return {{"id", id}};
        if (_hooks.present) _hooks.present(req, db, out);
        return out;
    }

    /// A partial update: only the fields sent change. `body` must carry the version the client
    /// edited; 409 when someone changed the record since.
    Json update(Request& req, Db& db, std::int64_t id, const Json& body) const {
        if (!body.contains("version") || !body["version"].is_number_integer())
            throw HttpError::validation({{"version", "Send the record's version you edited, so concurrent edits are not lost."}});
        const auto version = body["version"].get<std::int64_t>();
        Problems problems;
        Json values = Json::object();
        std::optional<std::int64_t> newOwner;
        for (const auto& [key, v] : body.items()) {
            if (key == "version" || key == "id") continue;
            if (_e.owned() && key == "owner_id") {
                if (!v.is_number_integer()) problems.add("owner_id", "Enter a user id.");
                else newOwner = v.get<std::int64_t>();
                continue;
            }
            const auto* f = _e.field(key);
            if (!f || !f->writable || f->createOnly) throw HttpError::badRequest("The field '" + key + "' cannot be set.");
            if (denied(req, key)) throw HttpError::forbidden("You may not set the field '" + key + "'.");
            values[key] = asJson(*f, validateField(f->rule, v, problems));
        }
        if (!problems.empty()) throw HttpError::validation(problems.fields());

        Transaction tx(db);
        Json before = loadAll(db, id, &req, _e.writePermission());
        if (before.is_null()) {
            // Readable but not writable is a 403; not even readable stays a 404.
            if (!load(req, db, id, _e.readPermission()).is_null()) throw HttpError::forbidden("You may not change this " + labelEn() + ".");
            throw HttpError::notFound("The " + labelEn());
        }
        if (_hooks.validate) _hooks.validate(req, db, values, before, problems);
        checkValues(req, db, values, id, problems);
        std::optional<std::int64_t> department;
        if (newOwner && !problems.has("owner_id")) department = checkOwner(req, db, *newOwner, problems);
        if (!problems.empty()) throw HttpError::validation(problems.fields());

        std::string set;
        Params params;
        Json old = Json::object(), changes = Json::object();
        for (const auto& [k, v] : values.items()) {
            set += k + " = ?, ";
            params.push_back(param(v));
            if (before.value(k, Json()) != v) {
                old[k] = before.value(k, Json());
                changes[k] = v;
            }
        }
        if (newOwner) {
            set += "owner_id = ?, department_id = ?, ";
            params.emplace_back(*newOwner);
            params.push_back(department ? Param(*department) : Param(std::monostate{}));
            if (before.value("owner_id", Json()) != *newOwner) {
                old["owner_id"] = before.value("owner_id", Json());
                changes["owner_id"] = *newOwner;
            }
        }
        auto st = db.prepare("UPDATE " + _e.table() + " SET " + set + "version = version + 1, updated_at = ? WHERE id = ? AND version = ?");
        params.emplace_back(nowUtc());
        params.emplace_back(id);
        params.emplace_back(version);
        bind(st, params);
        st.step();
        const auto changed = st.changes();
        st = Statement(db.api(), nullptr);
        if (changed == 0)
            throw HttpError::conflict("This " + labelEn() + " was changed by someone else (your version " + std::to_string(version) +
                                      " is stale); reload it and apply your change again.");
        req.audit(db, "update", _e.type(), id, old, changes);
        Json after = loadAll(db, id);
        if (!changes.empty()) {
            appendTimeline(req, db, "updated", id, after, changes);
            publish(db, "updated", {{"id", id}, {"changes", changes}});
        }
        if (_hooks.afterWrite) _hooks.afterWrite(req, db, id, before, after);
        tx.commit();
        auto out = load(req, db, id, _e.readPermission());
        if (out.is_null()) return {{"id", id}};
        if (_hooks.present) _hooks.present(req, db, out);
        return out;
    }

    void remove(Request& req, Db& db, std::int64_t id) const {
        Transaction tx(db);
        Json before = loadAll(db, id, &req, _e.deletePermission());
        if (before.is_null()) {
            if (!load(req, db, id, _e.readPermission()).is_null()) throw HttpError::forbidden("You may not delete this " + labelEn() + ".");
            throw HttpError::notFound("The " + labelEn());
        }
        if (_hooks.beforeDelete) _hooks.beforeDelete(req, db, before);
        db.execute("DELETE FROM " + _e.table() + " WHERE id = ?", id);
        req.audit(db, "delete", _e.type(), id, before, nullptr);
        appendTimeline(req, db, "deleted", id, before, nullptr);
        publish(db, "deleted", {{"id", id}});
        tx.commit();
    }

    /// Whether the caller's roles hide the field.
    bool denied(const Request& req, std::string_view field) const {
        const auto* f = _e.field(field);
        return f && req.fieldDenied(_e.fieldKey(field));
    }

    /// 'YYYY-MM-DD HH:MM:SS' now, in UTC.
    static std::string nowUtc() {
        const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
        std::tm tm{};
        gmtime_r(&t, &tm);
        char b[20];
        std::strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S", &tm);
        return b;
    }

private:
    using Param = std::variant<std::monostate, std::int64_t, double, std::string>;
    using Params = std::vector<Param>;

    std::string labelEn() const { return _e.labelJson().value("en", _e.type()); }
    static std::string fieldLabelEn(const EntityField& f) {
        if (f.label.is_object()) return f.label.value("en", f.rule.name);
        std::string out = f.rule.name;
        for (auto& c : out)
            if (c == '_') c = ' ';
        return out;
    }
    static std::string lower(std::string s) {
        if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
        return s;
    }

    static void bind(Statement& st, const Params& params) {
        int i = 1;
        for (const auto& p : params) {
            std::visit(
                [&](const auto& v) {
                    if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::monostate>) st.bind(i, null);
                    else st.bind(i, v);
                },
                p);
            ++i;
        }
    }
    /// A checked value as the API shows it (booleans as true/false, like stored records), so
    /// audit rows, events and change detection compare like with like.
    static Json asJson(const EntityField& f, const FieldValue& v) {
        if (f.rule.kind == FieldKind::Boolean && std::holds_alternative<std::int64_t>(v)) return std::get<std::int64_t>(v) != 0;
        return toJson(v);
    }
    static Param param(const Json& v) {
        if (v.is_null()) return std::monostate{};
        if (v.is_boolean()) return std::int64_t{v.get<bool>() ? 1 : 0};
        if (v.is_number_integer()) return v.get<std::int64_t>();
        if (v.is_number()) return v.get<double>();
        if (v.is_string()) return v.get<std::string>();
        return v.dump();
    }
    static std::int64_t intParam(const std::string& name, const std::string& v) {
        std::int64_t n = 0;
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc() || p != v.data() + v.size()) throw HttpError::badRequest("The parameter '" + name + "' must be a whole number.");
        return n;
    }
    static bool ranged(const EntityField& f) {
        switch (f.rule.kind) {
        case FieldKind::Integer:
        case FieldKind::Number:
        case FieldKind::Money:
        case FieldKind::Date:
        case FieldKind::DateTime: return true;
        default: return false;
        }
    }
    static Param filterValue(const EntityField& f, const std::string& key, const std::string& v, bool endOfDay) {
        switch (f.rule.kind) {
        case FieldKind::Integer:
        case FieldKind::Reference: return intParam(key, v);
        case FieldKind::Boolean:
            if (v == "true" || v == "1") return std::int64_t{1};
            if (v == "false" || v == "0") return std::int64_t{0};
            throw HttpError::badRequest("The parameter '" + key + "' must be true or false.");
        case FieldKind::Number:
        case FieldKind::Money: {
            char* end = nullptr;
            const double d = std::strtod(v.c_str(), &end);
            if (v.empty() || end != v.c_str() + v.size() || !std::isfinite(d)) throw HttpError::badRequest("The parameter '" + key + "' must be a number.");
            return d;
        }
        case FieldKind::Date:
            if (!isDate(v)) throw HttpError::badRequest("The parameter '" + key + "' must be a date as YYYY-MM-DD.");
            return v;
        case FieldKind::DateTime:
            if (isDate(v)) return v + (endOfDay ? " 23:59:59" : " 00:00:00");
            if (!isDateTime(v)) throw HttpError::badRequest("The parameter '" + key + "' must be a date (YYYY-MM-DD) or a date and time.");
            return v;
        default:
            if (!f.rule.allowed.empty()) {
                for (const auto& a : f.rule.allowed)
                    if (a == v) return v;
                std::string list;
                for (const auto& a : f.rule.allowed) list += (list.empty() ? "" : ", ") + a;
                throw HttpError::badRequest("The filter '" + key + "' takes one of: " + list + ".");
            }
            return v;
        }
    }

    void scopeWhere(const Request& req, const std::string& permission, std::string& where, Params& params) const {
        if (!_e.owned()) {
            // A shared entity: the permission alone decides (the route already required it for
            // reads; writes check the write permission here).
            if (!req.can(permission)) where += where.empty() ? "1=0" : " AND 1=0";
            else if (where.empty()) where = "1=1";
            return;
        }
        const auto filter = req.scopeFilter(permission, "t.owner_id", "t.department_id");
        where += (where.empty() ? "" : " AND ") + filter.sql;
        for (const auto& p : filter.params) std::visit([&](const auto& v) { params.emplace_back(v); }, p);
    }

    /// The select list (denied fields and their lookups left out) and the lookup joins.
    std::pair<std::string, std::string> selectList(const Request& req) const {
        std::string select = "t.id", joins;
        for (const auto& f : _e.fields())
            if (!denied(req, f.rule.name)) select += ", t." + f.rule.name;
        int n = 0;
        for (const auto& l : _e.lookups()) {
            const std::string alias = "lk" + std::to_string(n++);
            if (denied(req, l.field)) continue;
            joins += " LEFT JOIN " + l.table + " " + alias + " ON " + alias + ".id = t." + l.field;
            select += ", " + alias + "." + l.column + " AS " + l.as;
        }
        if (_e.owned()) select += ", t.owner_id, t.department_id";
        select += ", t.version, t.created_at, t.updated_at";
        return {select, joins};
    }

    /// A row as JSON with the declared kinds (booleans as true/false, money and numbers as
    /// numbers even where the backend hands decimals out as text).
    Json recordJson(Row row) const {
        Json out = Json::object();
        const int n = row.columnCount();
        for (int i = 0; i < n; ++i) {
            const std::string column(row.name(i));
            Json v = row.json(i);
            if (const auto* f = _e.field(column); f && !v.is_null()) {
                switch (f->rule.kind) {
                case FieldKind::Boolean: v = v.is_string() ? (v.get<std::string>() != "0") : (v.get<double>() != 0); break;
                case FieldKind::Number:
                case FieldKind::Money:
                    if (v.is_string()) v = std::strtod(v.get<std::string>().c_str(), nullptr);
                    if (f->rule.kind == FieldKind::Money) v = std::round(v.get<double>() * 100.0) / 100.0;
                    break;
                case FieldKind::Integer:
                case FieldKind::Reference:
                    if (v.is_string()) v = std::strtoll(v.get<std::string>().c_str(), nullptr, 10);
                    break;
                case FieldKind::Date:
                    if (v.is_string() && v.get<std::string>().size() > 10) v = v.get<std::string>().substr(0, 10);
                    break;
                default: break;
                }
            }
            out[column] = std::move(v);
        }
        return out;
    }

    /// The whole stored record (every field, unscoped unless `req` is given), for audit and hooks.
    Json loadAll(Db& db, std::int64_t id, const Request* req = nullptr, const std::string& permission = {}) const {
        std::string select = "t.id";
        for (const auto& f : _e.fields()) select += ", t." + f.rule.name;
        if (_e.owned()) select += ", t.owner_id, t.department_id";
        select += ", t.version, t.created_at, t.updated_at";
        std::string where = "t.id = ?";
        Params params{id};
        if (req) scopeWhere(*req, permission, where, params);
        auto st = db.prepare("SELECT " + select + " FROM " + _e.table() + " t WHERE " + where);
        bind(st, params);
        if (!st.step()) return nullptr;
        return recordJson(st.row());
    }

    /// References reachable and unique values free, for the values being written.
    void checkValues(const Request& req, Db& db, const Json& values, std::int64_t selfId, Problems& problems) const {
        for (const auto& [k, v] : values.items()) {
            const auto* f = _e.field(k);
            if (!f) throw Error(ATRIUM_E_INTERNAL, "entity " + _e.type() + ": a hook set the undeclared field '" + k + "'");
            if (v.is_null() || problems.has(k)) continue;
            if (f->rule.kind == FieldKind::Reference) {
                // A reference may only name a row the caller can read: linking to a record out of
                // scope would write onto its timeline and confirm that it exists.
                std::string sql = "SELECT r.id FROM " + f->refTable + " r WHERE r.id = ?";
                Params params{param(v)};
                if (!f->refPermission.empty()) {
                    const auto filter = req.scopeFilter(f->refPermission, "r.owner_id", "r.department_id");
                    sql += " AND " + filter.sql;
                    for (const auto& p : filter.params) std::visit([&](const auto& x) { params.emplace_back(x); }, p);
                }
                auto st = db.prepare(sql);
                bind(st, params);
                if (!st.step()) problems.add(k, "No record has this id.");
            }
            if (f->unique) {
                auto st = db.prepare("SELECT id FROM " + _e.table() + " WHERE " + k + " = ? AND id <> ?");
                bind(st, {param(v), selfId});
                if (st.step()) problems.add(k, "Another " + lower(labelEn()) + " has this " + lower(fieldLabelEn(*f)) + ".");
            }
        }
    }

    /// The owner must be an active user the caller may assign records to under the write
    /// permission (own scope: only themself; department: their subtree). Returns its department.
    std::optional<std::int64_t> checkOwner(const Request& req, Db& db, std::int64_t owner, Problems& problems) const {
        std::optional<std::int64_t> department;
        bool found = false;
        for (auto row : db.query("SELECT department_id FROM users WHERE id = ? AND active = 1", owner)) {
            found = true;
            department = row.optI64(0);
        }
        if (!found) {
            problems.add("owner_id", "No active user has this id.");
            return std::nullopt;
        }
        if (owner == req.userId()) return department;
        const auto filter = req.scopeFilter(_e.writePermission(), "u.id", "u.department_id");
        auto st = db.prepare("SELECT u.id FROM users u WHERE u.id = ? AND " + filter.sql);
        st.bind(1, owner);
        filter.bind(st, 2);
        if (!st.step()) throw HttpError::forbidden("You may not assign records to that owner.");
        return department;
    }

    void appendTimeline(const Request& req, Db& db, std::string_view action, std::int64_t id, const Json& record, const Json& body) const {
        if (!_e.timeline()) return;
        std::int64_t account = 0;
        if (!_e.accountField().empty()) {
            const auto v = record.value(_e.accountField(), Json());
            if (v.is_number_integer()) account = v.get<std::int64_t>();
        }
        std::string title = _hooks.title ? _hooks.title(action, record, body) : labelEn() + " " + std::string(action);
        Host(_api).timeline(db, TimelineEntry{_e.type(), id, account, std::string(action), std::move(title), body, req.userId()});
    }

    void publish(Db& db, std::string_view action, const Json& payload) const {
        const std::string topic = _e.type() + "." + std::string(action);
        const std::string text = payload.dump(-1, ' ', false, Json::error_handler_t::replace);
        detail::ErrorBuffer eb;
        detail::check(_api->event_publish(_api->host, db.handle(), topic.c_str(), text.data(), text.size(), eb.get()), eb);
    }

    const atrium_host_api* _api;
    Entity _e;
    ResourceHooks _hooks;
};

} // namespace atrium::sdk
