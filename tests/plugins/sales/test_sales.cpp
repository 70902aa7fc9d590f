// The Sales plugin loaded by a real host from the build's plugin folder and driven through its
// REST API, on SQLite and on MariaDB.
#include "TestSupport.h"

#include "app/Demo.h"
#include "Reporting.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>

#include <unistd.h>

using namespace atrium;
using test::Json;

namespace {

std::string dateOffset(int days) {
    const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + std::chrono::hours(24 * days));
    std::tm tm{};
    gmtime_r(&t, &tm);
    char b[11];
    std::strftime(b, sizeof b, "%Y-%m-%d", &tm);
    return b;
}

/// First day of the current month / quarter, and a day inside the current month that is not
/// before today (so "expected close" lands in the current period).
std::string periodStart(bool quarter) {
    auto today = dateOffset(0);
    int month = std::stoi(today.substr(5, 2));
    if (quarter) month = (month - 1) / 3 * 3 + 1;
    char b[11];
    std::snprintf(b, sizeof b, "%s-%02d-01", today.substr(0, 4).c_str(), month);
    return b;
}

std::int64_t countRows(app::Host& host, const std::string& sql) {
    auto c = host.db()->acquire();
    return store::asInt(*c->queryScalar(sql));
}

} // namespace

class SalesTest : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ATRIUM_NEED_BACKEND(GetParam());
        app::HostOptions o;
        o.pluginPath = ATRIUM_TEST_PLUGIN_DIR;
        host = std::make_unique<test::TestHost>(GetParam(), o);
        auto st = host->host().plugins().status("sales");
        ASSERT_TRUE(st.has_value()) << "the sales plugin was not found in " << ATRIUM_TEST_PLUGIN_DIR;
        ASSERT_EQ(st->state, plugins::PluginState::Loaded) << st->reason;
        admin = std::make_unique<test::Client>(host->adminClient());

        const auto root = host->host().identity().ensureRootDepartment();
        east = host->addDepartment("East", root);
        west = host->addDepartment("West", root);
        mgrEast = host->addUser("mgr.east@example.com", {"manager"}, east);
        rep1 = host->addUser("rep1@example.com", {"rep"}, east, mgrEast);
        rep2 = host->addUser("rep2@example.com", {"rep"}, east, mgrEast);
        repWest = host->addUser("rep.west@example.com", {"rep"}, west);
        analyst = host->addUser("analyst@example.com", {"analyst"}, root);
        account1 = account("Acme Shanghai", rep1);
        account2 = account("Beta Beijing", rep2);
        accountWest = account("Gamma Chengdu", repWest);
    }

    std::int64_t account(const std::string& name, std::int64_t owner) {
        auto r = admin->post("/api/v1/accounts", {{"name", name}, {"owner_id", owner}, {"industry", "Finance"}});
        EXPECT_EQ(r.status, 201) << r.body;
        return r.json()["id"].get<std::int64_t>();
    }

    test::Client login(const std::string& email) {
        test::Client c(host->port());
        auto r = c.login(email, test::kAdminPassword);
        EXPECT_EQ(r.status, 200) << r.body;
        return c;
    }

    /// Stage id by pipeline code and stage position.
    std::int64_t stage(const std::string& pipeline, int position) {
        // Keep the document alive: ranging over a member of a temporary would dangle.
        const Json doc = admin->get("/api/v1/sales/pipelines").json();
        for (const auto& p : doc["items"])
            if (p["code"] == pipeline)
                for (const auto& s : p["stages"])
                    if (s["position"] == position) return s["id"].get<std::int64_t>();
        ADD_FAILURE() << "no stage " << position << " in " << pipeline;
        return 0;
    }

    std::int64_t pipeline(const std::string& code) {
        const Json doc = admin->get("/api/v1/sales/pipelines").json();
        for (const auto& p : doc["items"])
            if (p["code"] == code) return p["id"].get<std::int64_t>();
        ADD_FAILURE() << "no pipeline " << code;
        return 0;
    }

    Json opportunity(test::Client& c, const Json& fields) {
        Json body = {{"name", "Deal"}, {"account_id", account1}, {"amount", 1000}, {"expected_close_date", dateOffset(0)}};
        for (const auto& [k, v] : fields.items()) body[k] = v;
        auto r = c.post("/api/v1/sales/opportunities", body);
        EXPECT_EQ(r.status, 201) << r.body;
        return r.json();
    }

    Json put(test::Client& c, const std::string& path, Json body) {
        auto current = c.get(path);
        EXPECT_EQ(current.status, 200) << current.body;
        body["version"] = current.json()["version"];
        auto r = c.put(path, body);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json();
    }

    std::unique_ptr<test::TestHost> host;
    std::unique_ptr<test::Client> admin;
    std::int64_t east = 0, west = 0, mgrEast = 0, rep1 = 0, rep2 = 0, repWest = 0, analyst = 0;
    std::int64_t account1 = 0, account2 = 0, accountWest = 0;
};

TEST_P(SalesTest, DeclaresItsDatasetsKpisAndPipelines) {
    const auto kpis = host->host().plugins().catalog().kpis();
    std::set<std::string> ids;
    for (const auto& k : kpis) ids.insert(k["id"].get<std::string>());
    for (const char* id : {"sales.won_revenue", "sales.won_count", "sales.win_rate", "sales.pipeline_value", "sales.weighted_pipeline",
                           "sales.average_deal_size", "sales.sales_cycle", "sales.stage_conversion", "sales.lead_conversion", "sales.new_leads",
                           "sales.quota_attainment", "sales.forecast_accuracy"})
        EXPECT_TRUE(ids.count(id)) << id;
    for (const auto& k : kpis)
        if (k["id"].get<std::string>().rfind("sales.", 0) == 0) {
            EXPECT_TRUE(k["name"].contains("zh-CN")) << k.dump();
            EXPECT_NE(k["name"]["zh-CN"], k["name"]["en"]) << k.dump();
        }
    for (const auto& d : host->host().plugins().catalog().datasets())
        if (d["id"].get<std::string>().rfind("sales.", 0) == 0) {
            EXPECT_EQ(d["scope"]["owner"], "owner_id") << d.dump();
            EXPECT_EQ(d["scope"]["department"], "department_id") << d.dump();
        }
    auto pipelines = admin->get("/api/v1/sales/pipelines");
    ASSERT_EQ(pipelines.status, 200) << pipelines.body;
    ASSERT_EQ(pipelines.json()["items"].size(), 3u);
    const Json first = pipelines.json()["items"][0];
    EXPECT_EQ(first["code"], "new_business");
    int last = 0;
    for (const auto& s : first["stages"]) {
        EXPECT_GT(s["position"].get<int>(), last);
        last = s["position"].get<int>();
    }
    EXPECT_EQ(first["stages"][3]["probability"], 60);
}

TEST_P(SalesTest, StageHistoryRecordsEveryMoveWithWhoAndWhen) {
    auto rep = login("rep1@example.com");
    auto created = opportunity(rep, {{"name", "Core banking CRM"}, {"amount", 250000}});
    const auto id = created["id"].get<std::int64_t>();
    const std::string path = "/api/v1/sales/opportunities/" + std::to_string(id);
    EXPECT_EQ(created["status"], "open");
    EXPECT_EQ(created["probability"], 10);
    EXPECT_EQ(created["weighted_amount"], 25000);
    EXPECT_EQ(created["owner_id"], rep1);
    EXPECT_EQ(created["department_id"], east) << "records carry the owner's department";

    put(rep, path, {{"stage_id", stage("new_business", 4)}});
    put(rep, path, {{"stage_id", stage("new_business", 2)}});
    auto lostWithoutReason = rep.put(path, {{"stage_id", stage("new_business", 7)}, {"version", rep.get(path).json()["version"]}});
    EXPECT_EQ(lostWithoutReason.status, 422) << lostWithoutReason.body;
    EXPECT_TRUE(lostWithoutReason.json()["error"]["fields"].contains("lost_reason"));
    auto won = put(rep, path, {{"stage_id", stage("new_business", 6)}});
    EXPECT_EQ(won["status"], "won");
    EXPECT_EQ(won["probability"], 100);
    EXPECT_FALSE(won["closed_at"].is_null());
    EXPECT_EQ(won["cycle_days"], 0);

    const auto& history = won["stage_history"];
    ASSERT_EQ(history.size(), 4u) << history.dump();
    const char* movements[] = {"created", "forward", "backward", "won"};
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(history[i]["movement"], movements[i]) << history.dump();
        EXPECT_EQ(history[i]["changed_by"], rep1);
        EXPECT_FALSE(history[i]["changed_at"].get<std::string>().empty());
    }
    EXPECT_TRUE(history[0]["from_stage_id"].is_null());
    EXPECT_EQ(history[1]["from_stage_id"], history[0]["to_stage_id"]);
    EXPECT_EQ(history[3]["to"], "Closed won");

    // The customer's timeline tells the story, and the audit log has the writes.
    auto timeline = admin->get("/api/v1/accounts/" + std::to_string(account1) + "/timeline");
    ASSERT_EQ(timeline.status, 200) << timeline.body;
    std::set<std::string> kinds;
    const Json entries = timeline.json()["items"];
    for (const auto& e : entries) kinds.insert(e["kind"].get<std::string>());
    EXPECT_TRUE(kinds.count("won")) << timeline.body;
    EXPECT_TRUE(kinds.count("stage_changed")) << timeline.body;
    EXPECT_EQ(countRows(host->host(), "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'sales.opportunity' AND entity_id = " +
                                          std::to_string(id)),
              4);
}

TEST_P(SalesTest, StaleWritesAre409AndNothingChanges) {
    auto rep = login("rep1@example.com");
    const auto id = opportunity(rep, {})["id"].get<std::int64_t>();
    const std::string path = "/api/v1/sales/opportunities/" + std::to_string(id);
    ASSERT_EQ(rep.put(path, {{"amount", 2000}, {"version", 1}}).status, 200);
    auto stale = rep.put(path, {{"amount", 3000}, {"version", 1}});
    EXPECT_EQ(stale.status, 409) << stale.body;
    EXPECT_EQ(stale.json()["error"]["code"], "conflict");
    EXPECT_EQ(rep.get(path).json()["amount"], 2000);
    auto missing = rep.put(path, {{"amount", 3000}});
    EXPECT_EQ(missing.status, 422);
    EXPECT_TRUE(missing.json()["error"]["fields"].contains("version"));
}

TEST_P(SalesTest, ValidationErrorsNameEveryField) {
    auto rep = login("rep1@example.com");
    auto empty = rep.post("/api/v1/sales/opportunities", Json::object());
    ASSERT_EQ(empty.status, 422) << empty.body;
    auto fields = empty.json()["error"]["fields"];
    for (const char* f : {"name", "account_id", "expected_close_date", "amount"}) EXPECT_TRUE(fields.contains(f)) << f << " " << empty.body;

    auto bad = rep.post("/api/v1/sales/opportunities", {{"name", std::string(300, 'x')},
                                                        {"account_id", 999999},
                                                        {"amount", -5},
                                                        {"currency", "XXX"},
                                                        {"expected_close_date", "2026-02-30"},
                                                        {"probability", 150},
                                                        {"forecast_category", "maybe"},
                                                        {"products", Json::array({{{"product_id", 424242}, {"quantity", 0}}})}});
    ASSERT_EQ(bad.status, 422) << bad.body;
    fields = bad.json()["error"]["fields"];
    for (const char* f : {"name", "account_id", "amount", "currency", "expected_close_date", "probability", "forecast_category", "products[0]"})
        EXPECT_TRUE(fields.contains(f)) << f << " " << bad.body;

    EXPECT_EQ(rep.post("/api/v1/sales/opportunities", {{"name", "X"}, {"is_won", 1}}).status, 400) << "unknown fields are refused";
    EXPECT_EQ(rep.get("/api/v1/sales/opportunities?sort=password").status, 400);
    EXPECT_EQ(rep.get("/api/v1/sales/opportunities?limit=100000").status, 400);
    EXPECT_EQ(rep.get("/api/v1/sales/opportunities?colour=red").status, 400);
    EXPECT_EQ(rep.get("/api/v1/sales/opportunities?closing_from=tomorrow").status, 400);
    EXPECT_EQ(rep.request("POST", "/api/v1/sales/leads", "{not json").status, 400);
    auto lead = rep.post("/api/v1/sales/leads", {{"first_name", ""}, {"company", "X"}, {"source", "telepathy"}, {"email", "nope"}, {"size_band", "huge"}});
    ASSERT_EQ(lead.status, 422) << lead.body;
    for (const char* f : {"first_name", "source", "email", "size_band"}) EXPECT_TRUE(lead.json()["error"]["fields"].contains(f)) << f;
    auto quota = admin->put("/api/v1/sales/quotas", {{"user_id", rep1}, {"period_type", "quarter"}, {"period_start", "2026-02-01"}, {"amount", 10}});
    ASSERT_EQ(quota.status, 422) << quota.body;
    EXPECT_TRUE(quota.json()["error"]["fields"].contains("period_start")) << "a quarter starts on its first day";
}

TEST_P(SalesTest, LeadScoreFollowsTheConfigurableRules) {
    auto rep = login("rep1@example.com");
    auto lead = rep.post("/api/v1/sales/leads", {{"first_name", "Mei"},
                                                 {"company", "Hua Bank"},
                                                 {"source", "referral"},
                                                 {"industry", "Finance"},
                                                 {"size_band", "1000+"},
                                                 {"last_activity_at", dateOffset(-2)}});
    ASSERT_EQ(lead.status, 201) << lead.body;
    // referral 30 + Finance 15 + 1000+ 25 + activity within 7 days 25.
    EXPECT_EQ(lead.json()["score"], 95);
    const auto id = lead.json()["id"].get<std::int64_t>();
    auto cold = put(rep, "/api/v1/sales/leads/" + std::to_string(id), {{"source", "cold_call"}, {"last_activity_at", dateOffset(-20)}});
    EXPECT_EQ(cold["score"], 5 + 15 + 25 + 15);

    EXPECT_EQ(rep.put("/api/v1/sales/score-rules", {{"rules", Json::array()}}).status, 403) << "reps do not change the rules";
    auto rules = admin->put("/api/v1/sales/score-rules", {{"rules", Json::array({{{"criterion", "industry"}, {"match_value", "Finance"}, {"points", 40}},
                                                                                 {{"criterion", "recency_days"}, {"match_value", "30"}, {"points", 20}}})}});
    ASSERT_EQ(rules.status, 200) << rules.body;
    auto bad = admin->put("/api/v1/sales/score-rules", {{"rules", Json::array({{{"criterion", "recency_days"}, {"match_value", "soon"}, {"points", 5}}})}});
    EXPECT_EQ(bad.status, 422) << bad.body;
    ASSERT_EQ(admin->post("/api/v1/sales/leads/rescore", Json::object()).status, 201);
    EXPECT_EQ(rep.get("/api/v1/sales/leads/" + std::to_string(id)).json()["score"], 60);
}

TEST_P(SalesTest, LeadConversionIsOneTransaction) {
    auto rep = login("rep1@example.com");
    auto lead = rep.post("/api/v1/sales/leads", {{"first_name", "Li"},
                                                 {"last_name", "Na"},
                                                 {"company", "Zhongke Robotics"},
                                                 {"email", "li.na@zhongke.example.cn"},
                                                 {"source", "event"},
                                                 {"industry", "Manufacturing"},
                                                 {"size_band", "201-1000"},
                                                 {"city", "Suzhou"}});
    ASSERT_EQ(lead.status, 201) << lead.body;
    const auto id = lead.json()["id"].get<std::int64_t>();
    const std::string path = "/api/v1/sales/leads/" + std::to_string(id);
    put(rep, path, {{"status", "qualified"}});

    auto& h = host->host();
    const auto accounts = countRows(h, "SELECT COUNT(*) FROM accounts");
    const auto contacts = countRows(h, "SELECT COUNT(*) FROM contacts");
    const auto opportunities = countRows(h, "SELECT COUNT(*) FROM sales_opportunities");
    const auto timeline = countRows(h, "SELECT COUNT(*) FROM timeline_events");
    const auto audit = countRows(h, "SELECT COUNT(*) FROM audit_log");

    // The account is created first; the contact then fails the core's validation: nothing of
    // the conversion may remain.
    auto failed = rep.post(path + "/convert", {{"contact", {{"title", std::string(150, 't')}}}, {"opportunity", {{"amount", 90000}}}});
    ASSERT_EQ(failed.status, 422) << failed.body;
    EXPECT_TRUE(failed.json()["error"]["fields"].contains("contact")) << failed.body;
    EXPECT_EQ(countRows(h, "SELECT COUNT(*) FROM accounts"), accounts);
    EXPECT_EQ(countRows(h, "SELECT COUNT(*) FROM contacts"), contacts);
    EXPECT_EQ(countRows(h, "SELECT COUNT(*) FROM sales_opportunities"), opportunities);
    EXPECT_EQ(countRows(h, "SELECT COUNT(*) FROM timeline_events"), timeline);
    EXPECT_EQ(countRows(h, "SELECT COUNT(*) FROM audit_log"), audit);
    EXPECT_EQ(rep.get(path).json()["status"], "qualified");

    // Failing at the very end (a bad opportunity stage) also leaves nothing.
    auto badStage = rep.post(path + "/convert", {{"opportunity", {{"stage_id", stage("new_business", 6)}}}});
    ASSERT_EQ(badStage.status, 422) << badStage.body;
    EXPECT_TRUE(badStage.json()["error"]["fields"].contains("opportunity.stage_id")) << badStage.body;
    EXPECT_EQ(countRows(h, "SELECT COUNT(*) FROM accounts"), accounts);
    EXPECT_EQ(countRows(h, "SELECT COUNT(*) FROM contacts"), contacts);

    auto ok = rep.post(path + "/convert", {{"opportunity", {{"name", "Robot line CRM"}, {"amount", 90000}, {"expected_close_date", dateOffset(30)}}}});
    ASSERT_EQ(ok.status, 201) << ok.body;
    const auto result = ok.json();
    const auto accountId = result["account_id"].get<std::int64_t>();
    auto acc = admin->get("/api/v1/accounts/" + std::to_string(accountId));
    ASSERT_EQ(acc.status, 200);
    EXPECT_EQ(acc.json()["name"], "Zhongke Robotics");
    EXPECT_EQ(acc.json()["owner_id"], rep1);
    EXPECT_EQ(acc.json()["city"], "Suzhou");
    auto contact = admin->get("/api/v1/contacts/" + std::to_string(result["contact_id"].get<std::int64_t>()));
    ASSERT_EQ(contact.status, 200);
    EXPECT_EQ(contact.json()["email"], "li.na@zhongke.example.cn");
    EXPECT_EQ(contact.json()["account_id"], accountId);
    auto opp = rep.get("/api/v1/sales/opportunities/" + std::to_string(result["opportunity_id"].get<std::int64_t>()));
    ASSERT_EQ(opp.status, 200);
    EXPECT_EQ(opp.json()["lead_id"], id);
    EXPECT_EQ(opp.json()["amount"], 90000);
    auto converted = rep.get(path).json();
    EXPECT_EQ(converted["status"], "converted");
    EXPECT_EQ(converted["converted_account_id"], accountId);
    EXPECT_EQ(result["timeline_entries_carried"], 2) << "created + status change";

    // The lead's history is now on the customer's timeline.
    auto tl = admin->get("/api/v1/accounts/" + std::to_string(accountId) + "/timeline");
    int fromLead = 0;
    const Json tlItems = tl.json()["items"];
    for (const auto& e : tlItems)
        if (e.contains("entity_type") && e["entity_type"] == "sales.lead") ++fromLead;
    EXPECT_GE(fromLead, 3) << tl.body;

    EXPECT_EQ(rep.post(path + "/convert", Json::object()).status, 409) << "a lead converts once";
}

TEST_P(SalesTest, ForecastMatchesHandComputedFigures) {
    auto rep = login("rep1@example.com");
    const auto close = dateOffset(0);
    // Within the current quarter:
    opportunity(rep, {{"name", "A"}, {"amount", 10000}, {"stage_id", stage("new_business", 4)}});            // 60%, best case
    opportunity(rep, {{"name", "B"}, {"amount", 20000}, {"stage_id", stage("new_business", 5)}});            // 80%, commit
    opportunity(rep, {{"name", "C"}, {"amount", 5000}});                                                     // 10%, pipeline
    const auto d = opportunity(rep, {{"name", "D"}, {"amount", 8000}})["id"].get<std::int64_t>();           // → won
    const auto e = opportunity(rep, {{"name", "E"}, {"amount", 3000}})["id"].get<std::int64_t>();           // → lost
    opportunity(rep, {{"name", "F"}, {"amount", 7000}, {"stage_id", stage("new_business", 4)}, {"forecast_category", "omitted"}});
    opportunity(rep, {{"name", "G"}, {"amount", 50000}, {"stage_id", stage("new_business", 5)}, {"expected_close_date", dateOffset(400)}});
    put(rep, "/api/v1/sales/opportunities/" + std::to_string(d), {{"stage_id", stage("new_business", 6)}});
    put(rep, "/api/v1/sales/opportunities/" + std::to_string(e), {{"stage_id", stage("new_business", 7)}, {"lost_reason", "Price"}});
    // Another rep in the same team, and one in the West.
    auto rep2c = login("rep2@example.com");
    opportunity(rep2c, {{"name", "H"}, {"account_id", account2}, {"amount", 4000}, {"pipeline_id", pipeline("renewal")}, {"stage_id", stage("renewal", 2)}}); // 70%, commit
    auto westc = login("rep.west@example.com");
    opportunity(westc, {{"name", "W"}, {"account_id", accountWest}, {"amount", 100000}, {"stage_id", stage("new_business", 5)}});
    ASSERT_EQ(admin->put("/api/v1/sales/quotas", {{"user_id", rep1}, {"period_type", "quarter"}, {"period_start", periodStart(true)}, {"amount", 40000}})
                  .status,
              200);

    auto f = rep.get("/api/v1/sales/forecast?period_type=quarter&group=owner");
    ASSERT_EQ(f.status, 200) << f.body;
    const auto t = f.json()["total"];
    EXPECT_EQ(t["pipeline"], 35000) << f.body;           // A + B + C
    EXPECT_EQ(t["weighted_pipeline"], 22500) << f.body;  // 6000 + 16000 + 500
    EXPECT_EQ(t["closed_won"], 8000) << f.body;          // D
    EXPECT_EQ(t["commit"], 28000) << f.body;             // D + B
    EXPECT_EQ(t["best_case"], 38000) << f.body;          // commit + A
    EXPECT_EQ(t["forecast"], 30500) << f.body;           // closed won + weighted
    EXPECT_EQ(t["quota"], 40000) << f.body;
    EXPECT_EQ(t["attainment"], 20) << f.body;            // 8000 / 40000
    ASSERT_EQ(f.json()["items"].size(), 1u) << "a rep sees only their own figures";
    EXPECT_EQ(f.json()["items"][0]["label"], "rep1");

    auto team = login("mgr.east@example.com").get("/api/v1/sales/forecast?period_type=quarter&group=team");
    ASSERT_EQ(team.status, 200) << team.body;
    ASSERT_EQ(team.json()["items"].size(), 1u) << team.body;
    EXPECT_EQ(team.json()["items"][0]["key"], east);
    EXPECT_EQ(team.json()["total"]["weighted_pipeline"], 22500 + 2800) << team.body;
    EXPECT_EQ(team.json()["total"]["commit"], 28000 + 4000) << team.body;

    auto all = admin->get("/api/v1/sales/forecast?period_type=quarter&group=department");
    ASSERT_EQ(all.status, 200) << all.body;
    EXPECT_EQ(all.json()["items"].size(), 2u) << all.body;
    EXPECT_EQ(all.json()["total"]["weighted_pipeline"], 22500 + 2800 + 80000) << all.body;
    EXPECT_EQ(admin->get("/api/v1/sales/forecast?group=planet").status, 400);
    EXPECT_EQ(rep2c.post("/api/v1/sales/opportunities", {{"name", "mismatch"}, {"account_id", account2}, {"amount", 1},
                                                         {"expected_close_date", close}, {"stage_id", stage("renewal", 2)}})
                  .status,
              422)
        << "a stage of another pipeline is refused";

    // A snapshot records the forecast per owner for accuracy reporting.
    auto snap = login("mgr.east@example.com").post("/api/v1/sales/forecast/snapshots", {{"period_type", "quarter"}});
    ASSERT_EQ(snap.status, 201) << snap.body;
    EXPECT_EQ(snap.json()["owners"], 2) << "the manager's department only";
}

TEST_P(SalesTest, QuotaAttainmentPerOwnerAndTeam) {
    const auto month = periodStart(false);
    ASSERT_EQ(admin->put("/api/v1/sales/quotas", {{"user_id", rep1}, {"period_type", "month"}, {"period_start", month}, {"amount", 10000}}).status, 200);
    auto mgr = login("mgr.east@example.com");
    auto q2 = mgr.put("/api/v1/sales/quotas", {{"user_id", rep2}, {"period_type", "month"}, {"period_start", month}, {"amount", 5000}});
    ASSERT_EQ(q2.status, 200) << q2.body;
    EXPECT_EQ(mgr.put("/api/v1/sales/quotas", {{"user_id", repWest}, {"period_type", "month"}, {"period_start", month}, {"amount", 1}}).status, 403)
        << "a manager sets quotas only inside their department";
    auto rep = login("rep1@example.com");
    EXPECT_EQ(rep.put("/api/v1/sales/quotas", {{"user_id", rep1}, {"period_type", "month"}, {"period_start", month}, {"amount", 1}}).status, 403);
    for (int amount : {6000, 1500}) {
        const auto id = opportunity(rep, {{"amount", amount}})["id"].get<std::int64_t>();
        put(rep, "/api/v1/sales/opportunities/" + std::to_string(id), {{"stage_id", stage("new_business", 6)}});
    }
    auto mine = rep.get("/api/v1/sales/quotas/attainment?period_type=month");
    ASSERT_EQ(mine.status, 200) << mine.body;
    EXPECT_EQ(mine.json()["total"]["quota"], 10000);
    EXPECT_EQ(mine.json()["total"]["closed_won"], 7500);
    EXPECT_EQ(mine.json()["total"]["attainment"], 75) << mine.body;

    auto team = mgr.get("/api/v1/sales/quotas/attainment?period_type=month&group=team");
    ASSERT_EQ(team.status, 200) << team.body;
    EXPECT_EQ(team.json()["total"]["quota"], 15000);
    EXPECT_EQ(team.json()["total"]["attainment"], 50) << team.body;
    auto list = mgr.get("/api/v1/sales/quotas?period_type=month");
    EXPECT_EQ(list.json()["total"], 2);
}

TEST_P(SalesTest, RecordScopeRepSeesOwnManagerTheDepartment) {
    auto r1 = login("rep1@example.com");
    auto r2 = login("rep2@example.com");
    auto w = login("rep.west@example.com");
    auto mgr = login("mgr.east@example.com");
    auto an = login("analyst@example.com");
    const auto o1 = opportunity(r1, {{"name", "r1"}})["id"].get<std::int64_t>();
    opportunity(r2, {{"name", "r2"}, {"account_id", account2}});
    const auto ow = opportunity(w, {{"name", "w"}, {"account_id", accountWest}})["id"].get<std::int64_t>();

    EXPECT_EQ(r1.get("/api/v1/sales/opportunities").json()["total"], 1);
    EXPECT_EQ(r2.get("/api/v1/sales/opportunities").json()["total"], 1);
    EXPECT_EQ(w.get("/api/v1/sales/opportunities").json()["total"], 1);
    EXPECT_EQ(mgr.get("/api/v1/sales/opportunities").json()["total"], 2);
    EXPECT_EQ(an.get("/api/v1/sales/opportunities").json()["total"], 3);
    EXPECT_EQ(admin->get("/api/v1/sales/opportunities").json()["total"], 3);

    const std::string p1 = "/api/v1/sales/opportunities/" + std::to_string(o1);
    EXPECT_EQ(r2.get(p1).status, 404) << "out of scope answers like absent";
    EXPECT_EQ(r2.put(p1, {{"amount", 1}, {"version", 1}}).status, 404);
    EXPECT_EQ(mgr.get("/api/v1/sales/opportunities/" + std::to_string(ow)).status, 404);
    EXPECT_EQ(an.put(p1, {{"amount", 1}, {"version", 1}}).status, 403) << "analysts read, they do not write";
    ASSERT_EQ(mgr.put(p1, {{"amount", 1234}, {"version", 1}}).status, 200);
    EXPECT_EQ(r1.del(p1).status, 403) << "reps do not delete";

    auto handOver = r1.post("/api/v1/sales/opportunities", {{"name", "x"}, {"account_id", account1}, {"amount", 1}, {"expected_close_date", dateOffset(1)},
                                                            {"owner_id", rep2}});
    EXPECT_EQ(handOver.status, 403) << handOver.body;
    auto byManager = mgr.post("/api/v1/sales/opportunities", {{"name", "x"}, {"account_id", account1}, {"amount", 1},
                                                              {"expected_close_date", dateOffset(1)}, {"owner_id", rep2}});
    EXPECT_EQ(byManager.status, 201) << byManager.body;
    EXPECT_EQ(mgr.post("/api/v1/sales/opportunities", {{"name", "x"}, {"account_id", account1}, {"amount", 1}, {"expected_close_date", dateOffset(1)},
                                                       {"owner_id", repWest}})
                  .status,
              403);

    // Leads follow the same rule.
    ASSERT_EQ(r1.post("/api/v1/sales/leads", {{"first_name", "A"}, {"company", "A"}, {"source", "web"}}).status, 201);
    ASSERT_EQ(w.post("/api/v1/sales/leads", {{"first_name", "B"}, {"company", "B"}, {"source", "web"}}).status, 201);
    EXPECT_EQ(r1.get("/api/v1/sales/leads").json()["total"], 1);
    EXPECT_EQ(mgr.get("/api/v1/sales/leads").json()["total"], 1);
    EXPECT_EQ(an.get("/api/v1/sales/leads").json()["total"], 2);
}

TEST_P(SalesTest, OrdersComeFromWonOpportunities) {
    auto product = admin->post("/api/v1/sales/products", {{"code", "CRM-1"}, {"name", "CRM seat"}, {"unit_price", 1200}});
    ASSERT_EQ(product.status, 201) << product.body;
    EXPECT_EQ(admin->post("/api/v1/sales/products", {{"code", "CRM-1"}, {"name", "again"}, {"unit_price", 1}}).status, 422);
    auto rep = login("rep1@example.com");
    EXPECT_EQ(rep.post("/api/v1/sales/products", {{"code", "X"}, {"name", "X"}, {"unit_price", 1}}).status, 403);
    auto opp = rep.post("/api/v1/sales/opportunities",
                        {{"name", "Seats"}, {"account_id", account1}, {"expected_close_date", dateOffset(5)},
                         {"products", Json::array({{{"product_id", product.json()["id"]}, {"quantity", 10}, {"discount", 10}}})}});
    ASSERT_EQ(opp.status, 201) << opp.body;
    EXPECT_EQ(opp.json()["amount"], 10800) << "10 × 1200 − 10%";
    const auto id = opp.json()["id"].get<std::int64_t>();
    const std::string path = "/api/v1/sales/opportunities/" + std::to_string(id);
    EXPECT_EQ(rep.post(path + "/order", Json::object()).status, 422) << "only won opportunities become orders";
    put(rep, path, {{"stage_id", stage("new_business", 6)}});
    auto order = rep.post(path + "/order", Json::object());
    ASSERT_EQ(order.status, 201) << order.body;
    EXPECT_EQ(order.json()["total"], 10800);
    EXPECT_EQ(rep.post(path + "/order", Json::object()).status, 409);
    const std::string op = "/api/v1/sales/orders/" + std::to_string(order.json()["id"].get<std::int64_t>());
    auto detail = rep.get(op);
    ASSERT_EQ(detail.status, 200);
    ASSERT_EQ(detail.json()["lines"].size(), 1u);
    EXPECT_EQ(detail.json()["lines"][0]["line_total"], 10800);
    EXPECT_EQ(rep.put(op, {{"status", "invoiced"}, {"version", 1}}).status, 422) << "confirmed → invoiced skips fulfilment";
    EXPECT_EQ(rep.put(op, {{"status", "fulfilled"}, {"version", 1}}).status, 200);
    EXPECT_EQ(login("rep2@example.com").get(op).status, 404);
}

TEST_P(SalesTest, DemoDataIsDeterministicAndReferencesTheCore) {
    auto& h = host->host();
    const auto size = app::DemoSize{"test", 20, 120, 2, 0.1};
    app::seedCoreDemo(*h.db(), size, 42);
    const auto outcomes = h.plugins().runDemo(size.pluginScale, 42);
    ASSERT_EQ(outcomes.size(), 1u);
    ASSERT_TRUE(outcomes[0].ok) << outcomes[0].message;
    EXPECT_EQ(countRows(h, "SELECT COUNT(*) FROM sales_opportunities"), 200);
    EXPECT_EQ(countRows(h, "SELECT COUNT(*) FROM sales_leads"), 120);
    EXPECT_GT(countRows(h, "SELECT COUNT(*) FROM sales_stage_history"), 200);
    EXPECT_GT(countRows(h, "SELECT COUNT(*) FROM sales_orders"), 0);
    EXPECT_GT(countRows(h, "SELECT COUNT(*) FROM sales_quotas"), 0);
    EXPECT_EQ(countRows(h, "SELECT COUNT(*) FROM sales_opportunities o LEFT JOIN accounts a ON a.id = o.account_id WHERE a.id IS NULL"), 0);
    EXPECT_EQ(countRows(h, "SELECT COUNT(*) FROM sales_opportunities WHERE status = 'open' AND expected_close_date < '" + dateOffset(0) + "'"), 0);
    EXPECT_EQ(countRows(h, "SELECT COUNT(*) FROM sales_opportunities o WHERE NOT EXISTS (SELECT 1 FROM sales_stage_history s WHERE s.opportunity_id = o.id)"),
              0);
    EXPECT_THROW(app::seedCoreDemo(*h.db(), size, 42), std::runtime_error) << "demo data goes into an empty database only";

    // The API serves it: a demo rep sees their own opportunities.
    const auto demoRep = countRows(h, "SELECT MIN(o.owner_id) FROM sales_opportunities o JOIN users u ON u.id = o.owner_id "
                                      "WHERE u.email LIKE '%@demo.atrium.example'");
    auto c = h.db()->acquire();
    const auto email = store::asText(*c->queryScalar("SELECT email FROM users WHERE id = ?", {demoRep}));
    test::Client rep(host->port());
    ASSERT_EQ(rep.login(email, app::kDemoPassword).status, 200);
    auto mine = rep.get("/api/v1/sales/opportunities?limit=5");
    ASSERT_EQ(mine.status, 200) << mine.body;
    EXPECT_EQ(mine.json()["total"], countRows(h, "SELECT COUNT(*) FROM sales_opportunities WHERE owner_id = " + std::to_string(demoRep)));
}

TEST_P(SalesTest, DemoDataIsDeterministicForASeed) {
    const auto size = app::DemoSize{"test", 20, 100, 2, 0.05};
    const std::string cast = GetParam() == "sqlite" ? "INTEGER" : "SIGNED";
    const std::string fingerprint = "SELECT COUNT(*) * 1000000 + SUM(stage_id) * 1000 + SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END) "
                                    "FROM sales_opportunities";
    const std::string amounts = "SELECT CAST(SUM(amount) AS " + cast + ") FROM sales_opportunities";
    const std::string leads = "SELECT SUM(score) * 1000 + COUNT(*) FROM sales_leads";
    std::vector<std::int64_t> seen[2];
    for (int run = 0; run < 2; ++run) {
        app::HostOptions o;
        o.pluginPath = ATRIUM_TEST_PLUGIN_DIR;
        test::TestHost fresh(GetParam(), o);
        app::seedCoreDemo(*fresh.host().db(), size, 7);
        const auto outcomes = fresh.host().plugins().runDemo(size.pluginScale, 7);
        ASSERT_EQ(outcomes.size(), 1u);
        ASSERT_TRUE(outcomes[0].ok) << outcomes[0].message;
        for (const auto& sql : {fingerprint, amounts, leads}) seen[run].push_back(countRows(fresh.host(), sql));
    }
    EXPECT_EQ(seen[0], seen[1]);
    EXPECT_EQ(seen[0][0] / 1000000, 100);
}

TEST_P(SalesTest, ReportsFollowWritesThatPublishNoEvent) {
    // Setting a quota and rescoring leads publish no event: the host sees which tables the
    // plugin's transaction wrote and refreshes the datasets reading them after the commit.
    auto ext = std::make_shared<reports::ReportingExtension>();
    host->host().addExtension(ext);
    ext->start(host->host());
    auto total = [&](const Json& query) {
        auto r = admin->post("/api/v1/reports/query", query);
        EXPECT_EQ(r.status, 200) << r.body;
        const Json j = r.json();
        return j["rows"].empty() || j["rows"][0][0].is_null() ? 0.0 : j["rows"][0][0].get<double>();
    };
    const Json quotas = {{"dataset", "sales.quota_attainment"}, {"measures", {"quota"}}};
    EXPECT_DOUBLE_EQ(total(quotas), 0.0);
    EXPECT_DOUBLE_EQ(total(quotas), 0.0); // answered from the warm cache now
    const auto month = periodStart(false);
    ASSERT_EQ(admin->put("/api/v1/sales/quotas", {{"user_id", rep1}, {"period_type", "month"}, {"period_start", month}, {"amount", 10000}}).status, 200);
    EXPECT_DOUBLE_EQ(total(quotas), 10000.0);
    ASSERT_EQ(admin->put("/api/v1/sales/quotas", {{"user_id", rep1}, {"period_type", "month"}, {"period_start", month}, {"amount", 12500}}).status, 200);
    EXPECT_DOUBLE_EQ(total(quotas), 12500.0);

    auto rep = login("rep1@example.com");
    ASSERT_EQ(rep.post("/api/v1/sales/leads", {{"first_name", "Wu"}, {"company", "Delta"}, {"source", "web"}, {"industry", "Finance"}}).status, 201);
    const Json scores = {{"dataset", "sales.leads"}, {"measures", {{{"field", "score"}, {"aggregate", "sum"}}}}};
    const double before = total(scores);
    auto rules = admin->put("/api/v1/sales/score-rules", {{"rules", Json::array({{{"criterion", "industry"}, {"match_value", "Finance"}, {"points", 40}}})}});
    ASSERT_EQ(rules.status, 200) << rules.body;
    ASSERT_EQ(admin->post("/api/v1/sales/leads/rescore", Json::object()).status, 201);
    EXPECT_DOUBLE_EQ(total(scores), 40.0);
    EXPECT_NE(before, 40.0);
}

TEST_P(SalesTest, LeadsAndProductsFollowTheResourceContract) {
    auto rep = login("rep1@example.com");
    for (const auto& [first, company, source] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"Ann", "Alpha Tech", "web"}, {"Bo", "Beta Foods", "referral"}, {"Cai", "Gamma Steel", "web"}}) {
        auto r = rep.post("/api/v1/sales/leads", {{"first_name", first}, {"company", company}, {"source", source},
                                                  {"email", first + "@example.cn"}, {"phone", "+86 555 0100"}});
        ASSERT_EQ(r.status, 201) << r.body;
    }
    auto sorted = rep.get("/api/v1/sales/leads?sort=company&order=desc").json();
    EXPECT_EQ(sorted["total"], 3);
    EXPECT_EQ(sorted["items"][0]["company"], "Gamma Steel");
    EXPECT_EQ(sorted["items"][0]["owner_name"], "rep1");
    EXPECT_EQ(rep.get("/api/v1/sales/leads?source=web").json()["total"], 2);
    EXPECT_EQ(rep.get("/api/v1/sales/leads?source=telepathy").status, 400);
    EXPECT_EQ(rep.get("/api/v1/sales/leads?q=beta").json()["total"], 1);
    EXPECT_EQ(rep.get("/api/v1/sales/leads?sort=phone").status, 400);
    const auto id = sorted["items"][2]["id"].get<std::int64_t>();
    const auto path = "/api/v1/sales/leads/" + std::to_string(id);

    // Scope: reps read their own leads, the manager the department's, the west not at all.
    EXPECT_EQ(login("rep2@example.com").get(path).status, 404);
    EXPECT_EQ(login("rep.west@example.com").get(path).status, 404);
    auto mgr = login("mgr.east@example.com");
    EXPECT_EQ(mgr.get(path).status, 200);

    // Versioned, partial updates; only conversion makes a lead "converted".
    EXPECT_EQ(rep.put(path, {{"version", 1}, {"status", "converted"}}).json()["error"]["fields"]["status"],
              "Use one of: new, working, qualified, disqualified.");
    auto working = rep.put(path, {{"version", 1}, {"status", "working"}});
    ASSERT_EQ(working.status, 200) << working.body;
    EXPECT_EQ(working.json()["company"], "Alpha Tech");
    EXPECT_EQ(rep.put(path, {{"version", 1}, {"status", "qualified"}}).status, 409);
    EXPECT_EQ(rep.put(path, {{"version", 2}, {"score", 99}}).status, 400); // computed
    ASSERT_EQ(rep.post(path + "/convert", {{"create_opportunity", false}}).status, 201);
    EXPECT_EQ(rep.put(path, {{"version", 3}, {"city", "Wuxi"}}).status, 409); // converted leads stay as they were
    EXPECT_EQ(rep.get("/api/v1/sales/leads?status=converted").json()["total"], 1);

    // Contact details can be hidden from a role on every read path.
    auto role = admin->post("/api/v1/admin/roles", {{"name", "lead-reader"},
                                                    {"permissions", {{"sales.lead.read", "all"}}},
                                                    {"denied_fields", {"sales.lead.email", "sales.lead.phone"}}});
    ASSERT_EQ(role.status, 201) << role.body;
    host->addUser("reader@example.com", {"lead-reader"}, east);
    auto reader = login("reader@example.com");
    auto list = reader.get("/api/v1/sales/leads");
    ASSERT_EQ(list.status, 200) << list.body;
    EXPECT_EQ(list.body.find("@example.cn"), std::string::npos) << list.body;
    EXPECT_EQ(list.body.find("0100"), std::string::npos) << list.body;
    EXPECT_EQ(reader.get("/api/v1/sales/leads?q=Ann%40").json()["total"], 0);
    EXPECT_EQ(reader.get(path).body.find("@example.cn"), std::string::npos);

    // Every write audited, every write an event, in its transaction.
    EXPECT_EQ(countRows(host->host(), "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'sales.lead' AND action IN ('create', 'update')"), 4);

    // Products: a shared catalogue with a code set once.
    auto product = admin->post("/api/v1/sales/products", {{"code", "SKU-1"}, {"name", "Seat"}, {"unit_price", 99.5}});
    ASSERT_EQ(product.status, 201) << product.body;
    EXPECT_EQ(product.json()["currency"], "CNY");
    EXPECT_EQ(product.json()["active"], true);
    EXPECT_EQ(admin->post("/api/v1/sales/products", {{"code", "SKU-1"}, {"name", "Dup"}, {"unit_price", 1}}).json()["error"]["fields"]["code"],
              "Another product has this code.");
    const auto ppath = "/api/v1/sales/products/" + product.json()["id"].dump();
    EXPECT_EQ(admin->put(ppath, {{"version", 1}, {"code", "SKU-2"}}).status, 400);
    EXPECT_EQ(admin->put(ppath, {{"version", 1}, {"active", false}}).json()["active"], false);
    EXPECT_EQ(rep.get("/api/v1/sales/products?active=false").json()["total"], 1);
    EXPECT_EQ(rep.get("/api/v1/sales/products?currency=XYZ").status, 400);
    EXPECT_EQ(rep.del(ppath).status, 405); // retired, never deleted
}

INSTANTIATE_TEST_SUITE_P(Backends, SalesTest, testing::ValuesIn(test::backends()), test::paramName);

// ---- refusing to load when a dependency range is not met ---------------------------------------

class SalesDependencyTest : public testing::TestWithParam<std::string> {};

TEST_P(SalesDependencyTest, RefusedWhenItsDependencyRangeIsNotMet) {
    ATRIUM_NEED_BACKEND(GetParam());
    namespace fs = std::filesystem;
    const auto dir = fs::temp_directory_path() / ("atrium-sales-deps-" + std::to_string(::getpid()) + "-" + GetParam());
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::copy(fs::path(ATRIUM_TEST_PLUGIN_DIR) / "sales", dir / "sales", fs::copy_options::recursive);
    fs::copy(ATRIUM_TEST_HELLO_DIR, dir / "hello", fs::copy_options::recursive);
    // The sales folder now requires hello 2.x, but hello is 1.0.0.
    const auto manifestPath = dir / "sales" / "atrium-plugin.json";
    std::ifstream in(manifestPath);
    Json manifest = Json::parse(in);
    in.close();
    manifest["requires"] = Json::array({{{"id", "hello"}, {"version", ">=2.0 <3"}}});
    std::ofstream(manifestPath) << manifest.dump(2);

    app::HostOptions o;
    o.pluginPath = dir.string();
    test::TestHost h(GetParam(), o);
    auto sales = h.host().plugins().status("sales");
    ASSERT_TRUE(sales.has_value());
    EXPECT_EQ(sales->state, plugins::PluginState::Refused);
    EXPECT_NE(sales->reason.find("hello"), std::string::npos) << sales->reason;
    EXPECT_NE(sales->reason.find("1.0.0"), std::string::npos) << sales->reason;
    EXPECT_EQ(h.host().plugins().status("hello")->state, plugins::PluginState::Loaded) << "the host and the other plugin run on";
    auto c = h.adminClient();
    EXPECT_EQ(c.get("/api/v1/sales/opportunities").status, 404) << "a refused plugin has no routes";
    fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Backends, SalesDependencyTest, testing::ValuesIn(test::backends()), test::paramName);
