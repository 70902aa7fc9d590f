#pragma once
// The running host: storage, identity, HTTP and (later) plugins wired together. The CLI's
// serve command and the integration tests build the same object.

#include "http/Metrics.h"
#include "http/Router.h"
#include "http/Server.h"
#include "identity/Audit.h"
#include "identity/Identity.h"
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
};

/// Parses "HOST:PORT" (or ":PORT"); throws std::invalid_argument with a sentence.
std::pair<std::string, int> parseListen(const std::string& listen);

class Host {
public:
    explicit Host(HostOptions options);
    ~Host();

    /// Applies pending core (and plugin) migrations; calls `progress` with one line per step.
    void migrate(const std::function<void(const std::string&)>& progress = {});
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

private:
    void registerCoreRoutes();

    HostOptions _options;
    store::DatabasePtr _db;
    http::Router _router;
    http::Metrics _metrics;
    std::unique_ptr<identity::Audit> _audit;
    std::shared_ptr<identity::Identity> _identity;
    std::unique_ptr<http::Server> _server;
    bool _routesRegistered = false;
};

} // namespace atrium::app
