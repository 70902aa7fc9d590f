// Plugin settings (issue #13, "Settings"): the manifest's "settings" schema, the admin routes
// GET/PUT /api/v1/admin/plugins/{id}/settings[/{key}], setting_get / setting_subscribe through
// the hello example, on SQLite and MariaDB.

#include "TestSupport.h"

#include "plugins/Manifest.h"
#include "store/Database.h"

#include <atrium/sdk/host.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <mutex>

namespace atrium::test {
namespace {

using plugins::Manifest;
using plugins::ManifestError;

nlohmann::json manifestWith(const nlohmann::json& settings) {
    auto doc = nlohmann::json::parse(R"({
      "id": "acme.invoices", "name": {"en": "Invoices", "zh-CN": "发票"}, "version": "1.0.0", "abi": "1.1",
      "permissions": [{"name": "acme.invoices.configure", "description": "Configure"}]})");
    doc["settings"] = settings;
    return doc;
}

nlohmann::json setting() {
    return nlohmann::json::parse(R"({"key": "due_days", "type": "integer", "default": 30, "min": 1, "max": 365,
      "label": {"en": "Days until due", "zh-CN": "到期天数"}, "permission": "acme.invoices.configure"})");
}

std::string settingError(const std::function<void(nlohmann::json&)>& change) {
    auto s = setting();
    change(s);
    try {
        Manifest::fromJson(manifestWith(nlohmann::json::array({s})));
    } catch (const ManifestError& e) {
        return e.what();
    }
    return "";
}

TEST(ManifestSettings, AcceptsAValidSchema) {
    const auto m = Manifest::fromJson(manifestWith(nlohmann::json::array({setting()})));
    ASSERT_EQ(m.settings.size(), 1u);
    const auto* s = m.setting("due_days");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->permission, "acme.invoices.configure");
    EXPECT_EQ(s->check(30), "");
    EXPECT_EQ(s->check(0), "Enter a number of at least 1.");
    EXPECT_EQ(s->check(366), "Enter a number of at most 365.");
    EXPECT_EQ(s->check(2.5), "Enter a whole number.");
    EXPECT_EQ(s->check("30"), "Enter a whole number.");
    EXPECT_EQ(s->fromConfigText("45"), nlohmann::json(45));
    EXPECT_FALSE(s->fromConfigText("forty").has_value());
    EXPECT_FALSE(s->fromConfigText("999").has_value());
    EXPECT_EQ(m.setting("nope"), nullptr);
}

TEST(ManifestSettings, DefaultsToTheAdminOnlyCorePermission) {
    auto s = setting();
    s.erase("permission");
    const auto m = Manifest::fromJson(manifestWith(nlohmann::json::array({s})));
    EXPECT_EQ(m.settings[0].permission, "core.plugin.write");
}

TEST(ManifestSettings, RefusesBadSchemasWithOneClearSentence) {
    EXPECT_NE(settingError([](auto& s) { s["type"] = "date"; }).find("use text, integer, number, boolean or choice"), std::string::npos);
    EXPECT_NE(settingError([](auto& s) { s["key"] = "Due-Days"; }).find("lower-case letters"), std::string::npos);
    EXPECT_NE(settingError([](auto& s) { s["default"] = 0; }).find("has a default that does not fit: Enter a number of at least 1."),
              std::string::npos);
    EXPECT_NE(settingError([](auto& s) { s.erase("default"); }).find("needs a \"default\""), std::string::npos);
    EXPECT_NE(settingError([](auto& s) { s["label"] = "Days"; }).find("needs \"label\" as {\"en\""), std::string::npos);
    EXPECT_NE(settingError([](auto& s) { s["permission"] = "other.plugin.write"; }).find("does not declare"), std::string::npos);
    EXPECT_NE(settingError([](auto& s) { s["min"] = 400; }).find("\"min\" greater than \"max\""), std::string::npos);
    EXPECT_NE(settingError([](auto& s) { s["type"] = "choice"; s.erase("min"); s.erase("max"); }).find("without \"values\""),
              std::string::npos);
    EXPECT_NE(settingError([](auto& s) { s["type"] = "text"; s["default"] = "x"; }).find("only an integer or number"), std::string::npos);
    EXPECT_NE(settingError([](auto& s) { s["values"] = {1, 2}; }).find("only a choice"), std::string::npos);
    EXPECT_EQ(settingError([](auto&) {}), "");
    auto twice = manifestWith(nlohmann::json::array({setting(), setting()}));
    EXPECT_THROW(Manifest::fromJson(twice), ManifestError);
    auto notArray = manifestWith(nlohmann::json::object());
    EXPECT_THROW(Manifest::fromJson(notArray), ManifestError);
}

TEST(ManifestSettings, ChoicesAndBooleans) {
    auto s = nlohmann::json::parse(R"({"key": "lang", "type": "choice", "default": "en", "values": ["en", "zh-CN"],
      "label": {"en": "Language", "zh-CN": "语言"}})");
    auto b = nlohmann::json::parse(R"({"key": "on", "type": "boolean", "default": false, "label": {"en": "On", "zh-CN": "开"}})");
    const auto m = Manifest::fromJson(manifestWith(nlohmann::json::array({s, b})));
    EXPECT_EQ(m.setting("lang")->check("fr"), "Choose one of: en, zh-CN.");
    EXPECT_EQ(m.setting("lang")->check("zh-CN"), "");
    EXPECT_EQ(m.setting("on")->check("true"), "Choose yes or no.");
    EXPECT_EQ(m.setting("on")->fromConfigText("true"), nlohmann::json(true));
}

std::string helloDir() {
    const char* dir = std::getenv("ATRIUM_HELLO_PLUGIN_DIR");
    return dir && *dir ? dir : ATRIUM_HELLO_PLUGIN_DIR;
}

class HelloSettings : public testing::TestWithParam<std::string> {
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
        ASSERT_TRUE(host->host().plugins().isLoaded("hello"));
    }
    void TearDown() override { host.reset(); }
    std::unique_ptr<TestHost> host;
};

TEST_P(HelloSettings, ListsTheSchemaWithTheConfigFileValue) {
    auto admin = host->adminClient();
    auto got = admin.get("/api/v1/admin/plugins/hello/settings");
    ASSERT_EQ(got.status, 200) << got.body;
    const auto items = got.json()["items"];
    ASSERT_EQ(items.size(), 1u) << got.body;
    EXPECT_EQ(items[0]["key"], "default_language");
    EXPECT_EQ(items[0]["type"], "choice");
    EXPECT_EQ(items[0]["values"], nlohmann::json::array({"en", "zh-CN"}));
    EXPECT_EQ(items[0]["default"], "en");
    EXPECT_EQ(items[0]["label"]["zh-CN"], "默认语言");
    EXPECT_EQ(items[0]["value"], "zh-CN") << "the configuration file wins over the manifest default";
    EXPECT_EQ(items[0]["source"], "config");
    EXPECT_EQ(items[0]["editable"], true);
    EXPECT_EQ(admin.get("/api/v1/admin/plugins/nosuch/settings").status, 404);
}

TEST_P(HelloSettings, AChangeAppliesToTheNextGreetingIsAuditedAndTold) {
    auto admin = host->adminClient();
    auto before = admin.post("/api/v1/hello/greetings", {{"text", "one"}});
    ASSERT_EQ(before.status, 201) << before.body;
    EXPECT_EQ(before.json()["language"], "zh-CN");

    // hello's onSettingChanged handler publishes hello.setting.changed: see that it ran.
    std::vector<nlohmann::json> told;
    std::mutex toldMutex;
    host->host().plugins().events().subscribe("test", "hello.setting.changed",
                                               [&](const std::string&, const std::string& payload, store::Connection*) {
                                                   std::lock_guard lock(toldMutex);
                                                   told.push_back(nlohmann::json::parse(payload));
                                               });
    auto put = admin.put("/api/v1/admin/plugins/hello/settings/default_language", {{"value", "en"}});
    ASSERT_EQ(put.status, 200) << put.body;
    EXPECT_EQ(put.json()["value"], "en");
    EXPECT_EQ(put.json()["previous"], "zh-CN");
    {
        std::lock_guard lock(toldMutex);
        ASSERT_EQ(told.size(), 1u) << "the plugin's setting callback ran once, after the commit";
        EXPECT_EQ(told[0]["key"], "default_language");
        EXPECT_EQ(told[0]["value"], "en");
    }

    // No restart: the plugin reads the setting per request.
    auto after = admin.post("/api/v1/hello/greetings", {{"text", "two"}});
    ASSERT_EQ(after.status, 201) << after.body;
    EXPECT_EQ(after.json()["language"], "en") << "the stored value wins over the configuration file, at once";
    auto explicitZh = admin.post("/api/v1/hello/greetings", {{"text", "three"}, {"language", "zh-CN"}});
    EXPECT_EQ(explicitZh.json()["language"], "zh-CN") << "a language the client sends still wins";

    auto listed = admin.get("/api/v1/admin/plugins/hello/settings").json()["items"][0];
    EXPECT_EQ(listed["value"], "en");
    EXPECT_EQ(listed["source"], "stored");

    auto db = store::Database::open(host->url());
    auto c = db->acquire();
    auto rows = c->queryAll("SELECT old_values, new_values, actor_email FROM audit_log WHERE action = 'admin.plugin.setting'");
    ASSERT_EQ(rows.size(), 1u);
    const auto oldValues = nlohmann::json::parse(store::asText(rows[0][0]));
    const auto newValues = nlohmann::json::parse(store::asText(rows[0][1]));
    EXPECT_EQ(oldValues["value"], "zh-CN");
    EXPECT_EQ(newValues["value"], "en");
    EXPECT_EQ(newValues["plugin"], "hello");
    EXPECT_EQ(newValues["key"], "default_language");
    EXPECT_EQ(store::asText(rows[0][2]), kAdminEmail);
    auto stored = c->queryScalar("SELECT value_json FROM plugin_settings WHERE plugin_id = 'hello' AND setting_key = 'default_language'");
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(store::asText(*stored), "\"en\"");

    // Setting it again (same value) updates, never duplicates.
    ASSERT_EQ(admin.put("/api/v1/admin/plugins/hello/settings/default_language", {{"value", "zh-CN"}}).status, 200);
    ASSERT_EQ(admin.put("/api/v1/admin/plugins/hello/settings/default_language", {{"value", "zh-CN"}}).status, 200);
    EXPECT_EQ(admin.post("/api/v1/hello/greetings", {{"text", "four"}}).json()["language"], "zh-CN");
    EXPECT_EQ(store::asInt(*c->queryScalar("SELECT COUNT(*) FROM plugin_settings"), 0), 1);
}

TEST_P(HelloSettings, BadValuesAre422WithTheField) {
    auto admin = host->adminClient();
    for (const auto& bad : {nlohmann::json("fr"), nlohmann::json(5), nlohmann::json(nullptr), nlohmann::json(true)}) {
        auto r = admin.put("/api/v1/admin/plugins/hello/settings/default_language", {{"value", bad}});
        EXPECT_EQ(r.status, 422) << bad << " " << r.body;
        EXPECT_EQ(r.json()["error"]["code"], "validation_failed") << r.body;
        EXPECT_TRUE(r.json()["error"]["fields"].contains("value")) << r.body;
    }
    auto missing = admin.put("/api/v1/admin/plugins/hello/settings/default_language", nlohmann::json::object());
    EXPECT_EQ(missing.status, 422) << missing.body;
    auto extra = admin.put("/api/v1/admin/plugins/hello/settings/default_language", {{"value", "en"}, {"other", 1}});
    EXPECT_EQ(extra.status, 400) << extra.body;
    auto unknown = admin.put("/api/v1/admin/plugins/hello/settings/nosuch", {{"value", "en"}});
    EXPECT_EQ(unknown.status, 404) << unknown.body;
    EXPECT_TRUE(unknown.json()["error"].contains("message"));
    EXPECT_EQ(admin.post("/api/v1/hello/greetings", {{"text", "x"}}).json()["language"], "zh-CN") << "nothing was stored";
}

TEST_P(HelloSettings, ChangingNeedsTheSettingsPermission) {
    auto admin = host->adminClient();
    // A role that may see plugins (core.plugin.read) but not change hello's setting, which
    // needs core.plugin.write.
    auto role = admin.post("/api/v1/admin/roles", {{"name", "plugin-viewer"}, {"permissions", {{"core.plugin.read", "all"}}}});
    ASSERT_EQ(role.status, 201) << role.body;
    host->addUser("viewer@example.com", {"plugin-viewer"});
    Client viewer(host->port());
    ASSERT_EQ(viewer.login("viewer@example.com", kAdminPassword).status, 200);
    auto listed = viewer.get("/api/v1/admin/plugins/hello/settings");
    ASSERT_EQ(listed.status, 200) << listed.body;
    EXPECT_EQ(listed.json()["items"][0]["editable"], false);
    auto denied = viewer.put("/api/v1/admin/plugins/hello/settings/default_language", {{"value", "en"}});
    EXPECT_EQ(denied.status, 403) << denied.body;
    EXPECT_EQ(denied.json()["error"]["code"], "forbidden") << denied.body;

    host->addUser("rep@example.com", {"rep"});
    Client rep(host->port());
    ASSERT_EQ(rep.login("rep@example.com", kAdminPassword).status, 200);
    EXPECT_EQ(rep.get("/api/v1/admin/plugins/hello/settings").status, 403);
    EXPECT_EQ(rep.put("/api/v1/admin/plugins/hello/settings/default_language", {{"value", "en"}}).status, 403);
    EXPECT_EQ(admin.post("/api/v1/hello/greetings", {{"text", "x"}}).json()["language"], "zh-CN") << "nothing was stored";
}

// A plugin reading a setting on a 1.0 host's table gets a sentence saying what to do.
TEST(SettingsOnA10Host, ReadingASettingSaysTheHostIsTooOld) {
    atrium_host_api old{};
    old.struct_size = ATRIUM_HOST_API_SIZE_V1;
    old.abi_major = 1;
    old.abi_minor = 0;
    sdk::Host h(&old);
    try {
        (void)h.setting<std::string>("default_language");
        FAIL() << "a 1.0 host has no setting_get";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), ATRIUM_E_UNSUPPORTED);
        EXPECT_NE(std::string(e.what()).find("host is too old"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("1.0"), std::string::npos) << e.what();
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, HelloSettings, testing::ValuesIn(backends()), paramName);

} // namespace
} // namespace atrium::test
