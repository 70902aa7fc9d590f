#pragma once
// In-memory columnar copies of report datasets.
//
// A dataset's declared fields (plus its scope columns) are read once into typed columns — text
// dictionary-encoded, dates as day numbers, small integers as int32, the rest as doubles — and
// report queries aggregate over them instead of running GROUP BY on the database. A plugin's
// dataset gets this without engine code: every table-backed dataset qualifies (a query source is
// left to the database, which filters it by period); a dataset that declares
//   "refresh": {"key": "id", "updated": "updated_at"}   (or just {"key": "id"} when append-only)
// is refreshed incrementally after a write (rows changed since the last watermark are re-read
// and replaced by key; a row-count check catches deletions, and the key column then tells which
// rows to drop). The others are reloaded in full when their data changes.
//
// Consistency: the engine bumps a dataset's generation on every announced write; a table is used
// only when it was loaded at the current generation and the dataset is not quarantined (an event
// delivered inside the writer's transaction). Anything the columnar path cannot answer exactly as
// the SQL would (ordering comparisons on text, filters on datetime fields other than the period,
// MIN/MAX of text, a table over the memory budget) returns nullopt and the caller runs the SQL.

#include "ReportModel.h"

#include "store/Database.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace atrium::reports::columnar {

struct Options {
    bool enabled = true;
    std::size_t memoryBudget = std::size_t{384} << 20; ///< bytes for all tables together
    std::chrono::seconds fullReloadAfter{3600};         ///< incremental tables are reloaded in full this often
    std::size_t chunkRows = 200000;                     ///< rows per read when loading by key
};

struct Column {
    enum class Kind { I32, F64, Text, Day };
    Kind kind = Kind::F64;
    std::string type;                  ///< declared type (integer, money, text, date, datetime, …)
    std::vector<std::int32_t> i32;     ///< I32 values and Day numbers; kNull when NULL
    std::vector<double> f64;           ///< F64 values; NaN when NULL
    std::vector<std::uint32_t> code;   ///< Text: 0 = NULL, else 1 + index into dict
    std::vector<std::string> dict;
    std::unordered_map<std::string, std::uint32_t> dictIndex;
    /// Text compared under a case- and accent-insensitive collation (MariaDB): set when two
    /// dictionary entries are equal under it, so grouping and filtering by this column are left
    /// to the database.
    bool collationSensitive = false; ///< the database compares text by a collation, not bytes
    bool ambiguous = false;

    static constexpr std::int32_t kNull = INT32_MIN;
    bool null(std::size_t row) const;
    double number(std::size_t row) const; ///< I32/F64 (NaN when NULL)
    std::size_t bytes() const;
};

struct Table {
    std::string dataset;
    std::vector<std::string> names; ///< column names, in load order
    std::vector<Column> columns;
    std::unordered_map<std::string, std::size_t> index;
    std::vector<std::int64_t> keys; ///< ascending, when the dataset declares a refresh key
    std::string watermark;          ///< the largest "updated" value seen
    std::size_t rows = 0;
    std::uint64_t generation = 0;
    std::chrono::steady_clock::time_point loadedAt;    ///< last full load
    std::chrono::steady_clock::time_point refreshedAt; ///< last full load or incremental refresh
    std::optional<std::chrono::steady_clock::time_point> recheckAt; ///< refreshed during a quarantine: again after this
    mutable std::atomic<std::int64_t> usedAt{0}; ///< steady_clock ticks of the last query (eviction order)
    void touch() const { usedAt = std::chrono::steady_clock::now().time_since_epoch().count(); }
    std::uint64_t incrementalRefreshes = 0;
    std::uint64_t deletedRows = 0; ///< rows dropped by incremental refreshes (deletions)
    double loadMs = 0;

    const Column* column(const std::string& name) const;
    std::size_t bytes() const;
};

/// What the columnar path produced: rows in the shape Engine::execute builds from SQL (period
/// label, dimensions, measures), before gap filling, sorting and limits.
struct Rows {
    std::vector<Json> rows;
    std::size_t scanned = 0;
};

class Store {
public:
    Store(store::DatabasePtr db, Options options);

    /// Aggregates `q` (already validated by the engine) over the dataset's table, refreshing it
    /// first when it is older than `generation`. `types`: the output type of every column the
    /// result has (as execute computes them). nullopt: use SQL.
    /// `quarantineEnd`: the dataset had a write announced from inside the writer's transaction;
    /// a table refreshed before this moment is refreshed once more after it (the commit may
    /// have come after the refresh read).
    std::optional<Rows> aggregate(const identity::Principal& p, const Dataset& ds, const Query& q,
                                  const std::vector<std::string>& types, std::uint64_t generation,
                                  std::optional<std::chrono::steady_clock::time_point> quarantineEnd = std::nullopt);
    /// Forgets a dataset's table (definitions changed).
    void drop(const std::string& datasetId);
    void clear();
    Json stats() const;
    const Options& options() const { return _options; }
    void setEnabled(bool on) { _options.enabled = on; }

private:
    struct Entry {
        std::mutex refresh;  ///< one loader at a time
        std::shared_mutex rw; ///< readers aggregate under a shared lock; an incremental refresh writes
        std::shared_ptr<Table> table;
        std::chrono::steady_clock::time_point refusedUntil; ///< over budget or failed: SQL until then
        std::string refusal;
    };
    std::shared_ptr<Entry> entry(const std::string& id);
    /// Loads or refreshes so that the table is at `generation`; false when it cannot be.
    bool ensure(Entry& e, const Dataset& ds, std::uint64_t generation,
                std::optional<std::chrono::steady_clock::time_point> quarantineEnd);
    std::shared_ptr<Table> loadFull(const Dataset& ds, std::uint64_t generation);
    /// MariaDB: marks text columns whose distinct values collide under the collation.
    void checkCollation(store::Connection& c, const Dataset& ds, Table& t);
    /// Re-reads rows changed since the watermark; `countCheck` compares row counts (deletions).
    bool refreshIncremental(Entry& e, const Dataset& ds, std::uint64_t generation, bool countCheck);
    void makeRoom(std::size_t bytes, const std::string& except);

    store::DatabasePtr _db;
    Options _options;
    mutable std::mutex _mutex;
    std::map<std::string, std::shared_ptr<Entry>> _entries;
    std::uint64_t _served = 0, _declined = 0, _fullLoads = 0, _incremental = 0;
};

} // namespace atrium::reports::columnar
