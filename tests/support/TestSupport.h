#pragma once
// Shared test fixtures: fresh databases on both backends, a running host, an HTTP client.

#include "app/Host.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace atrium::test {

using Json = nlohmann::json;

/// "sqlite" and "mysql": every storage, plugin and report test is instantiated with both.
std::vector<std::string> backends();
std::string paramName(const testing::TestParamInfo<std::string>& info);

/// Why `backend` cannot run here, or nullopt. MySQL needs ATRIUM_TEST_MYSQL_URL
/// (mysql://USER:PASS@HOST:PORT/ with a user allowed to create databases).
std::optional<std::string> unavailable(const std::string& backend);
/// True when a missing MariaDB must fail the run (scripts/test sets ATRIUM_REQUIRE_MYSQL=1).
bool requireMysql();

/// A URL to a new, empty database on `backend`, unique to the calling test.
std::string freshDatabaseUrl(const std::string& backend);

#define ATRIUM_NEED_BACKEND(backend)                                                                   \
    do {                                                                                               \
        if (auto why_ = ::atrium::test::unavailable(backend)) {                                        \
            if (::atrium::test::requireMysql()) FAIL() << *why_;                                        \
            GTEST_SKIP() << *why_;                                                                     \
        }                                                                                              \
    } while (0)

struct HttpResult {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers; ///< lower-case names (last value wins)
    Json json() const;
};

/// A small HTTP/1.1 client that keeps the session cookie and CSRF token like a browser.
class Client {
public:
    explicit Client(int port, std::string host = "127.0.0.1") : _host(std::move(host)), _port(port) {}
    HttpResult request(const std::string& method, const std::string& path, const std::string& body = {},
                       std::map<std::string, std::string> headers = {});
    HttpResult get(const std::string& path) { return request("GET", path); }
    HttpResult post(const std::string& path, const Json& body) { return request("POST", path, body.dump()); }
    HttpResult put(const std::string& path, const Json& body) { return request("PUT", path, body.dump()); }
    HttpResult del(const std::string& path) { return request("DELETE", path); }
    /// Logs in; on success keeps the cookie and CSRF token for later requests.
    HttpResult login(const std::string& email, const std::string& password);
    void setCsrf(std::string token) { _csrf = std::move(token); }
    void setBearer(std::string token) { _bearer = std::move(token); }
    const std::string& csrf() const { return _csrf; }
    const std::string& cookie() const { return _cookie; }
    void setCookie(std::string cookie) { _cookie = std::move(cookie); }

private:
    std::string _host;
    int _port;
    std::string _cookie, _csrf, _bearer;
};

constexpr const char* kAdminEmail = "admin@example.com";
constexpr const char* kAdminPassword = "Correct-Horse-Battery-9";

/// A migrated database with an administrator, and a host serving it on a free loopback port.
class TestHost {
public:
    explicit TestHost(const std::string& backend, app::HostOptions options = {});
    ~TestHost();
    app::Host& host() { return *_host; }
    int port() const { return _host->server().port(); }
    Client adminClient();
    /// Creates a user with `roles` in `departmentId` and returns its id.
    std::int64_t addUser(const std::string& email, const std::vector<std::string>& roles, std::int64_t departmentId = 0,
                         std::int64_t managerId = 0);
    /// Creates a department under `parentId` and returns its id.
    std::int64_t addDepartment(const std::string& name, std::int64_t parentId);
    const std::string& url() const { return _url; }

private:
    std::string _url;
    std::unique_ptr<app::Host> _host;
};

} // namespace atrium::test
