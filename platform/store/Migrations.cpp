#include "store/Migrations.h"

#include <algorithm>

namespace atrium::store {

std::vector<std::string> splitStatements(const std::string& sql) {
    std::vector<std::string> out;
    std::string current;
    char quote = 0;
    for (std::size_t i = 0; i < sql.size(); ++i) {
        const char c = sql[i];
        if (quote) {
            current += c;
            if (c == quote) quote = 0;
            continue;
        }
        if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
            while (i < sql.size() && sql[i] != '\n') ++i;
            current += '\n';
            continue;
        }
        if (c == '\'' || c == '"' || c == '`') quote = c;
        if (c == ';') {
            if (current.find_first_not_of(" \t\r\n") != std::string::npos) out.push_back(current);
            current.clear();
            continue;
        }
        current += c;
    }
    if (current.find_first_not_of(" \t\r\n") != std::string::npos) out.push_back(current);
    return out;
}

void Migrator::ensureTable() {
    auto c = _db.acquire();
    c->exec(_db.dialect().expand("CREATE TABLE IF NOT EXISTS atrium_schema_migrations ("
                                 " owner ${STR} NOT NULL,"
                                 " version ${INT} NOT NULL,"
                                 " name ${STR} NOT NULL,"
                                 " applied_at ${DATETIME} NOT NULL,"
                                 " PRIMARY KEY (owner, version))${TABLE}"));
}

int Migrator::currentVersion(const std::string& owner) {
    ensureTable();
    auto c = _db.acquire();
    auto v = c->queryScalar("SELECT MAX(version) FROM atrium_schema_migrations WHERE owner = ?", {owner});
    return v ? static_cast<int>(asInt(*v, 0)) : 0;
}

void Migrator::refuseNewer(const std::string& owner, const std::vector<Migration>& known) {
    int maxKnown = 0;
    for (const auto& m : known) maxKnown = std::max(maxKnown, m.version);
    const int current = currentVersion(owner);
    if (current > maxKnown)
        throw StoreError(StoreError::Kind::SchemaTooNew,
                         "the database schema of '" + owner + "' is at version " + std::to_string(current) +
                             " but this atrium knows only up to " + std::to_string(maxKnown) +
                             ": run a newer atrium, or restore a backup made for this version");
}

std::vector<Migration> Migrator::pending(const std::string& owner, const std::vector<Migration>& known) {
    refuseNewer(owner, known);
    const int current = currentVersion(owner);
    std::vector<Migration> out;
    for (const auto& m : known)
        if (m.version > current) out.push_back(m);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
    return out;
}

std::vector<MigrationStep> Migrator::apply(const std::string& owner, const std::vector<Migration>& known,
                                           const std::function<void(const MigrationStep&)>& progress) {
    std::vector<MigrationStep> done;
    const auto todo = pending(owner, known);
    if (todo.empty()) return done;
    auto c = _db.acquire();
    const bool mysql = _db.backend() == Backend::Mysql;
    // Two hosts starting together must not both migrate: MySQL has a named lock; on SQLite the
    // IMMEDIATE transaction of each step serialises writers and the version check repeats inside.
    if (mysql) c->queryScalar("SELECT GET_LOCK('atrium_migrations', 60)");
    try {
        for (const auto& m : todo) {
            Transaction tx(*c);
            auto applied = c->queryScalar(
                "SELECT COUNT(*) FROM atrium_schema_migrations WHERE owner = ? AND version = ?", {owner, std::int64_t{m.version}});
            if (applied && asInt(*applied) > 0) continue;
            for (const auto& statement : splitStatements(_db.dialect().expand(m.sql))) c->exec(statement);
            c->execute("INSERT INTO atrium_schema_migrations (owner, version, name, applied_at) VALUES (?, ?, ?, " +
                           _db.dialect().nowUtc() + ")",
                       {owner, std::int64_t{m.version}, m.name});
            tx.commit();
            done.push_back({owner, m.version, m.name});
            if (progress) progress(done.back());
        }
    } catch (...) {
        if (mysql) {
            try {
                c->queryScalar("SELECT RELEASE_LOCK('atrium_migrations')");
            } catch (...) {
            }
        }
        throw;
    }
    if (mysql) c->queryScalar("SELECT RELEASE_LOCK('atrium_migrations')");
    return done;
}

} // namespace atrium::store
