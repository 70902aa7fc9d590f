#pragma once
// Versioned schema migrations, one sequence per owner ("core" and each plugin id), recorded in
// atrium_schema_migrations. SQL uses the Dialect type macros (${ID}, ${STR}, …) so one text
// serves both backends.

#include "store/Database.h"

#include <functional>
#include <string>
#include <vector>

namespace atrium::store {

struct Migration {
    int version = 0;      ///< 1, 2, 3 … without gaps
    std::string name;     ///< short description, e.g. "accounts and contacts"
    std::string sql;      ///< one or more statements separated by ';'
};

struct MigrationStep {
    std::string owner;
    int version = 0;
    std::string name;
};

/// Splits SQL text into statements at ';' outside quotes and comments.
std::vector<std::string> splitStatements(const std::string& sql);

class Migrator {
public:
    explicit Migrator(Database& db) : _db(db) {}

    /// Creates the bookkeeping table if needed.
    void ensureTable();
    /// Highest applied version for `owner`, 0 when none.
    int currentVersion(const std::string& owner);
    /// Throws StoreError(SchemaTooNew) when the database has versions for `owner` beyond the
    /// highest this build knows: a newer atrium wrote it, and running older code on it could
    /// corrupt data.
    void refuseNewer(const std::string& owner, const std::vector<Migration>& known);
    /// Versions not yet applied.
    std::vector<Migration> pending(const std::string& owner, const std::vector<Migration>& known);
    /// Applies pending migrations in order, each in its own transaction (DDL on MySQL commits
    /// implicitly, so there a failed migration may leave earlier statements of it applied; the
    /// version row is written last, so a re-run retries it). Calls `progress` after each.
    std::vector<MigrationStep> apply(const std::string& owner, const std::vector<Migration>& known,
                                     const std::function<void(const MigrationStep&)>& progress = {});

private:
    Database& _db;
};

/// The host's own migrations (departments, users, customers, timeline, audit, …).
const std::vector<Migration>& coreMigrations();

} // namespace atrium::store
