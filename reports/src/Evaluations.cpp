// Performance evaluation cycles: participants scored by a scorecard, manager adjustments within a
// bound with a required comment, draft → submitted → approved, grades by bands or forced
// distribution, and an approved cycle frozen as a snapshot. Every change is audited.
#include "Reporting.h"
#include "Scoring.h"

#include "identity/Audit.h"

#include <cmath>
#include <set>

namespace atrium::reports {

namespace {

double round2(double v) { return std::round(v * 100) / 100; }

void validateConfig(const Json& cfg) {
    const double bound = cfg.value("adjustment_bound", 0.0);
    if (bound < 0 || bound > 100) throw badRequest("'adjustment_bound' is between 0 and 100 points.");
    const auto g = cfg.value("grading", Json());
    if (!g.is_object()) throw badRequest("'grading' is {method: bands|forced, grades: [...]}.");
    const auto method = g.value("method", std::string());
    const auto grades = g.value("grades", Json::array());
    if (!grades.is_array() || grades.empty() || grades.size() > 10) throw badRequest("'grading.grades' lists 1 to 10 grades, best first.");
    std::set<std::string> names;
    double sum = 0, lastMin = 1e18;
    for (const auto& x : grades) {
        const auto name = x.value("name", std::string());
        if (name.empty() || name.size() > 20 || !names.insert(name).second) throw badRequest("Each grade needs a unique short 'name'.");
        if (method == "bands") {
            if (!x.value("min", Json()).is_number()) throw badRequest("Band grades need a 'min' score.");
            if (x["min"].get<double>() >= lastMin) throw badRequest("Band grades are listed best first with decreasing 'min'.");
            lastMin = x["min"].get<double>();
        } else if (method == "forced") {
            if (!x.value("percent", Json()).is_number() || x["percent"].get<double>() < 0) throw badRequest("Forced-distribution grades need a 'percent'.");
            sum += x["percent"].get<double>();
        } else {
            throw badRequest("'grading.method' is bands or forced.");
        }
    }
    if (method == "forced" && std::fabs(sum - 100) > 1e-6) throw badRequest("The grade percentages add up to " + std::to_string(sum) + "; they must add up to 100.");
}

struct Cycle {
    std::int64_t id = 0;
    std::string name, from, to, scorecard, status;
    Json config, snapshot;
    std::int64_t ownerId = 0, version = 0;
    std::string approvedAt;
    std::int64_t approvedBy = 0;
};

std::optional<Cycle> loadCycle(store::Connection& c, std::int64_t id) {
    auto rows = c.queryAll("SELECT id, name, period_from, period_to, scorecard, config, status, snapshot, owner_id, version, approved_at, approved_by "
                           "FROM reports_eval_cycles WHERE id = ?",
                           {id});
    if (rows.empty()) return std::nullopt;
    const auto& r = rows[0];
    Cycle cy;
    cy.id = store::asInt(r[0]);
    cy.name = store::asText(r[1]);
    cy.from = store::asText(r[2]).substr(0, 10);
    cy.to = store::asText(r[3]).substr(0, 10);
    cy.scorecard = store::asText(r[4]);
    cy.config = Json::parse(store::asText(r[5]), nullptr, false);
    cy.status = store::asText(r[6]);
    if (!store::isNull(r[7])) cy.snapshot = Json::parse(store::asText(r[7]), nullptr, false);
    cy.ownerId = store::asInt(r[8]);
    cy.version = store::asInt(r[9]);
    if (!store::isNull(r[10])) cy.approvedAt = store::asText(r[10]);
    cy.approvedBy = store::asInt(r[11]);
    return cy;
}

bool mayRead(const identity::Principal& p, const Cycle& c) {
    return c.ownerId == p.userId || p.isAdmin() || p.can("reports.evaluation.approve") || p.scope("reports.evaluation.read") == identity::Scope::All;
}

Json participantsJson(store::Connection& c, std::int64_t cycleId) {
    Json out = Json::array();
    for (auto& r : c.queryAll("SELECT p.user_id, u.display_name, u.department_id, p.score, p.adjustment, p.comment, p.final_score, p.grade, p.details "
                              "FROM reports_eval_participants p JOIN users u ON u.id = p.user_id WHERE p.cycle_id = ? ORDER BY p.final_score DESC, p.user_id",
                              {cycleId})) {
        out.push_back({{"user_id", store::asInt(r[0])}, {"name", store::asText(r[1])}, {"department_id", store::asInt(r[2])},
                       {"score", store::isNull(r[3]) ? Json(nullptr) : Json(store::asDouble(r[3]))}, {"adjustment", store::asDouble(r[4])},
                       {"comment", store::isNull(r[5]) ? Json(nullptr) : Json(store::asText(r[5]))},
                       {"final_score", store::isNull(r[6]) ? Json(nullptr) : Json(store::asDouble(r[6]))},
                       {"grade", store::isNull(r[7]) ? Json(nullptr) : Json(store::asText(r[7]))},
                       {"items", store::isNull(r[8]) ? Json::array() : Json::parse(store::asText(r[8]), nullptr, false)}});
    }
    return out;
}

/// Item values of KPIs `p` may not use (a field they read is denied to `p`, or their module is
/// off for `p`) are withheld, as the engine withholds a denied field everywhere: the reader keeps
/// the points each item scored, not the value, target and attainment behind them.
void withholdDenied(Engine& engine, const identity::Principal& p, Json& participants) {
    std::map<std::string, bool> usable;
    for (auto& pj : participants)
        for (auto& it : pj["items"]) {
            if (!it.is_object()) continue;
            const auto id = it.value("kpi", std::string());
            auto found = usable.find(id);
            if (found == usable.end()) {
                const auto k = engine.kpi(id);
                found = usable.emplace(id, k && engine.mayUseKpi(p, *k)).first;
            }
            if (found->second) continue;
            for (const char* key : {"value", "target", "attainment"}) it.erase(key);
            it["withheld"] = true;
        }
}

Json cycleJson(Engine& engine, const identity::Principal& p, store::Connection& c, const Cycle& cy) {
    Json j = {{"id", cy.id}, {"name", cy.name}, {"period", {{"from", cy.from}, {"to", cy.to}}}, {"scorecard", cy.scorecard},
              {"status", cy.status}, {"owner_id", cy.ownerId}, {"version", cy.version}};
    for (auto it = cy.config.begin(); it != cy.config.end(); ++it) j[it.key()] = it.value();
    if (cy.status == "approved" && cy.snapshot.is_object()) {
        // The frozen results: later data changes do not alter them.
        j["participants"] = cy.snapshot.value("participants", Json::array());
        j["approved_at"] = cy.approvedAt;
        j["approved_by"] = cy.approvedBy;
        j["frozen"] = true;
    } else {
        j["participants"] = participantsJson(c, cy.id);
        j["frozen"] = false;
    }
    withholdDenied(engine, p, j["participants"]);
    return j;
}

/// Users chosen by department subtree, roles and ids, within the caller's reach.
std::vector<std::int64_t> selectParticipants(store::Connection& c, const identity::Principal& p, const Json& sel) {
    std::string sql = "SELECT DISTINCT u.id FROM users u LEFT JOIN departments d ON d.id = u.department_id WHERE u.active = 1";
    store::Values args;
    const auto scope = p.scope("reports.evaluation.write");
    if (scope == identity::Scope::Own) {
        sql += " AND u.id = ?";
        args.emplace_back(std::in_place_type<std::int64_t>, p.userId);
    } else if (scope == identity::Scope::Department) {
        sql += " AND d.path LIKE ?";
        args.emplace_back(std::in_place_type<std::string>, p.departmentPath + "%");
    }
    if (sel.contains("department_id") && sel["department_id"].is_number_integer()) {
        sql += " AND d.path LIKE (SELECT f.path FROM departments f WHERE f.id = ?) || '%'";
        args.emplace_back(std::in_place_type<std::int64_t>, sel["department_id"].get<std::int64_t>());
    }
    if (sel.contains("roles") && sel["roles"].is_array() && !sel["roles"].empty()) {
        sql += " AND u.id IN (SELECT ur.user_id FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE r.name IN (";
        for (std::size_t i = 0; i < sel["roles"].size(); ++i) {
            if (!sel["roles"][i].is_string()) throw badRequest("'participants.roles' holds role names.");
            sql += i ? ",?" : "?";
            args.emplace_back(std::in_place_type<std::string>, sel["roles"][i].get<std::string>());
        }
        sql += "))";
    }
    std::set<std::int64_t> only;
    if (sel.contains("user_ids") && sel["user_ids"].is_array())
        for (const auto& u : sel["user_ids"])
            if (u.is_number_integer()) only.insert(u.get<std::int64_t>());
    std::vector<std::int64_t> out;
    for (auto& r : c.queryAll(sql + " ORDER BY u.id", args)) {
        const auto id = store::asInt(r[0]);
        if (only.empty() || only.count(id)) out.push_back(id);
    }
    return out;
}

/// Scores every participant with the cycle's scorecard (live data) and stores them.
void computeScores(Engine& engine, store::Connection& c, const identity::Principal& p, const Cycle& cy) {
    auto tmpl = findScorecard(engine, cy.scorecard);
    if (!tmpl) throw badRequest("The scorecard '" + cy.scorecard + "' no longer exists.");
    if (tmpl->value("subject", std::string("user")) != "user") throw badRequest("An evaluation needs a scorecard for people (subject 'user').");
    Json ids = Json::array();
    for (auto& r : c.queryAll("SELECT user_id FROM reports_eval_participants WHERE cycle_id = ?", {cy.id})) ids.push_back(store::asInt(r[0]));
    if (ids.empty()) return;
    // Participants are scored whether or not they fall in the evaluator's own scorecard reach or
    // the template's subject roles: the cycle's owner chose them within their evaluation scope.
    identity::Principal scorer = p;
    scorer.permissions["reports.scorecard.read"] = std::max(p.scope("reports.scorecard.read"), p.scope("reports.evaluation.write"));
    auto result = evaluateScorecard(engine, scorer, *tmpl, {*dates::parse(cy.from), *dates::parse(cy.to)}, {{"user_ids", ids}, {"roles", Json::array()}, {"trend_periods", 0}});
    std::map<std::int64_t, Json> byUser;
    for (const auto& s : result["subjects"]) byUser[s["id"].get<std::int64_t>()] = s;
    for (const auto& id : ids) {
        const auto uid = id.get<std::int64_t>();
        auto it = byUser.find(uid);
        const double score = it == byUser.end() ? 0.0 : it->second["score"].get<double>();
        const Json items = it == byUser.end() ? Json::array() : it->second.value("items", Json::array());
        c.execute("UPDATE reports_eval_participants SET score = ?, final_score = ? + adjustment, details = ?, updated_at = ? WHERE cycle_id = ? AND user_id = ?",
                  {score, score, items.dump(), nowUtc(), cy.id, uid});
    }
}

void audit(Engine& engine, store::Connection& c, const http::Request& req, const std::string& action, std::int64_t id, Json oldV, Json newV) {
    auto e = identity::AuditEntry::by(req.principal, action, "reports.evaluation", id);
    e.oldValues = std::move(oldV);
    e.newValues = std::move(newV);
    e.requestId = req.requestId;
    e.clientAddress = req.clientAddress;
    engine.host().audit().record(c, e);
}

Cycle requireCycle(store::Connection& c, const http::Request& req) {
    auto cy = loadCycle(c, req.idParam("id"));
    if (!cy || !mayRead(req.principal, *cy)) throw notFound("The evaluation cycle '" + req.pathParams.at("id") + "'");
    return *cy;
}

void requireDraft(const Cycle& cy) {
    if (cy.status != "draft")
        throw http::HttpError::conflict(cy.status == "approved" ? "The cycle is approved: its results are frozen." : "The cycle is submitted; return it to draft first.");
}

void requireOwner(const http::Request& req, const Cycle& cy) {
    if (cy.ownerId != req.principal.userId && !req.principal.isAdmin()) throw forbidden("Only the cycle's owner can change it.");
}

} // namespace

void registerEvaluationRoutes(http::Router& router, Engine& engine) {
    Engine* e = &engine;

    router.add(route("GET", "/api/v1/reports/evaluations", "reports.evaluation.read", "Evaluation cycles you run or approve",
                     [e](http::Request& req, http::Response& res) {
                         auto c = e->db()->acquire();
                         Json items = Json::array();
                         for (auto& r : c->queryAll("SELECT id FROM reports_eval_cycles ORDER BY id DESC")) {
                             auto cy = loadCycle(*c, store::asInt(r[0]));
                             if (!cy || !mayRead(req.principal, *cy)) continue;
                             items.push_back({{"id", cy->id}, {"name", cy->name}, {"status", cy->status}, {"period", {{"from", cy->from}, {"to", cy->to}}},
                                              {"scorecard", cy->scorecard}, {"owner_id", cy->ownerId}, {"version", cy->version}});
                         }
                         res.json({{"items", items}});
                     }));

    router.add(route("POST", "/api/v1/reports/evaluations", "reports.evaluation.write", "Open an evaluation cycle (draft) and score its participants",
                     [e](http::Request& req, http::Response& res) {
                         auto in = req.jsonBody();
                         const auto name = in.value("name", std::string());
                         if (name.empty() || name.size() > 200) throw badRequest("A cycle needs a 'name'.");
                         const auto period = parsePeriod(in.value("period", Json()));
                         const auto scorecard = in.contains("scorecard") && in["scorecard"].is_number_integer() ? std::to_string(in["scorecard"].get<std::int64_t>())
                                                                                                             : in.value("scorecard", std::string());
                         auto tmpl = findScorecard(*e, scorecard);
                         if (!tmpl) throw badRequest("The scorecard '" + scorecard + "' does not exist.");
                         if (tmpl->value("subject", std::string("user")) != "user") throw badRequest("An evaluation needs a scorecard for people (subject 'user').");
                         Json cfg = {{"adjustment_bound", in.value("adjustment_bound", 0.0)},
                                     {"grading", in.value("grading", Json{{"method", "bands"},
                                                                          {"grades", Json::array({{{"name", "A"}, {"min", 90}}, {{"name", "B"}, {"min", 75}},
                                                                                                  {{"name", "C"}, {"min", 60}}, {{"name", "D"}, {"min", 0}}})}})},
                                     {"participants_selection", in.value("participants", Json::object())}};
                         // Without roles named, the template's people (the sales rep template: reps),
                         // so administrators and managers are not graded on a rep's KPIs.
                         if (cfg["participants_selection"].is_object() && !cfg["participants_selection"].contains("roles") &&
                             tmpl->contains("subject_roles"))
                             cfg["participants_selection"]["roles"] = (*tmpl)["subject_roles"];
                         validateConfig(cfg);
                         auto c = e->db()->acquire();
                         store::Transaction tx(*c);
                         const auto id = c->insert("INSERT INTO reports_eval_cycles (name, period_from, period_to, scorecard, config, status, snapshot, owner_id, version, created_at, updated_at) "
                                                   "VALUES (?, ?, ?, ?, ?, 'draft', NULL, ?, 1, ?, ?)",
                                                   {name, dates::format(period.from), dates::format(period.to), scorecard, cfg.dump(), req.principal.userId, nowUtc(), nowUtc()});
                         const auto users = selectParticipants(*c, req.principal, cfg["participants_selection"]);
                         if (users.empty()) throw badRequest("No active user matches the participant selection within your scope.");
                         for (auto u : users)
                             c->execute("INSERT INTO reports_eval_participants (cycle_id, user_id, adjustment, updated_at) VALUES (?, ?, 0, ?)", {id, u, nowUtc()});
                         auto cy = loadCycle(*c, id);
                         computeScores(*e, *c, req.principal, *cy);
                         audit(*e, *c, req, "create", id, nullptr, {{"name", name}, {"scorecard", scorecard}, {"participants", users.size()}, {"config", cfg}});
                         tx.commit();
                         res.json(cycleJson(*e, req.principal, *c, *loadCycle(*c, id)), 201);
                     }));

    router.add(route("GET", "/api/v1/reports/evaluations/{id}", "reports.evaluation.read", "A cycle with its participants (the snapshot once approved)",
                     [e](http::Request& req, http::Response& res) {
                         auto c = e->db()->acquire();
                         res.json(cycleJson(*e, req.principal, *c, requireCycle(*c, req)));
                     }));

    router.add(route("POST", "/api/v1/reports/evaluations/{id}/recompute", "reports.evaluation.write", "Score the participants again from current data (draft only)",
                     [e](http::Request& req, http::Response& res) {
                         auto c = e->db()->acquire();
                         store::Transaction tx(*c);
                         auto cy = requireCycle(*c, req);
                         requireOwner(req, cy);
                         requireDraft(cy);
                         computeScores(*e, *c, req.principal, cy);
                         c->execute("UPDATE reports_eval_cycles SET version = version + 1, updated_at = ? WHERE id = ?", {nowUtc(), cy.id});
                         audit(*e, *c, req, "reports.evaluation.recompute", cy.id, nullptr, nullptr);
                         tx.commit();
                         res.json(cycleJson(*e, req.principal, *c, *loadCycle(*c, cy.id)));
                     }));

    router.add(route("PUT", "/api/v1/reports/evaluations/{id}/participants/{uid}", "reports.evaluation.write",
                     "Manager adjustment within the bound, with a required comment (draft only)",
                     [e](http::Request& req, http::Response& res) {
                         auto in = req.jsonBody();
                         auto c = e->db()->acquire();
                         store::Transaction tx(*c);
                         auto cy = requireCycle(*c, req);
                         requireOwner(req, cy);
                         requireDraft(cy);
                         const auto uid = req.idParam("uid");
                         auto cur = c->queryAll("SELECT score, adjustment, comment FROM reports_eval_participants WHERE cycle_id = ? AND user_id = ?", {cy.id, uid});
                         if (cur.empty()) throw notFound("The participant '" + std::to_string(uid) + "'");
                         if (!in.value("adjustment", Json()).is_number()) throw badRequest("'adjustment' (points, + or -) is required.");
                         const double adj = in["adjustment"].get<double>();
                         const double bound = cy.config.value("adjustment_bound", 0.0);
                         if (std::fabs(adj) > bound + 1e-9)
                             throw http::HttpError::validation({{"adjustment", "The adjustment must stay within ±" + std::to_string(static_cast<int>(bound)) + " points."}});
                         const auto comment = in.value("comment", std::string());
                         if (adj != 0 && comment.find_first_not_of(" \t\r\n") == std::string::npos)
                             throw http::HttpError::validation({{"comment", "An adjustment needs a comment explaining it."}});
                         const double score = store::asDouble(cur[0][0]);
                         c->execute("UPDATE reports_eval_participants SET adjustment = ?, comment = ?, final_score = ?, updated_at = ? WHERE cycle_id = ? AND user_id = ?",
                                    {adj, comment.empty() ? store::Value(nullptr) : store::Value(comment), round2(score + adj), nowUtc(), cy.id, uid});
                         c->execute("UPDATE reports_eval_cycles SET version = version + 1, updated_at = ? WHERE id = ?", {nowUtc(), cy.id});
                         audit(*e, *c, req, "reports.evaluation.adjust", cy.id,
                               {{"user_id", uid}, {"adjustment", store::asDouble(cur[0][1])}, {"comment", store::asText(cur[0][2])}},
                               {{"user_id", uid}, {"adjustment", adj}, {"comment", comment}});
                         tx.commit();
                         res.json(cycleJson(*e, req.principal, *c, *loadCycle(*c, cy.id)));
                     }));

    auto transition = [e](http::Request& req, http::Response& res, const std::string& action) {
        auto in = req.body.empty() ? Json::object() : req.jsonBody();
        auto c = e->db()->acquire();
        store::Transaction tx(*c);
        auto cy = requireCycle(*c, req);
        if (in.contains("version") && in["version"].is_number_integer() && in["version"].get<std::int64_t>() != cy.version)
            throw http::HttpError::conflict("The cycle changed since you read it.");
        Json extra = Json::object();
        if (action == "submit") {
            requireOwner(req, cy);
            requireDraft(cy);
            c->execute("UPDATE reports_eval_cycles SET status = 'submitted', version = version + 1, updated_at = ? WHERE id = ? AND status = 'draft'", {nowUtc(), cy.id});
        } else if (action == "return") {
            if (!req.principal.can("reports.evaluation.approve")) throw forbidden("Only an approver can return a cycle.");
            if (cy.status != "submitted") throw http::HttpError::conflict("Only a submitted cycle can be returned.");
            const auto comment = in.value("comment", std::string());
            if (comment.empty()) throw http::HttpError::validation({{"comment", "Say why the cycle is returned."}});
            extra["comment"] = comment;
            c->execute("UPDATE reports_eval_cycles SET status = 'draft', version = version + 1, updated_at = ? WHERE id = ?", {nowUtc(), cy.id});
        } else {
            if (!req.principal.can("reports.evaluation.approve")) throw forbidden("You may not approve evaluation cycles.");
            if (cy.status != "submitted") throw http::HttpError::conflict(cy.status == "approved" ? "The cycle is already approved." : "Submit the cycle before approving it.");
            // Grades from the final scores, then the frozen snapshot.
            auto rows = c->queryAll("SELECT user_id, COALESCE(final_score, 0) FROM reports_eval_participants WHERE cycle_id = ? ORDER BY user_id", {cy.id});
            std::vector<double> scores;
            for (auto& r : rows) scores.push_back(store::asDouble(r[1]));
            std::vector<scoring::Grade> grades;
            const auto& g = cy.config["grading"];
            for (const auto& x : g["grades"]) grades.push_back({x.value("name", std::string()), x.value("min", 0.0), x.value("percent", 0.0)});
            std::vector<std::string> assigned;
            if (g.value("method", std::string()) == "forced") assigned = scoring::forcedDistribution(scores, grades);
            else
                for (double s : scores) assigned.push_back(scoring::gradeByBands(s, grades));
            for (std::size_t i = 0; i < rows.size(); ++i)
                c->execute("UPDATE reports_eval_participants SET grade = ? WHERE cycle_id = ? AND user_id = ?", {assigned[i], cy.id, store::asInt(rows[i][0])});
            auto ranks = scoring::rankDescending(scores);
            Json participants = participantsJson(*c, cy.id);
            std::map<std::int64_t, int> rankOf;
            for (std::size_t i = 0; i < rows.size(); ++i) rankOf[store::asInt(rows[i][0])] = ranks[i];
            for (auto& pj : participants) pj["rank"] = rankOf[pj["user_id"].get<std::int64_t>()];
            Json snapshot = {{"participants", participants}, {"approved_at", nowUtc()}, {"approved_by", req.principal.userId},
                             {"scorecard", findScorecard(*e, cy.scorecard).value_or(Json())}};
            c->execute("UPDATE reports_eval_cycles SET status = 'approved', snapshot = ?, approved_by = ?, approved_at = ?, version = version + 1, updated_at = ? WHERE id = ?",
                       {snapshot.dump(), req.principal.userId, nowUtc(), nowUtc(), cy.id});
            extra["grades"] = Json::object();
            for (std::size_t i = 0; i < rows.size(); ++i) extra["grades"][store::asText(rows[i][0])] = assigned[i];
        }
        audit(*e, *c, req, "reports.evaluation." + action, cy.id, {{"status", cy.status}}, extra);
        tx.commit();
        res.json(cycleJson(*e, req.principal, *c, *loadCycle(*c, cy.id)));
    };
    router.add(route("POST", "/api/v1/reports/evaluations/{id}/submit", "reports.evaluation.write", "Submit a draft cycle for approval",
                     [transition](http::Request& req, http::Response& res) { transition(req, res, "submit"); }));
    router.add(route("POST", "/api/v1/reports/evaluations/{id}/return", "reports.evaluation.approve", "Return a submitted cycle to draft (comment required)",
                     [transition](http::Request& req, http::Response& res) { transition(req, res, "return"); }));
    router.add(route("POST", "/api/v1/reports/evaluations/{id}/approve", "reports.evaluation.approve", "Approve: grade and freeze the results",
                     [transition](http::Request& req, http::Response& res) { transition(req, res, "approve"); }));

    router.add(route("POST", "/api/v1/reports/evaluations/{id}/export", "reports.export", "A cycle's results as CSV, XLSX or PDF",
                     [e](http::Request& req, http::Response& res) {
                         auto c = e->db()->acquire();
                         auto cy = requireCycle(*c, req);
                         auto j = cycleJson(*e, req.principal, *c, cy);
                         const bool zh = req.principal.locale.rfind("zh", 0) == 0;
                         Table t;
                         t.title = cy.name;
                         t.headers = {zh ? "员工" : "Employee", zh ? "得分" : "Score", zh ? "调整" : "Adjustment", zh ? "说明" : "Comment",
                                      zh ? "最终得分" : "Final score", zh ? "等级" : "Grade"};
                         t.types = {"text", "number", "number", "text", "number", "text"};
                         for (const auto& p : j["participants"])
                             t.rows.push_back({p["name"], p["score"], p["adjustment"], p["comment"], p["final_score"], p["grade"]});
                         sendExport(res, req.queryParam("format").value_or("xlsx"), {t}, "evaluation-" + std::to_string(cy.id));
                     }));
}

} // namespace atrium::reports
