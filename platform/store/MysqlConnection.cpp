// MySQL/MariaDB backend through MySQL Connector/C++ 1.1 (the JDBC-style API). Prepared
// statements only; every session runs with utf8mb4, UTC and ANSI quoting so the rest of the
// code can write portable SQL.

#include "store/Database.h"
#include "store/Writes.h"

#include <cppconn/connection.h>
#include <cppconn/datatype.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <mutex>
#include <unordered_map>

namespace atrium::store {
namespace {

bool connectionLost(const sql::SQLException& e) {
    const int code = e.getErrorCode();
    const std::string state = e.getSQLState();
    // 2002/2003 cannot connect, 2006 server has gone away, 2013 lost connection, 2055 lost
    // at reading, 1927 connection killed, 1053 server shutdown in progress.
    return code == 2002 || code == 2003 || code == 2006 || code == 2013 || code == 2055 || code == 1927 ||
           code == 1053 || state.rfind("08", 0) == 0;
}

class MysqlConnection;

[[noreturn]] void fail(const sql::SQLException& e, const std::string& what, bool& broken) {
    const int code = e.getErrorCode();
    const std::string msg = what + ": " + e.what() + " (MySQL error " + std::to_string(code) + ")";
    if (connectionLost(e)) {
        broken = true;
        throw StoreError(StoreError::Kind::Unavailable, msg);
    }
    if (code == 1062 || code == 1451 || code == 1452 || code == 1216 || code == 1217 || code == 1048)
        throw StoreError(StoreError::Kind::Constraint, msg);
    if (code == 1205 || code == 1213) throw StoreError(StoreError::Kind::Busy, msg);
    throw StoreError(StoreError::Kind::Other, msg);
}

enum class Kind { Int, Real, Text };

bool returnsRows(std::string_view sql) {
    std::size_t i = 0;
    while (i < sql.size() && (std::isspace(static_cast<unsigned char>(sql[i])) || sql[i] == '(')) ++i;
    std::string word;
    while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i])))
        word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++])));
    return word == "SELECT" || word == "WITH" || word == "SHOW" || word == "EXPLAIN" || word == "DESCRIBE" ||
           word == "VALUES" || word == "CALL";
}

/// Prepared statements kept per connection and SQL text. A server-side prepare costs a round
/// trip (and closing one another); a request runs the same few statements again and again.
struct StatementCache {
    static constexpr std::size_t kMax = 128;
    std::unordered_map<std::string, std::vector<std::unique_ptr<sql::PreparedStatement>>> free;
    std::size_t size = 0;
};

class MysqlStatement final : public Statement {
public:
    MysqlStatement(sql::Connection& con, std::string_view sql, bool& broken, std::weak_ptr<StatementCache> cache)
        : _con(con), _broken(broken), _sql(sql), _cache(std::move(cache)) {
        _isQuery = returnsRows(sql);
        if (auto c = _cache.lock()) {
            auto it = c->free.find(_sql);
            if (it != c->free.end() && !it->second.empty()) {
                _ps = std::move(it->second.back());
                it->second.pop_back();
                --c->size;
                return;
            }
        }
        try {
            _ps.reset(con.prepareStatement(sql::SQLString(sql.data(), sql.size())));
        } catch (const sql::SQLException& e) {
            fail(e, "cannot prepare SQL", _broken);
        }
    }

    ~MysqlStatement() override {
        _rs.reset();
        auto c = _cache.lock();
        if (!c || _broken || !_ps || c->size >= StatementCache::kMax) return;
        try {
            _ps->clearParameters();
            c->free[_sql].push_back(std::move(_ps));
            ++c->size;
        } catch (...) {
            // Not reusable: let it close.
        }
    }

    void bind(int index, const Value& value) override {
        try {
            if (std::holds_alternative<std::nullptr_t>(value)) _ps->setNull(static_cast<unsigned>(index), sql::DataType::VARCHAR);
            else if (auto i = std::get_if<std::int64_t>(&value)) _ps->setInt64(static_cast<unsigned>(index), *i);
            else if (auto d = std::get_if<double>(&value)) _ps->setDouble(static_cast<unsigned>(index), *d);
            else _ps->setString(static_cast<unsigned>(index), std::get<std::string>(value));
        } catch (const sql::SQLException& e) {
            fail(e, "cannot bind parameter " + std::to_string(index), _broken);
        }
    }

    bool step() override {
        try {
            if (!_executed) {
                _executed = true;
                // Connector/C++ 1.1 does not implement getUpdateCount() on prepared statements,
                // so the statement kind decides between executeQuery and executeUpdate.
                if (_isQuery) {
                    _rs.reset(_ps->executeQuery());
                    describe();
                } else {
                    _changes = static_cast<std::int64_t>(_ps->executeUpdate());
                    return false;
                }
            }
            if (!_rs) return false;
            if (_rs->next()) return true;
            _rs.reset();
            return false;
        } catch (const sql::SQLException& e) {
            fail(e, "SQL statement failed", _broken);
        }
    }

    int columnCount() const override { return static_cast<int>(_kinds.size()); }
    std::string columnName(int column) const override { return _names.at(static_cast<std::size_t>(column)); }

    Value column(int column) const override {
        const auto idx = static_cast<std::uint32_t>(column + 1);
        try {
            switch (_kinds.at(static_cast<std::size_t>(column))) {
            case Kind::Int: {
                const auto v = _rs->getInt64(idx);
                if (_rs->wasNull()) return nullptr;
                return static_cast<std::int64_t>(v);
            }
            case Kind::Real: {
                const auto v = static_cast<double>(_rs->getDouble(idx));
                if (_rs->wasNull()) return nullptr;
                return v;
            }
            case Kind::Text: {
                auto v = _rs->getString(idx);
                if (_rs->wasNull()) return nullptr;
                return std::string(v.c_str(), v.length());
            }
            }
        } catch (const sql::SQLException& e) {
            fail(e, "cannot read column " + std::to_string(column), _broken);
        }
        return nullptr;
    }

    void reset() override {
        _rs.reset();
        _executed = false;
        try {
            _ps->clearParameters();
        } catch (const sql::SQLException& e) {
            fail(e, "cannot reset statement", _broken);
        }
    }
    std::int64_t changes() const override { return _changes; }
    std::int64_t lastInsertId() const override {
        try {
            std::unique_ptr<sql::Statement> st(_con.createStatement());
            std::unique_ptr<sql::ResultSet> rs(st->executeQuery("SELECT LAST_INSERT_ID()"));
            return rs->next() ? static_cast<std::int64_t>(rs->getInt64(1)) : 0;
        } catch (const sql::SQLException& e) {
            fail(e, "cannot read the generated id", _broken);
        }
    }

private:
    void describe() {
        auto* md = _rs->getMetaData();
        const unsigned n = md->getColumnCount();
        _kinds.clear();
        _names.clear();
        for (unsigned i = 1; i <= n; ++i) {
            _names.emplace_back(md->getColumnLabel(i).asStdString());
            switch (md->getColumnType(i)) {
            case sql::DataType::BIT:
            case sql::DataType::TINYINT:
            case sql::DataType::SMALLINT:
            case sql::DataType::MEDIUMINT:
            case sql::DataType::INTEGER:
            case sql::DataType::BIGINT:
            case sql::DataType::YEAR: _kinds.push_back(Kind::Int); break;
            case sql::DataType::REAL:
            case sql::DataType::DOUBLE:
            case sql::DataType::DECIMAL:
            case sql::DataType::NUMERIC: _kinds.push_back(Kind::Real); break;
            default: _kinds.push_back(Kind::Text); break;
            }
        }
    }

    sql::Connection& _con;
    bool& _broken;
    std::string _sql;
    std::weak_ptr<StatementCache> _cache;
    std::unique_ptr<sql::PreparedStatement> _ps;
    std::unique_ptr<sql::ResultSet> _rs;
    std::vector<Kind> _kinds;
    std::vector<std::string> _names;
    bool _executed = false;
    bool _isQuery = false;
    std::int64_t _changes = 0;
};

sql::mysql::MySQL_Driver* driver() {
    // get_mysql_driver_instance() is not thread-safe on its first call.
    static std::once_flag once;
    static sql::mysql::MySQL_Driver* instance = nullptr;
    std::call_once(once, [] { instance = sql::mysql::get_mysql_driver_instance(); });
    return instance;
}

class MysqlConnection final : public Connection {
public:
    explicit MysqlConnection(const ConnectionUrl& url) {
        sql::ConnectOptionsMap options;
        options["hostName"] = sql::SQLString(url.host);
        options["port"] = url.port;
        options["userName"] = sql::SQLString(url.user);
        options["password"] = sql::SQLString(url.password);
        options["schema"] = sql::SQLString(url.database);
        options["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
        options["OPT_CONNECT_TIMEOUT"] = 3;
        options["OPT_READ_TIMEOUT"] = 30;
        options["OPT_WRITE_TIMEOUT"] = 30;
        // The pool replaces broken connections; a silent reconnect would lose session settings
        // and any open transaction.
        options["OPT_RECONNECT"] = false;
        try {
            _con.reset(driver()->connect(options));
        } catch (const sql::SQLException& e) {
            throw StoreError(StoreError::Kind::Unavailable,
                             "cannot connect to MySQL at " + url.redacted() + " (" + e.what() +
                                 "): check the URL, the credentials and that the server is running");
        }
        exec("SET SESSION sql_mode = 'STRICT_TRANS_TABLES,ANSI_QUOTES,PIPES_AS_CONCAT,NO_ENGINE_SUBSTITUTION,"
             "NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO'");
        exec("SET SESSION time_zone = '+00:00'");
        exec("SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci");
    }
    ~MysqlConnection() override {
        tracking::connectionClosed(*this);
        try {
            _cache.reset(); // cached statements close before their connection
            if (_con) _con->close();
        } catch (...) {
        }
    }

    Backend backend() const override { return Backend::Mysql; }
    std::unique_ptr<Statement> prepare(std::string_view sql) override {
        return std::make_unique<MysqlStatement>(*_con, sql, _broken, _cache);
    }
    void exec(std::string_view sql) override {
        try {
            std::unique_ptr<sql::Statement> st(_con->createStatement());
            st->execute(sql::SQLString(sql.data(), sql.size()));
        } catch (const sql::SQLException& e) {
            fail(e, "SQL failed", _broken);
        }
    }
    void begin() override {
        exec("START TRANSACTION");
        _inTx = true;
        tracking::discarded(*this);
    }
    void commit() override {
        _inTx = false;
        try {
            exec("COMMIT");
        } catch (...) {
            tracking::discarded(*this);
            throw;
        }
        tracking::committed(*this);
    }
    void rollback() override {
        _inTx = false;
        tracking::discarded(*this);
        exec("ROLLBACK");
    }
    bool inTransaction() const override { return _inTx; }
    bool ping() override {
        try {
            const bool ok = _con->isValid();
            if (!ok) _broken = true;
            return ok;
        } catch (...) {
            _broken = true;
            return false;
        }
    }
    bool broken() const override { return _broken; }

private:
    std::unique_ptr<sql::Connection> _con;
    std::shared_ptr<StatementCache> _cache = std::make_shared<StatementCache>();
    bool _broken = false;
    bool _inTx = false;
};

} // namespace

std::unique_ptr<Connection> openMysql(const ConnectionUrl& url) { return std::make_unique<MysqlConnection>(url); }

} // namespace atrium::store
