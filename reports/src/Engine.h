#pragma once
// The query engine: resolves datasets from the plugin catalogue and the admin-defined
// definitions, checks what the caller may use, generates SQL from allow-listed identifiers with
// bound values, applies record scope to every number, and caches results per (query, scope)
// until a write to the dataset's tables is announced.

#include "Columnar.h"
#include "Dates.h"
#include "ReportModel.h"

#include "app/Host.h"

#include <atomic>
#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

namespace atrium::reports {

struct CacheStats {
    std::uint64_t hits = 0, misses = 0, invalidations = 0;
    std::size_t entries = 0;
};

class Engine {
public:
    Engine(app::Host& host, store::DatabasePtr readDb, columnar::Options columnar = columnarOptionsFromEnvironment());
    /// ATRIUM_REPORTS_COLUMNAR=off disables the in-memory tables; ATRIUM_REPORTS_MEMORY_MB sets their budget.
    static columnar::Options columnarOptionsFromEnvironment();

    app::Host& host() { return _host; }
    store::DatabasePtr db() const { return _host.db(); }   ///< writes (definitions, dashboards)
    store::DatabasePtr readDb() const { return _readDb; }  ///< report reads (may be a replica)

    // ---- catalogue ------------------------------------------------------------------------
    /// The compiled dataset, or nullptr when no such dataset exists.
    std::shared_ptr<const Dataset> dataset(const std::string& id);
    /// KPI definition (plugin or admin), or nullopt.
    std::optional<Json> kpi(const std::string& id);
    std::vector<std::shared_ptr<const Dataset>> datasets();
    std::vector<Json> kpis();
    /// Built-in documents plugins declared ("dashboard", "scorecard_template"), with their
    /// served id ("builtin.<declared id, '.' -> '_'>"), "declared_id" and "plugin".
    std::vector<Json> declaredDocuments(const std::string& kind);
    /// False when the plugin that declared `doc` is disabled for the caller's department.
    bool mayUseDeclared(const identity::Principal& p, const Json& doc);
    /// Throws ReportError(403/404) unless `p` may use the dataset.
    void checkAccess(const identity::Principal& p, const Dataset& ds);
    bool mayUse(const identity::Principal& p, const Dataset& ds);
    bool mayUseKpi(const identity::Principal& p, const Json& kpi);
    /// The caller's catalogue: datasets (denied fields removed) and KPIs.
    Json catalogFor(const identity::Principal& p);
    /// Admin definitions changed (reports_definitions): recompile.
    void definitionsChanged();

    // ---- queries --------------------------------------------------------------------------
    /// Runs a query whose measures are given in JSON form (resolved against the dataset).
    Result query(const identity::Principal& p, Query q, const Json& measures);
    /// Runs a query whose measures are already resolved.
    Result run(const identity::Principal& p, const Query& q);
    /// Underlying records (drill-down), scope applied; at most `limit` rows.
    Json records(const identity::Principal& p, const Dataset& ds, const std::vector<Filter>& filters,
                 const std::optional<TimeRange>& time, const ScopeFilter& sf, int limit);
    /// Names for ids of a lookup ("users", "departments", "accounts").
    std::map<std::string, std::string> lookupNames(const std::string& lookup, const std::vector<std::string>& ids,
                                                   const std::string& locale);
    /// Names for values of a field: its declared `labels`, its table lookup, else its built-in
    /// lookup. Values without a name are absent from the map.
    std::map<std::string, std::string> lookupNames(const Field& f, const std::vector<std::string>& values, const std::string& locale);

    // ---- KPIs ------------------------------------------------------------------------------
    struct KpiOptions {
        dates::Period period;
        std::string compare = "previous_period";
        ScopeFilter scope;
        std::vector<Filter> extraFilters;
        std::optional<dates::Grain> grain; ///< series grain; none = chosen from the period length
        bool series = true;
    };
    /// {value, previous, delta, delta_pct, unit, currency, direction, status, series, …}
    Json evaluateKpi(const identity::Principal& p, const Json& kpi, const KpiOptions& o);
    /// KPI values grouped by a scope column ("owner" or "department") for one period:
    /// group value -> {numerator, denominator}. Used by scorecards.
    struct Parts {
        double numerator = 0, denominator = 0;
        bool ratio = false;
        bool hasValue = false;
        std::optional<double> value() const;
    };
    std::map<std::string, Parts> kpiByGroup(const identity::Principal& p, const Json& kpi, const dates::Period& period,
                                            const std::string& group, const ScopeFilter& sf);
    Parts kpiTotal(const identity::Principal& p, const Json& kpi, const dates::Period& period, const ScopeFilter& sf);
    static std::string kpiStatus(const Json& kpi, std::optional<double> value);

    // ---- cache -----------------------------------------------------------------------------
    /// Drops cached results of the dataset. With `quarantine` (an event delivered inside the
    /// writer's transaction) results are not cached for a moment, so a query racing the
    /// writer's commit is not kept.
    void invalidate(const std::string& datasetId, bool quarantine = false);
    void invalidateAll();
    /// An event was published: invalidates every dataset whose invalidate_on patterns match.
    void onEvent(const std::string& topic);
    CacheStats cacheStats() const;

    /// Derived results (an evaluated scorecard) cached while none of the datasets they read
    /// changed: take a token before computing, store with it, read with the same key.
    struct MemoToken {
        std::map<std::string, std::uint64_t> generations;
    };
    MemoToken memoBegin(const std::vector<std::string>& datasets);
    std::optional<Json> memoGet(const std::string& key);
    void memoPut(const std::string& key, const MemoToken& token, const Json& value);
    /// What a principal's grants make of results: user, department, roles, grants, denials.
    static std::string principalSignature(const identity::Principal& p);
    void setCacheEnabled(bool on) { _cacheEnabled = on; }
    /// The in-memory columnar tables report queries aggregate over (SQL when they cannot).
    columnar::Store& columns() { return *_columns; }

private:
    struct Compiled {
        std::uint64_t catalogRevision = ~0ull;
        std::uint64_t definitionsRevision = ~0ull;
        std::map<std::string, std::shared_ptr<const Dataset>> datasets;
        std::map<std::string, Json> kpis;
        std::map<std::string, std::vector<Json>> documents;
        std::vector<std::string> errors;
    };
    std::shared_ptr<const Compiled> compiled();
    std::string scopeSignature(const identity::Principal& p, const Dataset& ds) const;
    Result execute(const identity::Principal& p, const Dataset& ds, const Query& q, const std::optional<dates::Period>& period);
    std::uint64_t generation(const std::string& datasetId);

    app::Host& _host;
    store::DatabasePtr _readDb;
    std::mutex _compileMutex;
    std::shared_ptr<const Compiled> _compiled;
    std::atomic<std::uint64_t> _definitionsRevision{1};

    struct Entry {
        Result result;
        std::uint64_t generation;
        std::chrono::steady_clock::time_point at;
        std::list<std::string>::iterator lru;
    };
    mutable std::mutex _cacheMutex;
    std::unordered_map<std::string, Entry> _cache;
    std::list<std::string> _lru;
    std::map<std::string, std::uint64_t> _generations;
    std::map<std::string, std::chrono::steady_clock::time_point> _quarantine;
    struct Memo {
        Json value;
        MemoToken token;
        std::chrono::steady_clock::time_point at;
    };
    std::unordered_map<std::string, Memo> _memo;
    std::uint64_t _hits = 0, _misses = 0, _invalidations = 0;
    bool _cacheEnabled = true;
    std::unique_ptr<columnar::Store> _columns;
};

/// Period from a JSON {from, to}; throws ReportError(400).
dates::Period parsePeriod(const Json& j);
/// Rounds money/real noise away (6 decimals).
double tidy(double v);

} // namespace atrium::reports
