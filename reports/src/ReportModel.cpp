#include "ReportModel.h"

#include "store/Dialect.h"

#include <cctype>
#include <regex>
#include <set>

namespace atrium::reports {

namespace {
const std::set<std::string> kKinds = {"dimension", "measure", "time"};
const std::set<std::string> kTypes = {"integer", "real", "money", "text", "date", "datetime", "boolean"};
const std::set<std::string> kAggregates = {"count", "count_distinct", "sum", "avg", "min", "max"};
const std::set<std::string> kOps = {"=", "!=", "in", "<", "<=", ">", ">=", "between", "contains"};
const std::set<std::string> kLookups = {"", "users", "departments", "accounts"};
// Core tables an admin-defined dataset may never expose.
const std::set<std::string> kForbiddenTables = {"users", "sessions", "api_tokens", "audit_log", "role_permissions",
                                                "role_denied_fields", "user_roles", "roles", "login_failures",
                                                "atrium_schema_migrations"};

std::string text(const Json& j, const char* key) {
    if (!j.contains(key) || j[key].is_null()) return {};
    if (!j[key].is_string()) throw badRequest(std::string("'") + key + "' must be a string.");
    return j[key].get<std::string>();
}
/// The prefix every table of a plugin starts with: its id, non-alphanumerics as '_', then '_'.
std::string tablePrefix(const std::string& plugin) {
    std::string out;
    for (char c : plugin) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return out + "_";
}

/// "lookup": {table, key, label, label_zh?} — only the declaring plugin's own tables, and never
/// from an admin-defined dataset (it could otherwise read names out of any table).
TableLookup tableLookup(const Dataset& ds, const std::string& field, const Json& j) {
    const auto where = "Dataset '" + ds.id + "', field '" + field + "': ";
    if (ds.plugin == "reports") throw badRequest(where + "admin-defined datasets cannot look names up in a table.");
    TableLookup t;
    t.table = text(j, "table");
    t.key = text(j, "key");
    t.label = text(j, "label");
    t.labelZh = text(j, "label_zh");
    for (const auto& [k, v] : j.items())
        if (k != "table" && k != "key" && k != "label" && k != "label_zh") throw badRequest(where + "the lookup has no member '" + k + "'.");
    if (!validIdentifier(t.table)) throw badRequest(where + "lookup table '" + t.table + "' is not a table name.");
    if (kForbiddenTables.count(t.table) || t.table.rfind(tablePrefix(ds.plugin), 0) != 0)
        throw badRequest(where + "lookup table '" + t.table + "' is not one of the tables of '" + ds.plugin + "'.");
    for (const auto* c : {&t.key, &t.label})
        if (!validIdentifier(*c)) throw badRequest(where + "lookup column '" + *c + "' is not a column name.");
    if (!t.labelZh.empty() && !validIdentifier(t.labelZh)) throw badRequest(where + "lookup column '" + t.labelZh + "' is not a column name.");
    return t;
}

/// "labels": {value: {en, zh-CN} | "name"} — normalised to {value: {en, zh-CN}}.
Json valueLabels(const Dataset& ds, const std::string& field, const Json& j) {
    const auto where = "Dataset '" + ds.id + "', field '" + field + "': ";
    if (!j.is_object()) throw badRequest(where + "'labels' maps values to {en, zh-CN} names.");
    if (j.size() > 1000) throw badRequest(where + "more than 1000 labelled values; use a table lookup.");
    Json out = Json::object();
    for (const auto& [value, name] : j.items()) {
        if (name.is_string()) {
            out[value] = {{"en", name}, {"zh-CN", name}};
        } else if (name.is_object() && name.contains("en") && name["en"].is_string() &&
                   (!name.contains("zh-CN") || name["zh-CN"].is_string())) {
            out[value] = {{"en", name["en"]}, {"zh-CN", name.value("zh-CN", name["en"].get<std::string>())}};
        } else {
            throw badRequest(where + "the label of '" + value + "' is not {en, zh-CN}.");
        }
    }
    return out;
}
} // namespace

bool validIdentifier(const std::string& s) {
    static const std::regex re("^[A-Za-z_][A-Za-z0-9_]{0,63}$");
    return std::regex_match(s, re);
}

std::string Dataset::col(const std::string& column) { return "d." + store::Dialect::quote(column); }

const Field* Dataset::field(const std::string& fieldName) const {
    for (const auto& f : fields)
        if (f.name == fieldName) return &f;
    return nullptr;
}

Dataset compileDataset(const Json& def) {
    if (!def.is_object()) throw badRequest("A dataset is a JSON object.");
    Dataset ds;
    ds.id = text(def, "id");
    static const std::regex idRe(R"(^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$)");
    if (!std::regex_match(ds.id, idRe)) throw badRequest("Dataset id '" + ds.id + "' must be a dotted lower-case name like 'acme.invoices'.");
    ds.plugin = def.value("plugin", ds.id.substr(0, ds.id.find('.')));
    ds.name = def.value("name", Json{{"en", ds.id}, {"zh-CN", ds.id}});
    ds.definition = def;
    if (!def.contains("source") || !def["source"].is_object()) throw badRequest("Dataset '" + ds.id + "' needs a source (table or query).");
    const auto& src = def["source"];
    if (src.contains("table")) {
        const auto table = text(src, "table");
        if (!validIdentifier(table)) throw badRequest("Dataset '" + ds.id + "': '" + table + "' is not a table name.");
        if (ds.plugin == "reports" && kForbiddenTables.count(table)) throw forbidden("The table '" + table + "' cannot be reported on.");
        ds.from = store::Dialect::quote(table) + " d";
        ds.fromTable = true;
    } else if (src.contains("query")) {
        auto sql = text(src, "query");
        if (ds.plugin == "reports") throw badRequest("Admin-defined datasets read a table; queries are declared by plugins.");
        while (!sql.empty() && (sql.back() == ';' || std::isspace(static_cast<unsigned char>(sql.back())))) sql.pop_back();
        if (sql.find(';') != std::string::npos) throw badRequest("Dataset '" + ds.id + "': the query must be one SELECT statement.");
        ds.from = "(" + sql + ") d";
    } else {
        throw badRequest("Dataset '" + ds.id + "' needs a source with 'table' or 'query'.");
    }
    if (!def.contains("fields") || !def["fields"].is_array() || def["fields"].empty())
        throw badRequest("Dataset '" + ds.id + "' declares no fields.");
    const std::string entity = def.value("entity", std::string());
    for (const auto& f : def["fields"]) {
        Field fd;
        fd.name = text(f, "name");
        if (!validIdentifier(fd.name)) throw badRequest("Dataset '" + ds.id + "': field '" + fd.name + "' is not a column name.");
        if (ds.field(fd.name)) throw badRequest("Dataset '" + ds.id + "': field '" + fd.name + "' is declared twice.");
        fd.kind = f.value("kind", "dimension");
        if (!kKinds.count(fd.kind)) throw badRequest("Dataset '" + ds.id + "': field kind '" + fd.kind + "' is unknown.");
        fd.type = f.value("type", fd.kind == "measure" ? "real" : fd.kind == "time" ? "datetime" : "text");
        if (!kTypes.count(fd.type)) throw badRequest("Dataset '" + ds.id + "': field type '" + fd.type + "' is unknown.");
        fd.aggregate = f.value("aggregate", fd.kind == "measure" ? "sum" : "");
        if (fd.kind == "measure" && !kAggregates.count(fd.aggregate))
            throw badRequest("Dataset '" + ds.id + "': aggregate '" + fd.aggregate + "' is unknown.");
        const Json lookup = f.value("lookup", Json());
        if (lookup.is_object()) {
            fd.tableLookup = tableLookup(ds, fd.name, lookup);
        } else {
            if (!lookup.is_null() && !lookup.is_string())
                throw badRequest("Dataset '" + ds.id + "': the lookup of field '" + fd.name + "' is a name or {table, key, label, label_zh?}.");
            fd.lookup = lookup.is_string() ? lookup.get<std::string>() : std::string();
        }
        if (f.contains("labels") && !f["labels"].is_null()) {
            if (!lookup.is_null()) throw badRequest("Dataset '" + ds.id + "': field '" + fd.name + "' declares both labels and a lookup.");
            fd.valueLabels = valueLabels(ds, fd.name, f["labels"]);
        }
        if (fd.lookup.empty() && fd.tableLookup.empty() && fd.valueLabels.empty()) {
            if (fd.name == "owner_id" || fd.name == "user_id") fd.lookup = "users";
            else if (fd.name == "department_id") fd.lookup = "departments";
            else if (fd.name == "account_id") fd.lookup = "accounts";
        }
        if (!kLookups.count(fd.lookup)) throw badRequest("Dataset '" + ds.id + "': lookup '" + fd.lookup + "' is unknown.");
        fd.acl = f.value("acl", entity.empty() ? std::string() : entity + "." + fd.name);
        fd.label = f.value("label", Json{{"en", fd.name}, {"zh-CN", fd.name}});
        ds.fields.push_back(std::move(fd));
    }
    if (def.contains("scope") && def["scope"].is_object()) {
        const auto& s = def["scope"];
        ds.scopePermission = text(s, "permission");
        ds.ownerColumn = text(s, "owner");
        ds.departmentColumn = text(s, "department");
        if (ds.scopePermission.empty()) throw badRequest("Dataset '" + ds.id + "': scope needs a permission.");
        for (const auto* c : {&ds.ownerColumn, &ds.departmentColumn})
            if (!c->empty() && !validIdentifier(*c)) throw badRequest("Dataset '" + ds.id + "': scope column '" + *c + "' is not a column name.");
        if (ds.ownerColumn.empty() && ds.departmentColumn.empty())
            throw badRequest("Dataset '" + ds.id + "': scope needs an owner or a department column.");
    }
    ds.drill = def.value("drill", std::string());
    if (def.contains("refresh")) {
        const auto& r = def["refresh"];
        if (!r.is_object()) throw badRequest("Dataset '" + ds.id + "': 'refresh' is {key, updated?}.");
        ds.refreshKey = text(r, "key");
        ds.refreshUpdated = text(r, "updated");
        if (!validIdentifier(ds.refreshKey)) throw badRequest("Dataset '" + ds.id + "': refresh key '" + ds.refreshKey + "' is not a column name.");
        if (!ds.refreshUpdated.empty() && !validIdentifier(ds.refreshUpdated))
            throw badRequest("Dataset '" + ds.id + "': refresh column '" + ds.refreshUpdated + "' is not a column name.");
    }
    if (def.contains("invalidate_on") && def["invalidate_on"].is_array())
        for (const auto& p : def["invalidate_on"])
            if (p.is_string()) ds.invalidateOn.push_back(p.get<std::string>());
    ds.invalidateOn.push_back(ds.plugin + ".*");
    return ds;
}

bool fieldAllowed(const identity::Principal& p, const Dataset& ds, const Field& f) {
    if (!f.acl.empty() && p.fieldDenied(f.acl)) return false;
    return !p.fieldDenied(ds.id + "." + f.name);
}

std::vector<Filter> parseFilters(const Json& j) {
    std::vector<Filter> out;
    if (j.is_null()) return out;
    if (!j.is_array()) throw badRequest("'filters' must be an array of {field, op, value}.");
    if (j.size() > 50) throw badRequest("At most 50 filters are allowed.");
    for (const auto& f : j) {
        if (!f.is_object()) throw badRequest("Each filter is an object {field, op, value}.");
        Filter x;
        x.field = text(f, "field");
        x.op = f.value("op", "=");
        if (!kOps.count(x.op)) throw badRequest("Filter operator '" + x.op + "' is not one of = != in < <= > >= between contains.");
        x.value = f.value("value", Json());
        if (x.op == "in" && (!x.value.is_array() || x.value.empty() || x.value.size() > 1000))
            throw badRequest("'in' needs an array of 1 to 1000 values.");
        if (x.op == "between" && (!x.value.is_array() || x.value.size() != 2)) throw badRequest("'between' needs [low, high].");
        if (x.op == "contains" && !x.value.is_string()) throw badRequest("'contains' needs a string.");
        if (x.value.is_object()) throw badRequest("A filter value cannot be an object.");
        out.push_back(std::move(x));
    }
    return out;
}

Measure parseMeasure(const Json& j, const Dataset& ds, int index) {
    Measure m;
    if (j.is_string()) {
        const auto name = j.get<std::string>();
        if (name == "count") {
            m.aggregate = "count";
            m.as = "count";
            m.label = {{"en", "Count"}, {"zh-CN", "数量"}};
            return m;
        }
        const auto* f = ds.field(name);
        if (!f) throw badRequest("'" + name + "' is not a field of dataset '" + ds.id + "'.");
        m.field = name;
        m.aggregate = f->aggregate.empty() ? "count" : f->aggregate;
        m.as = name;
        m.label = f->label;
        return m;
    }
    if (!j.is_object()) throw badRequest("A measure is a field name or {field, aggregate, filters, as}.");
    m.field = text(j, "field");
    m.aggregate = j.value("aggregate", std::string());
    if (m.aggregate.empty()) {
        const auto* f = m.field.empty() ? nullptr : ds.field(m.field);
        m.aggregate = f && !f->aggregate.empty() ? f->aggregate : (m.field.empty() ? "count" : "sum");
    }
    if (!kAggregates.count(m.aggregate)) throw badRequest("Aggregate '" + m.aggregate + "' is unknown.");
    if (m.field.empty() && m.aggregate != "count") throw badRequest("Aggregate '" + m.aggregate + "' needs a field.");
    m.filters = parseFilters(j.value("filters", Json()));
    m.as = j.value("as", m.field.empty() ? (index == 0 ? std::string("count") : "m" + std::to_string(index)) : m.field);
    if (!validIdentifier(m.as)) throw badRequest("Measure name '" + m.as + "' must be letters, digits and underscores.");
    const auto* f = m.field.empty() ? nullptr : ds.field(m.field);
    m.label = j.value("label", f ? f->label : Json{{"en", m.as}, {"zh-CN", m.as}});
    return m;
}

Query Query::fromJson(const Json& j) {
    if (!j.is_object()) throw badRequest("The query is a JSON object.");
    Query q;
    q.dataset = text(j, "dataset");
    if (q.dataset.empty()) throw badRequest("'dataset' is required.");
    if (j.contains("dimensions")) {
        if (!j["dimensions"].is_array() || j["dimensions"].size() > 4) throw badRequest("'dimensions' is an array of at most 4 field names.");
        for (const auto& d : j["dimensions"]) {
            if (!d.is_string()) throw badRequest("Each dimension is a field name.");
            q.dimensions.push_back(d.get<std::string>());
        }
    }
    q.filters = parseFilters(j.value("filters", Json()));
    if (j.contains("time") && !j["time"].is_null()) {
        const auto& t = j["time"];
        if (!t.is_object()) throw badRequest("'time' is {field, grain, from, to}.");
        TimeRange tr;
        tr.field = text(t, "field");
        const auto grain = text(t, "grain");
        if (!grain.empty()) tr.grain = grain;
        tr.from = text(t, "from");
        tr.to = text(t, "to");
        q.time = tr;
    }
    q.compare = j.value("compare", std::string());
    if (!q.compare.empty() && q.compare != "previous_period" && q.compare != "same_period_last_year")
        throw badRequest("'compare' is previous_period or same_period_last_year.");
    if (j.contains("sort")) {
        const auto& s = j["sort"];
        auto one = [&](const Json& x) {
            if (x.is_string()) {
                auto v = x.get<std::string>();
                const bool desc = !v.empty() && v[0] == '-';
                q.sort.emplace_back(desc ? v.substr(1) : v, desc);
            } else if (x.is_object()) {
                q.sort.emplace_back(text(x, "field"), x.value("order", "asc") == "desc");
            } else {
                throw badRequest("'sort' is a column name (prefix '-' for descending) or {field, order}.");
            }
        };
        if (s.is_array())
            for (const auto& x : s) one(x);
        else
            one(s);
    }
    if (j.contains("limit")) {
        if (!j["limit"].is_number_integer()) throw badRequest("'limit' is an integer.");
        q.limit = j["limit"].get<int>();
        if (q.limit < 1 || q.limit > 10000) throw badRequest("'limit' is between 1 and 10000.");
    }
    // Measures are resolved against the dataset later (parseMeasure); keep the raw form here.
    if (!j.contains("measures") || !j["measures"].is_array() || j["measures"].empty() || j["measures"].size() > 20)
        throw badRequest("'measures' is an array of 1 to 20 measures.");
    return q;
}

Json Query::toJson() const {
    Json j = {{"dataset", dataset}, {"dimensions", dimensions}, {"compare", compare}, {"limit", limit}, {"fill", fillTimeGaps}};
    Json ms = Json::array();
    for (const auto& m : measures) {
        Json fs = Json::array();
        for (const auto& f : m.filters) fs.push_back({f.field, f.op, f.value});
        ms.push_back({m.as, m.field, m.aggregate, fs});
    }
    j["measures"] = ms;
    Json fs = Json::array();
    for (const auto& f : filters) fs.push_back({f.field, f.op, f.value});
    j["filters"] = fs;
    if (time) j["time"] = {time->field, time->grain.value_or(""), time->from, time->to};
    j["scope"] = {scope.departmentId.value_or(0), scope.ownerId.value_or(0), scope.ownerInSet, scope.ownerIn};
    Json s = Json::array();
    for (const auto& [c, d] : sort) s.push_back({c, d});
    j["sort"] = s;
    return j;
}

Json Result::toJson() const {
    Json j = {{"columns", columns}, {"rows", rows}};
    for (auto it = meta.begin(); it != meta.end(); ++it) j[it.key()] = it.value();
    return j;
}

} // namespace atrium::reports
