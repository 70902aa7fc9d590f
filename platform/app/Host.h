#pragma once
// The running host: storage, identity, HTTP and (later) plugins wired together. The CLI's
// serve command and the integration tests build the same object.

#include "http/Metrics.h"
#include "http/Router.h"
#include "http/Server.h"
#include "identity/Audit.h"
#include "identity/Identity.h"
#include "plugins/PluginManager.h"
#include "store/Database.h"

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace atrium::app {

struct HostOptions {
    std::string dbUrl = "sqlite:var/atrium.db";
    std::string reportsDbUrl;            ///< read-only replica for reports; empty = dbUrl
    std::string pluginPath;              ///< colon-separated directories
    std::filesystem::path webRoot;       ///< directory holding public/ and node_modules/
    store::PoolOptions pool;
    http::ServerOptions http;
    identity::IdentityOptions identity;
    /// Plugin configuration: "plugins.<id>.<key>" -> value (the config file's atrium.plugins.*).
    std::function<std::optional<std::string>(const std::string&)> config;
    bool loadPlugins = true;
    /// Where a fatal signal records which plugin call was running (plugins/CrashGuard.h); read
    /// and reported at the next start. Empty = no crash handler (tests, tools).
    std::filesystem::path crashFile;
    /// `atrium serve --safe-mode`: pluginPath holds only the distribution's own plugin
    /// directory (Settings decides); noted in the log.
    bool safeMode = false;
};

/// Something the host runs beside the core (the reporting engine): it registers routes when
/// the host starts and may hold state for the host's lifetime.
class HostExtension {
public:
    virtual ~HostExtension() = default;
    virtual void start(class Host& host) = 0;
    virtual void stop() {}
    /// Applies the extension's own schema migrations (called by Host::migrate, i.e. by
    /// `atrium init`, `migrate` and `demo`, and again harmlessly at start).
    virtual void migrate(class Host& /*host*/, const std::function<void(const std::string&)>& /*progress*/) {}
};

/// Parses "HOST:PORT" (or ":PORT"); throws std::invalid_argument with a sentence.
std::pair<std::string, int> parseListen(const std::string& listen);

class Host {
public:
    explicit Host(HostOptions options);
    ~Host();

    /// Applies pending core migrations, then loads the plugins (which migrates theirs) and
    /// grants their permissions' defaults to the built-in roles. Calls `progress` per step.
    void migrate(const std::function<void(const std::string&)>& progress = {});
    /// Loads plugins from the plugin path (once); refusals are reported, never thrown.
    void loadPlugins();
    /// Refuses to run against a schema newer than this build (StoreError SchemaTooNew).
    void checkSchema();
    /// Registers routes, mounts static files and starts serving.
    void start();
    /// Stops accepting, drains in-flight requests, shuts plugins down.
    void stop();

    const HostOptions& options() const { return _options; }
    store::DatabasePtr db() const { return _db; }
    http::Router& router() { return _router; }
    http::Metrics& metrics() { return _metrics; }
    http::Server& server() { return *_server; }
    identity::Identity& identity() { return *_identity; }
    identity::Audit& audit() { return *_audit; }
    plugins::PluginManager& plugins() { return *_plugins; }
    /// Adds an extension; it starts with the host (call before start()).
    void addExtension(std::shared_ptr<HostExtension> extension) { _extensions.push_back(std::move(extension)); }
    /// Modules the principal may use: loaded plugins enabled for their department.
    http::Json modulesFor(const identity::Principal& principal);

private:
    void registerCoreRoutes();
    void togglePlugin(http::Request& req, http::Response& res, bool enable);

    HostOptions _options;
    store::DatabasePtr _db;
    http::Router _router;
    http::Metrics _metrics;
    std::unique_ptr<identity::Audit> _audit;
    std::shared_ptr<identity::Identity> _identity;
    std::unique_ptr<http::Server> _server;
    std::unique_ptr<plugins::PluginManager> _plugins;
    std::vector<std::shared_ptr<HostExtension>> _extensions;
    bool _routesRegistered = false;
    bool _pluginsLoaded = false;
    bool _started = false;
    bool _crashHandler = false; ///< this host installed the fatal-signal handler
};

} // namespace atrium::app
