// The in-memory columnar path against the SQL path, on SQLite and MariaDB: the same queries are
// answered both ways (cache off) and must agree; writes announced through the event bus show up
// at once (incremental refresh by key and watermark), deletions force a full reload, and what
// the columnar path cannot answer exactly goes to SQL.
#include "Columnar.h"
#include "Reporting.h"
#include "TestSupport.h"

#include <atrium/sdk/reporting.hpp>

#include <cmath>
#include <thread>

using namespace atrium;
using test::Json;
namespace sdk = atrium::sdk;

namespace {

/// Rows equal, numbers within a relative 1e-6 (MariaDB's AVG is DECIMAL with 4 places: 1e-4).
::testing::AssertionResult sameRows(const Json& a, const Json& b, double tolerance) {
    if (a.size() != b.size()) return ::testing::AssertionFailure() << a.size() << " rows vs " << b.size() << "\n" << a.dump() << "\n" << b.dump();
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].size() != b[i].size()) return ::testing::AssertionFailure() << "row " << i << " width";
        for (std::size_t k = 0; k < a[i].size(); ++k) {
            const auto &x = a[i][k], &y = b[i][k];
            if (x.is_number() && y.is_number()) {
                const double dx = x.get<double>(), dy = y.get<double>();
                if (std::fabs(dx - dy) > tolerance * std::max(1.0, std::fabs(dy)))
                    return ::testing::AssertionFailure() << "row " << i << " col " << k << ": " << dx << " vs " << dy << "\n" << a[i].dump() << "\n" << b[i].dump();
            } else if (x != y) {
                return ::testing::AssertionFailure() << "row " << i << " col " << k << ": " << x.dump() << " vs " << y.dump();
            }
        }
    }
    return ::testing::AssertionSuccess();
}

} // namespace

class Columnar : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ATRIUM_NEED_BACKEND(GetParam());
        host = std::make_unique<test::TestHost>(GetParam());
        auto& h = host->host();
        ext = std::make_shared<reports::ReportingExtension>();
        h.addExtension(ext);
        ext->start(h);
        {
            auto c = h.db()->acquire();
            c->exec(h.db()->dialect().expand(R"(CREATE TABLE col_deals (
                id ${ID}, owner_id ${BIGINT} NOT NULL, department_id ${BIGINT} NULL, stage ${STR} NOT NULL,
                status ${STR} NOT NULL, region ${STR} NULL, amount ${MONEY} NOT NULL, probability ${INT} NOT NULL,
                score ${REAL} NULL, created_at ${DATETIME} NOT NULL, closed_at ${DATETIME} NULL, close_date ${DATE} NULL,
                updated_at ${DATETIME} NOT NULL)${TABLE})"));
        }
        using S = identity::Scope;
        h.identity().declarePermissions("fixture", {{"fixture.cdeal.read", "Read deals", {{"manager", S::Department}, {"rep", S::Own}}}});
        root = h.identity().ensureRootDepartment();
        east = host->addDepartment("East", root);
        eastSub = host->addDepartment("East North", east);
        west = host->addDepartment("West", root);
        mgr = host->addUser("mgr.east@example.com", {"manager"}, east);
        rep1 = host->addUser("rep1.east@example.com", {"rep"}, eastSub, mgr);
        rep2 = host->addUser("rep2.east@example.com", {"rep"}, east, mgr);
        repW = host->addUser("rep.west@example.com", {"rep"}, west);

        const std::int64_t owners[4] = {rep1, rep2, repW, mgr};
        const std::int64_t depts[4] = {eastSub, east, west, east};
        const char* stages[6] = {"lead", "qualified", "proposal", "negotiation", "won", "lost"};
        const char* regions[5] = {"North", "south", "East Coast", "", "west"};
        auto c = h.db()->acquire();
        store::Transaction tx(*c);
        for (int i = 0; i < 800; ++i) {
            const std::string stage = stages[(i * 7) % 6];
            const std::string status = stage == "won" || stage == "lost" ? stage : "open";
            const auto day = [](int n) {
                return reports::dates::format(*reports::dates::parse("2024-01-01") + std::chrono::days{n});
            };
            const int created = (i * 37) % 700;
            store::Values v = {owners[i % 4],
                               i % 9 == 0 ? store::Value(nullptr) : store::Value(depts[i % 4]),
                               stage,
                               status,
                               i % 11 == 0 ? store::Value(nullptr) : store::Value(std::string(regions[i % 5])),
                               1000.0 + (i * 7919) % 90000 + (i % 4) * 0.25,
                               static_cast<std::int64_t>((i * 13) % 101),
                               i % 5 == 0 ? store::Value(nullptr) : store::Value(((i * 31) % 1000) / 10.0),
                               day(created) + " " + (i % 2 ? "09:15:00" : "23:59:59"),
                               status == "open" ? store::Value(nullptr) : store::Value(day(created + 5 + i % 40) + " 00:00:00"),
                               i % 6 == 0 ? store::Value(nullptr) : store::Value(day(created + 30 + i % 90)),
                               "2025-01-01 00:00:00"};
            c->insert("INSERT INTO col_deals (owner_id, department_id, stage, status, region, amount, probability, score, created_at, "
                      "closed_at, close_date, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      v);
        }
        tx.commit();

        auto& catalog = h.plugins().catalog();
        auto base = [](const std::string& id) {
            return sdk::Dataset(id)
                .name("Deals", "交易")
                .table("col_deals")
                .time("created_at", "Created", "创建时间")
                .time("closed_at", "Closed", "关闭时间")
                .time("close_date", "Close date", "成交日期", sdk::FieldType::Date)
                .dimension("stage", "Stage", "阶段")
                .dimension("status", "Status", "状态")
                .dimension("region", "Region", "区域")
                .dimension("owner_id", "Owner", "负责人", sdk::FieldType::Integer)
                .dimension("department_id", "Department", "部门", sdk::FieldType::Integer)
                .measure("amount", "Amount", "金额", sdk::Aggregate::Sum, sdk::FieldType::Money)
                .measure("probability", "Probability", "概率", sdk::Aggregate::Avg, sdk::FieldType::Integer)
                .measure("score", "Score", "评分", sdk::Aggregate::Avg, sdk::FieldType::Real)
                .measure("id", "Deals", "交易数", sdk::Aggregate::Count, sdk::FieldType::Integer);
        };
        // Incremental (key + watermark) with a department column …
        catalog.add(plugins::Catalog::Kind::Dataset, "fixture",
                    base("fixture.cdeals").scope("fixture.cdeal.read", "owner_id", "department_id").incremental("id", "updated_at").json());
        // … and reloaded in full, departments taken from the owners.
        catalog.add(plugins::Catalog::Kind::Dataset, "fixture", base("fixture.cdeals_by_owner").scope("fixture.cdeal.read", "owner_id").json());
    }
    void TearDown() override {
        host.reset();
        ext.reset();
    }
    reports::Engine& engine() { return ext->engine(); }

    /// The query answered with the columnar path and with SQL; returns the columnar answer.
    Json both(test::Client& client, const Json& body, const std::string& expectEngine) {
        engine().setCacheEnabled(false);
        engine().columns().setEnabled(true);
        auto fast = client.post("/api/v1/reports/query", body);
        engine().columns().setEnabled(false);
        auto slow = client.post("/api/v1/reports/query", body);
        engine().columns().setEnabled(true);
        EXPECT_EQ(fast.status, 200) << fast.body;
        EXPECT_EQ(slow.status, 200) << slow.body;
        if (fast.status != 200 || slow.status != 200) return Json();
        EXPECT_EQ(fast.json()["engine"], expectEngine) << body.dump();
        EXPECT_EQ(slow.json()["engine"], "sql");
        const double tolerance = GetParam() == "sqlite" ? 1e-9 : 1e-4;
        EXPECT_TRUE(sameRows(fast.json()["rows"], slow.json()["rows"], tolerance)) << body.dump();
        EXPECT_EQ(fast.json()["columns"], slow.json()["columns"]);
        return fast.json();
    }
    double sql(const std::string& q) {
        auto c = host->host().db()->acquire();
        auto v = c->queryScalar(q, {});
        return v ? store::asDouble(*v, 0) : 0;
    }

    std::unique_ptr<test::TestHost> host;
    std::shared_ptr<reports::ReportingExtension> ext;
    std::int64_t root = 0, east = 0, eastSub = 0, west = 0, mgr = 0, rep1 = 0, rep2 = 0, repW = 0;
};

TEST_P(Columnar, AnswersEveryQueryShapeExactlyAsTheSql) {
    auto admin = host->adminClient();
    test::Client mgrClient(host->port());
    ASSERT_EQ(mgrClient.login("mgr.east@example.com", test::kAdminPassword).status, 200);
    test::Client repClient(host->port());
    ASSERT_EQ(repClient.login("rep1.east@example.com", test::kAdminPassword).status, 200);

    const Json wonCount = {{"aggregate", "count"}, {"as", "won"}, {"filters", {{{"field", "status"}, {"op", "="}, {"value", "won"}}}}};
    const std::vector<Json> queries = {
        {{"measures", {"count"}}},
        {{"measures", {"amount", wonCount, {{"field", "amount"}, {"aggregate", "avg"}, {"as", "avg"}},
                       {{"field", "amount"}, {"aggregate", "min"}, {"as", "lo"}}, {{"field", "amount"}, {"aggregate", "max"}, {"as", "hi"}},
                       {{"field", "owner_id"}, {"aggregate", "count_distinct"}, {"as", "owners"}},
                       {{"field", "score"}, {"aggregate", "count"}, {"as", "scored"}}, "score", "probability"}},
         {"dimensions", {"region"}},
         {"time", {{"field", "created_at"}, {"from", "2024-03-01"}, {"to", "2025-02-28"}}}},
        {{"measures", {"amount", "count"}}, {"time", {{"field", "created_at"}, {"grain", "month"}, {"from", "2025-01-01"}, {"to", "2025-06-30"}}},
         {"compare", "previous_period"}},
        {{"measures", {"probability"}}, {"dimensions", {"status"}}, {"time", {{"field", "closed_at"}, {"grain", "week"}, {"from", "2024-06-01"}, {"to", "2024-09-30"}}}},
        {{"measures", {"count", "score"}}, {"time", {{"field", "created_at"}, {"grain", "quarter"}}}},
        {{"measures", {"count"}}, {"time", {{"field", "close_date"}, {"grain", "day"}, {"from", "2024-05-01"}, {"to", "2024-05-31"}}}},
        {{"measures", {"amount"}}, {"time", {{"field", "created_at"}, {"grain", "year"}}}, {"compare", ""}},
        {{"measures", {"amount", "count"}},
         {"dimensions", {"stage"}},
         {"filters", {{{"field", "stage"}, {"op", "in"}, {"value", {"won", "lost", "proposal"}}},
                      {{"field", "amount"}, {"op", "between"}, {"value", {5000, 60000}}},
                      {{"field", "probability"}, {"op", ">="}, {"value", 20}},
                      {{"field", "status"}, {"op", "!="}, {"value", "lost"}}}}},
        {{"measures", {"count"}}, {"filters", {{{"field", "region"}, {"op", "contains"}, {"value", "OR"}}}}},
        {{"measures", {"count"}}, {"dimensions", {"status"}}, {"filters", {{{"field", "region"}, {"op", "="}, {"value", nullptr}}}}},
        {{"measures", {"count"}}, {"filters", {{{"field", "score"}, {"op", "!="}, {"value", nullptr}}, {{"field", "score"}, {"op", "<"}, {"value", 50.5}}}}},
        {{"measures", {"amount"}}, {"dimensions", {"owner_id", "department_id"}}},
        {{"measures", {"count"}}, {"dimensions", {"close_date"}}, {"filters", {{{"field", "close_date"}, {"op", ">="}, {"value", "2025-06-01"}}}}},
        {{"measures", {"count"}}, {"filters", {{{"field", "close_date"}, {"op", "between"}, {"value", {"2024-03-01", "2024-12-31"}}}}}},
        {{"measures", {"count"}}, {"filters", {{{"field", "closed_at"}, {"op", ">="}, {"value", "2024-10-01"}}, {{"field", "closed_at"}, {"op", "<"}, {"value", "2025-01-01"}}}}},
        {{"measures", {"amount"}}, {"dimensions", {"region", "stage"}}, {"sort", "-amount"}, {"limit", 5}},
    };
    for (const auto& dataset : {"fixture.cdeals", "fixture.cdeals_by_owner"}) {
        for (auto q : queries) {
            q["dataset"] = dataset;
            both(admin, q, "columnar");
            both(mgrClient, q, "columnar"); // department scope (subtree, plus own rows)
            both(repClient, q, "columnar"); // own rows
        }
    }
    // What the columnar path cannot promise, it leaves to SQL — and the answers still agree.
    const std::vector<Json> sqlOnly = {
        {{"dataset", "fixture.cdeals"}, {"measures", {"count"}}, {"filters", {{{"field", "stage"}, {"op", "<"}, {"value", "p"}}}}},
        {{"dataset", "fixture.cdeals"}, {"measures", {"count"}}, {"filters", {{{"field", "closed_at"}, {"op", ">"}, {"value", "2024-10-01"}}}}},
        {{"dataset", "fixture.cdeals"}, {"measures", {"count"}}, {"dimensions", {"created_at"}}, {"limit", 10}},
    };
    for (const auto& q : sqlOnly) both(admin, q, "sql");

    // The scope filters dashboards add (department subtree, owner, team) go through the same path.
    const auto manager = [&] {
        auto conn = host->host().db()->acquire();
        return host->host().identity().loadPrincipal(*conn, mgr);
    }();
    auto ds = engine().dataset("fixture.cdeals");
    ASSERT_TRUE(ds);
    for (const auto& id : {"fixture.cdeals", "fixture.cdeals_by_owner"}) {
        reports::Query q;
        q.dataset = id;
        q.measures = {reports::parseMeasure("amount", *ds, 0)};
        q.dimensions = {"owner_id"};
        std::vector<reports::ScopeFilter> scopes(3);
        scopes[0].departmentId = eastSub;
        scopes[1].ownerId = rep2;
        scopes[2].ownerInSet = true;
        scopes[2].ownerIn = {rep1, mgr};
        for (const auto& sf : scopes) {
            q.scope = sf;
            engine().columns().setEnabled(true);
            auto fast = engine().run(manager, q);
            engine().columns().setEnabled(false);
            auto slow = engine().run(manager, q);
            engine().columns().setEnabled(true);
            EXPECT_EQ(fast.meta["engine"], "columnar");
            EXPECT_TRUE(sameRows(fast.rows, slow.rows, 1e-9)) << id;
        }
    }
}

TEST_P(Columnar, AnnouncedWritesAndDeletionsShowAtOnce) {
    auto admin = host->adminClient();
    engine().setCacheEnabled(false);
    const Json body = {{"dataset", "fixture.cdeals"}, {"measures", {"amount", "count"}}};
    auto total = [&] {
        auto r = admin.post("/api/v1/reports/query", body);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json();
    };
    auto first = total();
    EXPECT_EQ(first["engine"], "columnar");
    EXPECT_NEAR(first["rows"][0][0].get<double>(), sql("SELECT SUM(amount) FROM col_deals"), 0.01);

    auto write = [&](const std::string& statement, const std::string& topic) {
        auto c = host->host().db()->acquire();
        c->exec(statement);
        host->host().plugins().events().publish(topic, "{}");
    };
    auto settled = [&](const char* engineNow) {
        // Right after an event the dataset is quarantined (the writer may still be committing):
        // every query re-reads what changed; once it is over the table is checked once more.
        auto now = total();
        EXPECT_EQ(now["engine"], engineNow);
        EXPECT_NEAR(now["rows"][0][0].get<double>(), sql("SELECT SUM(amount) FROM col_deals"), 0.01);
        EXPECT_EQ(now["rows"][0][1].get<double>(), sql("SELECT COUNT(*) FROM col_deals"));
        std::this_thread::sleep_for(std::chrono::milliseconds(1600));
        return total();
    };
    // An insert and an update (watermark), then a deletion (row count) — each correct at once.
    write("INSERT INTO col_deals (owner_id, department_id, stage, status, region, amount, probability, created_at, updated_at) VALUES (" +
              std::to_string(rep1) + ", " + std::to_string(eastSub) + ", 'won', 'won', 'North', 4321.5, 10, '2025-02-01 10:00:00', '2026-01-01 00:00:00')",
          "fixture.deal.created");
    auto afterInsert = settled("columnar");
    EXPECT_EQ(afterInsert["engine"], "columnar");
    EXPECT_NEAR(afterInsert["rows"][0][0].get<double>(), sql("SELECT SUM(amount) FROM col_deals"), 0.01);
    EXPECT_EQ(afterInsert["rows"][0][1], 801);

    write("UPDATE col_deals SET amount = amount + 1000, updated_at = '2026-01-01 00:00:05' WHERE id IN (3, 5)", "fixture.deal.updated");
    auto afterUpdate = settled("columnar");
    EXPECT_EQ(afterUpdate["engine"], "columnar");
    EXPECT_NEAR(afterUpdate["rows"][0][0].get<double>(), afterInsert["rows"][0][0].get<double>() + 2000, 0.01);

    auto stats = engine().columns().stats();
    bool sawIncremental = false;
    for (const auto& t : stats["tables"])
        if (t["dataset"] == "fixture.cdeals") sawIncremental = t.value("incremental_refreshes", 0) >= 4;
    EXPECT_TRUE(sawIncremental) << stats.dump();
    const auto fullLoads = stats["full_loads"].get<int>();

    write("DELETE FROM col_deals WHERE id = 7", "fixture.deal.deleted");
    auto afterDelete = settled("columnar"); // the row is dropped from the table, no reload
    EXPECT_EQ(afterDelete["engine"], "columnar");
    EXPECT_EQ(afterDelete["rows"][0][1], 800);
    EXPECT_NEAR(afterDelete["rows"][0][0].get<double>(), sql("SELECT SUM(amount) FROM col_deals"), 0.01);
    stats = engine().columns().stats();
    EXPECT_EQ(stats["full_loads"].get<int>(), fullLoads) << "a deletion drops rows, it does not reload";
    for (const auto& t : stats["tables"]) {
        if (t["dataset"] == "fixture.cdeals") EXPECT_EQ(t["deleted_rows"], 1) << t.dump();
    }
    // Deleting and inserting in one go (same count) is caught by the keys too.
    write("DELETE FROM col_deals WHERE id IN (12, 13)", "fixture.deal.deleted");
    write("INSERT INTO col_deals (owner_id, department_id, stage, status, region, amount, probability, created_at, updated_at) VALUES (" +
              std::to_string(rep2) + ", " + std::to_string(east) + ", 'won', 'won', 'south', 77.25, 10, '2025-02-01 10:00:00', '2026-01-01 00:00:07')",
          "fixture.deal.created");
    auto swapped = settled("columnar");
    EXPECT_EQ(swapped["rows"][0][1], 799);
    EXPECT_NEAR(swapped["rows"][0][0].get<double>(), sql("SELECT SUM(amount) FROM col_deals"), 0.01);

    // A writer announces its change from inside its transaction and commits a moment later: the
    // query that raced the commit may miss it, but the first one after the commit does not.
    {
        auto w = host->host().db()->acquire();
        store::Transaction tx(*w);
        w->exec("UPDATE col_deals SET amount = amount + 500, updated_at = '2026-01-01 00:00:09' WHERE id = 11");
        host->host().plugins().events().publish("fixture.deal.updated", "{}");
        total(); // races the commit
        tx.commit();
    }
    auto afterCommit = total();
    EXPECT_EQ(afterCommit["engine"], "columnar");
    EXPECT_NEAR(afterCommit["rows"][0][0].get<double>(), sql("SELECT SUM(amount) FROM col_deals"), 0.01);

    // The admin invalidate API (writes nobody announced) drops the table: the next query reloads.
    {
        auto c = host->host().db()->acquire();
        c->exec("UPDATE col_deals SET amount = 1 WHERE id = 9");
    }
    EXPECT_EQ(admin.post("/api/v1/reports/datasets/fixture.cdeals/invalidate", Json::object()).status, 200);
    EXPECT_NEAR(total()["rows"][0][0].get<double>(), sql("SELECT SUM(amount) FROM col_deals"), 0.01);
}

TEST_P(Columnar, TextComparesAsTheDatabaseDoes) {
    // MariaDB compares text under utf8mb4_unicode_ci ('NORTH' = 'North', 'north ' = 'north');
    // SQLite compares bytes. Either way the columnar answer is the database's answer.
    auto admin = host->adminClient();
    const bool mysql = GetParam() != "sqlite";
    const Json q1 = {{"dataset", "fixture.cdeals"}, {"measures", {"count"}}, {"filters", {{{"field", "region"}, {"op", "="}, {"value", "NORTH"}}}}};
    both(admin, q1, mysql ? "sql" : "columnar"); // not byte-equal to any value: MariaDB decides
    const Json q2 = {{"dataset", "fixture.cdeals"}, {"measures", {"count"}}, {"filters", {{{"field", "region"}, {"op", "in"}, {"value", {"North", "west"}}}}}};
    both(admin, q2, "columnar");
    const Json q3 = {{"dataset", "fixture.cdeals"}, {"measures", {"amount"}}, {"dimensions", {"region"}}};
    both(admin, q3, "columnar");
    // Values that differ only in case: MariaDB groups them as one, so the column goes to SQL there.
    {
        auto c = host->host().db()->acquire();
        c->exec("UPDATE col_deals SET region = 'north', updated_at = '2026-02-01 00:00:00' WHERE id IN (2, 4)");
    }
    host->host().plugins().events().publish("fixture.deal.updated", "{}");
    std::this_thread::sleep_for(std::chrono::milliseconds(1600));
    both(admin, q3, mysql ? "sql" : "columnar");
    both(admin, q2, mysql ? "sql" : "columnar");
    both(admin, {{"dataset", "fixture.cdeals"}, {"measures", {"count"}}, {"dimensions", {"stage"}}}, "columnar"); // other columns unaffected
}

TEST_P(Columnar, ATableOverTheMemoryBudgetStaysInSql) {
    reports::columnar::Options o;
    o.memoryBudget = 4096; // 800 rows do not fit
    reports::columnar::Store small(host->host().db(), o);
    const auto manager = [&] {
        auto conn = host->host().db()->acquire();
        return host->host().identity().loadPrincipal(*conn, mgr);
    }();
    auto ds = engine().dataset("fixture.cdeals");
    ASSERT_TRUE(ds);
    reports::Query q;
    q.dataset = ds->id;
    q.measures = {reports::parseMeasure("count", *ds, 0)};
    EXPECT_FALSE(small.aggregate(manager, *ds, q, {"integer"}, 0));
    auto stats = small.stats();
    EXPECT_EQ(stats["declined"], 1);
    EXPECT_EQ(stats["tables"][0]["state"], "sql") << stats.dump();

    o.memoryBudget = std::size_t{64} << 20;
    reports::columnar::Store roomy(host->host().db(), o);
    auto rows = roomy.aggregate(manager, *ds, q, {"integer"}, 0);
    ASSERT_TRUE(rows);
    EXPECT_EQ((*rows).rows.at(0).at(0), static_cast<std::int64_t>(sql(
        "SELECT COUNT(*) FROM col_deals d WHERE d.owner_id = " + std::to_string(mgr) +
        " OR d.department_id IN (SELECT id FROM departments WHERE path LIKE (SELECT path FROM departments WHERE id = " + std::to_string(east) + ") || '%')")));
}

INSTANTIATE_TEST_SUITE_P(Backends, Columnar, testing::ValuesIn(test::backends()), test::paramName);
