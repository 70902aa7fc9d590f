// Field-level denial on both backends: a denied field never leaves the server (list, get,
// create/update answers, search, the account timeline), cannot be written, filtered or sorted on.
#include "test_security_fixture.h"

using namespace atrium;
using namespace atrium::sectest;

class SecurityFieldTest : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override { ATRIUM_NEED_BACKEND(GetParam()); }
};

TEST_P(SecurityFieldTest, DeniedFieldsNeverLeaveTheServerAndCannotBeUsed) {
    test::TestHost h(GetParam());
    auto admin = h.adminClient();
    auto role = admin.post("/api/v1/admin/roles",
                           {{"name", "no-phone"},
                            {"permissions", {{"core.account.read", "all"}, {"core.account.write", "all"}, {"core.contact.read", "all"}}},
                            {"denied_fields", {"core.account.phone", "core.account.industry"}}});
    ASSERT_EQ(role.status, 201) << role.body;
    h.addUser("np@example.com", {"no-phone"});
    auto acc = admin.post("/api/v1/accounts", {{"name", "Visible Co"}, {"phone", "+86-555-HIDDEN"}, {"industry", "HiddenIndustry"}});
    ASSERT_EQ(acc.status, 201);
    const auto id = acc.json()["id"].get<std::int64_t>();
    ASSERT_EQ(admin.put("/api/v1/accounts/" + std::to_string(id), {{"version", 1}, {"phone", "+86-555-HIDDEN2"}}).status, 200);

    auto u = signedIn(h, "np@example.com");
    auto noLeak = [](const test::HttpResult& r, const std::string& what) {
        EXPECT_EQ(r.body.find("HIDDEN"), std::string::npos) << what << ": " << r.body;
        EXPECT_EQ(r.body.find("HiddenIndustry"), std::string::npos) << what;
    };
    auto list = u.get("/api/v1/accounts");
    ASSERT_EQ(list.status, 200);
    EXPECT_EQ(list.json()["total"], 1);
    EXPECT_FALSE(list.json()["items"][0].contains("phone"));
    EXPECT_FALSE(list.json()["items"][0].contains("industry"));
    noLeak(list, "list");
    auto one = u.get("/api/v1/accounts/" + std::to_string(id));
    ASSERT_EQ(one.status, 200);
    EXPECT_FALSE(one.json().contains("phone"));
    EXPECT_EQ(one.json()["name"], "Visible Co");
    noLeak(one, "get");
    noLeak(u.get("/api/v1/accounts/" + std::to_string(id) + "/timeline"), "timeline");
    // Search must not be an oracle over the hidden field.
    auto search = u.get("/api/v1/accounts?q=HIDDEN2");
    EXPECT_EQ(search.json()["total"], 0) << search.body;

    // Write, filter, sort: 403.
    EXPECT_EQ(u.post("/api/v1/accounts", {{"name", "X"}, {"phone", "1"}}).status, 403);
    EXPECT_EQ(u.put("/api/v1/accounts/" + std::to_string(id), {{"version", 2}, {"phone", "1"}}).status, 403);
    EXPECT_EQ(u.put("/api/v1/accounts/" + std::to_string(id), {{"version", 2}, {"industry", "1"}}).status, 403);
    auto filter = u.get("/api/v1/accounts?industry=HiddenIndustry");
    EXPECT_EQ(filter.status, 403) << filter.body;
    EXPECT_EQ(u.get("/api/v1/accounts?sort=industry").status, 403);
    const auto ph = u.get("/api/v1/accounts?phone=%2B86-555-HIDDEN2").status;
    EXPECT_TRUE(ph == 403 || ph == 400) << ph;
    // Allowed writes answer without the hidden fields.
    auto upd = u.put("/api/v1/accounts/" + std::to_string(id), {{"version", 2}, {"city", "Suzhou"}});
    ASSERT_EQ(upd.status, 200) << upd.body;
    EXPECT_FALSE(upd.json().contains("phone"));
    noLeak(upd, "update answer");
    EXPECT_EQ(scalarText(h, "SELECT phone FROM accounts WHERE id = ?", {id}), "+86-555-HIDDEN2") << "a hidden field is kept, not cleared";
    // Export: every export route of accounts (there may be none yet) leaves the fields out.
    for (const auto& r : h.host().router().routes())
        if (r->method == "GET" && r->pattern.rfind("/api/v1/accounts", 0) == 0 &&
            (r->pattern.find("export") != std::string::npos || r->pattern.find(".csv") != std::string::npos))
            noLeak(u.get(r->pattern), "export " + r->pattern);
    // The principal reports what is hidden, so the UI can leave the columns out.
    EXPECT_EQ(u.get("/api/v1/auth/me").json()["user"]["denied_fields"], Json::array({"core.account.industry", "core.account.phone"}));
    // A second role without the denial lifts it: roles grant, they do not take away.
    const auto both = h.addUser("both@example.com", {"no-phone", "analyst"});
    (void)both;
    auto b = signedIn(h, "both@example.com");
    EXPECT_EQ(b.get("/api/v1/accounts/" + std::to_string(id)).json()["phone"], "+86-555-HIDDEN2");
}

INSTANTIATE_TEST_SUITE_P(Backends, SecurityFieldTest, testing::ValuesIn(test::backends()), test::paramName);
