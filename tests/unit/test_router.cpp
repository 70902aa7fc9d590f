#include "http/Router.h"

#include <gtest/gtest.h>

using namespace atrium::http;

namespace {
Route route(std::string method, std::string pattern, std::string perm = "p") {
    Route r;
    r.method = std::move(method);
    r.pattern = std::move(pattern);
    r.permission = std::move(perm);
    r.handler = [](Request&, Response&) {};
    return r;
}
} // namespace

TEST(Router, MatchesPathParametersAndPrefersLiterals) {
    Router r;
    r.add(route("GET", "/api/v1/accounts/{id}"));
    r.add(route("GET", "/api/v1/accounts/search"));
    auto m = r.match("GET", "/api/v1/accounts/42");
    ASSERT_TRUE(m.route);
    EXPECT_EQ(m.params["id"], "42");
    auto lit = r.match("GET", "/api/v1/accounts/search");
    ASSERT_TRUE(lit.route);
    EXPECT_EQ(lit.route->pattern, "/api/v1/accounts/search");
}

TEST(Router, ReportsMethodNotAllowedWithTheAllowedMethods) {
    Router r;
    r.add(route("GET", "/api/v1/accounts"));
    r.add(route("POST", "/api/v1/accounts"));
    auto m = r.match("DELETE", "/api/v1/accounts");
    EXPECT_FALSE(m.route);
    EXPECT_TRUE(m.methodNotAllowed);
    EXPECT_EQ(m.allowed.size(), 2u);
}

TEST(Router, RefusesRoutesWithoutPermissionUnlessPublic) {
    Router r;
    EXPECT_THROW(r.add(route("GET", "/x", "")), std::invalid_argument);
    auto pub = route("GET", "/x", "");
    pub.isPublic = true;
    EXPECT_NO_THROW(r.add(pub));
    EXPECT_THROW(r.add(route("GET", "/x")), std::invalid_argument) << "duplicate method+pattern";
}

TEST(Router, RestParameterAndRemovalByOwner) {
    Router r;
    auto a = route("GET", "/plugins/{id}/{*rest}");
    a.owner = "sales";
    r.add(a);
    auto m = r.match("GET", "/plugins/sales/js/app.js");
    ASSERT_TRUE(m.route);
    EXPECT_EQ(m.params["rest"], "js/app.js");
    EXPECT_EQ(r.removeOwner("sales"), 1u);
    EXPECT_FALSE(r.match("GET", "/plugins/sales/js/app.js").route);
}

TEST(Router, UnknownPathIsNotAMethodMismatch) {
    Router r;
    r.add(route("GET", "/a/{id}"));
    auto m = r.match("GET", "/a/1/b");
    EXPECT_FALSE(m.route);
    EXPECT_FALSE(m.methodNotAllowed);
}
