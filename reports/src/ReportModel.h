#pragma once
// The reporting engine's compiled view of the catalogue: datasets (with their allow-listed
// fields and scope columns), measures, filters and queries. Everything a request names is
// resolved against these structures before any SQL is written, so identifiers in generated SQL
// only ever come from declarations, and values are always bound parameters.

#include "identity/Principal.h"
#include "store/Database.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace atrium::reports {

using Json = nlohmann::json;

/// Thrown for a definition or request the engine refuses; `status` is the HTTP status to answer.
class ReportError : public std::runtime_error {
public:
    ReportError(int status, std::string code, const std::string& message)
        : std::runtime_error(message), _status(status), _code(std::move(code)) {}
    int status() const { return _status; }
    const std::string& code() const { return _code; }

private:
    int _status;
    std::string _code;
};
inline ReportError badRequest(const std::string& m) { return {400, "bad_request", m}; }
inline ReportError forbidden(const std::string& m) { return {403, "forbidden", m}; }
inline ReportError notFound(const std::string& m) { return {404, "not_found", m}; }

/// Names for a field's values read from one of the declaring plugin's own tables:
/// `SELECT key, label FROM table WHERE key IN (…)` (every identifier validated at compile).
struct TableLookup {
    std::string table;
    std::string key;
    std::string label;
    std::string labelZh; ///< optional column with the Chinese name (falls back to `label`)
    bool empty() const { return table.empty(); }
};

struct Field {
    std::string name;       ///< column name (validated identifier)
    std::string kind;       ///< dimension | measure | time
    std::string type;       ///< integer | real | money | text | date | datetime | boolean
    std::string aggregate;  ///< default aggregate of a measure
    std::string lookup;     ///< users | departments | accounts | "" : ids shown as names
    TableLookup tableLookup; ///< "lookup": {table, key, label, label_zh?} : ids named from a plugin table
    Json valueLabels = Json::object(); ///< "labels": {value: {en, zh-CN}} : names of enumeration values
    std::string acl;        ///< the name field denials use ("acme.invoice.total")
    Json label;
    bool numeric() const { return type == "integer" || type == "real" || type == "money" || type == "boolean"; }
};

struct Dataset {
    std::string id;
    std::string plugin;          ///< owner in the catalogue ("acme.invoices", "reports" for admin-defined)
    Json name;
    Json definition;             ///< as declared
    std::string from;            ///< FROM clause text (a quoted table or a parenthesised query) with alias d
    std::vector<Field> fields;
    std::string scopePermission; ///< empty: no record scope declared (admins only)
    std::string ownerColumn;     ///< validated column name or ""
    std::string departmentColumn;
    std::string drill;
    std::vector<std::string> invalidateOn; ///< event patterns that change the data
    bool fromTable = false;      ///< the source is one table (incremental refresh allowed)
    std::string refreshKey;      ///< "refresh.key": a unique integer column, ascending with inserts
    std::string refreshUpdated;  ///< "refresh.updated": a last-change timestamp column (else append-only)

    const Field* field(const std::string& fieldName) const;
    /// `d."col"` for a declared field or scope column.
    static std::string col(const std::string& column);
};

/// One aggregate, optionally over a subset of rows (a filtered measure).
struct Filter {
    std::string field;  ///< declared field name
    std::string op;     ///< = != in < <= > >= between contains
    Json value;
};

struct Measure {
    std::string as;          ///< result column name
    std::string field;       ///< "" for COUNT(*)
    std::string aggregate;   ///< count | count_distinct | sum | avg | min | max
    std::vector<Filter> filters;
    Json label;
};

struct TimeRange {
    std::string field;                 ///< the dataset's time field
    std::optional<std::string> grain;  ///< day | week | month | quarter | year; none = no bucketing
    std::string from, to;              ///< inclusive 'YYYY-MM-DD', may be empty
};

/// Filters the engine adds itself from trusted sources (dashboard department/owner filters).
struct ScopeFilter {
    std::optional<std::int64_t> departmentId; ///< rows of this department's subtree
    std::optional<std::int64_t> ownerId;
    std::vector<std::int64_t> ownerIn;         ///< rows owned by one of these users (teams)
    bool ownerInSet = false;
};

struct Query {
    std::string dataset;
    std::vector<Measure> measures;
    std::vector<std::string> dimensions;
    std::vector<Filter> filters;
    std::optional<TimeRange> time;
    ScopeFilter scope;
    std::string compare;                         ///< "" | previous_period | same_period_last_year
    std::vector<std::pair<std::string, bool>> sort; ///< (column, descending)
    int limit = 1000;
    bool fillTimeGaps = true;

    /// Parses the public JSON form (POST /api/v1/reports/query); throws ReportError(400).
    static Query fromJson(const Json& j);
    Json toJson() const; ///< canonical form (cache keys)
};

/// A query result: columns and rows, as the API returns them.
struct Result {
    Json columns = Json::array(); ///< [{name,label,type}]
    Json rows = Json::array();    ///< [[…]]
    Json meta = Json::object();   ///< period, previous period, truncated, sql timings
    Json toJson() const;
};

Measure parseMeasure(const Json& j, const Dataset& ds, int index);
std::vector<Filter> parseFilters(const Json& j);

/// Compiles a catalogue definition into a Dataset; throws ReportError(422-ish 400) on a bad one.
Dataset compileDataset(const Json& definition);
bool validIdentifier(const std::string& s);

/// Whether the principal may see this field (field-level denial).
bool fieldAllowed(const identity::Principal& p, const Dataset& ds, const Field& f);

} // namespace atrium::reports
