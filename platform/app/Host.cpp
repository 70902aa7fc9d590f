#include "app/Host.h"

#include "app/CrashRecords.h"
#include "plugins/Settings.h"
#include "plugins/SettingsRoutes.h"
#include "app/PluginRegistry.h"
#include "customers/Crud.h"
#include "store/Migrations.h"

#include <Poco/Logger.h>

#include <filesystem>

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
    plugins::PluginManagerOptions pluginOptions;
    pluginOptions.hostVersion = ATRIUM_VERSION;
    pluginOptions.customers = [db = _db, audit = _audit.get()](store::Connection& c, const identity::Principal& principal,
                                                               const std::string& kind, const nlohmann::json& body,
                                                               const std::string& source) {
        return customers::createCustomer(db, *audit, c, principal, kind, body, source);
    };
    // Plugins an administrator turned off as a whole stay off across restarts (empty on a new database).
    pluginOptions.disabled = PluginRegistry(_db).disabled();
    auto config = _options.config;
    _plugins = std::make_unique<plugins::PluginManager>(
        _db, _router,
        [config](const std::string& key) -> std::optional<std::string> { return config ? config(key) : std::nullopt; },
        [](plugins::LogLevel level, const std::string& source, const std::string& message) {
            auto& logger = Poco::Logger::get(source == "plugins" ? "atrium.plugins" : "plugin." + source);
            switch (level) {
            case plugins::LogLevel::Debug: logger.debug(message); break;
            case plugins::LogLevel::Info: logger.information(message); break;
            case plugins::LogLevel::Warning: logger.warning(message); break;
            case plugins::LogLevel::Error: logger.error(message); break;
            }
        },
        pluginOptions);
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
    PluginRegistry(_db).ensureSchema();
    CrashRecords(_db).ensureSchema();
    plugins::SettingsStore::ensureSchema(*_db);
    for (auto& ext : _extensions) ext->migrate(*this, progress);
    loadPlugins();
    if (progress)
        for (const auto& st : _plugins->status())
            progress("plugin " + st.id + " " + st.version + ": " + plugins::stateName(st.state) +
                     (st.reason.empty() ? "" : " (" + st.reason + ")"));
}

void Host::loadPlugins() {
    if (_pluginsLoaded || !_options.loadPlugins) return;
    _pluginsLoaded = true;
    auto& log = Poco::Logger::get("atrium.plugins");
    if (!_options.crashFile.empty()) {
        // What the last run's fatal-signal handler wrote (nothing after a clean shutdown).
        if (const auto crash = plugins::readCrashFile(_options.crashFile)) {
            if (crash->plugin.empty())
                log.error("the host crashed (%s) at %s UTC while no plugin call was running", crash->signal, crash->at);
            else
                log.error("plugin %s crashed the host during %s at %s UTC (%s)", crash->plugin, crash->what, crash->at, crash->signal);
            try {
                const auto quarantine = CrashRecords(_db).record(*crash);
                if (!quarantine.empty()) log.error("plugin %s is quarantined: %s", crash->plugin, quarantine);
            } catch (const std::exception& e) {
                log.error("cannot record the crash in the database: %s", std::string(e.what()));
            }
        }
    }
    try {
        _plugins->setQuarantined(CrashRecords(_db).quarantined());
    } catch (const std::exception& e) {
        log.warning("cannot read the plugin quarantine: %s", std::string(e.what()));
    }
    if (_options.safeMode) log.warning("safe mode: only the plugins shipped with Atrium are loaded (%s)", _options.pluginPath);
    if (!_options.crashFile.empty()) {
        // Installed before any plugin's init runs, so a crash there is attributed too.
        plugins::installCrashHandler(_options.crashFile);
        _crashHandler = true;
    }
    _plugins->loadFromSearchPath(_options.pluginPath);
    try {
        // What `atrium plugins list` reports without loading anything.
        PluginRegistry(_db).record(_plugins->status());
    } catch (const std::exception& e) {
        Poco::Logger::get("atrium.plugins").warning("cannot record the plugins' states: %s", std::string(e.what()));
    }
    // Each plugin permission may name defaults for the built-in roles in its manifest
    // ("grants": {"manager": "department", "rep": "own"}); an admin's later change is kept.
    for (const auto& st : _plugins->status()) {
        if (st.state != plugins::PluginState::Loaded) continue;
        try {
            const auto manifest = plugins::Manifest::load(std::filesystem::path(st.directory) / "atrium-plugin.json");
            std::vector<identity::PermissionDecl> decls;
            for (const auto& p : manifest.raw.value("permissions", Json::array())) {
                identity::PermissionDecl d;
                d.name = p.value("name", "");
                const auto description = p.value("description", Json());
                d.description = description.is_object() ? description.value("en", d.name)
                                                        : description.is_string() ? description.get<std::string>() : d.name;
                if (p.contains("grants") && p["grants"].is_object())
                    for (const auto& [role, scope] : p["grants"].items()) d.defaults[role] = identity::parseScope(scope.get<std::string>());
                decls.push_back(std::move(d));
            }
            _identity->declarePermissions(st.id, decls);
            _identity->ensureRolesAndGrants(decls);
            // Its entities and fields: what the roles page offers to hide.
            _identity->declareEntities(st.id, manifest.raw.value("entities", Json::array()));
        } catch (const std::exception& e) {
            Poco::Logger::get("atrium.plugins").warning("cannot read the permissions of %s: %s", st.id, std::string(e.what()));
        }
    }
}

Json Host::modulesFor(const identity::Principal& principal) {
    Json out = Json::array();
    for (const auto& st : _plugins->status()) {
        if (st.state != plugins::PluginState::Loaded) continue;
        if (!_identity->moduleEnabled(st.id, principal)) continue;
        out.push_back({{"id", st.id},
                       {"name", {{"en", st.nameEn}, {"zh-CN", st.nameZh}}},
                       {"version", st.version},
                       {"ui", st.ui.empty() ? Json(nullptr) : Json(st.ui)}});
    }
    return out;
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
    auto* manager = _plugins.get();
    _router.add({"GET", "/readyz", "", true, "core", "", "Database reachable (detail: quarantined plugins)",
                 [db, manager](http::Request&, http::Response& res) {
                     try {
                         auto c = db->acquire();
                         c->queryScalar("SELECT 1");
                         // Quarantined plugins do not make the host unready; they are listed so a
                         // probe or an operator sees why a module is missing.
                         auto quarantined = Json::array();
                         for (const auto& st : manager->status())
                             if (st.state == plugins::PluginState::Quarantined) quarantined.push_back({{"id", st.id}, {"reason", st.reason}});
                         res.json({{"status", "ready"},
                                   {"database", std::string(db->dialect().name())},
                                   {"plugins", {{"quarantined", std::move(quarantined)}}}});
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
    _identity->registerRoutes(_router, [this](const identity::Principal& p) { return modulesFor(p); });
    _router.add({"GET", "/api/v1/admin/plugins", "core.plugin.read", false, "core", "", "Plugins: loaded, refused (with the reason), disabled",
                 [this](http::Request&, http::Response& res) { res.json(_plugins->toJson()); }});
    _router.add({"POST", "/api/v1/admin/plugins/{id}/enable", "core.plugin.write", false, "core", "", "Turn a plugin on",
                 [this](http::Request& req, http::Response& res) { togglePlugin(req, res, true); }});
    _router.add({"POST", "/api/v1/admin/plugins/{id}/disable", "core.plugin.write", false, "core", "", "Turn a plugin off (data stays)",
                 [this](http::Request& req, http::Response& res) { togglePlugin(req, res, false); }});
    plugins::registerSettingsRoutes(_router, _db, *_audit, *_plugins);
    customers::registerCustomerRoutes(_router, _db, *_audit);
}

void Host::togglePlugin(http::Request& req, http::Response& res, bool enable) {
    const auto id = req.pathParams.at("id");
    if (!_plugins->status(id)) throw http::HttpError::notFound("The plugin '" + id + "'");
    std::string reason;
    // Enabling is how an administrator lifts a crash quarantine.
    if (enable && _plugins->status(id)->state == plugins::PluginState::Quarantined) CrashRecords(_db).clear(id);
    const bool ok = enable ? _plugins->enable(id, &reason) : _plugins->disable(id, &reason);
    if (ok) {
        // Remembered, so the plugin stays as the administrator left it after a restart.
        PluginRegistry registry(_db);
        registry.setEnabled(id, enable);
        registry.record(_plugins->status());
    }
    auto e = identity::AuditEntry::by(req.principal, enable ? "admin.plugin.enable" : "admin.plugin.disable", "plugin", 0);
    e.newValues = {{"plugin", id}, {"ok", ok}, {"reason", reason}};
    e.requestId = req.requestId;
    e.outcome = ok ? "ok" : "failed";
    _audit->recordNow(e);
    if (!ok) throw http::HttpError(409, "plugin_state", reason.empty() ? "The plugin cannot change state now." : reason);
    res.json(_plugins->status(id) ? Json{{"id", id}, {"state", plugins::stateName(_plugins->status(id)->state)}} : Json{{"id", id}});
}

void Host::start() {
    if (_started) return;
    _started = true;
    loadPlugins();
    registerCoreRoutes();
    for (auto& ext : _extensions) ext->start(*this);
    if (!_options.webRoot.empty()) {
        _server->addStaticMount("/vendor/", _options.webRoot / "node_modules" / "echarts" / "dist", 86400);
        // no-cache + ETag: an upgrade never mixes old and new modules, and unchanged files are 304s.
        _server->addStaticMount("/", _options.webRoot / "public", 0);
    }
    _server->start();
    for (const auto& st : _plugins->status())
        if (st.state == plugins::PluginState::Refused)
            Poco::Logger::get("atrium.plugins").warning("plugin %s refused: %s", st.id, st.reason);
    Poco::Logger::get("atrium").information("listening on http://%s:%d (database %s)", _options.http.host, _server->port(),
                                             _db->url().redacted());
}

void Host::stop() {
    if (_started) {
        _started = false;
        if (_server) _server->stop();
        for (auto it = _extensions.rbegin(); it != _extensions.rend(); ++it) (*it)->stop();
        _plugins->shutdownAll();
        if (_crashHandler) {
            // A clean start+shutdown: earlier crashes no longer count towards a quarantine.
            try {
                CrashRecords(_db).closeStreaks();
            } catch (const std::exception& e) {
                Poco::Logger::get("atrium.plugins").warning("cannot close the crash records: %s", std::string(e.what()));
            }
        }
    }
    if (_crashHandler) {
        _crashHandler = false;
        plugins::uninstallCrashHandler(true);
    }
}

} // namespace atrium::app
