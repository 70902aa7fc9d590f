// Freshness the host guarantees: a plugin write that publishes no event still reaches the report
// it feeds on the very next query (the host reports the written tables after commit and the
// reporting engine moves every dataset reading them to a new generation); a rolled-back write
// bumps nothing. Also the HTTP face of a plugin failure (internal_error with the request id).
// Runs abi.good in a real host with the reporting engine, on SQLite and MariaDB.

#include "TestSupport.h"

#include "Reporting.h"

#include <gtest/gtest.h>

namespace atrium::test {
namespace {

class FreshnessTest : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ATRIUM_NEED_BACKEND(GetParam());
        app::HostOptions o;
        o.pluginPath = ATRIUM_ABI_PLUGIN_DIR;
        host = std::make_unique<TestHost>(GetParam(), o);
        auto st = host->host().plugins().status("abi.good");
        ASSERT_TRUE(st && st->state == plugins::PluginState::Loaded) << (st ? st->reason : "abi.good not found");
        ext = std::make_shared<reports::ReportingExtension>();
        host->host().addExtension(ext);
        ext->migrate(host->host(), {});
        ext->start(host->host());
        admin = std::make_unique<Client>(host->adminClient());
    }
    double items() {
        auto r = admin->post("/api/v1/reports/query", {{"dataset", "abi.good.items"}, {"measures", {"count"}}});
        EXPECT_EQ(r.status, 200) << r.body;
        const auto rows = r.json()["rows"];
        return rows.empty() ? 0.0 : rows[0][0].get<double>();
    }
    HttpResult raw(const Json& body) { return admin->post("/api/v1/abi.good/raw", body); }

    std::unique_ptr<TestHost> host;
    std::shared_ptr<reports::ReportingExtension> ext;
    std::unique_ptr<Client> admin;
};

const char* kQuietInsert = "INSERT INTO abi_good_items (text, owner_id, created_at) VALUES ('quiet', 1, '2026-01-15 10:00:00')";

TEST_P(FreshnessTest, AWriteWithoutAnEventIsInTheNextReport) {
    EXPECT_EQ(items(), 0.0);
    EXPECT_EQ(items(), 0.0); // now cached (and the columnar copy loaded)
    const auto hits = ext->engine().cacheStats().hits;
    EXPECT_GT(hits, 0u) << "the second query should come from the cache, or this test proves nothing";

    auto r = raw({{"sql", kQuietInsert}, {"tx", true}});
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(items(), 1.0) << "a committed write without an event";

    r = raw({{"sql", kQuietInsert}});
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(items(), 2.0) << "an autocommit write without an event";

    r = raw({{"sql", "UPDATE abi_good_items SET text = 'changed' WHERE text = 'quiet'"}, {"exec", true}, {"tx", true}});
    ASSERT_EQ(r.status, 201) << r.body;
    r = raw({{"sql", "DELETE FROM abi_good_items WHERE id = (SELECT m FROM (SELECT MAX(id) AS m FROM abi_good_items) x)"}, {"tx", true}});
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(items(), 1.0) << "a delete without an event";
}

TEST_P(FreshnessTest, ARolledBackWriteBumpsNothing) {
    EXPECT_EQ(items(), 0.0);
    const auto before = ext->engine().cacheStats().invalidations;
    auto r = raw({{"sql", kQuietInsert}, {"tx", true}, {"rollback", true}});
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(ext->engine().cacheStats().invalidations, before) << "a rolled-back write moved a dataset's generation";
    EXPECT_EQ(items(), 0.0);
    // A write that commits does move it (so the counter above can tell).
    r = raw({{"sql", kQuietInsert}, {"tx", true}});
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_GT(ext->engine().cacheStats().invalidations, before);
}

TEST_P(FreshnessTest, APluginFailureAnswersInternalErrorWithTheRequestId) {
    auto r = admin->request("GET", "/api/v1/abi.good/crash", {}, {{"X-Request-Id", "freshness-test-1"}});
    EXPECT_EQ(r.status, 500);
    const auto error = r.json()["error"];
    EXPECT_EQ(error["code"], "internal_error") << r.body;
    EXPECT_EQ(error["request_id"], "freshness-test-1") << r.body;
    EXPECT_NE(error.value("message", "").find("freshness-test-1"), std::string::npos) << r.body;
}

TEST_P(FreshnessTest, APluginWritingACoreTableOverHttpIsForbidden) {
    auto r = raw({{"sql", "UPDATE accounts SET name = 'x'"}});
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(r.json()["error"]["code"], "forbidden");
    EXPECT_NE(r.json()["error"].value("message", "").find("customer_create"), std::string::npos) << r.body;
}

INSTANTIATE_TEST_SUITE_P(Backends, FreshnessTest, testing::ValuesIn(backends()), paramName);

} // namespace
} // namespace atrium::test
