// Dashboards: JSON documents (built in, declared by plugins, or stored per user with sharing),
// rendering every widget to the data contract of web/public/js/charts/widgets.js, drill-down to
// the underlying records, and export.
#include "Parallel.h"
#include "Reporting.h"

#include "identity/Audit.h"

#include <algorithm>
#include <set>

namespace atrium::reports {

namespace {

const std::set<std::string> kWidgetTypes = {"kpi", "line", "bar", "stacked_bar", "pie", "donut", "funnel", "gauge",
                                            "table", "heatmap", "leaderboard", "scatter"};

std::string loc(const Json& label, const std::string& locale) {
    if (label.is_string()) return label.get<std::string>();
    if (!label.is_object()) return {};
    const char* key = locale.rfind("zh", 0) == 0 ? "zh-CN" : "en";
    if (label.contains(key) && label[key].is_string()) return label[key].get<std::string>();
    if (label.contains("en") && label["en"].is_string()) return label["en"].get<std::string>();
    return {};
}

/// Resolves a period preset like the web UI does (web/public/js/charts/periods.js).
dates::Period preset(const std::string& name) {
    using dates::Grain;
    const auto t = dates::today();
    const auto month = dates::bucketStart(t, Grain::Month);
    const auto quarter = dates::bucketStart(t, Grain::Quarter);
    const auto year = dates::bucketStart(t, Grain::Year);
    if (name == "this_month") return {month, t};
    if (name == "last_month") return {dates::addMonths(month, -1), month - std::chrono::days{1}};
    if (name == "this_quarter") return {quarter, t};
    if (name == "last_quarter") return {dates::addMonths(quarter, -3), quarter - std::chrono::days{1}};
    if (name == "year_to_date" || name == "this_year") return {year, t};
    if (name == "last_year") return {dates::addYears(year, -1), year - std::chrono::days{1}};
    if (name == "last_30_days") return {t - std::chrono::days{29}, t};
    if (name == "last_90_days") return {t - std::chrono::days{89}, t};
    return {dates::addMonths(month, -11), t}; // last_12_months
}

struct Applied {
    dates::Period period;
    ScopeFilter scope;
    std::map<std::string, Json> fields; ///< other filters: dataset field -> value (cross-filtering)
};

Applied applyFilters(const Json& doc, const Json& filters) {
    Applied a;
    std::string defaultPreset = "last_12_months";
    for (const auto& f : doc.value("filters", Json::array()))
        if (f.value("type", std::string()) == "period" && f.contains("default") && f["default"].is_string()) defaultPreset = f["default"];
    a.period = preset(defaultPreset);
    if (!filters.is_object()) return a;
    for (auto it = filters.begin(); it != filters.end(); ++it) {
        const auto& k = it.key();
        const auto& v = it.value();
        if (v.is_null()) continue;
        if (k == "period") {
            if (v.is_string()) a.period = preset(v.get<std::string>());
            else a.period = parsePeriod(v);
        } else if (k == "department_id") {
            if (!v.is_number_integer()) throw badRequest("'department_id' is a department id.");
            a.scope.departmentId = v.get<std::int64_t>();
        } else if (k == "owner_id") {
            if (!v.is_number_integer()) throw badRequest("'owner_id' is a user id.");
            a.scope.ownerId = v.get<std::int64_t>();
        } else {
            if (!validIdentifier(k)) throw badRequest("'" + k + "' is not a filter name.");
            if (v.is_object()) throw badRequest("The filter '" + k + "' needs a value or an array of values.");
            a.fields[k] = v;
        }
    }
    return a;
}

/// Dashboard-level field filters that apply to this dataset (those it declares).
std::vector<Filter> crossFilters(const Dataset& ds, const Applied& a) {
    std::vector<Filter> out;
    for (const auto& [k, v] : a.fields)
        if (ds.field(k)) out.push_back({k, v.is_array() ? "in" : "=", v});
    return out;
}

std::string keyText(const Json& v) { return v.is_null() ? std::string() : v.is_string() ? v.get<std::string>() : v.dump(); }

struct WidgetQuery {
    std::shared_ptr<const Dataset> ds;
    Query query;
    Result result;
    std::vector<std::string> groups; ///< result column names of the group columns (period first)
    std::map<std::string, std::map<std::string, std::string>> labels; ///< group column -> key -> label
    std::string label(std::size_t group, const Json& key) const {
        if (key.is_null()) return "—";
        auto g = labels.find(groups[group]);
        if (g != labels.end()) {
            auto it = g->second.find(keyText(key));
            if (it != g->second.end()) return it->second;
        }
        return keyText(key);
    }
};

WidgetQuery runWidgetQuery(Engine& engine, const identity::Principal& p, const Json& w, const Applied& a) {
    WidgetQuery wq;
    const auto& spec = w.at("query");
    wq.ds = engine.dataset(spec.value("dataset", std::string()));
    if (!wq.ds) throw notFound("The dataset '" + spec.value("dataset", std::string()) + "'");
    Json body = spec;
    auto q = Query::fromJson(body);
    auto extra = crossFilters(*wq.ds, a);
    q.filters.insert(q.filters.end(), extra.begin(), extra.end());
    if (q.time) {
        q.time->from = dates::format(a.period.from);
        q.time->to = dates::format(a.period.to);
    }
    q.scope = a.scope;
    wq.result = engine.query(p, q, body["measures"]);
    wq.query = q;
    // engine.query resolved the measures into a copy; rebuild them for callers.
    wq.query.measures.clear();
    int i = 0;
    for (const auto& m : body["measures"]) wq.query.measures.push_back(parseMeasure(m, *wq.ds, i++));
    if (q.time && q.time->grain) wq.groups.push_back("period");
    for (const auto& d : q.dimensions) wq.groups.push_back(d);
    const auto meta = wq.result.meta;
    if (meta.contains("labels"))
        for (auto it = meta["labels"].begin(); it != meta["labels"].end(); ++it)
            for (auto jt = it.value().begin(); jt != it.value().end(); ++jt) wq.labels[it.key()][jt.key()] = jt.value().get<std::string>();
    // Charts name categories, series and slices by label, so two keys sharing a label (a stage
    // called 赢单 in two pipelines) would be merged into one mark. Keep them apart by naming the key.
    for (auto& [column, byKey] : wq.labels) {
        std::map<std::string, int> uses;
        for (const auto& [key, text] : byKey) ++uses[text];
        for (auto& [key, text] : byKey)
            if (uses[text] > 1) text += " (" + key + ")";
    }
    return wq;
}

/// A click on a mark can cross-filter the dashboard by the widget's first group column when it is
/// a dataset field (not the period): the data carries that field, its label and the raw key of
/// each category / item / row, because the shown labels may be looked-up names.
bool keyed(const WidgetQuery& wq) { return !wq.groups.empty() && wq.groups[0] != "period"; }

void addKeyField(Json& data, const WidgetQuery& wq) {
    data["key_field"] = wq.groups[0];
    if (const auto* f = wq.ds->field(wq.groups[0])) data["key_label"] = f->label;
}

Json cartesian(const WidgetQuery& wq, const Applied& a, const std::string& locale) {
    const auto& rows = wq.result.rows;
    const std::size_t ng = wq.groups.size();
    std::vector<std::string> categories;
    Json keys = Json::array(); ///< raw key of each category (keyed widgets only)
    std::map<std::string, std::size_t> catIndex;
    // Time categories cover the whole period so lines have no gaps.
    if (wq.query.time && wq.query.time->grain) {
        const auto g = *dates::parseGrain(*wq.query.time->grain);
        for (auto b : dates::buckets(a.period.from, a.period.to, g)) {
            catIndex[dates::label(b, g)] = categories.size();
            categories.push_back(dates::label(b, g));
        }
    }
    auto category = [&](const Json& row) {
        const auto l = ng ? wq.label(0, row[0]) : std::string("total");
        auto it = catIndex.find(l);
        if (it != catIndex.end()) return it->second;
        catIndex[l] = categories.size();
        categories.push_back(l);
        keys.push_back(ng ? row[0] : Json());
        return categories.size() - 1;
    };
    Json series = Json::array();
    if (ng >= 2) {
        // Second group column → one series per value, first measure.
        std::vector<std::string> names;
        std::map<std::string, std::size_t> sIndex;
        std::vector<std::map<std::size_t, Json>> values;
        for (const auto& row : rows) {
            const auto c = category(row);
            const auto s = wq.label(1, row[1]);
            if (!sIndex.count(s)) {
                sIndex[s] = names.size();
                names.push_back(s);
                values.emplace_back();
            }
            values[sIndex[s]][c] = row[ng];
        }
        for (std::size_t i = 0; i < names.size(); ++i) {
            Json v = Json::array();
            for (std::size_t c = 0; c < categories.size(); ++c) v.push_back(values[i].count(c) ? values[i][c] : Json(0));
            series.push_back({{"name", names[i]}, {"values", v}});
        }
    } else {
        std::vector<std::map<std::size_t, Json>> values(wq.query.measures.size());
        for (const auto& row : rows) {
            const auto c = category(row);
            for (std::size_t m = 0; m < wq.query.measures.size(); ++m) values[m][c] = row[ng + m];
        }
        for (std::size_t m = 0; m < wq.query.measures.size(); ++m) {
            Json v = Json::array();
            const bool additive = wq.query.measures[m].aggregate == "sum" || wq.query.measures[m].aggregate == "count" ||
                                  wq.query.measures[m].aggregate == "count_distinct";
            for (std::size_t c = 0; c < categories.size(); ++c) v.push_back(values[m].count(c) ? values[m][c] : (additive ? Json(0) : Json(nullptr)));
            series.push_back({{"name", loc(wq.query.measures[m].label, locale)}, {"measure", wq.query.measures[m].as}, {"values", v}});
        }
    }
    Json data = {{"categories", categories}, {"series", series}};
    if (keyed(wq)) {
        data["keys"] = keys;
        addKeyField(data, wq);
    }
    return data;
}

Json tableData(const WidgetQuery& wq, const std::string& locale, bool leaderboard) {
    Json columns = Json::array();
    const auto& cols = wq.result.columns;
    const std::size_t ng = wq.groups.size();
    if (leaderboard) columns.push_back({{"name", "rank"}, {"label", {{"en", "Rank"}, {"zh-CN", "排名"}}}, {"type", "integer"}, {"role", "rank"}});
    for (std::size_t i = 0; i < cols.size(); ++i) {
        Json c = cols[i];
        if (i < ng && wq.labels.count(wq.groups[i])) c["type"] = "text";
        c["role"] = i < ng ? "dimension" : "measure"; // a numeric id dimension is not the value
        columns.push_back(c);
    }
    Json rows = Json::array();
    int rank = 0;
    Json last;
    int position = 0;
    for (const auto& r : wq.result.rows) {
        Json row = Json::array();
        ++position;
        if (leaderboard) {
            const auto& v = ng < r.size() ? r[ng] : Json();
            if (position == 1 || v != last) rank = position;
            last = v;
            row.push_back(rank);
        }
        for (std::size_t i = 0; i < r.size(); ++i) row.push_back(i < ng && wq.labels.count(wq.groups[i]) ? Json(wq.label(i, r[i])) : r[i]);
        rows.push_back(row);
    }
    (void)locale;
    Json data = {{"columns", columns}, {"rows", rows}};
    if (keyed(wq)) {
        Json keys = Json::array();
        for (const auto& r : wq.result.rows) keys.push_back(r[0]);
        data["keys"] = keys;
        addKeyField(data, wq);
    }
    return data;
}

} // namespace

/// Everything the render and drill endpoints need about one dashboard.
struct DashboardStore {
    Engine& engine;

    bool visible(const identity::Principal& p, const Json& d) const {
        // A built-in is shared with everyone whose department has its module enabled.
        if (d.value("builtin", false)) return engine.mayUseDeclared(p, d);
        if (p.isAdmin() || p.scope("reports.admin") != identity::Scope::None) return true;
        if (d.value("owner_id", std::int64_t(0)) == p.userId) return true;
        const auto shared = d.value("shared", Json::object());
        for (const auto& r : shared.value("roles", Json::array()))
            if (r.is_string() && std::find(p.roles.begin(), p.roles.end(), r.get<std::string>()) != p.roles.end()) return true;
        for (const auto& dep : shared.value("departments", Json::array()))
            if (dep.is_number_integer() && p.departmentPath.find("/" + std::to_string(dep.get<std::int64_t>()) + "/") != std::string::npos) return true;
        return false;
    }
    bool editable(const identity::Principal& p, const Json& d) const {
        if (d.value("builtin", false)) return false;
        if (p.isAdmin() || p.scope("reports.admin") != identity::Scope::None) return true;
        return d.value("owner_id", std::int64_t(0)) == p.userId && p.can("reports.dashboard.write");
    }

    /// Built-in dashboards (declared by plugins through the SDK) whose datasets and KPIs all exist.
    std::vector<Json> builtins() {
        std::vector<Json> out;
        for (auto d : engine.declaredDocuments("dashboard")) {
            bool complete = true;
            for (const auto& w : d.value("widgets", Json::array())) {
                if (w.contains("kpi") && !engine.kpi(w.value("kpi", std::string()))) complete = false;
                if (w.contains("query") && !engine.dataset(w["query"].value("dataset", std::string()))) complete = false;
            }
            if (!complete) continue;
            d["builtin"] = true;
            d["version"] = 1;
            d.erase("kind");
            out.push_back(d);
        }
        return out;
    }

    std::optional<Json> load(const std::string& id) {
        for (auto& d : builtins())
            if (keyText(d["id"]) == id) return d;
        if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
        auto c = engine.db()->acquire();
        auto rows = c->queryAll("SELECT id, owner_id, body, shared, source, version, updated_at FROM reports_dashboards WHERE id = ?",
                                {static_cast<std::int64_t>(std::stoll(id))});
        if (rows.empty()) return std::nullopt;
        return fromRow(rows[0]);
    }

    static Json fromRow(const store::Values& r) {
        Json d = Json::parse(store::asText(r[2]), nullptr, false);
        if (d.is_discarded()) d = Json::object();
        d["id"] = store::asInt(r[0]);
        d["owner_id"] = store::asInt(r[1]);
        d["shared"] = Json::parse(store::asText(r[3]), nullptr, false);
        if (!store::isNull(r[4])) d["source"] = store::asText(r[4]);
        d["version"] = store::asInt(r[5]);
        d["updated_at"] = store::asText(r[6]);
        d["builtin"] = false;
        return d;
    }

    std::vector<Json> list(const identity::Principal& p) {
        std::vector<Json> out;
        for (auto& d : builtins())
            if (visible(p, d) && usableByCaller(p, d)) out.push_back(d);
        auto c = engine.db()->acquire();
        for (auto& r : c->queryAll("SELECT id, owner_id, body, shared, source, version, updated_at FROM reports_dashboards ORDER BY id")) {
            auto d = fromRow(r);
            if (visible(p, d)) out.push_back(d);
        }
        return out;
    }

    bool usableByCaller(const identity::Principal& p, const Json& d) {
        for (const auto& w : d.value("widgets", Json::array())) {
            if (w.contains("kpi")) {
                auto k = engine.kpi(w.value("kpi", std::string()));
                if (k && engine.mayUseKpi(p, *k)) return true;
            } else if (w.contains("query")) {
                auto ds = engine.dataset(w["query"].value("dataset", std::string()));
                if (ds && engine.mayUse(p, *ds)) return true;
            }
        }
        return false;
    }

    /// Validates a dashboard document from a client; returns the normalised body to store.
    Json validate(const identity::Principal& p, const Json& in) {
        if (!in.is_object()) throw badRequest("A dashboard is a JSON object.");
        Json d = Json::object();
        if (!in.contains("name")) throw badRequest("A dashboard needs a 'name' ({\"en\", \"zh-CN\"} or a string).");
        d["name"] = in["name"].is_string() ? Json{{"en", in["name"]}, {"zh-CN", in["name"]}} : in["name"];
        if (!d["name"].is_object() || loc(d["name"], "en").empty()) throw badRequest("A dashboard needs a non-empty name.");
        if (in.contains("description")) d["description"] = in["description"];
        Json filters = in.value("filters", Json::array({{{"field", "period"}, {"type", "period"}, {"default", "last_12_months"}},
                                                        {{"field", "department_id"}, {"type", "department"}},
                                                        {{"field", "owner_id"}, {"type", "user"}}}));
        if (!filters.is_array() || filters.size() > 12) throw badRequest("'filters' is an array of at most 12 filters.");
        for (const auto& f : filters) {
            if (!f.is_object() || !f.value("field", Json()).is_string() || !validIdentifier(f.value("field", std::string())))
                throw badRequest("Each filter has a 'field' name.");
            const auto type = f.value("type", std::string("field"));
            if (type != "period" && type != "department" && type != "user" && type != "field")
                throw badRequest("A filter type is period, department, user or field.");
        }
        d["filters"] = filters;
        const auto widgets = in.value("widgets", Json::array());
        if (!widgets.is_array() || widgets.size() > 40) throw badRequest("'widgets' is an array of at most 40 widgets.");
        std::set<std::string> ids;
        for (const auto& w : widgets) {
            if (!w.is_object()) throw badRequest("Each widget is an object.");
            const auto id = keyText(w.value("id", Json()));
            if (id.empty() || id.size() > 64 || !ids.insert(id).second) throw badRequest("Each widget needs a unique 'id'.");
            const auto type = w.value("type", std::string());
            if (!kWidgetTypes.count(type)) throw badRequest("Widget '" + id + "': type '" + type + "' is unknown.");
            for (const char* k : {"x", "y", "w", "h"})
                if (!w.value(k, Json()).is_number_integer()) throw badRequest(std::string("Widget '") + id + "' needs integer " + k + ".");
            if (w["x"].get<int>() < 0 || w["w"].get<int>() < 1 || w["x"].get<int>() + w["w"].get<int>() > 12 || w["y"].get<int>() < 0 ||
                w["h"].get<int>() < 1 || w["h"].get<int>() > 12)
                throw badRequest("Widget '" + id + "' does not fit the 12-column grid.");
            if (w.contains("kpi")) {
                auto k = engine.kpi(w.value("kpi", std::string()));
                if (!k) throw badRequest("Widget '" + id + "': the KPI '" + w.value("kpi", std::string()) + "' does not exist.");
                if (!engine.mayUseKpi(p, *k)) throw forbidden("Widget '" + id + "': you may not use the KPI '" + w.value("kpi", std::string()) + "'.");
                if (type != "kpi" && type != "gauge" && type != "line" && type != "bar")
                    throw badRequest("Widget '" + id + "': a KPI feeds kpi, gauge, line or bar widgets.");
            } else if (w.contains("query")) {
                auto q = Query::fromJson(w["query"]);
                auto ds = engine.dataset(q.dataset);
                if (!ds) throw badRequest("Widget '" + id + "': the dataset '" + q.dataset + "' does not exist.");
                engine.checkAccess(p, *ds);
                int i = 0;
                for (const auto& m : w["query"]["measures"]) parseMeasure(m, *ds, i++);
                const auto nd = q.dimensions.size() + (q.time && q.time->grain ? 1 : 0);
                if ((type == "heatmap" && nd != 2) || ((type == "pie" || type == "donut" || type == "funnel") && nd != 1) ||
                    (type == "scatter" && (q.dimensions.empty() || w["query"]["measures"].size() < 2)))
                    throw badRequest("Widget '" + id + "': a " + type + " needs " +
                                     (type == "heatmap" ? "two group columns" : type == "scatter" ? "a dimension and two measures" : "one group column") + ".");
            } else {
                throw badRequest("Widget '" + id + "' needs a 'kpi' or a 'query'.");
            }
        }
        d["widgets"] = widgets;
        return d;
    }

    Json sharedOf(const Json& in) {
        Json s = {{"departments", Json::array()}, {"roles", Json::array()}};
        if (!in.contains("shared") || in["shared"].is_null()) return s;
        const auto& sh = in["shared"];
        if (!sh.is_object()) throw badRequest("'shared' is {departments: [ids], roles: [names]}.");
        for (const auto& d : sh.value("departments", Json::array())) {
            if (!d.is_number_integer()) throw badRequest("'shared.departments' holds department ids.");
            s["departments"].push_back(d);
        }
        for (const auto& r : sh.value("roles", Json::array())) {
            if (!r.is_string()) throw badRequest("'shared.roles' holds role names.");
            s["roles"].push_back(r);
        }
        return s;
    }

    Json renderWidget(const identity::Principal& p, const Json& w, const Applied& a) {
        const auto type = w.value("type", std::string());
        if (w.contains("kpi")) {
            auto k = engine.kpi(w.value("kpi", std::string()));
            if (!k || !engine.mayUseKpi(p, *k)) throw forbidden("You may not use this KPI.");
            Engine::KpiOptions o;
            o.period = a.period;
            o.compare = w.value("compare", std::string("previous_period"));
            o.scope = a.scope;
            if (auto ds = engine.dataset(k->value("dataset", std::string()))) o.extraFilters = crossFilters(*ds, a);
            if (w.contains("grain")) o.grain = dates::parseGrain(w.value("grain", std::string()));
            auto v = engine.evaluateKpi(p, *k, o);
            if (type == "kpi") return v;
            if (type == "gauge") {
                Json g = {{"value", v["value"]}, {"unit", v["unit"]}};
                if (w.contains("max")) g["max"] = w["max"];
                else if (v["unit"] == "percent") g["max"] = 1;
                else if (k->contains("thresholds") && (*k)["thresholds"].value("good", Json()).is_number()) g["max"] = (*k)["thresholds"]["good"];
                if (v.contains("currency")) g["currency"] = v["currency"];
                return g;
            }
            Json cats = Json::array(), vals = Json::array();
            for (const auto& s : v["series"]) {
                cats.push_back(s["period"]);
                vals.push_back(s["value"]);
            }
            Json out = {{"categories", cats}, {"series", Json::array({{{"name", loc(k->value("name", Json()), p.locale)}, {"values", vals}}})},
                        {"unit", v["unit"]}};
            if (v.contains("currency")) out["currency"] = v["currency"];
            return out;
        }
        auto wq = runWidgetQuery(engine, p, w, a);
        const std::size_t ng = wq.groups.size();
        Json data;
        if (type == "line" || type == "bar" || type == "stacked_bar") {
            data = cartesian(wq, a, p.locale);
        } else if (type == "pie" || type == "donut" || type == "funnel") {
            Json items = Json::array();
            struct Item {
                std::string name;
                Json value, key;
            };
            std::vector<Item> list;
            for (const auto& r : wq.result.rows) list.push_back({wq.label(0, r[0]), r[ng], r[0]});
            if (type == "funnel" && w.contains("order") && w["order"].is_array()) {
                // Stages in the declared order; stages without rows show as 0.
                std::vector<Item> ordered;
                for (const auto& o : w["order"]) {
                    const auto key = keyText(o);
                    auto it = std::find_if(wq.result.rows.begin(), wq.result.rows.end(), [&](const Json& r) { return keyText(r[0]) == key; });
                    ordered.push_back({wq.label(0, o), it == wq.result.rows.end() ? Json(0) : (*it)[ng], it == wq.result.rows.end() ? o : (*it)[0]});
                }
                list = ordered;
            }
            const bool withKeys = keyed(wq);
            for (auto& i : list) {
                Json item = {{"name", i.name}, {"value", i.value}};
                if (withKeys) item["key"] = i.key;
                items.push_back(item);
            }
            data = {{"items", items}};
            if (withKeys) addKeyField(data, wq);
        } else if (type == "gauge") {
            data = {{"value", wq.result.rows.empty() ? Json(nullptr) : wq.result.rows[0][ng]}};
            if (w.contains("max")) data["max"] = w["max"];
        } else if (type == "table" || type == "leaderboard") {
            data = tableData(wq, p.locale, type == "leaderboard");
        } else if (type == "heatmap") {
            std::vector<std::string> xs, ys;
            std::map<std::string, std::size_t> xi, yi;
            if (wq.query.time && wq.query.time->grain) {
                const auto g = *dates::parseGrain(*wq.query.time->grain);
                for (auto b : dates::buckets(a.period.from, a.period.to, g)) {
                    xi[dates::label(b, g)] = xs.size();
                    xs.push_back(dates::label(b, g));
                }
            }
            Json values = Json::array();
            for (const auto& r : wq.result.rows) {
                const auto x = wq.label(0, r[0]), y = wq.label(1, r[1]);
                if (!xi.count(x)) {
                    xi[x] = xs.size();
                    xs.push_back(x);
                }
                if (!yi.count(y)) {
                    yi[y] = ys.size();
                    ys.push_back(y);
                }
                values.push_back({xi[x], yi[y], r[2]});
            }
            data = {{"x", xs}, {"y", ys}, {"values", values}};
        } else if (type == "scatter") {
            std::map<std::string, Json> series;
            std::vector<std::string> order;
            const std::size_t nd = wq.query.dimensions.size();
            for (const auto& r : wq.result.rows) {
                const auto name = ng >= 2 ? wq.label(1, r[1]) : loc(w.value("title", Json()), p.locale);
                if (!series.count(name)) {
                    series[name] = Json::array();
                    order.push_back(name);
                }
                series[name].push_back({r[ng], r[ng + 1], wq.label(0, r[0])});
            }
            (void)nd;
            Json s = Json::array();
            for (const auto& n : order) s.push_back({{"name", n}, {"points", series[n]}});
            data = {{"series", s}, {"x_label", wq.query.measures[0].label}, {"y_label", wq.query.measures[1].label}};
        }
        if (w.contains("unit")) data["unit"] = w["unit"];
        if (w.contains("currency")) data["currency"] = w["currency"];
        return data;
    }

    Json render(const identity::Principal& p, const Json& d, const Json& filters) {
        const auto a = applyFilters(d, filters);
        const Json widgets = d.value("widgets", Json::array());
        std::vector<Json> entries(widgets.size());
        // Widgets are independent: compute them side by side.
        parallelFor(widgets.size(), kReportThreads, [&](std::size_t i) {
            const auto& w = widgets[i];
            Json entry = {{"type", w.value("type", std::string())}};
            try {
                entry["data"] = renderWidget(p, w, a);
            } catch (const ReportError& e) {
                entry["error"] = {{"code", e.code()}, {"message", e.what()}};
            } catch (const http::HttpError& e) {
                entry["error"] = {{"code", e.code()}, {"message", e.what()}};
            }
            entries[i] = std::move(entry);
        });
        Json out = Json::object();
        for (std::size_t i = 0; i < widgets.size(); ++i) out[keyText(widgets[i].value("id", Json()))] = std::move(entries[i]);
        return {{"widgets", out},
                {"period", {{"from", dates::format(a.period.from)}, {"to", dates::format(a.period.to)}}}};
    }

    Json drill(const identity::Principal& p, const Json& d, const std::string& wid, const Json& body) {
        const auto a = applyFilters(d, body.value("filters", Json::object()));
        const Json* widget = nullptr;
        if (d.contains("widgets") && d["widgets"].is_array())
            for (const auto& w : d["widgets"])
                if (keyText(w.value("id", Json())) == wid) widget = &w;
        if (!widget) throw notFound("The widget '" + wid + "'");
        const auto point = body.value("point", Json::object());
        const auto category = point.value("category", Json());
        const auto series = point.value("series", Json());
        std::shared_ptr<const Dataset> ds;
        std::vector<Filter> filters;
        std::optional<TimeRange> time;
        if (widget->contains("kpi")) {
            auto k = engine.kpi(widget->value("kpi", std::string()));
            if (!k || !engine.mayUseKpi(p, *k)) throw forbidden("You may not use this KPI.");
            ds = engine.dataset(k->value("dataset", std::string()));
            if (!ds) throw notFound("The KPI's dataset");
            filters = parseFilters(k->value("filters", Json()));
            auto extra = crossFilters(*ds, a);
            filters.insert(filters.end(), extra.begin(), extra.end());
            // The records behind the number: the measure's own filters (for a ratio, the denominator's).
            const auto m = k->contains("ratio") ? (*k)["ratio"].value("denominator", Json()) : k->value("measure", Json());
            auto mf = parseFilters(m.value("filters", Json()));
            filters.insert(filters.end(), mf.begin(), mf.end());
            std::string tf = k->value("time", std::string());
            if (tf.empty())
                for (const auto& f : ds->fields)
                    if (f.kind == "time") {
                        tf = f.name;
                        break;
                    }
            time = TimeRange{tf, std::nullopt, dates::format(a.period.from), dates::format(a.period.to)};
            if (category.is_string()) {
                const auto g = widget->contains("grain") ? dates::parseGrain(widget->value("grain", std::string())) : dates::defaultGrain(a.period.from, a.period.to);
                if (g) {
                    if (auto r = dates::labelRange(category.get<std::string>(), *g)) {
                        time->from = dates::format(std::max(r->first, a.period.from));
                        time->to = dates::format(std::min(r->second, a.period.to));
                    }
                }
            }
        } else {
            auto wq = runWidgetQuery(engine, p, *widget, a);
            ds = wq.ds;
            filters = wq.query.filters;
            time = wq.query.time;
            if (time) time->grain.reset();
            auto narrow = [&](std::size_t group, const Json& labelValue) {
                if (labelValue.is_null() || group >= wq.groups.size()) return;
                const auto text = keyText(labelValue);
                if (wq.groups[group] == "period") {
                    const auto g = *dates::parseGrain(*wq.query.time->grain);
                    auto r = dates::labelRange(text, g);
                    if (!r) throw badRequest("'" + text + "' is not a period of this widget.");
                    time->from = dates::format(std::max(r->first, a.period.from));
                    time->to = dates::format(std::min(r->second, a.period.to));
                    return;
                }
                // Map the shown label back to the key it stands for.
                for (const auto& row : wq.result.rows)
                    if (wq.label(group, row[group]) == text) {
                        filters.push_back({wq.groups[group], "=", row[group]});
                        return;
                    }
                filters.push_back({wq.groups[group], "=", labelValue});
            };
            const auto type = widget->value("type", std::string());
            if (type == "scatter") {
                // A scatter point is labelled by its first dimension.
                narrow(0, category.is_null() ? series : category);
            } else {
                narrow(0, category);
                if (wq.groups.size() >= 2) narrow(1, series);
            }
            // A series that is a filtered measure narrows to that measure's rows.
            for (const auto& m : wq.query.measures)
                if (series.is_string() && wq.groups.size() < 2 && loc(m.label, p.locale) == series.get<std::string>())
                    filters.insert(filters.end(), m.filters.begin(), m.filters.end());
            if (wq.query.measures.size() == 1) filters.insert(filters.end(), wq.query.measures[0].filters.begin(), wq.query.measures[0].filters.end());
        }
        if (!ds) throw notFound("The widget's dataset");
        const int limit = std::clamp(body.value("limit", 500), 1, 5000);
        return engine.records(p, *ds, filters, time, a.scope, limit);
    }
};

Json renderDashboard(Engine& engine, const identity::Principal& p, const Json& dashboard, const Json& filters) {
    DashboardStore s{engine};
    return s.render(p, dashboard, filters);
}

void registerDashboardRoutes(http::Router& router, Engine& engine) {
    auto store = std::make_shared<DashboardStore>(DashboardStore{engine});

    router.add(route("GET", "/api/v1/reports/dashboards", "reports.dashboard.read", "Dashboards you may open",
                     [store](http::Request& req, http::Response& res) {
                         Json items = Json::array();
                         for (const auto& d : store->list(req.principal)) {
                             Json item = {{"id", d["id"]}, {"name", d.value("name", Json())}, {"builtin", d.value("builtin", false)},
                                          {"widget_count", d.value("widgets", Json::array()).size()}, {"version", d.value("version", 1)},
                                          {"editable", store->editable(req.principal, d)}};
                             for (const char* k : {"description", "owner_id", "shared", "source", "updated_at"})
                                 if (d.contains(k)) item[k] = d[k];
                             items.push_back(item);
                         }
                         res.json({{"items", items}});
                     }));

    auto loadVisible = [store](const http::Request& req) {
        const auto id = req.pathParams.at("id");
        auto d = store->load(id);
        if (!d || !store->visible(req.principal, *d)) throw notFound("The dashboard '" + id + "'");
        return *d;
    };

    router.add(route("GET", "/api/v1/reports/dashboards/{id}", "reports.dashboard.read", "A dashboard's filters and widgets",
                     [store, loadVisible](http::Request& req, http::Response& res) {
                         auto d = loadVisible(req);
                         d["editable"] = store->editable(req.principal, d);
                         res.json(d);
                     }));

    router.add(route("POST", "/api/v1/reports/dashboards", "reports.dashboard.write", "Create a dashboard",
                     [store, &engine](http::Request& req, http::Response& res) {
                         auto in = req.jsonBody();
                         auto body = store->validate(req.principal, in);
                         auto shared = store->sharedOf(in);
                         auto c = engine.db()->acquire();
                         store::Transaction tx(*c);
                         const auto id = c->insert("INSERT INTO reports_dashboards (owner_id, name, body, shared, source, version, created_at, updated_at) VALUES (?, ?, ?, ?, NULL, 1, ?, ?)",
                                                   {req.principal.userId, body["name"].dump(), body.dump(), shared.dump(), nowUtc(), nowUtc()});
                         auto audit = identity::AuditEntry::by(req.principal, "create", "reports.dashboard", id);
                         audit.newValues = body;
                         audit.requestId = req.requestId;
                         engine.host().audit().record(*c, audit);
                         tx.commit();
                         res.json(*store->load(std::to_string(id)), 201);
                     }));

    router.add(route("PUT", "/api/v1/reports/dashboards/{id}", "reports.dashboard.write", "Change a dashboard (version required; 409 when stale)",
                     [store, loadVisible, &engine](http::Request& req, http::Response& res) {
                         auto cur = loadVisible(req);
                         if (!store->editable(req.principal, cur))
                             throw forbidden(cur.value("builtin", false) ? "A built-in dashboard cannot be changed; make a copy." : "Only the owner can change this dashboard.");
                         auto in = req.jsonBody();
                         if (!in.value("version", Json()).is_number_integer()) throw badRequest("'version' (the one you read) is required.");
                         const auto version = in["version"].get<std::int64_t>();
                         auto body = store->validate(req.principal, in);
                         auto shared = in.contains("shared") ? store->sharedOf(in) : cur["shared"];
                         auto c = engine.db()->acquire();
                         store::Transaction tx(*c);
                         const auto n = c->execute("UPDATE reports_dashboards SET name = ?, body = ?, shared = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?",
                                                   {body["name"].dump(), body.dump(), shared.dump(), nowUtc(), cur["id"].get<std::int64_t>(), version});
                         if (n == 0) throw http::HttpError::conflict("The dashboard changed since you read it; reload it and apply your change again.");
                         auto audit = identity::AuditEntry::by(req.principal, "update", "reports.dashboard", cur["id"].get<std::int64_t>());
                         audit.oldValues = cur;
                         audit.newValues = body;
                         audit.requestId = req.requestId;
                         engine.host().audit().record(*c, audit);
                         tx.commit();
                         res.json(*store->load(req.pathParams.at("id")));
                     }));

    router.add(route("DELETE", "/api/v1/reports/dashboards/{id}", "reports.dashboard.write", "Delete a dashboard",
                     [store, loadVisible, &engine](http::Request& req, http::Response& res) {
                         auto cur = loadVisible(req);
                         if (!store->editable(req.principal, cur)) throw forbidden("Only the owner can delete this dashboard.");
                         auto c = engine.db()->acquire();
                         store::Transaction tx(*c);
                         c->execute("DELETE FROM reports_dashboards WHERE id = ?", {cur["id"].get<std::int64_t>()});
                         auto audit = identity::AuditEntry::by(req.principal, "delete", "reports.dashboard", cur["id"].get<std::int64_t>());
                         audit.oldValues = cur;
                         audit.requestId = req.requestId;
                         engine.host().audit().record(*c, audit);
                         tx.commit();
                         res.json({{"deleted", true}});
                     }));

    router.add(route("POST", "/api/v1/reports/dashboards/{id}/copy", "reports.dashboard.write", "Make a personal copy of a dashboard",
                     [store, loadVisible, &engine](http::Request& req, http::Response& res) {
                         auto cur = loadVisible(req);
                         auto in = req.body.empty() ? Json::object() : req.jsonBody();
                         Json src = cur;
                         if (in.contains("name")) src["name"] = in["name"];
                         else {
                             Json n = src.value("name", Json::object());
                             n["en"] = loc(n, "en") + " (copy)";
                             n["zh-CN"] = loc(n, "zh-CN") + "（副本）";
                             src["name"] = n;
                         }
                         auto body = store->validate(req.principal, src);
                         auto c = engine.db()->acquire();
                         store::Transaction tx(*c);
                         const Json shared = {{"departments", Json::array()}, {"roles", Json::array()}};
                         const auto id = c->insert("INSERT INTO reports_dashboards (owner_id, name, body, shared, source, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
                                                   {req.principal.userId, body["name"].dump(), body.dump(), shared.dump(), keyText(cur["id"]), nowUtc(), nowUtc()});
                         auto audit = identity::AuditEntry::by(req.principal, "create", "reports.dashboard", id);
                         audit.newValues = {{"copied_from", keyText(cur["id"])}};
                         audit.requestId = req.requestId;
                         engine.host().audit().record(*c, audit);
                         tx.commit();
                         res.json(*store->load(std::to_string(id)), 201);
                     }));

    router.add(route("POST", "/api/v1/reports/dashboards/{id}/render", "reports.dashboard.read", "Every widget's data for the filters",
                     [store, loadVisible](http::Request& req, http::Response& res) {
                         auto d = loadVisible(req);
                         auto body = req.body.empty() ? Json::object() : req.jsonBody();
                         res.json(store->render(req.principal, d, body.value("filters", Json::object())));
                     }));

    router.add(route("POST", "/api/v1/reports/dashboards/preview", "reports.dashboard.write",
                     "Every widget's data for an unsaved dashboard document (the builder's live preview)",
                     [store](http::Request& req, http::Response& res) {
                         auto body = req.jsonBody();
                         if (!body.is_object() || !body.value("dashboard", Json()).is_object())
                             throw badRequest("The preview needs {\"dashboard\": {…}, \"filters\": {…}}.");
                         Json doc = body["dashboard"];
                         // A dashboard being built may not have a name yet; the preview does not need one.
                         if (!doc.contains("name") || loc(doc["name"], "en").empty()) doc["name"] = "preview";
                         auto d = store->validate(req.principal, doc);
                         res.json(store->render(req.principal, d, body.value("filters", Json::object())));
                     }));

    router.add(route("POST", "/api/v1/reports/dashboards/{id}/widgets/{wid}/drill", "reports.dashboard.read",
                     "The records behind a chart mark (record scope applies)",
                     [store, loadVisible](http::Request& req, http::Response& res) {
                         auto d = loadVisible(req);
                         auto body = req.body.empty() ? Json::object() : req.jsonBody();
                         res.json(store->drill(req.principal, d, req.pathParams.at("wid"), body));
                     }));

    router.add(route("POST", "/api/v1/reports/dashboards/{id}/export", "reports.export", "Every widget's data as CSV, XLSX or PDF",
                     [store, loadVisible](http::Request& req, http::Response& res) {
                         auto d = loadVisible(req);
                         auto body = req.body.empty() ? Json::object() : req.jsonBody();
                         const auto format = req.queryParam("format").value_or(body.value("format", std::string("xlsx")));
                         auto rendered = store->render(req.principal, d, body.value("filters", Json::object()));
                         std::vector<Table> tables;
                         for (const auto& w : d.value("widgets", Json::array())) {
                             const auto id = keyText(w.value("id", Json()));
                             const auto& entry = rendered["widgets"][id];
                             if (!entry.contains("data")) continue;
                             tables.push_back(widgetTable(entry["type"].get<std::string>(), entry["data"], loc(w.value("title", Json()), req.principal.locale),
                                                          req.principal.locale));
                         }
                         sendExport(res, format, tables, "dashboard-" + keyText(d["id"]));
                     }));
}

Table widgetTable(const std::string& type, const Json& data, const std::string& title, const std::string& locale) {
    const bool zh = locale.rfind("zh", 0) == 0;
    Table t;
    t.title = title;
    if (type == "kpi") {
        t.headers = {zh ? "值" : "Value", zh ? "上期" : "Previous", zh ? "变化" : "Change", zh ? "状态" : "Status"};
        t.types = {"number", "number", "number", "text"};
        t.rows.push_back({data.value("value", Json()), data.value("previous", Json()), data.value("delta", Json()), data.value("status", Json())});
    } else if (type == "line" || type == "bar" || type == "stacked_bar") {
        t.headers = {zh ? "类别" : "Category"};
        t.types = {"text"};
        for (const auto& s : data.value("series", Json::array())) {
            t.headers.push_back(s.value("name", std::string()));
            t.types.push_back("number");
        }
        const auto cats = data.value("categories", Json::array());
        for (std::size_t i = 0; i < cats.size(); ++i) {
            std::vector<Json> row = {cats[i]};
            for (const auto& s : data["series"]) row.push_back(s["values"].size() > i ? s["values"][i] : Json());
            t.rows.push_back(row);
        }
    } else if (type == "pie" || type == "donut" || type == "funnel") {
        t.headers = {zh ? "名称" : "Name", zh ? "值" : "Value"};
        t.types = {"text", "number"};
        for (const auto& i : data.value("items", Json::array())) t.rows.push_back({i["name"], i["value"]});
    } else if (type == "gauge") {
        t.headers = {zh ? "值" : "Value", zh ? "最大值" : "Max"};
        t.types = {"number", "number"};
        t.rows.push_back({data.value("value", Json()), data.value("max", Json())});
    } else if (type == "table" || type == "leaderboard") {
        t = tableFromResult(data, title, locale);
    } else if (type == "heatmap") {
        t.headers = {"x", "y", zh ? "值" : "Value"};
        t.types = {"text", "text", "number"};
        for (const auto& v : data.value("values", Json::array()))
            t.rows.push_back({data["x"][v[0].get<std::size_t>()], data["y"][v[1].get<std::size_t>()], v[2]});
    } else if (type == "scatter") {
        t.headers = {zh ? "系列" : "Series", zh ? "名称" : "Name", "x", "y"};
        t.types = {"text", "text", "number", "number"};
        for (const auto& s : data.value("series", Json::array()))
            for (const auto& pt : s.value("points", Json::array())) t.rows.push_back({s["name"], pt.size() > 2 ? pt[2] : Json(), pt[0], pt[1]});
    }
    return t;
}

} // namespace atrium::reports
