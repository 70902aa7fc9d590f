// What sales declares through the SDK, on SQLite and MariaDB with the demo data: its built-in
// dashboard and scorecard templates (served like built-ins, hidden where sales is disabled), its
// entities and deniable fields (the roles page's list, and the only keys a role may hide), and
// the one walk that matters for a role denying sales.opportunity.amount: no amount in any list,
// record, dataset, KPI, dashboard widget, drill-down, export, scorecard, evaluation or forecast.
#include "TestSupport.h"

#include "Reporting.h"
#include "app/Demo.h"

#include <chrono>
#include <ctime>
#include <set>

using namespace atrium;
using test::Json;

namespace {

std::string today() {
    const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char b[11];
    std::strftime(b, sizeof b, "%Y-%m-%d", &tm);
    return b;
}

/// Every key anywhere in `j` (objects inside arrays too).
void keysOf(const Json& j, std::set<std::string>& out) {
    if (j.is_object())
        for (const auto& [k, v] : j.items()) {
            out.insert(k);
            keysOf(v, out);
        }
    else if (j.is_array())
        for (const auto& v : j) keysOf(v, out);
}

} // namespace

class SalesDeclared : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ATRIUM_NEED_BACKEND(GetParam());
        app::HostOptions o;
        o.pluginPath = ATRIUM_TEST_PLUGIN_DIR;
        host = std::make_unique<test::TestHost>(GetParam(), o);
        auto& h = host->host();
        auto st = h.plugins().status("sales");
        ASSERT_TRUE(st.has_value() && st->state == plugins::PluginState::Loaded) << (st ? st->reason : "no sales plugin");
        ext = std::make_shared<reports::ReportingExtension>();
        h.addExtension(ext);
        ext->start(h);
        const auto size = app::DemoSize{"test", 24, 200, 2, 0.3};
        app::seedCoreDemo(*h.db(), size, 11);
        const auto outcomes = h.plugins().runDemo(size.pluginScale, 11);
        ASSERT_EQ(outcomes.size(), 1u);
        ASSERT_TRUE(outcomes[0].ok) << outcomes[0].message;
        ext->engine().invalidateAll();
        admin = std::make_unique<test::Client>(host->adminClient());
        year = today().substr(0, 4);
        period = {{"from", year + "-01-01"}, {"to", year + "-12-31"}};
    }
    void TearDown() override {
        admin.reset();
        host.reset();
        ext.reset();
    }

    test::Client login(const std::string& email) {
        test::Client c(host->port());
        auto r = c.login(email, test::kAdminPassword);
        EXPECT_EQ(r.status, 200) << r.body;
        return c;
    }

    std::unique_ptr<test::TestHost> host;
    std::shared_ptr<reports::ReportingExtension> ext;
    std::unique_ptr<test::Client> admin;
    std::string year;
    Json period;
};

TEST_P(SalesDeclared, DashboardAndTemplatesAreServedAsBuiltInsWhereSalesIsEnabled) {
    auto list = admin->get("/api/v1/reports/dashboards");
    ASSERT_EQ(list.status, 200) << list.body;
    bool listed = false;
    for (const auto& d : Json(list.json()["items"]))
        if (d["id"] == "builtin.sales_overview") {
            listed = true;
            EXPECT_EQ(d["builtin"], true);
            EXPECT_EQ(d["editable"], false);
            EXPECT_EQ(d["name"]["zh-CN"], "销售概览");
        }
    EXPECT_TRUE(listed) << list.body;
    auto d = admin->get("/api/v1/reports/dashboards/builtin.sales_overview");
    ASSERT_EQ(d.status, 200) << d.body;
    EXPECT_EQ(d.json()["widgets"].size(), 6u);
    EXPECT_EQ(d.json()["plugin"], "sales");
    auto r = admin->post("/api/v1/reports/dashboards/builtin.sales_overview/render", {{"filters", {{"period", period}}}});
    ASSERT_EQ(r.status, 200) << r.body;
    const Json rendered = r.json()["widgets"];
    for (const auto& [id, w] : rendered.items()) EXPECT_TRUE(w.contains("data")) << id << ": " << w.dump();
    EXPECT_EQ(admin->put("/api/v1/reports/dashboards/builtin.sales_overview", d.json()).status, 403) << "built-ins are copied, not edited";
    EXPECT_EQ(admin->post("/api/v1/reports/dashboards/builtin.sales_overview/copy", Json::object()).status, 201);

    std::set<std::string> templates;
    for (const auto& t : Json(admin->get("/api/v1/reports/scorecards").json()["items"]))
        if (t["id"].is_string()) templates.insert(t["id"].get<std::string>());
    EXPECT_TRUE(templates.count("builtin.sales_rep") && templates.count("builtin.sales_team"));
    auto rep = admin->get("/api/v1/reports/scorecards/builtin.sales_rep");
    ASSERT_EQ(rep.status, 200) << rep.body;
    EXPECT_EQ(rep.json()["subject_roles"], Json::array({"rep"}));
    double weights = 0;
    for (const auto& it : Json(rep.json()["items"])) weights += it["weight"].get<double>();
    EXPECT_DOUBLE_EQ(weights, 100);
    auto ev = admin->post("/api/v1/reports/scorecards/builtin.sales_team/evaluate", {{"period", period}, {"trend_periods", 0}});
    EXPECT_EQ(ev.status, 200) << ev.body;

    // A department with sales switched off sees neither the dashboard nor the templates.
    auto& identity = host->host().identity();
    const auto root = identity.ensureRootDepartment();
    const auto support = host->addDepartment("Support desk", root);
    identity.setModuleEnabled("sales", support, false, nullptr);
    host->addUser("agent@example.com", {"manager"}, support);
    auto agent = login("agent@example.com");
    for (const auto& item : Json(agent.get("/api/v1/reports/dashboards").json()["items"])) EXPECT_NE(item["id"], "builtin.sales_overview");
    EXPECT_EQ(agent.get("/api/v1/reports/dashboards/builtin.sales_overview").status, 404);
    for (const auto& item : Json(agent.get("/api/v1/reports/scorecards").json()["items"])) {
        EXPECT_NE(item["id"], "builtin.sales_rep");
        EXPECT_NE(item["id"], "builtin.sales_team");
    }
    EXPECT_EQ(agent.get("/api/v1/reports/scorecards/builtin.sales_rep").status, 404);
    EXPECT_EQ(agent.post("/api/v1/reports/scorecards/builtin.sales_rep/evaluate", {{"period", period}}).status, 404);
}

TEST_P(SalesDeclared, EntitiesListDeniableFieldsAndRolesHideOnlyThose) {
    auto fields = admin->get("/api/v1/admin/fields");
    ASSERT_EQ(fields.status, 200) << fields.body;
    std::set<std::string> keys;
    for (const auto& f : Json(fields.json()["items"])) {
        keys.insert(f["key"].get<std::string>());
        EXPECT_FALSE(f["label"].value("zh-CN", std::string()).empty()) << f.dump();
        EXPECT_FALSE(f["entity_label"].value("en", std::string()).empty()) << f.dump();
    }
    for (const char* k : {"sales.lead.email", "sales.lead.phone", "sales.opportunity.amount", "core.account.phone", "core.contact.email"})
        EXPECT_TRUE(keys.count(k)) << k << " in " << fields.body;
    EXPECT_FALSE(keys.count("sales.opportunity.name")) << "declared, but not deniable";
    std::set<std::string> entities;
    for (const auto& e : Json(fields.json()["entities"])) entities.insert(e["name"].get<std::string>());
    for (const char* e : {"core.account", "core.contact", "sales.lead", "sales.opportunity", "sales.order", "sales.product", "sales.quota"})
        EXPECT_TRUE(entities.count(e)) << e;

    auto bad = admin->post("/api/v1/admin/roles", {{"name", "typo"}, {"denied_fields", {"sales.opportunity.amout"}}});
    EXPECT_EQ(bad.status, 422) << bad.body;
    EXPECT_TRUE(bad.json()["error"]["fields"].contains("denied_fields")) << bad.body;
    auto notDeniable = admin->post("/api/v1/admin/roles", {{"name", "nameless"}, {"denied_fields", {"sales.opportunity.name"}}});
    EXPECT_EQ(notDeniable.status, 422) << notDeniable.body;
    auto ok = admin->post("/api/v1/admin/roles", {{"name", "no-contact"}, {"denied_fields", {"sales.lead.email", "sales.lead.phone"}}});
    ASSERT_EQ(ok.status, 201) << ok.body;
    const auto url = "/api/v1/admin/roles/" + std::to_string(ok.json()["id"].get<std::int64_t>());
    auto upd = admin->put(url, {{"version", ok.json()["version"]}, {"denied_fields", {"sales.nothing.here"}}});
    EXPECT_EQ(upd.status, 422) << upd.body;
}

TEST_P(SalesDeclared, ARoleDenyingTheAmountSeesNoAmountAnywhere) {
    const Json all = "all";
    auto role = admin->post("/api/v1/admin/roles",
                            {{"name", "amount-blind"},
                             {"permissions",
                              {{"sales.lead.read", all},         {"sales.lead.write", all},       {"sales.opportunity.read", all}, {"sales.order.read", all},
                               {"sales.quota.read", all},        {"sales.forecast.read", all},    {"sales.product.read", all},
                               {"reports.read", all},            {"reports.dashboard.read", all}, {"reports.export", all},
                               {"reports.scorecard.read", all},  {"reports.evaluation.read", all}}},
                             {"denied_fields", {"sales.opportunity.amount", "sales.lead.email", "sales.lead.phone"}}});
    ASSERT_EQ(role.status, 201) << role.body;
    host->addUser("blind@example.com", {"amount-blind"}, host->host().identity().ensureRootDepartment());
    auto u = login("blind@example.com");
    // Keys that carry an opportunity amount under some name, on any path ("total" is also a
    // list's row count and the forecast's totals object, so orders are checked for it below).
    const std::set<std::string> amountKeys = {"amount",     "weighted_amount", "pipeline",       "weighted_pipeline",
                                              "commit",     "best_case",       "closed_won", "forecast",       "attainment",
                                              "won_amount", "forecast_amount", "commit_amount", "actual_won",  "line_total"};
    auto noAmount = [&](const test::HttpResult& r, const std::string& what) {
        ASSERT_EQ(r.status, 200) << what << ": " << r.body;
        std::set<std::string> keys;
        keysOf(r.json(), keys);
        for (const auto& k : amountKeys) EXPECT_FALSE(keys.count(k)) << what << " shows '" << k << "': " << r.body.substr(0, 400);
    };

    // Lists and records.
    auto opps = u.get("/api/v1/sales/opportunities?status=won&limit=5");
    noAmount(opps, "opportunity list");
    ASSERT_FALSE(opps.json()["items"].empty());
    noAmount(u.get("/api/v1/sales/opportunities/" + std::to_string(opps.json()["items"][0]["id"].get<std::int64_t>())), "opportunity");
    auto orders = u.get("/api/v1/sales/orders?limit=5");
    noAmount(orders, "order list");
    ASSERT_FALSE(orders.json()["items"].empty()) << "the demo has orders";
    for (const auto& o : Json(orders.json()["items"])) EXPECT_FALSE(o.contains("total")) << o.dump();
    auto order = u.get("/api/v1/sales/orders/" + std::to_string(orders.json()["items"][0]["id"].get<std::int64_t>()));
    noAmount(order, "order");
    EXPECT_FALSE(order.json().contains("total")) << order.body;
    for (const auto& l : Json(order.json()["lines"])) EXPECT_FALSE(l.contains("unit_price")) << "line prices add up to the total";
    EXPECT_EQ(u.get("/api/v1/sales/orders?sort=total").status, 403) << "sorting by it would rank by it";
    EXPECT_TRUE(admin->get("/api/v1/sales/orders/" + std::to_string(orders.json()["items"][0]["id"].get<std::int64_t>())).json().contains("total"))
        << "others still see it";

    // The forecast and quota attainment: quotas and counts, no amounts.
    auto forecast = u.get("/api/v1/sales/forecast?period_type=quarter&group=department");
    noAmount(forecast, "forecast");
    EXPECT_TRUE(forecast.json()["total"].contains("won_count")) << forecast.body;
    EXPECT_TRUE(forecast.json()["total"].contains("quota")) << forecast.body;
    EXPECT_TRUE(admin->get("/api/v1/sales/forecast?period_type=quarter").json()["total"].contains("closed_won"));
    noAmount(u.get("/api/v1/sales/quotas/attainment?period_type=quarter"), "quota attainment");

    // The report catalogue leaves the fields and the KPIs built on them out.
    auto catalog = u.get("/api/v1/reports/catalog");
    ASSERT_EQ(catalog.status, 200) << catalog.body;
    const std::map<std::string, std::vector<std::string>> hidden = {{"sales.opportunities", {"amount", "weighted_amount"}},
                                                                   {"sales.orders", {"total"}},
                                                                   {"sales.quota_attainment", {"won_amount"}},
                                                                   {"sales.forecast_accuracy", {"forecast_amount", "commit_amount", "actual_won"}}};
    std::set<std::string> seenDatasets;
    for (const auto& ds : Json(catalog.json()["datasets"])) {
        const auto id = ds["id"].get<std::string>();
        seenDatasets.insert(id);
        EXPECT_TRUE(ds.contains("fields"));
        if (auto it = hidden.find(id); it != hidden.end()) {
            for (const auto& f : ds["fields"])
                for (const auto& name : it->second) EXPECT_NE(f["name"], name) << id;
        }
    }
    for (const auto& [id, _] : hidden) EXPECT_TRUE(seenDatasets.count(id)) << id << " is still offered, without its amounts";
    std::set<std::string> kpis;
    for (const auto& k : Json(catalog.json()["kpis"])) kpis.insert(k["id"].get<std::string>());
    for (const char* k : {"sales.won_revenue", "sales.pipeline_value", "sales.weighted_pipeline", "sales.average_deal_size", "sales.quota_attainment",
                          "sales.forecast_accuracy"})
        EXPECT_FALSE(kpis.count(k)) << k;
    EXPECT_TRUE(kpis.count("sales.won_count"));

    // Dataset queries, KPI values and exports of them: refused.
    for (const auto& [id, fields] : hidden)
        for (const auto& f : fields) {
            const Json q = {{"dataset", id}, {"measures", {f}}};
            EXPECT_EQ(u.post("/api/v1/reports/query", q).status, 403) << id << "." << f;
            EXPECT_EQ(u.post("/api/v1/reports/query/export?format=csv", q).status, 403) << id << "." << f;
        }
    EXPECT_EQ(u.post("/api/v1/reports/query", {{"dataset", "sales.orders"}, {"measures", {"count"}}}).status, 200) << "the rest stays usable";
    for (const char* k : {"sales.won_revenue", "sales.quota_attainment", "sales.forecast_accuracy"}) {
        auto r = u.post(std::string("/api/v1/reports/kpis/") + k + "/evaluate", {{"period", period}});
        EXPECT_TRUE(r.status == 403 || r.status == 404) << k << ": " << r.status;
        EXPECT_FALSE(r.json().contains("value")) << k;
    }

    // The built-in dashboard: listed, its amount widgets withheld, the others drawn.
    auto render = u.post("/api/v1/reports/dashboards/builtin.sales_overview/render", {{"filters", {{"period", period}}}});
    ASSERT_EQ(render.status, 200) << render.body;
    for (const char* w : {"kpi2", "breakdown", "leaders"}) {
        EXPECT_FALSE(render.json()["widgets"][w].contains("data")) << w << ": " << render.json()["widgets"][w].dump();
        EXPECT_EQ(render.json()["widgets"][w]["error"]["code"], "forbidden") << w;
    }
    for (const char* w : {"kpi1", "kpi3", "trend"}) EXPECT_TRUE(render.json()["widgets"][w].contains("data")) << w << ": counts and rates stay";
    auto drill = u.post("/api/v1/reports/dashboards/builtin.sales_overview/widgets/kpi1/drill", {{"filters", {{"period", period}}}});
    noAmount(drill, "drill-down of deals won");
    for (const auto& c : Json(drill.json()["columns"])) EXPECT_NE(c["name"], "amount");
    EXPECT_EQ(u.post("/api/v1/reports/dashboards/builtin.sales_overview/widgets/leaders/drill", {{"filters", {{"period", period}}}}).status, 403);
    auto csv = u.post("/api/v1/reports/dashboards/builtin.sales_overview/export?format=csv", {{"filters", {{"period", period}}}});
    ASSERT_EQ(csv.status, 200) << csv.body;
    auto count = [](const std::string& text, const std::string& what) {
        std::size_t n = 0;
        for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
        return n;
    };
    // The count and rate cards and the count trend are exported; the revenue card, the amount
    // breakdown and the leaderboard (whose measure is "Amount") are not.
    EXPECT_EQ(count(csv.body, "Value,Previous"), 2u) << csv.body.substr(0, 400);
    EXPECT_EQ(csv.body.find("Amount"), std::string::npos) << csv.body.substr(0, 600);
    auto full = admin->post("/api/v1/reports/dashboards/builtin.sales_overview/export?format=csv", {{"filters", {{"period", period}}}});
    EXPECT_EQ(count(full.body, "Value,Previous"), 3u) << "others export every widget";
    EXPECT_NE(full.body.find("Amount"), std::string::npos) << full.body.substr(0, 600);
    for (const char* format : {"xlsx", "pdf"})
        EXPECT_EQ(u.post(std::string("/api/v1/reports/dashboards/builtin.sales_overview/export?format=") + format, {{"filters", {{"period", period}}}}).status,
                  200)
            << format << " (the same tables as the CSV)";

    // Scorecards on the amount: refused; evaluations someone else scored: values withheld.
    EXPECT_EQ(u.post("/api/v1/reports/scorecards/builtin.sales_rep/evaluate", {{"period", period}}).status, 403);
    EXPECT_EQ(u.post("/api/v1/reports/scorecards/builtin.sales_rep/export?format=csv", {{"period", period}}).status, 403);
    auto cycle = admin->post("/api/v1/reports/evaluations", {{"name", "H1"}, {"scorecard", "builtin.sales_rep"}, {"period", period}});
    ASSERT_EQ(cycle.status, 201) << cycle.body;
    const auto cycleUrl = "/api/v1/reports/evaluations/" + std::to_string(cycle.json()["id"].get<std::int64_t>());
    auto seen = u.get(cycleUrl);
    ASSERT_EQ(seen.status, 200) << seen.body;
    bool anyItem = false;
    for (const auto& p : Json(seen.json()["participants"]))
        for (const auto& it : p["items"]) {
            anyItem = true;
            if (it["kpi"] == "sales.won_revenue" || it["kpi"] == "sales.average_deal_size") {
                EXPECT_FALSE(it.contains("value")) << it.dump();
                EXPECT_FALSE(it.contains("target")) << it.dump();
                EXPECT_EQ(it["withheld"], true);
            } else if (it["kpi"] == "sales.won_count") {
                EXPECT_TRUE(it.contains("value")) << it.dump();
            }
        }
    EXPECT_TRUE(anyItem) << seen.body;
    bool adminSees = false;
    for (const auto& p : Json(admin->get(cycleUrl).json()["participants"]))
        for (const auto& it : p["items"])
            if (it["kpi"] == "sales.won_revenue" && it.contains("value")) adminSees = true;
    EXPECT_TRUE(adminSees);

    // Leads: contact details withheld, not searchable.
    auto created = admin->post("/api/v1/sales/leads", {{"first_name", "Wei"}, {"company", "Quiet Co"}, {"source", "web"},
                                                        {"email", "zzhidden@example.com"}, {"phone", "+86 555 0101"}});
    ASSERT_EQ(created.status, 201) << created.body;
    auto leads = u.get("/api/v1/sales/leads?limit=20");
    ASSERT_EQ(leads.status, 200) << leads.body;
    for (const auto& l : Json(leads.json()["items"])) {
        EXPECT_FALSE(l.contains("email")) << l.dump();
        EXPECT_FALSE(l.contains("phone")) << l.dump();
    }
    auto lead = u.get("/api/v1/sales/leads/" + std::to_string(created.json()["id"].get<std::int64_t>()));
    ASSERT_EQ(lead.status, 200) << lead.body;
    EXPECT_EQ(lead.body.find("zzhidden"), std::string::npos) << lead.body;
    EXPECT_EQ(lead.body.find("0101"), std::string::npos) << lead.body;
    EXPECT_EQ(u.get("/api/v1/sales/leads?q=zzhidden").json()["total"], 0) << "search is no oracle for a hidden field";
    EXPECT_EQ(u.post("/api/v1/sales/leads", {{"first_name", "Li"}, {"company", "Loud Co"}, {"source", "web"}, {"phone", "1"}}).status, 403);
    auto own = u.post("/api/v1/sales/leads", {{"first_name", "Li"}, {"company", "Loud Co"}, {"source", "web"}});
    ASSERT_EQ(own.status, 201) << own.body;
    EXPECT_FALSE(own.json().contains("email")) << own.body;
    EXPECT_EQ(admin->get("/api/v1/sales/leads?q=zzhidden").json()["total"], 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, SalesDeclared, testing::ValuesIn(test::backends()), test::paramName);
