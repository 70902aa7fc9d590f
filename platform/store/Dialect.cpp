#include "store/Dialect.h"

#include <stdexcept>

namespace atrium::store {

Grain parseGrain(std::string_view name) {
    if (name == "day") return Grain::Day;
    if (name == "week") return Grain::Week;
    if (name == "month") return Grain::Month;
    if (name == "quarter") return Grain::Quarter;
    if (name == "year") return Grain::Year;
    throw std::invalid_argument("unknown time grain '" + std::string(name) +
                                "': use day, week, month, quarter or year");
}

std::string_view grainName(Grain g) {
    switch (g) {
    case Grain::Day: return "day";
    case Grain::Week: return "week";
    case Grain::Month: return "month";
    case Grain::Quarter: return "quarter";
    case Grain::Year: return "year";
    }
    return "day";
}

namespace {
struct Macro {
    std::string_view name, sqlite, mysql;
};
constexpr Macro kMacros[] = {
    {"${ID}", "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY"},
    {"${BIGINT}", "INTEGER", "BIGINT"},
    {"${INT}", "INTEGER", "INT"},
    {"${STR}", "TEXT", "VARCHAR(255)"},
    {"${TEXT}", "TEXT", "MEDIUMTEXT"},
    {"${MONEY}", "NUMERIC", "DECIMAL(18,4)"},
    {"${REAL}", "REAL", "DOUBLE"},
    {"${DATETIME}", "TEXT", "DATETIME"},
    {"${DATE}", "TEXT", "DATE"},
    {"${BOOL}", "INTEGER", "TINYINT"},
    {"${TABLE}", "", " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"},
};
} // namespace

std::string Dialect::expand(std::string_view ddl) const {
    std::string out;
    out.reserve(ddl.size() + 64);
    std::size_t i = 0;
    while (i < ddl.size()) {
        if (ddl[i] == '$' && i + 1 < ddl.size() && ddl[i + 1] == '{') {
            bool matched = false;
            for (const auto& m : kMacros) {
                if (ddl.substr(i, m.name.size()) == m.name) {
                    out += _backend == Backend::Sqlite ? m.sqlite : m.mysql;
                    i += m.name.size();
                    matched = true;
                    break;
                }
            }
            if (!matched) {
                auto end = ddl.find('}', i);
                throw std::invalid_argument("unknown type macro " +
                                            std::string(ddl.substr(i, end == std::string_view::npos ? 8 : end - i + 1)) +
                                            " in migration SQL");
            }
            continue;
        }
        out += ddl[i++];
    }
    return out;
}

std::string Dialect::quote(std::string_view identifier) {
    std::string out = "\"";
    for (char c : identifier) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::string Dialect::upsert(std::string_view table, const std::vector<std::string>& columns,
                            const std::vector<std::string>& keyColumns) const {
    std::string sql = "INSERT INTO " + quote(table) + " (";
    std::string marks;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (i) {
            sql += ", ";
            marks += ", ";
        }
        sql += quote(columns[i]);
        marks += '?';
    }
    sql += ") VALUES (" + marks + ")";
    std::vector<std::string> updates;
    for (const auto& c : columns) {
        bool isKey = false;
        for (const auto& k : keyColumns) isKey = isKey || k == c;
        if (!isKey) updates.push_back(c);
    }
    if (_backend == Backend::Sqlite) {
        sql += " ON CONFLICT (";
        for (std::size_t i = 0; i < keyColumns.size(); ++i) sql += (i ? ", " : "") + quote(keyColumns[i]);
        sql += ")";
        if (updates.empty()) return sql + " DO NOTHING";
        sql += " DO UPDATE SET ";
        for (std::size_t i = 0; i < updates.size(); ++i)
            sql += (i ? ", " : "") + quote(updates[i]) + " = excluded." + quote(updates[i]);
    } else {
        sql += " ON DUPLICATE KEY UPDATE ";
        if (updates.empty()) return sql + quote(keyColumns.front()) + " = " + quote(keyColumns.front());
        for (std::size_t i = 0; i < updates.size(); ++i)
            sql += (i ? ", " : "") + quote(updates[i]) + " = VALUES(" + quote(updates[i]) + ")";
    }
    return sql;
}

std::string Dialect::dateBucket(std::string_view column, Grain grain) const {
    std::string c(column);
    if (_backend == Backend::Sqlite) {
        switch (grain) {
        case Grain::Day: return "date(" + c + ")";
        case Grain::Week: return "date(" + c + ", '-' || ((CAST(strftime('%w', " + c + ") AS INTEGER) + 6) % 7) || ' days')";
        case Grain::Month: return "strftime('%Y-%m-01', " + c + ")";
        case Grain::Quarter:
            return "printf('%s-%02d-01', strftime('%Y', " + c + "), ((CAST(strftime('%m', " + c +
                   ") AS INTEGER) - 1) / 3) * 3 + 1)";
        case Grain::Year: return "strftime('%Y-01-01', " + c + ")";
        }
    } else {
        switch (grain) {
        case Grain::Day: return "DATE_FORMAT(" + c + ", '%Y-%m-%d')";
        case Grain::Week: return "DATE_FORMAT(DATE_SUB(" + c + ", INTERVAL WEEKDAY(" + c + ") DAY), '%Y-%m-%d')";
        case Grain::Month: return "DATE_FORMAT(" + c + ", '%Y-%m-01')";
        case Grain::Quarter:
            return "CONCAT(YEAR(" + c + "), '-', LPAD((QUARTER(" + c + ") - 1) * 3 + 1, 2, '0'), '-01')";
        case Grain::Year: return "DATE_FORMAT(" + c + ", '%Y-01-01')";
        }
    }
    return c;
}

std::string Dialect::nowUtc() const {
    return _backend == Backend::Sqlite ? "strftime('%Y-%m-%d %H:%M:%S', 'now')" : "UTC_TIMESTAMP()";
}

std::string Dialect::likeInsensitive(std::string_view column) const {
    // utf8mb4_unicode_ci is case-insensitive already; SQLite's LIKE is ASCII case-insensitive.
    return std::string(column) + " LIKE ? ESCAPE '!'";
}

} // namespace atrium::store
