// The reporting API on SQLite and MariaDB against a fixed, plugin-free data set: a "fixture"
// dataset and KPIs declared with the SDK builders straight into the catalogue. Every expected
// number is computed by the test's own SQL, never through the engine.
#include "Dates.h"
#include "ReportModel.h"
#include "Reporting.h"
#include "TestSupport.h"

#include <atrium/sdk/reporting.hpp>

#include <array>
#include <cmath>
#include <cstdlib>
#include <set>
#include <thread>

using namespace atrium;
using test::Json;
namespace sdk = atrium::sdk;

namespace {

struct Deal {
    std::int64_t owner, department;
    std::string stage, status, region;
    double amount;
    std::string createdAt;
    std::optional<std::string> closedAt;
};

double num(const Json& j) { return j.is_number() ? j.get<double>() : std::nan(""); }

} // namespace

class ReportsApi : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ATRIUM_NEED_BACKEND(GetParam());
        host = std::make_unique<test::TestHost>(GetParam());
        auto& h = host->host();
        ext = std::make_shared<reports::ReportingExtension>();
        h.addExtension(ext);
        ext->start(h);

        // Fixture schema and permission (as a plugin would declare them).
        {
            auto c = h.db()->acquire();
            c->exec(h.db()->dialect().expand(R"(CREATE TABLE fixture_deals (
                id ${ID}, owner_id ${BIGINT} NOT NULL, department_id ${BIGINT} NULL, stage ${STR} NOT NULL,
                status ${STR} NOT NULL, region ${STR} NOT NULL, amount ${MONEY} NOT NULL,
                created_at ${DATETIME} NOT NULL, closed_at ${DATETIME} NULL)${TABLE})"));
        }
        using S = identity::Scope;
        h.identity().declarePermissions("fixture", {{"fixture.deal.read", "Read deals", {{"manager", S::Department}, {"rep", S::Own}}}});

        root = h.identity().ensureRootDepartment();
        east = host->addDepartment("East", root);
        west = host->addDepartment("West", root);
        mgr = host->addUser("mgr.east@example.com", {"manager"}, east);
        rep1 = host->addUser("rep1.east@example.com", {"rep"}, east, mgr);
        rep2 = host->addUser("rep2.east@example.com", {"rep"}, east, mgr);
        repW = host->addUser("rep.west@example.com", {"rep"}, west);

        // 60 deals spread over 2024-07 … 2025-06, four owners, five stages.
        const std::int64_t owners[4] = {rep1, rep2, repW, mgr};
        const std::int64_t depts[4] = {east, east, west, east};
        const char* stages[5] = {"lead", "qualified", "proposal", "won", "lost"};
        const char* regions[3] = {"north", "south", "=HYPERLINK(\"http://evil\")"};
        const auto start = *reports::dates::parse("2024-07-01");
        for (int i = 0; i < 60; ++i) {
            Deal d;
            d.owner = owners[i % 4];
            d.department = depts[i % 4];
            d.stage = stages[i % 5];
            d.status = d.stage == "won" || d.stage == "lost" ? d.stage : "open";
            d.region = regions[i % 3];
            d.amount = 1000 + (i * 137) % 5000 + (i % 3 == 0 ? 0.25 : 0);
            d.createdAt = reports::dates::format(start + std::chrono::days{i * 6}) + " 10:00:00";
            if (d.status != "open") d.closedAt = reports::dates::format(start + std::chrono::days{i * 6 + 10}) + " 16:30:00";
            insertDeal(d);
        }

        auto& catalog = h.plugins().catalog();
        catalog.add(plugins::Catalog::Kind::Dataset, "fixture",
                    sdk::Dataset("fixture.deals")
                        .name("Deals", "交易")
                        .table("fixture_deals")
                        .time("created_at", "Created", "创建时间")
                        .time("closed_at", "Closed", "关闭时间")
                        .dimension("stage", "Stage", "阶段")
                        .dimension("status", "Status", "状态")
                        .dimension("region", "Region", "区域")
                        .dimension("owner_id", "Owner", "负责人", sdk::FieldType::Integer)
                        .measure("amount", "Amount", "金额", sdk::Aggregate::Sum, sdk::FieldType::Money)
                        .scope("fixture.deal.read", "owner_id", "department_id")
                        .drill("#/m/fixture/deals/{id}")
                        .json());
        catalog.add(plugins::Catalog::Kind::Kpi, "fixture",
                    sdk::Kpi("fixture.won_amount")
                        .name("Won revenue", "赢单金额")
                        .dataset("fixture.deals")
                        .measure(sdk::Measure::sum("amount").where("status", "=", "won"))
                        .time("closed_at")
                        .unit(sdk::Unit::Currency)
                        .currency("CNY")
                        .thresholds(20000, 10000)
                        .json());
        catalog.add(plugins::Catalog::Kind::Kpi, "fixture",
                    sdk::Kpi("fixture.win_rate")
                        .name("Win rate", "赢单率")
                        .dataset("fixture.deals")
                        .ratio(sdk::Measure::count().where("status", "=", "won"), sdk::Measure::count().where("status", "in", Json::array({"won", "lost"})))
                        .time("closed_at")
                        .unit(sdk::Unit::Percent)
                        .thresholds(0.5, 0.3)
                        .json());
        catalog.add(plugins::Catalog::Kind::Kpi, "fixture",
                    sdk::Kpi("fixture.new_deals").name("New deals", "新增交易").dataset("fixture.deals").count().time("created_at").thresholds(10, 5).json());
        catalog.add(plugins::Catalog::Kind::Kpi, "fixture",
                    sdk::Kpi("fixture.avg_deal")
                        .name("Average deal", "平均交易额")
                        .dataset("fixture.deals")
                        .measure(sdk::Measure::avg("amount"))
                        .time("created_at")
                        .lowerIsBetter()
                        .json());
    }
    void TearDown() override {
        host.reset();
        ext.reset();
    }

    void insertDeal(const Deal& d) {
        auto c = host->host().db()->acquire();
        c->insert("INSERT INTO fixture_deals (owner_id, department_id, stage, status, region, amount, created_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                  {d.owner, d.department, d.stage, d.status, d.region, d.amount, d.createdAt,
                   d.closedAt ? store::Value(*d.closedAt) : store::Value(nullptr)});
    }
    double sql(const std::string& q, const store::Values& args = {}) {
        auto c = host->host().db()->acquire();
        auto v = c->queryScalar(q, args);
        return v ? store::asDouble(*v, 0) : 0;
    }
    test::Client login(const std::string& email) {
        test::Client c(host->port());
        auto r = c.login(email, test::kAdminPassword);
        EXPECT_EQ(r.status, 200) << r.body;
        return c;
    }

    std::unique_ptr<test::TestHost> host;
    std::shared_ptr<reports::ReportingExtension> ext;
    std::int64_t root = 0, east = 0, west = 0, mgr = 0, rep1 = 0, rep2 = 0, repW = 0;
    const Json period = {{"from", "2025-01-01"}, {"to", "2025-06-30"}};
};

TEST_P(ReportsApi, CatalogListsWhatTheCallerMayUseWithoutDeniedFields) {
    auto admin = host->adminClient();
    auto cat = admin.get("/api/v1/reports/catalog");
    ASSERT_EQ(cat.status, 200) << cat.body;
    ASSERT_EQ(cat.json()["datasets"].size(), 1u);
    EXPECT_EQ(cat.json()["datasets"][0]["id"], "fixture.deals");
    EXPECT_EQ(cat.json()["kpis"].size(), 4u);

    // Hide the amount from reps: the field, and every KPI built on it, disappear for them.
    {
        auto c = host->host().db()->acquire();
        auto roleId = c->queryScalar("SELECT id FROM roles WHERE name = 'rep'");
        c->execute("INSERT INTO role_denied_fields (role_id, field) VALUES (?, 'fixture.deals.amount')", {*roleId});
        host->host().identity().invalidateCaches();
    }
    auto rep = login("rep1.east@example.com");
    auto rc = rep.get("/api/v1/reports/catalog");
    ASSERT_EQ(rc.status, 200) << rc.body;
    ASSERT_EQ(rc.json()["datasets"].size(), 1u);
    for (const auto& f : Json(rc.json()["datasets"][0]["fields"])) EXPECT_NE(f["name"], "amount");
    std::set<std::string> kpis;
    for (const auto& k : Json(rc.json()["kpis"])) kpis.insert(k["id"].get<std::string>());
    EXPECT_EQ(kpis, (std::set<std::string>{"fixture.win_rate", "fixture.new_deals"})) << rc.body;
    // Measuring, grouping, filtering or sorting by a denied field is refused.
    EXPECT_EQ(rep.post("/api/v1/reports/query", {{"dataset", "fixture.deals"}, {"measures", {"amount"}}}).status, 403);
    EXPECT_EQ(rep.post("/api/v1/reports/query", {{"dataset", "fixture.deals"}, {"measures", {"count"}}, {"dimensions", {"amount"}}}).status, 403);
    EXPECT_EQ(rep.post("/api/v1/reports/query", {{"dataset", "fixture.deals"}, {"measures", {"count"}},
                                                 {"filters", {{{"field", "amount"}, {"op", ">"}, {"value", 1}}}}}).status, 403);
    EXPECT_EQ(rep.post("/api/v1/reports/kpis/fixture.won_amount/evaluate", {{"period", period}}).status, 404);
    EXPECT_EQ(rep.post("/api/v1/reports/query", {{"dataset", "fixture.deals"}, {"measures", {"count"}}}).status, 200);

    // A department with the module switched off sees nothing of it.
    host->host().identity().setModuleEnabled("fixture", west, false, nullptr);
    auto w = login("rep.west@example.com");
    EXPECT_EQ(w.get("/api/v1/reports/catalog").json()["datasets"].size(), 0u);
    EXPECT_EQ(w.post("/api/v1/reports/query", {{"dataset", "fixture.deals"}, {"measures", {"count"}}}).status, 403);
}

TEST_P(ReportsApi, QueryMatchesIndependentSqlAndRejectsUnknownIdentifiers) {
    auto admin = host->adminClient();
    auto r = admin.post("/api/v1/reports/query",
                        {{"dataset", "fixture.deals"},
                         {"measures", {"amount", {{"aggregate", "count"}, {"as", "won"}, {"filters", {{{"field", "status"}, {"op", "=", }, {"value", "won"}}}}}}},
                         {"dimensions", {"region"}},
                         {"filters", {{{"field", "stage"}, {"op", "!=", }, {"value", "lead"}}}},
                         {"time", {{"field", "created_at"}, {"from", "2024-09-01"}, {"to", "2025-03-31"}}},
                         {"sort", "region"}});
    ASSERT_EQ(r.status, 200) << r.body;
    const auto rows = r.json()["rows"];
    ASSERT_EQ(rows.size(), 3u);
    for (const auto& row : rows) {
        const auto region = row[0].get<std::string>();
        const std::string where = "WHERE region = ? AND stage <> 'lead' AND created_at >= '2024-09-01' AND created_at < '2025-04-01'";
        EXPECT_NEAR(num(row[1]), sql("SELECT SUM(amount) FROM fixture_deals " + where, {region}), 0.001) << region;
        EXPECT_NEAR(num(row[2]), sql("SELECT COUNT(*) FROM fixture_deals " + where + " AND status = 'won'", {region}), 0.001) << region;
    }
    // Monthly buckets with previous-period comparison.
    auto m = admin.post("/api/v1/reports/query", {{"dataset", "fixture.deals"}, {"measures", {"count"}},
                                                  {"time", {{"field", "created_at"}, {"grain", "month"}, {"from", "2025-01-01"}, {"to", "2025-06-30"}}},
                                                  {"compare", "previous_period"}});
    ASSERT_EQ(m.status, 200) << m.body;
    ASSERT_EQ(m.json()["rows"].size(), 6u);
    EXPECT_EQ(m.json()["rows"][0][0], "2025-01");
    EXPECT_NEAR(num(m.json()["rows"][0][1]), sql("SELECT COUNT(*) FROM fixture_deals WHERE created_at >= '2025-01-01' AND created_at < '2025-02-01'"), 0.001);
    EXPECT_NEAR(num(m.json()["rows"][0][2]), sql("SELECT COUNT(*) FROM fixture_deals WHERE created_at >= '2024-07-01' AND created_at < '2024-08-01'"), 0.001);
    EXPECT_EQ(m.json()["previous_period"]["from"], "2024-07-01");

    // Identifiers come only from the declaration; values are bound.
    EXPECT_EQ(admin.post("/api/v1/reports/query", {{"dataset", "fixture.deals"}, {"measures", {"count"}}, {"dimensions", {"password_hash"}}}).status, 400);
    EXPECT_EQ(admin.post("/api/v1/reports/query", {{"dataset", "fixture.deals"}, {"measures", {{{"field", "amount\"; DROP TABLE users; --"}}}}}).status, 400);
    EXPECT_EQ(admin.post("/api/v1/reports/query", {{"dataset", "nope.nope"}, {"measures", {"count"}}}).status, 404);
    EXPECT_EQ(admin.post("/api/v1/reports/query", {{"dataset", "fixture.deals"}, {"measures", {"count"}}, {"sort", "amount"}}).status, 400);
    auto inj = admin.post("/api/v1/reports/query", {{"dataset", "fixture.deals"}, {"measures", {"count"}},
                                                    {"filters", {{{"field", "region"}, {"op", "="}, {"value", "x' OR '1'='1"}}}}});
    ASSERT_EQ(inj.status, 200) << inj.body;
    EXPECT_EQ(inj.json()["rows"][0][0], 0);
    EXPECT_EQ(admin.post("/api/v1/reports/query", {{"dataset", "fixture.deals"}, {"measures", {"count"}},
                                                   {"filters", {{{"field", "region"}, {"op", "contains"}, {"value", "HYPER"}}}}}).json()["rows"][0][0],
              static_cast<std::int64_t>(sql("SELECT COUNT(*) FROM fixture_deals WHERE region LIKE '%HYPER%'")));
}

TEST_P(ReportsApi, KpisMatchIndependentSql) {
    auto admin = host->adminClient();
    const std::string cur = "closed_at >= '2025-01-01' AND closed_at < '2025-07-01'";
    const std::string prev = "closed_at >= '2024-07-01' AND closed_at < '2025-01-01'";

    auto won = admin.post("/api/v1/reports/kpis/fixture.won_amount/evaluate", {{"period", period}, {"grain", "month"}});
    ASSERT_EQ(won.status, 200) << won.body;
    auto w = won.json();
    const double wonNow = sql("SELECT SUM(amount) FROM fixture_deals WHERE status = 'won' AND " + cur);
    const double wonPrev = sql("SELECT SUM(amount) FROM fixture_deals WHERE status = 'won' AND " + prev);
    EXPECT_NEAR(num(w["value"]), wonNow, 0.001);
    EXPECT_NEAR(num(w["previous"]), wonPrev, 0.001);
    EXPECT_NEAR(num(w["delta"]), wonNow - wonPrev, 0.001);
    EXPECT_NEAR(num(w["delta_pct"]), (wonNow - wonPrev) / std::fabs(wonPrev), 1e-6);
    EXPECT_EQ(w["status"], wonNow >= 20000 ? "green" : wonNow >= 10000 ? "amber" : "red");
    EXPECT_EQ(w["unit"], "currency");
    EXPECT_EQ(w["currency"], "CNY");
    ASSERT_EQ(w["series"].size(), 6u);
    double sum = 0;
    for (const auto& s : w["series"]) sum += num(s["value"]);
    EXPECT_NEAR(sum, wonNow, 0.001) << "the monthly trend adds up to the value";
    EXPECT_NEAR(num(w["series"][2]["value"]),
                sql("SELECT SUM(amount) FROM fixture_deals WHERE status = 'won' AND closed_at >= '2025-03-01' AND closed_at < '2025-04-01'"), 0.001);

    auto rate = admin.post("/api/v1/reports/kpis/fixture.win_rate/evaluate", {{"period", period}}).json();
    const double wonN = sql("SELECT COUNT(*) FROM fixture_deals WHERE status = 'won' AND " + cur);
    const double closedN = sql("SELECT COUNT(*) FROM fixture_deals WHERE status IN ('won','lost') AND " + cur);
    ASSERT_GT(closedN, 0);
    EXPECT_NEAR(num(rate["value"]), wonN / closedN, 1e-9);
    EXPECT_EQ(rate["status"], wonN / closedN >= 0.5 ? "green" : wonN / closedN >= 0.3 ? "amber" : "red");

    auto nd = admin.post("/api/v1/reports/kpis/fixture.new_deals/evaluate", {{"period", period}, {"compare", "same_period_last_year"}}).json();
    EXPECT_NEAR(num(nd["value"]), sql("SELECT COUNT(*) FROM fixture_deals WHERE created_at >= '2025-01-01' AND created_at < '2025-07-01'"), 0.001);
    EXPECT_NEAR(num(nd["previous"]), sql("SELECT COUNT(*) FROM fixture_deals WHERE created_at >= '2024-01-01' AND created_at < '2024-07-01'"), 0.001);
    EXPECT_TRUE(nd["delta_pct"].is_null()) << "no deals a year earlier: no percentage";

    auto avg = admin.post("/api/v1/reports/kpis/fixture.avg_deal/evaluate", {{"period", period}}).json();
    EXPECT_NEAR(num(avg["value"]), sql("SELECT AVG(amount) FROM fixture_deals WHERE created_at >= '2025-01-01' AND created_at < '2025-07-01'"), 0.001);
    EXPECT_EQ(avg["direction"], "lower_is_better");
}

TEST_P(ReportsApi, RecordScopeGivesEachUserTheirOwnTotals) {
    const std::string cur = "status = 'won' AND closed_at >= '2025-01-01' AND closed_at < '2025-07-01'";
    auto value = [&](test::Client& c) {
        auto r = c.post("/api/v1/reports/kpis/fixture.won_amount/evaluate", {{"period", period}});
        EXPECT_EQ(r.status, 200) << r.body;
        return num(r.json()["value"]);
    };
    auto r1 = login("rep1.east@example.com");
    auto rw = login("rep.west@example.com");
    auto m = login("mgr.east@example.com");
    const double own1 = sql("SELECT SUM(amount) FROM fixture_deals WHERE owner_id = ? AND " + cur, {rep1});
    const double ownW = sql("SELECT SUM(amount) FROM fixture_deals WHERE owner_id = ? AND " + cur, {repW});
    const double eastAll = sql("SELECT SUM(amount) FROM fixture_deals WHERE department_id = ? AND " + cur, {east});
    EXPECT_NEAR(value(r1), own1, 0.001);
    EXPECT_NEAR(value(rw), ownW, 0.001);
    EXPECT_NEAR(value(m), eastAll, 0.001);
    EXPECT_NE(own1, ownW);
    EXPECT_NE(own1, eastAll);
    // The same dashboard, different numbers per user; the owner filter cannot widen scope.
    auto leak = r1.post("/api/v1/reports/kpis/fixture.won_amount/evaluate", {{"period", period}, {"owner_id", repW}});
    EXPECT_NEAR(num(leak.json()["value"]), 0, 0.001);
    // Grouping by owner shows only rows in scope.
    auto g = m.post("/api/v1/reports/query", {{"dataset", "fixture.deals"}, {"measures", {"count"}}, {"dimensions", {"owner_id"}}});
    ASSERT_EQ(g.status, 200) << g.body;
    EXPECT_EQ(g.json()["rows"].size(), 3u) << "the manager sees the three East owners";
    EXPECT_EQ(g.json()["labels"]["owner_id"][std::to_string(rep1)], "rep1.east");
}

TEST_P(ReportsApi, WritesInvalidateCachedResults) {
    auto admin = host->adminClient();
    auto body = Json{{"dataset", "fixture.deals"}, {"measures", {"amount"}}};
    auto first = admin.post("/api/v1/reports/query", body).json();
    auto again = admin.post("/api/v1/reports/query", body).json();
    EXPECT_EQ(again["cached"], true);
    EXPECT_EQ(first["rows"], again["rows"]);
    // A write announced through the event bus (as a plugin's save does) …
    insertDeal({rep1, east, "won", "won", "north", 12345.5, "2025-02-02 09:00:00", std::string("2025-02-03 09:00:00")});
    host->host().plugins().events().publish("fixture.deal.created", "{}");
    auto after = admin.post("/api/v1/reports/query", body).json();
    EXPECT_EQ(after["cached"], false);
    EXPECT_NEAR(num(after["rows"][0][0]), num(first["rows"][0][0]) + 12345.5, 0.001);
    // … and one the engine was not told about, fixed with the invalidate API. (Results are not
    // cached for a moment after an event, so a query racing the writer's commit is not kept.)
    std::this_thread::sleep_for(std::chrono::milliseconds(1700));
    auto warm = admin.post("/api/v1/reports/query", body).json();
    EXPECT_EQ(warm["rows"], after["rows"]);
    insertDeal({rep1, east, "won", "won", "north", 100, "2025-02-02 09:00:00", std::string("2025-02-03 09:00:00")});
    auto stale = admin.post("/api/v1/reports/query", body).json();
    EXPECT_EQ(stale["cached"], true);
    EXPECT_EQ(stale["rows"], after["rows"]) << "still cached: nobody announced the write";
    EXPECT_EQ(admin.post("/api/v1/reports/datasets/fixture.deals/invalidate", Json::object()).status, 200);
    EXPECT_NEAR(num(admin.post("/api/v1/reports/query", body).json()["rows"][0][0]), sql("SELECT SUM(amount) FROM fixture_deals"), 0.001);
    // Reps may not drop caches.
    auto rep = login("rep1.east@example.com");
    EXPECT_EQ(rep.post("/api/v1/reports/datasets/fixture.deals/invalidate", Json::object()).status, 403);
}

TEST_P(ReportsApi, DashboardsCrudRenderDrillAndSharing) {
    auto m = login("mgr.east@example.com");
    Json doc = {{"name", {{"en", "East deals"}, {"zh-CN", "东区交易"}}},
                {"widgets",
                 {{{"id", "won"}, {"type", "kpi"}, {"kpi", "fixture.won_amount"}, {"x", 0}, {"y", 0}, {"w", 4}, {"h", 2}, {"title", "Won"}},
                  {{"id", "trend"}, {"type", "line"}, {"x", 4}, {"y", 0}, {"w", 8}, {"h", 4}, {"title", "Trend"},
                   {"query", {{"dataset", "fixture.deals"}, {"measures", {"amount"}}, {"time", {{"field", "created_at"}, {"grain", "month"}}}}}},
                  {{"id", "stages"}, {"type", "funnel"}, {"x", 0}, {"y", 4}, {"w", 6}, {"h", 4}, {"order", {"lead", "qualified", "proposal", "won"}},
                   {"query", {{"dataset", "fixture.deals"}, {"measures", {"count"}}, {"dimensions", {"stage"}}}}},
                  {{"id", "by_region"}, {"type", "stacked_bar"}, {"x", 6}, {"y", 4}, {"w", 6}, {"h", 4},
                   {"query", {{"dataset", "fixture.deals"}, {"measures", {"amount"}}, {"dimensions", {"region", "status"}}}}},
                  {{"id", "leaders"}, {"type", "leaderboard"}, {"x", 0}, {"y", 8}, {"w", 6}, {"h", 4},
                   {"query", {{"dataset", "fixture.deals"}, {"measures", {"amount"}}, {"dimensions", {"owner_id"}}, {"limit", 10}}}},
                  {{"id", "heat"}, {"type", "heatmap"}, {"x", 6}, {"y", 8}, {"w", 6}, {"h", 4},
                   {"query", {{"dataset", "fixture.deals"}, {"measures", {"count"}}, {"dimensions", {"stage"}}, {"time", {{"field", "created_at"}, {"grain", "quarter"}}}}}}}}};
    auto created = m.post("/api/v1/reports/dashboards", doc);
    ASSERT_EQ(created.status, 201) << created.body;
    const auto id = std::to_string(created.json()["id"].get<std::int64_t>());
    EXPECT_EQ(created.json()["filters"][0]["type"], "period");

    auto list = m.get("/api/v1/reports/dashboards").json()["items"];
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0]["widget_count"], 6);

    auto rendered = m.post("/api/v1/reports/dashboards/" + id + "/render", {{"filters", {{"period", period}}}});
    ASSERT_EQ(rendered.status, 200) << rendered.body;
    auto w = rendered.json()["widgets"];
    for (const auto* k : {"won", "trend", "stages", "by_region", "leaders", "heat"}) EXPECT_TRUE(w[k].contains("data")) << k << ": " << w[k].dump();
    const double eastWon = sql("SELECT SUM(amount) FROM fixture_deals WHERE department_id = ? AND status = 'won' AND closed_at >= '2025-01-01' AND closed_at < '2025-07-01'", {east});
    EXPECT_NEAR(num(w["won"]["data"]["value"]), eastWon, 0.001);
    EXPECT_EQ(w["trend"]["data"]["categories"].size(), 6u);
    EXPECT_EQ(w["stages"]["data"]["items"].size(), 4u);
    EXPECT_EQ(w["stages"]["data"]["items"][0]["name"], "lead");
    EXPECT_EQ(w["leaders"]["data"]["columns"][0]["name"], "rank");
    EXPECT_EQ(w["heat"]["data"]["x"].size(), 2u);
    EXPECT_EQ(w["by_region"]["data"]["series"].size(), 3u) << "open, won, lost";

    // Drill from a month of the trend to its records: scope applied, counts match SQL.
    auto drill = m.post("/api/v1/reports/dashboards/" + id + "/widgets/trend/drill",
                        {{"filters", {{"period", period}}}, {"point", {{"category", "2025-03"}, {"series", nullptr}}}});
    ASSERT_EQ(drill.status, 200) << drill.body;
    EXPECT_EQ(static_cast<double>(drill.json()["rows"].size()),
              sql("SELECT COUNT(*) FROM fixture_deals WHERE department_id = ? AND created_at >= '2025-03-01' AND created_at < '2025-04-01'", {east}));
    auto stageDrill = m.post("/api/v1/reports/dashboards/" + id + "/widgets/stages/drill", {{"filters", Json::object()}, {"point", {{"category", "won"}}}});
    ASSERT_EQ(stageDrill.status, 200) << stageDrill.body;
    EXPECT_EQ(static_cast<double>(stageDrill.json()["rows"].size()), sql("SELECT COUNT(*) FROM fixture_deals WHERE department_id = ? AND stage = 'won'", {east}))
        << "the funnel has no time field, so the period does not narrow it";

    // Optimistic concurrency, sharing, copies.
    auto cur = m.get("/api/v1/reports/dashboards/" + id).json();
    Json upd = cur;
    upd["name"] = {{"en", "East deals v2"}, {"zh-CN", "东区交易二"}};
    upd["shared"] = {{"departments", {east}}, {"roles", Json::array()}};
    auto ok = m.put("/api/v1/reports/dashboards/" + id, upd);
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(ok.json()["version"], 2);
    EXPECT_EQ(m.put("/api/v1/reports/dashboards/" + id, upd).status, 409);

    auto r1 = login("rep1.east@example.com");
    auto rw = login("rep.west@example.com");
    EXPECT_EQ(r1.get("/api/v1/reports/dashboards/" + id).status, 200) << "shared with East";
    EXPECT_EQ(rw.get("/api/v1/reports/dashboards/" + id).status, 404) << "not shared with West";
    // The same dashboard gives the rep only their own numbers.
    auto repView = r1.post("/api/v1/reports/dashboards/" + id + "/render", {{"filters", {{"period", period}}}}).json();
    EXPECT_NEAR(num(repView["widgets"]["won"]["data"]["value"]),
                sql("SELECT SUM(amount) FROM fixture_deals WHERE owner_id = ? AND status = 'won' AND closed_at >= '2025-01-01' AND closed_at < '2025-07-01'", {rep1}), 0.001);
    EXPECT_EQ(r1.put("/api/v1/reports/dashboards/" + id, ok.json()).status, 403) << "only the owner edits";
    auto copy = r1.post("/api/v1/reports/dashboards/" + id + "/copy", Json::object());
    ASSERT_EQ(copy.status, 201) << copy.body;
    EXPECT_EQ(copy.json()["owner_id"], rep1);
    EXPECT_EQ(copy.json()["source"], id);
    EXPECT_EQ(m.del("/api/v1/reports/dashboards/" + id).status, 200);
    EXPECT_EQ(r1.get("/api/v1/reports/dashboards/" + id).status, 404);

    // Invalid documents are refused with a reason.
    EXPECT_EQ(m.post("/api/v1/reports/dashboards", {{"name", "x"}, {"widgets", {{{"id", "a"}, {"type", "radar"}, {"x", 0}, {"y", 0}, {"w", 1}, {"h", 1}, {"kpi", "fixture.new_deals"}}}}}).status, 400);
    EXPECT_EQ(m.post("/api/v1/reports/dashboards", {{"name", "x"}, {"widgets", {{{"id", "a"}, {"type", "kpi"}, {"x", 10}, {"y", 0}, {"w", 4}, {"h", 1}, {"kpi", "fixture.new_deals"}}}}}).status, 400);
}

TEST_P(ReportsApi, PreviewRendersAnUnsavedDashboardAndCarriesCrossFilterKeys) {
    auto m = login("mgr.east@example.com");
    Json doc = {{"widgets",
                 {{{"id", "won"}, {"type", "kpi"}, {"kpi", "fixture.won_amount"}, {"x", 0}, {"y", 0}, {"w", 4}, {"h", 2}},
                  {{"id", "stages"}, {"type", "bar"}, {"x", 4}, {"y", 0}, {"w", 8}, {"h", 4},
                   {"query", {{"dataset", "fixture.deals"}, {"measures", {"amount"}}, {"dimensions", {"stage"}}}}},
                  {{"id", "status"}, {"type", "pie"}, {"x", 0}, {"y", 4}, {"w", 6}, {"h", 4},
                   {"query", {{"dataset", "fixture.deals"}, {"measures", {"count"}}, {"dimensions", {"status"}}}}},
                  {{"id", "owners"}, {"type", "table"}, {"x", 6}, {"y", 4}, {"w", 6}, {"h", 4},
                   {"query", {{"dataset", "fixture.deals"}, {"measures", {"amount"}}, {"dimensions", {"owner_id"}}}}},
                  {{"id", "trend"}, {"type", "line"}, {"x", 0}, {"y", 8}, {"w", 12}, {"h", 4},
                   {"query", {{"dataset", "fixture.deals"}, {"measures", {"amount"}}, {"time", {{"field", "created_at"}, {"grain", "month"}}}}}}}}};

    // No name yet and never saved: the preview renders it like /render renders a stored one.
    auto r = m.post("/api/v1/reports/dashboards/preview", {{"dashboard", doc}, {"filters", {{"period", period}}}});
    ASSERT_EQ(r.status, 200) << r.body;
    auto w = r.json()["widgets"];
    const double eastWon = sql("SELECT SUM(amount) FROM fixture_deals WHERE department_id = ? AND status = 'won' AND closed_at >= '2025-01-01' AND closed_at < '2025-07-01'", {east});
    EXPECT_NEAR(num(w["won"]["data"]["value"]), eastWon, 0.001);
    EXPECT_TRUE(m.get("/api/v1/reports/dashboards").json()["items"].empty()) << "a preview stores nothing";

    // Marks carry the field and raw key a click cross-filters by; labels may be looked-up names.
    const auto& bar = w["stages"]["data"];
    EXPECT_EQ(bar["key_field"], "stage");
    EXPECT_EQ(bar["key_label"]["en"], "Stage");
    EXPECT_EQ(bar["keys"], bar["categories"]) << "stage values are their own labels";
    EXPECT_EQ(w["status"]["data"]["key_field"], "status");
    for (const auto& item : w["status"]["data"]["items"]) EXPECT_EQ(item["key"], item["name"]);
    const auto& table = w["owners"]["data"];
    EXPECT_EQ(table["key_field"], "owner_id");
    ASSERT_EQ(table["keys"].size(), table["rows"].size());
    ASSERT_FALSE(table["keys"].empty());
    EXPECT_TRUE(table["keys"][0].is_number_integer()) << table.dump();
    EXPECT_FALSE(w["trend"]["data"].contains("keys")) << "periods are not cross-filter keys";

    // Cross-filtering by a key narrows every widget whose dataset has the field, KPI cards included.
    auto f = m.post("/api/v1/reports/dashboards/preview", {{"dashboard", doc}, {"filters", {{"period", period}, {"status", "lost"}}}});
    ASSERT_EQ(f.status, 200) << f.body;
    auto fw = f.json()["widgets"];
    const auto& wonLost = fw["won"]["data"]["value"];
    EXPECT_TRUE(wonLost.is_null() || num(wonLost) == 0) << "won and lost exclude each other: " << wonLost.dump();
    ASSERT_EQ(fw["status"]["data"]["items"].size(), 1u);
    EXPECT_EQ(fw["status"]["data"]["items"][0]["key"], "lost");
    EXPECT_EQ(fw["stages"]["data"]["keys"], Json::array({"lost"}));

    // The document is checked as on save.
    Json bad = doc;
    bad["widgets"][1]["type"] = "radar";
    auto refused = m.post("/api/v1/reports/dashboards/preview", {{"dashboard", bad}});
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_NE(refused.body.find("radar"), std::string::npos) << refused.body;
    EXPECT_EQ(m.post("/api/v1/reports/dashboards/preview", {{"filters", Json::object()}}).status, 400);
}

TEST_P(ReportsApi, AdminDefinesKpiAndDataset) {
    auto admin = host->adminClient();
    Json kpi = sdk::Kpi("custom.big_deals").name("Big deals", "大单").dataset("fixture.deals")
                   .measure(sdk::Measure::count().where("amount", ">=", 4000)).time("created_at").json();
    auto r = admin.post("/api/v1/reports/definitions", {{"kind", "kpi"}, {"definition", kpi}});
    ASSERT_EQ(r.status, 201) << r.body;
    auto v = admin.post("/api/v1/reports/kpis/custom.big_deals/evaluate", {{"period", period}});
    ASSERT_EQ(v.status, 200) << v.body;
    EXPECT_NEAR(num(v.json()["value"]), sql("SELECT COUNT(*) FROM fixture_deals WHERE amount >= 4000 AND created_at >= '2025-01-01' AND created_at < '2025-07-01'"), 0.001);
    EXPECT_EQ(admin.post("/api/v1/reports/definitions", {{"kind", "kpi"}, {"definition", kpi}}).status, 409);
    kpi["measure"]["filters"][0]["value"] = 5000;
    EXPECT_EQ(admin.put("/api/v1/reports/definitions/kpi/custom.big_deals", {{"definition", kpi}, {"version", 1}}).status, 200);
    EXPECT_EQ(admin.put("/api/v1/reports/definitions/kpi/custom.big_deals", {{"definition", kpi}, {"version", 1}}).status, 409);
    Json bad = kpi;
    bad["measure"]["field"] = "nope";
    bad["measure"]["aggregate"] = "sum";
    EXPECT_EQ(admin.post("/api/v1/reports/definitions", {{"kind", "kpi"}, {"definition", bad}}).status, 400);

    // An admin dataset over a table must name a declared scope and may not expose core secrets.
    Json ds = sdk::Dataset("custom.accounts").name("Accounts", "客户").table("accounts").dimension("industry", "Industry", "行业")
                  .measure("id", "Accounts", "客户数", sdk::Aggregate::Count, sdk::FieldType::Integer)
                  .scope("core.account.read", "owner_id", "department_id").json();
    auto d = admin.post("/api/v1/reports/definitions", {{"kind", "dataset"}, {"definition", ds}});
    ASSERT_EQ(d.status, 201) << d.body;
    EXPECT_EQ(admin.post("/api/v1/reports/query", {{"dataset", "custom.accounts"}, {"measures", {"id"}}}).status, 200);
    Json users = sdk::Dataset("custom.users").table("users").dimension("password_hash", "x", "x").scope("core.user.read", "id").json();
    EXPECT_EQ(admin.post("/api/v1/reports/definitions", {{"kind", "dataset"}, {"definition", users}}).status, 403);
    auto rep = login("rep1.east@example.com");
    EXPECT_EQ(rep.post("/api/v1/reports/definitions", {{"kind", "kpi"}, {"definition", kpi}}).status, 403);
    EXPECT_EQ(admin.del("/api/v1/reports/definitions/kpi/custom.big_deals").status, 200);
    EXPECT_EQ(admin.post("/api/v1/reports/kpis/custom.big_deals/evaluate", {{"period", period}}).status, 404);
}

TEST_P(ReportsApi, ScorecardWeightsCapsRagAndRankTies) {
    auto admin = host->adminClient();
    Json tmpl = {{"name", {{"en", "Reps"}, {"zh-CN", "代表"}}}, {"subject", "user"}, {"cap", 1.5}, {"bands", {{"green", 1.0}, {"amber", 0.6}}},
                 {"items", {{{"kpi", "fixture.won_amount"}, {"weight", 60}, {"target", {{"type", "fixed"}, {"value", 5000}}}},
                            {{"kpi", "fixture.new_deals"}, {"weight", 40}, {"target", {{"type", "fixed"}, {"value", 4}}}}}}};
    Json bad = tmpl;
    bad["items"][1]["weight"] = 30;
    EXPECT_EQ(admin.post("/api/v1/reports/scorecards", bad).status, 400) << "weights must add up to 100";
    auto created = admin.post("/api/v1/reports/scorecards", tmpl);
    ASSERT_EQ(created.status, 201) << created.body;
    const auto id = std::to_string(created.json()["id"].get<std::int64_t>());
    auto ev = admin.post("/api/v1/reports/scorecards/" + id + "/evaluate", {{"period", period}, {"user_ids", {rep1, rep2, repW, mgr}}, {"trend_periods", 2}});
    ASSERT_EQ(ev.status, 200) << ev.body;
    const auto subjects = ev.json()["subjects"];
    ASSERT_EQ(subjects.size(), 4u);
    std::map<std::int64_t, double> expected;
    for (auto u : {rep1, rep2, repW, mgr}) {
        const double won = sql("SELECT COALESCE(SUM(amount),0) FROM fixture_deals WHERE owner_id = ? AND status = 'won' AND closed_at >= '2025-01-01' AND closed_at < '2025-07-01'", {u});
        const double n = sql("SELECT COUNT(*) FROM fixture_deals WHERE owner_id = ? AND created_at >= '2025-01-01' AND created_at < '2025-07-01'", {u});
        expected[u] = std::round((std::min(won / 5000, 1.5) * 60 + std::min(n / 4, 1.5) * 40) * 100) / 100;
    }
    int prevRank = 0;
    double prevScore = 1e9;
    for (const auto& s : subjects) {
        const auto uid = s["id"].get<std::int64_t>();
        EXPECT_NEAR(num(s["score"]), expected[uid], 0.011) << uid;
        EXPECT_EQ(s["rag"], expected[uid] / 100 >= 1.0 ? "green" : expected[uid] / 100 >= 0.6 ? "amber" : "red");
        EXPECT_LE(num(s["score"]), prevScore);
        EXPECT_GE(s["rank"].get<int>(), prevRank);
        if (num(s["score"]) == prevScore) {
            EXPECT_EQ(s["rank"].get<int>(), prevRank) << "ties share a rank";
        }
        prevRank = s["rank"].get<int>();
        prevScore = num(s["score"]);
        EXPECT_EQ(s["trend"].size(), 3u);
        EXPECT_LE(num(s["items"][0]["attainment"]), 1.5) << "capped";
    }
    // Warm evaluations come from memory, and a write announced by an event shows at once.
    const Json req = {{"period", period}, {"user_ids", {rep1, rep2, repW, mgr}}, {"trend_periods", 2}};
    EXPECT_EQ(admin.post("/api/v1/reports/scorecards/" + id + "/evaluate", req).json(), ev.json());
    insertDeal({repW, west, "won", "won", "north", 777, "2025-02-02 09:00:00", std::string("2025-02-03 09:00:00")});
    host->host().plugins().events().publish("fixture.deal.updated", "{}");
    auto fresh = admin.post("/api/v1/reports/scorecards/" + id + "/evaluate", req).json();
    for (const auto& s : Json(fresh["subjects"]))
        if (s["id"] == repW) {
            EXPECT_NEAR(num(s["items"][0]["value"]),
                        sql("SELECT SUM(amount) FROM fixture_deals WHERE owner_id = ? AND status = 'won' AND closed_at >= '2025-01-01' AND closed_at < '2025-07-01'", {repW}), 0.001);
        }

    // A manager evaluates only the people of their department.
    auto m = login("mgr.east@example.com");
    auto mine = m.post("/api/v1/reports/scorecards/" + id + "/evaluate", {{"period", period}, {"trend_periods", 0}});
    ASSERT_EQ(mine.status, 200) << mine.body;
    std::set<std::int64_t> ids;
    for (const auto& s : Json(mine.json()["subjects"])) ids.insert(s["id"].get<std::int64_t>());
    EXPECT_EQ(ids, (std::set<std::int64_t>{mgr, rep1, rep2})) << mine.body;
    // Teams: the manager and the two reps reporting to them.
    Json team = tmpl;
    team["subject"] = "team";
    auto tc = admin.post("/api/v1/reports/scorecards", team);
    ASSERT_EQ(tc.status, 201);
    auto tev = admin.post("/api/v1/reports/scorecards/" + std::to_string(tc.json()["id"].get<std::int64_t>()) + "/evaluate", {{"period", period}, {"trend_periods", 0}});
    ASSERT_EQ(tev.status, 200) << tev.body;
    ASSERT_EQ(tev.json()["subjects"].size(), 1u);
    EXPECT_NEAR(num(tev.json()["subjects"][0]["items"][1]["value"]),
                sql("SELECT COUNT(*) FROM fixture_deals WHERE owner_id IN (?, ?, ?) AND created_at >= '2025-01-01' AND created_at < '2025-07-01'", {mgr, rep1, rep2}), 0.001);
}

TEST_P(ReportsApi, KpiOfOneScorecardSubjectMatchesItsScorecardRow) {
    // The scorecard page charts a KPI row with KPI evaluate narrowed to the subject: owner_id
    // for a person, owner_ids (the team's "members") for a team. Both must give the row's value.
    auto admin = host->adminClient();
    Json tmpl = {{"name", "Reps"}, {"subject", "user"},
                 {"items", {{{"kpi", "fixture.won_amount"}, {"weight", 50}, {"target", {{"type", "fixed"}, {"value", 5000}}}},
                            {{"kpi", "fixture.win_rate"}, {"weight", 50}, {"target", {{"type", "fixed"}, {"value", 0.5}}}}}}};
    auto people = admin.post("/api/v1/reports/scorecards", tmpl);
    ASSERT_EQ(people.status, 201) << people.body;
    tmpl["subject"] = "team";
    auto teams = admin.post("/api/v1/reports/scorecards", tmpl);
    ASSERT_EQ(teams.status, 201) << teams.body;
    auto m = login("mgr.east@example.com");
    auto kpi = [&](const std::string& id, const Json& narrowing) {
        Json body = narrowing;
        body["period"] = period;
        auto r = m.post("/api/v1/reports/kpis/" + id + "/evaluate", body);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json();
    };

    auto ev = m.post("/api/v1/reports/scorecards/" + std::to_string(people.json()["id"].get<std::int64_t>()) + "/evaluate",
                     {{"period", period}, {"trend_periods", 0}});
    ASSERT_EQ(ev.status, 200) << ev.body;
    ASSERT_EQ(ev.json()["subjects"].size(), 3u);
    for (const auto& s : Json(ev.json()["subjects"])) {
        EXPECT_FALSE(s.contains("members")) << "people need no member list";
        const auto uid = s["id"].get<std::int64_t>();
        auto won = kpi("fixture.won_amount", {{"owner_id", uid}});
        EXPECT_NEAR(num(won["value"]), num(s["items"][0]["value"]), 0.001) << uid;
        EXPECT_NEAR(num(won["value"]),
                    sql("SELECT COALESCE(SUM(amount),0) FROM fixture_deals WHERE owner_id = ? AND status = 'won' AND closed_at >= '2025-01-01' AND closed_at < '2025-07-01'", {uid}),
                    0.001);
        double points = 0;
        for (const auto& p : Json(won["series"])) points += num(p["value"]);
        EXPECT_NEAR(points, num(won["value"]), 0.001) << "the monthly trend adds up to the row's value";
        auto rate = kpi("fixture.win_rate", {{"owner_id", uid}});
        if (s["items"][1]["value"].is_null()) {
            EXPECT_TRUE(rate["value"].is_null()) << uid;
        } else {
            EXPECT_NEAR(num(rate["value"]), num(s["items"][1]["value"]), 1e-6) << uid;
        }
    }

    auto tev = m.post("/api/v1/reports/scorecards/" + std::to_string(teams.json()["id"].get<std::int64_t>()) + "/evaluate",
                      {{"period", period}, {"trend_periods", 0}});
    ASSERT_EQ(tev.status, 200) << tev.body;
    ASSERT_EQ(tev.json()["subjects"].size(), 1u);
    const auto team = tev.json()["subjects"][0];
    std::set<std::int64_t> members;
    for (const auto& u : Json(team["members"])) members.insert(u.get<std::int64_t>());
    EXPECT_EQ(members, (std::set<std::int64_t>{mgr, rep1, rep2})) << team.dump();
    auto teamWon = kpi("fixture.won_amount", {{"owner_ids", team["members"]}});
    EXPECT_NEAR(num(teamWon["value"]), num(team["items"][0]["value"]), 0.001);
    EXPECT_NEAR(num(teamWon["value"]),
                sql("SELECT COALESCE(SUM(amount),0) FROM fixture_deals WHERE owner_id IN (?, ?, ?) AND status = 'won' AND closed_at >= '2025-01-01' AND closed_at < '2025-07-01'",
                    {mgr, rep1, rep2}),
                0.001);

    // owner_ids narrows, never widens: a rep naming someone else's deals gets nothing.
    auto r1 = login("rep1.east@example.com");
    auto leak = r1.post("/api/v1/reports/kpis/fixture.won_amount/evaluate", {{"period", period}, {"owner_ids", {repW}}});
    ASSERT_EQ(leak.status, 200) << leak.body;
    EXPECT_NEAR(num(leak.json()["value"]), 0, 0.001);
    EXPECT_EQ(r1.post("/api/v1/reports/kpis/fixture.won_amount/evaluate", {{"period", period}, {"owner_ids", Json::array()}}).status, 400);
    EXPECT_EQ(r1.post("/api/v1/reports/kpis/fixture.won_amount/evaluate", {{"period", period}, {"owner_ids", {"x"}}}).status, 400);
}

// A people template may name whose scorecard it is (`subject_roles`): the sales rep template
// scores reps, so managers and administrators are neither ranked nor graded on rep KPIs unless a
// request asks for every role ([]) or other roles.
TEST_P(ReportsApi, TemplateRolesChooseWhoIsScoredAndGraded) {
    auto admin = host->adminClient();
    Json tmpl = {{"name", "Reps only"}, {"subject", "user"}, {"subject_roles", {"rep"}},
                 {"items", {{{"kpi", "fixture.new_deals"}, {"weight", 100}, {"target", {{"type", "fixed"}, {"value", 10}}}}}}};
    Json team = tmpl;
    team["subject"] = "team";
    EXPECT_EQ(admin.post("/api/v1/reports/scorecards", team).status, 400) << "roles choose people, not teams";
    Json badRoles = tmpl;
    badRoles["subject_roles"] = {1};
    EXPECT_EQ(admin.post("/api/v1/reports/scorecards", badRoles).status, 400);
    auto sc = admin.post("/api/v1/reports/scorecards", tmpl);
    ASSERT_EQ(sc.status, 201) << sc.body;
    const auto id = std::to_string(sc.json()["id"].get<std::int64_t>());
    auto m = login("mgr.east@example.com");
    const auto scored = [&](const Json& extra) {
        Json body = {{"period", period}, {"trend_periods", 0}};
        for (auto it = extra.begin(); it != extra.end(); ++it) body[it.key()] = it.value();
        auto r = m.post("/api/v1/reports/scorecards/" + id + "/evaluate", body);
        EXPECT_EQ(r.status, 200) << r.body;
        std::set<std::int64_t> ids;
        for (const auto& s : Json(r.json()["subjects"])) ids.insert(s["id"].get<std::int64_t>());
        return ids;
    };
    EXPECT_EQ(scored(Json::object()), (std::set<std::int64_t>{rep1, rep2})) << "the template's roles by default";
    EXPECT_EQ(scored({{"roles", Json::array()}}), (std::set<std::int64_t>{mgr, rep1, rep2})) << "[] is every role";
    EXPECT_EQ(scored({{"roles", {"manager"}}}), (std::set<std::int64_t>{mgr}));
    EXPECT_EQ(m.post("/api/v1/reports/scorecards/" + id + "/evaluate", {{"period", period}, {"roles", "rep"}}).status, 400);

    // A cycle without roles named grades the template's people; roles [] grades everyone.
    Json cycle = {{"name", "Reps H1"}, {"period", period}, {"scorecard", sc.json()["id"]}, {"participants", {{"department_id", east}}}};
    auto reps = m.post("/api/v1/reports/evaluations", cycle);
    ASSERT_EQ(reps.status, 201) << reps.body;
    std::set<std::int64_t> graded;
    for (const auto& p : Json(reps.json()["participants"])) graded.insert(p["user_id"].get<std::int64_t>());
    EXPECT_EQ(graded, (std::set<std::int64_t>{rep1, rep2}));
    cycle["participants"]["roles"] = Json::array();
    auto all = m.post("/api/v1/reports/evaluations", cycle);
    ASSERT_EQ(all.status, 201) << all.body;
    EXPECT_EQ(all.json()["participants"].size(), 3u);
    // Everyone chosen is scored, the manager too, though the template's own roles are reps.
    auto everyone = m.post("/api/v1/reports/scorecards/" + id + "/evaluate", {{"period", period}, {"trend_periods", 0}, {"roles", Json::array()}}).json();
    for (const auto& p : Json(all.json()["participants"])) {
        const auto uid = p["user_id"].get<std::int64_t>();
        for (const auto& sj : Json(everyone["subjects"]))
            if (sj["id"] == uid) EXPECT_NEAR(num(p["score"]), num(sj["score"]), 0.011) << "participant " << uid;
    }
    const double mgrDeals = sql("SELECT COUNT(*) FROM fixture_deals WHERE owner_id = ? AND created_at >= '2025-01-01' AND created_at < '2025-07-01'", {mgr});
    ASSERT_GT(mgrDeals, 0) << "the fixture gives the manager deals, so a dropped score shows";

    // Who holds a role is read live: giving the manager the rep role puts them on the scorecard.
    ASSERT_EQ(admin.put("/api/v1/admin/users/" + std::to_string(mgr), {{"version", admin.get("/api/v1/admin/users/" + std::to_string(mgr)).json()["version"]},
                                                                       {"roles", {"manager", "rep"}}})
                  .status,
              200);
    EXPECT_EQ(scored(Json::object()), (std::set<std::int64_t>{mgr, rep1, rep2})) << "not a stale memo";
}

TEST_P(ReportsApi, EvaluationWorkflowFreezesAndGradesByForcedDistribution) {
    auto admin = host->adminClient();
    Json tmpl = {{"name", "Reps"}, {"subject", "user"}, {"cap", 2},
                 {"items", {{{"kpi", "fixture.new_deals"}, {"weight", 100}, {"target", {{"type", "fixed"}, {"value", 10}}}}}}};
    auto sc = admin.post("/api/v1/reports/scorecards", tmpl);
    ASSERT_EQ(sc.status, 201) << sc.body;
    auto m = login("mgr.east@example.com");
    Json cycle = {{"name", "H1 2025"}, {"period", period}, {"scorecard", sc.json()["id"]}, {"adjustment_bound", 10},
                  {"participants", {{"department_id", east}}},
                  {"grading", {{"method", "forced"}, {"grades", {{{"name", "A"}, {"percent", 34}}, {{"name", "B"}, {"percent", 66}}}}}}};
    auto cr = m.post("/api/v1/reports/evaluations", cycle);
    ASSERT_EQ(cr.status, 201) << cr.body;
    const auto cid = std::to_string(cr.json()["id"].get<std::int64_t>());
    EXPECT_EQ(cr.json()["status"], "draft");
    ASSERT_EQ(cr.json()["participants"].size(), 3u);
    for (const auto& p : Json(cr.json()["participants"])) {
        const double n = sql("SELECT COUNT(*) FROM fixture_deals WHERE owner_id = ? AND created_at >= '2025-01-01' AND created_at < '2025-07-01'", {p["user_id"].get<std::int64_t>()});
        EXPECT_NEAR(num(p["score"]), std::round(std::min(n / 10, 2.0) * 100 * 100) / 100, 0.011);
    }
    const auto base = "/api/v1/reports/evaluations/" + cid;
    EXPECT_EQ(m.put(base + "/participants/" + std::to_string(rep1), {{"adjustment", 15}, {"comment", "x"}}).status, 422) << "beyond the bound";
    EXPECT_EQ(m.put(base + "/participants/" + std::to_string(rep1), {{"adjustment", 5}}).status, 422) << "comment required";
    auto adj = m.put(base + "/participants/" + std::to_string(rep1), {{"adjustment", 7.5}, {"comment", "Closed the big renewal"}});
    ASSERT_EQ(adj.status, 200) << adj.body;
    EXPECT_EQ(m.post(base + "/approve", Json::object()).status, 403) << "managers do not approve";
    EXPECT_EQ(m.post(base + "/submit", Json::object()).status, 200);
    EXPECT_EQ(m.put(base + "/participants/" + std::to_string(rep1), {{"adjustment", 1}, {"comment", "x"}}).status, 409) << "submitted: locked";
    auto ap = admin.post(base + "/approve", Json::object());
    ASSERT_EQ(ap.status, 200) << ap.body;
    EXPECT_EQ(ap.json()["status"], "approved");
    EXPECT_EQ(ap.json()["frozen"], true);
    // Forced distribution: 34 % of 3 → 1 A (ties would share it), the rest B.
    std::map<std::string, int> count;
    double bestFinal = -1;
    std::string bestGrade;
    for (const auto& p : Json(ap.json()["participants"])) {
        count[p["grade"].get<std::string>()]++;
        if (num(p["final_score"]) > bestFinal) {
            bestFinal = num(p["final_score"]);
            bestGrade = p["grade"];
        }
    }
    EXPECT_EQ(bestGrade, "A") << ap.body;
    EXPECT_GE(count["A"], 1);
    EXPECT_EQ(count["A"] + count["B"], 3);
    // Later data changes do not alter the approved results.
    const auto frozen = ap.json()["participants"];
    for (int i = 0; i < 5; ++i) insertDeal({rep2, east, "lead", "open", "north", 10, "2025-03-0" + std::to_string(i + 1) + " 09:00:00", std::nullopt});
    host->host().plugins().events().publish("fixture.deal.created", "{}");
    EXPECT_EQ(admin.get(base).json()["participants"], frozen);
    EXPECT_EQ(m.post(base + "/recompute", Json::object()).status, 409);
    // Every step is in the audit log.
    auto audit = sql("SELECT COUNT(*) FROM audit_log WHERE entity_type = 'reports.evaluation' AND entity_id = ?", {std::stoll(cid)});
    EXPECT_GE(audit, 4) << "create, adjust, submit, approve";
    auto exported = admin.request("POST", base + "/export?format=csv", "{}");
    ASSERT_EQ(exported.status, 200) << exported.body;
    EXPECT_NE(exported.body.find("Closed the big renewal"), std::string::npos);
}

TEST_P(ReportsApi, ExportsCsvXlsxAndPdf) {
    auto admin = host->adminClient();
    Json q = {{"dataset", "fixture.deals"}, {"measures", {"amount"}}, {"dimensions", {"region"}}};
    auto csv = admin.request("POST", "/api/v1/reports/query/export?format=csv", q.dump());
    ASSERT_EQ(csv.status, 200) << csv.body;
    EXPECT_NE(csv.body.find("\"'=HYPERLINK(\"\"http://evil\"\")\""), std::string::npos) << csv.body;
    EXPECT_EQ(csv.body.find("\n=HYPERLINK"), std::string::npos);

    auto xlsx = admin.request("POST", "/api/v1/reports/query/export?format=xlsx", q.dump());
    ASSERT_EQ(xlsx.status, 200);
    ASSERT_GT(xlsx.body.size(), 100u);
    EXPECT_EQ(xlsx.body.substr(0, 4), std::string("PK\x03\x04", 4));
    // The central directory names the sheet.
    const auto cd = xlsx.body.rfind(std::string("PK\x05\x06", 4));
    ASSERT_NE(cd, std::string::npos);
    EXPECT_NE(xlsx.body.find("xl/worksheets/sheet1.xml"), std::string::npos);
    EXPECT_NE(xlsx.body.find(std::string("PK\x01\x02", 4)), std::string::npos);

    // 60 records in 30-row pages: two pages.
    Json q2 = {{"dataset", "fixture.deals"}, {"measures", {"amount"}}, {"dimensions", {"stage", "region", "owner_id", "status"}}, {"limit", 1000}};
    auto rows = admin.post("/api/v1/reports/query", q2).json()["rows"].size();
    auto pdf = admin.request("POST", "/api/v1/reports/query/export?format=pdf", q2.dump());
    ASSERT_EQ(pdf.status, 200);
    EXPECT_EQ(pdf.body.substr(0, 5), "%PDF-");
    std::size_t pages = 0;
    for (std::size_t pos = 0; (pos = pdf.body.find("/Type /Page", pos)) != std::string::npos; pos += 5)
        if (pdf.body.compare(pos, 12, "/Type /Pages") != 0) ++pages;
    EXPECT_EQ(pages, (rows + 29) / 30) << rows << " rows";
    // The Chinese font is embedded as a subset with a ToUnicode map (the README commands install
    // fonts-wqy-zenhei), so the file reads the same on every viewer.
    EXPECT_NE(pdf.body.find("/FontFile2"), std::string::npos) << "no embedded font: install fonts-wqy-zenhei (scripts/setup does)";
    EXPECT_NE(pdf.body.find("/ToUnicode"), std::string::npos);
    EXPECT_NE(pdf.body.find("+WenQuanYiZenHei"), std::string::npos) << "a subset of the installed font";
    EXPECT_LT(pdf.body.size(), 2u << 20) << "a subset, not the 16 MB font";
    // Embedding off: the standard CJK font is referenced instead.
    ::setenv("ATRIUM_PDF_FONT", "none", 1);
    auto plain = admin.request("POST", "/api/v1/reports/query/export?format=pdf", q2.dump());
    ::unsetenv("ATRIUM_PDF_FONT");
    ASSERT_EQ(plain.status, 200);
    EXPECT_EQ(plain.body.substr(0, 5), "%PDF-");
    EXPECT_EQ(plain.body.find("/FontFile2"), std::string::npos);
    EXPECT_NE(plain.body.find("SimSun"), std::string::npos);
}

TEST_P(ReportsApi, PluginDeclaredDashboardsAndTemplatesAreServedAsBuiltIns) {
    auto admin = host->adminClient();
    EXPECT_EQ(admin.get("/api/v1/reports/dashboards/builtin.fixture_overview").status, 404) << "nothing declared yet";
    // What a plugin's dashboard_declare / scorecard_template_declare put in the catalogue.
    auto& catalog = host->host().plugins().catalog();
    // (fixture.won_amount and fixture.new_deals are the fixture's KPIs.)
    catalog.add(plugins::Catalog::Kind::Dashboard, "fixture",
                sdk::Dashboard("fixture.overview")
                    .name("Deals overview", "交易概览")
                    .periodFilter("last_12_months").departmentFilter().ownerFilter()
                    .widget(sdk::Widget("kpi1", "kpi").title("Won", "赢单").at(0, 0, 6, 2).kpi("fixture.won_amount"))
                    .widget(sdk::Widget("kpi2", "kpi").title("New", "新增").at(6, 0, 6, 2).kpi("fixture.new_deals"))
                    .widget(sdk::Widget("leaders", "leaderboard").title("Top", "排行").at(0, 2, 12, 4)
                                .query("fixture.deals", {"amount"}, {"owner_id"}, 10, "closed_at").where("status", "=", "won"))
                    .json());
    catalog.add(plugins::Catalog::Kind::ScorecardTemplate, "fixture",
                sdk::ScorecardTemplate("fixture.rep").name("Deal maker", "交易能手").subject(sdk::Subject::User).subjectRoles({"rep"})
                    .item("fixture.won_amount", 60, sdk::Target::lastPeriod(10)).item("fixture.new_deals", 40, sdk::Target::fixed(3))
                    .json());
    // A template naming a KPI nobody declared is not offered (it could never be evaluated).
    catalog.add(plugins::Catalog::Kind::ScorecardTemplate, "fixture",
                sdk::ScorecardTemplate("fixture.broken").name("Broken", "无效").item("fixture.nowhere", 100, sdk::Target::fixed(1)).json());

    auto d = admin.get("/api/v1/reports/dashboards/builtin.fixture_overview");
    ASSERT_EQ(d.status, 200) << d.body;
    EXPECT_EQ(d.json()["widgets"].size(), 3u);
    EXPECT_EQ(d.json()["editable"], false);
    EXPECT_EQ(d.json()["builtin"], true);
    EXPECT_EQ(d.json()["declared_id"], "fixture.overview");
    bool listed = false;
    for (const auto& item : Json(admin.get("/api/v1/reports/dashboards").json()["items"])) listed = listed || item["id"] == "builtin.fixture_overview";
    EXPECT_TRUE(listed);
    auto r = admin.post("/api/v1/reports/dashboards/builtin.fixture_overview/render", {{"filters", {{"period", period}}}});
    ASSERT_EQ(r.status, 200) << r.body;
    const Json rendered = r.json()["widgets"];
    for (const auto& [id, w] : rendered.items()) EXPECT_TRUE(w.contains("data")) << id << ": " << w.dump();
    EXPECT_NEAR(num(r.json()["widgets"]["kpi1"]["data"]["value"]),
                sql("SELECT SUM(amount) FROM fixture_deals WHERE status = 'won' AND closed_at >= '2025-01-01' AND closed_at < '2025-07-01'"), 0.001);
    EXPECT_EQ(admin.put("/api/v1/reports/dashboards/builtin.fixture_overview", d.json()).status, 403) << "built-ins are copied, not edited";
    auto copy = admin.post("/api/v1/reports/dashboards/builtin.fixture_overview/copy", Json::object());
    EXPECT_EQ(copy.status, 201) << copy.body;
    EXPECT_EQ(copy.json()["builtin"], false);

    std::set<std::string> ids;
    for (const auto& c : Json(admin.get("/api/v1/reports/scorecards").json()["items"])) ids.insert(c["id"].is_string() ? c["id"].get<std::string>() : c["id"].dump());
    EXPECT_TRUE(ids.count("builtin.fixture_rep"));
    EXPECT_FALSE(ids.count("builtin.fixture_broken"));
    auto t = admin.get("/api/v1/reports/scorecards/builtin.fixture_rep");
    ASSERT_EQ(t.status, 200) << t.body;
    EXPECT_EQ(t.json()["subject_roles"], Json::array({"rep"})) << "the rep template scores reps";
    EXPECT_EQ(admin.put("/api/v1/reports/scorecards/builtin.fixture_rep", t.json()).status, 404) << "built-in templates are not stored rows";
    auto ev = admin.post("/api/v1/reports/scorecards/builtin.fixture_rep/evaluate", {{"period", period}, {"trend_periods", 1}});
    ASSERT_EQ(ev.status, 200) << ev.body;
    EXPECT_FALSE(ev.json()["subjects"].empty());
    for (const auto& sj : Json(ev.json()["subjects"])) EXPECT_NE(sj["id"], mgr) << "a manager is not scored as a rep";
    double weights = 0;
    for (const auto& it : Json(ev.json()["subjects"][0]["items"])) weights += num(it["weight"]);
    EXPECT_NEAR(weights, 100, 1e-9);

    // The owner's module switched off for a department: its people do not see them.
    auto& identity = host->host().identity();
    const auto root = identity.ensureRootDepartment();
    const auto elsewhere = host->addDepartment("Elsewhere", root);
    identity.setModuleEnabled("fixture", elsewhere, false, nullptr);
    host->addUser("elsewhere@example.com", {"manager"}, elsewhere);
    test::Client other(host->port());
    ASSERT_EQ(other.login("elsewhere@example.com", test::kAdminPassword).status, 200);
    for (const auto& item : Json(other.get("/api/v1/reports/dashboards").json()["items"])) EXPECT_NE(item["id"], "builtin.fixture_overview");
    EXPECT_EQ(other.get("/api/v1/reports/dashboards/builtin.fixture_overview").status, 404);
    for (const auto& item : Json(other.get("/api/v1/reports/scorecards").json()["items"])) EXPECT_NE(item["id"], "builtin.fixture_rep");
    EXPECT_EQ(other.post("/api/v1/reports/scorecards/builtin.fixture_rep/evaluate", {{"period", period}}).status, 404);
}

// A dashboard smuggled in as a dataset with "kind": "dashboard" (before SDK 1.1) is not served:
// the catalogue says how to declare it instead.
TEST_P(ReportsApi, ADashboardDeclaredAsADatasetIsReportedNotServed) {
    auto admin = host->adminClient();
    host->host().plugins().catalog().add(plugins::Catalog::Kind::Dataset, "fixture",
                                         {{"id", "fixture.smuggled"}, {"kind", "dashboard"}, {"name", {{"en", "S"}, {"zh-CN", "S"}}}, {"widgets", Json::array()}});
    for (const auto& item : Json(admin.get("/api/v1/reports/dashboards").json()["items"])) EXPECT_NE(item["id"], "fixture.smuggled");
    const auto problems = admin.get("/api/v1/reports/catalog").json()["problems"].dump();
    EXPECT_NE(problems.find("dashboard_declare"), std::string::npos) << problems;
}

// Fields may name their values: declared bilingual labels for an enumeration, or names read from
// one of the plugin's own tables. Results carry them in `labels` in the caller's locale; rows,
// cross-filter keys and filters keep the raw values.
TEST_P(ReportsApi, DeclaredLabelsAndTableLookupsNameValuesInTheCallersLocale) {
    auto& h = host->host();
    std::map<std::string, std::int64_t> stageIds;
    {
        auto c = h.db()->acquire();
        c->exec(h.db()->dialect().expand(R"(CREATE TABLE fixture_stages (
            id ${ID}, code ${STR} NOT NULL, name ${STR} NOT NULL, name_zh ${STR} NULL)${TABLE})"));
        // "proposal" has no Chinese name: Chinese users see the English one.
        const std::vector<std::array<const char*, 3>> stages = {
            {"lead", "Lead", "线索"}, {"qualified", "Qualified", "已确认"}, {"proposal", "Proposal", nullptr}, {"won", "Closed won", "赢单"}, {"lost", "Closed lost", "输单"}};
        for (const auto& [code, en, zh] : stages)
            stageIds[code] = c->insert("INSERT INTO fixture_stages (code, name, name_zh) VALUES (?, ?, ?)",
                                       {std::string(code), std::string(en), zh ? store::Value(std::string(zh)) : store::Value(nullptr)});
        c->execute("UPDATE users SET locale = 'zh-CN' WHERE id = ?", {rep1});
    }
    h.identity().invalidateCaches();
    h.plugins().catalog().add(plugins::Catalog::Kind::Dataset, "fixture",
                              sdk::Dataset("fixture.named_deals")
                                  .name("Named deals", "命名交易")
                                  .query("SELECT d.id, d.owner_id, d.department_id, d.stage, s.id AS stage_id, d.status, d.amount, d.created_at "
                                         "FROM fixture_deals d JOIN fixture_stages s ON s.code = d.stage")
                                  .time("created_at", "Created", "创建时间")
                                  .dimension("status", "Status", "状态")
                                  .labels({{"open", "Open", "进行中"}, {"won", "Won", "赢单"}}) // "lost" keeps its raw text
                                  .dimension("stage", "Stage code", "阶段代码")
                                  .lookup("fixture_stages", "code", "name")
                                  .dimension("stage_id", "Stage", "阶段", sdk::FieldType::Integer)
                                  .lookup("fixture_stages", "id", "name", "name_zh")
                                  .measure("amount", "Amount", "金额", sdk::Aggregate::Sum, sdk::FieldType::Money)
                                  .scope("fixture.deal.read", "owner_id", "department_id")
                                  .json());

    auto en = login("mgr.east@example.com");
    auto zh = login("rep1.east@example.com");
    const auto query = [](test::Client& c, const char* dimension) {
        auto r = c.post("/api/v1/reports/query", {{"dataset", "fixture.named_deals"}, {"measures", {"count"}}, {"dimensions", {dimension}}});
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json();
    };
    const auto id = [&](const char* code) { return std::to_string(stageIds.at(code)); };

    // An enumeration: each value present, named in the caller's language; unlabelled values absent.
    for (auto* c : {&en, &zh}) {
        const bool chinese = c == &zh;
        auto r = query(*c, "status");
        std::set<std::string> raw;
        for (const auto& row : r["rows"]) raw.insert(row[0].get<std::string>());
        EXPECT_EQ(raw, (std::set<std::string>{"open", "won", "lost"})) << "rows keep the raw values: " << r.dump();
        const Json expected = chinese ? Json{{"open", "进行中"}, {"won", "赢单"}} : Json{{"open", "Open"}, {"won", "Won"}};
        EXPECT_EQ(r["labels"]["status"], expected) << r.dump();

        // A table lookup by integer id, with the Chinese column where it has a value.
        auto s = query(*c, "stage_id");
        ASSERT_EQ(s["rows"].size(), 5u) << s.dump();
        for (const auto& row : s["rows"]) EXPECT_TRUE(row[0].is_number_integer()) << s.dump();
        Json names = s["labels"]["stage_id"];
        EXPECT_EQ(names.size(), 5u) << s.dump();
        EXPECT_EQ(names[id("lead")], chinese ? "线索" : "Lead");
        EXPECT_EQ(names[id("won")], chinese ? "赢单" : "Closed won");
        EXPECT_EQ(names[id("proposal")], "Proposal");

        // A table lookup by text key without a Chinese column.
        auto t = query(*c, "stage");
        EXPECT_EQ(t["labels"]["stage"]["qualified"], "Qualified") << t.dump();
        EXPECT_EQ(t["labels"]["stage"]["lost"], "Closed lost") << t.dump();
    }

    // The catalogue hands the labels to the dashboard builder.
    auto cat = en.get("/api/v1/reports/catalog").json();
    Json statusLabels;
    for (const auto& d : cat["datasets"])
        for (const auto& f : d["fields"])
            if (d["id"] == "fixture.named_deals" && f["name"] == "status") statusLabels = f["labels"];
    EXPECT_EQ(statusLabels["open"], (Json{{"en", "Open"}, {"zh-CN", "进行中"}})) << cat.dump();

    // A dashboard shows the names; the marks still cross-filter by the raw values.
    Json doc = {{"widgets",
                 {{{"id", "status"}, {"type", "bar"}, {"x", 0}, {"y", 0}, {"w", 6}, {"h", 4},
                   {"query", {{"dataset", "fixture.named_deals"}, {"measures", {"amount"}}, {"dimensions", {"status"}}, {"sort", "status"}}}},
                  {{"id", "stages"}, {"type", "pie"}, {"x", 6}, {"y", 0}, {"w", 6}, {"h", 4},
                   {"query", {{"dataset", "fixture.named_deals"}, {"measures", {"count"}}, {"dimensions", {"stage_id"}}}}}}}};
    for (auto* c : {&en, &zh}) {
        const bool chinese = c == &zh;
        auto r = c->post("/api/v1/reports/dashboards/preview", {{"dashboard", doc}, {"filters", Json::object()}});
        ASSERT_EQ(r.status, 200) << r.body;
        const auto w = r.json()["widgets"];
        const auto& bar = w["status"]["data"];
        EXPECT_EQ(bar["keys"], Json::array({"lost", "open", "won"})) << bar.dump();
        EXPECT_EQ(bar["categories"], chinese ? Json::array({"lost", "进行中", "赢单"}) : Json::array({"lost", "Open", "Won"})) << bar.dump();
        const auto& pie = w["stages"]["data"];
        ASSERT_EQ(pie["items"].size(), 5u) << pie.dump();
        for (const auto& item : pie["items"]) {
            ASSERT_TRUE(item["key"].is_number_integer()) << pie.dump();
            const auto code = std::find_if(stageIds.begin(), stageIds.end(), [&](const auto& kv) { return kv.second == item["key"].get<std::int64_t>(); })->first;
            if (code == "lead") {
                EXPECT_EQ(item["name"], chinese ? "线索" : "Lead");
            } else if (code == "proposal") {
                EXPECT_EQ(item["name"], "Proposal");
            }
        }
        // Cross-filtering by a raw key narrows the other widget.
        auto f = c->post("/api/v1/reports/dashboards/preview", {{"dashboard", doc}, {"filters", {{"stage_id", stageIds.at("won")}}}});
        ASSERT_EQ(f.status, 200) << f.body;
        EXPECT_EQ(f.json()["widgets"]["status"]["data"]["keys"], Json::array({"won"})) << f.body;
    }

    // Two stages sharing a name (a second pipeline's 赢单) stay two slices, each named with its key.
    std::int64_t wonB = 0;
    {
        auto c = h.db()->acquire();
        wonB = c->insert("INSERT INTO fixture_stages (code, name, name_zh) VALUES (?, ?, ?)",
                         {std::string("won_b"), std::string("Closed won"), std::string("赢单")});
    }
    insertDeal({rep1, east, "won_b", "won", "north", 500, "2025-03-03 09:00:00", std::string("2025-03-04 09:00:00")});
    h.plugins().events().publish("fixture.deal.created", "{}");
    for (auto* c : {&en, &zh}) {
        const bool chinese = c == &zh;
        auto r = c->post("/api/v1/reports/dashboards/preview", {{"dashboard", doc}, {"filters", Json::object()}});
        ASSERT_EQ(r.status, 200) << r.body;
        const Json pie = r.json()["widgets"]["stages"]["data"];
        ASSERT_EQ(pie["items"].size(), 6u) << pie.dump();
        std::set<std::string> names;
        for (const auto& item : pie["items"]) names.insert(item["name"].get<std::string>());
        EXPECT_EQ(names.size(), 6u) << "every slice has its own name: " << pie.dump();
        const std::string won = chinese ? "赢单" : "Closed won";
        EXPECT_TRUE(names.count(won + " (" + id("won") + ")")) << pie.dump();
        EXPECT_TRUE(names.count(won + " (" + std::to_string(wonB) + ")")) << pie.dump();
        EXPECT_TRUE(names.count(chinese ? "线索" : "Lead")) << "names that do not collide stay as they are: " << pie.dump();
    }

    // Drilling into the second 赢单 slice lists its one record, named as the chart names it.
    Json saved = doc;
    saved["name"] = {{"en", "Named deals"}, {"zh-CN", "命名交易"}};
    auto created = en.post("/api/v1/reports/dashboards", saved);
    ASSERT_EQ(created.status, 201) << created.body;
    const auto did = std::to_string(created.json()["id"].get<std::int64_t>());
    for (auto* c : {&en, &zh}) {
        const bool chinese = c == &zh;
        if (chinese) {
            Json share = en.get("/api/v1/reports/dashboards/" + did).json();
            share["shared"] = {{"departments", {east}}, {"roles", Json::array()}};
            ASSERT_EQ(en.put("/api/v1/reports/dashboards/" + did, share).status, 200);
        }
        const std::string won = chinese ? "赢单" : "Closed won";
        auto d = c->post("/api/v1/reports/dashboards/" + did + "/widgets/stages/drill",
                         {{"filters", Json::object()}, {"point", {{"category", won + " (" + std::to_string(wonB) + ")"}}}});
        ASSERT_EQ(d.status, 200) << d.body;
        const Json records = d.json();
        ASSERT_EQ(records["rows"].size(), 1u) << records.dump();
        std::map<std::string, std::size_t> col;
        for (std::size_t i = 0; i < records["columns"].size(); ++i) col[records["columns"][i]["name"].get<std::string>()] = i;
        ASSERT_TRUE(col.count("stage_id") && col.count("status") && col.count("stage")) << records.dump();
        const auto& row = records["rows"][0];
        EXPECT_EQ(row[col["stage_id"]], won) << "a lookup id is shown by name: " << records.dump();
        EXPECT_EQ(row[col["stage"]], "Closed won") << "a lookup by code without a Chinese column";
        EXPECT_EQ(row[col["status"]], chinese ? "赢单" : "Won") << "a declared value label: " << records.dump();
        EXPECT_EQ(records["columns"][col["stage_id"]]["type"], "text");
    }
}

// What the catalogue cannot serve as declared is listed once for administrators, not only logged
// on every query: a lookup of a missing table, a KPI over a dataset that is not there.
TEST_P(ReportsApi, CatalogueProblemsAreShownToAdministrators) {
    auto& catalog = host->host().plugins().catalog();
    catalog.add(plugins::Catalog::Kind::Dataset, "fixture",
                sdk::Dataset("fixture.unnamed")
                    .name("Unnamed", "未命名")
                    .table("fixture_deals")
                    .dimension("stage", "Stage", "阶段")
                    .lookup("fixture_missing_stages", "code", "name")
                    .measure("amount", "Amount", "金额", sdk::Aggregate::Sum, sdk::FieldType::Money)
                    .scope("fixture.deal.read", "owner_id", "department_id")
                    .json());
    catalog.add(plugins::Catalog::Kind::Kpi, "fixture",
                sdk::Kpi("fixture.orphan").name("Orphan", "孤立").dataset("fixture.nowhere").sum("amount").json());
    auto admin = host->adminClient();
    auto cat = admin.get("/api/v1/reports/catalog");
    ASSERT_EQ(cat.status, 200) << cat.body;
    const Json problems = cat.json()["problems"];
    ASSERT_TRUE(problems.is_array()) << cat.body;
    const auto mentions = [&](const std::string& a, const std::string& b) {
        return std::any_of(problems.begin(), problems.end(), [&](const Json& p) {
            const auto text = p.get<std::string>();
            return text.find(a) != std::string::npos && text.find(b) != std::string::npos;
        });
    };
    EXPECT_TRUE(mentions("fixture.unnamed", "fixture_missing_stages")) << problems.dump();
    EXPECT_TRUE(mentions("fixture.orphan", "fixture.nowhere")) << problems.dump();
    EXPECT_FALSE(mentions("fixture.deals", "")) << "a sound dataset is not a problem: " << problems.dump();
    // The dataset still serves its numbers, with the stage codes unnamed.
    auto r = admin.post("/api/v1/reports/query", {{"dataset", "fixture.unnamed"}, {"measures", {"amount"}}, {"dimensions", {"stage"}}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_FALSE(r.json()["rows"].empty());
    // A rep sees the catalogue without the administrators' notes.
    auto rep = login("rep1.east@example.com");
    auto repCat = rep.get("/api/v1/reports/catalog");
    ASSERT_EQ(repCat.status, 200);
    EXPECT_FALSE(repCat.json().contains("problems")) << repCat.body;
}

// Declarations naming values are checked when compiled: identifiers, the plugin's own tables only,
// and no table lookups from admin-defined datasets.
TEST_P(ReportsApi, LabelAndLookupDeclarationsAreCheckedAtCompile) {
    const auto base = [](auto&& decorate) {
        auto d = sdk::Dataset("fixture.checked").table("fixture_deals").dimension("stage", "Stage", "阶段");
        decorate(d);
        Json j = d.measure("amount", "Amount", "金额").scope("fixture.deal.read", "owner_id").json();
        j["plugin"] = "fixture";
        return j;
    };
    const auto status = [](const Json& def) {
        try {
            reports::compileDataset(def);
            return 200;
        } catch (const reports::ReportError& e) {
            return e.status();
        }
    };
    EXPECT_EQ(status(base([](sdk::Dataset& d) { d.lookup("fixture_stages", "code", "name", "name_zh"); })), 200);
    EXPECT_EQ(status(base([](sdk::Dataset& d) { d.labels({{"lead", "Lead", "线索"}}); })), 200);
    EXPECT_EQ(status(base([](sdk::Dataset& d) { d.lookup("users", "id", "password_hash"); })), 400) << "a core table";
    EXPECT_EQ(status(base([](sdk::Dataset& d) { d.lookup("sales_stages", "id", "name"); })), 400) << "another plugin's table";
    EXPECT_EQ(status(base([](sdk::Dataset& d) { d.lookup("fixture_stages; DROP TABLE users", "id", "name"); })), 400);
    EXPECT_EQ(status(base([](sdk::Dataset& d) { d.lookup("fixture_stages", "id) OR (1=1", "name"); })), 400);
    EXPECT_EQ(status(base([](sdk::Dataset& d) { d.lookup("fixture_stages", "id", "name", "name_zh\""); })), 400);
    EXPECT_EQ(status(base([](sdk::Dataset& d) { d.lookup("fixture_stages", "id", ""); })), 400);
    Json extra = base([](sdk::Dataset& d) { d.lookup("fixture_stages", "id", "name"); });
    extra["fields"][0]["lookup"]["where"] = "1=1";
    EXPECT_EQ(status(extra), 400) << "unknown lookup member";
    Json unknown = base([](sdk::Dataset&) {});
    unknown["fields"][0]["lookup"] = "stages";
    EXPECT_EQ(status(unknown), 400) << "unknown built-in lookup";
    Json both = base([](sdk::Dataset& d) { d.labels({{"lead", "Lead", "线索"}}); });
    both["fields"][0]["lookup"] = {{"table", "fixture_stages"}, {"key", "code"}, {"label", "name"}};
    EXPECT_EQ(status(both), 400) << "labels and a lookup at once";
    Json badLabel = base([](sdk::Dataset&) {});
    badLabel["fields"][0]["labels"] = {{"lead", 7}};
    EXPECT_EQ(status(badLabel), 400);
    badLabel["fields"][0]["labels"] = Json::array({"lead"});
    EXPECT_EQ(status(badLabel), 400);

    // A plugin declaration that fails is left out of the catalogue.
    host->host().plugins().catalog().add(plugins::Catalog::Kind::Dataset, "fixture",
                                         sdk::Dataset("fixture.peeking").table("fixture_deals").dimension("owner_id", "Owner", "负责人", sdk::FieldType::Integer)
                                             .lookup("users", "id", "password_hash").measure("amount", "Amount", "金额").scope("fixture.deal.read", "owner_id").json());
    auto admin = host->adminClient();
    EXPECT_EQ(admin.post("/api/v1/reports/query", {{"dataset", "fixture.peeking"}, {"measures", {"count"}}}).status, 404);

    // An admin-defined dataset may label values but not read names out of a table.
    auto custom = [](auto&& decorate) {
        auto d = sdk::Dataset("custom.deals").name("Deals", "交易").table("fixture_deals").dimension("status", "Status", "状态");
        decorate(d);
        return d.measure("amount", "Amount", "金额").scope("fixture.deal.read", "owner_id", "department_id").json();
    };
    auto refused = admin.post("/api/v1/reports/definitions",
                              {{"kind", "dataset"}, {"definition", custom([](sdk::Dataset& d) { d.lookup("fixture_deals", "status", "region"); })}});
    EXPECT_EQ(refused.status, 400) << refused.body;
    auto labelled = admin.post("/api/v1/reports/definitions",
                               {{"kind", "dataset"}, {"definition", custom([](sdk::Dataset& d) { d.labels({{"won", "Won", "赢单"}}); })}});
    ASSERT_EQ(labelled.status, 201) << labelled.body;
    auto q = admin.post("/api/v1/reports/query", {{"dataset", "custom.deals"}, {"measures", {"count"}}, {"dimensions", {"status"}}});
    ASSERT_EQ(q.status, 200) << q.body;
    EXPECT_EQ(q.json()["labels"]["status"], (Json{{"won", "Won"}})) << q.body;
}

INSTANTIATE_TEST_SUITE_P(Backends, ReportsApi, testing::ValuesIn(test::backends()), test::paramName);
