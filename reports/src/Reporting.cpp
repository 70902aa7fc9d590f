#include "Reporting.h"

#include "identity/Identity.h"
#include "store/Writes.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <ctime>
#include <mutex>
#include <set>

namespace atrium::reports {

std::string nowUtc() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

http::Handler guarded(std::function<void(http::Request&, http::Response&)> fn) {
    return [fn = std::move(fn)](http::Request& req, http::Response& res) {
        try {
            fn(req, res);
        } catch (const ReportError& e) {
            throw http::HttpError(e.status(), e.code(), e.what());
        } catch (const nlohmann::json::exception& e) {
            throw http::HttpError::badRequest(std::string("The request has a value of the wrong type: ") + e.what());
        }
    };
}

http::Route route(std::string method, std::string pattern, std::string permission, std::string summary,
                  std::function<void(http::Request&, http::Response&)> fn) {
    http::Route r;
    r.method = std::move(method);
    r.pattern = std::move(pattern);
    r.permission = std::move(permission);
    r.owner = "reports";
    r.summary = std::move(summary);
    r.handler = guarded(std::move(fn));
    return r;
}

void ReportingExtension::migrate(app::Host& host, const std::function<void(const std::string&)>& progress) {
    store::Migrator migrator(*host.db());
    auto steps = migrator.apply("reports", migrations(), [&](const store::MigrationStep& s) {
        Poco::Logger::get("atrium.reports").information("applied reports migration %d: %s", s.version, s.name);
        if (progress) progress("applied reports migration " + std::to_string(s.version) + ": " + s.name);
    });
    if (progress && steps.empty())
        progress("reports schema is up to date (version " + std::to_string(migrator.currentVersion("reports")) + ")");
}

void ReportingExtension::start(app::Host& host) {
    _host = &host;
    migrate(host, nullptr); // a database initialised before the extension existed

    using S = identity::Scope;
    host.identity().declarePermissions(
        "reports",
        {
            {"reports.read", "Use the report catalogue, queries and KPIs (numbers stay within record scope)",
             {{"manager", S::All}, {"rep", S::All}, {"analyst", S::All}}},
            {"reports.dashboard.read", "Open dashboards shared with you", {{"manager", S::All}, {"rep", S::All}, {"analyst", S::All}}},
            {"reports.dashboard.write", "Create dashboards and personal copies, edit your own", {{"manager", S::All}, {"rep", S::Own}, {"analyst", S::All}}},
            {"reports.export", "Export report results (CSV, XLSX, PDF)", {{"manager", S::All}, {"analyst", S::All}}},
            {"reports.scorecard.read", "Run scorecards for the people in your scope", {{"manager", S::Department}, {"analyst", S::All}}},
            {"reports.scorecard.write", "Define scorecard templates", {{"manager", S::Department}}},
            {"reports.evaluation.read", "See performance evaluation cycles", {{"manager", S::Department}}},
            {"reports.evaluation.write", "Run evaluation cycles: participants, adjustments, submission", {{"manager", S::Department}}},
            {"reports.evaluation.approve", "Approve evaluation cycles (freezes the results)", {}},
            {"reports.admin", "Define datasets and KPIs, edit any dashboard, manage the report cache", {}},
        });

    auto readDb = host.db();
    if (!host.options().reportsDbUrl.empty()) readDb = store::Database::open(host.options().reportsDbUrl, host.options().pool);
    _engine = std::make_unique<Engine>(host, readDb);

    auto* engine = _engine.get();
    _subscription = host.plugins().events().subscribe("reports", "*", [engine](const std::string& topic, const std::string&, store::Connection*) {
        engine->onEvent(topic);
    });

    // Freshness without events: the host reports the tables a plugin's transaction wrote once it
    // committed; every dataset reading one of them moves to a new generation, so cached results
    // and in-memory tables refresh on the next query. A dataset reads its "table", the tables
    // named in its "query", and any it lists in "reads" (source.reads or reads).
    struct ReadSets {
        std::mutex mutex;
        std::map<std::string, std::pair<std::shared_ptr<const Dataset>, std::set<std::string>>> byDataset;
    };
    auto reads = std::make_shared<ReadSets>();
    _writeListener = store::addWriteListener(*host.db(), [engine, reads](const std::vector<std::string>& tables) {
        const std::set<std::string> written(tables.begin(), tables.end()); // lower-case already
        for (const auto& ds : engine->datasets()) {
            std::set<std::string> names;
            {
                std::lock_guard lock(reads->mutex);
                auto& slot = reads->byDataset[ds->id];
                if (slot.first != ds) {
                    std::set<std::string> r;
                    auto addName = [&](std::string n) {
                        std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
                        if (!n.empty()) r.insert(std::move(n));
                    };
                    const auto& def = ds->definition;
                    const auto source = def.value("source", Json::object());
                    if (source.contains("table") && source["table"].is_string()) addName(source["table"].get<std::string>());
                    if (source.contains("query") && source["query"].is_string())
                        for (auto& n : store::sqlReads(source["query"].get<std::string>())) addName(std::move(n));
                    for (const auto* list : {&source, &def})
                        if (list->is_object() && list->contains("reads") && (*list)["reads"].is_array())
                            for (const auto& n : (*list)["reads"])
                                if (n.is_string()) addName(n.get<std::string>());
                    slot = {ds, std::move(r)};
                }
                names = slot.second;
            }
            if (std::any_of(names.begin(), names.end(), [&](const std::string& n) { return written.count(n) > 0; })) engine->invalidate(ds->id);
        }
    });

    auto& router = host.router();
    registerCatalogRoutes(router, *engine);
    registerDashboardRoutes(router, *engine);
    registerScorecardRoutes(router, *engine);
    registerEvaluationRoutes(router, *engine);

    host.metrics().addGauge("atrium_reports_cache_entries", "Cached report results.",
                            [engine] { return static_cast<double>(engine->cacheStats().entries); });
    host.metrics().addGauge("atrium_reports_cache_hits_total", "Report queries answered from the cache.",
                            [engine] { return static_cast<double>(engine->cacheStats().hits); });
    host.metrics().addGauge("atrium_reports_cache_misses_total", "Report queries that ran SQL.",
                            [engine] { return static_cast<double>(engine->cacheStats().misses); });
    host.metrics().addGauge("atrium_reports_columnar_bytes", "Memory held by in-memory report tables.",
                            [engine] { return engine->columns().stats().value("bytes", 0.0); });
}

void ReportingExtension::stop() {
    if (_host && _subscription) _host->plugins().events().unsubscribe(_subscription);
    _subscription = 0;
    if (_host && _writeListener) store::removeWriteListener(*_host->db(), _writeListener);
    _writeListener = 0;
    if (_host) _host->router().removeOwner("reports");
}

} // namespace atrium::reports
