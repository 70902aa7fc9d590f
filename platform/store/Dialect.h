#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace atrium::store {

enum class Backend { Sqlite, Mysql };

enum class Grain { Day, Week, Month, Quarter, Year };
Grain parseGrain(std::string_view name); ///< throws std::invalid_argument
std::string_view grainName(Grain g);

/// The few places where SQLite and MariaDB/MySQL SQL differ, in one object. Everything else in
/// Atrium is portable SQL with '?' placeholders and double-quoted identifiers (MySQL sessions run
/// with ANSI_QUOTES and PIPES_AS_CONCAT).
class Dialect {
public:
    explicit Dialect(Backend backend) : _backend(backend) {}
    Backend backend() const { return _backend; }
    std::string_view name() const { return _backend == Backend::Sqlite ? "sqlite" : "mysql"; }

    /// Expands the type macros used in migrations:
    ///   ${ID}        auto-increment 64-bit primary key
    ///   ${BIGINT}    64-bit integer          ${INT}   32-bit integer
    ///   ${STR}       short indexed string (<= 255 chars)   ${TEXT} long text
    ///   ${MONEY}     exact decimal(18,4)     ${REAL}  double
    ///   ${DATETIME}  'YYYY-MM-DD HH:MM:SS' UTC   ${DATE} 'YYYY-MM-DD'
    ///   ${BOOL}      0/1                     ${TABLE} table options (engine, charset)
    std::string expand(std::string_view ddl) const;

    /// INSERT … ON CONFLICT/ON DUPLICATE KEY UPDATE for `table`, with '?' for every column.
    std::string upsert(std::string_view table, const std::vector<std::string>& columns,
                       const std::vector<std::string>& keyColumns) const;

    /// SQL expression giving the first day of the bucket that `column` falls in, as 'YYYY-MM-DD'.
    std::string dateBucket(std::string_view column, Grain grain) const;

    /// SQL expression for "now" in UTC as 'YYYY-MM-DD HH:MM:SS'.
    std::string nowUtc() const;

    /// Case-insensitive LIKE for user search; the caller escapes %, _ and ! with '!'.
    std::string likeInsensitive(std::string_view column) const;

    /// Quotes an identifier that was already validated against an allow-list.
    static std::string quote(std::string_view identifier);

private:
    Backend _backend;
};

} // namespace atrium::store
