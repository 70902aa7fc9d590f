#pragma once
// Finds, checks, loads, initialises and stops plugins, and keeps a status line for each one.
//
// The manager depends only on what it is given (a database pool, the router, a configuration
// lookup and a logger), not on the application, so tests and tools can run it alone.
//
// Layout of ATRIUM_PLUGIN_PATH: a ':'-separated list of directories. Each directory is either
// a plugin folder itself or holds plugin folders; a plugin folder contains
//     atrium-plugin.json   the manifest
//     lib<id>.so           the library
//     web/ (optional)      UI assets the plugin registers
// Earlier directories win when two hold the same id (like PATH); the later one is listed as
// refused with the reason.

#include "http/Router.h"
#include "identity/Principal.h"
#include "plugins/Catalog.h"
#include "plugins/EventBus.h"
#include "plugins/Manifest.h"
#include "store/Database.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace atrium::plugins {

namespace detail {
struct PluginRecord;
struct HostServices;
} // namespace detail

enum class LogLevel { Debug, Info, Warning, Error };
const char* logLevelName(LogLevel level);

/// `source` is "plugins" for the loader's own lines, or the plugin id for lines a plugin logs.
using Logger = std::function<void(LogLevel level, const std::string& source, const std::string& message)>;
/// Returns the configuration value of a dotted key ("plugins.hello.greeting"), or nullopt.
using ConfigLookup = std::function<std::optional<std::string>(const std::string& key)>;

/// What a plugin appends to the shared customer timeline.
struct TimelineEntry {
    std::string source; ///< the plugin id
    std::string entityType;
    std::int64_t entityId = 0;
    std::int64_t accountId = 0; ///< 0 = none
    std::string kind;
    std::string title;
    std::string bodyJson; ///< JSON object text, or empty
    std::int64_t actorUserId = 0; ///< 0 = the system
};
/// Writes a timeline entry on `connection` and returns its id. The default writes the core's
/// timeline_events table; the host may substitute its own service (e.g. to invalidate caches).
using TimelineWriter = std::function<std::int64_t(store::Connection& connection, const TimelineEntry& entry)>;

/// Creates a core account or contact ("account" / "contact") for plugin `source` on `connection`,
/// with the rules, audit and timeline of the core's own routes; returns the id. Throws
/// http::HttpError (400 a field that cannot be set, 422 with error fields, 403 out of scope).
using CustomerCreator = std::function<std::int64_t(store::Connection& connection, const identity::Principal& principal,
                                                   const std::string& kind, const nlohmann::json& body, const std::string& source)>;

/// Where the core keeps what record-scope predicates need (see scope_predicate in plugin.h).
struct ScopeTables {
    std::string departments = "departments";
    std::string departmentId = "id";
    std::string departmentPath = "path"; ///< materialised path like "/1/4/"
    std::string users = "users";
    std::string userId = "id";
    std::string userDepartment = "department_id";
};

struct PluginManagerOptions {
    std::string hostVersion = "0.0.0";      ///< shown to plugins as atrium_host_api.host_version
    std::set<std::string> disabled;        ///< ids an administrator disabled: listed, not initialised
    /// Ids that crashed the host twice in a row -> the reason: listed as quarantined, not
    /// loaded, until enable() (after the host cleared the quarantine it keeps).
    std::map<std::string, std::string> quarantined;
    TimelineWriter timeline;               ///< empty = write the core's timeline_events table
    CustomerCreator customers;             ///< empty = customer_create answers ATRIUM_E_UNSUPPORTED
    ScopeTables scopeTables;
    /// Stop waiting for callbacks in flight after this long when disabling; the plugin is then
    /// left running (reported) rather than shut down under a live callback.
    std::chrono::milliseconds drainTimeout{30000};
};

enum class PluginState { Loaded, Refused, Disabled, Quarantined };
const char* stateName(PluginState state); ///< "loaded", "refused", "disabled", "quarantined"

struct PluginStatus {
    std::string id;
    std::string nameEn;
    std::string nameZh;
    std::string version;
    std::string abi;          ///< "1.0" as the manifest declares
    PluginState state = PluginState::Refused;
    std::string reason;       ///< one sentence when refused or disabled; empty when loaded
    std::string directory;
    std::vector<std::string> requires_; ///< "sales >=1.0 <2"
    std::vector<std::string> permissions;
    std::vector<std::string> datasets;
    std::vector<std::string> kpis;
    std::size_t routes = 0;
    bool hasAssets = false;
    std::string ui;           ///< URL of the UI entry module ("/plugins/<id>/main.js"), or empty
    bool hasDemo = false;
    double loadMillis = 0;    ///< manifest read -> init done
};

/// Per-plugin outcome of `atrium demo`.
struct DemoOutcome {
    std::string id;
    bool ok = false;
    std::string message; ///< the failure sentence
    double millis = 0;
};
using DemoProgress = std::function<void(const std::string& pluginId, double fraction, const std::string& message)>;

class PluginManager {
public:
    PluginManager(store::DatabasePtr db, http::Router& router, ConfigLookup config, Logger log,
                  PluginManagerOptions options = {});
    /// Shuts every loaded plugin down (reverse order). Libraries stay mapped.
    ~PluginManager();
    PluginManager(const PluginManager&) = delete;
    PluginManager& operator=(const PluginManager&) = delete;

    /// Replaces the quarantine list (see PluginManagerOptions::quarantined); takes effect for
    /// plugins not yet loaded (call before loadAll).
    void setQuarantined(std::map<std::string, std::string> quarantined);

    /// Splits ATRIUM_PLUGIN_PATH-style text (':'-separated, empty entries ignored).
    static std::vector<std::filesystem::path> parseSearchPath(const std::string& text);

    /// Discovers, checks, resolves and initialises every plugin found in `directories`. Call
    /// once at start-up; refused plugins are reported, never thrown. Returns how many loaded.
    std::size_t loadAll(const std::vector<std::filesystem::path>& directories);
    /// loadAll(parseSearchPath(text)).
    std::size_t loadFromSearchPath(const std::string& text);

    /// Shuts loaded plugins down in reverse dependency order (also done by the destructor).
    void shutdownAll();

    /// Turns a disabled (or dependency-refused) plugin on at runtime: initialises it and
    /// registers its routes. Returns false with the sentence in *reason when it cannot.
    bool enable(const std::string& id, std::string* reason = nullptr);
    /// Turns a loaded plugin off at runtime: its routes go away at once, callbacks in flight
    /// finish, then its shutdown runs. Plugins requiring it are disabled first. The library
    /// stays mapped and the plugin's data stays. Returns false with *reason when it cannot.
    bool disable(const std::string& id, std::string* reason = nullptr);

    std::vector<PluginStatus> status() const;
    std::optional<PluginStatus> status(const std::string& id) const;
    /// The status list as {"abi": "1.0", "plugins": [{id, name:{en,zh-CN}, version, state, …}]}
    /// for GET /api/v1/admin/plugins.
    nlohmann::json toJson() const;

    /// Permissions declared by loaded plugins: [{"name", "description", "plugin"}], for the
    /// role editor.
    nlohmann::json permissions() const;
    /// True when `id` is loaded (routes of other plugins stay gated by department enablement).
    bool isLoaded(const std::string& id) const;

    /// Runs each loaded plugin's demo-data hook in dependency order, after the core seeded its
    /// own data. A failing hook is reported and the next one runs.
    std::vector<DemoOutcome> runDemo(double scale, std::uint64_t seed, const DemoProgress& progress = {});

    /// The manifest of a discovered plugin (any state), or nullopt. For the settings API.
    std::optional<Manifest> manifestOf(const std::string& id) const;
    /// The configuration lookup the manager was given (plugins.<id>.<key>).
    const ConfigLookup& config() const;
    /// Tells a loaded plugin's setting subscribers that `key` now holds `valueJson`; call after
    /// the change committed. Not running: nothing to tell (it reads the value when it starts).
    void notifySettingChanged(const std::string& id, const std::string& key, const std::string& valueJson);
    /// The host's ABI ("1.0").
    static std::string hostAbi();

    Catalog& catalog() { return _catalog; }
    const Catalog& catalog() const { return _catalog; }
    EventBus& events() { return _events; }

private:
    detail::PluginRecord* find(const std::string& id) const;
    void discover(const std::vector<std::filesystem::path>& directories);
    void addCandidate(const std::filesystem::path& folder);
    bool bringUp(detail::PluginRecord& record);
    bool openLibrary(detail::PluginRecord& record);
    bool migrate(detail::PluginRecord& record);
    bool initialise(detail::PluginRecord& record);
    void activate(detail::PluginRecord& record);
    void deactivate(detail::PluginRecord& record);
    bool stop(detail::PluginRecord& record, PluginState state, const std::string& reason);
    void refuse(detail::PluginRecord& record, const std::string& sentence);
    void log(LogLevel level, const std::string& message) const;
    std::vector<detail::PluginRecord*> dependentsOf(const std::string& id) const;
    PluginStatus statusOf(const detail::PluginRecord& record) const;

    std::unique_ptr<detail::HostServices> _services;
    Catalog _catalog;
    EventBus _events;
    /// Serialises load / enable / disable / shutdown; status readers take only _mutex.
    std::recursive_mutex _lifecycle;
    mutable std::mutex _mutex;
    std::vector<std::unique_ptr<detail::PluginRecord>> _records;
    std::vector<std::string> _loadOrder; ///< ids in the order they were initialised
};

} // namespace atrium::plugins
