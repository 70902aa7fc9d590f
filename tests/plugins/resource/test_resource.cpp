// The SDK's resource layer, through the restest plugin loaded by a real host and driven over
// HTTP, on SQLite and on MariaDB: the contract every declared entity gets.
#include "TestSupport.h"

#include <set>

using namespace atrium;
using test::Json;

namespace {

std::int64_t scalar(app::Host& host, const std::string& sql, const store::Values& params = {}) {
    auto c = host.db()->acquire();
    auto v = c->queryScalar(sql, params);
    return v ? store::asInt(*v) : 0;
}

} // namespace

class ResourceTest : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ATRIUM_NEED_BACKEND(GetParam());
        app::HostOptions o;
        o.pluginPath = ATRIUM_TEST_PLUGIN_DIR;
        host = std::make_unique<test::TestHost>(GetParam(), o);
        auto st = host->host().plugins().status("restest");
        ASSERT_TRUE(st.has_value()) << "the restest plugin was not found in " << ATRIUM_TEST_PLUGIN_DIR;
        ASSERT_EQ(st->state, plugins::PluginState::Loaded) << st->reason;
        admin = std::make_unique<test::Client>(host->adminClient());
        const auto root = host->host().identity().ensureRootDepartment();
        east = host->addDepartment("East", root);
        west = host->addDepartment("West", root);
        mgr = host->addUser("mgr@example.com", {"manager"}, east);
        rep1 = host->addUser("rep1@example.com", {"rep"}, east, mgr);
        rep2 = host->addUser("rep2@example.com", {"rep"}, east, mgr);
        repWest = host->addUser("rep.west@example.com", {"rep"}, west);
        auto acc = admin->post("/api/v1/accounts", {{"name", "Acme"}, {"owner_id", rep1}});
        ASSERT_EQ(acc.status, 201) << acc.body;
        account = acc.json()["id"].get<std::int64_t>();
        acc = admin->post("/api/v1/accounts", {{"name", "Far Away Co"}, {"owner_id", repWest}});
        ASSERT_EQ(acc.status, 201) << acc.body;
        accountWest = acc.json()["id"].get<std::int64_t>();
    }

    test::Client login(const std::string& email) {
        test::Client c(host->port());
        auto r = c.login(email, test::kAdminPassword);
        EXPECT_EQ(r.status, 200) << r.body;
        return c;
    }

    Json create(test::Client& c, const Json& body, int expect = 201) {
        auto r = c.post("/api/v1/restest/items", body);
        EXPECT_EQ(r.status, expect) << r.body;
        return r.json();
    }

    std::unique_ptr<test::TestHost> host;
    std::unique_ptr<test::Client> admin;
    std::int64_t east = 0, west = 0, mgr = 0, rep1 = 0, rep2 = 0, repWest = 0, account = 0, accountWest = 0;
};

TEST_P(ResourceTest, CreateValidatesEveryFieldAndReportsAllProblemsAtOnce) {
    auto r = admin->post("/api/v1/restest/items", {{"status", "maybe"}, {"email", "a@@b.c"}, {"due", "2026-02-30"},
                                                   {"amount", -1}, {"done", "yes"}, {"account_id", "x"}});
    ASSERT_EQ(r.status, 422) << r.body;
    const auto fields = r.json()["error"]["fields"];
    EXPECT_EQ(r.json()["error"]["code"], "validation_failed");
    EXPECT_EQ(fields["name"], "This field is required.");
    EXPECT_EQ(fields["status"], "Use one of: new, open, closed.");
    EXPECT_EQ(fields["email"], "Enter a valid email address.");
    EXPECT_EQ(fields["due"], "Enter a date as YYYY-MM-DD.");
    EXPECT_EQ(fields["amount"], "Enter a number from 0 to 1e+09.");
    EXPECT_EQ(fields["done"], "Send true or false.");
    EXPECT_EQ(fields["account_id"], "Enter a whole number.");
    EXPECT_EQ(admin->post("/api/v1/restest/items", {{"name", std::string(21, 'x')}}).json()["error"]["fields"]["name"],
              "Use at most 20 characters.");
    // Unknown, computed (read-only) fields are refused, not silently dropped.
    EXPECT_EQ(admin->post("/api/v1/restest/items", {{"name", "a"}, {"colour", "red"}}).status, 400);
    EXPECT_EQ(admin->post("/api/v1/restest/items", {{"name", "a"}, {"score", 5}}).status, 400);
    // A module rule from the validate hook.
    EXPECT_EQ(admin->post("/api/v1/restest/items", {{"name", "c"}, {"status", "closed"}}).json()["error"]["fields"]["amount"],
              "A closed item needs an amount.");
    // Unique values.
    create(*admin, {{"name", "twin"}});
    EXPECT_EQ(admin->post("/api/v1/restest/items", {{"name", "twin"}}).json()["error"]["fields"]["name"], "Another item has this name.");
    EXPECT_EQ(scalar(host->host(), "SELECT COUNT(*) FROM restest_items"), 1);
}

TEST_P(ResourceTest, CreateStoresDefaultsComputedValuesAuditTimelineAndEventInOneTransaction) {
    auto rep = login("rep1@example.com");
    const auto item = create(rep, {{"name", "First"}, {"amount", 12.349}, {"email", "ada@example.com"}, {"due", "2026-12-31"},
                                   {"account_id", account}, {"note", "hello"}});
    const auto id = item["id"].get<std::int64_t>();
    EXPECT_EQ(item["status"], "new");
    EXPECT_EQ(item["done"], false);
    EXPECT_EQ(item["score"], 50);
    EXPECT_DOUBLE_EQ(item["amount"].get<double>(), 12.35);
    EXPECT_EQ(item["due"], "2026-12-31");
    EXPECT_EQ(item["account_name"], "Acme");
    EXPECT_EQ(item["owner_id"], rep1);
    EXPECT_EQ(item["department_id"], east);
    EXPECT_EQ(item["version"], 1);
    EXPECT_EQ(item["display"], "First!");
    EXPECT_EQ(scalar(host->host(), "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'restest.item' AND action = 'create' AND entity_id = ?", {id}),
              1);
    EXPECT_EQ(scalar(host->host(), "SELECT COUNT(*) FROM timeline_events WHERE entity_type = 'restest.item' AND kind = 'created' AND account_id = ?",
                     {account}),
              1);
    EXPECT_EQ(scalar(host->host(), "SELECT COUNT(*) FROM restest_seen WHERE topic = 'restest.item.created'"), 1);
    // The account's timeline shows it with the hook's title.
    auto timeline = rep.get("/api/v1/accounts/" + std::to_string(account) + "/timeline").json();
    bool seen = false;
    for (const auto& e : timeline["items"])
        if (e["entity_type"] == "restest.item" && e["title"] == "Item created: First") seen = true;
    EXPECT_TRUE(seen) << timeline.dump();

    // A follow-up that fails rolls everything back: no row, no audit, no timeline, no event.
    auto r = rep.post("/api/v1/restest/items", {{"name", "rollback-me"}, {"account_id", account}});
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(scalar(host->host(), "SELECT COUNT(*) FROM restest_items WHERE name = 'rollback-me'"), 0);
    EXPECT_EQ(scalar(host->host(), "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'restest.item' AND action = 'create'"), 1);
    EXPECT_EQ(scalar(host->host(), "SELECT COUNT(*) FROM timeline_events WHERE entity_type = 'restest.item'"), 1);
    EXPECT_EQ(scalar(host->host(), "SELECT COUNT(*) FROM restest_seen"), 1);
}

TEST_P(ResourceTest, ListPagesSortsFiltersAndSearches) {
    const std::vector<std::tuple<std::string, std::string, double, std::string>> rows = {
        {"alpha", "new", 10, "2026-01-05"}, {"bravo", "open", 20, "2026-02-05"}, {"charlie", "open", 30, "2026-03-05"},
        {"delta", "closed", 40, "2026-04-05"}, {"echo", "new", 50, "2026-05-05"}, {"foxtrot", "open", 60, "2026-06-05"},
        {"golf", "new", 70, "2026-07-05"}};
    for (const auto& [name, status, amount, due] : rows)
        create(*admin, {{"name", name}, {"status", status}, {"amount", amount}, {"due", due}, {"email", name + "@example.com"}});

    auto page = admin->get("/api/v1/restest/items?limit=3&offset=3").json();
    EXPECT_EQ(page["total"], 7);
    EXPECT_EQ(page["limit"], 3);
    EXPECT_EQ(page["offset"], 3);
    ASSERT_EQ(page["items"].size(), 3u);
    EXPECT_EQ(page["items"][0]["name"], "delta"); // default sort: name ascending
    EXPECT_EQ(page["items"][0]["display"], "delta!");

    auto desc = admin->get("/api/v1/restest/items?sort=amount&order=desc&limit=2").json();
    EXPECT_EQ(desc["items"][0]["name"], "golf");
    EXPECT_EQ(desc["items"][1]["name"], "foxtrot");
    EXPECT_EQ(admin->get("/api/v1/restest/items?sort=email").status, 400); // not sortable
    EXPECT_EQ(admin->get("/api/v1/restest/items?order=up").status, 400);
    EXPECT_EQ(admin->get("/api/v1/restest/items?limit=0").status, 400);

    EXPECT_EQ(admin->get("/api/v1/restest/items?status=open").json()["total"], 3);
    EXPECT_EQ(admin->get("/api/v1/restest/items?status=maybe").status, 400);
    EXPECT_EQ(admin->get("/api/v1/restest/items?amount_from=30&amount_to=50").json()["total"], 3);
    EXPECT_EQ(admin->get("/api/v1/restest/items?due_from=2026-03-01&due_to=2026-05-31").json()["total"], 3);
    EXPECT_EQ(admin->get("/api/v1/restest/items?due_from=2026-13-01").status, 400);
    EXPECT_EQ(admin->get("/api/v1/restest/items?done=false").json()["total"], 7);
    EXPECT_EQ(admin->get("/api/v1/restest/items?note=x").status, 400); // not filterable
    EXPECT_EQ(admin->get("/api/v1/restest/items?q=rav").json()["total"], 1);
    EXPECT_EQ(admin->get("/api/v1/restest/items?q=golf%40example").json()["total"], 1); // e-mail is searchable
    // LIKE wildcards in the search text are literal.
    EXPECT_EQ(admin->get("/api/v1/restest/items?q=%25").json()["total"], 0);
    EXPECT_EQ(admin->get("/api/v1/restest/items?q=_").json()["total"], 0);
}

TEST_P(ResourceTest, UpdateIsPartialVersionedAndAudited) {
    const auto item = create(*admin, {{"name", "one"}, {"amount", 5}, {"email", "x@example.com"}});
    const auto path = "/api/v1/restest/items/" + std::to_string(item["id"].get<std::int64_t>());
    EXPECT_EQ(admin->put(path, {{"name", "two"}}).status, 422); // no version
    auto r = admin->put(path, {{"version", 1}, {"name", "two"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["name"], "two");
    EXPECT_EQ(r.json()["email"], "x@example.com"); // untouched
    EXPECT_EQ(r.json()["score"], 30);              // recomputed by the hook
    EXPECT_EQ(r.json()["version"], 2);
    auto stale = admin->put(path, {{"version", 1}, {"name", "three"}});
    EXPECT_EQ(stale.status, 409) << stale.body;
    EXPECT_EQ(stale.json()["error"]["code"], "conflict");
    EXPECT_EQ(admin->put(path, {{"version", 2}, {"note", "later"}}).status, 400); // create-only
    auto patched = admin->request("PATCH", path, Json{{"version", 2}, {"status", "closed"}}.dump());
    EXPECT_EQ(patched.status, 200) << patched.body;
    auto closed = admin->get(path).json();
    EXPECT_EQ(closed["status"], "closed");
    // The hook sees the stored record: clearing the amount of a closed item is refused.
    EXPECT_EQ(admin->put(path, {{"version", 3}, {"amount", nullptr}}).json()["error"]["fields"]["amount"], "A closed item needs an amount.");
    auto c = host->host().db()->acquire();
    auto rows = c->queryAll("SELECT old_values, new_values FROM audit_log WHERE entity_type = 'restest.item' AND action = 'update' ORDER BY id");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(Json::parse(store::asText(rows[0][1]))["name"], "two");
    EXPECT_EQ(Json::parse(store::asText(rows[0][0]))["name"], "one");
    EXPECT_EQ(scalar(host->host(), "SELECT COUNT(*) FROM restest_seen WHERE topic = 'restest.item.updated'"), 2);
    // Sending a value equal to the stored one changes nothing worth an event (booleans included).
    auto same = admin->put(path, {{"version", 3}, {"done", false}, {"name", "two"}});
    ASSERT_EQ(same.status, 200) << same.body;
    EXPECT_EQ(same.json()["done"], false);
    EXPECT_EQ(scalar(host->host(), "SELECT COUNT(*) FROM restest_seen WHERE topic = 'restest.item.updated'"), 2);
}

TEST_P(ResourceTest, RecordScopeAnswers404OutsideAnd403ForReadableButNotWritable) {
    auto r1 = login("rep1@example.com");
    auto r2 = login("rep2@example.com");
    auto far = login("rep.west@example.com");
    const auto item = create(r1, {{"name", "mine"}});
    const auto path = "/api/v1/restest/items/" + std::to_string(item["id"].get<std::int64_t>());
    // rep2 reads the department's items but writes only their own.
    EXPECT_EQ(r2.get(path).status, 200);
    EXPECT_EQ(r2.put(path, {{"version", 1}, {"name", "theirs"}}).status, 403);
    EXPECT_EQ(r2.get("/api/v1/restest/items").json()["total"], 1);
    // Another department sees nothing: 404, as if absent.
    EXPECT_EQ(far.get(path).status, 404);
    EXPECT_EQ(far.put(path, {{"version", 1}, {"name", "x"}}).status, 404);
    EXPECT_EQ(far.get("/api/v1/restest/items").json()["total"], 0);
    // Reps may not delete at all (no delete permission); the manager may.
    EXPECT_EQ(r1.del(path).status, 403);
    // An owner outside the caller's write scope is refused; a missing user is a field problem.
    EXPECT_EQ(r1.post("/api/v1/restest/items", {{"name", "gift"}, {"owner_id", rep2}}).status, 403);
    EXPECT_EQ(admin->post("/api/v1/restest/items", {{"name", "ghost"}, {"owner_id", 999999}}).json()["error"]["fields"]["owner_id"],
              "No active user has this id.");
    // A reference to a record the caller cannot read is answered like a missing one.
    EXPECT_EQ(r1.post("/api/v1/restest/items", {{"name", "far"}, {"account_id", accountWest}}).json()["error"]["fields"]["account_id"],
              "No record has this id.");
    // The manager reassigns within the department; the department follows the owner.
    auto m = login("mgr@example.com");
    auto moved = m.put(path, {{"version", 1}, {"owner_id", rep2}});
    ASSERT_EQ(moved.status, 200) << moved.body;
    EXPECT_EQ(moved.json()["owner_id"], rep2);
    EXPECT_EQ(m.put(path, {{"version", 2}, {"owner_id", repWest}}).status, 403);
    // Nested list with an extra condition.
    create(r1, {{"name", "linked"}, {"account_id", account}});
    EXPECT_EQ(r1.get("/api/v1/restest/accounts/" + std::to_string(account) + "/items").json()["total"], 1);
}

TEST_P(ResourceTest, DeniedFieldsNeverLeaveTheServerAndCannotBeUsed) {
    auto role = admin->post("/api/v1/admin/roles", {{"name", "no-amount"},
                                                    {"permissions", {{"restest.item.read", "all"}, {"restest.item.write", "all"}}},
                                                    {"denied_fields", {"restest.item.amount", "restest.item.email"}}});
    ASSERT_EQ(role.status, 201) << role.body;
    host->addUser("np@example.com", {"no-amount"}, east);
    create(*admin, {{"name", "secret"}, {"amount", 424242}, {"email", "hidden@example.com"}});
    auto u = login("np@example.com");
    auto list = u.get("/api/v1/restest/items");
    ASSERT_EQ(list.status, 200);
    EXPECT_EQ(list.json()["total"], 1);
    EXPECT_EQ(list.body.find("424242"), std::string::npos) << list.body;
    EXPECT_EQ(list.body.find("hidden@"), std::string::npos) << list.body;
    EXPECT_FALSE(list.json()["items"][0].contains("amount"));
    const auto path = "/api/v1/restest/items/" + list.json()["items"][0]["id"].dump();
    auto one = u.get(path);
    EXPECT_FALSE(one.json().contains("amount"));
    EXPECT_FALSE(one.json().contains("email"));
    EXPECT_EQ(u.get("/api/v1/restest/items?sort=amount").status, 403);
    EXPECT_EQ(u.get("/api/v1/restest/items?amount_from=1").status, 403);
    EXPECT_EQ(u.get("/api/v1/restest/items?q=hidden").json()["total"], 0); // search skips denied fields
    EXPECT_EQ(u.post("/api/v1/restest/items", {{"name", "mine"}, {"amount", 1}}).status, 403);
    EXPECT_EQ(u.put(path, {{"version", 1}, {"email", "new@example.com"}}).status, 403);
    auto ok = u.put(path, {{"version", 1}, {"name", "renamed"}});
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_FALSE(ok.json().contains("amount"));
}

TEST_P(ResourceTest, DeleteChecksScopeRunsItsHookAndPublishes) {
    auto m = login("mgr@example.com");
    const auto open = create(m, {{"name", "busy"}, {"status", "open"}});
    const auto done = create(m, {{"name", "gone"}, {"account_id", account}});
    EXPECT_EQ(m.del("/api/v1/restest/items/" + open["id"].dump()).status, 409);
    EXPECT_EQ(m.del("/api/v1/restest/items/" + done["id"].dump()).status, 204);
    EXPECT_EQ(m.get("/api/v1/restest/items/" + done["id"].dump()).status, 404);
    EXPECT_EQ(m.del("/api/v1/restest/items/" + done["id"].dump()).status, 404);
    EXPECT_EQ(m.del("/api/v1/restest/items/abc").status, 404);
    EXPECT_EQ(scalar(host->host(), "SELECT COUNT(*) FROM restest_seen WHERE topic = 'restest.item.deleted'"), 1);
    EXPECT_EQ(scalar(host->host(), "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'restest.item' AND action = 'delete'"), 1);
}

TEST_P(ResourceTest, SharedEntitiesHaveNoOwnerAndNeedOnlyThePermission) {
    auto t = admin->post("/api/v1/restest/tags", {{"code", "vip"}, {"label", "Very important"}});
    ASSERT_EQ(t.status, 201) << t.body;
    EXPECT_FALSE(t.json().contains("owner_id"));
    auto far = login("rep.west@example.com");
    EXPECT_EQ(far.get("/api/v1/restest/tags").json()["total"], 1);
    EXPECT_EQ(far.get("/api/v1/restest/tags/" + t.json()["id"].dump()).status, 200);
    EXPECT_EQ(far.post("/api/v1/restest/tags", {{"code", "x"}, {"label", "y"}}).status, 403);
    EXPECT_EQ(admin->post("/api/v1/restest/tags", {{"code", "vip"}, {"label", "again"}}).status, 422);
    EXPECT_EQ(admin->post("/api/v1/restest/tags", {{"code", "vip2"}, {"label", "x"}, {"owner_id", 1}}).status, 400);
    EXPECT_EQ(scalar(host->host(), "SELECT COUNT(*) FROM timeline_events WHERE entity_type = 'restest.tag'"), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ResourceTest, testing::ValuesIn(test::backends()), test::paramName);
