#pragma once
// `atrium demo`: seeds a believable company. The core first writes what it owns (the
// department tree, employees with managers and roles, accounts, contacts), then every loaded
// plugin's demo hook seeds its own tables, referencing those rows through the SDK.
//
// Deterministic: the same seed on an empty database gives the same rows (dates are relative to
// the day of the run). Rows go in as multi-row INSERTs inside transactions, which is what makes
// the large scale finish in minutes on MariaDB.

#include "app/Host.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace atrium::app {

/// The password every demo user gets (documented in docs/plugins/sales.md and printed by the
/// command): demo data is for trying Atrium, never for production.
inline constexpr const char* kDemoPassword = "Demo-Password-2026";
/// The administrator the demo creates (same password).
inline constexpr const char* kDemoAdminEmail = "demo.admin@demo.atrium.example";

struct DemoSize {
    std::string name;          ///< small, medium, large
    int users = 0;             ///< employees including managers and analysts
    int accounts = 0;
    int teamsPerRegion = 0;
    double pluginScale = 1.0;  ///< atrium_demo_request.scale: 1.0 = small (≈2,000 opportunities)
};

/// small ≈ 30 users / 500 accounts; medium ≈ 200 / 20,000; large = 1,000 / 200,000.
/// Throws std::invalid_argument for another name.
DemoSize demoSize(const std::string& name);

struct CoreDemoResult {
    int departments = 0;
    int users = 0;
    std::int64_t accounts = 0;
    std::int64_t contacts = 0;
    double millis = 0;
};

/// `fraction` in [0, 1] of the core's part, `message` the current table.
using CoreProgress = std::function<void(double fraction, const std::string& message)>;

/// Seeds the core's tables. Refuses (std::runtime_error) when the database already holds demo
/// users: run it on a fresh database.
CoreDemoResult seedCoreDemo(store::Database& db, const DemoSize& size, std::uint64_t seed, const CoreProgress& progress = {});

} // namespace atrium::app
