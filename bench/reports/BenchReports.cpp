// Times the reporting engine against plain SQL GROUP BY on the same backend:
//   * a 6-widget sales dashboard (3 KPI cards with previous period and trend, a monthly line,
//     a bar by stage, a top-10 leaderboard), cold (cache dropped) and warm;
//   * a 500-person × 20-KPI scorecard, cold and warm.
// The data set is generated into bench_opportunities (kept between runs when the row count
// matches), so the numbers do not depend on which plugins are installed.
//
//   bench_reports [--db URL] [--rows N] [--users N] [--runs N]
//   e.g. bench_reports --db sqlite:/tmp/bench.db --rows 1000000
//        bench_reports --db mysql://atrium:pw@127.0.0.1:3306/bench --rows 1000000
#include "Reporting.h"

#include "identity/Principal.h"
#include "store/Migrations.h"

#include <chrono>
#include <cmath>
#include <map>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <random>

using namespace atrium;
using reports::Json;
using Clock = std::chrono::steady_clock;

namespace {

double ms(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

struct Options {
    std::string db = "sqlite:var/bench-reports.db";
    long rows = 200000;
    int users = 500;
    int runs = 20;
};

Options parse(int argc, char** argv) {
    Options o;
    if (const char* env = std::getenv("ATRIUM_DB")) o.db = env;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--db") o.db = argv[i + 1];
        else if (k == "--rows") o.rows = std::atol(argv[i + 1]);
        else if (k == "--users") o.users = std::atoi(argv[i + 1]);
        else if (k == "--runs") o.runs = std::atoi(argv[i + 1]);
        else {
            std::cerr << "unknown option " << k << "\n";
            std::exit(2);
        }
    }
    return o;
}

const char* kStages[] = {"lead", "qualified", "proposal", "negotiation", "won", "lost"};
const char* kRegions[] = {"north", "south", "east", "west", "central", "northeast", "northwest", "southwest"};

std::vector<std::int64_t> ensureUsers(store::Database& db, int n, std::int64_t root) {
    auto c = db.acquire();
    std::vector<std::int64_t> ids;
    for (auto& r : c->queryAll("SELECT id FROM users WHERE email LIKE 'bench.%' ORDER BY id")) ids.push_back(store::asInt(r[0]));
    if (static_cast<int>(ids.size()) >= n) {
        ids.resize(n);
        return ids;
    }
    const auto now = db.dialect().nowUtc();
    store::Transaction tx(*c);
    // Ten departments under the root, users spread over them.
    std::vector<std::int64_t> depts;
    const auto rootPath = store::asText(*c->queryScalar("SELECT path FROM departments WHERE id = ?", {root}));
    for (int d = 0; d < 10; ++d) {
        auto id = c->insert("INSERT INTO departments (parent_id, name, path, created_at, updated_at) VALUES (?, ?, '', " + now + ", " + now + ")",
                            {root, "Bench " + std::to_string(d)});
        c->execute("UPDATE departments SET path = ? WHERE id = ?", {rootPath + std::to_string(id) + "/", id});
        depts.push_back(id);
    }
    for (int i = static_cast<int>(ids.size()); i < n; ++i)
        ids.push_back(c->insert("INSERT INTO users (email, display_name, department_id, active, locale, created_at, updated_at) VALUES (?, ?, ?, 1, 'en', " + now + ", " + now + ")",
                                {"bench." + std::to_string(i) + "@example.com", "Bench " + std::to_string(i), depts[i % depts.size()]}));
    tx.commit();
    return ids;
}

void ensureData(store::Database& db, long rows, const std::vector<std::int64_t>& users) {
    auto c = db.acquire();
    const auto& d = db.dialect();
    bool exists = true;
    try {
        c->queryScalar("SELECT COUNT(*) FROM bench_opportunities");
    } catch (const std::exception&) {
        exists = false;
    }
    if (exists && store::asInt(*c->queryScalar("SELECT COUNT(*) FROM bench_opportunities")) == rows) return;
    if (exists) c->exec("DROP TABLE bench_opportunities");
    c->exec(d.expand("CREATE TABLE bench_opportunities (id ${ID}, owner_id ${BIGINT} NOT NULL, department_id ${BIGINT} NOT NULL, "
                     "stage ${STR} NOT NULL, status ${STR} NOT NULL, region ${STR} NOT NULL, amount ${MONEY} NOT NULL, "
                     "created_at ${DATETIME} NOT NULL, closed_at ${DATETIME} NULL)${TABLE}"));
    std::map<std::int64_t, std::int64_t> deptOf;
    for (auto& r : c->queryAll("SELECT id, department_id FROM users")) deptOf[store::asInt(r[0])] = store::asInt(r[1]);
    std::mt19937_64 rng(42);
    const auto start = *reports::dates::parse("2024-01-01");
    const auto t0 = Clock::now();
    const int batch = 500;
    for (long done = 0; done < rows;) {
        store::Transaction tx(*c);
        for (int b = 0; b < 20 && done < rows; ++b) {
            const long n = std::min<long>(batch, rows - done);
            std::string sql = "INSERT INTO bench_opportunities (owner_id, department_id, stage, status, region, amount, created_at, closed_at) VALUES ";
            store::Values args;
            for (long i = 0; i < n; ++i) {
                const auto owner = users[rng() % users.size()];
                const std::string stage = kStages[rng() % 6];
                const auto created = start + std::chrono::days(static_cast<long>(rng() % 700));
                const bool closed = stage == "won" || stage == "lost";
                sql += i ? ",(?,?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?,?)";
                args.insert(args.end(), {owner, deptOf[owner], stage, closed ? stage : std::string("open"), std::string(kRegions[rng() % 8]),
                                         static_cast<double>(500 + rng() % 200000) / 2.0, reports::dates::format(created) + " 09:30:00",
                                         closed ? store::Value(reports::dates::format(created + std::chrono::days(static_cast<long>(rng() % 90))) + " 17:00:00")
                                                : store::Value(nullptr)});
            }
            c->execute(sql, args);
            done += n;
        }
        tx.commit();
    }
    c->exec("CREATE INDEX bench_opp_created ON bench_opportunities(created_at)");
    c->exec("CREATE INDEX bench_opp_closed ON bench_opportunities(closed_at)");
    c->exec("CREATE INDEX bench_opp_owner ON bench_opportunities(owner_id)");
    std::cerr << "generated " << rows << " rows in " << ms(t0, Clock::now()) / 1000 << " s\n";
}

Json kpi(const std::string& id, Json measure, const std::string& time, Json filters = Json::array()) {
    Json k = {{"id", id}, {"name", {{"en", id}, {"zh-CN", id}}}, {"dataset", "bench.opportunities"}, {"time", time}, {"unit", "number"},
              {"direction", "higher_is_better"}};
    if (measure.contains("numerator")) k["ratio"] = measure;
    else k["measure"] = measure;
    if (!filters.empty()) k["filters"] = filters;
    return k;
}

} // namespace

int main(int argc, char** argv) {
    const auto o = parse(argc, argv);
    app::HostOptions ho;
    ho.dbUrl = o.db;
    ho.loadPlugins = false;
    ho.http.port = 0;
    app::Host host(ho);
    host.migrate();
    auto ext = std::make_shared<reports::ReportingExtension>();
    ext->start(host);
    auto& engine = ext->engine();
    auto db = host.db();
    const auto root = host.identity().ensureRootDepartment();
    const auto users = ensureUsers(*db, o.users, root);
    ensureData(*db, o.rows, users);

    using plugins::Catalog;
    auto& cat = host.plugins().catalog();
    cat.add(Catalog::Kind::Dataset, "bench",
            {{"id", "bench.opportunities"},
             {"source", {{"table", "bench_opportunities"}}},
             {"fields", Json::array({{{"name", "created_at"}, {"kind", "time"}, {"type", "datetime"}},
                                     {{"name", "closed_at"}, {"kind", "time"}, {"type", "datetime"}},
                                     {{"name", "stage"}, {"kind", "dimension"}, {"type", "text"}},
                                     {{"name", "status"}, {"kind", "dimension"}, {"type", "text"}},
                                     {{"name", "region"}, {"kind", "dimension"}, {"type", "text"}},
                                     {{"name", "owner_id"}, {"kind", "dimension"}, {"type", "integer"}},
                                     {{"name", "amount"}, {"kind", "measure"}, {"type", "money"}, {"aggregate", "sum"}}})},
             {"scope", {{"permission", "bench.read"}, {"owner", "owner_id"}, {"department", "department_id"}}},
             {"refresh", {{"key", "id"}}}}); // append-only: the in-memory table re-reads new ids only
    const Json won = {{"field", "amount"}, {"aggregate", "sum"}, {"filters", {{{"field", "status"}, {"op", "="}, {"value", "won"}}}}};
    std::vector<Json> kpis = {
        kpi("bench.won_amount", won, "closed_at"),
        kpi("bench.win_rate", {{"numerator", {{"aggregate", "count"}, {"filters", {{{"field", "status"}, {"op", "="}, {"value", "won"}}}}}},
                               {"denominator", {{"aggregate", "count"}, {"filters", {{{"field", "status"}, {"op", "in"}, {"value", {"won", "lost"}}}}}}}},
            "closed_at"),
        kpi("bench.new_deals", {{"aggregate", "count"}}, "created_at"),
        kpi("bench.avg_deal", {{"field", "amount"}, {"aggregate", "avg"}}, "created_at"),
        kpi("bench.pipeline", {{"field", "amount"}, {"aggregate", "sum"}}, "created_at", {{{"field", "status"}, {"op", "="}, {"value", "open"}}}),
    };
    for (const char* s : kStages) kpis.push_back(kpi(std::string("bench.stage_") + s, {{"aggregate", "count"}}, "created_at", {{{"field", "stage"}, {"op", "="}, {"value", s}}}));
    for (int r = 0; kpis.size() < 20; ++r)
        kpis.push_back(kpi(std::string("bench.won_") + kRegions[r], won, "closed_at", {{{"field", "region"}, {"op", "="}, {"value", kRegions[r]}}}));
    for (const auto& k : kpis) cat.add(Catalog::Kind::Kpi, "bench", k);

    identity::Principal admin;
    admin.userId = 1;
    admin.roles = {"admin"};
    admin.permissions["*"] = identity::Scope::All;
    const reports::dates::Period period{*reports::dates::parse("2025-01-01"), *reports::dates::parse("2025-06-30")};
    const Json filters = {{"period", {{"from", "2025-01-01"}, {"to", "2025-06-30"}}}};

    const Json dashboard = {
        {"id", "bench"},
        {"filters", Json::array({{{"field", "period"}, {"type", "period"}}})},
        {"widgets",
         {{{"id", "k1"}, {"type", "kpi"}, {"kpi", "bench.won_amount"}, {"grain", "month"}},
          {{"id", "k2"}, {"type", "kpi"}, {"kpi", "bench.win_rate"}, {"grain", "month"}},
          {{"id", "k3"}, {"type", "kpi"}, {"kpi", "bench.new_deals"}, {"grain", "month"}},
          {{"id", "line"}, {"type", "line"}, {"query", {{"dataset", "bench.opportunities"}, {"measures", {"amount"}}, {"time", {{"field", "created_at"}, {"grain", "month"}}}}}},
          {{"id", "bar"}, {"type", "bar"}, {"query", {{"dataset", "bench.opportunities"}, {"measures", {"amount"}}, {"dimensions", {"stage"}}, {"time", {{"field", "created_at"}}}}}},
          {{"id", "top"}, {"type", "leaderboard"}, {"query", {{"dataset", "bench.opportunities"}, {"measures", {"amount"}}, {"dimensions", {"owner_id"}}, {"time", {{"field", "created_at"}}}, {"limit", 10}}}}}}};

    // The same aggregates as plain SQL.
    const auto& d = db->dialect();
    const std::string cur = "'2025-01-01' AND '2025-07-01'", prev = "'2024-07-01' AND '2025-01-01'";
    auto range = [&](const std::string& col, const std::string& r) {
        const auto from = r.substr(0, r.find(" AND ")), to = r.substr(r.find(" AND ") + 5);
        return col + " >= " + from + " AND " + col + " < " + to;
    };
    std::vector<std::string> dashSql;
    for (const auto& r : {cur, prev}) {
        dashSql.push_back("SELECT SUM(CASE WHEN status = 'won' THEN amount END) FROM bench_opportunities WHERE " + range("closed_at", r));
        dashSql.push_back("SELECT SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END), SUM(CASE WHEN status IN ('won','lost') THEN 1 ELSE 0 END) FROM bench_opportunities WHERE " + range("closed_at", r));
        dashSql.push_back("SELECT COUNT(*) FROM bench_opportunities WHERE " + range("created_at", r));
    }
    const auto month = [&](const std::string& c) { return d.dateBucket(c, store::Grain::Month); };
    dashSql.push_back("SELECT " + month("closed_at") + ", SUM(CASE WHEN status = 'won' THEN amount END) FROM bench_opportunities WHERE " + range("closed_at", cur) + " GROUP BY " + month("closed_at"));
    dashSql.push_back("SELECT " + month("closed_at") + ", SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END), SUM(CASE WHEN status IN ('won','lost') THEN 1 ELSE 0 END) FROM bench_opportunities WHERE " + range("closed_at", cur) + " GROUP BY " + month("closed_at"));
    dashSql.push_back("SELECT " + month("created_at") + ", COUNT(*) FROM bench_opportunities WHERE " + range("created_at", cur) + " GROUP BY " + month("created_at"));
    dashSql.push_back("SELECT " + month("created_at") + ", SUM(amount) FROM bench_opportunities WHERE " + range("created_at", cur) + " GROUP BY " + month("created_at"));
    dashSql.push_back("SELECT stage, SUM(amount) FROM bench_opportunities WHERE " + range("created_at", cur) + " GROUP BY stage");
    dashSql.push_back("SELECT owner_id, SUM(amount) AS s FROM bench_opportunities WHERE " + range("created_at", cur) + " GROUP BY owner_id ORDER BY s DESC LIMIT 10");
    std::vector<std::string> cardSql;
    for (const auto& k : kpis) {
        const auto time = k["time"].get<std::string>();
        std::string where = range(time, cur);
        for (const auto& f : k.value("filters", Json::array()))
            where += " AND " + f["field"].get<std::string>() + " = '" + f["value"].get<std::string>() + "'";
        std::string measure;
        if (k.contains("ratio")) measure = "SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END), SUM(CASE WHEN status IN ('won','lost') THEN 1 ELSE 0 END)";
        else if (k["measure"].value("aggregate", std::string()) == "count") measure = "COUNT(*)";
        else if (k["measure"].value("aggregate", std::string()) == "avg") measure = "AVG(amount)";
        else if (k["measure"].contains("filters")) measure = "SUM(CASE WHEN status = 'won' THEN amount END)";
        else measure = "SUM(amount)";
        cardSql.push_back("SELECT owner_id, " + measure + " FROM bench_opportunities WHERE " + where + " GROUP BY owner_id");
    }
    auto runSql = [&](const std::vector<std::string>& list) {
        auto c = db->acquire();
        std::size_t rows = 0;
        for (const auto& s : list) rows += c->queryAll(s).size();
        return rows;
    };

    Json tmpl = {{"id", "bench"}, {"name", "bench"}, {"subject", "user"}, {"cap", 1.2}, {"items", Json::array()}};
    for (const auto& k : kpis) tmpl["items"].push_back({{"kpi", k["id"]}, {"weight", 5}, {"target", {{"type", "fixed"}, {"value", 10}}}});
    reports::validateScorecard(engine, tmpl);

    auto time = [&](auto&& fn, int runs) {
        double best = 1e18, total = 0;
        for (int i = 0; i < runs; ++i) {
            const auto a = Clock::now();
            fn();
            const double t = ms(a, Clock::now());
            best = std::min(best, t);
            total += t;
        }
        return std::make_pair(best, total / runs);
    };
    auto render = [&] { return reports::renderDashboard(engine, admin, dashboard, filters); };
    auto scorecard = [&] { return reports::evaluateScorecard(engine, admin, tmpl, period, {{"trend_periods", 0}}); };

    // Check the engine agrees with SQL before timing anything.
    {
        auto r = render();
        for (const auto& [k, v] : r["widgets"].items())
            if (v.contains("error")) {
                std::cerr << "widget " << k << " failed: " << v.dump() << "\n";
                return 1;
            }
        auto c = db->acquire();
        const double expect = store::asDouble(*c->queryScalar(dashSql[0]));
        const double got = r["widgets"]["k1"]["data"]["value"].get<double>();
        if (std::fabs(expect - got) > 0.01 * std::max(1.0, std::fabs(expect))) {
            std::cerr << "engine and SQL disagree: " << got << " vs " << expect << "\n";
            return 1;
        }
    }

    auto insertOne = [&] {
        auto c = db->acquire();
        c->execute("INSERT INTO bench_opportunities (owner_id, department_id, stage, status, region, amount, created_at, closed_at) "
                   "SELECT owner_id, department_id, stage, status, region, amount, created_at, closed_at FROM bench_opportunities WHERE id = 1");
        engine.invalidate("bench.opportunities"); // what a plugin's event does after its commit
    };
    const int few = std::max(3, o.runs / 4);
    const auto sqlDash = time([&] { runSql(dashSql); }, few);
    // Engine without the in-memory tables: every widget's SQL, result cache dropped.
    engine.columns().setEnabled(false);
    const auto sqlPath = time([&] { engine.invalidateAll(); render(); }, few);
    engine.columns().setEnabled(true);
    // Cold start: no table yet (a fresh server), the first dashboard loads it.
    const auto coldStart = time([&] { engine.columns().clear(); engine.invalidateAll(); render(); }, 3);
    const auto tableStats = engine.columns().stats();
    // After a write: the result cache is dropped and the table re-reads what changed.
    const auto afterWrite = time([&] { insertOne(); render(); }, few);
    // Results cache dropped, table current (e.g. another user's filters).
    const auto cold = time([&] { engine.invalidateAll(); render(); }, few);
    render();
    const auto warm = time(render, o.runs);
    const auto sqlCard = time([&] { runSql(cardSql); }, few);
    const auto coldCard = time([&] { engine.invalidateAll(); scorecard(); }, few);
    const auto writeCard = time([&] { insertOne(); scorecard(); }, few);
    scorecard();
    const auto warmCard = time(scorecard, o.runs);
    const auto subjects = scorecard()["subjects"].size();
    long rssKb = 0;
    if (FILE* f = std::fopen("/proc/self/status", "r")) {
        char line[256];
        while (std::fgets(line, sizeof line, f))
            if (std::strncmp(line, "VmHWM:", 6) == 0) rssKb = std::atol(line + 6);
        std::fclose(f);
    }
    double tableMb = 0, loadMs = 0;
    for (const auto& t : tableStats["tables"])
        if (t["dataset"] == "bench.opportunities") {
            tableMb = t.value("bytes", 0.0) / 1048576.0;
            loadMs = t.value("load_ms", 0.0);
        }
    std::printf("\nbackend %s, %ld rows, %d users, %zu KPIs, %zu scorecard subjects\n", std::string(d.name()).c_str(), o.rows, o.users, kpis.size(), subjects);
    std::printf("in-memory table: %.1f MB, loaded in %.0f ms; peak process memory %.0f MB\n", tableMb, loadMs, rssKb / 1024.0);
    std::printf("| case | plain SQL GROUP BY (ms) | engine, SQL path (ms) | cold start (ms) | after a write (ms) | cache dropped (ms) | warm (ms) | after a write / SQL |\n");
    std::printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    std::printf("| 6-widget dashboard (%zu SQL statements) | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f | %.3f |\n", dashSql.size(), sqlDash.second,
                sqlPath.second, coldStart.second, afterWrite.second, cold.second, warm.second, afterWrite.second / sqlDash.second);
    std::printf("| scorecard %zu × %zu | %.1f | — | — | %.1f | %.1f | %.2f | %.3f |\n", subjects, kpis.size(), sqlCard.second, writeCard.second,
                coldCard.second, warmCard.second, writeCard.second / sqlCard.second);
    ext->stop();
    return 0;
}
