// The SDK example loaded into a running atrium (the real HTTP server, identity and department
// enablement). By default it loads the copy built in this tree; sdk_install_test.cmake points
// ATRIUM_HELLO_PLUGIN_DIR at a copy built out of tree against the installed SDK.

#include "TestSupport.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace atrium::test {
namespace {

std::string helloDir() {
    const char* dir = std::getenv("ATRIUM_HELLO_PLUGIN_DIR");
    return dir && *dir ? dir : ATRIUM_HELLO_PLUGIN_DIR;
}

class HelloPlugin : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ATRIUM_NEED_BACKEND(GetParam());
        app::HostOptions options;
        options.pluginPath = helloDir();
        options.config = [](const std::string& key) -> std::optional<std::string> {
            if (key == "plugins.hello.default_language") return "zh-CN";
            return std::nullopt;
        };
        host = std::make_unique<TestHost>(GetParam(), options);
    }
    void TearDown() override { host.reset(); }
    std::unique_ptr<TestHost> host;
};

TEST_P(HelloPlugin, LoadsAndServesItsRoutes) {
    auto status = host->host().plugins().status("hello");
    ASSERT_TRUE(status.has_value()) << "no hello plugin in " << helloDir();
    ASSERT_EQ(status->state, plugins::PluginState::Loaded) << status->reason;
    EXPECT_EQ(status->ui, "/plugins/hello/main.js");

    auto admin = host->adminClient();
    auto created = admin.post("/api/v1/hello/greetings", {{"text", "Hello, world"}});
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(created.json()["language"], "zh-CN") << "the default language comes from plugins.hello.default_language";
    const auto id = created.json()["id"].get<std::int64_t>();

    auto list = admin.get("/api/v1/hello/greetings");
    ASSERT_EQ(list.status, 200) << list.body;
    ASSERT_EQ(list.json()["items"].size(), 1u);
    EXPECT_EQ(list.json()["items"][0]["text"], "Hello, world");
    EXPECT_EQ(admin.get("/api/v1/hello/greetings/" + std::to_string(id)).status, 200);
    EXPECT_EQ(admin.get("/api/v1/hello/stats/daily").json()["days"].size(), 1u);

    auto invalid = admin.post("/api/v1/hello/greetings", {{"text", ""}, {"language", "fr"}});
    EXPECT_EQ(invalid.status, 422);
    EXPECT_TRUE(invalid.json()["error"]["fields"].contains("language"));

    EXPECT_EQ(admin.del("/api/v1/hello/greetings/" + std::to_string(id)).status, 204);
    EXPECT_EQ(admin.get("/api/v1/hello/greetings/" + std::to_string(id)).status, 404);

    auto script = admin.get("/plugins/hello/main.js");
    EXPECT_EQ(script.status, 200);
    EXPECT_NE(script.body.find("export function register"), std::string::npos);
    EXPECT_TRUE(host->host().plugins().catalog().kpi("hello.greetings_count").has_value());
}

TEST_P(HelloPlugin, AUserOutsideAnEnabledDepartmentGets403) {
    ASSERT_TRUE(host->host().plugins().isLoaded("hello"));
    auto root = host->host().identity().ensureRootDepartment();
    auto sales = host->addDepartment("Sales", root);
    auto support = host->addDepartment("Support", root);
    host->host().identity().setModuleEnabled("hello", root, false, nullptr);
    host->host().identity().setModuleEnabled("hello", sales, true, nullptr);
    host->addUser("rep.sales@example.com", {"rep"}, sales);
    host->addUser("rep.support@example.com", {"rep"}, support);

    Client inside(host->port());
    ASSERT_EQ(inside.login("rep.sales@example.com", kAdminPassword).status, 200);
    auto ok = inside.post("/api/v1/hello/greetings", {{"text", "from sales"}});
    EXPECT_EQ(ok.status, 201) << ok.body;
    EXPECT_EQ(inside.get("/api/v1/hello/greetings").status, 200);

    Client outside(host->port());
    ASSERT_EQ(outside.login("rep.support@example.com", kAdminPassword).status, 200);
    EXPECT_EQ(outside.get("/api/v1/hello/greetings").status, 403);
    EXPECT_EQ(outside.post("/api/v1/hello/greetings", {{"text", "from support"}}).status, 403);
}

TEST_P(HelloPlugin, SeedsDemoDataWithABulkInsert) {
    host->addUser("demo.rep@example.com", {"rep"});
    auto outcomes = host->host().plugins().runDemo(2.0, 7);
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_TRUE(outcomes[0].ok) << outcomes[0].message;
    auto c = host->host().db()->acquire();
    EXPECT_EQ(store::asInt(*c->queryScalar("SELECT COUNT(*) FROM hello_greetings")), 1000);
}

INSTANTIATE_TEST_SUITE_P(Backends, HelloPlugin, testing::ValuesIn(backends()), paramName);

} // namespace
} // namespace atrium::test
