// Loads every test plugin of tests/abi/plugins into one PluginManager: each broken plugin must
// be refused with its one-sentence reason, and the good plugin and the host must keep serving.

#include "TestSupport.h"

#include "http/Router.h"
#include <atrium/plugin.h>
#include "plugins/Library.h"
#include "plugins/PluginManager.h"
#include "store/Migrations.h"
#include "store/Writes.h"

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
    // The details go to the log, not to the caller; the code is the one docs/api.md promises.
    EXPECT_EQ(json(crash)["error"]["code"], "internal_error");
    EXPECT_EQ(json(crash)["error"]["message"],
              "The abi.good module could not handle this request (request test-request); the details are in the server log.");
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

// ---- the write guard -------------------------------------------------------------------------

TEST_P(AbiTest, APluginWritingCoreTablesIsRefusedAndNothingChanges) {
    std::int64_t account = 0;
    {
        auto c = db->acquire();
        const auto now = db->dialect().nowUtc();
        c->insert("INSERT INTO users (email, display_name, password_hash, active, created_at, updated_at) VALUES "
                  "('owner@example.com', 'Owner', 'x', 1, " + now + ", " + now + ")");
        account = c->insert("INSERT INTO accounts (name, owner_id, department_id, version, created_at, updated_at) VALUES "
                            "('Acme', (SELECT MAX(id) FROM users), ?, 1, " + now + ", " + now + ")", {department});
    }
    const auto auditRows = count("SELECT COUNT(*) FROM audit_log");
    const std::string a = std::to_string(account);
    const std::vector<std::pair<std::string, std::string>> attempts = {
        {"UPDATE accounts SET name = 'Renamed' WHERE id = " + a, "accounts"},
        {"update \"accounts\" set name = 'Renamed'", "accounts"},
        {"INSERT INTO audit_log (occurred_at, action, outcome) VALUES ('2026-01-01 00:00:00', 'forged', 'ok')", "audit_log"},
        {"DELETE FROM audit_log", "audit_log"},
        {"INSERT INTO audit_log (occurred_at, action, outcome) SELECT created_at, 'forged', 'ok' FROM abi_good_items", "audit_log"},
        {"UPDATE accounts SET name = (SELECT MAX(text) FROM abi_good_items) WHERE id = " + a, "accounts"},
        {"/* harmless */ DELETE FROM accounts WHERE id = " + a, "accounts"},
        {"CREATE INDEX abi_good_sneaky ON accounts (name)", "accounts"},
    };
    for (const bool exec : {false, true})
        for (const bool tx : {false, true})
            for (const auto& [sql, table] : attempts) {
                const nlohmann::json body = {{"sql", sql}, {"exec", exec}, {"tx", tx}};
                auto r = call("POST", "/api/v1/abi.good/raw", body.dump());
                EXPECT_EQ(r.status, 403) << sql << " (exec " << exec << ", tx " << tx << "): " << r.body;
                const auto message = json(r)["error"].value("message", "");
                EXPECT_NE(message.find("\"" + table + "\""), std::string::npos) << message;
                EXPECT_NE(message.find("host API"), std::string::npos) << message;
            }
    // A multi-table UPDATE that writes the core table through an alias (MySQL syntax).
    if (db->backend() == store::Backend::Mysql) {
        auto r = call("POST", "/api/v1/abi.good/raw",
                      nlohmann::json{{"sql", "UPDATE abi_good_items i JOIN accounts x ON x.id = i.owner_id SET x.name = i.text"}}.dump());
        EXPECT_EQ(r.status, 403) << r.body;
    }
    EXPECT_EQ(count("SELECT COUNT(*) FROM accounts WHERE name = 'Acme'"), 1) << "the account was changed";
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log"), auditRows) << "the audit log was changed";

    // Reads of core tables, and writes of its own tables, stay allowed.
    auto read = call("POST", "/api/v1/abi.good/raw", nlohmann::json{{"sql", "SELECT name FROM accounts"}}.dump());
    EXPECT_EQ(read.status, 201) << read.body;
    auto own = call("POST", "/api/v1/abi.good/raw",
                    nlohmann::json{{"sql", "INSERT INTO abi_good_items (text, owner_id, created_at) SELECT name, 7, created_at FROM accounts"},
                                   {"tx", true}}
                        .dump());
    EXPECT_EQ(own.status, 201) << own.body;
    EXPECT_EQ(count("SELECT COUNT(*) FROM abi_good_items WHERE text = 'Acme'"), 1);
    // Statements whose effect cannot be checked are refused too.
    auto pragma = call("POST", "/api/v1/abi.good/raw",
                       nlohmann::json{{"sql", db->backend() == store::Backend::Sqlite ? "PRAGMA foreign_keys = OFF" : "SET FOREIGN_KEY_CHECKS = 0"},
                                      {"exec", true}}
                           .dump());
    EXPECT_EQ(pragma.status, 403) << pragma.body;
    // The host's own writes on the plugin's behalf still work (timeline_append into timeline_events).
    auto withTimeline = call("POST", "/api/v1/abi.good/items", nlohmann::json{{"text", "noted"}, {"accountId", account}}.dump());
    EXPECT_EQ(withTimeline.status, 201) << withTimeline.body;
    EXPECT_EQ(count("SELECT COUNT(*) FROM timeline_events WHERE source = 'abi.good'"), 1);
}

// ---- freshness: tables written, reported after commit ------------------------------------------

TEST_P(AbiTest, WrittenTablesAreReportedAfterCommitAndNeverAfterRollback) {
    std::mutex m;
    std::vector<std::vector<std::string>> reports;
    const auto id = store::addWriteListener(*db, [&](const std::vector<std::string>& tables) {
        std::lock_guard lock(m);
        reports.push_back(tables);
    });
    auto seen = [&] {
        std::lock_guard lock(m);
        auto copy = reports;
        reports.clear();
        return copy;
    };
    const std::string insert = "INSERT INTO abi_good_items (text, owner_id, created_at) VALUES ('quiet', 7, '2026-01-15 10:00:00')";

    auto r = call("POST", "/api/v1/abi.good/raw", nlohmann::json{{"sql", insert}, {"tx", true}}.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(seen(), (std::vector<std::vector<std::string>>{{"abi_good_items"}})) << "a committed transaction";

    r = call("POST", "/api/v1/abi.good/raw", nlohmann::json{{"sql", insert}, {"tx", true}, {"rollback", true}}.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_TRUE(seen().empty()) << "a rolled-back transaction reports nothing";

    r = call("POST", "/api/v1/abi.good/raw", nlohmann::json{{"sql", insert}}.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(seen(), (std::vector<std::vector<std::string>>{{"abi_good_items"}})) << "an autocommit statement";

    r = call("POST", "/api/v1/abi.good/raw", nlohmann::json{{"sql", insert}, {"exec", true}, {"tx", true}}.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(seen(), (std::vector<std::vector<std::string>>{{"abi_good_items"}})) << "db_exec in a transaction";

    r = call("POST", "/api/v1/abi.good/bulk?count=3", "");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(seen(), (std::vector<std::vector<std::string>>{{"abi_good_items"}})) << "a bulk insert";

    // The handler fails after its write: the host rolls the transaction back, nothing is reported.
    r = call("POST", "/api/v1/abi.good/items", R"({"text":"fail-after-write"})");
    EXPECT_EQ(r.status, 500);
    EXPECT_TRUE(seen().empty());

    r = call("POST", "/api/v1/abi.good/raw", nlohmann::json{{"sql", "SELECT COUNT(*) FROM abi_good_items"}}.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_TRUE(seen().empty()) << "a read reports nothing";
    store::removeWriteListener(*db, id);
}

INSTANTIATE_TEST_SUITE_P(Backends, AbiTest, testing::ValuesIn(backends()), paramName);

} // namespace
} // namespace atrium::test
