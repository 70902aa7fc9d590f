// Scorecard templates (stored and built in) and their evaluation for users, teams or departments.
#include "Parallel.h"
#include "Reporting.h"
#include "Scoring.h"

#include "identity/Audit.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace atrium::reports {

namespace {

double round2(double v) { return std::round(v * 100) / 100; }
Json opt(std::optional<double> v) { return v ? Json(tidy(*v)) : Json(nullptr); }

struct Subject {
    std::string id; ///< user id, manager id (team) or department id, as text
    std::string name;
    std::int64_t departmentId = 0;
    std::vector<std::int64_t> members; ///< team members (manager included)
};

std::string loc(const Json& label, const std::string& locale) {
    if (label.is_string()) return label.get<std::string>();
    if (!label.is_object()) return {};
    const char* key = locale.rfind("zh", 0) == 0 ? "zh-CN" : "en";
    if (label.contains(key) && label[key].is_string()) return label[key].get<std::string>();
    return label.value("en", std::string());
}

/// People, teams or departments the caller may evaluate, narrowed by the request.
std::vector<Subject> subjects(Engine& engine, const identity::Principal& p, const std::string& type, const Json& request) {
    auto c = engine.db()->acquire();
    const auto scope = p.scope("reports.scorecard.read");
    std::string where = " WHERE 1=1";
    store::Values args;
    // The caller's reach.
    if (scope == identity::Scope::Own) {
        where += type == "department" ? " AND d.id = ?" : " AND u.id = ?";
        args.emplace_back(std::in_place_type<std::int64_t>, type == "department" ? p.departmentId : p.userId);
    } else if (scope == identity::Scope::Department) {
        where += " AND d.path LIKE ?";
        args.emplace_back(std::in_place_type<std::string>, p.departmentPath + "%");
    } else if (scope == identity::Scope::None) {
        throw forbidden("You may not run scorecards.");
    }
    if (request.contains("department_id") && request["department_id"].is_number_integer()) {
        where += " AND d.path LIKE (SELECT f.path FROM departments f WHERE f.id = ?) || '%'";
        args.emplace_back(std::in_place_type<std::int64_t>, request["department_id"].get<std::int64_t>());
    }
    // People holding one of the roles (employees only; `[]` means every role).
    if (type == "user" && request.contains("roles")) {
        const auto& roles = request["roles"];
        if (!roles.is_array() || roles.size() > 20) throw badRequest("'roles' lists role names, e.g. [\"rep\"].");
        if (!roles.empty()) {
            where += " AND u.id IN (SELECT ur.user_id FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE r.name IN (";
            for (std::size_t i = 0; i < roles.size(); ++i) {
                if (!roles[i].is_string()) throw badRequest("'roles' lists role names, e.g. [\"rep\"].");
                where += i ? ",?" : "?";
                args.emplace_back(std::in_place_type<std::string>, roles[i].get<std::string>());
            }
            where += "))";
        }
    }
    std::set<std::int64_t> only;
    if (request.contains("user_ids") && request["user_ids"].is_array())
        for (const auto& u : request["user_ids"])
            if (u.is_number_integer()) only.insert(u.get<std::int64_t>());
    std::vector<Subject> out;
    if (type == "department") {
        for (auto& r : c->queryAll("SELECT d.id, d.name, d.name_zh FROM departments d" + where + " ORDER BY d.path", args)) {
            Subject s;
            s.id = store::asText(r[0]);
            s.departmentId = store::asInt(r[0]);
            s.name = p.locale.rfind("zh", 0) == 0 && !store::isNull(r[2]) ? store::asText(r[2]) : store::asText(r[1]);
            out.push_back(s);
        }
        return out;
    }
    auto users = c->queryAll("SELECT u.id, u.display_name, u.department_id, u.manager_id FROM users u LEFT JOIN departments d ON d.id = u.department_id" +
                                 where + " AND u.active = 1 ORDER BY u.id",
                             args);
    if (type == "team") {
        // A team is a manager and their direct reports (active users only).
        std::map<std::int64_t, Subject> teams;
        std::map<std::int64_t, std::pair<std::string, std::int64_t>> info;
        for (auto& r : users) info[store::asInt(r[0])] = {store::asText(r[1]), store::asInt(r[2])};
        auto all = c->queryAll("SELECT id, manager_id FROM users WHERE active = 1 AND manager_id IS NOT NULL");
        for (auto& r : all) {
            const auto mgr = store::asInt(r[1]);
            if (!info.count(mgr) || (!only.empty() && !only.count(mgr))) continue;
            auto& t = teams[mgr];
            if (t.id.empty()) {
                t.id = std::to_string(mgr);
                t.name = info[mgr].first;
                t.departmentId = info[mgr].second;
                t.members.push_back(mgr);
            }
            t.members.push_back(store::asInt(r[0]));
        }
        for (auto& [_, t] : teams) out.push_back(t);
        return out;
    }
    for (auto& r : users) {
        const auto id = store::asInt(r[0]);
        if (!only.empty() && !only.count(id)) continue;
        out.push_back({std::to_string(id), store::asText(r[1]), store::asInt(r[2]), {id}});
    }
    return out;
}

/// Values of one KPI-like definition for every subject over `period`.
std::map<std::string, Engine::Parts> valuesFor(Engine& engine, const identity::Principal& p, const Json& kpi, const dates::Period& period,
                                               const std::string& type, const std::vector<Subject>& subs) {
    std::map<std::string, Engine::Parts> out;
    if (type == "user") return engine.kpiByGroup(p, kpi, period, "owner", {});
    for (const auto& s : subs) {
        ScopeFilter sf;
        if (type == "team") {
            sf.ownerInSet = true;
            sf.ownerIn = s.members;
        } else {
            sf.departmentId = s.departmentId;
        }
        out[s.id] = engine.kpiTotal(p, kpi, period, sf);
    }
    return out;
}

std::optional<double> valueOf(const std::map<std::string, Engine::Parts>& m, const std::string& id, const Json& kpi) {
    auto it = m.find(id);
    if (it != m.end()) return it->second.value();
    // No rows for this subject: counts and sums are 0, other aggregates have no value.
    if (kpi.contains("ratio")) return std::nullopt;
    const auto agg = kpi.value("measure", Json::object()).value("aggregate", std::string("count"));
    if (agg == "count" || agg == "count_distinct" || agg == "sum") return 0.0;
    return std::nullopt;
}

struct Evaluated {
    std::vector<double> scores;
    Json subjects = Json::array();
};

Evaluated evaluateOnce(Engine& engine, const identity::Principal& p, const Json& tmpl, const dates::Period& period,
                       const std::vector<Subject>& subs, bool details) {
    const auto type = tmpl.value("subject", std::string("user"));
    const double cap = tmpl.value("cap", 1.2);
    scoring::Bands bands;
    if (tmpl.contains("bands")) {
        bands.green = tmpl["bands"].value("green", 1.0);
        bands.amber = tmpl["bands"].value("amber", 0.8);
    }
    struct ItemData {
        Json kpi;
        double weight = 0;
        std::map<std::string, Engine::Parts> values;
        std::map<std::string, Engine::Parts> targets;
        std::optional<double> fixed;
        double uplift = 0;
        bool lower = false;
    };
    const Json list = tmpl.value("items", Json::array());
    std::vector<ItemData> items(list.size());
    // KPIs are independent grouped queries: run them side by side.
    parallelFor(list.size(), kReportThreads, [&](std::size_t i) {
        const auto& it = list[i];
        ItemData& d = items[i];
        auto k = engine.kpi(it.value("kpi", std::string()));
        if (!k) throw badRequest("The KPI '" + it.value("kpi", std::string()) + "' of this scorecard no longer exists.");
        if (!engine.mayUseKpi(p, *k)) throw forbidden("The scorecard uses the KPI '" + it.value("kpi", std::string()) + "', which you may not use.");
        d.kpi = *k;
        d.weight = it.value("weight", 0.0);
        d.lower = k->value("direction", std::string()) == "lower_is_better";
        d.values = valuesFor(engine, p, *k, period, type, subs);
        const auto target = it.value("target", Json{{"type", "last_period"}, {"uplift_pct", 0}});
        const auto tt = target.value("type", std::string("fixed"));
        if (tt == "fixed") {
            d.fixed = target.value("value", 0.0);
        } else if (tt == "last_period") {
            d.uplift = target.value("uplift_pct", 0.0);
            d.targets = valuesFor(engine, p, *k, dates::previousPeriod(period), type, subs);
        } else {
            // "query" / "quota": a measure of a dataset (e.g. the sales quotas) over the same period.
            Json tk = {{"id", d.kpi.value("id", std::string()) + ".target"}, {"dataset", target.value("dataset", std::string())},
                       {"measure", target.value("measure", Json{{"aggregate", "count"}})}};
            if (target.contains("time")) tk["time"] = target["time"];
            if (target.contains("filters")) tk["filters"] = target["filters"];
            auto tds = engine.dataset(tk["dataset"].get<std::string>());
            if (!tds) throw badRequest("The target dataset '" + tk["dataset"].get<std::string>() + "' does not exist.");
            engine.checkAccess(p, *tds);
            d.targets = valuesFor(engine, p, tk, period, type, subs);
            d.kpi["__target_kpi"] = tk;
        }
    });
    Evaluated ev;
    for (const auto& s : subs) {
        double total = 0;
        Json itemsJ = Json::array();
        for (const auto& d : items) {
            const auto value = valueOf(d.values, s.id, d.kpi);
            std::optional<double> target;
            if (d.fixed) target = d.fixed;
            else if (d.kpi.contains("__target_kpi")) target = valueOf(d.targets, s.id, d.kpi["__target_kpi"]);
            else if (auto prev = valueOf(d.targets, s.id, d.kpi)) target = *prev * (1 + (d.lower ? -d.uplift : d.uplift) / 100.0);
            const double att = scoring::attainment(value, target, d.lower, cap);
            const double points = att * d.weight;
            total += points;
            if (details)
                itemsJ.push_back({{"kpi", d.kpi.value("id", std::string())}, {"name", d.kpi.value("name", Json())}, {"weight", d.weight},
                                  {"value", opt(value)}, {"target", opt(target)}, {"attainment", tidy(att)}, {"score", round2(points)},
                                  {"rag", scoring::rag(att, bands)}, {"unit", d.kpi.value("unit", std::string("number"))}});
        }
        ev.scores.push_back(round2(total));
        Json sj = {{"id", std::stoll(s.id)}, {"name", s.name}, {"score", round2(total)}, {"rag", scoring::rag(total / 100.0, bands)}};
        // Who a team is, so a KPI of it can be charted with the same owners (KPI evaluate's owner_ids).
        if (details && type == "team") sj["members"] = s.members;
        if (details) sj["items"] = itemsJ;
        ev.subjects.push_back(sj);
    }
    const auto ranks = scoring::rankDescending(ev.scores);
    for (std::size_t i = 0; i < ranks.size(); ++i) ev.subjects[i]["rank"] = ranks[i];
    return ev;
}

} // namespace

void validateScorecard(Engine& engine, const Json& t) {
    if (!t.is_object()) throw badRequest("A scorecard template is a JSON object.");
    if (!t.contains("name")) throw badRequest("A scorecard template needs a 'name'.");
    const auto subject = t.value("subject", std::string("user"));
    if (subject != "user" && subject != "team" && subject != "department") throw badRequest("'subject' is user, team or department.");
    if (t.contains("subject_roles")) {
        const auto& r = t["subject_roles"];
        if (subject != "user") throw badRequest("'subject_roles' applies to templates for people (subject 'user').");
        if (!r.is_array() || r.size() > 20 || !std::all_of(r.begin(), r.end(), [](const Json& x) { return x.is_string() && !x.get<std::string>().empty(); }))
            throw badRequest("'subject_roles' lists role names, e.g. [\"rep\"].");
    }
    const auto items = t.value("items", Json::array());
    if (!items.is_array() || items.empty() || items.size() > 30) throw badRequest("'items' lists 1 to 30 KPIs.");
    double sum = 0;
    std::set<std::string> seen;
    for (const auto& it : items) {
        const auto id = it.value("kpi", std::string());
        if (!engine.kpi(id)) throw badRequest("The KPI '" + id + "' does not exist.");
        if (!seen.insert(id).second) throw badRequest("The KPI '" + id + "' is listed twice.");
        if (!it.value("weight", Json()).is_number() || it["weight"].get<double>() <= 0) throw badRequest("Each KPI needs a positive 'weight'.");
        sum += it["weight"].get<double>();
        const auto target = it.value("target", Json{{"type", "last_period"}});
        const auto tt = target.value("type", std::string());
        if (tt == "fixed") {
            if (!target.value("value", Json()).is_number()) throw badRequest("A fixed target needs a number 'value'.");
        } else if (tt == "last_period") {
            if (target.contains("uplift_pct") && !target["uplift_pct"].is_number()) throw badRequest("'uplift_pct' is a number.");
        } else if (tt == "query" || tt == "quota") {
            auto ds = engine.dataset(target.value("dataset", std::string()));
            if (!ds) throw badRequest("The target dataset '" + target.value("dataset", std::string()) + "' does not exist.");
            if (subject == "user" && ds->ownerColumn.empty()) throw badRequest("The target dataset has no owner column to match people.");
            parseMeasure(target.value("measure", Json{{"aggregate", "count"}}), *ds, 0);
        } else {
            throw badRequest("A target type is fixed, last_period, query or quota.");
        }
    }
    if (std::fabs(sum - 100) > 1e-6) throw badRequest("The weights add up to " + std::to_string(sum) + "; they must add up to 100.");
    const double cap = t.value("cap", 1.2);
    if (cap < 1 || cap > 5) throw badRequest("'cap' (the highest attainment counted) is between 1 and 5.");
    if (t.contains("bands")) {
        const double g = t["bands"].value("green", 1.0), a = t["bands"].value("amber", 0.8);
        if (a > g || a < 0) throw badRequest("Bands need 0 ≤ amber ≤ green.");
    }
}

/// Built-in templates (declared by plugins through the SDK) whose KPIs all exist.
std::vector<Json> builtinTemplates(Engine& engine) {
    std::vector<Json> out;
    for (auto t : engine.declaredDocuments("scorecard_template")) {
        const auto items = t.value("items", Json::array());
        if (items.empty() || !std::all_of(items.begin(), items.end(), [&](const Json& it) { return engine.kpi(it.value("kpi", std::string())).has_value(); }))
            continue;
        t["builtin"] = true;
        t["version"] = 1;
        out.push_back(std::move(t));
    }
    return out;
}

std::optional<Json> findScorecard(Engine& engine, const std::string& id) {
    for (const auto& t : builtinTemplates(engine))
        if (t.value("id", std::string()) == id) return t;
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    auto c = engine.db()->acquire();
    auto rows = c->queryAll("SELECT id, owner_id, body, version, updated_at FROM reports_scorecards WHERE id = ?", {static_cast<std::int64_t>(std::stoll(id))});
    if (rows.empty()) return std::nullopt;
    Json t = Json::parse(store::asText(rows[0][2]), nullptr, false);
    t["id"] = store::asInt(rows[0][0]);
    t["owner_id"] = store::asInt(rows[0][1]);
    t["version"] = store::asInt(rows[0][3]);
    t["updated_at"] = store::asText(rows[0][4]);
    t["builtin"] = false;
    return t;
}

Json evaluateUncached(Engine& engine, const identity::Principal& p, const Json& tmpl, const dates::Period& period, const Json& request);

Json evaluateScorecard(Engine& engine, const identity::Principal& p, const Json& tmpl, const dates::Period& period, const Json& requestIn) {
    // A people template's own roles apply unless the request names roles ([] = everyone).
    Json request = requestIn;
    if (!request.contains("roles") && tmpl.value("subject", std::string("user")) == "user" && tmpl.contains("subject_roles"))
        request["roles"] = tmpl["subject_roles"];
    // Warm path: the same evaluation for the same grants and the same people (user, role and
    // department changes bump the identity generation), while no dataset it reads changed.
    std::vector<std::string> used;
    for (const auto& it : tmpl.value("items", Json::array())) {
        if (auto k = engine.kpi(it.value("kpi", std::string()))) used.push_back(k->value("dataset", std::string()));
        const auto target = it.value("target", Json::object());
        if (target.contains("dataset") && target["dataset"].is_string()) used.push_back(target["dataset"].get<std::string>());
    }
    const auto key = "scorecard|" + Engine::principalSignature(p) + "|" + std::to_string(engine.host().identity().cacheGeneration()) + "|" +
                     tmpl.dump() + "|" + dates::format(period.from) + "|" + dates::format(period.to) + "|" + request.dump();
    if (auto hit = engine.memoGet(key)) return *hit;
    const auto token = engine.memoBegin(used);
    auto out = evaluateUncached(engine, p, tmpl, period, request);
    engine.memoPut(key, token, out);
    return out;
}

Json evaluateUncached(Engine& engine, const identity::Principal& p, const Json& tmpl, const dates::Period& period, const Json& request) {
    const auto type = tmpl.value("subject", std::string("user"));
    const auto subs = subjects(engine, p, type, request);
    auto ev = evaluateOnce(engine, p, tmpl, period, subs, true);
    const int trendPeriods = std::clamp(request.value("trend_periods", 3), 0, 12);
    if (trendPeriods > 0) {
        std::vector<dates::Period> periods = {period};
        for (int i = 0; i < trendPeriods; ++i) periods.insert(periods.begin(), dates::previousPeriod(periods.front()));
        std::vector<Evaluated> past;
        for (int i = 0; i < trendPeriods; ++i) past.push_back(evaluateOnce(engine, p, tmpl, periods[i], subs, false));
        for (std::size_t s = 0; s < subs.size(); ++s) {
            Json trend = Json::array();
            for (int i = 0; i < trendPeriods; ++i) trend.push_back({{"from", dates::format(periods[i].from)}, {"to", dates::format(periods[i].to)}, {"score", past[i].scores[s]}});
            trend.push_back({{"from", dates::format(period.from)}, {"to", dates::format(period.to)}, {"score", ev.scores[s]}});
            ev.subjects[s]["trend"] = trend;
            const double before = past.back().scores[s];
            ev.subjects[s]["change"] = round2(ev.scores[s] - before);
        }
    }
    // Best first.
    auto& arr = ev.subjects.get_ref<Json::array_t&>();
    std::stable_sort(arr.begin(), arr.end(), [](const Json& a, const Json& b) { return a["rank"].get<int>() < b["rank"].get<int>(); });
    return {{"scorecard", {{"id", tmpl["id"]}, {"name", tmpl.value("name", Json())}, {"subject", type}}},
            {"period", {{"from", dates::format(period.from)}, {"to", dates::format(period.to)}}},
            {"subjects", ev.subjects}};
}

Table scorecardTable(const Json& result, const std::string& locale) {
    const bool zh = locale.rfind("zh", 0) == 0;
    Table t;
    t.title = loc(result["scorecard"].value("name", Json()), locale);
    t.headers = {zh ? "排名" : "Rank", zh ? "对象" : "Subject", zh ? "得分" : "Score", zh ? "状态" : "RAG"};
    t.types = {"integer", "text", "number", "text"};
    const auto& subs = result["subjects"];
    if (!subs.empty())
        for (const auto& it : subs[0].value("items", Json::array())) {
            t.headers.push_back(loc(it.value("name", Json()), locale));
            t.types.push_back("number");
            t.headers.push_back(loc(it.value("name", Json()), locale) + (zh ? " 达成率" : " attainment"));
            t.types.push_back("percent");
        }
    for (const auto& s : subs) {
        std::vector<Json> row = {s["rank"], s["name"], s["score"], s["rag"]};
        for (const auto& it : s.value("items", Json::array())) {
            row.push_back(it["value"]);
            row.push_back(it["attainment"]);
        }
        t.rows.push_back(row);
    }
    return t;
}

void registerScorecardRoutes(http::Router& router, Engine& engine) {
    Engine* e = &engine;
    router.add(route("GET", "/api/v1/reports/scorecards", "reports.scorecard.read", "Scorecard templates",
                     [e](http::Request& req, http::Response& res) {
                         Json items = Json::array();
                         for (auto& t : builtinTemplates(*e))
                             if (e->mayUseDeclared(req.principal, t)) items.push_back(std::move(t));
                         auto c = e->db()->acquire();
                         for (auto& r : c->queryAll("SELECT id FROM reports_scorecards ORDER BY id"))
                             if (auto t = findScorecard(*e, store::asText(r[0]))) items.push_back(*t);
                         res.json({{"items", items}});
                     }));
    router.add(route("GET", "/api/v1/reports/scorecards/{id}", "reports.scorecard.read", "A scorecard template",
                     [e](http::Request& req, http::Response& res) {
                         auto t = findScorecard(*e, req.pathParams.at("id"));
                         if (!t || !e->mayUseDeclared(req.principal, *t)) throw notFound("The scorecard '" + req.pathParams.at("id") + "'");
                         res.json(*t);
                     }));
    auto save = [e](http::Request& req, http::Response& res, bool create) {
        auto in = req.jsonBody();
        Json body = in;
        for (const char* k : {"id", "owner_id", "version", "updated_at", "builtin"}) body.erase(k);
        validateScorecard(*e, body);
        auto c = e->db()->acquire();
        store::Transaction tx(*c);
        std::int64_t id = 0;
        auto audit = identity::AuditEntry::by(req.principal, create ? "create" : "update", "reports.scorecard", 0);
        audit.newValues = body;
        audit.requestId = req.requestId;
        if (create) {
            id = c->insert("INSERT INTO reports_scorecards (owner_id, body, version, created_at, updated_at) VALUES (?, ?, 1, ?, ?)",
                           {req.principal.userId, body.dump(), nowUtc(), nowUtc()});
        } else {
            id = req.idParam("id");
            auto cur = findScorecard(*e, std::to_string(id));
            if (!cur) throw notFound("The scorecard '" + std::to_string(id) + "'");
            if (!in.value("version", Json()).is_number_integer()) throw badRequest("'version' (the one you read) is required.");
            if (c->execute("UPDATE reports_scorecards SET body = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?",
                           {body.dump(), nowUtc(), id, in["version"].get<std::int64_t>()}) == 0)
                throw http::HttpError::conflict("The scorecard changed since you read it.");
            audit.oldValues = *cur;
        }
        audit.entityId = id;
        e->host().audit().record(*c, audit);
        tx.commit();
        res.json(*findScorecard(*e, std::to_string(id)), create ? 201 : 200);
    };
    router.add(route("POST", "/api/v1/reports/scorecards", "reports.scorecard.write", "Define a scorecard template (weights add up to 100)",
                     [save](http::Request& req, http::Response& res) { save(req, res, true); }));
    router.add(route("PUT", "/api/v1/reports/scorecards/{id}", "reports.scorecard.write", "Change a scorecard template (version required)",
                     [save](http::Request& req, http::Response& res) { save(req, res, false); }));
    router.add(route("DELETE", "/api/v1/reports/scorecards/{id}", "reports.scorecard.write", "Delete a scorecard template",
                     [e](http::Request& req, http::Response& res) {
                         const auto id = req.idParam("id");
                         auto c = e->db()->acquire();
                         store::Transaction tx(*c);
                         auto cur = findScorecard(*e, std::to_string(id));
                         if (!cur) throw notFound("The scorecard '" + std::to_string(id) + "'");
                         c->execute("DELETE FROM reports_scorecards WHERE id = ?", {id});
                         auto audit = identity::AuditEntry::by(req.principal, "delete", "reports.scorecard", id);
                         audit.oldValues = *cur;
                         e->host().audit().record(*c, audit);
                         tx.commit();
                         res.json({{"deleted", true}});
                     }));
    auto evaluate = [e](http::Request& req) {
        auto t = findScorecard(*e, req.pathParams.at("id"));
        if (!t || !e->mayUseDeclared(req.principal, *t)) throw notFound("The scorecard '" + req.pathParams.at("id") + "'");
        auto body = req.body.empty() ? Json::object() : req.jsonBody();
        if (!body.contains("period")) throw badRequest("'period' {from, to} is required.");
        return evaluateScorecard(*e, req.principal, *t, parsePeriod(body["period"]), body);
    };
    router.add(route("POST", "/api/v1/reports/scorecards/{id}/evaluate", "reports.scorecard.read",
                     "Scores, RAG, rank and trend for the subjects in your scope",
                     [evaluate](http::Request& req, http::Response& res) { res.json(evaluate(req)); }));
    router.add(route("POST", "/api/v1/reports/scorecards/{id}/export", "reports.export", "A scorecard's results as CSV, XLSX or PDF",
                     [evaluate](http::Request& req, http::Response& res) {
                         if (!req.principal.can("reports.scorecard.read")) throw forbidden("You may not run scorecards.");
                         auto result = evaluate(req);
                         const auto format = req.queryParam("format").value_or("xlsx");
                         sendExport(res, format, {scorecardTable(result, req.principal.locale)}, "scorecard");
                     }));
}

} // namespace atrium::reports
