// The compatibility promise of the ABI: a plugin built against the frozen SDK 1.0 headers
// (tests/abi/sdk-1.0/include, a copy of sdk/include as released with 1.0) loads on this host,
// whose table has grown since, and works: its routes answer, its migration ran, and the dataset
// and KPI it declared are served by the reporting engine. On SQLite and on MariaDB.

#include "Reporting.h"
#include "TestSupport.h"

#include <atrium/plugin.h>
#include <atrium/sdk/reporting.hpp>

#include <gtest/gtest.h>

namespace atrium::test {
namespace {

class Sdk10Plugin : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ATRIUM_NEED_BACKEND(GetParam());
        app::HostOptions options;
        options.pluginPath = ATRIUM_SDK10_PLUGIN_DIR;
        host = std::make_unique<TestHost>(GetParam(), options);
        ext = std::make_shared<reports::ReportingExtension>();
        host->host().addExtension(ext);
        ext->start(host->host());
    }
    void TearDown() override {
        host.reset();
        ext.reset();
    }
    std::unique_ptr<TestHost> host;
    std::shared_ptr<reports::ReportingExtension> ext;
};

TEST_P(Sdk10Plugin, LoadsOnTheNewerHostAndWorks) {
    static_assert(ATRIUM_ABI_MINOR >= 1, "this test is about a host newer than the plugin");
    auto status = host->host().plugins().status("abi.sdk10");
    ASSERT_TRUE(status.has_value()) << "abi.sdk10 was not built into " << ATRIUM_SDK10_PLUGIN_DIR;
    ASSERT_EQ(status->state, plugins::PluginState::Loaded) << status->reason;
    EXPECT_EQ(status->abi, "1.0");

    auto admin = host->adminClient();
    for (int words : {3, 4, 5}) {
        auto created = admin.post("/api/v1/abi.sdk10/notes", {{"text", "note of " + std::to_string(words)}, {"words", words}});
        ASSERT_EQ(created.status, 201) << created.body;
    }
    auto list = admin.get("/api/v1/abi.sdk10/notes");
    ASSERT_EQ(list.status, 200) << list.body;
    EXPECT_EQ(list.json()["items"].size(), 3u);
    EXPECT_EQ(list.json()["abi"], "1.0") << "compiled against the frozen 1.0 headers";
    EXPECT_EQ(admin.post("/api/v1/abi.sdk10/notes", {{"text", ""}}).status, 422);

    auto q = admin.post("/api/v1/reports/query", {{"dataset", "abi.sdk10.notes"}, {"measures", {"words", "count"}}, {"dimensions", Json::array()}});
    ASSERT_EQ(q.status, 200) << q.body;
    ASSERT_EQ(q.json()["rows"].size(), 1u) << q.body;
    EXPECT_EQ(q.json()["rows"][0][0].get<double>(), 12.0) << q.body;
    EXPECT_EQ(q.json()["rows"][0][1].get<double>(), 3.0) << q.body;

    auto kpi = admin.post("/api/v1/reports/kpis/abi.sdk10.notes_count/evaluate", {{"period", {{"from", "2026-01-01"}, {"to", "2026-01-31"}}}});
    ASSERT_EQ(kpi.status, 200) << kpi.body;
    EXPECT_EQ(kpi.json()["value"].get<double>(), 3.0) << kpi.body;
}

INSTANTIATE_TEST_SUITE_P(Backends, Sdk10Plugin, testing::ValuesIn(backends()), paramName);

// The other direction: a plugin using what 1.1 added, given a 1.0 host's table (as when it lowered
// its descriptor's abi_minor to run on both), gets a sentence saying what to do, not a crash.
TEST(Sdk11OnA10Host, DeclaringADashboardSaysTheHostIsTooOld) {
    atrium_host_api old{};
    old.struct_size = ATRIUM_HOST_API_SIZE_V1;
    old.abi_major = 1;
    old.abi_minor = 0;
    try {
        sdk::detail::declareDashboard(&old, sdk::Dashboard("acme.overview").name("Overview", "概览"));
        FAIL() << "a 1.0 host has no dashboard_declare";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), ATRIUM_E_UNSUPPORTED);
        EXPECT_NE(std::string(e.what()).find("needs SDK ABI 1.1"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("1.0"), std::string::npos) << e.what();
    }
    try {
        sdk::detail::declareScorecardTemplate(&old, sdk::ScorecardTemplate("acme.rep").name("Rep", "代表"));
        FAIL() << "a 1.0 host has no scorecard_template_declare";
    } catch (const sdk::Error& e) {
        EXPECT_NE(std::string(e.what()).find("upgrade Atrium"), std::string::npos) << e.what();
    }
}

} // namespace
} // namespace atrium::test
