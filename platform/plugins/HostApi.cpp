// The C entry points of atrium_host_api and the trampolines that call into plugins.
//
// Two rules hold for every function here:
//   - no C++ exception leaves a function a plugin calls (it would unwind through frames built by
//     another compiler, or through C code): everything is caught and turned into a status code;
//   - no exception leaves a plugin callback either: calls into plugins are wrapped, and a
//     plugin's failure becomes an HTTP error, a logged event failure or a refused plugin.

#include "plugins/Runtime.h"
#include "plugins/CrashGuard.h"
#include "plugins/Settings.h"

#include "http/Http.h"
#include "identity/Audit.h"
#include "identity/Principal.h"
#include "identity/RecordScope.h"
#include "store/Errors.h"
#include "store/Writes.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <new>
#include <stdexcept>
#include <type_traits>

namespace atrium::plugins::detail {
namespace {

using store::Value;

// ---- errors -----------------------------------------------------------------------------

/// Copies `message` into the caller's buffer, cutting at a UTF-8 character boundary.
void writeMessage(atrium_error* error, std::string_view message) {
    if (!error || !error->message || error->message_size == 0) return;
    std::size_t n = std::min(message.size(), error->message_size - 1);
    if (n < message.size())
        while (n > 0 && (static_cast<unsigned char>(message[n]) & 0xC0) == 0x80) --n;
    std::memcpy(error->message, message.data(), n);
    error->message[n] = '\0';
}

atrium_status fail(atrium_error* error, atrium_status code, std::string_view message) {
    if (error) {
        error->code = code;
        writeMessage(error, message);
    }
    return code;
}

atrium_status succeed(atrium_error* error) {
    if (error) error->code = ATRIUM_OK;
    return ATRIUM_OK;
}

atrium_status codeFor(store::StoreError::Kind kind) {
    switch (kind) {
    case store::StoreError::Kind::Unavailable:
    case store::StoreError::Kind::PoolTimeout:
    case store::StoreError::Kind::Busy: return ATRIUM_E_UNAVAILABLE;
    case store::StoreError::Kind::Constraint: return ATRIUM_E_CONFLICT;
    default: return ATRIUM_E_DATABASE;
    }
}

/// A host API entry called at the wrong time (e.g. route_add after init).
class StateError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A plugin statement that writes outside the plugin's own tables.
class ForbiddenWrite : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Runs `f`, turning every exception into a status code and a message.
template <class F>
atrium_status guarded(atrium_error* error, F&& f) noexcept {
    try {
        return f();
    } catch (const StateError& e) {
        return fail(error, ATRIUM_E_STATE, e.what());
    } catch (const ForbiddenWrite& e) {
        return fail(error, ATRIUM_E_FORBIDDEN, e.what());
    } catch (const store::StoreError& e) {
        return fail(error, codeFor(e.kind()), e.what());
    } catch (const std::invalid_argument& e) {
        return fail(error, ATRIUM_E_INVALID, e.what());
    } catch (const std::bad_alloc&) {
        return fail(error, ATRIUM_E_INTERNAL, "the host ran out of memory");
    } catch (const std::exception& e) {
        return fail(error, ATRIUM_E_INTERNAL, e.what());
    } catch (...) {
        return fail(error, ATRIUM_E_INTERNAL, "the host failed with an unknown error");
    }
}

/// snprintf-style output: writes what fits (always NUL-terminated) and reports the full size.
atrium_status writeText(const std::string& text, char* buffer, std::size_t size, std::size_t* textSize, atrium_error* error) {
    if (textSize) *textSize = text.size();
    if (buffer && size > 0) {
        const auto n = std::min(text.size(), size - 1);
        std::memcpy(buffer, text.data(), n);
        buffer[n] = '\0';
    }
    if (size <= text.size())
        return fail(error, ATRIUM_E_TRUNCATED,
                    "the buffer holds " + std::to_string(size) + " bytes but the text needs " + std::to_string(text.size() + 1));
    return succeed(error);
}

std::string_view view(const char* data, std::size_t size) { return data ? std::string_view(data, size) : std::string_view(); }

bool validIdentifier(std::string_view s) {
    // A column or table reference, optionally qualified once: "owner_id", "o.owner_id".
    if (s.empty() || s.size() > 128) return false;
    bool start = true;
    int dots = 0;
    for (char c : s) {
        if (c == '.') {
            if (start || ++dots > 1) return false;
            start = true;
            continue;
        }
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        const bool digit = c >= '0' && c <= '9';
        if (start ? !alpha : !(alpha || digit)) return false;
        start = false;
    }
    return !start;
}

std::string requireText(const char* s, const char* what) {
    if (!s || !*s) throw std::invalid_argument(std::string(what) + " is missing");
    return s;
}

PluginRecord& recordOf(atrium_host* host) {
    if (!host || !host->record) throw std::invalid_argument("the atrium_host handle is NULL");
    return *host->record;
}

void requireInit(PluginRecord& record, const char* what) {
    if (record.phase.load() != Phase::Initialising)
        throw StateError(std::string(what) + " is only allowed during init, because what a plugin registers is "
                                             "activated, and undone, as a whole");
}

// ---- logging and configuration ----------------------------------------------------------

void apiLog(atrium_host* host, int32_t level, const char* message, size_t size) {
    try {
        auto& record = recordOf(host);
        std::string text(view(message, size));
        // One call, one log line: a plugin must not be able to forge further lines.
        std::replace_if(text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
        const LogLevel l = level >= ATRIUM_LOG_ERROR  ? LogLevel::Error
                           : level >= ATRIUM_LOG_WARN ? LogLevel::Warning
                           : level >= ATRIUM_LOG_INFO ? LogLevel::Info
                                                      : LogLevel::Debug;
        if (record.services->log) record.services->log(l, record.id(), text);
    } catch (...) {
        // Logging must never fail the caller.
    }
}

atrium_status apiConfigGet(atrium_host* host, const char* key, char* buffer, size_t bufferSize, size_t* valueSize, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        auto& record = recordOf(host);
        const auto k = requireText(key, "the configuration key");
        if (valueSize) *valueSize = 0;
        if (!record.services->config) return fail(error, ATRIUM_E_NOT_FOUND, "the host has no configuration");
        auto value = record.services->config("plugins." + record.id() + "." + k);
        if (!value) return fail(error, ATRIUM_E_NOT_FOUND, "plugins." + record.id() + "." + k + " is not set");
        return writeText(*value, buffer, bufferSize, valueSize, error);
    });
}

// ---- settings (ABI 1.1) -------------------------------------------------------------------

atrium_status apiSettingGet(atrium_host* host, const char* key, char* buffer, size_t bufferSize, size_t* textSize, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        auto& record = recordOf(host);
        const auto k = requireText(key, "the setting key");
        if (textSize) *textSize = 0;
        const auto* decl = record.manifest ? record.manifest->setting(k) : nullptr;
        if (!decl)
            return fail(error, ATRIUM_E_NOT_FOUND, "the manifest of " + record.id() + " declares no setting \"" + k + "\" in \"settings\"");
        constexpr auto ttl = std::chrono::seconds(5);
        const auto now = std::chrono::steady_clock::now();
        {
            std::lock_guard lock(record.settingCacheMutex);
            if (auto it = record.settingCache.find(k); it != record.settingCache.end() && now - it->second.second < ttl)
                return writeText(it->second.first, buffer, bufferSize, textSize, error);
        }
        std::string text;
        {
            auto c = record.services->db->acquire();
            text = SettingsStore::effective(*c, record.services->config, record.id(), *decl).dump();
        }
        {
            std::lock_guard lock(record.settingCacheMutex);
            record.settingCache[k] = {text, now};
        }
        return writeText(text, buffer, bufferSize, textSize, error);
    });
}

atrium_status apiSettingSubscribe(atrium_host* host, atrium_setting_fn fn, void* userData, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        auto& record = recordOf(host);
        requireInit(record, "setting_subscribe");
        if (!fn) throw std::invalid_argument("the setting callback is NULL");
        record.settingSubscribers.push_back({fn, userData});
        return succeed(error);
    });
}

// ---- connections and transactions -------------------------------------------------------

std::atomic<std::uint64_t> savepointCounter{0};

atrium_status apiDbOpen(atrium_host* host, atrium_db** db, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        auto& record = recordOf(host);
        if (!db) throw std::invalid_argument("the db out-parameter is NULL");
        *db = nullptr;
        auto handle = std::make_unique<atrium_db>();
        handle->record = &record;
        handle->pluginOwned = true;
        *db = handle.release();
        ++record.openDbs;
        return succeed(error);
    });
}

void apiDbClose(atrium_db* db) {
    if (!db) return;
    if (!db->pluginOwned) {
        // Freeing a host-owned handle would be a double free later; refuse loudly instead.
        if (db->record) db->record->log(LogLevel::Error, "called db_close on a connection handed to a callback; ignored");
        return;
    }
    auto* record = db->record;
    finishDb(*db);
    delete db;
    if (record) --record->openDbs;
}

// ---- the write guard ----------------------------------------------------------------------
// A plugin's statements may write only the plugin's own tables (those starting with its table
// prefix). Core records change through the host API (customer_create, audit_append,
// timeline_append), which keeps audit, timeline and validation in one place. This catches
// mistakes, not malice: a plugin runs in the host's process with the host's rights.

bool startsWithNoCase(const std::string& s, const std::string& prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) return false;
    return true;
}

void guardWrites(const PluginRecord& record, const store::SqlWrites& writes) {
    const auto prefix = record.manifest ? record.manifest->tablePrefix() : record.id() + "_";
    if (!writes.unchecked.empty())
        throw ForbiddenWrite("plugin " + record.id() + " may not run " + writes.unchecked +
                             " through the host API: its effect on tables cannot be checked; a plugin changes only its own tables (\"" +
                             prefix + "…\")");
    for (const auto& table : writes.tables)
        if (table.find('.') != std::string::npos || !startsWithNoCase(table, prefix))
            throw ForbiddenWrite("plugin " + record.id() + " may not write table \"" + table + "\" directly: a plugin writes only its own tables (\"" +
                                 prefix + "…\"); change core records through the host API (customer_create, audit_append, timeline_append)");
}

/// Notes a statement's writes once per execution (freshness, see store/Writes.h).
void noteExecuted(atrium_stmt& stmt) {
    if (!stmt.executing) return;
    stmt.executing = false;
    if (!stmt.writes.empty() && stmt.db) store::noteWrites(stmt.db->connection(), stmt.writes);
}

atrium_status apiDbExec(atrium_db* db, const char* sql, size_t sqlSize, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        if (!db || !db->record) throw std::invalid_argument("the db handle is NULL");
        if (!sql || sqlSize == 0) throw std::invalid_argument("the SQL text is empty");
        store::execChecked(db->connection(), view(sql, sqlSize), [&](const store::SqlWrites& w) { guardWrites(*db->record, w); });
        return succeed(error);
    });
}

atrium_status apiDbBegin(atrium_db* db, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        if (!db) throw std::invalid_argument("the db handle is NULL");
        auto& c = db->connection();
        if (!c.inTransaction()) {
            c.begin();
            db->frames.emplace_back();
        } else {
            auto name = "atrium_sp_" + std::to_string(++savepointCounter);
            c.exec("SAVEPOINT " + name);
            db->frames.push_back(std::move(name));
        }
        return succeed(error);
    });
}

atrium_status apiDbCommit(atrium_db* db, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        if (!db) throw std::invalid_argument("the db handle is NULL");
        if (db->frames.empty()) return fail(error, ATRIUM_E_STATE, "commit without a matching begin on this connection");
        const auto frame = db->frames.back();
        db->frames.pop_back();
        auto& c = db->connection();
        try {
            if (frame.empty())
                c.commit();
            else
                c.exec("RELEASE SAVEPOINT " + frame);
        } catch (...) {
            try {
                if (frame.empty()) {
                    if (c.inTransaction()) c.rollback();
                } else {
                    c.exec("ROLLBACK TO SAVEPOINT " + frame);
                    c.exec("RELEASE SAVEPOINT " + frame);
                }
            } catch (...) {
            }
            throw;
        }
        return succeed(error);
    });
}

void rollbackFrame(atrium_db& db) {
    const auto frame = db.frames.back();
    db.frames.pop_back();
    auto& c = db.connection();
    if (frame.empty()) {
        c.rollback();
    } else {
        c.exec("ROLLBACK TO SAVEPOINT " + frame);
        c.exec("RELEASE SAVEPOINT " + frame);
    }
}

atrium_status apiDbRollback(atrium_db* db, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        if (!db) throw std::invalid_argument("the db handle is NULL");
        if (db->frames.empty()) return fail(error, ATRIUM_E_STATE, "rollback without a matching begin on this connection");
        rollbackFrame(*db);
        return succeed(error);
    });
}

// ---- the cursor -------------------------------------------------------------------------

atrium_status apiDbPrepare(atrium_db* db, const char* sql, size_t sqlSize, atrium_stmt** stmt, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        if (!db) throw std::invalid_argument("the db handle is NULL");
        if (!stmt) throw std::invalid_argument("the statement out-parameter is NULL");
        *stmt = nullptr;
        if (!sql || sqlSize == 0) throw std::invalid_argument("the SQL text is empty");
        if (!db->record) throw std::invalid_argument("the db handle is NULL");
        auto checked = store::prepareChecked(db->connection(), view(sql, sqlSize));
        guardWrites(*db->record, checked.writes); // the prepared statement is dropped unrun
        auto handle = std::make_unique<atrium_stmt>();
        handle->db = db;
        handle->statement = std::move(checked.statement);
        handle->writes = std::move(checked.writes.tables);
        db->statements.push_back(handle.get());
        *stmt = handle.release();
        return succeed(error);
    });
}

atrium_status bindValue(atrium_stmt* stmt, int32_t index, Value value, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        if (!stmt) throw std::invalid_argument("the statement handle is NULL");
        if (index < 1) throw std::invalid_argument("parameter indexes start at 1, got " + std::to_string(index));
        stmt->statement->bind(index, value);
        return succeed(error);
    });
}

atrium_status apiBindNull(atrium_stmt* stmt, int32_t index, atrium_error* error) { return bindValue(stmt, index, nullptr, error); }
atrium_status apiBindInt(atrium_stmt* stmt, int32_t index, int64_t value, atrium_error* error) {
    return bindValue(stmt, index, std::int64_t{value}, error);
}
atrium_status apiBindDouble(atrium_stmt* stmt, int32_t index, double value, atrium_error* error) {
    return bindValue(stmt, index, value, error);
}
atrium_status apiBindText(atrium_stmt* stmt, int32_t index, const char* text, size_t size, atrium_error* error) {
    if (!text && size > 0) return fail(error, ATRIUM_E_INVALID, "text is NULL but its size is not 0");
    return bindValue(stmt, index, std::string(view(text, size)), error);
}

atrium_status apiStep(atrium_stmt* stmt, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        if (!stmt) throw std::invalid_argument("the statement handle is NULL");
        stmt->hasRow = false;
        bool row = false;
        stmt->executing = true;
        try {
            row = stmt->statement->step();
        } catch (...) {
            stmt->executing = false; // a failed statement changed nothing
            throw;
        }
        if (!row) {
            noteExecuted(*stmt);
            stmt->row.clear();
            stmt->text.clear();
            return ATRIUM_DONE;
        }
        if (stmt->columns < 0) stmt->columns = stmt->statement->columnCount();
        stmt->row.assign(static_cast<std::size_t>(stmt->columns), std::nullopt);
        stmt->text.assign(static_cast<std::size_t>(stmt->columns), std::nullopt);
        stmt->hasRow = true;
        if (error) error->code = ATRIUM_OK;
        return ATRIUM_ROW;
    });
}

atrium_status apiReset(atrium_stmt* stmt, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        if (!stmt) throw std::invalid_argument("the statement handle is NULL");
        noteExecuted(*stmt);
        stmt->statement->reset();
        stmt->hasRow = false;
        stmt->row.clear();
        stmt->text.clear();
        return succeed(error);
    });
}

int32_t apiColumnCount(atrium_stmt* stmt) {
    if (!stmt) return 0;
    try {
        if (stmt->columns < 0) stmt->columns = stmt->statement->columnCount();
        return stmt->columns;
    } catch (...) {
        return 0;
    }
}

const char* apiColumnName(atrium_stmt* stmt, int32_t column) {
    if (!stmt || column < 0) return "";
    try {
        if (stmt->names.empty()) {
            const int n = apiColumnCount(stmt);
            for (int i = 0; i < n; ++i) stmt->names.push_back(stmt->statement->columnName(i));
        }
        if (static_cast<std::size_t>(column) >= stmt->names.size()) return "";
        return stmt->names[static_cast<std::size_t>(column)].c_str();
    } catch (...) {
        return "";
    }
}

/// The current row's value, read from the backend once; nullptr for out-of-range or no row.
const Value* cell(atrium_stmt* stmt, int32_t column) {
    if (!stmt || !stmt->hasRow || column < 0 || static_cast<std::size_t>(column) >= stmt->row.size()) return nullptr;
    auto& slot = stmt->row[static_cast<std::size_t>(column)];
    if (!slot) slot = stmt->statement->column(column);
    return &*slot;
}

int32_t apiColumnType(atrium_stmt* stmt, int32_t column) {
    try {
        const Value* v = cell(stmt, column);
        if (!v) return ATRIUM_TYPE_NULL;
        switch (v->index()) {
        case 1: return ATRIUM_TYPE_INT;
        case 2: return ATRIUM_TYPE_DOUBLE;
        case 3: return ATRIUM_TYPE_TEXT;
        default: return ATRIUM_TYPE_NULL;
        }
    } catch (...) {
        return ATRIUM_TYPE_NULL;
    }
}

int64_t apiColumnInt(atrium_stmt* stmt, int32_t column) {
    try {
        const Value* v = cell(stmt, column);
        return v ? store::asInt(*v, 0) : 0;
    } catch (...) {
        return 0;
    }
}

double apiColumnDouble(atrium_stmt* stmt, int32_t column) {
    try {
        const Value* v = cell(stmt, column);
        return v ? store::asDouble(*v, 0.0) : 0.0;
    } catch (...) {
        return 0.0;
    }
}

const char* apiColumnText(atrium_stmt* stmt, int32_t column, size_t* size) {
    if (size) *size = 0;
    try {
        const Value* v = cell(stmt, column);
        if (!v || store::isNull(*v)) return nullptr;
        if (const auto* s = std::get_if<std::string>(v)) {
            if (size) *size = s->size();
            return s->c_str();
        }
        auto& text = stmt->text[static_cast<std::size_t>(column)];
        if (!text) text = store::asText(*v);
        if (size) *size = text->size();
        return text->c_str();
    } catch (...) {
        return nullptr;
    }
}

int64_t apiChanges(atrium_stmt* stmt) {
    try {
        return stmt ? stmt->statement->changes() : 0;
    } catch (...) {
        return 0;
    }
}

int64_t apiLastInsertId(atrium_stmt* stmt) {
    try {
        return stmt ? stmt->statement->lastInsertId() : 0;
    } catch (...) {
        return 0;
    }
}

void apiFinalize(atrium_stmt* stmt) {
    if (!stmt) return;
    try {
        noteExecuted(*stmt);
        if (stmt->db) std::erase(stmt->db->statements, stmt);
    } catch (...) {
    }
    delete stmt;
}

// ---- bulk insert ------------------------------------------------------------------------

// 1,000 rows per statement is where MariaDB's gain flattens (measured ~260k rows/s); the
// placeholder cap stays under SQLite's 32,766 and MySQL's 65,535 variables; the byte cap keeps
// a statement far below max_allowed_packet (16 MiB by default) even with long texts.
constexpr std::size_t kBulkRows = 1000;
constexpr std::size_t kBulkPlaceholders = 30000;
constexpr std::size_t kBulkBytes = 4u << 20;

std::string bulkSql(const atrium_bulk& bulk, std::size_t rows) {
    std::string sql = "INSERT INTO " + store::Dialect::quote(bulk.table) + " (";
    for (std::size_t i = 0; i < bulk.columns.size(); ++i) sql += (i ? ", " : "") + store::Dialect::quote(bulk.columns[i]);
    sql += ") VALUES ";
    std::string tuple = "(";
    for (std::size_t i = 0; i < bulk.columns.size(); ++i) tuple += i ? ",?" : "?";
    tuple += ")";
    sql.reserve(sql.size() + rows * (tuple.size() + 1));
    for (std::size_t r = 0; r < rows; ++r) {
        if (r) sql += ',';
        sql += tuple;
    }
    return sql;
}

void bulkFlush(atrium_bulk& bulk) {
    const std::size_t rows = bulk.values.size() / bulk.columns.size();
    if (rows == 0) return;
    auto& c = bulk.db->connection();
    std::unique_ptr<store::Statement> oneOff;
    store::Statement* statement = nullptr;
    if (rows == bulk.rowsPerStatement) {
        if (!bulk.fullBatch) bulk.fullBatch = c.prepare(bulkSql(bulk, rows));
        else bulk.fullBatch->reset();
        statement = bulk.fullBatch.get();
    } else {
        oneOff = c.prepare(bulkSql(bulk, rows));
        statement = oneOff.get();
    }
    for (std::size_t i = 0; i < bulk.values.size(); ++i) statement->bind(static_cast<int>(i + 1), bulk.values[i]);
    statement->step();
    store::noteWrites(c, {bulk.table});
    bulk.inserted += static_cast<std::int64_t>(rows);
    bulk.values.clear();
    bulk.bufferedBytes = 0;
}

atrium_status apiBulkBegin(atrium_db* db, const char* table, const char* const* columns, size_t columnCount, atrium_bulk** bulk,
                           atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        if (!db || !db->record) throw std::invalid_argument("the db handle is NULL");
        if (!bulk) throw std::invalid_argument("the bulk out-parameter is NULL");
        *bulk = nullptr;
        const auto t = requireText(table, "the table name");
        const auto prefix = db->record->manifest->tablePrefix();
        if (!validIdentifier(t) || t.find('.') != std::string::npos)
            throw std::invalid_argument("\"" + t + "\" is not a plain table name");
        if (t.rfind(prefix, 0) != 0)
            return fail(error, ATRIUM_E_FORBIDDEN,
                        "bulk insert into \"" + t + "\" refused: a plugin writes only its own tables, which start with \"" + prefix + "\"");
        if (!columns || columnCount == 0) throw std::invalid_argument("a bulk insert needs at least one column");
        auto handle = std::make_unique<atrium_bulk>();
        handle->db = db;
        handle->table = t;
        for (std::size_t i = 0; i < columnCount; ++i) {
            const auto name = requireText(columns[i], "a column name");
            if (!validIdentifier(name) || name.find('.') != std::string::npos)
                throw std::invalid_argument("\"" + name + "\" is not a plain column name");
            handle->columns.push_back(name);
        }
        handle->rowsPerStatement = std::max<std::size_t>(1, std::min(kBulkRows, kBulkPlaceholders / columnCount));
        handle->values.reserve(handle->rowsPerStatement * columnCount);
        db->bulks.push_back(handle.get());
        *bulk = handle.release();
        return succeed(error);
    });
}

atrium_status bulkAdd(atrium_bulk* bulk, Value value, std::size_t bytes, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        if (!bulk) throw std::invalid_argument("the bulk handle is NULL");
        bulk->values.push_back(std::move(value));
        bulk->bufferedBytes += bytes;
        const auto n = bulk->columns.size();
        if (bulk->values.size() % n == 0 &&
            (bulk->values.size() / n >= bulk->rowsPerStatement || bulk->bufferedBytes >= kBulkBytes))
            bulkFlush(*bulk);
        return succeed(error);
    });
}

atrium_status apiBulkNull(atrium_bulk* bulk, atrium_error* error) { return bulkAdd(bulk, nullptr, 1, error); }
atrium_status apiBulkInt(atrium_bulk* bulk, int64_t value, atrium_error* error) {
    return bulkAdd(bulk, std::int64_t{value}, 8, error);
}
atrium_status apiBulkDouble(atrium_bulk* bulk, double value, atrium_error* error) { return bulkAdd(bulk, value, 8, error); }
atrium_status apiBulkText(atrium_bulk* bulk, const char* text, size_t size, atrium_error* error) {
    if (!text && size > 0) return fail(error, ATRIUM_E_INVALID, "text is NULL but its size is not 0");
    return bulkAdd(bulk, std::string(view(text, size)), size + 8, error);
}

void releaseBulk(atrium_bulk* bulk) {
    if (!bulk) return;
    if (bulk->db) std::erase(bulk->db->bulks, bulk);
    delete bulk;
}

atrium_status apiBulkFinish(atrium_bulk* bulk, int64_t* rows, atrium_error* error) {
    if (rows) *rows = 0;
    if (!bulk) return fail(error, ATRIUM_E_INVALID, "the bulk handle is NULL");
    const auto status = guarded(error, [&]() -> atrium_status {
        const auto n = bulk->columns.size();
        if (bulk->values.size() % n != 0)
            return fail(error, ATRIUM_E_INVALID,
                        "the last row of the bulk insert into \"" + bulk->table + "\" has " + std::to_string(bulk->values.size() % n) +
                            " of its " + std::to_string(n) + " values");
        bulkFlush(*bulk);
        if (rows) *rows = bulk->inserted;
        return succeed(error);
    });
    try {
        releaseBulk(bulk);
    } catch (...) {
    }
    return status;
}

void apiBulkAbort(atrium_bulk* bulk) {
    try {
        releaseBulk(bulk);
    } catch (...) {
    }
}

// ---- dialect ----------------------------------------------------------------------------

const char* apiDialectName(atrium_host* host) {
    try {
        return recordOf(host).services->db->backend() == store::Backend::Sqlite ? "sqlite" : "mysql";
    } catch (...) {
        return "";
    }
}

atrium_status apiDateBucket(atrium_host* host, const char* column, int32_t grain, char* buffer, size_t size, size_t* textSize,
                            atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        auto& record = recordOf(host);
        const auto c = requireText(column, "the column");
        if (!validIdentifier(c)) throw std::invalid_argument("\"" + c + "\" is not a column reference");
        store::Grain g;
        switch (grain) {
        case ATRIUM_GRAIN_DAY: g = store::Grain::Day; break;
        case ATRIUM_GRAIN_WEEK: g = store::Grain::Week; break;
        case ATRIUM_GRAIN_MONTH: g = store::Grain::Month; break;
        case ATRIUM_GRAIN_QUARTER: g = store::Grain::Quarter; break;
        case ATRIUM_GRAIN_YEAR: g = store::Grain::Year; break;
        default: return fail(error, ATRIUM_E_UNSUPPORTED, "unknown time grain " + std::to_string(grain));
        }
        return writeText(record.services->db->dialect().dateBucket(c, g), buffer, size, textSize, error);
    });
}

std::vector<std::string> names(const char* const* list, std::size_t count, const char* what) {
    std::vector<std::string> out;
    if (!list && count) throw std::invalid_argument(std::string("the ") + what + " list is NULL");
    for (std::size_t i = 0; i < count; ++i) {
        auto n = requireText(list[i], what);
        if (!validIdentifier(n) || n.find('.') != std::string::npos) throw std::invalid_argument("\"" + n + "\" is not a plain column name");
        out.push_back(std::move(n));
    }
    return out;
}

atrium_status apiUpsert(atrium_host* host, const char* table, const char* const* columns, size_t columnCount,
                        const char* const* keys, size_t keyCount, char* buffer, size_t size, size_t* textSize, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        auto& record = recordOf(host);
        const auto t = requireText(table, "the table name");
        if (!validIdentifier(t) || t.find('.') != std::string::npos) throw std::invalid_argument("\"" + t + "\" is not a plain table name");
        const auto cols = names(columns, columnCount, "column");
        const auto keyCols = names(keys, keyCount, "key column");
        if (cols.empty() || keyCols.empty()) throw std::invalid_argument("an upsert needs columns and key columns");
        for (const auto& k : keyCols)
            if (std::find(cols.begin(), cols.end(), k) == cols.end())
                throw std::invalid_argument("key column \"" + k + "\" is not among the upsert's columns");
        return writeText(record.services->db->dialect().upsert(t, cols, keyCols), buffer, size, textSize, error);
    });
}

atrium_status apiExpand(atrium_host* host, const char* ddl, size_t ddlSize, char* buffer, size_t size, size_t* textSize,
                        atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        auto& record = recordOf(host);
        return writeText(record.services->db->dialect().expand(view(ddl, ddlSize)), buffer, size, textSize, error);
    });
}

// ---- routes and responses ---------------------------------------------------------------

bool validPattern(const std::string& pattern) {
    if (pattern.empty() || pattern.front() != '/') return false;
    for (char c : pattern) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        std::strchr("/-_.{}*~", c) != nullptr;
        if (!ok) return false;
    }
    return pattern.find("//") == std::string::npos && pattern.find("..") == std::string::npos;
}

atrium_status apiRouteAdd(atrium_host* host, const atrium_route* route, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        auto& record = recordOf(host);
        requireInit(record, "route_add");
        if (!route) throw std::invalid_argument("the route is NULL");
        if (route->struct_size < offsetof(atrium_route, user_data) + sizeof(void*))
            throw std::invalid_argument("the atrium_route is smaller than its ABI 1.0 layout; set struct_size = sizeof(atrium_route)");
        if (!route->handler) throw std::invalid_argument("the route has no handler");
        std::string method = requireText(route->method, "the route method");
        std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        static const char* const kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
        if (std::none_of(std::begin(kMethods), std::end(kMethods), [&](const char* m) { return method == m; }))
            throw std::invalid_argument("route method \"" + method + "\" is not one of GET, POST, PUT, PATCH, DELETE");

        const std::string base = "/api/v1/" + record.id();
        std::string pattern = requireText(route->pattern, "the route pattern");
        if (pattern.front() != '/') pattern = base + "/" + pattern;
        while (pattern.size() > 1 && pattern.back() == '/') pattern.pop_back();
        if (!validPattern(pattern)) throw std::invalid_argument("route pattern \"" + pattern + "\" is not a valid path pattern");
        if (pattern != base && pattern.rfind(base + "/", 0) != 0)
            return fail(error, ATRIUM_E_FORBIDDEN,
                        "route " + method + " " + pattern + " is outside the plugin's namespace " + base + "/");

        http::Route r;
        r.method = method;
        r.pattern = pattern;
        r.isPublic = route->is_public != 0;
        if (!r.isPublic) {
            r.permission = requireText(route->permission, "the route permission (or is_public)");
            // A plugin's own permissions must be declared, so the role editor can offer them and a
            // typo cannot silently create a permission nobody can be granted.
            if (r.permission.rfind(record.id() + ".", 0) == 0 && !record.manifest->declaresPermission(r.permission))
                throw std::invalid_argument("route " + method + " " + pattern + " needs permission \"" + r.permission +
                                            "\", which the manifest does not declare");
        }
        r.owner = record.id();
        r.module = r.isPublic ? std::string() : record.id();
        r.summary = route->summary ? route->summary : "";
        r.handler = makeRouteHandler(record, route->handler, route->user_data);

        for (const auto& existing : record.routes)
            if (existing.method == r.method && existing.pattern == r.pattern)
                throw std::invalid_argument("route " + method + " " + pattern + " is registered twice");
        for (const auto& existing : record.services->router->routes())
            if (existing->method == r.method && existing->pattern == r.pattern)
                return fail(error, ATRIUM_E_CONFLICT, "route " + method + " " + pattern + " is already registered by " + existing->owner);
        record.routes.push_back(std::move(r));
        return succeed(error);
    });
}

void apiSetStatus(atrium_response* response, int32_t status) {
    if (!response || !response->response) return;
    response->response->status = (status >= 100 && status <= 599) ? status : 500;
}

void apiSetContentType(atrium_response* response, const char* contentType) {
    if (!response || !response->response || !contentType) return;
    try {
        std::string type = contentType;
        if (type.find_first_of("\r\n") != std::string::npos) return; // header injection
        response->response->contentType = std::move(type);
    } catch (...) {
    }
}

atrium_status apiAddHeader(atrium_response* response, const char* name, const char* value, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        if (!response || !response->response) throw std::invalid_argument("the response handle is NULL");
        const auto n = requireText(name, "the header name");
        const std::string v = value ? value : "";
        if (n.find_first_of(":\r\n ") != std::string::npos || v.find_first_of("\r\n") != std::string::npos)
            throw std::invalid_argument("header \"" + n + "\" has characters not allowed in HTTP headers");
        std::string lower = n;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        static const char* const kReserved[] = {"content-length", "set-cookie", "transfer-encoding", "connection", "content-type"};
        if (std::any_of(std::begin(kReserved), std::end(kReserved), [&](const char* r) { return lower == r; }))
            throw std::invalid_argument("header \"" + n + "\" is controlled by the host" +
                                        (lower == "content-type" ? std::string("; use response_set_content_type") : std::string()));
        response->response->setHeader(n, v);
        return succeed(error);
    });
}

void apiSetBody(atrium_response* response, const char* data, size_t size) {
    if (!response || !response->response) return;
    try {
        response->response->body.assign(view(data, size));
    } catch (...) {
    }
}

void apiAppendBody(atrium_response* response, const char* data, size_t size) {
    if (!response || !response->response) return;
    try {
        response->response->body.append(view(data, size));
    } catch (...) {
    }
}

// ---- events -----------------------------------------------------------------------------

atrium_status apiSubscribe(atrium_host* host, const char* topic, atrium_event_fn fn, void* userData, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        auto& record = recordOf(host);
        requireInit(record, "event_subscribe");
        const auto pattern = requireText(topic, "the topic");
        if (!fn) throw std::invalid_argument("the event callback is NULL");
        if (!EventBus::validPattern(pattern))
            throw std::invalid_argument("the topic pattern \"" + pattern +
                                        "\" is not valid: use a topic like \"acme.invoice.paid\", a prefix like \"acme.*\", or \"*\"");
        record.subscriptions.push_back({pattern, fn, userData});
        return succeed(error);
    });
}

atrium_status apiPublish(atrium_host* host, atrium_db* db, const char* topic, const char* payload, size_t payloadSize, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        auto& record = recordOf(host);
        const auto t = requireText(topic, "the topic");
        if (!EventBus::validTopic(t)) throw std::invalid_argument("the topic \"" + t + "\" is not valid");
        if (t.rfind(record.id() + ".", 0) != 0)
            return fail(error, ATRIUM_E_FORBIDDEN, "a plugin publishes only topics that start with \"" + record.id() + ".\"; \"" + t + "\" does not");
        const std::string body(view(payload, payloadSize));
        if (!nlohmann::json::accept(body)) throw std::invalid_argument("the payload of event " + t + " is not valid JSON");
        record.services->events->publish(t, body, db ? &db->connection() : nullptr);
        return succeed(error);
    });
}

// ---- timeline ---------------------------------------------------------------------------

atrium_status apiTimelineAppend(atrium_db* db, const atrium_timeline_entry* entry, int64_t* id, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        if (id) *id = 0;
        if (!db || !db->record) throw std::invalid_argument("the db handle is NULL");
        if (!entry) throw std::invalid_argument("the timeline entry is NULL");
        if (entry->struct_size < offsetof(atrium_timeline_entry, actor_user_id) + sizeof(int64_t))
            throw std::invalid_argument("the atrium_timeline_entry is smaller than its ABI 1.0 layout; set struct_size");
        TimelineEntry e;
        e.source = db->record->id();
        e.entityType = requireText(entry->entity_type, "the timeline entity_type");
        e.entityId = entry->entity_id;
        e.accountId = entry->account_id;
        e.kind = requireText(entry->kind, "the timeline kind");
        e.title = requireText(entry->title, "the timeline title");
        e.actorUserId = entry->actor_user_id;
        if (entry->body_json && entry->body_json_size > 0) {
            e.bodyJson.assign(entry->body_json, entry->body_json_size);
            auto parsed = nlohmann::json::parse(e.bodyJson, nullptr, false);
            if (parsed.is_discarded() || !parsed.is_object()) throw std::invalid_argument("the timeline body is not a JSON object");
        }
        auto& services = *db->record->services;
        const auto newId = services.options.timeline ? services.options.timeline(db->connection(), e)
                                                     : writeCoreTimeline(db->connection(), services.db->dialect(), e);
        if (id) *id = newId;
        return succeed(error);
    });
}

// ---- permissions ------------------------------------------------------------------------

int32_t apiPrincipalScope(const atrium_principal* principal, const char* permission) {
    if (!principal || !principal->principal || !permission) return ATRIUM_SCOPE_NONE;
    try {
        return static_cast<int32_t>(principal->principal->scope(permission));
    } catch (...) {
        return ATRIUM_SCOPE_NONE;
    }
}

int32_t apiFieldDenied(const atrium_principal* principal, const char* field) {
    if (!principal || !principal->principal || !field) return 1; // fail closed
    try {
        return principal->principal->fieldDenied(field) ? 1 : 0;
    } catch (...) {
        return 1;
    }
}

atrium_status apiScopePredicate(atrium_host* host, const atrium_principal* principal, const char* permission, const char* ownerColumn,
                                const char* departmentColumn, char* buffer, size_t size, size_t* textSize, atrium_value* params,
                                size_t capacity, size_t* paramCount, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        auto& record = recordOf(host);
        if (paramCount) *paramCount = 0;
        if (!principal || !principal->principal) throw std::invalid_argument("the principal is NULL");
        const auto perm = requireText(permission, "the permission");
        const std::string owner = ownerColumn ? ownerColumn : "";
        const std::string dept = departmentColumn ? departmentColumn : "";
        if (!owner.empty() && !validIdentifier(owner)) throw std::invalid_argument("\"" + owner + "\" is not a column reference");
        if (!dept.empty() && !validIdentifier(dept)) throw std::invalid_argument("\"" + dept + "\" is not a column reference");
        if (owner.empty() && dept.empty()) throw std::invalid_argument("a scope predicate needs an owner column, a department column, or both");

        const auto& p = *principal->principal;
        const auto& t = record.services->options.scopeTables;
        const auto q = [](const std::string& s) { return store::Dialect::quote(s); };
        std::string sql;
        std::vector<atrium_value> values;
        auto intValue = [](std::int64_t v) {
            atrium_value out{};
            out.type = ATRIUM_TYPE_INT;
            out.int_value = v;
            return out;
        };
        auto textValue = [&](std::string v) {
            principal->scratch.push_back(std::move(v));
            atrium_value out{};
            out.type = ATRIUM_TYPE_TEXT;
            out.text = {principal->scratch.back().c_str(), principal->scratch.back().size()};
            return out;
        };
        // The subtree test: departments whose materialised path starts with the user's.
        const bool hasDepartment = p.departmentId != 0;
        const bool hasPath = !p.departmentPath.empty();
        auto subtreeIds = [&]() -> std::string {
            if (hasPath) {
                values.push_back(textValue(p.departmentPath + "%"));
                return "SELECT " + q(t.departmentId) + " FROM " + q(t.departments) + " WHERE " + q(t.departmentPath) + " LIKE ?";
            }
            values.push_back(intValue(p.departmentId));
            return "SELECT " + q(t.departmentId) + " FROM " + q(t.departments) + " WHERE " + q(t.departmentId) + " = ?";
        };

        const auto granted = p.scope(perm);
        if (granted == identity::Scope::Department && hasPath && !owner.empty() && !dept.empty() && p.userId != 0) {
            // The common case goes through the core's own predicate, so plugin lists and core
            // lists filter identically.
            const auto core = identity::scopePredicate(p, perm, owner, dept);
            sql = core.sql;
            for (const auto& v : core.params) {
                if (const auto* i = std::get_if<std::int64_t>(&v)) values.push_back(intValue(*i));
                else values.push_back(textValue(store::asText(v)));
            }
        } else {
            switch (granted) {
            case identity::Scope::All: sql = "1=1"; break;
            case identity::Scope::None: sql = "1=0"; break;
            case identity::Scope::Own:
                if (owner.empty() || p.userId == 0) {
                    sql = "1=0";
                } else {
                    sql = owner + " = ?";
                    values.push_back(intValue(p.userId));
                }
                break;
            case identity::Scope::Department:
                if (!hasDepartment) {
                    // No department: the widest meaningful reading is "own records".
                    if (owner.empty() || p.userId == 0) {
                        sql = "1=0";
                    } else {
                        sql = owner + " = ?";
                        values.push_back(intValue(p.userId));
                    }
                } else if (!dept.empty()) {
                    sql = "(" + dept + " IN (" + subtreeIds() + ")";
                    if (!owner.empty() && p.userId != 0) {
                        // Own records stay visible even after they moved to another department.
                        sql += " OR " + owner + " = ?";
                        values.push_back(intValue(p.userId));
                    }
                    sql += ")";
                } else {
                    sql = owner + " IN (SELECT " + q(t.userId) + " FROM " + q(t.users) + " WHERE " + q(t.userDepartment) + " IN (" +
                          subtreeIds() + "))";
                }
                break;
            }
        }
        if (values.size() > capacity || (values.size() > 0 && !params))
            return fail(error, ATRIUM_E_TRUNCATED, "the scope predicate needs " + std::to_string(values.size()) + " parameter slots");
        const auto status = writeText(sql, buffer, size, textSize, error);
        if (status != ATRIUM_OK) return status;
        for (std::size_t i = 0; i < values.size(); ++i) params[i] = values[i];
        if (paramCount) *paramCount = values.size();
        return succeed(error);
    });
}

// ---- reporting, assets, demo ------------------------------------------------------------

atrium_status declare(atrium_host* host, const char* json, size_t size, bool dataset, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        auto& record = recordOf(host);
        const char* what = dataset ? "dataset" : "KPI";
        requireInit(record, dataset ? "dataset_declare" : "kpi_declare");
        auto doc = nlohmann::json::parse(view(json, size), nullptr, false);
        if (doc.is_discarded() || !doc.is_object()) throw std::invalid_argument(std::string("the ") + what + " declaration is not a JSON object");
        if (!doc.contains("id") || !doc["id"].is_string()) throw std::invalid_argument(std::string("the ") + what + " declaration has no string \"id\"");
        const auto id = doc["id"].get<std::string>();
        const bool listed = dataset ? record.manifest->providesDataset(id) : record.manifest->providesKpi(id);
        if (!listed)
            throw std::invalid_argument(std::string("the ") + what + " \"" + id + "\" is not listed in the manifest's \"" +
                                        (dataset ? "datasets" : "kpis") + "\"");
        auto& list = dataset ? record.datasets : record.kpis;
        for (const auto& existing : list)
            if (existing["id"] == id) throw std::invalid_argument(std::string("the ") + what + " \"" + id + "\" is declared twice");
        list.push_back(std::move(doc));
        return succeed(error);
    });
}

atrium_status apiDatasetDeclare(atrium_host* host, const char* json, size_t size, atrium_error* error) {
    return declare(host, json, size, true, error);
}
atrium_status apiKpiDeclare(atrium_host* host, const char* json, size_t size, atrium_error* error) {
    return declare(host, json, size, false, error);
}

// ABI 1.1: built-in dashboards and scorecard templates, checked like datasets (listed in the
// manifest, declared once, only during init); the reporting engine validates their content.
atrium_status declareDocument(atrium_host* host, const char* json, size_t size, bool dashboard, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        auto& record = recordOf(host);
        const char* what = dashboard ? "dashboard" : "scorecard template";
        const char* key = dashboard ? "dashboards" : "scorecard_templates";
        requireInit(record, dashboard ? "dashboard_declare" : "scorecard_template_declare");
        auto doc = nlohmann::json::parse(view(json, size), nullptr, false);
        if (doc.is_discarded() || !doc.is_object()) throw std::invalid_argument(std::string("the ") + what + " declaration is not a JSON object");
        if (!doc.contains("id") || !doc["id"].is_string()) throw std::invalid_argument(std::string("the ") + what + " declaration has no string \"id\"");
        const auto id = doc["id"].get<std::string>();
        const bool listed = dashboard ? record.manifest->providesDashboard(id) : record.manifest->providesScorecardTemplate(id);
        if (!listed) throw std::invalid_argument(std::string("the ") + what + " \"" + id + "\" is not listed in the manifest's \"" + key + "\"");
        auto& list = dashboard ? record.dashboards : record.scorecardTemplates;
        for (const auto& existing : list)
            if (existing["id"] == id) throw std::invalid_argument(std::string("the ") + what + " \"" + id + "\" is declared twice");
        list.push_back(std::move(doc));
        return succeed(error);
    });
}

atrium_status apiDashboardDeclare(atrium_host* host, const char* json, size_t size, atrium_error* error) {
    return declareDocument(host, json, size, true, error);
}
atrium_status apiScorecardTemplateDeclare(atrium_host* host, const char* json, size_t size, atrium_error* error) {
    return declareDocument(host, json, size, false, error);
}

atrium_status apiAssetsRegister(atrium_host* host, const char* directory, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        auto& record = recordOf(host);
        requireInit(record, "assets_register");
        if (record.assets) throw std::invalid_argument("UI assets are registered twice");
        std::filesystem::path dir = requireText(directory, "the asset directory");
        if (dir.is_relative()) dir = record.folder / dir;
        std::error_code ec;
        if (!std::filesystem::is_directory(dir, ec))
            return fail(error, ATRIUM_E_NOT_FOUND, "the asset directory " + dir.string() + " does not exist");
        record.assets = std::filesystem::canonical(dir, ec);
        if (ec) return fail(error, ATRIUM_E_NOT_FOUND, "the asset directory " + dir.string() + " cannot be resolved: " + ec.message());
        return succeed(error);
    });
}

atrium_status apiDemoRegister(atrium_host* host, atrium_demo_fn fn, void* userData, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        auto& record = recordOf(host);
        requireInit(record, "demo_register");
        if (!fn) throw std::invalid_argument("the demo callback is NULL");
        if (record.demo) throw std::invalid_argument("the demo hook is registered twice");
        record.demo = DemoHook{fn, userData};
        return succeed(error);
    });
}

// ---- audit and core customer records --------------------------------------------------------

nlohmann::json optionalObject(const char* json, size_t size, const char* what) {
    if (!json || size == 0) return nullptr;
    auto parsed = nlohmann::json::parse(view(json, size), nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) throw std::invalid_argument(std::string("the ") + what + " is not a JSON object");
    return parsed;
}

atrium_status apiAuditAppend(atrium_db* db, const atrium_principal* principal, const char* action, const char* entityType,
                             int64_t entityId, const char* oldJson, size_t oldSize, const char* newJson, size_t newSize,
                             const char* requestId, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        if (!db || !db->record) throw std::invalid_argument("the db handle is NULL");
        identity::AuditEntry e;
        if (principal && principal->principal) {
            e.actorId = principal->principal->userId;
            e.actorEmail = principal->principal->email;
        }
        e.action = requireText(action, "the audit action");
        e.entityType = requireText(entityType, "the audit entity_type");
        if (e.action.size() > 100 || e.entityType.size() > 100) throw std::invalid_argument("the audit action or entity_type is longer than 100 bytes");
        e.entityId = entityId;
        e.oldValues = optionalObject(oldJson, oldSize, "audit old_json");
        e.newValues = optionalObject(newJson, newSize, "audit new_json");
        if (requestId) e.requestId = requestId;
        identity::Audit(db->record->services->db).record(db->connection(), e);
        return succeed(error);
    });
}

atrium_status apiCustomerCreate(atrium_db* db, const atrium_principal* principal, const char* kind, const char* json, size_t jsonSize,
                                int64_t* id, atrium_error* error) {
    return guarded(error, [&]() -> atrium_status {
        if (id) *id = 0;
        if (!db || !db->record) throw std::invalid_argument("the db handle is NULL");
        if (!principal || !principal->principal) throw std::invalid_argument("the principal is NULL");
        const auto k = requireText(kind, "the customer kind");
        if (k != "account" && k != "contact") throw std::invalid_argument("the customer kind \"" + k + "\" is not \"account\" or \"contact\"");
        auto body = nlohmann::json::parse(view(json, jsonSize), nullptr, false);
        if (body.is_discarded() || !body.is_object()) return fail(error, ATRIUM_E_INVALID, "the " + k + " is not a JSON object");
        auto& services = *db->record->services;
        if (!services.options.customers) return fail(error, ATRIUM_E_UNSUPPORTED, "this host keeps no customer records");
        try {
            // The core's own rules, audit and timeline: one implementation for the REST routes and
            // for plugins (platform/customers).
            const auto newId = services.options.customers(db->connection(), *principal->principal, k, body, db->record->id());
            if (id) *id = newId;
        } catch (const http::HttpError& e) {
            if (e.status() == 403) return fail(error, ATRIUM_E_FORBIDDEN, e.what());
            if (e.status() == 422 && e.fields().is_object()) {
                std::string message;
                for (const auto& [field, problem] : e.fields().items())
                    message += (message.empty() ? "" : " ") + field + ": " + (problem.is_string() ? problem.get<std::string>() : problem.dump());
                return fail(error, ATRIUM_E_INVALID, message);
            }
            return fail(error, ATRIUM_E_INVALID, e.what());
        }
        return succeed(error);
    });
}

// ---- calling into plugins ---------------------------------------------------------------

atrium_str str(const std::string& s) { return {s.c_str(), s.size()}; }

/// Headers a plugin never sees: credentials belong to the host.
bool privateHeader(const std::string& lowerName) {
    return lowerName == "authorization" || lowerName == "cookie" || lowerName == "proxy-authorization" ||
           lowerName == "x-api-key" || lowerName == "x-csrf-token";
}

struct CallError {
    char message[ATRIUM_ERROR_MESSAGE_SIZE] = {0};
    atrium_error error{ATRIUM_OK, 0, message, sizeof message};
    std::string text(const std::string& fallback) const { return message[0] ? std::string(message) : fallback; }
};

int statusFor(atrium_status code) {
    switch (code) {
    case ATRIUM_E_INVALID: return 400;
    case ATRIUM_E_NOT_FOUND: return 404;
    case ATRIUM_E_FORBIDDEN: return 403;
    case ATRIUM_E_CONFLICT: return 409;
    case ATRIUM_E_UNAVAILABLE: return 503;
    default: return 500;
    }
}

std::string codeNameFor(int status) {
    switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthenticated";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 409: return "conflict";
    case 422: return "validation_failed";
    case 429: return "too_many_requests";
    case 503: return "unavailable";
    default: return status < 500 ? "request_failed" : "internal_error"; // docs/api.md: one 500 code everywhere
    }
}

void progressTrampoline(void* data, double fraction, const char* message) {
    try {
        auto* ctx = static_cast<std::pair<const DemoProgress*, const std::string*>*>(data);
        if (ctx && ctx->first && *ctx->first) (*ctx->first)(*ctx->second, std::clamp(fraction, 0.0, 1.0), message ? message : "");
    } catch (...) {
        // Progress reporting must not fail the plugin's demo run.
    }
}

} // namespace

// ---- shared with PluginManager.cpp ------------------------------------------------------

bool Gate::enter() {
    std::lock_guard lock(_mutex);
    if (!_open) return false;
    ++_inFlight;
    return true;
}

void Gate::leave() {
    std::lock_guard lock(_mutex);
    if (--_inFlight == 0) _drained.notify_all();
}

void Gate::open() {
    std::lock_guard lock(_mutex);
    _open = true;
}

bool Gate::close(std::chrono::milliseconds timeout) {
    std::unique_lock lock(_mutex);
    _open = false;
    return _drained.wait_for(lock, timeout, [&] { return _inFlight == 0; });
}

void PluginRecord::log(LogLevel level, const std::string& message) const {
    try {
        if (services && services->log) services->log(level, id(), message);
    } catch (...) {
    }
}

void PluginRecord::clearRegistrations() {
    routes.clear();
    subscriptions.clear();
    datasets.clear();
    kpis.clear();
    dashboards.clear();
    scorecardTemplates.clear();
    assets.reset();
    demo.reset();
    settingSubscribers.clear();
}

void finishDb(atrium_db& db) {
    try {
        for (auto* b : std::vector<atrium_bulk*>(db.bulks)) delete b;
        db.bulks.clear();
        for (auto* s : std::vector<atrium_stmt*>(db.statements)) {
            try {
                noteExecuted(*s);
            } catch (...) {
            }
            delete s;
        }
        db.statements.clear();
        if (!db.frames.empty()) {
            if (db.record)
                db.record->log(LogLevel::Warning, "left " + std::to_string(db.frames.size()) +
                                                      " transaction level(s) open at the end of a callback; rolled back");
            while (!db.frames.empty()) {
                try {
                    rollbackFrame(db);
                } catch (...) {
                    db.frames.clear(); // the connection is broken; the pool discards it
                }
            }
        }
    } catch (...) {
    }
    db.lease.reset();
}

void fillHostApi(PluginRecord& record) {
    auto& a = record.api;
    a = atrium_host_api{};
    a.struct_size = sizeof(atrium_host_api);
    a.abi_major = ATRIUM_ABI_MAJOR;
    a.abi_minor = ATRIUM_ABI_MINOR;
    // The handle lives in the record, which lives as long as the manager and never moves
    // (records are held by unique_ptr), so the pointer stays valid for the plugin's lifetime.
    record.handle.record = &record;
    a.host = &record.handle;
    record.idText = record.id();
    record.dirText = record.folder.string();
    record.hostVersionText = record.services->options.hostVersion;
    a.plugin_id = record.idText.c_str();
    a.plugin_dir = record.dirText.c_str();
    a.host_version = record.hostVersionText.c_str();

    a.log = apiLog;
    a.config_get = apiConfigGet;
    a.db_open = apiDbOpen;
    a.db_close = apiDbClose;
    a.db_exec = apiDbExec;
    a.db_begin = apiDbBegin;
    a.db_commit = apiDbCommit;
    a.db_rollback = apiDbRollback;
    a.db_prepare = apiDbPrepare;
    a.stmt_bind_null = apiBindNull;
    a.stmt_bind_int = apiBindInt;
    a.stmt_bind_double = apiBindDouble;
    a.stmt_bind_text = apiBindText;
    a.stmt_step = apiStep;
    a.stmt_reset = apiReset;
    a.stmt_column_count = apiColumnCount;
    a.stmt_column_name = apiColumnName;
    a.stmt_column_type = apiColumnType;
    a.stmt_column_int = apiColumnInt;
    a.stmt_column_double = apiColumnDouble;
    a.stmt_column_text = apiColumnText;
    a.stmt_changes = apiChanges;
    a.stmt_last_insert_id = apiLastInsertId;
    a.stmt_finalize = apiFinalize;
    a.bulk_begin = apiBulkBegin;
    a.bulk_add_null = apiBulkNull;
    a.bulk_add_int = apiBulkInt;
    a.bulk_add_double = apiBulkDouble;
    a.bulk_add_text = apiBulkText;
    a.bulk_finish = apiBulkFinish;
    a.bulk_abort = apiBulkAbort;
    a.dialect_name = apiDialectName;
    a.dialect_date_bucket = apiDateBucket;
    a.dialect_upsert = apiUpsert;
    a.dialect_expand = apiExpand;
    a.route_add = apiRouteAdd;
    a.response_set_status = apiSetStatus;
    a.response_set_content_type = apiSetContentType;
    a.response_add_header = apiAddHeader;
    a.response_set_body = apiSetBody;
    a.response_append_body = apiAppendBody;
    a.event_subscribe = apiSubscribe;
    a.event_publish = apiPublish;
    a.timeline_append = apiTimelineAppend;
    a.principal_scope = apiPrincipalScope;
    a.principal_field_denied = apiFieldDenied;
    a.scope_predicate = apiScopePredicate;
    a.dataset_declare = apiDatasetDeclare;
    a.kpi_declare = apiKpiDeclare;
    a.assets_register = apiAssetsRegister;
    a.demo_register = apiDemoRegister;
    a.audit_append = apiAuditAppend;
    a.customer_create = apiCustomerCreate;
    a.dashboard_declare = apiDashboardDeclare;
    a.setting_get = apiSettingGet;
    a.setting_subscribe = apiSettingSubscribe;
    a.scorecard_template_declare = apiScorecardTemplateDeclare;
}

http::Handler makeRouteHandler(PluginRecord& record, atrium_route_fn fn, void* userData) {
    PluginRecord* rec = &record;
    return [rec, fn, userData](http::Request& req, http::Response& res) {
        GateGuard guard(rec->gate);
        if (!guard) throw http::HttpError(503, "unavailable", "The " + rec->id() + " module is not running right now.");

        std::vector<atrium_kv> pathParams, queryParams, headers;
        pathParams.reserve(req.pathParams.size());
        for (const auto& [k, v] : req.pathParams) pathParams.push_back({str(k), str(v)});
        queryParams.reserve(req.query.size());
        for (const auto& [k, v] : req.query) queryParams.push_back({str(k), str(v)});
        headers.reserve(req.headers.size());
        for (const auto& [k, v] : req.headers)
            if (!privateHeader(k)) headers.push_back({str(k), str(v)});

        atrium_principal principal{&req.principal, {}};
        atrium_request request{};
        request.struct_size = sizeof(atrium_request);
        request.method = str(req.method);
        request.path = str(req.path);
        request.raw_query = str(req.rawQuery);
        request.body = str(req.body);
        request.route_pattern = str(req.routePattern);
        request.request_id = str(req.requestId);
        request.locale = str(req.principal.locale);
        request.path_params = pathParams.data();
        request.path_param_count = pathParams.size();
        request.query_params = queryParams.data();
        request.query_param_count = queryParams.size();
        request.headers = headers.data();
        request.header_count = headers.size();
        request.user_id = req.principal.userId;
        request.department_id = req.principal.departmentId;
        request.principal = &principal;

        atrium_response response{&res};
        atrium_db db;
        db.record = rec;
        CallError call;
        atrium_status rc = ATRIUM_E_INTERNAL;
        try {
            PluginCallScope scope(rec->id(), "route " + req.method + " " + (req.routePattern.empty() ? req.path : req.routePattern));
            rc = fn(userData, &request, &response, &db, &call.error);
        } catch (...) {
            // Only reachable for plugins written without the SDK's C++ layer.
            rc = ATRIUM_E_INTERNAL;
            writeMessage(&call.error, "an exception escaped the route handler across the ABI boundary");
        }
        finishDb(db);
        if (rc == ATRIUM_OK || rc == ATRIUM_ROW || rc == ATRIUM_DONE) return;

        const int httpStatus = (call.error.http_status >= 400 && call.error.http_status <= 599) ? call.error.http_status : statusFor(rc);
        if (httpStatus >= 500) {
            rec->log(LogLevel::Error, req.method + " " + req.path + " failed (request " + req.requestId + "): " + call.text("no message"));
            throw http::HttpError(httpStatus, codeNameFor(httpStatus),
                                  "The " + rec->id() + " module could not handle this request (request " + req.requestId +
                                      "); the details are in the server log.");
        }
        throw http::HttpError(httpStatus, codeNameFor(httpStatus), call.text("The request was refused."));
    };
}

EventBus::Subscriber makeEventSubscriber(PluginRecord& record, atrium_event_fn fn, void* userData) {
    PluginRecord* rec = &record;
    return [rec, fn, userData](const std::string& topic, const std::string& payload, store::Connection* connection) {
        GateGuard guard(rec->gate);
        if (!guard) return; // disabled between the snapshot and the call: not delivered
        atrium_db db;
        db.record = rec;
        db.borrowed = connection;
        CallError call;
        atrium_status rc = ATRIUM_E_INTERNAL;
        try {
            PluginCallScope scope(rec->id(), "event subscriber for " + topic);
            rc = fn(userData, &db, topic.c_str(), payload.c_str(), payload.size(), &call.error);
        } catch (...) {
            writeMessage(&call.error, "an exception escaped the event callback across the ABI boundary");
        }
        finishDb(db);
        if (rc != ATRIUM_OK) throw std::runtime_error(call.text("the event callback failed without a message"));
    };
}

void notifySettingChanged(PluginRecord& record, const std::string& key, const std::string& valueJson) {
    {
        std::lock_guard lock(record.settingCacheMutex);
        record.settingCache[key] = {valueJson, std::chrono::steady_clock::now()};
    }
    GateGuard guard(record.gate);
    if (!guard) return; // not running: it reads the new value when it starts
    for (const auto& sub : record.settingSubscribers) {
        try {
            sub.fn(sub.userData, key.c_str(), valueJson.c_str());
        } catch (...) {
            record.log(LogLevel::Error, "an exception escaped the setting callback across the ABI boundary (setting " + key + ")");
        }
    }
}

void runDemoHook(PluginRecord& record, double scale, std::uint64_t seed, const DemoProgress& progress) {
    if (!record.demo) return;
    GateGuard guard(record.gate);
    if (!guard) throw std::runtime_error("the plugin is not running");
    const std::string id = record.id();
    std::pair<const DemoProgress*, const std::string*> ctx{&progress, &id};
    atrium_demo_request request{};
    request.struct_size = sizeof(atrium_demo_request);
    request.scale = scale;
    request.seed = seed;
    request.progress = progressTrampoline;
    request.progress_data = &ctx;
    atrium_db db;
    db.record = &record;
    CallError call;
    atrium_status rc = ATRIUM_E_INTERNAL;
    try {
        PluginCallScope scope(id, "demo hook");
        rc = record.demo->fn(record.demo->userData, &db, &request, &call.error);
    } catch (...) {
        writeMessage(&call.error, "an exception escaped the demo hook across the ABI boundary");
    }
    finishDb(db);
    if (rc != ATRIUM_OK) throw std::runtime_error(call.text("the demo hook failed without a message"));
}

std::int64_t writeCoreTimeline(store::Connection& connection, const store::Dialect& dialect, const TimelineEntry& e) {
    return connection.insert(
        "INSERT INTO timeline_events (entity_type, entity_id, account_id, kind, title, body, actor_id, source, occurred_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, " +
            dialect.nowUtc() + ")",
        {e.entityType, e.entityId, e.accountId ? Value(e.accountId) : Value(nullptr), e.kind, e.title,
         e.bodyJson.empty() ? Value(nullptr) : Value(e.bodyJson), e.actorUserId ? Value(e.actorUserId) : Value(nullptr), e.source});
}

} // namespace atrium::plugins::detail

atrium::store::Connection& atrium_db::connection() {
    if (borrowed) return *borrowed;
    if (!lease) lease.emplace(record->services->db->acquire());
    return **lease;
}
