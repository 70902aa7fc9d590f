// Quotas per user and period, quota attainment, the forecast (weighted pipeline, commit / best
// case / pipeline, closed-won to date) by owner, team or department, and forecast snapshots
// (what forecast accuracy is measured against).

#include "routes.hpp"

namespace sales {
namespace {

using atrium::sdk::Row;
using atrium::sdk::Transaction;

/// The department tree, to roll owners up into teams and top-level departments.
struct Departments {
    struct Dept {
        std::string name, nameZh, path;
    };
    std::map<std::int64_t, Dept> byId;
    explicit Departments(Db& db) {
        for (auto r : db.query("SELECT id, name, name_zh, path FROM departments"))
            byId[r.i64(0)] = {r.text(1), r.isNull(2) ? r.text(1) : r.text(2), r.text(3)};
    }
    /// The department directly under the company root that contains `id` (itself when it is
    /// one, the root for the root).
    std::int64_t topLevel(std::int64_t id) const {
        auto it = byId.find(id);
        if (it == byId.end()) return id;
        std::vector<std::int64_t> parts;
        std::string_view p = it->second.path;
        std::size_t i = 0;
        while (i < p.size()) {
            auto j = p.find('/', i);
            if (j == std::string_view::npos) j = p.size();
            if (j > i) {
                std::int64_t v = 0;
                std::from_chars(p.data() + i, p.data() + j, v);
                parts.push_back(v);
            }
            i = j + 1;
        }
        return parts.size() >= 2 ? parts[1] : id;
    }
    Json label(std::int64_t id) const {
        auto it = byId.find(id);
        if (it == byId.end()) return nullptr;
        return {{"en", it->second.name}, {"zh-CN", it->second.nameZh}};
    }
};

struct Grouping {
    std::string group; ///< owner | team | department
    const Departments& departments;
    std::map<std::int64_t, std::string> ownerNames;

    std::int64_t key(std::int64_t owner, std::optional<std::int64_t> dept) const {
        if (group == "owner") return owner;
        if (!dept) return 0;
        return group == "team" ? *dept : departments.topLevel(*dept);
    }
    Json label(std::int64_t key) const {
        if (group == "owner") {
            auto it = ownerNames.find(key);
            return it == ownerNames.end() ? Json(nullptr) : Json(it->second);
        }
        return departments.label(key);
    }
};

Period requestPeriod(const Request& req) {
    const std::string type = req.query("period_type", "quarter");
    if (type != "month" && type != "quarter") throw HttpError::badRequest("The parameter 'period_type' must be month or quarter.");
    std::int64_t day = today();
    if (auto start = req.query("period_start")) {
        auto d = parseDate(*start);
        if (!d || start->size() != 10) throw HttpError::badRequest("The parameter 'period_start' must be a date as YYYY-MM-DD.");
        day = *d;
    }
    return periodOf(type, day);
}

std::string requestGroup(const Request& req) {
    const std::string g = req.query("group", "owner");
    if (g != "owner" && g != "team" && g != "department") throw HttpError::badRequest("The parameter 'group' must be owner, team or department.");
    return g;
}

void loadOwnerNames(Db& db, Grouping& g, const std::set<std::int64_t>& owners) {
    if (g.group != "owner" || owners.empty()) return;
    std::string in;
    for (auto id : owners) in += (in.empty() ? "" : ",") + std::to_string(id);
    for (auto r : db.query("SELECT id, display_name FROM users WHERE id IN (" + in + ")")) g.ownerNames[r.i64(0)] = r.text(1);
}

struct Figures {
    double pipeline = 0, weighted = 0, commitOpen = 0, bestCaseOpen = 0, closedWon = 0, quota = 0;
    std::int64_t openCount = 0, wonCount = 0;
    Json json() const {
        const double commit = round2(closedWon + commitOpen);
        return {{"pipeline", round2(pipeline)},
                {"weighted_pipeline", round2(weighted)},
                {"commit", commit},
                {"best_case", round2(commit + bestCaseOpen)},
                {"closed_won", round2(closedWon)},
                {"forecast", round2(closedWon + weighted)},
                {"quota", round2(quota)},
                {"attainment", quota > 0 ? Json(round2(closedWon / quota * 100.0)) : Json(nullptr)},
                {"open_count", openCount},
                {"won_count", wonCount}};
    }
};

/// Open and won figures per (owner, department) for the period, within the caller's scope.
void collectOpportunities(const Request& req, Db& db, const Period& period, std::map<std::pair<std::int64_t, std::int64_t>, Figures>& out) {
    const auto scope = req.scopeFilter("sales.opportunity.read", "o.owner_id", "o.department_id");
    auto st = db.prepare("SELECT o.owner_id, COALESCE(o.department_id, 0), o.status, o.forecast_category, SUM(o.amount), SUM(o.weighted_amount), "
                         "COUNT(*) FROM sales_opportunities o WHERE " +
                         scope.sql +
                         " AND ((o.status = 'open' AND o.expected_close_date >= ? AND o.expected_close_date < ?) OR "
                         "(o.status = 'won' AND o.closed_at >= ? AND o.closed_at < ?)) "
                         "GROUP BY o.owner_id, COALESCE(o.department_id, 0), o.status, o.forecast_category");
    int i = scope.bind(st);
    const auto start = formatDate(period.start), end = formatDate(period.end);
    st.bind(i, start).bind(i + 1, end).bind(i + 2, start).bind(i + 3, end);
    while (st.step()) {
        auto r = st.row();
        auto& f = out[{r.i64(0), r.i64(1)}];
        const auto status = r.text(2), category = r.text(3);
        const double amount = r.f64(4), weighted = r.f64(5);
        if (status == "won") {
            f.closedWon += amount;
            f.wonCount += r.i64(6);
            continue;
        }
        if (category == "omitted") continue;
        f.pipeline += amount;
        f.weighted += weighted;
        f.openCount += r.i64(6);
        if (category == "commit") f.commitOpen += amount;
        else if (category == "best_case") f.bestCaseOpen += amount;
    }
}

void collectQuotas(const Request& req, Db& db, const Period& period, std::map<std::pair<std::int64_t, std::int64_t>, Figures>& out) {
    const auto scope = req.scopeFilter("sales.quota.read", "q.user_id", "q.department_id");
    auto st = db.prepare("SELECT q.user_id, COALESCE(q.department_id, 0), SUM(q.amount) FROM sales_quotas q WHERE " + scope.sql +
                         " AND q.period_type = ? AND q.period_start = ? GROUP BY q.user_id, COALESCE(q.department_id, 0)");
    int i = scope.bind(st);
    st.bind(i, period.type).bind(i + 1, formatDate(period.start));
    while (st.step()) out[{st.row().i64(0), st.row().i64(1)}].quota += st.row().f64(2);
}

Json rollUp(Db& db, const std::string& group, const Period& period, const std::map<std::pair<std::int64_t, std::int64_t>, Figures>& rows) {
    Departments departments(db);
    Grouping g{group, departments, {}};
    std::set<std::int64_t> owners;
    for (const auto& [k, f] : rows) owners.insert(k.first);
    loadOwnerNames(db, g, owners);
    std::map<std::int64_t, Figures> grouped;
    Figures total;
    for (const auto& [k, f] : rows) {
        auto& t = grouped[g.key(k.first, k.second ? std::optional(k.second) : std::nullopt)];
        for (auto* target : {&t, &total}) {
            target->pipeline += f.pipeline;
            target->weighted += f.weighted;
            target->commitOpen += f.commitOpen;
            target->bestCaseOpen += f.bestCaseOpen;
            target->closedWon += f.closedWon;
            target->quota += f.quota;
            target->openCount += f.openCount;
            target->wonCount += f.wonCount;
        }
    }
    Json items = Json::array();
    for (const auto& [key, f] : grouped) {
        Json row = f.json();
        row["key"] = key ? Json(key) : Json(nullptr);
        row["label"] = key ? g.label(key) : Json(nullptr);
        items.push_back(row);
    }
    return {{"period_type", period.type}, {"period_start", formatDate(period.start)}, {"period_end", formatDate(period.end - 1)},
            {"group", group},             {"items", items},                         {"total", total.json()}};
}

Json quotaJson(Row r) {
    return {{"id", r.i64("id")},
            {"user_id", r.i64("user_id")},
            {"user_name", r.json("user_name")},
            {"department_id", r.json("department_id")},
            {"period_type", r.text("period_type")},
            {"period_start", r.text("period_start").substr(0, 10)},
            {"period_end", r.text("period_end").substr(0, 10)},
            {"amount", round2(r.f64("amount"))},
            {"currency", r.text("currency")},
            {"version", r.i64("version")},
            {"updated_at", r.text("updated_at")}};
}

/// Every figure summed from opportunity amounts follows the field "sales.opportunity.amount": a
/// role denying it sees quotas and counts, never these (as it never sees an opportunity's amount).
void withholdAmounts(const Request& req, Json& out) {
    if (!req.fieldDenied("sales.opportunity.amount")) return;
    auto strip = [](Json& f) {
        for (const char* k : {"pipeline", "weighted_pipeline", "commit", "best_case", "closed_won", "forecast", "attainment"}) f.erase(k);
    };
    strip(out["total"]);
    for (auto& item : out["items"]) strip(item);
}

} // namespace

void registerPlanningRoutes(Context& ctx) {
    auto& r = ctx.router;
    r.get("quotas", "sales.quota.read", [](Request& req, Db& db) -> Json {
        static const ListSpec spec = [] {
            ListSpec s;
            s.from = "sales_quotas q LEFT JOIN users u ON u.id = q.user_id";
            s.select = "q.id, q.user_id, u.display_name AS user_name, q.department_id, q.period_type, q.period_start, q.period_end, q.amount, "
                       "q.currency, q.version, q.updated_at";
            s.permission = "sales.quota.read";
            s.ownerColumn = "q.user_id";
            s.departmentColumn = "q.department_id";
            s.sorts = {{"id", "q.id"}, {"period_start", "q.period_start"}, {"amount", "q.amount"}, {"user_id", "q.user_id"}};
            s.defaultSort = "period_start";
            s.idColumn = "q.id";
            s.filters = {{"user_id", {"q.user_id", true}}, {"period_type", {"q.period_type"}}, {"department_id", {"q.department_id", true}}};
            s.ranges = {{"from", "q.period_start >= ?"}, {"to", "q.period_start <= ?"}};
            return s;
        }();
        return runList(req, db, spec, quotaJson);
    }, "Quotas per user and period");

    r.put("quotas", "sales.quota.write", [](Request& req, Db& db) -> Json {
        const Json body = req.json();
        onlyFields(body, {"user_id", "period_type", "period_start", "amount", "currency"});
        Problems p;
        const auto user = p.integer(body, "user_id", true, 1, INT64_MAX);
        const auto type = p.oneOf(body, "period_type", true, {"month", "quarter"});
        const auto start = p.date(body, "period_start", true);
        const auto amount = p.number(body, "amount", true, 0, 1e12);
        const auto currency = p.text(body, "currency", false, 3).value_or("CNY");
        if (!currencies().contains(currency)) p.add("currency", "Use an ISO 4217 code Atrium knows (CNY, USD, EUR, HKD, JPY, GBP, SGD).");
        Period period;
        if (type && start) {
            period = periodOf(*type, *parseDate(*start));
            if (formatDate(period.start) != *start)
                p.add("period_start", "A " + *type + " starts on its first day: " + formatDate(period.start) + ".");
        }
        OwnerInfo owner;
        if (user) owner = checkOwner(req, db, *user, "sales.quota.write", p);
        p.throwIfAny();
        Transaction tx(db);
        const auto now = nowText();
        std::optional<double> old;
        std::int64_t id = 0;
        for (auto row : db.query("SELECT id, amount FROM sales_quotas WHERE user_id = ? AND period_type = ? AND period_start = ?", owner.id, *type, *start)) {
            id = row.i64(0);
            old = row.f64(1);
        }
        if (id) {
            db.execute("UPDATE sales_quotas SET amount = ?, currency = ?, department_id = ?, version = version + 1, updated_at = ? WHERE id = ?",
                       round2(*amount), currency, owner.department, now, id);
        } else {
            id = db.insert("INSERT INTO sales_quotas (user_id, department_id, period_type, period_start, period_end, amount, currency, version, created_at, "
                           "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                           owner.id, owner.department, *type, *start, formatDate(period.end), round2(*amount), currency, now, now);
        }
        req.audit(db, id && old ? "update" : "create", "sales.quota", id, old ? Json{{"amount", *old}} : Json(nullptr),
                  {{"user_id", owner.id}, {"period_type", *type}, {"period_start", *start}, {"amount", round2(*amount)}, {"currency", currency}});
        tx.commit();
        for (auto row : db.query("SELECT q.id, q.user_id, u.display_name AS user_name, q.department_id, q.period_type, q.period_start, q.period_end, "
                                 "q.amount, q.currency, q.version, q.updated_at FROM sales_quotas q LEFT JOIN users u ON u.id = q.user_id WHERE q.id = ?",
                                 id))
            return quotaJson(row);
        throw HttpError::notFound("The quota");
    }, "Set a user's quota for a month or quarter (creates or replaces)");

    r.get("quotas/attainment", "sales.quota.read", [](Request& req, Db& db) -> Json {
        const auto period = requestPeriod(req);
        const auto group = requestGroup(req);
        std::map<std::pair<std::int64_t, std::int64_t>, Figures> rows;
        collectQuotas(req, db, period, rows);
        if (req.can("sales.opportunity.read")) collectOpportunities(req, db, period, rows);
        Json out = rollUp(db, group, period, rows);
        // Attainment only: keep the quota-related figures.
        for (auto* target : {&out["total"]})
            for (const char* k : {"pipeline", "weighted_pipeline", "commit", "best_case", "forecast", "open_count"}) target->erase(k);
        for (auto& item : out["items"])
            for (const char* k : {"pipeline", "weighted_pipeline", "commit", "best_case", "forecast", "open_count"}) item.erase(k);
        withholdAmounts(req, out);
        return out;
    }, "Quota attainment (closed-won ÷ quota) per owner, team or department for a month or quarter");

    r.get("forecast", "sales.forecast.read", [](Request& req, Db& db) -> Json {
        const auto period = requestPeriod(req);
        const auto group = requestGroup(req);
        std::map<std::pair<std::int64_t, std::int64_t>, Figures> rows;
        collectOpportunities(req, db, period, rows);
        if (req.can("sales.quota.read")) collectQuotas(req, db, period, rows);
        Json out = rollUp(db, group, period, rows);
        withholdAmounts(req, out);
        return out;
    }, "Forecast for a month or quarter: pipeline, weighted pipeline, commit, best case, closed-won, quota");

    r.post("forecast/snapshots", "sales.quota.write", [](Request& req, Db& db) -> Json {
        const Json body = req.body().empty() ? Json::object() : req.json();
        onlyFields(body, {"period_type", "period_start"});
        Problems p;
        const auto type = p.oneOf(body, "period_type", false, {"month", "quarter"}).value_or("quarter");
        const auto start = p.date(body, "period_start", false);
        p.throwIfAny();
        const auto period = periodOf(type, start ? *parseDate(*start) : today());
        std::map<std::pair<std::int64_t, std::int64_t>, Figures> rows;
        collectOpportunities(req, db, period, rows);
        Transaction tx(db);
        const auto now = nowText();
        auto bulk = db.bulkInsert("sales_forecast_snapshots", {"owner_id", "department_id", "period_type", "period_start", "period_end", "taken_at",
                                                               "pipeline_amount", "weighted_amount", "commit_amount", "best_case_amount",
                                                               "closed_won_amount", "forecast_amount"});
        for (const auto& [k, f] : rows) {
            const double commit = round2(f.closedWon + f.commitOpen);
            bulk.row(k.first, k.second ? std::optional(k.second) : std::nullopt, type, formatDate(period.start), formatDate(period.end), now,
                     round2(f.pipeline), round2(f.weighted), commit, round2(commit + f.bestCaseOpen), round2(f.closedWon),
                     round2(f.closedWon + f.weighted));
        }
        const auto written = bulk.finish();
        req.audit(db, "snapshot", "sales.forecast", 0, nullptr, {{"period_type", type}, {"period_start", formatDate(period.start)}, {"owners", written}});
        tx.commit();
        return {{"period_type", type}, {"period_start", formatDate(period.start)}, {"owners", written}, {"taken_at", now}};
    }, "Record the current forecast per owner (forecast accuracy compares it with what closed)");
}

} // namespace sales
