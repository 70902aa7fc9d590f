#include "Engine.h"

#include "identity/RecordScope.h"
#include "plugins/EventBus.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

namespace atrium::reports {

using store::Value;
using store::Values;

namespace {
constexpr std::size_t kCacheCapacity = 4096;
constexpr auto kCacheTtl = std::chrono::minutes(10);
constexpr auto kQuarantine = std::chrono::milliseconds(1500);

Json toJsonValue(const Value& v, const std::string& type) {
    if (store::isNull(v)) return nullptr;
    if (type == "integer" || type == "boolean") return store::asInt(v);
    if (type == "real" || type == "money") return tidy(store::asDouble(v));
    if (std::holds_alternative<std::int64_t>(v)) return std::get<std::int64_t>(v);
    if (std::holds_alternative<double>(v)) return tidy(std::get<double>(v));
    return store::asText(v);
}

Value bindValue(const Json& j) {
    if (j.is_null()) return nullptr;
    if (j.is_boolean()) return static_cast<std::int64_t>(j.get<bool>() ? 1 : 0);
    if (j.is_number_integer()) return j.get<std::int64_t>();
    if (j.is_number()) return j.get<double>();
    if (j.is_string()) return j.get<std::string>();
    throw badRequest("A filter value must be a string, number, boolean or null.");
}

std::string likeEscape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '%' || c == '_' || c == '!') out += '!';
        out += c;
    }
    return out;
}

struct Sql {
    std::string text;
    Values params;
    void add(const std::string& t, const Values& p = {}) {
        text += t;
        params.insert(params.end(), p.begin(), p.end());
    }
};

std::string nextDay(const std::string& d) {
    auto p = dates::parse(d);
    if (!p) throw badRequest("'" + d + "' is not a date (YYYY-MM-DD).");
    return dates::format(*p + std::chrono::days{1});
}
} // namespace

double tidy(double v) {
    // Drops binary noise (0.1 + 0.2) while keeping ratios exact to 1e-9.
    if (!std::isfinite(v)) return 0;
    if (std::fabs(v) < 1e6) return std::round(v * 1e9) / 1e9;
    return std::round(v * 1e4) / 1e4;
}

dates::Period parsePeriod(const Json& j) {
    if (!j.is_object()) throw badRequest("A period is {from, to} with YYYY-MM-DD dates.");
    auto from = dates::parse(j.value("from", std::string()));
    auto to = dates::parse(j.value("to", std::string()));
    if (!from || !to) throw badRequest("A period is {from, to} with YYYY-MM-DD dates.");
    if (*to < *from) throw badRequest("The period ends before it starts.");
    if ((*to - *from).count() > 366 * 20) throw badRequest("A period is at most 20 years long.");
    return {*from, *to};
}

std::optional<double> Engine::Parts::value() const {
    if (!hasValue) return std::nullopt;
    if (!ratio) return numerator;
    if (denominator == 0) return std::nullopt;
    return numerator / denominator;
}

Engine::Engine(app::Host& host, store::DatabasePtr readDb, columnar::Options columnar)
    : _host(host), _readDb(std::move(readDb)), _columns(std::make_unique<columnar::Store>(_readDb, columnar)) {}

columnar::Options Engine::columnarOptionsFromEnvironment() {
    columnar::Options o;
    if (const char* v = std::getenv("ATRIUM_REPORTS_COLUMNAR")) {
        const std::string s = v;
        if (s == "off" || s == "0" || s == "false" || s == "no") o.enabled = false;
    }
    if (const char* v = std::getenv("ATRIUM_REPORTS_MEMORY_MB")) {
        const long mb = std::atol(v);
        if (mb > 0) o.memoryBudget = static_cast<std::size_t>(mb) << 20;
    }
    return o;
}

// ---- catalogue --------------------------------------------------------------------------------

std::shared_ptr<const Engine::Compiled> Engine::compiled() {
    auto& catalog = _host.plugins().catalog();
    const auto rev = catalog.revision();
    const auto defRev = _definitionsRevision.load();
    std::lock_guard lock(_compileMutex);
    if (_compiled && _compiled->catalogRevision == rev && _compiled->definitionsRevision == defRev) return _compiled;
    auto c = std::make_shared<Compiled>();
    c->catalogRevision = rev;
    c->definitionsRevision = defRev;
    auto& log = Poco::Logger::get("atrium.reports");
    for (auto def : catalog.datasets()) {
        const auto kind = def.value("kind", std::string("dataset"));
        if (kind != "dataset") {
            const auto what = "dataset " + def.value("id", std::string("?")) + " ignored: a \"kind\": \"" + kind +
                              "\" document is declared with dashboard_declare / scorecard_template_declare (SDK 1.1), not as a dataset";
            c->errors.push_back(what);
            log.warning("%s", what);
            continue;
        }
        try {
            auto ds = std::make_shared<Dataset>(compileDataset(def));
            c->datasets[ds->id] = std::move(ds);
        } catch (const std::exception& e) {
            c->errors.push_back("dataset " + def.value("id", std::string("?")) + " ignored: " + e.what());
            log.warning("dataset %s ignored: %s", def.value("id", std::string("?")), std::string(e.what()));
        }
    }
    for (auto def : catalog.kpis()) c->kpis[def.value("id", std::string())] = def;
    // Built-in dashboards and scorecard templates: "acme.overview" is served as
    // "builtin.acme_overview", apart from the numeric ids of stored ones.
    auto builtins = [&](const std::vector<Json>& docs, const std::string& kind) {
        std::set<std::string> seen;
        for (auto def : docs) {
            const auto declared = def.value("id", std::string());
            auto id = declared;
            std::replace(id.begin(), id.end(), '.', '_');
            id = "builtin." + id;
            if (!seen.insert(id).second) {
                c->errors.push_back(kind + " " + declared + " ignored: another one is already served as " + id);
                continue;
            }
            def["declared_id"] = declared;
            def["id"] = id;
            c->documents[kind].push_back(std::move(def));
        }
    };
    builtins(catalog.dashboards(), "dashboard");
    builtins(catalog.scorecardTemplates(), "scorecard_template");
    // A lookup naming a table or column the database lacks would only show as raw values and a
    // log line per query: say so once, where administrators read the catalogue.
    try {
        auto conn = db()->acquire();
        for (const auto& [id, ds] : c->datasets)
            for (const auto& f : ds->fields) {
                if (f.tableLookup.empty()) continue;
                const auto& t = f.tableLookup;
                const auto quote = [](const std::string& n) { return store::Dialect::quote(n); };
                try {
                    conn->queryAll("SELECT " + quote(t.key) + ", " + quote(t.label) + (t.labelZh.empty() ? "" : ", " + quote(t.labelZh)) +
                                   " FROM " + quote(t.table) + " WHERE 1 = 0");
                } catch (const std::exception& e) {
                    const auto what = "dataset " + id + ": the lookup of '" + f.name + "' cannot read " + t.table + " (" + e.what() +
                                      "); its values show unnamed";
                    c->errors.push_back(what);
                    log.warning("%s", what);
                }
            }
    } catch (const std::exception& e) {
        log.warning("cannot check the catalogue's lookups: %s", std::string(e.what()));
    }
    try {
        auto conn = db()->acquire();
        for (auto& r : conn->queryAll("SELECT kind, body FROM reports_definitions ORDER BY id")) {
            const auto kind = store::asText(r[0]);
            Json def = Json::parse(store::asText(r[1]), nullptr, false);
            if (def.is_discarded()) continue;
            def["plugin"] = "reports";
            def["custom"] = true;
            try {
                if (kind == "dataset") {
                    auto ds = std::make_shared<Dataset>(compileDataset(def));
                    if (!c->datasets.count(ds->id)) c->datasets[ds->id] = std::move(ds);
                } else if (kind == "kpi") {
                    const auto id = def.value("id", std::string());
                    if (!c->kpis.count(id)) c->kpis[id] = def;
                }
            } catch (const std::exception& e) {
                c->errors.push_back("admin " + kind + " definition ignored: " + e.what());
                log.warning("admin %s definition ignored: %s", kind, std::string(e.what()));
            }
        }
    } catch (const std::exception& e) {
        log.warning("cannot read report definitions: %s", std::string(e.what()));
    }
    for (const auto& [id, k] : c->kpis) {
        const auto dataset = k.value("dataset", std::string());
        if (!c->datasets.count(dataset)) c->errors.push_back("KPI " + id + ": its dataset '" + dataset + "' is not in the catalogue, so it is never listed");
    }
    _compiled = c;
    return _compiled;
}

void Engine::definitionsChanged() {
    ++_definitionsRevision;
    _columns->clear(); // a dataset's columns may have changed
}

std::shared_ptr<const Dataset> Engine::dataset(const std::string& id) {
    auto c = compiled();
    auto it = c->datasets.find(id);
    return it == c->datasets.end() ? nullptr : it->second;
}

std::optional<Json> Engine::kpi(const std::string& id) {
    auto c = compiled();
    auto it = c->kpis.find(id);
    if (it == c->kpis.end()) return std::nullopt;
    return it->second;
}

std::vector<std::shared_ptr<const Dataset>> Engine::datasets() {
    std::vector<std::shared_ptr<const Dataset>> out;
    for (auto& [_, d] : compiled()->datasets) out.push_back(d);
    return out;
}

std::vector<Json> Engine::kpis() {
    std::vector<Json> out;
    for (auto& [_, k] : compiled()->kpis) out.push_back(k);
    return out;
}

std::vector<Json> Engine::declaredDocuments(const std::string& kind) {
    auto c = compiled();
    auto it = c->documents.find(kind);
    return it == c->documents.end() ? std::vector<Json>{} : it->second;
}

bool Engine::mayUseDeclared(const identity::Principal& p, const Json& doc) {
    const auto plugin = doc.value("plugin", std::string());
    return p.authenticated() && (plugin.empty() || _host.identity().moduleEnabled(plugin, p));
}

bool Engine::mayUse(const identity::Principal& p, const Dataset& ds) {
    if (!p.authenticated()) return false;
    if (ds.plugin != "reports" && ds.plugin != "core" && !_host.identity().moduleEnabled(ds.plugin, p)) return false;
    if (ds.scopePermission.empty()) return p.isAdmin() || p.scope("reports.admin") == identity::Scope::All;
    return p.can(ds.scopePermission);
}

void Engine::checkAccess(const identity::Principal& p, const Dataset& ds) {
    if (!mayUse(p, ds)) throw forbidden("You may not report on the dataset '" + ds.id + "'.");
}

bool Engine::mayUseKpi(const identity::Principal& p, const Json& k) {
    auto ds = dataset(k.value("dataset", std::string()));
    if (!ds || !mayUse(p, *ds)) return false;
    // Every field the KPI touches must be visible.
    std::vector<std::string> used;
    auto collect = [&](const Json& m) {
        if (!m.is_object()) return;
        if (m.contains("field") && m["field"].is_string()) used.push_back(m["field"].get<std::string>());
        for (const auto& f : m.value("filters", Json::array()))
            if (f.contains("field") && f["field"].is_string()) used.push_back(f["field"].get<std::string>());
    };
    collect(k.value("measure", Json()));
    if (k.contains("ratio")) {
        collect(k["ratio"].value("numerator", Json()));
        collect(k["ratio"].value("denominator", Json()));
    }
    for (const auto& f : k.value("filters", Json::array()))
        if (f.contains("field") && f["field"].is_string()) used.push_back(f["field"].get<std::string>());
    if (k.contains("time") && k["time"].is_string()) used.push_back(k["time"].get<std::string>());
    for (const auto& u : used)
        if (const auto* f = ds->field(u); f && !fieldAllowed(p, *ds, *f)) return false;
    return true;
}

Json Engine::catalogFor(const identity::Principal& p) {
    Json datasetsJ = Json::array(), kpisJ = Json::array();
    for (const auto& ds : datasets()) {
        if (!mayUse(p, *ds)) continue;
        Json fields = Json::array();
        for (const auto& f : ds->fields) {
            if (!fieldAllowed(p, *ds, f)) continue;
            Json fj = {{"name", f.name}, {"kind", f.kind}, {"type", f.type}, {"label", f.label}};
            if (!f.aggregate.empty()) fj["aggregate"] = f.aggregate;
            if (!f.lookup.empty()) fj["lookup"] = f.lookup;
            if (!f.valueLabels.empty()) fj["labels"] = f.valueLabels; // the builder offers them as filter values
            fields.push_back(fj);
        }
        Json d = {{"id", ds->id}, {"plugin", ds->plugin}, {"name", ds->name}, {"fields", fields},
                  {"custom", ds->plugin == "reports"}};
        if (ds->definition.contains("description")) d["description"] = ds->definition["description"];
        if (!ds->scopePermission.empty()) d["scope"] = {{"permission", ds->scopePermission}};
        datasetsJ.push_back(d);
    }
    for (const auto& k : kpis()) {
        if (!mayUseKpi(p, k)) continue;
        Json kj = k;
        kj["custom"] = k.value("plugin", std::string()) == "reports";
        kpisJ.push_back(kj);
    }
    Json out = {{"datasets", datasetsJ}, {"kpis", kpisJ}};
    // What the catalogue left out or cannot name, for those who can fix it.
    if (p.isAdmin() || p.scope("reports.admin") != identity::Scope::None) out["problems"] = compiled()->errors;
    return out;
}

// ---- cache ------------------------------------------------------------------------------------

std::uint64_t Engine::generation(const std::string& id) {
    std::lock_guard lock(_cacheMutex);
    return _generations[id];
}

void Engine::invalidate(const std::string& id, bool quarantine) {
    std::lock_guard lock(_cacheMutex);
    ++_generations[id];
    ++_invalidations;
    if (quarantine) _quarantine[id] = std::chrono::steady_clock::now() + kQuarantine;
}

void Engine::invalidateAll() {
    for (const auto& ds : datasets()) invalidate(ds->id);
    std::lock_guard lock(_cacheMutex);
    _cache.clear();
    _lru.clear();
    _memo.clear();
}

void Engine::onEvent(const std::string& topic) {
    for (const auto& ds : datasets())
        for (const auto& pattern : ds->invalidateOn)
            if (plugins::EventBus::topicMatches(pattern, topic)) {
                invalidate(ds->id, true);
                break;
            }
}

CacheStats Engine::cacheStats() const {
    std::lock_guard lock(_cacheMutex);
    return {_hits, _misses, _invalidations, _cache.size()};
}

Engine::MemoToken Engine::memoBegin(const std::vector<std::string>& datasets) {
    std::lock_guard lock(_cacheMutex);
    MemoToken t;
    const auto now = std::chrono::steady_clock::now();
    for (const auto& d : datasets) {
        t.generations[d] = _generations[d];
        auto q = _quarantine.find(d);
        if (q != _quarantine.end() && now < q->second) t.generations[d] = ~0ull; // never stored
    }
    return t;
}

std::optional<Json> Engine::memoGet(const std::string& key) {
    if (!_cacheEnabled) return std::nullopt;
    std::lock_guard lock(_cacheMutex);
    auto it = _memo.find(key);
    if (it == _memo.end()) return std::nullopt;
    bool valid = std::chrono::steady_clock::now() - it->second.at < std::chrono::seconds(60);
    for (const auto& [d, g] : it->second.token.generations)
        if (_generations[d] != g) valid = false;
    if (!valid) {
        _memo.erase(it);
        return std::nullopt;
    }
    ++_hits;
    return it->second.value;
}

void Engine::memoPut(const std::string& key, const MemoToken& token, const Json& value) {
    if (!_cacheEnabled) return;
    std::lock_guard lock(_cacheMutex);
    for (const auto& [d, g] : token.generations)
        if (_generations[d] != g) return; // changed while computing
    if (_memo.size() >= 512) _memo.clear();
    _memo[key] = Memo{value, token, std::chrono::steady_clock::now()};
}

std::string Engine::principalSignature(const identity::Principal& p) {
    std::string s = std::to_string(p.userId) + "|" + std::to_string(p.departmentId) + "|" + p.departmentPath + "|" + p.locale + "|";
    for (const auto& r : p.roles) s += r + ",";
    s += "|";
    for (const auto& [perm, scope] : p.permissions) s += perm + "=" + identity::scopeName(scope) + ",";
    s += "|";
    for (const auto& f : p.deniedFields) s += f + ",";
    return s;
}

std::string Engine::scopeSignature(const identity::Principal& p, const Dataset& ds) const {
    if (ds.scopePermission.empty()) return "admin";
    switch (p.scope(ds.scopePermission)) {
    case identity::Scope::All: return "all";
    case identity::Scope::Department: return "dept:" + std::to_string(p.userId) + ":" + p.departmentPath;
    case identity::Scope::Own: return "own:" + std::to_string(p.userId);
    default: return "none";
    }
}

// ---- queries ----------------------------------------------------------------------------------

Result Engine::query(const identity::Principal& p, Query q, const Json& measures) {
    auto ds = dataset(q.dataset);
    if (!ds) throw notFound("The dataset '" + q.dataset + "'");
    checkAccess(p, *ds);
    q.measures.clear();
    int i = 0;
    std::set<std::string> names;
    for (const auto& m : measures) {
        auto pm = parseMeasure(m, *ds, i++);
        if (!names.insert(pm.as).second) throw badRequest("Two measures are named '" + pm.as + "'; give one an 'as'.");
        q.measures.push_back(std::move(pm));
    }
    return run(p, q);
}

Result Engine::run(const identity::Principal& p, const Query& q) {
    auto ds = dataset(q.dataset);
    if (!ds) throw notFound("The dataset '" + q.dataset + "'");
    checkAccess(p, *ds);

    // Validate every identifier against the dataset's declaration and the caller's field access.
    auto usable = [&](const std::string& name, const char* what) -> const Field* {
        const auto* f = ds->field(name);
        if (!f) {
            // The scope columns are part of the declaration even when not listed as fields.
            if (!name.empty() && (name == ds->ownerColumn || name == ds->departmentColumn)) return nullptr;
            throw badRequest(std::string("'") + name + "' is not a field of dataset '" + ds->id + "' (" + what + ").");
        }
        if (!fieldAllowed(p, *ds, *f)) throw forbidden("The field '" + name + "' is hidden from you.");
        return f;
    };
    for (const auto& m : q.measures) {
        if (!m.field.empty()) usable(m.field, "measure");
        for (const auto& f : m.filters) usable(f.field, "measure filter");
    }
    for (const auto& d : q.dimensions) {
        usable(d, "dimension");
        if (d == "period") throw badRequest("'period' is reserved for the time bucket.");
    }
    for (const auto& f : q.filters) usable(f.field, "filter");
    std::optional<dates::Period> period;
    if (q.time) {
        const auto* tf = usable(q.time->field, "time");
        if (!tf || (tf->kind != "time" && tf->type != "date" && tf->type != "datetime"))
            throw badRequest("'" + q.time->field + "' is not a time field.");
        if (q.time->grain && !dates::parseGrain(*q.time->grain)) throw badRequest("Grain is day, week, month, quarter or year.");
        if (!q.time->from.empty() || !q.time->to.empty()) {
            auto f = dates::parse(q.time->from), t = dates::parse(q.time->to);
            if (!f || !t) throw badRequest("'time' needs both 'from' and 'to' as YYYY-MM-DD.");
            if (*t < *f) throw badRequest("The period ends before it starts.");
            period = dates::Period{*f, *t};
        }
    }
    if (!q.compare.empty() && !period) throw badRequest("'compare' needs a time range (time.from and time.to).");
    std::set<std::string> columns;
    if (q.time && q.time->grain) columns.insert("period");
    for (const auto& d : q.dimensions) columns.insert(d);
    for (const auto& m : q.measures) columns.insert(m.as);
    for (const auto& [c, _] : q.sort)
        if (!columns.count(c)) throw badRequest("Cannot sort by '" + c + "': it is not a dimension or measure of the query.");
    if (q.measures.empty()) throw badRequest("A query needs at least one measure.");

    // Cache lookup.
    const auto key = ds->id + "|" + scopeSignature(p, *ds) + "|" + p.locale + "|" + q.toJson().dump();
    const auto gen = generation(ds->id);
    if (_cacheEnabled) {
        std::lock_guard lock(_cacheMutex);
        auto it = _cache.find(key);
        if (it != _cache.end()) {
            if (it->second.generation == gen && std::chrono::steady_clock::now() - it->second.at < kCacheTtl) {
                ++_hits;
                _lru.splice(_lru.begin(), _lru, it->second.lru);
                Result r = it->second.result;
                r.meta["cached"] = true;
                return r;
            }
            _lru.erase(it->second.lru);
            _cache.erase(it);
        }
        ++_misses;
    }

    Result result = execute(p, *ds, q, period);

    if (!q.compare.empty()) {
        const auto prev = q.compare == "previous_period" ? dates::previousPeriod(*period) : dates::lastYear(*period);
        Query pq = q;
        pq.compare.clear();
        pq.time->from = dates::format(prev.from);
        pq.time->to = dates::format(prev.to);
        Result pr = execute(p, *ds, pq, prev);
        // Match previous rows by the non-period dimensions and by the bucket's position in its period.
        const bool bucketed = q.time && q.time->grain;
        const std::size_t nd = q.dimensions.size() + (bucketed ? 1 : 0);
        std::vector<std::string> curBuckets, prevBuckets;
        if (bucketed) {
            const auto g = *dates::parseGrain(*q.time->grain);
            for (auto b : dates::buckets(period->from, period->to, g)) curBuckets.push_back(dates::label(b, g));
            for (auto b : dates::buckets(prev.from, prev.to, g)) prevBuckets.push_back(dates::label(b, g));
        }
        auto keyOf = [&](const Json& row, const std::vector<std::string>& buckets) {
            Json k = Json::array();
            for (std::size_t i = 0; i < nd; ++i) {
                if (bucketed && i == 0) {
                    auto pos = std::find(buckets.begin(), buckets.end(), row[0].is_string() ? row[0].get<std::string>() : "");
                    k.push_back(static_cast<std::int64_t>(pos - buckets.begin()));
                } else {
                    k.push_back(row[i]);
                }
            }
            return k.dump();
        };
        std::map<std::string, const Json*> prevRows;
        for (const auto& r : pr.rows) prevRows[keyOf(r, prevBuckets)] = &r;
        for (const auto& m : q.measures)
            result.columns.push_back({{"name", m.as + "_previous"}, {"label", m.label}, {"type", "number"}});
        for (auto& r : result.rows) {
            auto it = prevRows.find(keyOf(r, curBuckets));
            for (std::size_t i = 0; i < q.measures.size(); ++i) r.push_back(it == prevRows.end() ? Json(nullptr) : (*it->second)[nd + i]);
        }
        result.meta["previous_period"] = {{"from", dates::format(prev.from)}, {"to", dates::format(prev.to)}};
    }
    if (period) result.meta["period"] = {{"from", dates::format(period->from)}, {"to", dates::format(period->to)}};

    if (_cacheEnabled) {
        std::lock_guard lock(_cacheMutex);
        auto qit = _quarantine.find(ds->id);
        const bool quarantined = qit != _quarantine.end() && std::chrono::steady_clock::now() < qit->second;
        if (!quarantined && _generations[ds->id] == gen) {
            _lru.push_front(key);
            _cache[key] = Entry{result, gen, std::chrono::steady_clock::now(), _lru.begin()};
            while (_cache.size() > kCacheCapacity) {
                _cache.erase(_lru.back());
                _lru.pop_back();
            }
        }
    }
    result.meta["cached"] = false;
    return result;
}

namespace {
/// WHERE conditions for filters on declared fields.
void addFilter(Sql& s, const Filter& f, const store::Dialect& dialect) {
    const auto c = Dataset::col(f.field);
    if (f.op == "=" || f.op == "!=") {
        if (f.value.is_null()) {
            s.add(c + (f.op == "=" ? " IS NULL" : " IS NOT NULL"));
            return;
        }
        s.add(c + (f.op == "=" ? " = ?" : " <> ?"), {bindValue(f.value)});
    } else if (f.op == "in") {
        std::string t = c + " IN (";
        Values ps;
        for (std::size_t i = 0; i < f.value.size(); ++i) {
            t += i ? ",?" : "?";
            ps.push_back(bindValue(f.value[i]));
        }
        s.add(t + ")", ps);
    } else if (f.op == "between") {
        s.add(c + " >= ? AND " + c + " <= ?", {bindValue(f.value[0]), bindValue(f.value[1])});
    } else if (f.op == "contains") {
        s.add(dialect.likeInsensitive(c), {"%" + likeEscape(f.value.get<std::string>()) + "%"});
    } else {
        if (f.value.is_null() || f.value.is_array()) throw badRequest("Operator '" + f.op + "' needs a single value.");
        s.add(c + " " + f.op + " ?", {bindValue(f.value)});
    }
}

void addConditions(Sql& s, const std::vector<Filter>& fs, const store::Dialect& dialect) {
    for (std::size_t i = 0; i < fs.size(); ++i) {
        if (i) s.add(" AND ");
        s.add("(");
        addFilter(s, fs[i], dialect);
        s.add(")");
    }
}

std::string measureAlias(std::size_t i) { return "m" + std::to_string(i); }
} // namespace

/// The department expression of a row: the declared column, or the owner's department.
static std::string departmentExpr(const Dataset& ds) {
    if (!ds.departmentColumn.empty()) return Dataset::col(ds.departmentColumn);
    if (!ds.ownerColumn.empty()) return "(SELECT scope_u.department_id FROM users scope_u WHERE scope_u.id = " + Dataset::col(ds.ownerColumn) + ")";
    return "NULL";
}

static Sql whereClause(const identity::Principal& p, const Dataset& ds, const std::vector<Filter>& filters,
                       const std::optional<TimeRange>& time, const ScopeFilter& sf, const store::Dialect& dialect) {
    Sql w;
    w.add(" WHERE ");
    if (!ds.scopePermission.empty()) {
        auto pred = identity::scopePredicate(p, ds.scopePermission, ds.ownerColumn.empty() ? "NULL" : Dataset::col(ds.ownerColumn),
                                             departmentExpr(ds));
        w.add("(" + pred.sql + ")", pred.params);
    } else {
        w.add("1=1");
    }
    if (!filters.empty()) {
        w.add(" AND ");
        addConditions(w, filters, dialect);
    }
    if (time && !time->from.empty()) {
        const auto c = Dataset::col(time->field);
        w.add(" AND " + c + " >= ? AND " + c + " < ?", {time->from, nextDay(time->to)});
    }
    if (sf.departmentId) {
        w.add(" AND " + departmentExpr(ds) +
                  " IN (SELECT f_d.id FROM departments f_d WHERE f_d.path LIKE (SELECT f_p.path FROM departments f_p WHERE f_p.id = ?) || '%')",
              {*sf.departmentId});
    }
    if (sf.ownerId) {
        if (ds.ownerColumn.empty()) throw badRequest("The dataset '" + ds.id + "' has no owner to filter by.");
        w.add(" AND " + Dataset::col(ds.ownerColumn) + " = ?", {*sf.ownerId});
    }
    if (sf.ownerInSet) {
        if (ds.ownerColumn.empty()) throw badRequest("The dataset '" + ds.id + "' has no owner to filter by.");
        if (sf.ownerIn.empty()) {
            w.add(" AND 0=1");
        } else {
            std::string t = " AND " + Dataset::col(ds.ownerColumn) + " IN (";
            Values ps;
            for (std::size_t i = 0; i < sf.ownerIn.size(); ++i) {
                t += i ? ",?" : "?";
                ps.push_back(sf.ownerIn[i]);
            }
            w.add(t + ")", ps);
        }
    }
    return w;
}

Result Engine::execute(const identity::Principal& p, const Dataset& ds, const Query& q, const std::optional<dates::Period>& period) {
    const auto& dialect = _readDb->dialect();
    Sql sql;
    sql.add("SELECT ");
    std::vector<std::string> groupExprs;
    std::optional<dates::Grain> grain;
    if (q.time && q.time->grain) {
        grain = dates::parseGrain(*q.time->grain);
        store::Grain sg = static_cast<store::Grain>(static_cast<int>(*grain));
        groupExprs.push_back(dialect.dateBucket(Dataset::col(q.time->field), sg));
    }
    for (const auto& d : q.dimensions) groupExprs.push_back(Dataset::col(d));
    std::size_t col = 0;
    for (const auto& g : groupExprs) {
        const auto alias = store::Dialect::quote("g" + std::to_string(col));
        sql.add((col ? ", " : "") + g + " AS " + alias);
        ++col;
    }
    for (std::size_t i = 0; i < q.measures.size(); ++i) {
        const auto& m = q.measures[i];
        Sql cond;
        if (!m.filters.empty()) addConditions(cond, m.filters, dialect);
        const bool filtered = !m.filters.empty();
        const std::string x = m.field.empty() ? "1" : Dataset::col(m.field);
        std::string expr;
        Values ps;
        auto wrapped = [&](const std::string& inner) {
            if (!filtered) return inner;
            ps = cond.params;
            return "CASE WHEN " + cond.text + " THEN " + inner + " END";
        };
        if (m.aggregate == "count" && m.field.empty()) {
            expr = filtered ? "COALESCE(SUM(" + wrapped("1") + "), 0)" : "COUNT(*)";
        } else if (m.aggregate == "count") {
            expr = "COUNT(" + wrapped(x) + ")";
        } else if (m.aggregate == "count_distinct") {
            expr = "COUNT(DISTINCT " + wrapped(x) + ")";
        } else {
            std::string fn = m.aggregate == "sum" ? "SUM" : m.aggregate == "avg" ? "AVG" : m.aggregate == "min" ? "MIN" : "MAX";
            expr = fn + "(" + wrapped(x) + ")";
            if (m.aggregate == "sum") expr = "COALESCE(" + expr + ", 0)";
        }
        sql.add(std::string(col++ ? ", " : "") + expr + " AS " + store::Dialect::quote(measureAlias(i)), ps);
    }
    sql.add(" FROM " + ds.from);
    auto w = whereClause(p, ds, q.filters, q.time, q.scope, dialect);
    sql.add(w.text, w.params);
    if (!groupExprs.empty()) {
        sql.add(" GROUP BY ");
        for (std::size_t i = 0; i < groupExprs.size(); ++i) sql.add((i ? ", " : "") + groupExprs[i]);
    }
    // Sorting happens in memory after gap filling; the SQL only bounds the work.
    const int sqlLimit = groupExprs.empty() ? 1 : std::max(q.limit + 1, 100000);
    sql.add(" LIMIT " + std::to_string(sqlLimit));

    Result r;
    std::vector<std::string> names, types;
    if (grain) {
        r.columns.push_back({{"name", "period"}, {"label", {{"en", "Period"}, {"zh-CN", "期间"}}}, {"type", "period"}});
        names.push_back("period");
        types.push_back("period");
    }
    for (const auto& d : q.dimensions) {
        const auto* f = ds.field(d);
        const std::string t = f ? f->type : "integer";
        r.columns.push_back({{"name", d}, {"label", f ? f->label : Json{{"en", d}, {"zh-CN", d}}}, {"type", t}});
        names.push_back(d);
        types.push_back(t);
    }
    for (const auto& m : q.measures) {
        const auto* f = m.field.empty() ? nullptr : ds.field(m.field);
        std::string t = (m.aggregate == "count" || m.aggregate == "count_distinct") ? "integer" : f ? f->type : "real";
        if (m.aggregate == "avg" && t == "integer") t = "real";
        r.columns.push_back({{"name", m.as}, {"label", m.label}, {"type", t == "money" ? "money" : t == "integer" ? "integer" : "number"}});
        names.push_back(m.as);
        types.push_back(t);
    }

    const auto started = std::chrono::steady_clock::now();
    std::optional<columnar::Rows> fast;
    {
        std::uint64_t gen = 0;
        std::optional<std::chrono::steady_clock::time_point> quarantineEnd;
        {
            std::lock_guard lock(_cacheMutex);
            gen = _generations[ds.id];
            auto qit = _quarantine.find(ds.id);
            if (qit != _quarantine.end() && std::chrono::steady_clock::now() < qit->second) quarantineEnd = qit->second;
        }
        // A write may be committing right now: a table refreshed now is refreshed once more
        // when the quarantine ends (results are not cached meanwhile).
        fast = _columns->aggregate(p, ds, q, types, gen, quarantineEnd);
    }
    if (fast) {
        r.rows = Json::array();
        auto& rows = r.rows.get_ref<Json::array_t&>();
        rows.reserve(fast->rows.size());
        for (auto& row : fast->rows) rows.push_back(std::move(row));
        r.meta["engine"] = "columnar";
    } else {
        r.meta["engine"] = "sql";
        auto conn = _readDb->acquire();
        auto stmt = conn->prepare(sql.text);
        stmt->bindAll(sql.params);
        const int n = static_cast<int>(names.size());
        while (stmt->step()) {
            Json row = Json::array();
            for (int i = 0; i < n; ++i) {
                auto v = stmt->column(i);
                if (grain && i == 0) {
                    auto d = dates::parse(store::asText(v));
                    row.push_back(d ? Json(dates::label(dates::bucketStart(*d, *grain), *grain)) : Json(nullptr));
                } else {
                    row.push_back(toJsonValue(v, types[i]));
                }
            }
            r.rows.push_back(std::move(row));
        }
    }
    r.meta["elapsed_ms"] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();

    // A grand total over no rows still yields one row (COUNT = 0).
    // Fill missing buckets when the period is the only dimension, so trends have no holes.
    if (grain && period && q.dimensions.empty() && q.fillTimeGaps) {
        std::map<std::string, Json> byLabel;
        for (auto& row : r.rows)
            if (row[0].is_string()) byLabel[row[0].get<std::string>()] = row;
        Json filled = Json::array();
        for (auto b : dates::buckets(period->from, period->to, *grain)) {
            const auto l = dates::label(b, *grain);
            auto it = byLabel.find(l);
            if (it != byLabel.end()) {
                filled.push_back(it->second);
                continue;
            }
            Json row = Json::array({l});
            for (const auto& m : q.measures)
                row.push_back(m.aggregate == "count" || m.aggregate == "count_distinct" || m.aggregate == "sum" ? Json(0) : Json(nullptr));
            filled.push_back(row);
        }
        r.rows = filled;
    }

    // Sort: explicit, else period ascending, else the first measure descending.
    std::vector<std::pair<std::size_t, bool>> order;
    for (const auto& [c, desc] : q.sort)
        order.emplace_back(static_cast<std::size_t>(std::find(names.begin(), names.end(), c) - names.begin()), desc);
    if (order.empty() && !groupExprs.empty()) {
        if (grain) order.emplace_back(0, false);
        else order.emplace_back(groupExprs.size(), true);
    }
    // Ties go by the group values, so the order never depends on the backend or the path.
    for (std::size_t i = 0; i < groupExprs.size(); ++i)
        if (std::none_of(order.begin(), order.end(), [&](const auto& o) { return o.first == i; })) order.emplace_back(i, false);
    if (!order.empty()) {
        auto& rows = r.rows.get_ref<Json::array_t&>();
        std::stable_sort(rows.begin(), rows.end(), [&](const Json& a, const Json& b) {
            for (auto [i, desc] : order) {
                const auto& x = a[i];
                const auto& y = b[i];
                if (x == y) continue;
                if (x.is_null()) return false; // nulls last
                if (y.is_null()) return true;
                return desc ? y < x : x < y;
            }
            return false;
        });
    }
    if (static_cast<int>(r.rows.size()) > q.limit) {
        r.rows.erase(r.rows.begin() + q.limit, r.rows.end());
        r.meta["truncated"] = true;
    }

    // Names for id dimensions (owner, department, account, a plugin's table) and for enumeration
    // values a field declares labels for, so charts can label them.
    Json lookups = Json::object();
    for (const auto& d : q.dimensions) {
        const auto* f = ds.field(d);
        const bool declared = f && (!f->tableLookup.empty() || !f->valueLabels.empty());
        std::string lk = f ? f->lookup : (d == ds.ownerColumn ? "users" : d == ds.departmentColumn ? "departments" : "");
        if (lk.empty() && !declared) continue;
        const auto idx = static_cast<std::size_t>(std::find(names.begin(), names.end(), d) - names.begin());
        std::set<std::string> ids;
        for (const auto& row : r.rows)
            if (!row[idx].is_null()) ids.insert(row[idx].is_string() ? row[idx].get<std::string>() : row[idx].dump());
        if (ids.empty()) continue;
        auto m = declared ? lookupNames(*f, {ids.begin(), ids.end()}, p.locale) : lookupNames(lk, {ids.begin(), ids.end()}, p.locale);
        if (declared && m.empty()) continue; // no value has a name: the raw values stand
        lookups[d] = m;
    }
    if (!lookups.empty()) r.meta["labels"] = lookups;
    return r;
}

std::map<std::string, std::string> Engine::lookupNames(const Field& f, const std::vector<std::string>& values, const std::string& locale) {
    const bool zh = locale.rfind("zh", 0) == 0;
    std::map<std::string, std::string> out;
    if (!f.valueLabels.empty()) {
        // A value without a label is left out: it is shown as it is.
        for (const auto& v : values)
            if (auto it = f.valueLabels.find(v); it != f.valueLabels.end()) out[v] = it->value(zh ? "zh-CN" : "en", v);
        return out;
    }
    if (f.tableLookup.empty()) return lookupNames(f.lookup, values, locale);
    // Every identifier was validated at compile (one of the plugin's own tables); values are bound.
    const auto& t = f.tableLookup;
    const auto quote = [](const std::string& c) { return store::Dialect::quote(c); };
    const auto name = zh && !t.labelZh.empty() ? "COALESCE(NULLIF(" + quote(t.labelZh) + ", ''), " + quote(t.label) + ")" : quote(t.label);
    const auto sql = "SELECT " + quote(t.key) + ", " + name + " FROM " + quote(t.table) + " WHERE " + quote(t.key) + " IN (";
    const bool integer = f.type == "integer";
    try {
        auto conn = db()->acquire();
        for (std::size_t start = 0; start < values.size(); start += 500) {
            std::string text = sql;
            Values ps;
            for (std::size_t i = start; i < std::min(values.size(), start + 500); ++i) {
                if (integer) {
                    try {
                        ps.emplace_back(std::in_place_type<std::int64_t>, std::stoll(values[i]));
                    } catch (const std::exception&) {
                        continue; // not an id: nothing to name
                    }
                } else {
                    ps.emplace_back(std::in_place_type<std::string>, values[i]);
                }
                text += ps.size() == 1 ? "?" : ",?";
            }
            if (ps.empty()) continue;
            for (auto& row : conn->queryAll(text + ")", ps))
                if (auto n = store::asText(row[1]); !n.empty()) out[store::asText(row[0])] = n;
        }
    } catch (const std::exception& e) {
        // A declaration naming a table or column the database lacks: the values stay raw.
        Poco::Logger::get("atrium.reports").warning("names for %s from %s: %s", f.name, t.table, std::string(e.what()));
    }
    return out;
}

std::map<std::string, std::string> Engine::lookupNames(const std::string& lookup, const std::vector<std::string>& ids,
                                                       const std::string& locale) {
    std::map<std::string, std::string> out;
    std::string sql;
    if (lookup == "users") sql = "SELECT id, display_name FROM users WHERE id IN (";
    else if (lookup == "departments")
        sql = locale.rfind("zh", 0) == 0 ? "SELECT id, COALESCE(name_zh, name) FROM departments WHERE id IN (" : "SELECT id, name FROM departments WHERE id IN (";
    else if (lookup == "accounts") sql = "SELECT id, name FROM accounts WHERE id IN (";
    else return out;
    auto conn = db()->acquire();
    for (std::size_t start = 0; start < ids.size(); start += 500) {
        std::string text = sql;
        Values ps;
        for (std::size_t i = start; i < std::min(ids.size(), start + 500); ++i) {
            std::int64_t id = 0;
            try {
                id = std::stoll(ids[i]);
            } catch (const std::exception&) {
                continue; // not an id: nothing to name
            }
            text += ps.empty() ? "?" : ",?";
            ps.emplace_back(std::in_place_type<std::int64_t>, id);
        }
        if (ps.empty()) continue;
        for (auto& row : conn->queryAll(text + ")", ps)) out[store::asText(row[0])] = store::asText(row[1]);
    }
    return out;
}

Json Engine::records(const identity::Principal& p, const Dataset& ds, const std::vector<Filter>& filters,
                     const std::optional<TimeRange>& time, const ScopeFilter& sf, int limit) {
    checkAccess(p, ds);
    for (const auto& f : filters) {
        const auto* fd = ds.field(f.field);
        if (!fd && f.field != ds.ownerColumn && f.field != ds.departmentColumn) throw badRequest("'" + f.field + "' is not a field of '" + ds.id + "'.");
        if (fd && !fieldAllowed(p, ds, *fd)) throw forbidden("The field '" + f.field + "' is hidden from you.");
    }
    Json columns = Json::array();
    std::vector<const Field*> shown;
    std::string select;
    for (const auto& f : ds.fields) {
        if (!fieldAllowed(p, ds, f)) continue;
        select += (select.empty() ? "" : ", ") + Dataset::col(f.name);
        std::string t = f.type == "money" ? "money" : f.type == "real" ? "number" : f.type;
        if (!f.lookup.empty() || !f.tableLookup.empty() || !f.valueLabels.empty()) t = "text";
        columns.push_back({{"name", f.name}, {"label", f.label}, {"type", t}});
        shown.push_back(&f);
    }
    const auto& dialect = _readDb->dialect();
    Sql sql;
    sql.add("SELECT " + select + " FROM " + ds.from);
    auto w = whereClause(p, ds, filters, time, sf, dialect);
    sql.add(w.text, w.params);
    const Field* tf = time ? ds.field(time->field) : nullptr;
    if (tf) sql.add(" ORDER BY " + Dataset::col(tf->name) + " DESC");
    sql.add(" LIMIT " + std::to_string(limit + 1));
    Json rows = Json::array();
    {
        auto conn = _readDb->acquire();
        auto stmt = conn->prepare(sql.text);
        stmt->bindAll(sql.params);
        while (stmt->step()) {
            Json row = Json::array();
            for (std::size_t i = 0; i < shown.size(); ++i) row.push_back(toJsonValue(stmt->column(static_cast<int>(i)), shown[i]->type));
            rows.push_back(std::move(row));
        }
    }
    const bool truncated = static_cast<int>(rows.size()) > limit;
    if (truncated) rows.erase(rows.end() - 1);
    // Replace ids by names for lookup columns (owner, department, a plugin's table) and enumeration
    // values by their declared labels, in the caller's language — as the charts show them.
    for (std::size_t i = 0; i < shown.size(); ++i) {
        const auto& f = *shown[i];
        const bool declared = !f.tableLookup.empty() || !f.valueLabels.empty();
        if (!declared && f.lookup.empty()) continue;
        if (!declared && f.lookup == "accounts") continue; // the UI links account_id by its id
        std::set<std::string> ids;
        for (const auto& r : rows)
            if (!r[i].is_null()) ids.insert(r[i].is_string() ? r[i].get<std::string>() : r[i].dump());
        if (ids.empty()) continue;
        auto names = lookupNames(f, {ids.begin(), ids.end()}, p.locale); // declared names, else the built-in lookup
        for (auto& r : rows) {
            if (r[i].is_null()) continue;
            auto it = names.find(r[i].is_string() ? r[i].get<std::string>() : r[i].dump());
            if (it != names.end()) r[i] = it->second;
        }
    }
    Json out = {{"columns", columns}, {"rows", rows}, {"truncated", truncated}};
    if (!ds.drill.empty()) out["link"] = ds.drill;
    return out;
}

} // namespace atrium::reports
