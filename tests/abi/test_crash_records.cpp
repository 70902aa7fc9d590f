// Crash containment without crashing (issue #13): the crash file a fatal signal leaves is read
// at the next start, recorded in the database (core:crashes) and, on a plugin's second crash in
// a row, quarantines it: not loaded, "quarantined" with the reason in the admin list and /readyz,
// until the HTTP enable route lifts it. A clean shutdown between crashes resets the count. Runs
// abi.good in a real host on SQLite and MariaDB; tests/abi/crash_test.sh crashes a real process.

#include "TestSupport.h"

#include "app/CrashRecords.h"
#include "plugins/CrashGuard.h"

#include <gtest/gtest.h>

#include <fstream>
#include <unistd.h>

namespace atrium::test {
namespace {

class CrashRecordsTest : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ATRIUM_NEED_BACKEND(GetParam());
        url = freshDatabaseUrl(GetParam());
        dir = std::filesystem::temp_directory_path() / ("atrium-crash-records-" + std::to_string(::getpid()) + "-" + GetParam());
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        crashFile = dir / "atrium-crash.log";
    }
    void TearDown() override { std::filesystem::remove_all(dir); }

    /// What the fatal-signal handler writes when abi.good crashes in a route.
    void writeCrash(const std::string& plugin = "abi.good") {
        std::ofstream out(crashFile);
        out << "atrium-crash\tSIGSEGV\t1765000000\t" << plugin << "\troute GET /api/v1/abi.good/items\n";
    }
    std::unique_ptr<app::Host> makeHost() {
        app::HostOptions o;
        o.dbUrl = url;
        o.pluginPath = ATRIUM_ABI_PLUGIN_DIR;
        o.crashFile = crashFile;
        o.http.host = "127.0.0.1";
        o.http.port = 0;
        o.webRoot.clear();
        auto host = std::make_unique<app::Host>(o);
        host->migrate(); // reads the crash file, then loads the plugins
        return host;
    }
    plugins::PluginState state(app::Host& host) { return host.plugins().status("abi.good")->state; }

    std::string url;
    std::filesystem::path dir, crashFile;
};

TEST_P(CrashRecordsTest, ACrashFileIsParsedAndRemoved) {
    writeCrash();
    const auto r = plugins::readCrashFile(crashFile);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->plugin, "abi.good");
    EXPECT_EQ(r->what, "route GET /api/v1/abi.good/items");
    EXPECT_EQ(r->signal, "SIGSEGV");
    EXPECT_EQ(r->at, "2025-12-06 05:46:40");
    EXPECT_FALSE(std::filesystem::exists(crashFile));
    std::ofstream(crashFile).close(); // what a run killed without a fatal signal leaves
    EXPECT_FALSE(plugins::readCrashFile(crashFile));
}

TEST_P(CrashRecordsTest, TheCurrentCallIsTrackedAndNests) {
    EXPECT_EQ(plugins::currentPluginCall(), "");
    {
        plugins::PluginCallScope outer("abi.good", "route GET /x");
        EXPECT_EQ(plugins::currentPluginCall(), "abi.good: route GET /x");
        {
            plugins::PluginCallScope inner("abi.other", "event subscriber for x.y");
            EXPECT_EQ(plugins::currentPluginCall(), "abi.other: event subscriber for x.y");
        }
        EXPECT_EQ(plugins::currentPluginCall(), "abi.good: route GET /x");
    }
    EXPECT_EQ(plugins::currentPluginCall(), "");
}

TEST_P(CrashRecordsTest, TwoCrashesInARowQuarantineUntilEnabled) {
    writeCrash();
    {
        auto host = makeHost();
        EXPECT_FALSE(std::filesystem::exists(crashFile) && std::filesystem::file_size(crashFile) > 0);
        EXPECT_EQ(state(*host), plugins::PluginState::Loaded) << "one crash does not quarantine";
        EXPECT_EQ(app::CrashRecords(host->db()).openCrashes("abi.good"), 1);
    } // no start/stop: as if the host crashed again before a clean shutdown
    writeCrash();
    auto host = makeHost();
    ASSERT_EQ(state(*host), plugins::PluginState::Quarantined);
    const auto reason = host->plugins().status("abi.good")->reason;
    EXPECT_NE(reason.find("crashed the host 2 times in a row"), std::string::npos) << reason;
    EXPECT_NE(reason.find("route GET /api/v1/abi.good/items"), std::string::npos) << reason;

    identity::NewUser admin;
    admin.email = kAdminEmail;
    admin.displayName = "Admin";
    admin.password = kAdminPassword;
    admin.roles = {"admin"};
    host->identity().createUser(admin);
    host->start();
    Client anonymous(host->server().port());
    auto ready = anonymous.get("/readyz");
    ASSERT_EQ(ready.status, 200) << ready.body;
    ASSERT_EQ(ready.json()["plugins"]["quarantined"].size(), 1u) << ready.body;
    EXPECT_EQ(ready.json()["plugins"]["quarantined"][0]["id"], "abi.good");
    Client admin_(host->server().port());
    ASSERT_EQ(admin_.login(kAdminEmail, kAdminPassword).status, 200);
    auto list = admin_.get("/api/v1/admin/plugins");
    bool listed = false;
    const auto listed_ = list.json(); // keep the document alive through the loop
    for (const auto& p : listed_["plugins"])
        if (p["id"] == "abi.good") listed = p["state"] == "quarantined" && p["reason"] == reason;
    EXPECT_TRUE(listed) << list.status << " " << list.body;
    EXPECT_EQ(admin_.get("/api/v1/abi.good/items").status, 404) << "a quarantined plugin has no routes";

    auto enabled = admin_.post("/api/v1/admin/plugins/abi.good/enable", Json::object());
    ASSERT_EQ(enabled.status, 200) << enabled.body;
    EXPECT_EQ(enabled.json()["state"], "loaded");
    EXPECT_TRUE(app::CrashRecords(host->db()).quarantined().empty());
    EXPECT_EQ(app::CrashRecords(host->db()).openCrashes("abi.good"), 0);
    EXPECT_EQ(admin_.get("/api/v1/abi.good/items").status, 200);
}

TEST_P(CrashRecordsTest, ACleanShutdownBetweenCrashesResetsTheCount) {
    writeCrash();
    {
        auto host = makeHost();
        host->start();
        host->stop(); // a clean start+shutdown
        EXPECT_FALSE(std::filesystem::exists(crashFile)) << "a clean shutdown removes the crash file";
    }
    writeCrash();
    auto host = makeHost();
    EXPECT_EQ(state(*host), plugins::PluginState::Loaded);
    EXPECT_EQ(app::CrashRecords(host->db()).openCrashes("abi.good"), 1);
}

TEST_P(CrashRecordsTest, AHostCrashOutsideAPluginBlamesNoPlugin) {
    writeCrash("");
    {
        auto host = makeHost();
        EXPECT_EQ(state(*host), plugins::PluginState::Loaded);
    }
    writeCrash("");
    auto again = makeHost();
    EXPECT_EQ(state(*again), plugins::PluginState::Loaded);
    EXPECT_TRUE(app::CrashRecords(again->db()).quarantined().empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, CrashRecordsTest, testing::ValuesIn(backends()), paramName);

} // namespace
} // namespace atrium::test
