// Sign-in, sessions, throttling, CSRF and API tokens on both backends (ASVS 5.0 V6/V7/V3).
#include "test_security_fixture.h"

#include "identity/Passwords.h"

#include <algorithm>
#include <thread>

using namespace atrium;
using namespace atrium::sectest;

namespace {
constexpr const char* kUserEmail = "user@example.com";

std::string cookieOf(const test::HttpResult& r) {
    auto it = r.headers.find("set-cookie");
    return it == r.headers.end() ? std::string() : it->second;
}
} // namespace

class IdentitySessionTest : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override { ATRIUM_NEED_BACKEND(GetParam()); }
    void start(app::HostOptions o = {}) {
        host = std::make_unique<test::TestHost>(GetParam(), o);
        userId = host->addUser(kUserEmail, {"rep"});
    }
    identity::Identity& id() { return host->host().identity(); }
    std::unique_ptr<test::TestHost> host;
    std::int64_t userId = 0;
};

TEST_P(IdentitySessionTest, UnknownUserAndWrongPasswordAnswerAlikeAndTakeSimilarTime) {
    start();
    test::Client c(host->port());
    auto wrong = c.post("/api/v1/auth/login", {{"email", kUserEmail}, {"password", "Not-The-Password-1"}});
    auto unknown = c.post("/api/v1/auth/login", {{"email", "nobody@example.com"}, {"password", "Not-The-Password-1"}});
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(unknown.status, wrong.status);
    EXPECT_EQ(unknown.body, wrong.body) << "the body must not tell which emails exist";
    EXPECT_EQ(unknown.headers.count("set-cookie"), 0u);
    // A disabled user with a wrong password looks the same too.
    id().disableUser(userId);
    auto disabledWrong = c.post("/api/v1/auth/login", {{"email", kUserEmail}, {"password", "Not-The-Password-2"}});
    EXPECT_EQ(disabledWrong.status, 401);
    EXPECT_EQ(disabledWrong.body, wrong.body);

    // Timing: an unknown email must pay for a full argon2id verification. Skipping it would
    // make the unknown path ~50x faster; allow generous noise on a shared machine.
    const auto other = host->addUser("timing@example.com", {"rep"});
    (void)other;
    auto timeOf = [&](const std::string& email) {
        const auto t0 = std::chrono::steady_clock::now();
        EXPECT_THROW(id().login(email, "Wrong-Password-For-Timing", "10.9.9.9", "t", "t"), http::HttpError);
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    std::vector<double> known, unknownT;
    for (int i = 0; i < 3; ++i) {
        known.push_back(timeOf("timing@example.com"));
        unknownT.push_back(timeOf("ghost" + std::to_string(i) + "@example.com"));
    }
    std::sort(known.begin(), known.end());
    std::sort(unknownT.begin(), unknownT.end());
    EXPECT_GT(unknownT[1], known[1] * 0.3) << "unknown " << unknownT[1] << "s vs known " << known[1] << "s";
    EXPECT_LT(unknownT[1], known[1] * 3.0) << "unknown " << unknownT[1] << "s vs known " << known[1] << "s";
}

TEST_P(IdentitySessionTest, AccountIsLockedAfterRepeatedFailuresAnd429CarriesRetryAfter) {
    app::HostOptions o;
    o.identity.accountFailureLimit = 3;
    o.identity.addressFailureLimit = 1000;
    start(o);
    test::Client c(host->port());
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(c.post("/api/v1/auth/login", {{"email", kUserEmail}, {"password", "Wrong-Password-" + std::to_string(i)}}).status, 401);
    // Locked: even the right password is refused, with when to retry.
    auto locked = c.post("/api/v1/auth/login", {{"email", kUserEmail}, {"password", test::kAdminPassword}});
    ASSERT_EQ(locked.status, 429) << locked.body;
    EXPECT_EQ(locked.json()["error"]["code"], "throttled");
    const int retry = locked.json()["error"]["fields"]["retry_after"].get<int>();
    EXPECT_GT(retry, 0);
    EXPECT_LE(retry, 15 * 60 + 1);
    EXPECT_EQ(locked.headers["retry-after"], std::to_string(retry));
    EXPECT_EQ(locked.headers.count("set-cookie"), 0u);
    EXPECT_GE(scalarInt(*host, "SELECT COUNT(*) FROM audit_log WHERE action = 'login_throttled'"), 1);
    // Unknown emails lock the same way, so the lock does not reveal which accounts exist.
    for (int i = 0; i < 3; ++i) c.post("/api/v1/auth/login", {{"email", "ghost@example.com"}, {"password", "Wrong-Password-x"}});
    auto ghost = c.post("/api/v1/auth/login", {{"email", "ghost@example.com"}, {"password", "Wrong-Password-x"}});
    EXPECT_EQ(ghost.status, 429);
    // An administrator's password reset lifts the account lock.
    auto admin = host->adminClient();
    auto reset = admin.post("/api/v1/admin/users/" + std::to_string(userId) + "/reset-password", {{"password", "Fresh-Strong-Pass-77"}});
    ASSERT_EQ(reset.status, 200) << reset.body;
    EXPECT_EQ(c.post("/api/v1/auth/login", {{"email", kUserEmail}, {"password", "Fresh-Strong-Pass-77"}}).status, 200);
}

TEST_P(IdentitySessionTest, AThrottledAddressDoesNotLockTheAccountForOtherAddresses) {
    app::HostOptions o;
    o.identity.accountFailureLimit = 10;
    o.identity.addressFailureLimit = 3;
    start(o);
    const std::string attacker = "203.0.113.7", victim = "198.51.100.20";
    // A spray from one address over several accounts, the victim's included.
    for (const char* email : {"x1@example.com", kUserEmail, "x2@example.com"})
        EXPECT_THROW(id().login(email, "Spray-Password-1", attacker, "ua", "r"), http::HttpError);
    try {
        id().login(kUserEmail, test::kAdminPassword, attacker, "ua", "r");
        ADD_FAILURE() << "the throttled address signed in";
    } catch (const http::HttpError& e) {
        EXPECT_EQ(e.status(), 429);
        EXPECT_GT(e.fields()["retry_after"].get<int>(), 0);
    }
    // The rightful user elsewhere is unaffected: only the address is throttled.
    auto ok = id().login(kUserEmail, test::kAdminPassword, victim, "ua", "r");
    EXPECT_EQ(ok.principal.userId, userId);
    EXPECT_FALSE(ok.token.empty());
    // The keys are what the documentation says.
    EXPECT_GT(scalarInt(*host, "SELECT COUNT(*) FROM login_throttle WHERE throttle_key = ? AND locked_until IS NOT NULL",
                        {"address:" + attacker}),
              0);
    EXPECT_EQ(scalarInt(*host, "SELECT COUNT(*) FROM login_throttle WHERE throttle_key = ?", {"account:" + std::string(kUserEmail)}), 0)
        << "a success clears the account's failures";
}

// Behind a trusted reverse proxy the client is the address the proxy forwarded; from anyone else
// X-Forwarded-For is ignored, so an attacker cannot spread a spray over invented addresses.
TEST_P(IdentitySessionTest, ForwardedAddressesCountOnlyFromTrustedProxies) {
    app::HostOptions o;
    o.identity.accountFailureLimit = 100;
    o.identity.addressFailureLimit = 2;
    o.http.trustedProxies = http::TrustedProxies::parse("127.0.0.1");
    start(o);
    test::Client c(host->port());
    const auto attempt = [&](const std::string& forwarded, const std::string& password) {
        return c.request("POST", "/api/v1/auth/login", Json{{"email", kUserEmail}, {"password", password}}.dump(),
                         {{"Content-Type", "application/json"}, {"X-Forwarded-For", forwarded}});
    };
    EXPECT_EQ(attempt("1.1.1.1, 203.0.113.7", "Wrong-Password-1").status, 401);
    EXPECT_EQ(attempt("2.2.2.2, 203.0.113.7", "Wrong-Password-1").status, 401);
    EXPECT_EQ(attempt("203.0.113.7", test::kAdminPassword).status, 429) << "the proxy's hop, not the client's invented one, is throttled";
    EXPECT_EQ(attempt("198.51.100.20", test::kAdminPassword).status, 200) << "another client behind the same proxy";
    EXPECT_EQ(scalarInt(*host, "SELECT COUNT(*) FROM login_throttle WHERE throttle_key = ? AND locked_until IS NOT NULL", {std::string("address:203.0.113.7")}), 1);
    EXPECT_EQ(scalarInt(*host, "SELECT COUNT(*) FROM audit_log WHERE action = 'login' AND client_address = ?", {std::string("198.51.100.20")}), 1)
        << "the audit log records the forwarded client";

    // The same requests to a host that trusts no proxy: the header is ignored.
    host.reset();
    app::HostOptions plain;
    plain.identity.accountFailureLimit = 100;
    plain.identity.addressFailureLimit = 1000;
    start(plain);
    test::Client d(host->port());
    auto r = d.request("POST", "/api/v1/auth/login", Json{{"email", kUserEmail}, {"password", test::kAdminPassword}}.dump(),
                       {{"Content-Type", "application/json"}, {"X-Forwarded-For", "198.51.100.99"}});
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(scalarInt(*host, "SELECT COUNT(*) FROM audit_log WHERE action = 'login' AND client_address = ?", {std::string("198.51.100.99")}), 0);
    EXPECT_GE(scalarInt(*host, "SELECT COUNT(*) FROM audit_log WHERE action = 'login' AND client_address = ?", {std::string("127.0.0.1")}), 1);
}

TEST_P(IdentitySessionTest, SessionCookieIsStrictHttpOnlyRandomAndStoredHashed) {
    app::HostOptions o;
    o.identity.absoluteLifetime = std::chrono::hours(2);
    start(o);
    test::Client c(host->port());
    auto r = c.login(kUserEmail, test::kAdminPassword);
    ASSERT_EQ(r.status, 200);
    const auto set = cookieOf(r);
    EXPECT_NE(set.find("HttpOnly"), std::string::npos);
    EXPECT_NE(set.find("SameSite=Strict"), std::string::npos);
    EXPECT_NE(set.find("Path=/"), std::string::npos);
    EXPECT_NE(set.find("Max-Age=7200"), std::string::npos) << set;
    EXPECT_EQ(set.find("Secure"), std::string::npos) << "not over plain HTTP by default";
    const auto token = c.cookie().substr(c.cookie().find('=') + 1);
    EXPECT_GE(token.size(), 43u) << "256 bits of randomness, base64url";
    EXPECT_EQ(scalarInt(*host, "SELECT COUNT(*) FROM sessions WHERE token_hash = ?", {token}), 0) << "never stored in clear";
    EXPECT_EQ(scalarInt(*host, "SELECT COUNT(*) FROM sessions WHERE token_hash = ?", {identity::sha256Hex(token)}), 1);
    EXPECT_EQ(r.headers["cache-control"], "no-store");
    EXPECT_FALSE(r.json()["csrf_token"].get<std::string>().empty());
    // Absolute lifetime follows the option.
    const auto expires = identity::parseSqlTime(scalarText(*host, "SELECT expires_at FROM sessions WHERE user_id = ?", {userId}));
    const auto left = std::chrono::duration_cast<std::chrono::minutes>(expires - std::chrono::system_clock::now()).count();
    EXPECT_GE(left, 118);
    EXPECT_LE(left, 120);
}

TEST_P(IdentitySessionTest, SecureCookieWhenConfigured) {
    app::HostOptions o;
    o.identity.secureCookies = true;
    start(o);
    test::Client c(host->port());
    auto r = c.login(kUserEmail, test::kAdminPassword);
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(cookieOf(r).find("; Secure"), std::string::npos) << cookieOf(r);
}

TEST_P(IdentitySessionTest, SignInRotatesTheSession) {
    start();
    test::Client c(host->port());
    ASSERT_EQ(c.login(kUserEmail, test::kAdminPassword).status, 200);
    const auto first = c.cookie();
    ASSERT_EQ(c.get("/api/v1/auth/me").status, 200);
    ASSERT_EQ(c.login(kUserEmail, test::kAdminPassword).status, 200); // presents the first cookie
    EXPECT_NE(c.cookie(), first);
    test::Client old(host->port());
    old.setCookie(first);
    EXPECT_EQ(old.get("/api/v1/auth/me").status, 401) << "the pre-login session is ended, not upgraded";
    EXPECT_EQ(c.get("/api/v1/auth/me").status, 200);
    EXPECT_EQ(scalarInt(*host, "SELECT COUNT(*) FROM sessions WHERE user_id = ?", {userId}), 1);
}

TEST_P(IdentitySessionTest, IdleAndAbsoluteExpiryEndTheSession) {
    start();
    test::Client idle(host->port()), absolute(host->port());
    ASSERT_EQ(idle.login(kUserEmail, test::kAdminPassword).status, 200);
    ASSERT_EQ(absolute.login(kUserEmail, test::kAdminPassword).status, 200);
    ASSERT_EQ(idle.get("/api/v1/auth/me").status, 200);
    ASSERT_EQ(absolute.get("/api/v1/auth/me").status, 200);
    const auto now = std::chrono::system_clock::now();
    {
        auto c = host->host().db()->acquire();
        const auto idleToken = identity::sha256Hex(idle.cookie().substr(idle.cookie().find('=') + 1));
        const auto absToken = identity::sha256Hex(absolute.cookie().substr(absolute.cookie().find('=') + 1));
        // Idle: last seen 31 minutes ago (default idle timeout 30 min); absolute: past expiry
        // although seen just now.
        c->execute("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", {identity::sqlTime(now - std::chrono::minutes(31)), idleToken});
        c->execute("UPDATE sessions SET expires_at = ? WHERE token_hash = ?", {identity::sqlTime(now - std::chrono::seconds(1)), absToken});
    }
    // Past the 2 s in-process session cache, the database decides.
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    EXPECT_EQ(idle.get("/api/v1/auth/me").status, 401);
    EXPECT_EQ(absolute.get("/api/v1/auth/me").status, 401);
    EXPECT_EQ(scalarInt(*host, "SELECT COUNT(*) FROM sessions WHERE user_id = ?", {userId}), 0) << "expired sessions are deleted";

    // 29 idle minutes are still fine.
    test::Client fresh(host->port());
    ASSERT_EQ(fresh.login(kUserEmail, test::kAdminPassword).status, 200);
    {
        auto c = host->host().db()->acquire();
        c->execute("UPDATE sessions SET last_seen_at = ? WHERE user_id = ?", {identity::sqlTime(now - std::chrono::minutes(29)), userId});
    }
    id().invalidateCaches();
    EXPECT_EQ(fresh.get("/api/v1/auth/me").status, 200);
}

TEST_P(IdentitySessionTest, LogoutAndDisableEndSessionsAtOnceDespiteTheCache) {
    start();
    test::Client c(host->port()), other(host->port());
    ASSERT_EQ(c.login(kUserEmail, test::kAdminPassword).status, 200);
    ASSERT_EQ(other.login(kUserEmail, test::kAdminPassword).status, 200);
    const auto cookie = c.cookie();
    ASSERT_EQ(c.get("/api/v1/auth/me").status, 200); // now cached
    ASSERT_EQ(c.post("/api/v1/auth/logout", Json::object()).status, 200);
    test::Client replay(host->port());
    replay.setCookie(cookie);
    EXPECT_EQ(replay.get("/api/v1/auth/me").status, 401) << "a logged-out cookie must not live on in the cache";

    // Disable: the other session and an API token stop working immediately.
    auto tok = other.post("/api/v1/auth/tokens", {{"name", "ci"}});
    ASSERT_EQ(tok.status, 403) << "reps lack core.token.write";
    identity::Principal p;
    {
        auto conn = host->host().db()->acquire();
        p = id().loadPrincipal(*conn, userId);
    }
    auto [tokenId, token] = id().createApiToken(p, "ci", {}); // issued by the host (CLI path)
    (void)tokenId;
    test::Client bearer(host->port());
    bearer.setBearer(token);
    ASSERT_EQ(bearer.get("/api/v1/auth/me").status, 200);
    ASSERT_EQ(other.get("/api/v1/auth/me").status, 200);
    auto admin = host->adminClient();
    auto d = admin.post("/api/v1/admin/users/" + std::to_string(userId) + "/disable", Json::object());
    ASSERT_EQ(d.status, 200) << d.body;
    EXPECT_FALSE(d.json()["active"].get<bool>());
    EXPECT_EQ(other.get("/api/v1/auth/me").status, 401);
    EXPECT_EQ(bearer.get("/api/v1/auth/me").status, 401);
    EXPECT_EQ(scalarInt(*host, "SELECT COUNT(*) FROM sessions WHERE user_id = ?", {userId}), 0);
    test::Client again(host->port());
    auto login = again.login(kUserEmail, test::kAdminPassword);
    EXPECT_EQ(login.status, 403);
    EXPECT_EQ(login.json()["error"]["code"], "account_disabled");
}

TEST_P(IdentitySessionTest, CsrfTokenIsRequiredForCookieWritesButNotForBearer) {
    start();
    auto admin = host->adminClient();
    const auto csrf = admin.csrf();
    admin.setCsrf("");
    auto none = admin.post("/api/v1/accounts", {{"name", "No token"}});
    EXPECT_EQ(none.status, 403);
    EXPECT_EQ(none.json()["error"]["code"], "csrf_failed");
    auto wrong = admin.request("POST", "/api/v1/accounts", Json{{"name", "Wrong token"}}.dump(), {{"X-CSRF-Token", "forged"}});
    EXPECT_EQ(wrong.json()["error"]["code"], "csrf_failed");
    // Another session's token does not fit this session.
    test::Client user(host->port());
    ASSERT_EQ(user.login(kUserEmail, test::kAdminPassword).status, 200);
    auto crossed = admin.request("POST", "/api/v1/accounts", Json{{"name", "Crossed"}}.dump(), {{"X-CSRF-Token", user.csrf()}});
    EXPECT_EQ(crossed.status, 403);
    for (const char* m : {"PUT", "DELETE"})
        EXPECT_EQ(admin.request(m, "/api/v1/accounts/1", "{}").status, 403) << m;
    EXPECT_EQ(scalarInt(*host, "SELECT COUNT(*) FROM accounts"), 0) << "no refused request wrote anything";
    admin.setCsrf(csrf);
    EXPECT_EQ(admin.post("/api/v1/accounts", {{"name", "With token"}}).status, 201);
    // GET /auth/me hands the token back to a reloaded page.
    EXPECT_EQ(admin.get("/api/v1/auth/me").json()["csrf_token"], csrf);

    auto tok = admin.post("/api/v1/auth/tokens", {{"name", "integration"}});
    ASSERT_EQ(tok.status, 201) << tok.body;
    test::Client bearer(host->port());
    bearer.setBearer(tok.json()["token"]);
    EXPECT_EQ(bearer.post("/api/v1/accounts", {{"name", "Via bearer"}}).status, 201) << "bearer needs no CSRF token";
}

TEST_P(IdentitySessionTest, ApiTokensAreScopedShownOnceRevocableAndCannotMintTokens) {
    start();
    auto admin = host->adminClient();
    auto bad = admin.post("/api/v1/auth/tokens", {{"name", "x"}, {"scopes", {"no.such.permission"}}});
    EXPECT_EQ(bad.status, 422);
    EXPECT_EQ(admin.post("/api/v1/auth/tokens", {{"name", "x"}, {"owner", 1}}).status, 400);
    EXPECT_EQ(admin.post("/api/v1/auth/tokens", {{"name", "x"}, {"expires_in_days", 9999}}).status, 422);
    auto created = admin.post("/api/v1/auth/tokens", {{"name", "reader"}, {"scopes", {"core.account.read"}}, {"expires_in_days", 30}});
    ASSERT_EQ(created.status, 201) << created.body;
    const auto token = created.json()["token"].get<std::string>();
    const auto tokenId = created.json()["id"].get<std::int64_t>();
    EXPECT_EQ(token.rfind("atr_", 0), 0u);
    EXPECT_EQ(scalarInt(*host, "SELECT COUNT(*) FROM api_tokens WHERE token_hash = ?", {token}), 0);
    auto list = admin.get("/api/v1/auth/tokens");
    EXPECT_EQ(list.body.find(token), std::string::npos) << "shown once";
    EXPECT_FALSE(list.json()["items"][0]["expires_at"].is_null());

    test::Client b(host->port());
    b.setBearer(token);
    EXPECT_EQ(b.get("/api/v1/accounts").status, 200);
    EXPECT_EQ(b.post("/api/v1/accounts", {{"name", "Out of token scope"}}).status, 403) << "the token is read-only";
    EXPECT_EQ(b.get("/api/v1/admin/users").status, 403) << "an admin's scoped token is not an admin";
    EXPECT_EQ(b.post("/api/v1/auth/tokens", {{"name", "child"}}).status, 403);
    EXPECT_FALSE(scalarText(*host, "SELECT last_used_at FROM api_tokens WHERE id = ?", {tokenId}).empty());

    test::Client wrong(host->port());
    wrong.setBearer(token + "x");
    auto w = wrong.get("/api/v1/accounts");
    EXPECT_EQ(w.status, 401);
    EXPECT_EQ(w.json()["error"]["code"], "invalid_token");

    EXPECT_EQ(b.get("/api/v1/auth/me").status, 200) << "the token is now in the host's cache";
    EXPECT_EQ(admin.del("/api/v1/auth/tokens/" + std::to_string(tokenId)).status, 200);
    EXPECT_EQ(b.get("/api/v1/accounts").status, 401) << "revocation takes effect at once, cache or not";
    EXPECT_EQ(admin.del("/api/v1/auth/tokens/" + std::to_string(tokenId)).status, 404);

    // Revoked on another host (straight in the database): refused within the cache's second.
    auto other = admin.post("/api/v1/auth/tokens", {{"name", "elsewhere"}});
    ASSERT_EQ(other.status, 201);
    test::Client o(host->port());
    o.setBearer(other.json()["token"]);
    EXPECT_EQ(o.get("/api/v1/auth/me").status, 200);
    {
        auto c = host->host().db()->acquire();
        c->execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ?",
                   {identity::sqlTime(std::chrono::system_clock::now()), other.json()["id"].get<std::int64_t>()});
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    EXPECT_EQ(o.get("/api/v1/auth/me").status, 401) << "another host's revocation applies within a second";

    // Expired tokens are refused.
    auto exp = admin.post("/api/v1/auth/tokens", {{"name", "old"}, {"expires_in_days", 1}});
    ASSERT_EQ(exp.status, 201);
    {
        auto c = host->host().db()->acquire();
        c->execute("UPDATE api_tokens SET expires_at = ? WHERE id = ?",
                   {identity::sqlTime(std::chrono::system_clock::now() - std::chrono::minutes(1)), exp.json()["id"].get<std::int64_t>()});
    }
    test::Client e(host->port());
    e.setBearer(exp.json()["token"]);
    EXPECT_EQ(e.get("/api/v1/auth/me").status, 401);
    EXPECT_GE(scalarInt(*host, "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'api_token' AND action = 'create'"), 2);
    EXPECT_GE(scalarInt(*host, "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'api_token' AND action = 'delete'"), 1);
}

TEST_P(IdentitySessionTest, ResponsesCarryTheSecurityHeaders) {
    start();
    test::Client c(host->port());
    for (const char* path : {"/api/v1/auth/me", "/healthz", "/api/v1/nowhere"}) {
        auto r = c.get(path);
        const auto csp = r.headers["content-security-policy"];
        EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << path;
        const auto script = csp.substr(csp.find("script-src"), csp.find(';', csp.find("script-src")) - csp.find("script-src"));
        EXPECT_EQ(script.find("unsafe-inline"), std::string::npos) << "inline script is forbidden: " << csp;
        EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
        EXPECT_NE(csp.find("object-src 'none'"), std::string::npos);
        EXPECT_EQ(r.headers["x-content-type-options"], "nosniff");
        EXPECT_FALSE(r.headers["referrer-policy"].empty());
    }
}

TEST_P(IdentitySessionTest, PasswordPolicyAppliesToAdminCreatedUsers) {
    start();
    auto admin = host->adminClient();
    auto tryPw = [&](const std::string& pw) {
        return admin.post("/api/v1/admin/users", {{"email", "new@example.com"}, {"display_name", "New"}, {"password", pw}});
    };
    for (const std::string& pw : std::vector<std::string>{"short1!", "password", "iloveyou", "qwertyuiop", std::string(129, 'a'), "new@example.com"}) {
        auto r = tryPw(pw);
        EXPECT_EQ(r.status, 422) << pw;
        EXPECT_TRUE(r.json()["error"]["fields"].contains("password")) << r.body;
    }
    EXPECT_EQ(tryPw("A-Decent-Passphrase-42").status, 201);
    const auto hash = scalarText(*host, "SELECT password_hash FROM users WHERE email = 'new@example.com'");
    EXPECT_EQ(hash.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << hash;
}

INSTANTIATE_TEST_SUITE_P(Backends, IdentitySessionTest, testing::ValuesIn(test::backends()), test::paramName);
