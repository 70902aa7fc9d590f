#include "TestSupport.h"

#include "store/Database.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <unistd.h>

namespace atrium::test {

std::vector<std::string> backends() { return {"sqlite", "mysql"}; }

std::string paramName(const testing::TestParamInfo<std::string>& info) { return info.param; }

bool requireMysql() {
    const char* v = std::getenv("ATRIUM_REQUIRE_MYSQL");
    return v && std::string(v) == "1";
}

std::optional<std::string> unavailable(const std::string& backend) {
    if (backend != "mysql") return std::nullopt;
    const char* url = std::getenv("ATRIUM_TEST_MYSQL_URL");
    if (!url || !*url)
        return std::string("MariaDB tests need ATRIUM_TEST_MYSQL_URL=mysql://USER:PASS@127.0.0.1:PORT/ (scripts/test sets it)");
    return std::nullopt;
}

std::string freshDatabaseUrl(const std::string& backend) {
    static std::atomic<int> counter{0};
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "t" + std::to_string(getpid()) + "_" + std::to_string(counter++);
    if (backend == "sqlite") {
        auto dir = std::filesystem::temp_directory_path() / "atrium-tests";
        std::filesystem::create_directories(dir);
        auto path = dir / (name + ".db");
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
        return "sqlite:" + path.string();
    }
    std::string base = std::getenv("ATRIUM_TEST_MYSQL_URL");
    if (base.back() != '/') base = base.substr(0, base.rfind('/') + 1);
    const std::string db = "atrium_" + name;
    (void)info;
    // Create the database through the server's always-present 'mysql' schema.
    auto admin = store::Database::open(base + "mysql");
    auto c = admin->acquire();
    c->exec("DROP DATABASE IF EXISTS " + db);
    c->exec("CREATE DATABASE " + db + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
    return base + db;
}

Json HttpResult::json() const {
    auto j = Json::parse(body, nullptr, false);
    return j.is_discarded() ? Json() : j;
}

HttpResult Client::request(const std::string& method, const std::string& path, const std::string& body,
                           std::map<std::string, std::string> headers) {
    Poco::Net::HTTPClientSession session(_host, static_cast<Poco::UInt16>(_port));
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!_cookie.empty()) req.set("Cookie", _cookie);
    if (!_csrf.empty() && method != "GET") req.set("X-CSRF-Token", _csrf);
    if (!_bearer.empty()) req.set("Authorization", "Bearer " + _bearer);
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == "POST" || method == "PUT") {
        req.setContentType("application/json");
        req.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    auto& out = session.sendRequest(req);
    out << body;
    Poco::Net::HTTPResponse res;
    auto& in = session.receiveResponse(res);
    HttpResult r;
    r.status = res.getStatus();
    Poco::StreamCopier::copyToString(in, r.body);
    for (const auto& [k, v] : res) {
        std::string key = k;
        for (auto& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        r.headers[key] = v;
    }
    return r;
}

HttpResult Client::login(const std::string& email, const std::string& password) {
    auto r = post("/api/v1/auth/login", {{"email", email}, {"password", password}});
    if (r.status == 200) {
        const auto cookie = r.headers["set-cookie"];
        _cookie = cookie.substr(0, cookie.find(';'));
        _csrf = r.json().value("csrf_token", "");
    }
    return r;
}

TestHost::TestHost(const std::string& backend, app::HostOptions options) {
    _url = freshDatabaseUrl(backend);
    options.dbUrl = _url;
    options.http.host = "127.0.0.1";
    options.http.port = 0;
    options.webRoot.clear();
    _host = std::make_unique<app::Host>(options);
    _host->migrate();
    identity::NewUser admin;
    admin.email = kAdminEmail;
    admin.displayName = "Admin";
    admin.password = kAdminPassword;
    admin.roles = {"admin"};
    _host->identity().createUser(admin);
    _host->start();
}

TestHost::~TestHost() { _host->stop(); }

Client TestHost::adminClient() {
    Client c(port());
    auto r = c.login(kAdminEmail, kAdminPassword);
    EXPECT_EQ(r.status, 200) << r.body;
    return c;
}

std::int64_t TestHost::addUser(const std::string& email, const std::vector<std::string>& roles, std::int64_t departmentId,
                               std::int64_t managerId) {
    identity::NewUser u;
    u.email = email;
    u.displayName = email.substr(0, email.find('@'));
    u.password = kAdminPassword;
    u.roles = roles;
    u.departmentId = departmentId;
    u.managerId = managerId;
    return _host->identity().createUser(u);
}

std::int64_t TestHost::addDepartment(const std::string& name, std::int64_t parentId) {
    auto c = _host->db()->acquire();
    auto path = store::asText(*c->queryScalar("SELECT path FROM departments WHERE id = ?", {parentId}));
    const auto now = _host->db()->dialect().nowUtc();
    auto id = c->insert("INSERT INTO departments (parent_id, name, path, created_at, updated_at) VALUES (?, ?, '', " + now + ", " +
                            now + ")",
                        {parentId, name});
    c->execute("UPDATE departments SET path = ? WHERE id = ?", {path + std::to_string(id) + "/", id});
    _host->identity().invalidateCaches();
    return id;
}

} // namespace atrium::test
