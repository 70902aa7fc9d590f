#include "store/Database.h"
#include "store/Writes.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <stdexcept>

namespace atrium::store {

void Statement::bindAll(const Values& values) {
    for (std::size_t i = 0; i < values.size(); ++i) bind(static_cast<int>(i + 1), values[i]);
}

std::int64_t Connection::execute(std::string_view sql, const Values& args) {
    auto st = prepare(sql);
    st->bindAll(args);
    while (st->step()) {
    }
    return st->changes();
}

std::int64_t Connection::insert(std::string_view sql, const Values& args) {
    auto st = prepare(sql);
    st->bindAll(args);
    while (st->step()) {
    }
    return st->lastInsertId();
}

std::vector<Values> Connection::queryAll(std::string_view sql, const Values& args) {
    auto st = prepare(sql);
    st->bindAll(args);
    std::vector<Values> rows;
    while (st->step()) {
        Values row;
        const int n = st->columnCount();
        row.reserve(static_cast<std::size_t>(n));
        for (int c = 0; c < n; ++c) row.push_back(st->column(c));
        rows.push_back(std::move(row));
    }
    return rows;
}

std::optional<Value> Connection::queryScalar(std::string_view sql, const Values& args) {
    auto st = prepare(sql);
    st->bindAll(args);
    if (!st->step()) return std::nullopt;
    return st->column(0);
}

Transaction::Transaction(Connection& connection) : _connection(connection) { _connection.begin(); }

Transaction::~Transaction() {
    if (_done) return;
    try {
        _connection.rollback();
    } catch (...) {
        // A rollback that fails means the connection is gone; the pool drops broken connections.
    }
}

void Transaction::commit() {
    _connection.commit();
    _done = true;
}

// ---------------------------------------------------------------------------------------------

ConnectionUrl ConnectionUrl::parse(std::string_view text) {
    ConnectionUrl url;
    const std::string s(text);
    if (s.rfind("sqlite:", 0) == 0) {
        url.backend = Backend::Sqlite;
        url.path = s.substr(7);
        if (url.path.rfind("//", 0) == 0) url.path = url.path.substr(2);
        if (url.path.empty())
            throw std::invalid_argument("database URL '" + s + "' has no file: use sqlite:PATH, e.g. sqlite:var/atrium.db");
        return url;
    }
    if (s.rfind("mysql://", 0) == 0 || s.rfind("mariadb://", 0) == 0) {
        url.backend = Backend::Mysql;
        Poco::URI uri;
        try {
            uri = Poco::URI(s);
        } catch (const Poco::Exception& e) {
            throw std::invalid_argument("database URL is not a valid URL (" + e.message() +
                                        "): use mysql://USER:PASS@HOST:PORT/DB");
        }
        const std::string info = uri.getUserInfo();
        const auto colon = info.find(':');
        std::string user = colon == std::string::npos ? info : info.substr(0, colon);
        std::string pass = colon == std::string::npos ? "" : info.substr(colon + 1);
        Poco::URI::decode(user, url.user);
        Poco::URI::decode(pass, url.password);
        url.host = uri.getHost().empty() ? "127.0.0.1" : uri.getHost();
        url.port = uri.getPort() ? uri.getPort() : 3306;
        url.database = uri.getPath();
        if (!url.database.empty() && url.database.front() == '/') url.database.erase(0, 1);
        if (url.user.empty() || url.database.empty())
            throw std::invalid_argument("database URL '" + url.redacted() +
                                        "' needs a user and a database: use mysql://USER:PASS@HOST:PORT/DB");
        return url;
    }
    throw std::invalid_argument("database URL '" + s +
                                "' is not supported: use sqlite:PATH or mysql://USER:PASS@HOST:PORT/DB");
}

std::string ConnectionUrl::redacted() const {
    if (backend == Backend::Sqlite) return "sqlite:" + path;
    return "mysql://" + user + (password.empty() ? "" : ":***") + "@" + host + ":" + std::to_string(port) + "/" +
           database;
}

// ---------------------------------------------------------------------------------------------

Database::Lease::Lease(std::shared_ptr<Database> owner, std::unique_ptr<Connection> connection)
    : _owner(std::move(owner)), _connection(std::move(connection)) {}

Database::Lease::Lease(Lease&& other) noexcept
    : _owner(std::move(other._owner)), _connection(std::move(other._connection)) {}

Database::Lease::~Lease() {
    if (_owner && _connection) _owner->release(std::move(_connection));
}

Database::Database(ConnectionUrl url, PoolOptions options)
    : _url(std::move(url)), _options(options), _dialect(_url.backend) {
    if (_options.maxSize == 0) _options.maxSize = 1;
}

Database::~Database() { tracking::databaseClosed(*this); }

std::shared_ptr<Database> Database::open(std::string_view url, PoolOptions options) {
    auto parsed = ConnectionUrl::parse(url);
    std::shared_ptr<Database> db(new Database(std::move(parsed), options));
    // Open one connection now so a wrong URL or password fails at start-up, not on first request.
    auto first = db->connect();
    {
        std::lock_guard lock(db->_mutex);
        ++db->_open;
    }
    db->release(std::move(first));
    return db;
}

std::unique_ptr<Connection> Database::connect() const {
    auto connection = _url.backend == Backend::Sqlite ? openSqlite(_url) : openMysql(_url);
    tracking::connectionOpened(*connection, *this); // its commits reach this database's write listeners
    return connection;
}

Database::Lease Database::acquire() {
    std::unique_lock lock(_mutex);
    const auto deadline = std::chrono::steady_clock::now() + _options.acquireTimeout;
    ++_waiting;
    while (true) {
        while (!_idle.empty()) {
            Idle idle = std::move(_idle.back());
            _idle.pop_back();
            const bool stale = std::chrono::steady_clock::now() - idle.since > _options.validateAfterIdle;
            if (!stale) {
                --_waiting;
                return Lease(shared_from_this(), std::move(idle.connection));
            }
            // Validate outside the lock: a ping to a dead server may take a moment.
            lock.unlock();
            bool alive = false;
            try {
                alive = idle.connection->ping();
            } catch (...) {
                alive = false;
            }
            lock.lock();
            if (alive) {
                --_waiting;
                return Lease(shared_from_this(), std::move(idle.connection));
            }
            --_open; // dropped: the server restarted or the connection timed out
        }
        if (_open < _options.maxSize) {
            ++_open;
            lock.unlock();
            try {
                auto connection = connect();
                lock.lock();
                --_waiting;
                return Lease(shared_from_this(), std::move(connection));
            } catch (...) {
                lock.lock();
                --_open;
                --_waiting;
                _available.notify_one();
                throw;
            }
        }
        if (_available.wait_until(lock, deadline) == std::cv_status::timeout && _idle.empty() &&
            _open >= _options.maxSize) {
            --_waiting;
            ++_timeouts;
            throw StoreError(StoreError::Kind::PoolTimeout,
                             "all " + std::to_string(_options.maxSize) +
                                 " database connections are busy; try again shortly");
        }
    }
}

void Database::release(std::unique_ptr<Connection> connection) {
    bool keep = connection && !connection->broken();
    if (keep && connection->inTransaction()) {
        // A lease dropped mid-transaction (an exception unwound past it): never hand that state on.
        try {
            connection->rollback();
        } catch (...) {
            keep = false;
        }
    }
    std::lock_guard lock(_mutex);
    if (keep) {
        _idle.push_back({std::move(connection), std::chrono::steady_clock::now()});
    } else {
        --_open;
    }
    _available.notify_one();
}

PoolStats Database::stats() const {
    std::lock_guard lock(_mutex);
    PoolStats s;
    s.size = _open;
    s.inUse = _open - _idle.size();
    s.waiting = _waiting;
    s.timeouts = _timeouts;
    return s;
}

} // namespace atrium::store
