// Every KPI the sales plugin declares, evaluated by the reporting engine over a fixed data set
// (the deterministic demo data, seed 11) and checked against the test's own SQL — on SQLite and
// MariaDB, through the in-memory columnar path and through the SQL path, for an administrator
// (all rows) and for a rep (own rows).
#include "Reporting.h"
#include "TestSupport.h"

#include "app/Demo.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <map>
#include <tuple>

using namespace atrium;
using test::Json;

namespace {

std::string day(int offset) {
    const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + std::chrono::hours(24 * offset));
    std::tm tm{};
    gmtime_r(&t, &tm);
    char b[11];
    std::strftime(b, sizeof b, "%Y-%m-%d", &tm);
    return b;
}

struct Expect {
    std::string kpi;
    std::string numerator;   ///< SQL with :from/:to (inclusive period, to is exclusive next day) and :scope
    std::string denominator; ///< "" for a plain measure
};

} // namespace

class SalesKpis : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ATRIUM_NEED_BACKEND(GetParam());
        app::HostOptions o;
        o.pluginPath = ATRIUM_TEST_PLUGIN_DIR;
        host = std::make_unique<test::TestHost>(GetParam(), o);
        auto& h = host->host();
        ext = std::make_shared<reports::ReportingExtension>();
        h.addExtension(ext);
        ext->start(h);
        const auto size = app::DemoSize{"test", 24, 200, 2, 0.3};
        app::seedCoreDemo(*h.db(), size, 11);
        const auto outcomes = h.plugins().runDemo(size.pluginScale, 11);
        ASSERT_EQ(outcomes.size(), 1u);
        ASSERT_TRUE(outcomes[0].ok) << outcomes[0].message;
        ext->engine().invalidateAll();
    }
    void TearDown() override {
        host.reset();
        ext.reset();
    }

    std::optional<double> sql(std::string q, const std::string& from, const std::string& toExclusive, const std::string& scope) {
        for (auto [key, value] : {std::pair<std::string, std::string>{":from", "'" + from + "'"}, {":to", "'" + toExclusive + "'"}, {":scope", scope}})
            for (std::size_t at; (at = q.find(key)) != std::string::npos;) q.replace(at, key.size(), value);
        auto c = host->host().db()->acquire();
        auto v = c->queryScalar(q);
        if (!v || store::isNull(*v)) return std::nullopt;
        return store::asDouble(*v);
    }

    std::unique_ptr<test::TestHost> host;
    std::shared_ptr<reports::ReportingExtension> ext;
};

TEST_P(SalesKpis, EveryKpiMatchesItsOwnSql) {
    // Half a year back and a quarter ahead: closed deals and the open pipeline are both in it.
    const std::string from = day(-180), to = day(90);
    const std::string prevFrom = day(-180 - 271), prevTo = day(-181);
    const std::string o = "FROM sales_opportunities WHERE :scope";
    const std::vector<Expect> expects = {
        {"sales.won_revenue", "SELECT SUM(amount) " + o + " AND status = 'won' AND closed_at >= :from AND closed_at < :to", ""},
        {"sales.won_count", "SELECT COUNT(*) " + o + " AND status = 'won' AND closed_at >= :from AND closed_at < :to", ""},
        {"sales.win_rate", "SELECT SUM(is_won) " + o + " AND closed_at >= :from AND closed_at < :to",
         "SELECT SUM(is_closed) " + o + " AND closed_at >= :from AND closed_at < :to"},
        {"sales.pipeline_value", "SELECT SUM(amount) " + o + " AND status = 'open' AND expected_close_date >= :from AND expected_close_date < :to", ""},
        {"sales.weighted_pipeline",
         "SELECT SUM(weighted_amount) " + o + " AND status = 'open' AND expected_close_date >= :from AND expected_close_date < :to", ""},
        {"sales.average_deal_size", "SELECT AVG(amount) " + o + " AND status = 'won' AND closed_at >= :from AND closed_at < :to", ""},
        {"sales.sales_cycle", "SELECT AVG(cycle_days) " + o + " AND status = 'won' AND closed_at >= :from AND closed_at < :to", ""},
        {"sales.stage_conversion", "SELECT SUM(is_forward) FROM sales_stage_history WHERE :scope AND changed_at >= :from AND changed_at < :to",
         "SELECT COUNT(*) FROM sales_stage_history WHERE :scope AND movement <> 'created' AND changed_at >= :from AND changed_at < :to"},
        {"sales.lead_conversion", "SELECT SUM(is_converted) FROM sales_leads WHERE :scope AND created_at >= :from AND created_at < :to",
         "SELECT COUNT(*) FROM sales_leads WHERE :scope AND created_at >= :from AND created_at < :to"},
        {"sales.new_leads", "SELECT COUNT(*) FROM sales_leads WHERE :scope AND created_at >= :from AND created_at < :to", ""},
        // Each quota with what its owner won inside the quota's own period.
        {"sales.quota_attainment",
         "SELECT SUM((SELECT COALESCE(SUM(x.amount), 0) FROM sales_opportunities x WHERE x.owner_id = q.user_id AND x.is_won = 1 "
         "AND x.closed_at >= q.period_start AND x.closed_at < q.period_end)) FROM sales_quotas q "
         "WHERE :scope AND q.period_type = 'month' AND q.period_start >= :from AND q.period_start < :to",
         "SELECT SUM(q.amount) FROM sales_quotas q WHERE :scope AND q.period_type = 'month' AND q.period_start >= :from AND q.period_start < :to"},
        {"sales.forecast_accuracy",
         "SELECT SUM((SELECT COALESCE(SUM(x.amount), 0) FROM sales_opportunities x WHERE x.owner_id = s.owner_id AND x.is_won = 1 "
         "AND x.closed_at >= s.period_start AND x.closed_at < s.period_end)) FROM sales_forecast_snapshots s "
         "WHERE :scope AND s.period_start >= :from AND s.period_start < :to",
         "SELECT SUM(s.forecast_amount) FROM sales_forecast_snapshots s WHERE :scope AND s.period_start >= :from AND s.period_start < :to"},
    };
    // Sanity: the data set has something in every KPI's period.
    ASSERT_GT(*sql(expects[0].numerator, from, day(91), "1=1"), 0);

    // A demo rep with won deals in the period: their KPIs cover their own rows only.
    auto c = host->host().db()->acquire();
    const auto repId = store::asInt(*c->queryScalar(
        "SELECT o.owner_id FROM sales_opportunities o JOIN user_roles ur ON ur.user_id = o.owner_id JOIN roles r ON r.id = ur.role_id "
        "WHERE r.name = 'rep' AND o.status = 'won' AND o.closed_at >= ? GROUP BY o.owner_id ORDER BY COUNT(*) DESC LIMIT 1",
        {from}));
    const auto repEmail = store::asText(*c->queryScalar("SELECT email FROM users WHERE id = ?", {repId}));
    test::Client rep(host->port());
    ASSERT_EQ(rep.login(repEmail, app::kDemoPassword).status, 200);
    auto admin = host->adminClient();

    auto& engine = ext->engine();
    engine.setCacheEnabled(false);
    int checked = 0;
    for (const bool columnar : {true, false}) {
        engine.columns().setEnabled(columnar);
        for (const auto& e : expects) {
            for (auto* client : {&admin, &rep}) {
                const bool isRep = client == &rep;
                // Rep: own rows (the quota/forecast tables name the owner user_id / owner_id).
                std::string scope = "1=1";
                if (isRep) {
                    const std::string col = e.kpi == "sales.quota_attainment" ? "q.user_id" : e.kpi == "sales.forecast_accuracy" ? "s.owner_id" : "owner_id";
                    scope = col + " = " + std::to_string(repId);
                }
                auto r = client->post("/api/v1/reports/kpis/" + e.kpi + "/evaluate", {{"period", {{"from", from}, {"to", to}}}});
                ASSERT_EQ(r.status, 200) << e.kpi << ": " << r.body;
                const auto j = r.json();
                auto expected = [&](const std::string& f, const std::string& tExclusive) -> std::optional<double> {
                    auto n = sql(e.numerator, f, tExclusive, scope);
                    if (e.denominator.empty()) {
                        if (!n && e.numerator.rfind("SELECT SUM", 0) == 0) return 0.0; // an empty sum is 0
                        if (!n && e.numerator.rfind("SELECT COUNT", 0) == 0) return 0.0;
                        return n;
                    }
                    auto d = sql(e.denominator, f, tExclusive, scope);
                    if (!d || *d == 0) return std::nullopt;
                    return n.value_or(0) / *d;
                };
                const auto want = expected(from, day(91));
                const auto wantPrev = expected(prevFrom, day(-180));
                const auto where = e.kpi + (isRep ? " (rep)" : " (admin)") + (columnar ? " columnar" : " sql");
                // MariaDB's AVG is a DECIMAL with four more places than its argument.
                const double tol = GetParam() == "sqlite" ? 1e-9 : 1e-5;
                if (want) {
                    ASSERT_TRUE(j["value"].is_number()) << where << ": " << j.dump();
                    EXPECT_NEAR(j["value"].get<double>(), *want, tol * std::max(1.0, std::fabs(*want))) << where;
                } else {
                    EXPECT_TRUE(j["value"].is_null()) << where << ": " << j.dump();
                }
                if (wantPrev && j["previous"].is_number())
                    EXPECT_NEAR(j["previous"].get<double>(), *wantPrev, tol * std::max(1.0, std::fabs(*wantPrev))) << where << " previous";
                else
                    EXPECT_EQ(wantPrev.has_value(), j["previous"].is_number()) << where << " previous: " << j.dump();
                ++checked;
            }
        }
    }
    EXPECT_EQ(checked, 12 * 2 * 2);
    (void)prevTo;
}

// Report groupings name what they group by: statuses and categories by their declared labels,
// stage and pipeline ids by the names in the plugin's tables, in the caller's language.
TEST_P(SalesKpis, GroupingsNameStatusesStagesAndPipelines) {
    auto& engine = ext->engine();
    for (const auto& d : host->host().plugins().catalog().datasets())
        if (d["id"].get<std::string>().rfind("sales.", 0) == 0 && d.value("kind", std::string("dataset")) == "dataset") {
            EXPECT_TRUE(engine.dataset(d["id"].get<std::string>())) << "the engine refused " << d["id"];
        }

    auto c = host->host().db()->acquire();
    const auto repId = store::asInt(*c->queryScalar(
        "SELECT o.owner_id FROM sales_opportunities o JOIN user_roles ur ON ur.user_id = o.owner_id JOIN roles r ON r.id = ur.role_id "
        "WHERE r.name = 'rep' GROUP BY o.owner_id ORDER BY COUNT(*) DESC LIMIT 1"));
    c->execute("UPDATE users SET locale = 'zh-CN' WHERE id = ?", {repId});
    host->host().identity().invalidateCaches();
    test::Client rep(host->port());
    ASSERT_EQ(rep.login(store::asText(*c->queryScalar("SELECT email FROM users WHERE id = ?", {repId})), app::kDemoPassword).status, 200);
    auto admin = host->adminClient();
    auto names = [&](const std::string& table, bool zh) {
        std::map<std::string, std::string> out;
        for (auto& r : c->queryAll("SELECT id, " + std::string(zh ? "name_zh" : "name") + " FROM " + table)) out[store::asText(r[0])] = store::asText(r[1]);
        return out;
    };
    for (auto* client : {&admin, &rep}) {
        const bool zh = client == &rep;
        auto group = [&](const char* dataset, const char* dimension) {
            auto r = client->post("/api/v1/reports/query", {{"dataset", dataset}, {"measures", {"id"}}, {"dimensions", {dimension}}});
            EXPECT_EQ(r.status, 200) << r.body;
            return r.json();
        };
        // Every value present has its name (the same words as the sales pages).
        using Names = std::map<std::string, std::pair<std::string, std::string>>;
        const std::vector<std::tuple<const char*, const char*, Names>> enums = {
            {"sales.opportunities", "status", {{"open", {"Open", "进行中"}}, {"won", {"Won", "赢单"}}, {"lost", {"Lost", "输单"}}}},
            {"sales.opportunities", "forecast_category",
             {{"pipeline", {"Pipeline", "管道"}}, {"best_case", {"Best case", "最佳情况"}}, {"commit", {"Commit", "承诺"}},
              {"omitted", {"Omitted", "不计入"}}, {"closed", {"Closed", "已关闭"}}}},
            {"sales.stage_history", "movement",
             {{"created", {"Created", "创建"}}, {"forward", {"Moved forward", "推进"}}, {"backward", {"Moved back", "回退"}},
              {"same", {"Same stage", "阶段未变"}}, {"won", {"Won", "赢单"}}, {"lost", {"Lost", "输单"}}}},
            {"sales.leads", "source",
             {{"web", {"Website", "官网"}}, {"referral", {"Referral", "客户推荐"}}, {"partner", {"Partner", "合作伙伴"}}, {"event", {"Event", "展会活动"}},
              {"cold_call", {"Cold call", "电话陌拜"}}, {"advertising", {"Advertising", "广告"}}, {"other", {"Other", "其他"}}}},
        };
        for (const auto& [dataset, dimension, expected] : enums) {
            auto r = group(dataset, dimension);
            ASSERT_FALSE(r["rows"].empty()) << dimension;
            for (const auto& row : r["rows"]) {
                const auto v = row[0].get<std::string>();
                ASSERT_TRUE(expected.count(v)) << dimension << ": a value without a label: " << v;
                EXPECT_EQ(r["labels"][dimension][v], zh ? expected.at(v).second : expected.at(v).first) << dimension << " " << v;
            }
        }
        for (const auto& [table, dataset, dimension] : {std::tuple{"sales_stages", "sales.opportunities", "stage_id"},
                                                         std::tuple{"sales_pipelines", "sales.opportunities", "pipeline_id"},
                                                         std::tuple{"sales_stages", "sales.stage_history", "to_stage_id"}}) {
            const auto expected = names(table, zh);
            auto r = group(dataset, dimension);
            ASSERT_FALSE(r["rows"].empty()) << dimension;
            for (const auto& row : r["rows"]) {
                ASSERT_TRUE(row[0].is_number_integer()) << dimension << ": rows keep the ids";
                const auto id = std::to_string(row[0].get<std::int64_t>());
                EXPECT_EQ(r["labels"][dimension][id], expected.at(id)) << dimension << " " << id;
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, SalesKpis, testing::ValuesIn(test::backends()), test::paramName);
