#pragma once
// Typed access to the host's database cursor:
//
//     for (auto row : db.query("SELECT id, name FROM hello_greetings WHERE id > ?", since))
//         out.push_back({{"id", row.i64(0)}, {"name", row.text("name")}});
//
// Rows stream from the server one at a time (analytics can scan millions of rows); nothing is
// materialised unless you ask for it (Db::all).

#include <atrium/sdk/error.hpp>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace atrium::sdk {

/// SQL NULL as a bind argument: db.execute("UPDATE … SET closed_at = ?", null).
struct Null {};
inline constexpr Null null{};

enum class Grain { Day = ATRIUM_GRAIN_DAY, Week = ATRIUM_GRAIN_WEEK, Month = ATRIUM_GRAIN_MONTH, Quarter = ATRIUM_GRAIN_QUARTER, Year = ATRIUM_GRAIN_YEAR };

namespace detail {

/// Calls a host function that writes text snprintf-style, growing the buffer once if needed.
template <class F>
std::string readText(F&& call) {
    std::string out(256, '\0');
    std::size_t size = 0;
    ErrorBuffer eb;
    atrium_status rc = call(out.data(), out.size(), &size, eb.get());
    if (rc == ATRIUM_E_TRUNCATED) {
        out.assign(size + 1, '\0');
        ErrorBuffer again;
        rc = call(out.data(), out.size(), &size, again.get());
        check(rc, again);
    } else {
        check(rc, eb);
    }
    out.resize(size);
    return out;
}

} // namespace detail

/// The SQL differences between SQLite and MariaDB/MySQL, as the host knows them.
class Dialect {
public:
    explicit Dialect(const atrium_host_api* api) : _api(api) {}
    /// "sqlite" or "mysql".
    std::string_view name() const { return _api->dialect_name(_api->host); }
    bool isSqlite() const { return name() == "sqlite"; }
    bool isMysql() const { return name() == "mysql"; }
    /// Expression for the first day ('YYYY-MM-DD') of the bucket `column` falls in.
    std::string dateBucket(std::string_view column, Grain grain) const {
        const std::string c(column);
        return detail::readText([&](char* b, std::size_t n, std::size_t* size, atrium_error* e) {
            return _api->dialect_date_bucket(_api->host, c.c_str(), static_cast<int32_t>(grain), b, n, size, e);
        });
    }
    /// INSERT … ON CONFLICT / ON DUPLICATE KEY UPDATE with a '?' per column, in order.
    std::string upsert(std::string_view table, const std::vector<std::string>& columns, const std::vector<std::string>& keys) const {
        const std::string t(table);
        std::vector<const char*> cols, keyCols;
        for (const auto& c : columns) cols.push_back(c.c_str());
        for (const auto& k : keys) keyCols.push_back(k.c_str());
        return detail::readText([&](char* b, std::size_t n, std::size_t* size, atrium_error* e) {
            return _api->dialect_upsert(_api->host, t.c_str(), cols.data(), cols.size(), keyCols.data(), keyCols.size(), b, n, size, e);
        });
    }
    /// Expands ${ID}, ${STR}, … for this backend.
    std::string expand(std::string_view ddl) const {
        return detail::readText([&](char* b, std::size_t n, std::size_t* size, atrium_error* e) {
            return _api->dialect_expand(_api->host, ddl.data(), ddl.size(), b, n, size, e);
        });
    }

private:
    const atrium_host_api* _api;
};

class Statement;

/// The current row of a Statement. Valid until the statement steps again; text views are
/// valid until then too (copy with text() to keep them).
class Row {
public:
    explicit Row(Statement& statement) : _s(&statement) {}

    int columnCount() const;
    /// ATRIUM_TYPE_NULL / INT / DOUBLE / TEXT.
    int type(int column) const;
    int type(std::string_view name) const { return type(index(name)); }
    bool isNull(int column) const { return type(column) == ATRIUM_TYPE_NULL; }
    bool isNull(std::string_view name) const { return isNull(index(name)); }

    std::int64_t i64(int column) const;
    std::int64_t i64(std::string_view name) const { return i64(index(name)); }
    double f64(int column) const;
    double f64(std::string_view name) const { return f64(index(name)); }
    bool boolean(int column) const { return i64(column) != 0; }
    bool boolean(std::string_view name) const { return boolean(index(name)); }
    std::string text(int column) const { return std::string(textView(column)); }
    std::string text(std::string_view name) const { return text(index(name)); }
    std::string_view textView(int column) const;
    std::string_view textView(std::string_view name) const { return textView(index(name)); }

    std::optional<std::int64_t> optI64(int column) const { return isNull(column) ? std::nullopt : std::optional(i64(column)); }
    std::optional<std::int64_t> optI64(std::string_view name) const { return optI64(index(name)); }
    std::optional<double> optF64(int column) const { return isNull(column) ? std::nullopt : std::optional(f64(column)); }
    std::optional<double> optF64(std::string_view name) const { return optF64(index(name)); }
    std::optional<std::string> optText(int column) const { return isNull(column) ? std::nullopt : std::optional(text(column)); }
    std::optional<std::string> optText(std::string_view name) const { return optText(index(name)); }

    /// The value as JSON: null, integer, number or string.
    Json json(int column) const;
    Json json(std::string_view name) const { return json(index(name)); }
    /// The whole row as a JSON object keyed by column name.
    Json object() const;

    /// 0-based index of a result column; throws Error when there is none by that name.
    int index(std::string_view name) const;

private:
    Statement* _s;
};

/// A prepared statement. Finalized when destroyed.
class Statement {
public:
    Statement(const atrium_host_api* api, atrium_stmt* stmt) : _api(api), _stmt(stmt) {}
    Statement(Statement&& other) noexcept
        : _api(other._api), _stmt(std::exchange(other._stmt, nullptr)), _names(std::move(other._names)) {}
    Statement& operator=(Statement&& other) noexcept {
        if (this != &other) {
            finalize();
            _api = other._api;
            _stmt = std::exchange(other._stmt, nullptr);
            _names = std::move(other._names);
        }
        return *this;
    }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement() { finalize(); }

    Statement& bind(int index, Null) { return call([&](atrium_error* e) { return _api->stmt_bind_null(_stmt, index, e); }); }
    Statement& bind(int index, std::nullptr_t) { return bind(index, null); }
    Statement& bind(int index, double value) { return call([&](atrium_error* e) { return _api->stmt_bind_double(_stmt, index, value, e); }); }
    Statement& bind(int index, float value) { return bind(index, static_cast<double>(value)); }
    Statement& bind(int index, std::string_view value) {
        return call([&](atrium_error* e) { return _api->stmt_bind_text(_stmt, index, value.data(), value.size(), e); });
    }
    Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
    Statement& bind(int index, const char* value) { return value ? bind(index, std::string_view(value)) : bind(index, null); }
    Statement& bind(int index, bool value) { return bindInt(index, value ? 1 : 0); }
    template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
    Statement& bind(int index, T value) {
        return bindInt(index, static_cast<std::int64_t>(value));
    }
    template <class T>
    Statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind(index, null);
    }
    /// Binds `args` to parameters 1, 2, 3 …
    template <class... Args>
    Statement& bindAll(const Args&... args) {
        int i = 0;
        (bind(++i, args), ...);
        return *this;
    }

    /// Executes or advances; true while a row is available.
    bool step() {
        detail::ErrorBuffer eb;
        return detail::check(_api->stmt_step(_stmt, eb.get()), eb) == ATRIUM_ROW;
    }
    /// Ready to bind and run again.
    void reset() { call([&](atrium_error* e) { return _api->stmt_reset(_stmt, e); }); }
    Row row() { return Row(*this); }

    int columnCount() const { return _api->stmt_column_count(_stmt); }
    std::string_view columnName(int column) const { return _api->stmt_column_name(_stmt, column); }
    int columnIndex(std::string_view name) const {
        if (_names.empty()) {
            const int n = columnCount();
            for (int i = 0; i < n; ++i) _names.emplace(std::string(columnName(i)), i);
        }
        auto it = _names.find(name);
        if (it == _names.end()) throw Error(ATRIUM_E_INVALID, "the result has no column \"" + std::string(name) + "\"");
        return it->second;
    }
    std::int64_t changes() const { return _api->stmt_changes(_stmt); }
    std::int64_t lastInsertId() const { return _api->stmt_last_insert_id(_stmt); }

    const atrium_host_api* api() const { return _api; }
    atrium_stmt* handle() const { return _stmt; }

private:
    template <class F>
    Statement& call(F&& f) {
        detail::ErrorBuffer eb;
        detail::check(f(eb.get()), eb);
        return *this;
    }
    Statement& bindInt(int index, std::int64_t value) {
        return call([&](atrium_error* e) { return _api->stmt_bind_int(_stmt, index, value, e); });
    }
    void finalize() noexcept {
        if (_stmt) _api->stmt_finalize(_stmt);
        _stmt = nullptr;
    }

    const atrium_host_api* _api;
    atrium_stmt* _stmt;
    mutable std::map<std::string, int, std::less<>> _names;
};

inline int Row::columnCount() const { return _s->columnCount(); }
inline int Row::type(int column) const { return _s->api()->stmt_column_type(_s->handle(), column); }
inline std::int64_t Row::i64(int column) const { return _s->api()->stmt_column_int(_s->handle(), column); }
inline double Row::f64(int column) const { return _s->api()->stmt_column_double(_s->handle(), column); }
inline std::string_view Row::textView(int column) const {
    std::size_t size = 0;
    const char* p = _s->api()->stmt_column_text(_s->handle(), column, &size);
    return p ? std::string_view(p, size) : std::string_view();
}
inline int Row::index(std::string_view name) const { return _s->columnIndex(name); }
inline Json Row::json(int column) const {
    switch (type(column)) {
    case ATRIUM_TYPE_INT: return i64(column);
    case ATRIUM_TYPE_DOUBLE: return f64(column);
    case ATRIUM_TYPE_TEXT: return text(column);
    default: return nullptr;
    }
}
inline Json Row::object() const {
    Json out = Json::object();
    const int n = columnCount();
    for (int i = 0; i < n; ++i) out[std::string(_s->columnName(i))] = json(i);
    return out;
}

/// A query's rows as a single-pass range: `for (auto row : rows)`.
class Rows {
public:
    explicit Rows(Statement statement) : _statement(std::move(statement)) {}

    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = Row;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = Row;

        iterator() = default;
        explicit iterator(Statement* s) : _s(s) { advance(); }
        Row operator*() const { return Row(*_s); }
        iterator& operator++() {
            advance();
            return *this;
        }
        void operator++(int) { advance(); }
        friend bool operator==(const iterator& a, const iterator& b) { return a._s == b._s; }
        friend bool operator!=(const iterator& a, const iterator& b) { return a._s != b._s; }

    private:
        void advance() {
            if (_s && !_s->step()) _s = nullptr;
        }
        Statement* _s = nullptr;
    };

    /// Executes the statement; call once.
    iterator begin() { return iterator(&_statement); }
    iterator end() { return iterator(); }
    Statement& statement() { return _statement; }

private:
    Statement _statement;
};

class Transaction;
class BulkInsert;

/// A database connection from the host's pool, for the current callback (or opened with
/// Host::openDb). Cheap to copy: it does not own the connection.
class Db {
public:
    Db(const atrium_host_api* api, atrium_db* db) : _api(api), _db(db) {}

    Statement prepare(std::string_view sql) const {
        detail::ErrorBuffer eb;
        atrium_stmt* stmt = nullptr;
        detail::check(_api->db_prepare(_db, sql.data(), sql.size(), &stmt, eb.get()), eb);
        return Statement(_api, stmt);
    }

    /// Runs a query with '?' arguments; iterate the result once.
    template <class... Args>
    Rows query(std::string_view sql, const Args&... args) const {
        auto s = prepare(sql);
        s.bindAll(args...);
        return Rows(std::move(s));
    }

    /// Runs INSERT/UPDATE/DELETE; returns rows changed.
    template <class... Args>
    std::int64_t execute(std::string_view sql, const Args&... args) const {
        auto s = prepare(sql);
        s.bindAll(args...);
        s.step();
        return s.changes();
    }

    /// Runs an INSERT; returns the generated id.
    template <class... Args>
    std::int64_t insert(std::string_view sql, const Args&... args) const {
        auto s = prepare(sql);
        s.bindAll(args...);
        s.step();
        return s.lastInsertId();
    }

    /// First column of the first row as T (std::int64_t, double, std::string, bool), or
    /// nullopt when there is no row or the value is NULL.
    template <class T, class... Args>
    std::optional<T> scalar(std::string_view sql, const Args&... args) const {
        auto s = prepare(sql);
        s.bindAll(args...);
        if (!s.step()) return std::nullopt;
        Row r = s.row();
        if (r.isNull(0)) return std::nullopt;
        if constexpr (std::is_same_v<T, std::string>) return r.text(0);
        else if constexpr (std::is_same_v<T, bool>) return r.boolean(0);
        else if constexpr (std::is_floating_point_v<T>) return static_cast<T>(r.f64(0));
        else return static_cast<T>(r.i64(0));
    }

    /// Every row as a JSON object (for small results).
    template <class... Args>
    Json all(std::string_view sql, const Args&... args) const {
        Json out = Json::array();
        for (auto row : query(sql, args...)) out.push_back(row.object());
        return out;
    }

    /// Runs one statement without parameters or results (DDL).
    void exec(std::string_view sql) const {
        detail::ErrorBuffer eb;
        detail::check(_api->db_exec(_db, sql.data(), sql.size(), eb.get()), eb);
    }

    void begin() const { call(_api->db_begin); }
    void commit() const { call(_api->db_commit); }
    void rollback() const { call(_api->db_rollback); }
    /// RAII transaction (a savepoint when one is already open).
    Transaction transaction() const;
    /// Multi-row INSERT into one of the plugin's tables.
    BulkInsert bulkInsert(std::string_view table, std::vector<std::string> columns) const;

    Dialect dialect() const { return Dialect(_api); }
    const atrium_host_api* api() const { return _api; }
    atrium_db* handle() const { return _db; }

private:
    void call(atrium_status (*fn)(atrium_db*, atrium_error*)) const {
        detail::ErrorBuffer eb;
        detail::check(fn(_db, eb.get()), eb);
    }

    const atrium_host_api* _api;
    atrium_db* _db;
};

/// Rolls back on destruction unless committed — also when an exception leaves the scope.
class Transaction {
public:
    explicit Transaction(const Db& db) : _db(db) { _db.begin(); }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction() {
        if (!_done) {
            detail::ErrorBuffer eb;
            _db.api()->db_rollback(_db.handle(), eb.get()); // never throw from a destructor
        }
    }
    void commit() {
        _done = true;
        _db.commit();
    }
    void rollback() {
        _done = true;
        _db.rollback();
    }

private:
    Db _db;
    bool _done = false;
};

/// Buffers rows and sends them as multi-row INSERTs (up to 1000 rows per statement):
///
///     auto bulk = db.bulkInsert("hello_visits", {"greeting_id", "visited_at"});
///     for (…) bulk.row(id, when);
///     bulk.finish();
///
/// Destroying it without finish() discards rows not yet sent.
class BulkInsert {
public:
    BulkInsert(const atrium_host_api* api, atrium_bulk* bulk, std::size_t columns) : _api(api), _bulk(bulk), _columns(columns) {}
    BulkInsert(BulkInsert&& other) noexcept : _api(other._api), _bulk(std::exchange(other._bulk, nullptr)), _columns(other._columns) {}
    BulkInsert(const BulkInsert&) = delete;
    BulkInsert& operator=(const BulkInsert&) = delete;
    BulkInsert& operator=(BulkInsert&&) = delete;
    ~BulkInsert() {
        if (_bulk) _api->bulk_abort(_bulk);
    }

    /// Adds one row; the number of values must equal the number of columns.
    template <class... Args>
    BulkInsert& row(const Args&... values) {
        if (sizeof...(Args) != _columns)
            throw Error(ATRIUM_E_INVALID, "a bulk row needs " + std::to_string(_columns) + " values, got " + std::to_string(sizeof...(Args)));
        (add(values), ...);
        return *this;
    }

    BulkInsert& add(Null) { return call([&](atrium_error* e) { return _api->bulk_add_null(_bulk, e); }); }
    BulkInsert& add(std::nullptr_t) { return add(null); }
    BulkInsert& add(double v) { return call([&](atrium_error* e) { return _api->bulk_add_double(_bulk, v, e); }); }
    BulkInsert& add(float v) { return add(static_cast<double>(v)); }
    BulkInsert& add(std::string_view v) { return call([&](atrium_error* e) { return _api->bulk_add_text(_bulk, v.data(), v.size(), e); }); }
    BulkInsert& add(const std::string& v) { return add(std::string_view(v)); }
    BulkInsert& add(const char* v) { return v ? add(std::string_view(v)) : add(null); }
    BulkInsert& add(bool v) { return addInt(v ? 1 : 0); }
    template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
    BulkInsert& add(T v) {
        return addInt(static_cast<std::int64_t>(v));
    }
    template <class T>
    BulkInsert& add(const std::optional<T>& v) {
        return v ? add(*v) : add(null);
    }

    /// Sends the remaining rows; returns the total inserted.
    std::int64_t finish() {
        detail::ErrorBuffer eb;
        std::int64_t rows = 0;
        auto* bulk = std::exchange(_bulk, nullptr);
        detail::check(_api->bulk_finish(bulk, &rows, eb.get()), eb);
        return rows;
    }

private:
    template <class F>
    BulkInsert& call(F&& f) {
        if (!_bulk) throw Error(ATRIUM_E_STATE, "the bulk insert is already finished");
        detail::ErrorBuffer eb;
        detail::check(f(eb.get()), eb);
        return *this;
    }
    BulkInsert& addInt(std::int64_t v) {
        return call([&](atrium_error* e) { return _api->bulk_add_int(_bulk, v, e); });
    }

    const atrium_host_api* _api;
    atrium_bulk* _bulk;
    std::size_t _columns;
};

inline Transaction Db::transaction() const { return Transaction(*this); }

inline BulkInsert Db::bulkInsert(std::string_view table, std::vector<std::string> columns) const {
    const std::string t(table);
    std::vector<const char*> names;
    for (const auto& c : columns) names.push_back(c.c_str());
    detail::ErrorBuffer eb;
    atrium_bulk* bulk = nullptr;
    detail::check(_api->bulk_begin(_db, t.c_str(), names.data(), names.size(), &bulk, eb.get()), eb);
    return BulkInsert(_api, bulk, columns.size());
}

/// A connection the plugin leased itself (Host::openDb); returned to the pool on destruction.
class OwnedDb {
public:
    OwnedDb(const atrium_host_api* api, atrium_db* db) : _db(api, db) {}
    OwnedDb(OwnedDb&& other) noexcept : _db(other._db), _owned(std::exchange(other._owned, false)) {}
    OwnedDb(const OwnedDb&) = delete;
    OwnedDb& operator=(const OwnedDb&) = delete;
    OwnedDb& operator=(OwnedDb&&) = delete;
    ~OwnedDb() {
        if (_owned) _db.api()->db_close(_db.handle());
    }
    Db& operator*() { return _db; }
    Db* operator->() { return &_db; }

private:
    Db _db;
    bool _owned = true;
};

} // namespace atrium::sdk
