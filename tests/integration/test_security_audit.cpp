// The audit trail on both backends: record writes through the API carry actor, time, entity,
// old and new values; sign-ins (success and failure) and authorisation failures are recorded.
#include "test_security_fixture.h"

using namespace atrium;
using namespace atrium::sectest;

class SecurityAuditTest : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override { ATRIUM_NEED_BACKEND(GetParam()); }
};

TEST_P(SecurityAuditTest, WritesSignInsAndRefusalsAreAudited) {
    TwoDepartments w(GetParam());
    auto& h = *w.host;
    auto admin = h.adminClient();
    auto a1 = signedIn(h, "a1@example.com");
    auto created = a1.request("POST", "/api/v1/accounts", Json{{"name", "Audited Co"}, {"phone", "123"}}.dump(), {{"X-Request-Id", "req-create-1"}});
    ASSERT_EQ(created.status, 201);
    const auto id = created.json()["id"].get<std::int64_t>();
    ASSERT_EQ(a1.put("/api/v1/accounts/" + std::to_string(id), {{"version", 1}, {"name", "Renamed Co"}}).status, 200);
    ASSERT_EQ(admin.del("/api/v1/accounts/" + std::to_string(id)).status, 200);

    auto rows = admin.get("/api/v1/admin/audit?entity_type=account&entity_id=" + std::to_string(id)).json();
    ASSERT_EQ(rows["total"], 3) << rows.dump();
    const auto& del = rows["items"][0];
    const auto& upd = rows["items"][1];
    const auto& cre = rows["items"][2];
    EXPECT_EQ(cre["action"], "create");
    EXPECT_EQ(cre["actor_id"], w.a1);
    EXPECT_EQ(cre["actor_email"], "a1@example.com");
    EXPECT_EQ(cre["new_values"]["name"], "Audited Co");
    EXPECT_EQ(cre["request_id"], "req-create-1");
    EXPECT_EQ(cre["client_address"], "127.0.0.1");
    EXPECT_EQ(identity::sqlTime(identity::parseSqlTime(cre["occurred_at"])), cre["occurred_at"]) << "UTC 'YYYY-MM-DD HH:MM:SS'";
    const auto age = std::chrono::system_clock::now() - identity::parseSqlTime(cre["occurred_at"]);
    EXPECT_LT(std::chrono::abs(age), std::chrono::minutes(5)) << "occurred_at is UTC";
    EXPECT_EQ(upd["action"], "update");
    EXPECT_EQ(upd["old_values"]["name"], "Audited Co");
    EXPECT_EQ(upd["new_values"]["name"], "Renamed Co");
    EXPECT_EQ(del["action"], "delete");
    EXPECT_EQ(del["actor_id"], w.admin);
    EXPECT_EQ(del["old_values"]["name"], "Renamed Co");
    EXPECT_EQ(del["old_values"]["phone"], "123");

    // Sign-ins.
    test::Client anon(h.port());
    EXPECT_EQ(anon.login("a1@example.com", "Wrong-Password-1").status, 401);
    EXPECT_EQ(anon.login("ghost@example.com", "Wrong-Password-1").status, 401);
    auto failed = admin.get("/api/v1/admin/audit?action=login_failed").json();
    ASSERT_EQ(failed["total"], 2);
    EXPECT_EQ(failed["items"][0]["actor_email"], "ghost@example.com");
    EXPECT_EQ(failed["items"][0]["outcome"], "failed");
    EXPECT_EQ(failed["items"][1]["actor_id"], w.a1);
    EXPECT_EQ(admin.get("/api/v1/admin/audit?action=login&actor_id=" + std::to_string(w.a1)).json()["total"], 1);
    // The password never reaches the log.
    auto all = admin.get("/api/v1/admin/audit.csv");
    EXPECT_EQ(all.body.find("Wrong-Password-1"), std::string::npos);
    EXPECT_EQ(all.body.find(test::kAdminPassword), std::string::npos);

    // Authorisation failures.
    EXPECT_EQ(a1.get("/api/v1/admin/roles").status, 403);
    auto denied = admin.get("/api/v1/admin/audit?action=denied&actor_id=" + std::to_string(w.a1)).json();
    ASSERT_GE(denied["total"].get<int>(), 1);
    EXPECT_EQ(denied["items"][0]["outcome"], "denied");
    EXPECT_EQ(denied["items"][0]["new_values"]["path"], "/api/v1/admin/roles");

    // Logout is recorded too.
    ASSERT_EQ(a1.post("/api/v1/auth/logout", Json::object()).status, 200);
    EXPECT_EQ(admin.get("/api/v1/admin/audit?action=logout&actor_id=" + std::to_string(w.a1)).json()["total"], 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, SecurityAuditTest, testing::ValuesIn(test::backends()), test::paramName);
