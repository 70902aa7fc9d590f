#pragma once
// Internal to platform/plugins: the per-plugin record and the definitions of the opaque handles
// plugin.h declares. Nothing outside this directory includes it.

#include "plugins/PluginManager.h"

#include <atrium/plugin.h>

#include <atomic>
#include <condition_variable>
#include <chrono>
#include <deque>
#include <map>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace atrium::identity {
struct Principal;
}
namespace atrium::plugins::detail {
struct PluginRecord;
}

/// The plugin's handle as plugins see it (plugin.h): one per plugin, inside its record.
struct atrium_host {
    atrium::plugins::detail::PluginRecord* record;
};

namespace atrium::plugins::detail {

/// Everything the host API implementation needs from the manager.
struct HostServices {
    store::DatabasePtr db;
    http::Router* router = nullptr;
    EventBus* events = nullptr;
    Catalog* catalog = nullptr;
    ConfigLookup config;
    Logger log;
    PluginManagerOptions options;
};

/// Counts callbacks in flight into one plugin. close() stops new ones and waits for those
/// running, so shutdown never runs under a live handler.
class Gate {
public:
    bool enter();
    void leave();
    void open();
    /// Returns false when callbacks were still running after `timeout` (the gate stays closed).
    bool close(std::chrono::milliseconds timeout);

private:
    std::mutex _mutex;
    std::condition_variable _drained;
    bool _open = false;
    int _inFlight = 0;
};

class GateGuard {
public:
    explicit GateGuard(Gate& gate) : _gate(gate), _entered(gate.enter()) {}
    ~GateGuard() {
        if (_entered) _gate.leave();
    }
    GateGuard(const GateGuard&) = delete;
    GateGuard& operator=(const GateGuard&) = delete;
    explicit operator bool() const { return _entered; }

private:
    Gate& _gate;
    bool _entered;
};

enum class Phase { Idle, Initialising, Running };

struct PendingSubscription {
    std::string pattern;
    atrium_event_fn fn = nullptr;
    void* userData = nullptr;
};

struct SettingSubscription {
    atrium_setting_fn fn = nullptr;
    void* userData = nullptr;
};

struct DemoHook {
    atrium_demo_fn fn = nullptr;
    void* userData = nullptr;
};

struct PluginRecord {
    HostServices* services = nullptr;

    // Discovery
    std::filesystem::path folder;
    std::filesystem::path manifestPath;
    std::filesystem::path libraryPath;
    std::optional<Manifest> manifest; ///< absent when the manifest itself was unusable
    std::string fallbackId;           ///< the folder name, for records without a manifest

    // Outcome
    PluginState state = PluginState::Refused;
    std::string reason;
    bool pending = true;        ///< not yet decided (during loadAll)
    bool staticRefusal = false; ///< refused for something enable() cannot fix (ABI, manifest…)
    bool hidden = false;        ///< a second folder with an id found earlier in the search path
    double loadMillis = 0;

    // Library
    const atrium_plugin_descriptor* descriptor = nullptr;
    bool migrated = false;

    // The host API table handed to this plugin, and what it points into.
    atrium_host handle{this};
    atrium_host_api api{};
    std::string idText;
    std::string dirText;
    std::string hostVersionText;

    // Lifetime
    void* ctx = nullptr;
    bool initialised = false;
    std::atomic<Phase> phase{Phase::Idle};
    Gate gate;
    std::atomic<int> openDbs{0};

    // Registrations collected during init, activated when init succeeded.
    std::vector<http::Route> routes;
    std::vector<PendingSubscription> subscriptions;
    std::vector<nlohmann::json> datasets;
    std::vector<nlohmann::json> kpis;
    std::vector<nlohmann::json> dashboards;         ///< ABI 1.1
    std::vector<nlohmann::json> scorecardTemplates; ///< ABI 1.1
    std::optional<std::filesystem::path> assets;
    std::optional<DemoHook> demo;
    std::vector<SettingSubscription> settingSubscribers; ///< ABI 1.1
    /// Effective setting values (JSON text) as last read, with when: setting_get is called per
    /// request, so it reads the database at most every few seconds per key; a change made on
    /// this host replaces the entry at once, one made on another host shows within the TTL.
    std::mutex settingCacheMutex;
    std::map<std::string, std::pair<std::string, std::chrono::steady_clock::time_point>> settingCache;

    const std::string& id() const { return manifest ? manifest->id : fallbackId; }
    void log(LogLevel level, const std::string& message) const;
    /// Drops everything registered during an init attempt.
    void clearRegistrations();
};

/// Builds the table given to init().
void fillHostApi(PluginRecord& record);

/// The HTTP handler that calls a plugin's route callback.
http::Handler makeRouteHandler(PluginRecord& record, atrium_route_fn fn, void* userData);
/// The EventBus subscriber that calls a plugin's event callback.
EventBus::Subscriber makeEventSubscriber(PluginRecord& record, atrium_event_fn fn, void* userData);
/// Calls the plugin's setting subscribers (after a change committed); failures are logged.
void notifySettingChanged(PluginRecord& record, const std::string& key, const std::string& valueJson);
/// Runs a plugin's demo hook on a leased connection; throws std::runtime_error with the
/// plugin's message on failure.
void runDemoHook(PluginRecord& record, double scale, std::uint64_t seed, const DemoProgress& progress);

/// The default timeline writer (the core's timeline_events table).
std::int64_t writeCoreTimeline(store::Connection& connection, const store::Dialect& dialect, const TimelineEntry& entry);

/// The HTTP handler serving a plugin's UI assets from `root`.
http::Handler makeAssetHandler(std::filesystem::path root);

} // namespace atrium::plugins::detail

// ---- Definitions of the other opaque handles of plugin.h (global namespace, C tag names). ----

struct atrium_stmt;
struct atrium_bulk;

struct atrium_db {
    atrium::plugins::detail::PluginRecord* record = nullptr;
    /// Leased lazily on first use; or `borrowed` (an event publisher's connection).
    std::optional<atrium::store::Database::Lease> lease;
    atrium::store::Connection* borrowed = nullptr;
    bool pluginOwned = false; ///< from db_open: the plugin calls db_close
    /// Transactions this handle opened, innermost last: "" = the real transaction, otherwise
    /// the savepoint's name. Savepoints nest inside a transaction someone else opened too.
    std::vector<std::string> frames;
    std::vector<atrium_stmt*> statements;
    std::vector<atrium_bulk*> bulks;

    atrium::store::Connection& connection();
    bool hasConnection() const { return borrowed != nullptr || lease.has_value(); }
};

struct atrium_stmt {
    atrium_db* db = nullptr;
    std::unique_ptr<atrium::store::Statement> statement;
    /// Tables the statement writes (checked against the plugin's prefix when prepared), noted
    /// for freshness once per execution, when it has run to completion (or was reset).
    std::vector<std::string> writes;
    bool executing = false;
    bool hasRow = false;
    int columns = -1; ///< cached column count, -1 until executed
    std::vector<std::optional<atrium::store::Value>> row;   ///< current row, read lazily
    std::vector<std::optional<std::string>> text;           ///< formatted text per column
    std::vector<std::string> names;                         ///< column names, read lazily
};

struct atrium_bulk {
    atrium_db* db = nullptr;
    std::string table;
    std::vector<std::string> columns;
    std::size_t rowsPerStatement = 1;
    std::vector<atrium::store::Value> values; ///< buffered, row-major
    std::size_t bufferedBytes = 0;
    std::unique_ptr<atrium::store::Statement> fullBatch; ///< reused for every full batch
    std::int64_t inserted = 0;
};

struct atrium_response {
    atrium::http::Response* response;
};

struct atrium_principal {
    const atrium::identity::Principal* principal;
    /// Text parameters handed out by scope_predicate live here until the callback returns.
    mutable std::deque<std::string> scratch;
};

namespace atrium::plugins::detail {
/// Ends a callback's use of a handle: finalizes statements and bulk inserts left open, rolls
/// back transactions left open (with a warning), and returns the connection to the pool.
void finishDb(atrium_db& db);
} // namespace atrium::plugins::detail
