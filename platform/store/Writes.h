#pragma once
// Which tables a statement writes, and who hears about it after commit.
//
// Two uses:
//   - the write guard of the plugin host API: a plugin's statement may write only the plugin's
//     own tables. SQLite reports the tables through its authorizer while the statement is
//     prepared (the engine's own parse, so nothing is missed); MySQL has no such hook, so the
//     statement's text is read by sqlWrites(), a tokenizer that knows quotes, backticks,
//     comments (including MySQL's executable /*! … */), multi-table UPDATE/DELETE … JOIN,
//     INSERT … SELECT, REPLACE and the DDL verbs;
//   - freshness: noteWrites() records the tables a statement wrote on a connection; after the
//     transaction commits (at once for an autocommit statement) every write listener of the
//     connection's Database gets the set. A rolled-back transaction reports nothing. A savepoint
//     rolled back inside a committed transaction still reports its tables (harmless: a reader
//     refreshes once more than needed).
//
// Kept out of Database.h on purpose: the interface every file includes stays as it was.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace atrium::store {

class Connection;
class Database;
class Statement;

/// What the text of one or more statements writes.
struct SqlWrites {
    /// Every table written (INSERT/REPLACE/UPDATE/DELETE targets, and the tables DDL creates,
    /// alters, drops, truncates or renames), unquoted, schema-qualified when written so
    /// ("other_db.accounts"). No duplicates, in order of appearance.
    std::vector<std::string> tables;
    /// A statement whose effect the text cannot show (CALL, LOAD DATA, GRANT, SET, SELECT … INTO
    /// OUTFILE, ATTACH, a writing PRAGMA…): its first words, else empty.
    std::string unchecked;
};

/// Reads MySQL/MariaDB SQL (also fine for portable SQL). Never throws on odd text: what it
/// cannot parse it leaves out, except statement kinds it does not know, which land in
/// `unchecked`.
SqlWrites sqlWrites(std::string_view sql);

/// The tables a query reads: names after FROM and JOIN (comma lists included), at any depth.
/// A superset is fine for its use (deciding which datasets a write may have changed).
std::vector<std::string> sqlReads(std::string_view sql);

/// A statement prepared together with what it writes.
struct CheckedStatement {
    std::unique_ptr<Statement> statement;
    SqlWrites writes;
};

/// Prepares `sql` (one statement) and finds what it writes: SQLite through its authorizer,
/// MySQL through sqlWrites().
CheckedStatement prepareChecked(Connection& connection, std::string_view sql);

/// Runs `sql` (one or more statements separated by ';'): each is prepared with prepareChecked,
/// handed to `check` (which throws to refuse it: nothing of that statement runs), executed, and
/// its writes noted.
void execChecked(Connection& connection, std::string_view sql, const std::function<void(const SqlWrites&)>& check);

// ---- freshness --------------------------------------------------------------------------

/// Receives the tables a committed transaction (or an autocommit statement) wrote.
using WriteListener = std::function<void(const std::vector<std::string>& tables)>;

/// Registers `listener` for writes on connections of `db`; returns an id for removal.
std::uint64_t addWriteListener(const Database& db, WriteListener listener);
void removeWriteListener(const Database& db, std::uint64_t id);

/// Records that a statement that just ran on `connection` wrote `tables`: reported after the
/// transaction commits, or at once when the connection is not in a transaction.
void noteWrites(Connection& connection, const std::vector<std::string>& tables);

// For the backends and the pool (not for callers).
namespace tracking {
void connectionOpened(const Connection& connection, const Database& owner);
void connectionClosed(const Connection& connection);
void databaseClosed(const Database& db);
/// Called by a backend after COMMIT succeeded.
void committed(const Connection& connection);
/// Called by a backend on ROLLBACK and on BEGIN (nothing from before a transaction counts).
void discarded(const Connection& connection);
/// Implemented by the SQLite backend: prepare with the authorizer collecting the writes.
CheckedStatement sqlitePrepareChecked(Connection& connection, std::string_view sql);
} // namespace tracking

} // namespace atrium::store
