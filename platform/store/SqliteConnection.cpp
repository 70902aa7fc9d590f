// SQLite backend: the sqlite3 C API directly. Poco::Data's SQLite connector materialises result
// sets (RecordSet), which conflicts with the streaming cursor the plugin ABI promises; the raw
// API maps one-to-one onto prepare/bind/step/column.

#include "store/Database.h"
#include "store/Writes.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace atrium::store {
namespace {

[[noreturn]] void fail(sqlite3* db, int rc, const std::string& what) {
    const std::string msg = what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    const int primary = rc & 0xff;
    if (primary == SQLITE_CONSTRAINT) throw StoreError(StoreError::Kind::Constraint, msg);
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw StoreError(StoreError::Kind::Busy, msg);
    if (primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR || primary == SQLITE_FULL)
        throw StoreError(StoreError::Kind::Unavailable, msg);
    throw StoreError(StoreError::Kind::Other, msg);
}

/// Compiled statements kept per connection by SQL text: parsing and planning is most of the
/// cost of a short query, and a request runs the same few statements again and again.
struct StatementCache {
    static constexpr std::size_t kMax = 128;
    std::unordered_map<std::string, std::vector<sqlite3_stmt*>> free;
    std::size_t size = 0;
    /// What each SQL text writes, as the authorizer saw it when a checked prepare compiled it:
    /// a cached statement skips the authorizer, so its writes are remembered here.
    std::unordered_map<std::string, SqlWrites> writes;
    ~StatementCache() {
        for (auto& [_, list] : free)
            for (auto* st : list) sqlite3_finalize(st);
    }
};

class SqliteStatement final : public Statement {
public:
    SqliteStatement(sqlite3* db, std::string_view sql, std::weak_ptr<StatementCache> cache, bool compile = false)
        : _db(db), _sql(sql), _cache(std::move(cache)) {
        if (auto c = compile ? nullptr : _cache.lock()) {
            auto it = c->free.find(_sql);
            if (it != c->free.end() && !it->second.empty()) {
                _stmt = it->second.back();
                it->second.pop_back();
                --c->size;
                return;
            }
        }
        const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &_stmt, nullptr);
        if (rc != SQLITE_OK) fail(db, rc, "cannot prepare SQL");
    }
    ~SqliteStatement() override {
        sqlite3_reset(_stmt);
        sqlite3_clear_bindings(_stmt);
        auto c = _cache.lock();
        if (c && c->size < StatementCache::kMax) {
            c->free[_sql].push_back(_stmt);
            ++c->size;
        } else {
            sqlite3_finalize(_stmt);
        }
    }

    void bind(int index, const Value& value) override {
        int rc = SQLITE_OK;
        if (std::holds_alternative<std::nullptr_t>(value)) rc = sqlite3_bind_null(_stmt, index);
        else if (auto i = std::get_if<std::int64_t>(&value)) rc = sqlite3_bind_int64(_stmt, index, *i);
        else if (auto d = std::get_if<double>(&value)) rc = sqlite3_bind_double(_stmt, index, *d);
        else {
            const auto& s = std::get<std::string>(value);
            rc = sqlite3_bind_text(_stmt, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
        }
        if (rc != SQLITE_OK) fail(_db, rc, "cannot bind parameter " + std::to_string(index));
    }

    bool step() override {
        if (_done) return false;
        const int rc = sqlite3_step(_stmt);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) {
            _done = true;
            _changes = sqlite3_changes64(_db);
            _lastId = sqlite3_last_insert_rowid(_db);
            return false;
        }
        _done = true;
        fail(_db, rc, "SQL statement failed");
    }

    int columnCount() const override { return sqlite3_column_count(_stmt); }
    std::string columnName(int column) const override {
        const char* n = sqlite3_column_name(_stmt, column);
        return n ? n : "";
    }
    Value column(int column) const override {
        switch (sqlite3_column_type(_stmt, column)) {
        case SQLITE_NULL: return nullptr;
        case SQLITE_INTEGER: return static_cast<std::int64_t>(sqlite3_column_int64(_stmt, column));
        case SQLITE_FLOAT: return sqlite3_column_double(_stmt, column);
        default: {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(_stmt, column));
            return std::string(text ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(_stmt, column)));
        }
        }
    }
    void reset() override {
        sqlite3_reset(_stmt);
        sqlite3_clear_bindings(_stmt);
        _done = false;
    }
    std::int64_t changes() const override { return _changes; }
    std::int64_t lastInsertId() const override { return _lastId; }

private:
    sqlite3* _db;
    std::string _sql;
    std::weak_ptr<StatementCache> _cache;
    sqlite3_stmt* _stmt = nullptr;
    bool _done = false;
    std::int64_t _changes = 0;
    std::int64_t _lastId = 0;
};

class SqliteConnection final : public Connection {
public:
    explicit SqliteConnection(const std::string& path) {
        // A missing folder is a typo or a missing volume, not a new database: say so, instead of
        // creating an empty database that then "needs migrations". (`atrium init` creates it.)
        const auto parent = std::filesystem::path(path).parent_path();
        std::error_code ec;
        if (!parent.empty() && path != ":memory:" && !std::filesystem::is_directory(parent, ec))
            throw StoreError(StoreError::Kind::Unavailable,
                             "the folder " + parent.string() + " of the SQLite database " + path +
                                 " does not exist: create it, or fix the path in --db / ATRIUM_DB");
        const int rc = sqlite3_open_v2(path.c_str(), &_db,
                                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
        if (rc != SQLITE_OK) {
            std::string msg = "cannot open SQLite database '" + path + "': " + sqlite3_errstr(rc);
            sqlite3_close(_db);
            throw StoreError(StoreError::Kind::Unavailable, msg);
        }
        sqlite3_busy_timeout(_db, 5000);
        exec("PRAGMA journal_mode=WAL");
        // FULL: a write acknowledged to a client survives power loss, not only a process crash.
        exec("PRAGMA synchronous=FULL");
        exec("PRAGMA foreign_keys=ON");
    }
    ~SqliteConnection() override {
        tracking::connectionClosed(*this);
        _cache.reset(); // cached statements are finalised before their connection closes
        sqlite3_close_v2(_db);
    }

    Backend backend() const override { return Backend::Sqlite; }
    std::unique_ptr<Statement> prepare(std::string_view sql) override {
        return std::make_unique<SqliteStatement>(_db, sql, _cache);
    }
    void exec(std::string_view sql) override {
        char* err = nullptr;
        const std::string s(sql);
        const int rc = sqlite3_exec(_db, s.c_str(), nullptr, nullptr, &err);
        if (rc != SQLITE_OK) {
            std::string msg = err ? err : sqlite3_errstr(rc);
            sqlite3_free(err);
            fail(nullptr, rc, "SQL failed (" + msg + ")");
        }
    }
    // IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout instead of
    // one failing with SQLITE_BUSY when it upgrades a read transaction.
    void begin() override {
        exec("BEGIN IMMEDIATE");
        tracking::discarded(*this);
    }
    void commit() override {
        exec("COMMIT");
        tracking::committed(*this);
    }
    void rollback() override {
        if (!sqlite3_get_autocommit(_db)) exec("ROLLBACK");
        tracking::discarded(*this);
    }
    bool inTransaction() const override { return !sqlite3_get_autocommit(_db); }
    bool ping() override { return true; }
    bool broken() const override { return false; }

    /// Prepares with an authorizer that records every table the statement writes (the engine's
    /// own parse, triggers included).
    CheckedStatement prepareChecked(std::string_view sql) {
        const std::string key(sql);
        if (auto it = _cache->writes.find(key); it != _cache->writes.end()) return {prepare(sql), it->second};
        SqlWrites writes;
        sqlite3_set_authorizer(_db, &SqliteConnection::authorize, &writes);
        std::unique_ptr<Statement> statement;
        try {
            statement = std::make_unique<SqliteStatement>(_db, sql, _cache, true);
        } catch (...) {
            sqlite3_set_authorizer(_db, nullptr, nullptr);
            throw;
        }
        sqlite3_set_authorizer(_db, nullptr, nullptr);
        if (_cache->writes.size() >= 1024) _cache->writes.clear();
        _cache->writes.emplace(key, writes);
        return {std::move(statement), std::move(writes)};
    }

private:
    static int authorize(void* data, int action, const char* a1, const char* a2, const char* /*db*/, const char* /*trigger*/) {
        auto* w = static_cast<SqlWrites*>(data);
        auto add = [&](const char* table) {
            if (!table || std::strncmp(table, "sqlite_", 7) == 0) return; // the engine's own bookkeeping
            if (std::find(w->tables.begin(), w->tables.end(), table) == w->tables.end()) w->tables.emplace_back(table);
        };
        switch (action) {
        case SQLITE_INSERT:
        case SQLITE_UPDATE:
        case SQLITE_DELETE:
        case SQLITE_CREATE_TABLE:
        case SQLITE_CREATE_TEMP_TABLE:
        case SQLITE_DROP_TABLE:
        case SQLITE_DROP_TEMP_TABLE:
        case SQLITE_CREATE_VIEW:
        case SQLITE_CREATE_TEMP_VIEW:
        case SQLITE_DROP_VIEW:
        case SQLITE_DROP_TEMP_VIEW: add(a1); break;
        case SQLITE_CREATE_INDEX:
        case SQLITE_CREATE_TEMP_INDEX:
        case SQLITE_DROP_INDEX:
        case SQLITE_DROP_TEMP_INDEX:
        case SQLITE_CREATE_TRIGGER:
        case SQLITE_CREATE_TEMP_TRIGGER:
        case SQLITE_DROP_TRIGGER:
        case SQLITE_DROP_TEMP_TRIGGER:
        case SQLITE_ALTER_TABLE: add(a2); break;
        case SQLITE_ATTACH:
        case SQLITE_DETACH:
            if (w->unchecked.empty()) w->unchecked = action == SQLITE_ATTACH ? "ATTACH" : "DETACH";
            break;
        case SQLITE_PRAGMA: {
            // Reading pragmas take a table name as argument; any other argument sets something.
            static const std::set<std::string> reading = {"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo",
                                                          "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check"};
            if (a2 && a1 && !reading.count(a1) && w->unchecked.empty()) w->unchecked = std::string("PRAGMA ") + a1;
            break;
        }
        default: break;
        }
        return SQLITE_OK;
    }

    sqlite3* _db = nullptr;
    std::shared_ptr<StatementCache> _cache = std::make_shared<StatementCache>();
};

} // namespace

std::unique_ptr<Connection> openSqlite(const ConnectionUrl& url) { return std::make_unique<SqliteConnection>(url.path); }

CheckedStatement tracking::sqlitePrepareChecked(Connection& connection, std::string_view sql) {
    auto* c = dynamic_cast<SqliteConnection*>(&connection);
    if (!c) throw StoreError(StoreError::Kind::Other, "not an SQLite connection");
    return c->prepareChecked(sql);
}

} // namespace atrium::store
