// The IDOR matrix, generated from the router's route table: every non-public route is called
// by a rep of another department (B1), a rep of the same department who does not own the
// records (A2) and a manager of another department (MB), against records owned by rep A1.
// Expectations come from each principal's permissions and scopes, not from a hand-kept list, so
// a route added later is exercised automatically -- and a route whose shape the test does not
// know makes it FAIL, naming the route, until it is described below or allow-listed with a reason.
#include "test_security_fixture.h"

#include <set>

using namespace atrium;
using namespace atrium::sectest;

namespace {

enum class Target { Account, Contact, User, OwnToken, Unscoped };

struct Shape {
    Target target;
    Json body; ///< for POST/PUT
};

/// Every route shape the matrix knows how to exercise, by "METHOD pattern".
const std::map<std::string, Shape>& knownShapes() {
    static const std::map<std::string, Shape> m = {
        {"GET /api/v1/accounts", {Target::Account, nullptr}},
        {"POST /api/v1/accounts", {Target::Account, {{"name", "pwned"}, {"owner_id", "$A1"}}}},
        {"GET /api/v1/accounts/{id}", {Target::Account, nullptr}},
        {"PUT /api/v1/accounts/{id}", {Target::Account, {{"version", 1}, {"name", "pwned"}}}},
        {"DELETE /api/v1/accounts/{id}", {Target::Account, nullptr}},
        {"GET /api/v1/accounts/{id}/contacts", {Target::Account, nullptr}},
        {"GET /api/v1/accounts/{id}/timeline", {Target::Account, nullptr}},
        {"GET /api/v1/contacts", {Target::Contact, nullptr}},
        {"POST /api/v1/contacts", {Target::Contact, {{"first_name", "pwned"}, {"account_id", "$ACCOUNT"}}}},
        {"GET /api/v1/contacts/{id}", {Target::Contact, nullptr}},
        {"PUT /api/v1/contacts/{id}", {Target::Contact, {{"version", 1}, {"first_name", "pwned"}}}},
        {"DELETE /api/v1/contacts/{id}", {Target::Contact, nullptr}},
        {"GET /api/v1/admin/users", {Target::User, nullptr}},
        {"POST /api/v1/admin/users", {Target::Unscoped, {{"email", "pwned@example.com"}, {"display_name", "pwned"}, {"password", "A-Decent-Passphrase-42"}}}},
        {"GET /api/v1/admin/users/{id}", {Target::User, nullptr}},
        {"PUT /api/v1/admin/users/{id}", {Target::User, {{"version", 1}, {"display_name", "pwned"}}}},
        {"POST /api/v1/admin/users/{id}/disable", {Target::User, Json::object()}},
        {"POST /api/v1/admin/users/{id}/reset-password", {Target::User, {{"password", "Pwned-Password-1234"}}}},
        {"GET /api/v1/auth/tokens", {Target::OwnToken, nullptr}},
        {"DELETE /api/v1/auth/tokens/{id}", {Target::OwnToken, nullptr}},
        {"GET /api/v1/departments", {Target::Unscoped, nullptr}},
        {"POST /api/v1/departments", {Target::Unscoped, {{"name", "pwned"}, {"parent_id", "$DEPT"}}}},
        {"PUT /api/v1/departments/{id}", {Target::Unscoped, {{"version", 1}, {"name", "pwned"}}}},
        {"GET /api/v1/admin/roles", {Target::Unscoped, nullptr}},
        {"POST /api/v1/admin/roles", {Target::Unscoped, {{"name", "pwned"}}}},
        {"GET /api/v1/admin/roles/{id}", {Target::Unscoped, nullptr}},
        {"PUT /api/v1/admin/roles/{id}", {Target::Unscoped, {{"version", 1}, {"description", "pwned"}}}},
        {"DELETE /api/v1/admin/roles/{id}", {Target::Unscoped, nullptr}},
        {"GET /api/v1/admin/permissions", {Target::Unscoped, nullptr}},
        {"GET /api/v1/admin/fields", {Target::Unscoped, nullptr}},
        {"GET /api/v1/admin/modules/enablement", {Target::Unscoped, nullptr}},
        {"PUT /api/v1/admin/modules/{plugin}/departments/{dept}", {Target::Unscoped, {{"enabled", false}}}},
        {"GET /api/v1/admin/audit", {Target::Unscoped, nullptr}},
        {"GET /api/v1/admin/audit.csv", {Target::Unscoped, nullptr}},
        {"GET /api/v1/admin/routes", {Target::Unscoped, nullptr}},
        {"GET /api/v1/auth/me", {Target::Unscoped, nullptr}},
        {"GET /api/v1/admin/plugins", {Target::Unscoped, nullptr}},
        {"POST /api/v1/admin/plugins/{id}/enable", {Target::Unscoped, Json::object()}},
        {"POST /api/v1/admin/plugins/{id}/disable", {Target::Unscoped, Json::object()}},
        {"GET /api/v1/admin/plugins/{id}/settings", {Target::Unscoped, nullptr}},
        {"PUT /api/v1/admin/plugins/{id}/settings/{key}", {Target::Unscoped, {{"value", "pwned"}}}},
    };
    return m;
}

/// Routes deliberately not called by the matrix, each with the reason.
const std::map<std::string, std::string>& skipped() {
    static const std::map<std::string, std::string> m = {
        {"POST /api/v1/auth/logout", "acts only on the caller's own session (IdentitySessionTest covers it)"},
        {"POST /api/v1/auth/tokens", "creates a token for the caller only; the user id is never taken from the request"},
    };
    return m;
}

const char* kSecrets[] = {"SECRET-A1-ACCOUNT", "SECRET-A1-PHONE", "SECRET-A1-CONTACT", "secret.a1.contact@example.com"};

} // namespace

class SecurityIdorTest : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ATRIUM_NEED_BACKEND(GetParam());
        world = std::make_unique<TwoDepartments>(GetParam());
    }
    std::unique_ptr<TwoDepartments> world;
};

TEST_P(SecurityIdorTest, EveryRouteRefusesOtherPeoplesRecords) {
    auto& h = *world->host;
    // A1's records, created through the API as A1.
    auto a1 = signedIn(h, "a1@example.com");
    auto acc = a1.post("/api/v1/accounts", {{"name", "SECRET-A1-ACCOUNT"}, {"phone", "SECRET-A1-PHONE"}, {"city", "Hangzhou"}});
    ASSERT_EQ(acc.status, 201) << acc.body;
    const auto accountId = acc.json()["id"].get<std::int64_t>();
    auto con = a1.post("/api/v1/contacts", {{"first_name", "SECRET-A1-CONTACT"}, {"email", "secret.a1.contact@example.com"}, {"account_id", accountId}});
    ASSERT_EQ(con.status, 201) << con.body;
    const auto contactId = con.json()["id"].get<std::int64_t>();
    identity::Principal a1p = world->principal(world->a1);
    const auto tokenId = h.host().identity().createApiToken(a1p, "a1-integration", {}).first;
    const auto roleId = scalarInt(h, "SELECT id FROM roles WHERE name = 'analyst'");

    auto idFor = [&](const std::string& pattern, Target t) -> std::int64_t {
        if (pattern.rfind("/api/v1/departments", 0) == 0) return world->deptA;
        if (pattern.rfind("/api/v1/admin/roles", 0) == 0) return roleId;
        switch (t) {
        case Target::Account: return accountId;
        case Target::Contact: return contactId;
        case Target::User: return world->a1;
        case Target::OwnToken: return tokenId;
        default: return 0;
        }
    };
    auto substitute = [&](std::string pattern, Target t) {
        auto rep = [&](const std::string& what, const std::string& with) {
            if (auto p = pattern.find(what); p != std::string::npos) pattern.replace(p, what.size(), with);
        };
        rep("{id}", pattern.rfind("/api/v1/admin/plugins", 0) == 0 ? std::string("sales") : std::to_string(idFor(pattern, t)));
        rep("{plugin}", "sales");
        rep("{key}", "default_language");
        rep("{dept}", std::to_string(world->deptA));
        return pattern;
    };
    auto bodyFor = [&](Json body) {
        if (body.is_null()) return std::string();
        for (auto& [k, v] : body.items()) {
            if (v == "$A1") v = world->a1;
            else if (v == "$ACCOUNT") v = accountId;
            else if (v == "$DEPT") v = world->deptA;
        }
        return body.dump();
    };
    // Whether principal `p` may reach A1's record of kind `t` under `permission`.
    auto reaches = [&](const identity::Principal& p, Target t, const std::string& permission) {
        switch (t) {
        case Target::Account: return identity::inScope(p, permission, world->a1, world->pathA) && identity::inScope(p, "core.account.read", world->a1, world->pathA);
        case Target::Contact: return identity::inScope(p, permission, world->a1, world->pathA) && identity::inScope(p, "core.contact.read", world->a1, world->pathA);
        case Target::User: return identity::inScope(p, permission, world->a1, world->pathA) && identity::inScope(p, "core.user.read", world->a1, world->pathA);
        case Target::OwnToken: return p.userId == world->a1;
        case Target::Unscoped: return true;
        }
        return false;
    };

    // Classify the route table first: unknown shapes fail the test by name.
    std::vector<std::shared_ptr<const http::Route>> routes;
    std::vector<std::string> unknown;
    for (const auto& r : h.host().router().routes()) {
        const auto key = r->method + " " + r->pattern;
        if (r->isPublic || skipped().count(key)) continue;
        if (!knownShapes().count(key)) unknown.push_back(key + " (permission " + r->permission + ", owner " + r->owner + ")");
        else routes.push_back(r);
    }
    EXPECT_TRUE(unknown.empty()) << "routes the IDOR matrix does not know how to exercise -- describe them in knownShapes() "
                                    "or allow-list them in skipped() with a reason:\n  "
                                 << [&] {
                                        std::string s;
                                        for (const auto& u : unknown) s += u + "\n  ";
                                        return s;
                                    }();
    ASSERT_GE(routes.size(), 25u) << "the route table looks incomplete";
    // Reads before writes, deletes last, so that an (unexpected) success cannot hide later checks.
    std::stable_sort(routes.begin(), routes.end(), [](const auto& a, const auto& b) {
        auto rank = [](const std::string& m) { return m == "GET" ? 0 : m == "DELETE" ? 2 : 1; };
        return rank(a->method) < rank(b->method);
    });

    struct Who {
        const char* name;
        std::string email;
        std::int64_t id;
    };
    const std::vector<Who> others = {{"B1 (rep, other department)", "b1@example.com", world->b1},
                                     {"A2 (rep, same department, not owner)", "a2@example.com", world->a2},
                                     {"MB (manager, other department)", "mb@example.com", world->mb}};
    int exercised = 0;
    for (const auto& who : others) {
        auto client = signedIn(h, who.email);
        const auto p = world->principal(who.id);
        for (const auto& r : routes) {
            const auto key = r->method + " " + r->pattern;
            const auto& shape = knownShapes().at(key);
            const bool hasId = r->pattern.find('{') != std::string::npos;
            const auto path = substitute(r->pattern, shape.target);
            auto res = client.request(r->method, path, bodyFor(shape.body));
            ++exercised;
            const std::string ctx = std::string(who.name) + ": " + key + " -> " + std::to_string(res.status) + " " + res.body.substr(0, 300);
            EXPECT_LT(res.status, 500) << ctx;
            EXPECT_NE(res.status, 401) << ctx;
            for (const char* s : kSecrets) EXPECT_EQ(res.body.find(s), std::string::npos) << "leak of " << s << " in " << ctx;
            if (!p.can(r->permission)) {
                EXPECT_EQ(res.status, 403) << "not permitted at all: " << ctx;
                continue;
            }
            const bool reach = reaches(p, shape.target, r->permission);
            if (hasId && !reach) {
                EXPECT_TRUE(res.status == 403 || res.status == 404) << "out of scope: " << ctx;
            } else if (!hasId && r->method == "POST" && !reach) {
                EXPECT_TRUE(res.status == 403 || res.status == 404 || res.status == 422) << "create on another's behalf: " << ctx;
            } else if (!hasId && r->method == "GET" && !reach) {
                ASSERT_EQ(res.status, 200) << ctx;
                const auto j = res.json();
                if (j.contains("items"))
                    for (const auto& item : j["items"]) {
                        const auto idValue = item.value("id", Json(nullptr));
                        EXPECT_NE(idValue, Json(idFor(r->pattern, shape.target))) << "A1's record listed: " << ctx;
                    }
                if (shape.target == Target::Account || shape.target == Target::Contact)
                    EXPECT_EQ(j.value("total", -1), 0) << "list total counts A1's records: " << ctx;
            } else if (r->method == "GET") {
                EXPECT_EQ(res.status, 200) << "in scope, so readable: " << ctx;
            }
        }
    }
    EXPECT_GE(exercised, 75);

    // Users list totals: exactly the users within each principal's reach.
    for (const auto& who : others) {
        auto client = signedIn(h, who.email);
        const auto p = world->principal(who.id);
        if (!p.can("core.user.read")) continue;
        std::int64_t expected = 0;
        for (const auto& u : h.host().identity().listUsers()) {
            const auto path = scalarText(h, "SELECT path FROM departments WHERE id = ?", {u.departmentId});
            if (identity::inScope(p, "core.user.read", u.id, path)) ++expected;
        }
        EXPECT_EQ(client.get("/api/v1/admin/users?limit=200").json()["total"], expected) << who.name;
    }

    // Nothing of A1's changed, nothing was created on A1's behalf.
    EXPECT_EQ(scalarInt(h, "SELECT version FROM accounts WHERE id = ?", {accountId}), 1);
    EXPECT_EQ(scalarInt(h, "SELECT version FROM contacts WHERE id = ?", {contactId}), 1);
    EXPECT_EQ(scalarInt(h, "SELECT COUNT(*) FROM api_tokens WHERE id = ? AND revoked_at IS NULL", {tokenId}), 1);
    EXPECT_EQ(scalarInt(h, "SELECT active FROM users WHERE id = ?", {world->a1}), 1);
    EXPECT_EQ(scalarInt(h, "SELECT version FROM users WHERE id = ?", {world->a1}), 1);
    for (const char* table : {"accounts", "contacts", "departments", "roles"}) {
        const std::string col = std::string(table) == "contacts" ? "first_name" : "name";
        EXPECT_EQ(scalarInt(h, "SELECT COUNT(*) FROM " + std::string(table) + " WHERE " + col + " = 'pwned'"), 0) << table;
    }
    EXPECT_EQ(scalarInt(h, "SELECT COUNT(*) FROM timeline_events WHERE account_id = ? AND actor_id <> ?", {accountId, world->a1}), 0)
        << "nobody else wrote onto A1's timeline";

    // Control: the owner reads every one of these records, so the matrix's ids are right (a
    // test where everybody gets 404 would prove nothing).
    for (const auto& r : routes) {
        if (r->method != "GET" || r->pattern.find("{id}") == std::string::npos) continue;
        const auto& shape = knownShapes().at(r->method + " " + r->pattern);
        if (shape.target == Target::Unscoped || !a1p.can(r->permission)) continue;
        auto res = a1.get(substitute(r->pattern, shape.target));
        EXPECT_EQ(res.status, 200) << "owner control " << r->pattern << ": " << res.body;
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, SecurityIdorTest, testing::ValuesIn(test::backends()), test::paramName);
