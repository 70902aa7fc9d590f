#include "app/Host.h"

#include "customers/Crud.h"
#include "store/Migrations.h"

#include <Poco/Logger.h>

namespace atrium::app {

using http::Json;

std::pair<std::string, int> parseListen(const std::string& listen) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos)
        throw std::invalid_argument("listen address '" + listen + "' has no port: use HOST:PORT, e.g. 127.0.0.1:8080");
    std::string host = listen.substr(0, colon);
    if (host.empty()) host = "127.0.0.1";
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    int port = -1;
    try {
        std::size_t pos = 0;
        port = std::stoi(listen.substr(colon + 1), &pos);
        if (pos != listen.size() - colon - 1) port = -1;
    } catch (...) {
    }
    if (port < 0 || port > 65535)
        throw std::invalid_argument("listen address '" + listen + "' has an invalid port: use a number from 0 to 65535");
    return {host, port};
}

Host::Host(HostOptions options) : _options(std::move(options)) {
    _db = store::Database::open(_options.dbUrl, _options.pool);
    _audit = std::make_unique<identity::Audit>(_db);
    _identity = std::make_shared<identity::Identity>(_db, *_audit, _options.identity);
    _server = std::make_unique<http::Server>(_router, _metrics, _options.http);
    _server->setGate(_identity);
    auto db = _db;
    _metrics.addGauge("atrium_db_pool_size", "Database connections open.", [db] { return static_cast<double>(db->stats().size); });
    _metrics.addGauge("atrium_db_pool_in_use", "Database connections leased.", [db] { return static_cast<double>(db->stats().inUse); });
    _metrics.addGauge("atrium_db_pool_waiting", "Requests waiting for a database connection.",
                      [db] { return static_cast<double>(db->stats().waiting); });
    _metrics.addGauge("atrium_db_pool_timeouts_total", "Requests refused because every connection was busy.",
                      [db] { return static_cast<double>(db->stats().timeouts); });
}

Host::~Host() {
    try {
        stop();
    } catch (...) {
    }
}

void Host::migrate(const std::function<void(const std::string&)>& progress) {
    store::Migrator migrator(*_db);
    auto steps = migrator.apply("core", store::coreMigrations(), [&](const store::MigrationStep& s) {
        if (progress) progress("applied " + s.owner + " migration " + std::to_string(s.version) + ": " + s.name);
    });
    if (progress && steps.empty()) progress("core schema is up to date (version " + std::to_string(migrator.currentVersion("core")) + ")");
    _identity->ensureRolesAndGrants(identity::Identity::corePermissions());
    _identity->ensureRootDepartment();
}

void Host::checkSchema() {
    store::Migrator migrator(*_db);
    auto pending = migrator.pending("core", store::coreMigrations());
    if (!pending.empty())
        throw store::StoreError(store::StoreError::Kind::Other,
                                "the database needs " + std::to_string(pending.size()) +
                                    " migration(s): run 'atrium migrate' (or 'atrium init' for a new database)");
}

void Host::registerCoreRoutes() {
    if (_routesRegistered) return;
    _routesRegistered = true;
    _router.add({"GET", "/healthz", "", true, "core", "", "Process is up",
                 [](http::Request&, http::Response& res) { res.json({{"status", "ok"}}); }});
    auto db = _db;
    _router.add({"GET", "/readyz", "", true, "core", "", "Database reachable",
                 [db](http::Request&, http::Response& res) {
                     try {
                         auto c = db->acquire();
                         c->queryScalar("SELECT 1");
                         res.json({{"status", "ready"}, {"database", std::string(db->dialect().name())}});
                     } catch (const std::exception&) {
                         res.setHeader("Retry-After", "1");
                         res.json(http::errorBody("not_ready", "The database is not reachable."), 503);
                     }
                 }});
    auto& metrics = _metrics;
    _router.add({"GET", "/metrics", "", true, "core", "", "Prometheus metrics",
                 [&metrics](http::Request&, http::Response& res) {
                     res.contentType = "text/plain; version=0.0.4; charset=utf-8";
                     res.body = metrics.render();
                 }});
    _router.add({"GET", "/api/v1/admin/routes", "core.role.read", false, "core", "", "The route table with permissions",
                 [this](http::Request&, http::Response& res) {
                     Json items = Json::array();
                     for (const auto& r : _router.routes())
                         items.push_back({{"method", r->method}, {"pattern", r->pattern}, {"permission", r->permission},
                                          {"public", r->isPublic}, {"owner", r->owner}, {"module", r->module}, {"summary", r->summary}});
                     res.json({{"items", items}});
                 }});
    _identity->registerRoutes(_router, [](const identity::Principal&) { return Json::array(); });
    customers::registerCustomerRoutes(_router, _db, *_audit);
}

void Host::start() {
    registerCoreRoutes();
    if (!_options.webRoot.empty()) {
        _server->addStaticMount("/vendor/", _options.webRoot / "node_modules" / "echarts" / "dist", 86400);
        _server->addStaticMount("/", _options.webRoot / "public", 300);
    }
    _server->start();
    Poco::Logger::get("atrium").information("listening on http://%s:%d (database %s)", _options.http.host, _server->port(),
                                             _db->url().redacted());
}

void Host::stop() {
    if (_server) _server->stop();
}

} // namespace atrium::app
