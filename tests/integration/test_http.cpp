// The HTTP host on both backends: error shapes, limits, health, the accounts API with
// validation, optimistic concurrency and record scope.
#include "TestSupport.h"

#include <filesystem>
#include <fstream>
#include <thread>
#include <unistd.h>

using namespace atrium;
using test::Json;

class HttpTest : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ATRIUM_NEED_BACKEND(GetParam());
        app::HostOptions o;
        o.http.maxBodyBytes = 64 * 1024;
        host = std::make_unique<test::TestHost>(GetParam(), o);
    }
    std::unique_ptr<test::TestHost> host;
};

TEST_P(HttpTest, HealthReadinessAndMetrics) {
    test::Client c(host->port());
    EXPECT_EQ(c.get("/healthz").status, 200);
    auto ready = c.get("/readyz");
    EXPECT_EQ(ready.status, 200);
    EXPECT_EQ(ready.json()["database"], GetParam() == "sqlite" ? "sqlite" : "mysql");
    auto m = c.get("/metrics");
    EXPECT_EQ(m.status, 200);
    EXPECT_NE(m.body.find("atrium_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}"), std::string::npos) << m.body;
    EXPECT_NE(m.body.find("atrium_db_pool_in_use"), std::string::npos);
    EXPECT_NE(m.body.find("atrium_http_request_duration_seconds_bucket"), std::string::npos);
}

TEST_P(HttpTest, ErrorsHaveOneJsonShape) {
    test::Client c(host->port());
    auto nf = c.get("/api/v1/nope");
    EXPECT_EQ(nf.status, 404);
    EXPECT_EQ(nf.json()["error"]["code"], "not_found");
    EXPECT_TRUE(nf.json()["error"]["message"].is_string());
    auto unauth = c.get("/api/v1/accounts");
    EXPECT_EQ(unauth.status, 401);
    EXPECT_EQ(unauth.json()["error"]["code"], "unauthenticated");
    auto mna = c.request("PATCH", "/api/v1/accounts");
    EXPECT_EQ(mna.status, 405);
    EXPECT_EQ(mna.json()["error"]["code"], "method_not_allowed");
    EXPECT_NE(mna.headers["allow"].find("GET"), std::string::npos);
    EXPECT_EQ(nf.headers["x-content-type-options"], "nosniff");
    EXPECT_NE(nf.headers["content-security-policy"].find("script-src 'self'"), std::string::npos);
}

TEST_P(HttpTest, LimitsOnBodyAndUri) {
    auto c = host->adminClient();
    auto big = c.request("POST", "/api/v1/accounts", std::string(65 * 1024, 'x'));
    EXPECT_EQ(big.status, 413);
    EXPECT_EQ(big.json()["error"]["code"], "payload_too_large");
    auto longUri = c.get("/api/v1/accounts?q=" + std::string(9000, 'a'));
    EXPECT_EQ(longUri.status, 414);
    auto badJson = c.request("POST", "/api/v1/accounts", "{not json");
    EXPECT_EQ(badJson.status, 400);
    EXPECT_EQ(badJson.json()["error"]["code"], "bad_request");
    // The server is still fine afterwards.
    EXPECT_EQ(c.get("/healthz").status, 200);
}

TEST_P(HttpTest, AccountsCrudWithValidationAndOptimisticConcurrency) {
    auto c = host->adminClient();
    auto invalid = c.post("/api/v1/accounts", {{"name", ""}, {"website", "ftp://x"}, {"size_band", "huge"}});
    EXPECT_EQ(invalid.status, 422);
    auto fields = invalid.json()["error"]["fields"];
    EXPECT_TRUE(fields.contains("name"));
    EXPECT_TRUE(fields.contains("website"));
    EXPECT_TRUE(fields.contains("size_band"));
    auto mass = c.post("/api/v1/accounts", {{"name", "X"}, {"version", 5}, {"is_admin", true}});
    EXPECT_EQ(mass.status, 400) << "unknown fields are rejected, not ignored";

    auto created = c.post("/api/v1/accounts", {{"name", "华为 Acme <b>"}, {"industry", "Manufacturing"}, {"city", "Shenzhen"}});
    ASSERT_EQ(created.status, 201) << created.body;
    const auto id = created.json()["id"].get<std::int64_t>();
    EXPECT_EQ(created.json()["name"], "华为 Acme <b>");
    EXPECT_EQ(created.json()["version"], 1);

    auto upd = c.put("/api/v1/accounts/" + std::to_string(id), {{"city", "Beijing"}, {"version", 1}});
    ASSERT_EQ(upd.status, 200) << upd.body;
    EXPECT_EQ(upd.json()["version"], 2);
    auto stale = c.put("/api/v1/accounts/" + std::to_string(id), {{"city", "Shanghai"}, {"version", 1}});
    EXPECT_EQ(stale.status, 409);
    EXPECT_EQ(stale.json()["error"]["code"], "conflict");
    EXPECT_EQ(c.get("/api/v1/accounts/" + std::to_string(id)).json()["city"], "Beijing") << "the stale write changed nothing";

    for (int i = 0; i < 5; ++i) c.post("/api/v1/accounts", {{"name", "Account " + std::to_string(i)}});
    auto page = c.get("/api/v1/accounts?limit=2&offset=1&sort=name&order=desc");
    ASSERT_EQ(page.status, 200);
    EXPECT_EQ(page.json()["total"], 6);
    EXPECT_EQ(page.json()["items"].size(), 2u);
    EXPECT_EQ(c.get("/api/v1/accounts?sort=password").status, 400);
    EXPECT_EQ(c.get("/api/v1/accounts?limit=100000").status, 400);
    auto search = c.get("/api/v1/accounts?q=%E5%8D%8E%E4%B8%BA");
    EXPECT_EQ(search.json()["total"], 1);

    auto timeline = c.get("/api/v1/accounts/" + std::to_string(id) + "/timeline");
    ASSERT_EQ(timeline.status, 200);
    EXPECT_GE(timeline.json()["items"].size(), 2u);

    EXPECT_EQ(c.del("/api/v1/accounts/" + std::to_string(id)).status, 200);
    EXPECT_EQ(c.get("/api/v1/accounts/" + std::to_string(id)).status, 404);
}

TEST_P(HttpTest, RepsSeeOnlyTheirOwnAccountsAndManagersTheirDepartment) {
    const auto root = host->host().identity().ensureRootDepartment();
    const auto east = host->addDepartment("East", root);
    const auto west = host->addDepartment("West", root);
    host->addUser("mgr.east@example.com", {"manager"}, east);
    host->addUser("rep.east@example.com", {"rep"}, east);
    host->addUser("rep2.east@example.com", {"rep"}, east);
    host->addUser("rep.west@example.com", {"rep"}, west);
    test::Client rep(host->port()), rep2(host->port()), mgr(host->port()), west1(host->port());
    ASSERT_EQ(rep.login("rep.east@example.com", test::kAdminPassword).status, 200);
    ASSERT_EQ(rep2.login("rep2.east@example.com", test::kAdminPassword).status, 200);
    ASSERT_EQ(mgr.login("mgr.east@example.com", test::kAdminPassword).status, 200);
    ASSERT_EQ(west1.login("rep.west@example.com", test::kAdminPassword).status, 200);
    auto a = rep.post("/api/v1/accounts", {{"name", "Rep's account"}});
    ASSERT_EQ(a.status, 201) << a.body;
    const auto path = "/api/v1/accounts/" + std::to_string(a.json()["id"].get<std::int64_t>());
    EXPECT_EQ(rep.get(path).status, 200);
    EXPECT_EQ(mgr.get(path).status, 200);
    EXPECT_EQ(rep2.get(path).status, 404) << "same department, not the owner";
    EXPECT_EQ(west1.get(path).status, 404);
    EXPECT_EQ(west1.get("/api/v1/accounts").json()["total"], 0);
    EXPECT_EQ(mgr.get("/api/v1/accounts").json()["total"], 1);
    EXPECT_EQ(west1.put(path, {{"name", "hijack"}, {"version", 1}}).status, 404);
    EXPECT_EQ(rep.del(path).status, 403) << "reps may not delete";
}

TEST_P(HttpTest, StateChangingRequestsNeedTheCsrfToken) {
    auto c = host->adminClient();
    const auto token = c.csrf();
    c.setCsrf("");
    auto refused = c.post("/api/v1/accounts", {{"name", "x"}});
    EXPECT_EQ(refused.status, 403);
    EXPECT_EQ(refused.json()["error"]["code"], "csrf_failed");
    c.setCsrf(token);
    EXPECT_EQ(c.post("/api/v1/accounts", {{"name", "x"}}).status, 201);
}

TEST_P(HttpTest, LogoutEndsTheSessionAtOnce) {
    auto c = host->adminClient();
    EXPECT_EQ(c.get("/api/v1/auth/me").status, 200);
    EXPECT_EQ(c.post("/api/v1/auth/logout", Json::object()).status, 200);
    EXPECT_EQ(c.get("/api/v1/auth/me").status, 401);
}

TEST_P(HttpTest, PoolExhaustionAnswers503QuicklyWhileHealthStaysUp) {
    // A fresh host with a pool of two and a short wait, plus a route that holds a connection.
    app::HostOptions o;
    o.pool.maxSize = 2;
    o.pool.acquireTimeout = std::chrono::milliseconds(300);
    test::TestHost small(GetParam(), o);
    auto db = small.host().db();
    small.host().router().add({"GET", "/test/slow", "", true, "test", "", "holds a connection",
                               [db](http::Request&, http::Response& res) {
                                   auto c = db->acquire();
                                   std::this_thread::sleep_for(std::chrono::milliseconds(1500));
                                   res.json({{"ok", true}});
                               }});
    std::vector<std::thread> threads;
    std::vector<int> statuses(6);
    std::vector<double> seconds(6);
    for (int i = 0; i < 6; ++i)
        threads.emplace_back([&, i] {
            test::Client c(small.port());
            const auto t0 = std::chrono::steady_clock::now();
            statuses[static_cast<std::size_t>(i)] = c.get("/test/slow").status;
            seconds[static_cast<std::size_t>(i)] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    test::Client probe(small.port());
    EXPECT_EQ(probe.get("/healthz").status, 200) << "health does not need the database";
    for (auto& t : threads) t.join();
    int ok = 0, busy = 0;
    for (std::size_t i = 0; i < statuses.size(); ++i) {
        if (statuses[i] == 200) ++ok;
        if (statuses[i] == 503) {
            ++busy;
            EXPECT_LT(seconds[i], 1.2) << "a refused request is answered within the pool timeout, not after the queue";
        }
    }
    EXPECT_EQ(ok, 2);
    EXPECT_EQ(busy, 4);
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpTest, testing::ValuesIn(test::backends()), test::paramName);

// ---------------------------------------------------------------------------------------------
// MariaDB goes away while atrium serves, and comes back: no restart of atrium is needed.

TEST(FaultTest, MariaDbRestartIsSurvivedWithoutRestartingAtrium) {
    ATRIUM_NEED_BACKEND("mysql");
    // A MariaDB of its own: stopping the shared test server would break tests running beside this one.
    const char* ctl = std::getenv("ATRIUM_TEST_MARIADB_CTL");
    if (!ctl) {
        if (test::requireMysql()) FAIL() << "the fault test needs ATRIUM_TEST_MARIADB_CTL (scripts/test sets it)";
        GTEST_SKIP();
    }
    const auto dir = std::filesystem::temp_directory_path() / ("atrium-fault-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    const std::string start = std::string(ctl) + " start " + dir.string() + " > " + (dir.string() + ".url");
    ASSERT_EQ(std::system(start.c_str()), 0);
    std::string base;
    {
        std::ifstream in(dir.string() + ".url");
        std::getline(in, base);
    }
    struct Cleanup {
        std::string ctl, dir;
        ~Cleanup() {
            (void)std::system((ctl + " stop " + dir + " >/dev/null 2>&1").c_str());
            std::filesystem::remove_all(dir);
            std::filesystem::remove(dir + ".url");
        }
    } cleanup{ctl, dir.string()};
    ASSERT_EQ(base.rfind("mysql://", 0), 0u) << base;

    app::HostOptions o;
    o.dbUrl = base + "atrium";
    o.pool.acquireTimeout = std::chrono::milliseconds(1000);
    o.pool.validateAfterIdle = std::chrono::milliseconds(0);
    o.http.port = 0;
    app::Host h(o);
    h.migrate();
    identity::NewUser admin;
    admin.email = test::kAdminEmail;
    admin.displayName = "Admin";
    admin.password = test::kAdminPassword;
    admin.roles = {"admin"};
    h.identity().createUser(admin);
    h.start();
    test::Client c(h.server().port());
    ASSERT_EQ(c.login(test::kAdminEmail, test::kAdminPassword).status, 200);
    ASSERT_EQ(c.get("/api/v1/accounts").status, 200);

    ASSERT_EQ(std::system((std::string(ctl) + " stop " + dir.string()).c_str()), 0);
    const auto t0 = std::chrono::steady_clock::now();
    auto down = c.get("/api/v1/accounts");
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(down.status, 503) << down.body;
    EXPECT_EQ(down.json()["error"]["code"], "service_unavailable");
    EXPECT_LT(took, std::chrono::seconds(5));
    EXPECT_EQ(c.get("/healthz").status, 200);
    EXPECT_EQ(c.get("/readyz").status, 503);

    ASSERT_EQ(std::system((std::string(ctl) + " restart " + dir.string()).c_str()), 0);
    const auto up0 = std::chrono::steady_clock::now();
    int status = 0;
    while (std::chrono::steady_clock::now() - up0 < std::chrono::seconds(5)) {
        status = c.get("/api/v1/accounts").status;
        if (status == 200) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(status, 200) << "atrium did not recover within 5 s of MariaDB coming back";
    h.stop();
}
