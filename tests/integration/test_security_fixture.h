#pragma once
// Shared helpers of the identity and security tests (header only; each test_*.cpp includes it).

#include "TestSupport.h"

#include "identity/RecordScope.h"
#include "store/Database.h"

#include <memory>
#include <string>

namespace atrium::sectest {

using test::Json;

/// Percent-encodes every byte outside the unreserved set (so NUL, quotes and invalid UTF-8
/// reach the server exactly as given).
inline std::string urlEncode(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '~') out += static_cast<char>(c);
        else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

inline std::int64_t scalarInt(test::TestHost& h, const std::string& sql, const store::Values& params = {}) {
    auto c = h.host().db()->acquire();
    auto v = c->queryScalar(sql, params);
    return v ? store::asInt(*v) : 0;
}

inline std::string scalarText(test::TestHost& h, const std::string& sql, const store::Values& params = {}) {
    auto c = h.host().db()->acquire();
    auto v = c->queryScalar(sql, params);
    return v ? store::asText(*v) : std::string();
}

/// A client signed in as `email` (password test::kAdminPassword, as TestHost::addUser sets).
inline test::Client signedIn(test::TestHost& h, const std::string& email) {
    test::Client c(h.port());
    auto r = c.login(email, test::kAdminPassword);
    EXPECT_EQ(r.status, 200) << email << ": " << r.body;
    return c;
}

/// Text a database error would carry; none may reach a client. Needles that occur in the
/// request's own `payload` are ignored (an error message may quote the refused value).
inline bool looksLikeDatabaseError(const std::string& body, const std::string& payload = {}) {
    auto lower = [](std::string s) {
        for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        return s;
    };
    const std::string b = lower(body), p = lower(payload);
    for (const char* needle : {"syntax", "sqlite", "mysql", "mariadb", "sqlstate", "unrecognized token", "no such column",
                               "unknown column", "collation", "near \"", "you have an error"})
        if (b.find(needle) != std::string::npos && p.find(needle) == std::string::npos) return true;
    return false;
}

/// Two departments under the root: A (reps A1, A2) and B (rep B1, manager MB).
struct TwoDepartments {
    std::unique_ptr<test::TestHost> host;
    std::int64_t deptA = 0, deptB = 0, a1 = 0, a2 = 0, b1 = 0, mb = 0, admin = 0;
    std::string pathA, pathB;

    explicit TwoDepartments(const std::string& backend, app::HostOptions options = {}) {
        host = std::make_unique<test::TestHost>(backend, options);
        const auto root = host->host().identity().ensureRootDepartment();
        deptA = host->addDepartment("Dept A", root);
        deptB = host->addDepartment("Dept B", root);
        a1 = host->addUser("a1@example.com", {"rep"}, deptA);
        a2 = host->addUser("a2@example.com", {"rep"}, deptA);
        b1 = host->addUser("b1@example.com", {"rep"}, deptB);
        mb = host->addUser("mb@example.com", {"manager"}, deptB);
        admin = scalarInt(*host, "SELECT id FROM users WHERE email = ?", {std::string(test::kAdminEmail)});
        pathA = scalarText(*host, "SELECT path FROM departments WHERE id = ?", {deptA});
        pathB = scalarText(*host, "SELECT path FROM departments WHERE id = ?", {deptB});
    }
    identity::Principal principal(std::int64_t userId) {
        auto c = host->host().db()->acquire();
        return host->host().identity().loadPrincipal(*c, userId);
    }
};

} // namespace atrium::sectest
