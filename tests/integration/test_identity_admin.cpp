// The admin API on both backends: users, roles, the permission catalogue, module enablement and
// the audit log (filters, CSV export with formula injection neutralised).
#include "test_security_fixture.h"

using namespace atrium;
using namespace atrium::sectest;

class IdentityAdminTest : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ATRIUM_NEED_BACKEND(GetParam());
        world = std::make_unique<TwoDepartments>(GetParam());
    }
    test::TestHost& host() { return *world->host; }
    std::string userUrl(std::int64_t id, const std::string& suffix = "") {
        return "/api/v1/admin/users/" + std::to_string(id) + suffix;
    }
    std::unique_ptr<TwoDepartments> world;
};

TEST_P(IdentityAdminTest, UsersCanBeCreatedChangedAndSignIn) {
    auto admin = host().adminClient();
    EXPECT_EQ(admin.post("/api/v1/admin/users", {{"email", "n@example.com"}, {"display_name", "N"}, {"password", "A-Decent-Passphrase-42"},
                                                 {"is_admin", true}})
                  .status,
              400)
        << "mass assignment";
    auto invalid = admin.post("/api/v1/admin/users", {{"email", "not-an-email"}, {"display_name", ""}, {"password", "A-Decent-Passphrase-42"},
                                                      {"locale", "fr"}});
    ASSERT_EQ(invalid.status, 422);
    for (const char* f : {"email", "display_name", "locale"}) EXPECT_TRUE(invalid.json()["error"]["fields"].contains(f)) << f;
    EXPECT_EQ(admin.post("/api/v1/admin/users", {{"email", "n@example.com"}, {"display_name", "N"}, {"password", "A-Decent-Passphrase-42"},
                                                 {"roles", {"no-such-role"}}})
                  .status,
              422);

    auto created = admin.post("/api/v1/admin/users", {{"email", "New.User@Example.com"}, {"display_name", "New User"},
                                                      {"password", "A-Decent-Passphrase-42"}, {"department_id", world->deptA},
                                                      {"manager_id", world->a1}, {"roles", {"rep"}}, {"locale", "zh-CN"}});
    ASSERT_EQ(created.status, 201) << created.body;
    const auto u = created.json();
    const auto id = u["id"].get<std::int64_t>();
    EXPECT_EQ(u["email"], "new.user@example.com");
    EXPECT_EQ(u["roles"], Json::array({"rep"}));
    EXPECT_EQ(u["locale"], "zh-CN");
    EXPECT_EQ(u["version"], 1);
    EXPECT_FALSE(u.contains("password_hash"));
    EXPECT_EQ(created.body.find("argon2"), std::string::npos);
    EXPECT_EQ(admin.post("/api/v1/admin/users", {{"email", "new.user@example.com"}, {"display_name", "Dup"}, {"password", "A-Decent-Passphrase-42"}})
                  .status,
              422);

    // The new user signs in and sees what a rep of dept A sees.
    test::Client nu(host().port());
    ASSERT_EQ(nu.login("new.user@example.com", "A-Decent-Passphrase-42").status, 200);
    auto me = nu.get("/api/v1/auth/me").json()["user"];
    EXPECT_EQ(me["department_id"], world->deptA);
    EXPECT_EQ(me["permissions"]["core.account.read"], "own");

    // Get and list (with filters).
    EXPECT_EQ(admin.get(userUrl(id)).json()["display_name"], "New User");
    auto list = admin.get("/api/v1/admin/users?department_id=" + std::to_string(world->deptA) + "&role=rep&active=true&limit=2");
    ASSERT_EQ(list.status, 200) << list.body;
    EXPECT_EQ(list.json()["total"], 3);
    EXPECT_EQ(list.json()["items"].size(), 2u);
    EXPECT_EQ(admin.get("/api/v1/admin/users?q=new.user").json()["total"], 1);
    EXPECT_EQ(admin.get("/api/v1/admin/users?bogus=1").status, 400);

    // Update: 409 on a stale version, 422 on a manager cycle, 400 on a password in PUT.
    auto upd = admin.put(userUrl(id), {{"version", 1}, {"display_name", "Renamed"}, {"department_id", world->deptB}, {"roles", {"manager"}},
                                       {"title", "Lead"}, {"manager_id", nullptr}});
    ASSERT_EQ(upd.status, 200) << upd.body;
    EXPECT_EQ(upd.json()["version"], 2);
    EXPECT_EQ(upd.json()["roles"], Json::array({"manager"}));
    EXPECT_EQ(upd.json()["department_id"], world->deptB);
    auto stale = admin.put(userUrl(id), {{"version", 1}, {"display_name", "Lost update"}});
    EXPECT_EQ(stale.status, 409);
    EXPECT_EQ(stale.json()["error"]["code"], "conflict");
    EXPECT_EQ(admin.put(userUrl(id), {{"version", 2}, {"password", "Sneaky-Password-99"}}).status, 400);
    EXPECT_EQ(admin.put(userUrl(id), {{"display_name", "No version"}}).status, 422);
    // a1's manager becomes the new user: then the new user may not be managed by a1.
    ASSERT_EQ(admin.put(userUrl(world->a1), {{"version", 1}, {"manager_id", id}}).status, 200);
    auto cycle = admin.put(userUrl(id), {{"version", 2}, {"manager_id", world->a1}});
    EXPECT_EQ(cycle.status, 422);
    EXPECT_TRUE(cycle.json()["error"]["fields"].contains("manager_id"));
    EXPECT_EQ(admin.put(userUrl(id), {{"version", 2}, {"manager_id", id}}).status, 422);
    // The role change applies to the running session at once (caches invalidated).
    EXPECT_EQ(nu.get("/api/v1/auth/me").json()["user"]["roles"], Json::array({"manager"}));

    auto audit = admin.get("/api/v1/admin/audit?action=admin.user.update&entity_id=" + std::to_string(id)).json();
    ASSERT_EQ(audit["total"], 1) << audit.dump();
    EXPECT_EQ(audit["items"][0]["old_values"]["display_name"], "New User");
    EXPECT_EQ(audit["items"][0]["new_values"]["display_name"], "Renamed");
    EXPECT_EQ(audit["items"][0]["old_values"]["roles"], Json::array({"rep"}));
    EXPECT_EQ(audit["items"][0]["actor_email"], test::kAdminEmail);
    EXPECT_EQ(admin.get("/api/v1/admin/audit?action=create&entity_type=user&entity_id=" + std::to_string(id)).json()["total"], 1);
}

TEST_P(IdentityAdminTest, DisableResetPasswordAndTheLastAdministrator) {
    auto admin = host().adminClient();
    auto a1 = signedIn(host(), "a1@example.com");
    EXPECT_EQ(admin.post(userUrl(world->admin, "/disable"), Json::object()).status, 422) << "not yourself";
    EXPECT_EQ(admin.put(userUrl(world->admin), {{"version", 1}, {"roles", {"rep"}}}).status, 409) << "the last administrator stays";
    EXPECT_EQ(admin.post(userUrl(999999, "/disable"), Json::object()).status, 404);

    auto weak = admin.post(userUrl(world->a1, "/reset-password"), {{"password", "password"}});
    EXPECT_EQ(weak.status, 422);
    EXPECT_EQ(admin.post(userUrl(world->a1, "/reset-password"), {{"password", "New-Strong-Pass-31"}, {"force", true}}).status, 400);
    ASSERT_EQ(admin.post(userUrl(world->a1, "/reset-password"), {{"password", "New-Strong-Pass-31"}}).status, 200);
    EXPECT_EQ(a1.get("/api/v1/auth/me").status, 401) << "a new password ends existing sessions";
    test::Client again(host().port());
    EXPECT_EQ(again.login("a1@example.com", test::kAdminPassword).status, 401);
    ASSERT_EQ(again.login("a1@example.com", "New-Strong-Pass-31").status, 200);

    auto d = admin.post(userUrl(world->a1, "/disable"), Json::object());
    ASSERT_EQ(d.status, 200) << d.body;
    EXPECT_EQ(again.get("/api/v1/auth/me").status, 401);
    EXPECT_EQ(admin.get("/api/v1/admin/audit?action=admin.user.disable&entity_id=" + std::to_string(world->a1)).json()["total"], 1);
    EXPECT_EQ(admin.get("/api/v1/admin/audit?action=admin.user.reset_password").json()["total"], 1);
    auto reenable = admin.put(userUrl(world->a1), {{"version", d.json()["version"]}, {"active", true}});
    EXPECT_EQ(reenable.status, 200) << reenable.body;
    EXPECT_EQ(again.login("a1@example.com", "New-Strong-Pass-31").status, 200);
}

TEST_P(IdentityAdminTest, RolesWithPermissionsAndDeniedFields) {
    auto admin = host().adminClient();
    auto bad = admin.post("/api/v1/admin/roles", {{"name", "X Y"}, {"permissions", {{"core.account.read", "everything"}}}});
    EXPECT_EQ(bad.status, 422);
    EXPECT_EQ(admin.post("/api/v1/admin/roles", {{"name", "ghost"}, {"permissions", {{"no.such.perm", "all"}}}}).status, 422);
    EXPECT_EQ(admin.post("/api/v1/admin/roles", {{"name", "bad-field"}, {"denied_fields", {"phone"}}}).status, 422);
    EXPECT_EQ(admin.post("/api/v1/admin/roles", {{"name", "x"}, {"builtin", true}}).status, 400);
    EXPECT_EQ(admin.post("/api/v1/admin/roles", {{"name", "rep"}}).status, 422) << "duplicate name";

    auto created = admin.post("/api/v1/admin/roles", {{"name", "auditor"}, {"description", "Reads accounts"},
                                                      {"permissions", {{"core.account.read", "all"}, {"core.audit.read", "all"}}},
                                                      {"denied_fields", {"core.account.phone"}}});
    ASSERT_EQ(created.status, 201) << created.body;
    const auto id = created.json()["id"].get<std::int64_t>();
    EXPECT_EQ(created.json()["permissions"]["core.account.read"], "all");
    EXPECT_EQ(created.json()["denied_fields"], Json::array({"core.account.phone"}));
    EXPECT_FALSE(created.json()["builtin"].get<bool>());
    const std::string url = "/api/v1/admin/roles/" + std::to_string(id);
    EXPECT_EQ(admin.get(url).json()["name"], "auditor");
    auto upd = admin.put(url, {{"version", 1}, {"permissions", {{"core.account.read", "department"}}}, {"denied_fields", Json::array()}});
    ASSERT_EQ(upd.status, 200) << upd.body;
    EXPECT_EQ(upd.json()["permissions"], Json({{"core.account.read", "department"}}));
    EXPECT_EQ(upd.json()["denied_fields"], Json::array());
    EXPECT_EQ(admin.put(url, {{"version", 1}, {"description", "stale"}}).status, 409);

    // Built-in roles: not deletable, not renamable; admin keeps every permission.
    const auto repId = scalarInt(host(), "SELECT id FROM roles WHERE name = 'rep'");
    const auto adminRoleId = scalarInt(host(), "SELECT id FROM roles WHERE name = 'admin'");
    auto del = admin.del("/api/v1/admin/roles/" + std::to_string(repId));
    EXPECT_EQ(del.status, 409);
    EXPECT_EQ(del.json()["error"]["code"], "builtin_role");
    EXPECT_EQ(admin.put("/api/v1/admin/roles/" + std::to_string(repId), {{"version", 1}, {"name", "seller"}}).status, 422);
    EXPECT_EQ(admin.put("/api/v1/admin/roles/" + std::to_string(adminRoleId), {{"version", 1}, {"permissions", Json::object()}}).status, 409);

    // In use: refused; unused: deleted and audited.
    ASSERT_EQ(admin.put(userUrl(world->a2), {{"version", 1}, {"roles", {"rep", "auditor"}}}).status, 200);
    EXPECT_EQ(admin.del(url).status, 409);
    ASSERT_EQ(admin.put(userUrl(world->a2), {{"version", 2}, {"roles", {"rep"}}}).status, 200);
    EXPECT_EQ(admin.del(url).status, 200);
    EXPECT_EQ(admin.get(url).status, 404);
    for (const char* a : {"admin.role.create", "admin.role.update", "admin.role.delete"})
        EXPECT_EQ(admin.get(std::string("/api/v1/admin/audit?entity_type=role&action=") + a).json()["total"], a == std::string("admin.role.update") ? 1 : 1) << a;
    auto list = admin.get("/api/v1/admin/roles").json();
    EXPECT_EQ(list["total"], 4) << "admin, analyst, manager, rep";
}

// Built-in roles get each declared default once. An administrator who revokes one (managers
// reading role definitions, say) keeps it revoked when the server restarts or a plugin re-declares.
TEST_P(IdentityAdminTest, ARevokedDefaultGrantStaysRevokedAcrossRestarts) {
    auto admin = host().adminClient();
    const auto managerRole = scalarInt(host(), "SELECT id FROM roles WHERE name = 'manager'");
    const std::string url = "/api/v1/admin/roles/" + std::to_string(managerRole);
    const auto granted = [&](const std::string& permission) {
        return scalarInt(host(), "SELECT COUNT(*) FROM role_permissions WHERE role_id = ? AND permission = ?", {managerRole, permission});
    };
    const auto revoke = [&](const std::string& permission) {
        auto role = admin.get(url).json();
        Json perms = role["permissions"];
        ASSERT_TRUE(perms.contains(permission)) << role.dump();
        perms.erase(permission);
        auto r = admin.put(url, {{"version", role["version"]}, {"permissions", perms}});
        ASSERT_EQ(r.status, 200) << r.body;
    };
    ASSERT_EQ(granted("core.role.read"), 1) << "a default grant";
    revoke("core.role.read");
    ASSERT_EQ(granted("core.role.read"), 0);
    {
        // A restart: another host on the same database runs the start-up path again.
        app::HostOptions o;
        o.dbUrl = host().url();
        o.http.port = 0;
        o.webRoot.clear();
        o.loadPlugins = false;
        app::Host again(o);
        again.migrate();
    }
    EXPECT_EQ(granted("core.role.read"), 0) << "the revocation survived the restart";
    EXPECT_EQ(granted("core.token.write"), 1) << "other defaults are untouched";

    // A permission declared later is granted once, and its revocation stands too.
    using S = identity::Scope;
    auto& id = host().host().identity();
    id.declarePermissions("fixture", {{"fixture.thing.read", "Read things", {{"manager", S::Department}}}});
    EXPECT_EQ(granted("fixture.thing.read"), 1) << "a new declaration's default is granted";
    revoke("fixture.thing.read");
    id.declarePermissions("fixture", {{"fixture.thing.read", "Read things", {{"manager", S::Department}}}});
    EXPECT_EQ(granted("fixture.thing.read"), 0) << "re-declaring does not grant it again";
}

TEST_P(IdentityAdminTest, NobodyHandsOutMoreThanTheyHold) {
    auto admin = host().adminClient();
    // A help-desk role that may manage users and holds what a rep holds, nothing more.
    auto role = admin.post("/api/v1/admin/roles",
                           {{"name", "helpdesk"},
                            {"permissions",
                             {{"core.user.read", "all"}, {"core.user.write", "all"}, {"core.role.read", "all"}, {"core.role.write", "all"},
                              {"core.account.read", "own"}, {"core.account.write", "own"}, {"core.contact.read", "own"},
                              {"core.contact.write", "own"}, {"core.department.read", "all"}}}});
    ASSERT_EQ(role.status, 201) << role.body;
    const auto hd = host().addUser("hd@example.com", {"helpdesk"}, world->deptA);
    auto h = signedIn(host(), "hd@example.com");
    auto mk = [&](const std::string& email, const Json& roles) {
        return h.post("/api/v1/admin/users", {{"email", email}, {"display_name", "X"}, {"password", "A-Decent-Passphrase-42"},
                                              {"department_id", world->deptA}, {"roles", roles}});
    };
    EXPECT_EQ(mk("r1@example.com", {"rep"}).status, 201);
    EXPECT_EQ(mk("r2@example.com", {"admin"}).status, 403);
    EXPECT_EQ(mk("r3@example.com", {"manager"}).status, 403) << "manager has department scope; helpdesk only own";
    EXPECT_EQ(h.put(userUrl(hd), {{"version", 1}, {"roles", {"helpdesk", "admin"}}}).status, 403) << "no self-promotion";
    EXPECT_EQ(h.post("/api/v1/admin/roles", {{"name", "wide"}, {"permissions", {{"core.account.read", "all"}}}}).status, 403);
    EXPECT_EQ(h.post("/api/v1/admin/roles", {{"name", "star"}, {"permissions", {{"*", "all"}}}}).status, 422);
    const auto mgr = scalarInt(host(), "SELECT id FROM roles WHERE name = 'manager'");
    EXPECT_EQ(h.put("/api/v1/admin/roles/" + std::to_string(mgr), {{"version", 1}, {"description", "mine now"}}).status, 403)
        << "editing a role that grants more than you hold is refused";
    EXPECT_EQ(scalarInt(host(), "SELECT COUNT(*) FROM users WHERE email IN ('r2@example.com', 'r3@example.com')"), 0);
}

TEST_P(IdentityAdminTest, PermissionCatalogueIncludesPluginDeclarations) {
    auto admin = host().adminClient();
    auto cat = admin.get("/api/v1/admin/permissions");
    ASSERT_EQ(cat.status, 200);
    bool found = false;
    auto items = cat.json()["items"];
    for (const auto& p : items)
        if (p["name"] == "core.account.read") {
            found = true;
            EXPECT_EQ(p["owner"], "core");
            EXPECT_EQ(p["defaults"]["rep"], "own");
        }
    EXPECT_TRUE(found) << cat.body.substr(0, 600);
    auto& id = host().host().identity();
    id.declarePermissions("sales", {{"sales.opportunity.read", "Read opportunities", {{"rep", identity::Scope::Own}, {"manager", identity::Scope::Department}}}});
    EXPECT_THROW(id.declarePermissions("sales", {{"core.account.read", "hijack", {}}}), std::invalid_argument);
    EXPECT_THROW(id.declarePermissions("sales", {{"service.ticket.read", "not mine", {}}}), std::invalid_argument);
    EXPECT_THROW(id.declarePermissions("sales", {{"Sales.Bad Name", "", {}}}), std::invalid_argument);
    cat = admin.get("/api/v1/admin/permissions");
    found = false;
    items = cat.json()["items"];
    for (const auto& p : items)
        if (p["name"] == "sales.opportunity.read") {
            found = true;
            EXPECT_EQ(p["owner"], "sales");
        }
    EXPECT_TRUE(found);
    // Defaults reached the built-in roles; a role may now grant it.
    EXPECT_EQ(signedIn(host(), "a1@example.com").get("/api/v1/auth/me").json()["user"]["permissions"]["sales.opportunity.read"], "own");
    EXPECT_EQ(admin.post("/api/v1/admin/roles", {{"name", "seller"}, {"permissions", {{"sales.opportunity.read", "all"}}}}).status, 201);
    EXPECT_EQ(signedIn(host(), "a1@example.com").get("/api/v1/admin/permissions").status, 403);
}

TEST_P(IdentityAdminTest, ModuleEnablementPerDepartment) {
    auto admin = host().adminClient();
    const auto url = "/api/v1/admin/modules/sales/departments/" + std::to_string(world->deptB);
    EXPECT_EQ(admin.put(url, {{"enabled", "no"}}).status, 422);
    EXPECT_EQ(admin.put(url, {{"enabled", false}, {"extra", 1}}).status, 400);
    EXPECT_EQ(admin.put("/api/v1/admin/modules/sales/departments/999999", {{"enabled", false}}).status, 404);
    EXPECT_EQ(admin.put("/api/v1/admin/modules/Bad%20Id/departments/" + std::to_string(world->deptB), {{"enabled", false}}).status, 400);
    auto r = admin.put(url, {{"enabled", false}});
    ASSERT_EQ(r.status, 200) << r.body;
    auto& id = host().host().identity();
    EXPECT_FALSE(id.moduleEnabledFor("sales", world->deptB));
    EXPECT_TRUE(id.moduleEnabledFor("sales", world->deptA));
    auto list = admin.get("/api/v1/admin/modules/enablement").json();
    ASSERT_EQ(list["total"], 1);
    EXPECT_EQ(list["items"][0]["plugin"], "sales");
    EXPECT_EQ(list["items"][0]["enabled"], false);
    ASSERT_EQ(admin.put(url, {{"enabled", true}}).status, 200);
    EXPECT_TRUE(id.moduleEnabledFor("sales", world->deptB));
    auto audit = admin.get("/api/v1/admin/audit?action=admin.module.set").json();
    ASSERT_EQ(audit["total"], 2);
    EXPECT_EQ(audit["items"][0]["old_values"]["enabled"], false);
    EXPECT_EQ(audit["items"][0]["new_values"]["enabled"], true);
    auto mb = signedIn(host(), "mb@example.com");
    EXPECT_EQ(mb.get("/api/v1/admin/modules/enablement").status, 403) << "module settings are an operator's concern, not a manager's";
    EXPECT_EQ(mb.put(url, {{"enabled", false}}).status, 403);
}

TEST_P(IdentityAdminTest, AuditLogFiltersPaginationAndSafeCsv) {
    auto admin = host().adminClient();
    // Attacker-controlled text reaches the log through failed sign-ins.
    test::Client anon(host().port());
    const std::vector<std::string> hostile = {"=cmd|' /c calc'!a0@x.com", "+1+1@x.com", "-2+3@x.com", "@sum(1)@x.com", "\t=1@x.com",
                                              "\r=1@x.com", "\xEF\xBC\x9D" "1@x.com"};
    for (const auto& e : hostile) anon.post("/api/v1/auth/login", {{"email", e}, {"password", "whatever-password"}});

    auto all = admin.get("/api/v1/admin/audit?action=login_failed");
    ASSERT_EQ(all.status, 200);
    EXPECT_EQ(all.json()["total"], static_cast<int>(hostile.size()));
    auto page = admin.get("/api/v1/admin/audit?action=login_failed&limit=2&offset=2").json();
    EXPECT_EQ(page["total"], static_cast<int>(hostile.size()));
    EXPECT_EQ(page["items"].size(), 2u);
    EXPECT_EQ(admin.get("/api/v1/admin/audit?actor_id=" + std::to_string(world->admin) + "&action=login").json()["total"], 1);
    auto future = admin.get("/api/v1/admin/audit?from=2200-01-01");
    EXPECT_EQ(future.json()["total"], 0) << future.body;
    EXPECT_GT(admin.get("/api/v1/admin/audit?from=2000-01-01&to=2200-12-31T23:59:59Z").json()["total"].get<int>(), 0);
    for (const char* q : {"from=yesterday", "to=2026-13-45", "limit=0", "limit=100000", "actor_id=abc", "outcome=maybe", "password=x"})
        EXPECT_EQ(admin.get(std::string("/api/v1/admin/audit?") + q).status, 400) << q;

    auto csv = admin.get("/api/v1/admin/audit.csv?action=login_failed");
    ASSERT_EQ(csv.status, 200);
    EXPECT_EQ(csv.headers["content-type"].rfind("text/csv", 0), 0u);
    EXPECT_NE(csv.headers["content-disposition"].find("attachment"), std::string::npos);
    for (const auto& e : hostile) {
        const auto lowered = [&] {
            std::string s = e;
            for (auto& ch : s)
                if (static_cast<unsigned char>(ch) < 128) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            return s;
        }();
        EXPECT_NE(csv.body.find("\"'" + lowered), std::string::npos) << "neutralised: " << lowered;
        EXPECT_EQ(csv.body.find("\"" + lowered), std::string::npos) << "raw formula cell: " << lowered;
    }
    EXPECT_EQ(identity::csvCell("a\"b"), "\"a\"\"b\"");
    EXPECT_EQ(identity::csvCell("plain"), "\"plain\"");
    EXPECT_EQ(identity::csvCell("-5"), "\"'-5\"");
    EXPECT_EQ(admin.get("/api/v1/admin/audit?action=admin.audit.export").json()["total"], 1) << "exports are audited";

    // Append-only: nothing changes or removes entries through the API.
    for (const char* m : {"DELETE", "PUT", "POST", "PATCH"}) {
        auto r = admin.request(m, "/api/v1/admin/audit", "{}");
        EXPECT_TRUE(r.status == 405 || r.status == 404) << m << " " << r.status;
    }
    auto rep = signedIn(host(), "a1@example.com");
    EXPECT_EQ(rep.get("/api/v1/admin/audit").status, 403);
    EXPECT_EQ(rep.get("/api/v1/admin/audit.csv").status, 403);
}

INSTANTIATE_TEST_SUITE_P(Backends, IdentityAdminTest, testing::ValuesIn(test::backends()), test::paramName);
