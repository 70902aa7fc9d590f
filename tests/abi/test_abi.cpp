// Loads every test plugin of tests/abi/plugins into one PluginManager: each broken plugin must
// be refused with its one-sentence reason, and the good plugin and the host must keep serving.

#include "TestSupport.h"

#include "http/Router.h"
#include <atrium/plugin.h>
#include "plugins/Library.h"
#include "plugins/PluginManager.h"
#include "store/Migrations.h"

#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <mutex>

namespace atrium::test {
namespace {

using plugins::PluginManager;
using plugins::PluginState;

const std::string kPluginDir = ATRIUM_ABI_PLUGIN_DIR;

std::string hostAbi() { return std::to_string(ATRIUM_ABI_MAJOR) + "." + std::to_string(ATRIUM_ABI_MINOR); }

class AbiTest : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ATRIUM_NEED_BACKEND(GetParam());
        db = store::Database::open(freshDatabaseUrl(GetParam()));
        store::Migrator(*db).apply("core", store::coreMigrations());
        {
            auto c = db->acquire();
            const auto now = db->dialect().nowUtc();
            department = c->insert("INSERT INTO departments (name, path, created_at, updated_at) VALUES ('Company', '/', " + now + ", " + now + ")");
            c->execute("UPDATE departments SET path = ? WHERE id = ?", {"/" + std::to_string(department) + "/", department});
        }
        // A core route, to show the host keeps serving whatever the plugins do.
        http::Route ping;
        ping.method = "GET";
        ping.pattern = "/api/v1/ping";
        ping.isPublic = true;
        ping.handler = [](http::Request&, http::Response& res) { res.json({{"pong", true}}); };
        router.add(ping);

        manager = std::make_unique<PluginManager>(
            db, router,
            [](const std::string& key) -> std::optional<std::string> {
                if (key == "plugins.abi.good.greeting") return "hi";
                return std::nullopt;
            },
            [this](plugins::LogLevel, const std::string& source, const std::string& message) {
                std::lock_guard lock(logMutex);
                logs.push_back(source + ": " + message);
            });
        loaded = manager->loadAll({kPluginDir});
    }

    void TearDown() override { manager.reset(); }

    identity::Principal principal(std::int64_t userId, identity::Scope scope = identity::Scope::All) const {
        identity::Principal p;
        p.userId = userId;
        p.email = "user" + std::to_string(userId) + "@example.com";
        p.departmentId = department;
        p.departmentPath = "/" + std::to_string(department) + "/";
        p.permissions = {{"abi.good.items.read", scope}, {"abi.good.items.write", scope}};
        return p;
    }

    /// Dispatches like the HTTP layer: match, call, render HttpError with the host's error shape.
    http::Response call(const std::string& method, const std::string& target, const std::string& body = {},
                        std::optional<identity::Principal> who = std::nullopt) {
        http::Request req;
        req.method = method;
        const auto q = target.find('?');
        req.path = target.substr(0, q);
        if (q != std::string::npos) {
            req.rawQuery = target.substr(q + 1);
            std::stringstream in(req.rawQuery);
            std::string pair;
            while (std::getline(in, pair, '&')) {
                const auto eq = pair.find('=');
                req.query.emplace(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
            }
        }
        req.body = body;
        req.requestId = "test-request";
        req.principal = who ? *who : principal(7);
        http::Response res;
        auto match = router.match(method, req.path);
        if (!match.route) {
            res.status = match.methodNotAllowed ? 405 : 404;
            return res;
        }
        req.pathParams = match.params;
        req.routePattern = match.route->pattern;
        try {
            match.route->handler(req, res);
        } catch (const http::HttpError& e) {
            res.status = e.status();
            res.body = http::errorBody(e.code(), e.what(), e.fields()).dump();
        }
        return res;
    }

    static nlohmann::json json(const http::Response& res) { return nlohmann::json::parse(res.body, nullptr, false); }

    std::int64_t count(const std::string& sql) {
        auto c = db->acquire();
        return store::asInt(*c->queryScalar(sql));
    }

    bool logged(const std::string& needle) {
        std::lock_guard lock(logMutex);
        for (const auto& l : logs)
            if (l.find(needle) != std::string::npos) return true;
        return false;
    }

    store::DatabasePtr db;
    http::Router router;
    std::unique_ptr<PluginManager> manager;
    std::int64_t department = 0;
    std::size_t loaded = 0;
    std::mutex logMutex;
    std::vector<std::string> logs;
};

TEST_P(AbiTest, EachBrokenPluginIsRefusedWithItsSentence) {
    const std::string next = std::to_string(ATRIUM_ABI_MAJOR) + "." + std::to_string(ATRIUM_ABI_MINOR + 1);
    const std::map<std::string, std::string> expected = {
        {"abi.major-next", "plugin abi.major-next needs SDK ABI " + std::to_string(ATRIUM_ABI_MAJOR + 1) +
                               ".0, this host provides " + hostAbi() + ": upgrade atrium or rebuild the plugin"},
        {"abi.minor-next", "plugin abi.minor-next needs SDK ABI " + next + ", this host provides " + hostAbi() +
                               ": upgrade atrium or rebuild the plugin"},
        {"abi.built-newer", "plugin abi.built-newer needs SDK ABI " + next + ", this host provides " + hostAbi() +
                                ": upgrade atrium or rebuild the plugin"},
        {"abi.no-entry", "plugin abi.no-entry cannot be loaded because libabi.no-entry.so does not export atrium_plugin_query(): "
                         "build it with atrium_add_plugin() and ATRIUM_PLUGIN()"},
        {"abi.throwing", "plugin abi.throwing failed to initialise: the setting plugins.abi.throwing.endpoint is required"},
        {"abi.needs-missing", "plugin abi.needs-missing requires abi.nowhere >=1.0, which is not installed: "
                              "install abi.nowhere or remove abi.needs-missing"},
        {"abi.needs-newer-good", "plugin abi.needs-newer-good requires abi.good >=2.0 <3 but abi.good 1.0.0 is installed: "
                                 "install a matching abi.good or a abi.needs-newer-good built for this one"},
        {"abi.needs-throwing", "plugin abi.needs-throwing requires abi.throwing, which failed to load: "
                               "see the entry of abi.throwing for the reason"},
        {"abi.cycle-a", "plugin abi.cycle-a is in a dependency cycle (abi.cycle-a -> abi.cycle-b -> abi.cycle-a): "
                        "no plugin in a cycle can be initialised first, so remove one of these requirements"},
        {"abi.cycle-b", "plugin abi.cycle-b is in a dependency cycle (abi.cycle-b -> abi.cycle-a -> abi.cycle-b): "
                        "no plugin in a cycle can be initialised first, so remove one of these requirements"},
        {"abi.needs-cycle", "plugin abi.needs-cycle requires abi.cycle-a, which was refused: see the entry of abi.cycle-a for the reason"},
        {"abi.tampered", "plugin abi.tampered cannot be loaded because its atrium-plugin.json differs from the manifest built into "
                         "libabi.tampered.so: reinstall the plugin so both come from the same build"},
        {"abi.bad-migration", "plugin abi.bad-migration has an invalid migration (migration 1 touches table \"accounts_copy\", but a "
                              "plugin's tables and indexes must be named \"abi_bad_migration_…\"): fix the plugin"},
    };
    std::map<std::string, plugins::PluginStatus> byId;
    for (const auto& s : manager->status()) byId[s.id] = s;
    ASSERT_TRUE(byId.count("abi.good"));
    EXPECT_EQ(byId["abi.good"].state, PluginState::Loaded) << byId["abi.good"].reason;
    EXPECT_EQ(byId["abi.good"].reason, "");
    EXPECT_EQ(loaded, 1u);
    for (const auto& [id, sentence] : expected) {
        ASSERT_TRUE(byId.count(id)) << id << " was not discovered";
        EXPECT_EQ(byId[id].state, PluginState::Refused) << id;
        EXPECT_EQ(byId[id].reason, sentence) << id;
        EXPECT_TRUE(logged(sentence)) << "the refusal of " << id << " is not in the log";
    }
    EXPECT_EQ(byId.size(), expected.size() + 1) << "unexpected plugins were discovered";
}

TEST_P(AbiTest, PluginsRefusedByTheirManifestAreNeverMapped) {
    EXPECT_FALSE(plugins::detail::isMapped(kPluginDir + "/abi.major-next/libabi.major-next.so"));
    EXPECT_FALSE(plugins::detail::isMapped(kPluginDir + "/abi.minor-next/libabi.minor-next.so"));
    EXPECT_FALSE(plugins::detail::isMapped(kPluginDir + "/abi.needs-missing/libabi.needs-missing.so"));
    EXPECT_FALSE(plugins::detail::isMapped(kPluginDir + "/abi.cycle-a/libabi.cycle-a.so"));
    EXPECT_TRUE(plugins::detail::isMapped(kPluginDir + "/abi.good/libabi.good.so"));
    // Mapped, checked and refused: stays mapped (never dlclose), but is not running.
    EXPECT_TRUE(plugins::detail::isMapped(kPluginDir + "/abi.tampered/libabi.tampered.so"));
}

TEST_P(AbiTest, TheGoodPluginAndTheHostKeepServing) {
    EXPECT_EQ(call("GET", "/api/v1/ping").status, 200);
    EXPECT_EQ(json(call("GET", "/api/v1/abi.good/items"))["items"].size(), 0u);

    auto created = call("POST", "/api/v1/abi.good/items", R"({"text":"first"})");
    ASSERT_EQ(created.status, 201) << created.body;
    const auto id = json(created)["id"].get<std::int64_t>();
    auto list = json(call("GET", "/api/v1/abi.good/items"));
    ASSERT_EQ(list["items"].size(), 1u);
    EXPECT_EQ(list["items"][0]["text"], "first");
    EXPECT_EQ(list["items"][0]["owner_id"], 7);
    auto one = call("GET", "/api/v1/abi.good/items/" + std::to_string(id));
    EXPECT_EQ(one.status, 200);
    EXPECT_EQ(json(one)["text"], "first");
    // Routes of refused plugins do not exist.
    EXPECT_EQ(call("GET", "/api/v1/abi.throwing/items").status, 404);
}

TEST_P(AbiTest, ErrorsCrossTheBoundaryAsStatusCodes) {
    auto missing = call("GET", "/api/v1/abi.good/items/999");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(json(missing)["error"]["code"], "not_found");
    EXPECT_EQ(json(missing)["error"]["message"], "Item 999 was not found.");

    auto invalid = call("POST", "/api/v1/abi.good/items", R"({"text":""})");
    EXPECT_EQ(invalid.status, 422);
    EXPECT_EQ(json(invalid)["error"]["fields"]["text"], "is required");

    EXPECT_EQ(call("POST", "/api/v1/abi.good/items", "not json").status, 400);
    EXPECT_EQ(call("GET", "/api/v1/abi.good/conflict").status, 409);
    EXPECT_EQ(call("GET", "/api/v1/abi.good/bad-json").status, 400);
    EXPECT_EQ(call("GET", "/api/v1/abi.good/items/abc").status, 404);

    auto crash = call("GET", "/api/v1/abi.good/crash");
    EXPECT_EQ(crash.status, 500);
    // The details go to the log, not to the caller.
    EXPECT_EQ(json(crash)["error"]["message"], "The abi.good module could not handle this request; the details are in the server log.");
    EXPECT_TRUE(logged("a bug in the plugin"));
}

TEST_P(AbiTest, AFailedHandlerRollsBackItsTransaction) {
    auto r = call("POST", "/api/v1/abi.good/items", R"({"text":"fail-after-write"})");
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(count("SELECT COUNT(*) FROM abi_good_items"), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM abi_good_audit"), 0);
}

TEST_P(AbiTest, SubscribersWriteInThePublishersTransactionAndFailAlone) {
    ASSERT_EQ(call("POST", "/api/v1/abi.good/items", R"({"text":"fine"})").status, 201);
    EXPECT_EQ(count("SELECT COUNT(*) FROM abi_good_audit"), 1);
    // The subscriber writes, then throws: its savepoint is rolled back, the item stays.
    ASSERT_EQ(call("POST", "/api/v1/abi.good/items", R"({"text":"poison"})").status, 201);
    EXPECT_EQ(count("SELECT COUNT(*) FROM abi_good_items"), 2);
    EXPECT_EQ(count("SELECT COUNT(*) FROM abi_good_audit"), 1);
    EXPECT_TRUE(logged("the subscriber cannot handle poison"));
}

TEST_P(AbiTest, BulkInsertSendsBatchesAndOnlyIntoOwnTables) {
    auto r = call("POST", "/api/v1/abi.good/bulk?count=2345");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(json(r)["rows"], 2345);
    EXPECT_EQ(json(r)["total"], 2345);
    auto foreign = call("POST", "/api/v1/abi.good/bulk-foreign");
    EXPECT_EQ(foreign.status, 403);
    EXPECT_NE(json(foreign)["error"]["message"].get<std::string>().find("a plugin writes only its own tables"), std::string::npos);
}

TEST_P(AbiTest, RecordScopeLimitsRowsToThePrincipal) {
    ASSERT_EQ(call("POST", "/api/v1/abi.good/items", R"({"text":"mine"})", principal(7)).status, 201);
    ASSERT_EQ(call("POST", "/api/v1/abi.good/items", R"({"text":"theirs"})", principal(8)).status, 201);
    EXPECT_EQ(json(call("GET", "/api/v1/abi.good/items", {}, principal(7, identity::Scope::Own)))["items"].size(), 1u);
    EXPECT_EQ(json(call("GET", "/api/v1/abi.good/items", {}, principal(7, identity::Scope::Department)))["items"].size(), 2u);
    EXPECT_EQ(json(call("GET", "/api/v1/abi.good/items", {}, principal(7, identity::Scope::All)))["items"].size(), 2u);
    auto outsider = principal(9, identity::Scope::Department);
    outsider.departmentId = department + 1000;
    outsider.departmentPath = "/" + std::to_string(department + 1000) + "/";
    EXPECT_EQ(json(call("GET", "/api/v1/abi.good/items", {}, outsider))["items"].size(), 0u);
}

TEST_P(AbiTest, ConfigDialectAndTimelineReachThePlugin) {
    auto config = json(call("GET", "/api/v1/abi.good/config"));
    EXPECT_EQ(config["greeting"], "hi");
    EXPECT_EQ(config["missing"], false);
    auto dialect = json(call("GET", "/api/v1/abi.good/dialect"));
    EXPECT_EQ(dialect["name"], GetParam());
    EXPECT_FALSE(dialect["month"].get<std::string>().empty());
    EXPECT_NE(dialect["upsert"].get<std::string>().find("abi_good_items"), std::string::npos);
    EXPECT_EQ(dialect["ddl"].get<std::string>().find("${ID}"), std::string::npos);

    ASSERT_EQ(call("POST", "/api/v1/abi.good/items", R"({"text":"with account","accountId":42})").status, 201);
    EXPECT_EQ(count("SELECT COUNT(*) FROM timeline_events WHERE source = 'abi.good' AND account_id = 42 AND kind = 'created'"), 1);
}

TEST_P(AbiTest, CatalogAssetsAndDemoData) {
    auto dataset = manager->catalog().dataset("abi.good.items");
    ASSERT_TRUE(dataset.has_value());
    EXPECT_EQ((*dataset)["plugin"], "abi.good");
    EXPECT_EQ((*dataset)["scope"]["owner"], "owner_id");
    ASSERT_TRUE(manager->catalog().kpi("abi.good.items_count").has_value());

    auto page = call("GET", "/plugins/abi.good/");
    EXPECT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("abi.good assets"), std::string::npos);
    EXPECT_EQ(page.contentType, "text/html; charset=utf-8");
    EXPECT_EQ(call("GET", "/plugins/abi.good/js/main.js").contentType, "text/javascript; charset=utf-8");
    EXPECT_EQ(call("GET", "/plugins/abi.good/../abi.tampered/atrium-plugin.json").status, 404);
    EXPECT_EQ(call("GET", "/plugins/abi.good/nothing.js").status, 404);

    std::vector<double> progress;
    auto outcomes = manager->runDemo(1.0, 42, [&](const std::string& id, double f, const std::string&) {
        if (id == "abi.good") progress.push_back(f);
    });
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_TRUE(outcomes[0].ok) << outcomes[0].message;
    EXPECT_EQ(count("SELECT COUNT(*) FROM abi_good_items WHERE text = 'demo 42'"), 2500);
    ASSERT_FALSE(progress.empty());
    EXPECT_DOUBLE_EQ(progress.back(), 1.0);
}

TEST_P(AbiTest, DisableStopsThePluginAndEnableBringsItBack) {
    ASSERT_EQ(call("POST", "/api/v1/abi.good/items", R"({"text":"kept"})").status, 201);
    std::string why;
    ASSERT_TRUE(manager->disable("abi.good", &why)) << why;
    EXPECT_EQ(manager->status("abi.good")->state, PluginState::Disabled);
    EXPECT_EQ(manager->status("abi.good")->reason, "disabled by an administrator");
    EXPECT_EQ(call("GET", "/api/v1/abi.good/items").status, 404);
    EXPECT_FALSE(manager->catalog().dataset("abi.good.items").has_value());
    EXPECT_TRUE(logged("abi.good shut down"));
    EXPECT_EQ(call("GET", "/api/v1/ping").status, 200);

    ASSERT_TRUE(manager->enable("abi.good", &why)) << why;
    EXPECT_EQ(manager->status("abi.good")->state, PluginState::Loaded);
    auto list = json(call("GET", "/api/v1/abi.good/items"));
    ASSERT_EQ(list["items"].size(), 1u) << "disabling must keep the plugin's data";
    EXPECT_TRUE(manager->catalog().dataset("abi.good.items").has_value());

    EXPECT_FALSE(manager->enable("abi.tampered", &why));
    EXPECT_NE(why.find("differs from the manifest"), std::string::npos);
    EXPECT_FALSE(manager->disable("abi.nowhere", &why));
    EXPECT_EQ(why, "no plugin abi.nowhere is installed");
}

TEST_P(AbiTest, StatusJsonForTheAdminApi) {
    const auto doc = manager->toJson();
    EXPECT_EQ(doc["abi"], hostAbi());
    bool found = false;
    for (const auto& p : doc["plugins"]) {
        if (p["id"] != "abi.good") continue;
        found = true;
        EXPECT_EQ(p["state"], "loaded");
        EXPECT_EQ(p["name"]["zh-CN"], "ABI 测试 abi.good");
        EXPECT_EQ(p["version"], "1.0.0");
        EXPECT_TRUE(p["reason"].is_null());
        EXPECT_GT(p["routes"].get<int>(), 5);
        EXPECT_EQ(p["assets"], true);
        EXPECT_EQ(p["demo"], true);
        // Manifest read -> init done, including its two migrations (bench/ reports the target).
        EXPECT_GT(p["loadMillis"].get<double>(), 0.0);
        std::cout << "abi.good loaded in " << p["loadMillis"].get<double>() << " ms on " << GetParam() << "\n";
    }
    EXPECT_TRUE(found);
    const auto permissions = manager->permissions();
    ASSERT_EQ(permissions.size(), 2u);
    EXPECT_EQ(permissions[0]["plugin"], "abi.good");
}

INSTANTIATE_TEST_SUITE_P(Backends, AbiTest, testing::ValuesIn(backends()), paramName);

} // namespace
} // namespace atrium::test
