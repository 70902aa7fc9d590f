// /api/v1/reports/catalog, /query, /kpis, /definitions (admin-defined datasets and KPIs), /cache.
#include "Reporting.h"

#include "identity/Audit.h"

#include <set>

namespace atrium::reports {

namespace {

/// Period from query/body members "from"/"to", defaulting to the last 12 whole months + this one.
dates::Period periodOr(const Json& j) {
    if (j.is_object() && j.contains("from")) return parsePeriod(j);
    const auto t = dates::today();
    return {dates::addMonths(dates::bucketStart(t, dates::Grain::Month), -11), t};
}

/// Checks a KPI definition against its dataset by building its query once.
void validateKpi(Engine& engine, const Json& k) {
    static const std::set<std::string> units = {"number", "currency", "percent", "days", "hours"};
    if (!k.is_object()) throw badRequest("A KPI is a JSON object.");
    const auto id = k.value("id", std::string());
    if (id.empty() || id.size() > 100) throw badRequest("A KPI needs an 'id'.");
    auto ds = engine.dataset(k.value("dataset", std::string()));
    if (!ds) throw badRequest("KPI '" + id + "': the dataset '" + k.value("dataset", std::string()) + "' does not exist.");
    if (!units.count(k.value("unit", std::string("number")))) throw badRequest("KPI '" + id + "': unit is number, currency, percent, days or hours.");
    const auto dir = k.value("direction", std::string("higher_is_better"));
    if (dir != "higher_is_better" && dir != "lower_is_better") throw badRequest("KPI '" + id + "': direction is higher_is_better or lower_is_better.");
    if (!k.contains("measure") && !k.contains("ratio")) throw badRequest("KPI '" + id + "' needs a measure or a ratio.");
    auto checkMeasure = [&](const Json& m) {
        auto pm = parseMeasure(m, *ds, 0);
        if (!pm.field.empty() && !ds->field(pm.field)) throw badRequest("KPI '" + id + "': '" + pm.field + "' is not a field of '" + ds->id + "'.");
        for (const auto& f : pm.filters)
            if (!ds->field(f.field)) throw badRequest("KPI '" + id + "': '" + f.field + "' is not a field of '" + ds->id + "'.");
    };
    if (k.contains("ratio")) {
        checkMeasure(k["ratio"].value("numerator", Json()));
        checkMeasure(k["ratio"].value("denominator", Json()));
    } else {
        checkMeasure(k["measure"]);
    }
    for (const auto& f : parseFilters(k.value("filters", Json())))
        if (!ds->field(f.field)) throw badRequest("KPI '" + id + "': '" + f.field + "' is not a field of '" + ds->id + "'.");
    const auto time = k.value("time", std::string());
    if (!time.empty() && (!ds->field(time) || ds->field(time)->kind != "time")) throw badRequest("KPI '" + id + "': '" + time + "' is not a time field.");
    if (k.contains("thresholds")) {
        const auto& t = k["thresholds"];
        if (!t.is_object() || !t.value("good", Json()).is_number() || !t.value("warning", Json()).is_number())
            throw badRequest("KPI '" + id + "': thresholds are {good, warning} numbers.");
    }
}

} // namespace

void registerCatalogRoutes(http::Router& router, Engine& engine) {
    Engine* e = &engine;

    router.add(route("GET", "/api/v1/reports/catalog", "reports.read", "Datasets and KPIs the caller may use",
                     [e](http::Request& req, http::Response& res) { res.json(e->catalogFor(req.principal)); }));

    router.add(route("POST", "/api/v1/reports/query", "reports.read", "Aggregate a dataset (scope and field denials apply)",
                     [e](http::Request& req, http::Response& res) {
                         auto body = req.jsonBody();
                         auto q = Query::fromJson(body);
                         res.json(e->query(req.principal, q, body["measures"]).toJson());
                     }));

    router.add(route("POST", "/api/v1/reports/query/export", "reports.export", "Export a query result as CSV, XLSX or PDF",
                     [e](http::Request& req, http::Response& res) {
                         auto body = req.jsonBody();
                         const auto format = req.queryParam("format").value_or(body.value("format", std::string("csv")));
                         body.erase("format");
                         auto q = Query::fromJson(body);
                         auto r = e->query(req.principal, q, body["measures"]).toJson();
                         const auto title = q.dataset;
                         sendExport(res, format, {tableFromResult(r, title, req.principal.locale)}, q.dataset);
                     }));

    router.add(route("POST", "/api/v1/reports/kpis/{id}/evaluate", "reports.read", "A KPI's value, previous value, delta, status and trend",
                     [e](http::Request& req, http::Response& res) {
                         auto body = req.body.empty() ? Json::object() : req.jsonBody();
                         auto k = e->kpi(req.pathParams.at("id"));
                         if (!k || !e->mayUseKpi(req.principal, *k)) throw notFound("The KPI '" + req.pathParams.at("id") + "'");
                         Engine::KpiOptions o;
                         o.period = periodOr(body.value("period", Json()));
                         o.compare = body.value("compare", std::string("previous_period"));
                         if (o.compare != "previous_period" && o.compare != "same_period_last_year" && o.compare != "none")
                             throw badRequest("'compare' is previous_period, same_period_last_year or none.");
                         if (body.contains("grain")) {
                             o.grain = dates::parseGrain(body.value("grain", std::string()));
                             if (!o.grain) throw badRequest("Grain is day, week, month, quarter or year.");
                         }
                         if (body.contains("department_id")) o.scope.departmentId = body["department_id"].get<std::int64_t>();
                         if (body.contains("owner_id")) o.scope.ownerId = body["owner_id"].get<std::int64_t>();
                         // A team scorecard subject is a set of owners (its "members"): its KPI
                         // chart needs the same narrowing the scorecard used.
                         if (body.contains("owner_ids")) {
                             const auto& ids = body["owner_ids"];
                             if (!ids.is_array() || ids.empty() || ids.size() > 1000)
                                 throw badRequest("'owner_ids' is a list of 1 to 1000 user ids.");
                             for (const auto& id : ids) {
                                 if (!id.is_number_integer()) throw badRequest("'owner_ids' is a list of user ids.");
                                 o.scope.ownerIn.push_back(id.get<std::int64_t>());
                             }
                             o.scope.ownerInSet = true;
                         }
                         o.extraFilters = parseFilters(body.value("filters", Json()));
                         auto out = e->evaluateKpi(req.principal, *k, o);
                         out["id"] = k->value("id", std::string());
                         res.json(out);
                     }));

    // ---- admin-defined datasets and KPIs ------------------------------------------------------
    router.add(route("GET", "/api/v1/reports/definitions", "reports.admin", "Admin-defined datasets and KPIs",
                     [e](http::Request&, http::Response& res) {
                         auto c = e->db()->acquire();
                         Json items = Json::array();
                         for (auto& r : c->queryAll("SELECT kind, def_id, body, version, updated_at FROM reports_definitions ORDER BY kind, def_id"))
                             items.push_back({{"kind", store::asText(r[0])}, {"id", store::asText(r[1])},
                                              {"definition", Json::parse(store::asText(r[2]), nullptr, false)},
                                              {"version", store::asInt(r[3])}, {"updated_at", store::asText(r[4])}});
                         res.json({{"items", items}});
                     }));

    auto save = [e](http::Request& req, http::Response& res, bool create) {
        auto body = req.jsonBody();
        const std::string kind = create ? body.value("kind", std::string()) : req.pathParams.at("kind");
        if (kind != "dataset" && kind != "kpi") throw badRequest("'kind' is dataset or kpi.");
        if (!body.contains("definition") || !body["definition"].is_object()) throw badRequest("'definition' is the dataset or KPI JSON document.");
        Json def = body["definition"];
        def.erase("plugin");
        def.erase("custom");
        if (!create) def["id"] = req.pathParams.at("id");
        const auto id = def.value("id", std::string());
        if (kind == "dataset") {
            Json probe = def;
            probe["plugin"] = "reports";
            auto ds = compileDataset(probe);
            if (ds.scopePermission.empty()) throw badRequest("An admin-defined dataset needs a scope {permission, owner, department}.");
            if (!e->host().identity().permissionDeclared(ds.scopePermission))
                throw badRequest("The scope permission '" + ds.scopePermission + "' is not declared.");
            // The table must exist and have the declared columns: read one row.
            std::string cols;
            for (const auto& f : ds.fields) cols += (cols.empty() ? "" : ", ") + Dataset::col(f.name);
            for (const auto* c : {&ds.ownerColumn, &ds.departmentColumn})
                if (!c->empty()) cols += ", " + Dataset::col(*c);
            try {
                auto c = e->readDb()->acquire();
                c->queryAll("SELECT " + cols + " FROM " + ds.from + " LIMIT 1");
            } catch (const std::exception&) {
                throw badRequest("The table of dataset '" + id + "' does not exist or lacks a declared column.");
            }
            if (create && e->dataset(id)) throw http::HttpError::conflict("A dataset '" + id + "' already exists.");
        } else {
            validateKpi(*e, def);
            if (create && e->kpi(id)) throw http::HttpError::conflict("A KPI '" + id + "' already exists.");
        }
        auto c = e->db()->acquire();
        store::Transaction tx(*c);
        auto audit = identity::AuditEntry::by(req.principal, create ? "reports.definition.create" : "reports.definition.update",
                                              "reports." + kind, 0);
        audit.requestId = req.requestId;
        audit.newValues = def;
        std::int64_t version = 1;
        if (create) {
            const auto rowId = c->insert("INSERT INTO reports_definitions (kind, def_id, body, version, created_by, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?)",
                                         {kind, id, def.dump(), req.principal.userId, nowUtc(), nowUtc()});
            audit.entityId = rowId;
        } else {
            auto cur = c->queryAll("SELECT id, version, body FROM reports_definitions WHERE kind = ? AND def_id = ?", {kind, id});
            if (cur.empty()) throw http::HttpError::notFound("The " + kind + " '" + id + "'");
            const auto expected = body.value("version", std::int64_t(0));
            if (expected != store::asInt(cur[0][1])) throw http::HttpError::conflict("The definition changed since you read it (version " + std::to_string(store::asInt(cur[0][1])) + ").");
            version = expected + 1;
            c->execute("UPDATE reports_definitions SET body = ?, version = ?, updated_at = ? WHERE id = ? AND version = ?",
                       {def.dump(), version, nowUtc(), store::asInt(cur[0][0]), expected});
            audit.entityId = store::asInt(cur[0][0]);
            audit.oldValues = Json::parse(store::asText(cur[0][2]), nullptr, false);
        }
        e->host().audit().record(*c, audit);
        tx.commit();
        e->definitionsChanged();
        if (kind == "dataset") e->invalidate(id);
        else e->invalidateAll();
        res.json({{"kind", kind}, {"id", id}, {"definition", def}, {"version", version}}, create ? 201 : 200);
    };
    router.add(route("POST", "/api/v1/reports/definitions", "reports.admin", "Define a dataset or KPI",
                     [save](http::Request& req, http::Response& res) { save(req, res, true); }));
    router.add(route("PUT", "/api/v1/reports/definitions/{kind}/{id}", "reports.admin", "Change a dataset or KPI (version required)",
                     [save](http::Request& req, http::Response& res) { save(req, res, false); }));
    router.add(route("DELETE", "/api/v1/reports/definitions/{kind}/{id}", "reports.admin", "Delete an admin-defined dataset or KPI",
                     [e](http::Request& req, http::Response& res) {
                         const auto kind = req.pathParams.at("kind"), id = req.pathParams.at("id");
                         auto c = e->db()->acquire();
                         store::Transaction tx(*c);
                         auto cur = c->queryAll("SELECT id, body FROM reports_definitions WHERE kind = ? AND def_id = ?", {kind, id});
                         if (cur.empty()) throw http::HttpError::notFound("The " + kind + " '" + id + "'");
                         c->execute("DELETE FROM reports_definitions WHERE id = ?", {store::asInt(cur[0][0])});
                         auto audit = identity::AuditEntry::by(req.principal, "reports.definition.delete", "reports." + kind, store::asInt(cur[0][0]));
                         audit.oldValues = Json::parse(store::asText(cur[0][1]), nullptr, false);
                         audit.requestId = req.requestId;
                         e->host().audit().record(*c, audit);
                         tx.commit();
                         e->definitionsChanged();
                         e->invalidateAll();
                         res.json({{"deleted", true}});
                     }));

    // ---- cache --------------------------------------------------------------------------------
    router.add(route("POST", "/api/v1/reports/datasets/{id}/invalidate", "reports.admin",
                     "Drop cached results of a dataset (after writes the engine was not told about)",
                     [e](http::Request& req, http::Response& res) {
                         const auto id = req.pathParams.at("id");
                         if (!e->dataset(id)) throw notFound("The dataset '" + id + "'");
                         e->invalidate(id);
                         e->columns().drop(id); // unannounced writes may include deletions: reload in full
                         res.json({{"invalidated", id}});
                     }));
    router.add(route("GET", "/api/v1/reports/cache", "reports.admin", "Report cache statistics",
                     [e](http::Request&, http::Response& res) {
                         auto s = e->cacheStats();
                         res.json({{"entries", s.entries},
                                   {"hits", s.hits},
                                   {"misses", s.misses},
                                   {"invalidations", s.invalidations},
                                   {"columnar", e->columns().stats()}});
                     }));
}

} // namespace atrium::reports
