#include "app/CrashRecords.h"

#include "store/Errors.h"
#include "store/Migrations.h"

#include <ctime>

namespace atrium::app {
namespace {

const char* kOwner = "core:crashes"; // not a valid plugin id, so no plugin can own these migrations

const std::vector<store::Migration>& migrations() {
    static const std::vector<store::Migration> m = {
        {1, "host crashes and plugin quarantine", R"SQL(
CREATE TABLE host_crashes (
  id ${ID},
  plugin_id ${STR} NULL,
  call_what ${TEXT} NULL,
  signal_name ${STR} NOT NULL,
  crashed_at ${DATETIME} NOT NULL,
  recorded_at ${DATETIME} NOT NULL,
  streak_open ${BOOL} NOT NULL DEFAULT 1
)${TABLE};
CREATE INDEX host_crashes_plugin ON host_crashes (plugin_id, streak_open);
CREATE TABLE plugin_quarantine (
  plugin_id ${STR} NOT NULL PRIMARY KEY,
  reason ${TEXT} NOT NULL,
  since ${DATETIME} NOT NULL
)${TABLE}
)SQL"},
    };
    return m;
}

std::string nowText() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

} // namespace

void CrashRecords::ensureSchema() {
    store::Migrator migrator(*_db);
    migrator.apply(kOwner, migrations());
}

bool CrashRecords::hasSchema() const {
    try {
        store::Migrator migrator(*_db);
        return migrator.currentVersion(kOwner) >= 1;
    } catch (const store::StoreError&) {
        return false;
    }
}

std::string CrashRecords::record(const plugins::CrashReport& report) {
    ensureSchema();
    auto c = _db->acquire();
    c->begin();
    try {
        c->execute("INSERT INTO host_crashes (plugin_id, call_what, signal_name, crashed_at, recorded_at, streak_open) VALUES (?, ?, ?, ?, ?, 1)",
                   {report.plugin.empty() ? store::Value(nullptr) : store::Value(report.plugin),
                    report.what.empty() ? store::Value(nullptr) : store::Value(report.what), report.signal, report.at, nowText()});
        std::string reason;
        if (!report.plugin.empty()) {
            const auto open = store::asInt(*c->queryScalar("SELECT COUNT(*) FROM host_crashes WHERE plugin_id = ? AND streak_open = 1", {report.plugin}));
            const auto already = c->queryScalar("SELECT COUNT(*) FROM plugin_quarantine WHERE plugin_id = ?", {report.plugin});
            if (open >= 2 && store::asInt(*already) == 0) {
                reason = "plugin " + report.plugin + " crashed the host " + std::to_string(open) + " times in a row (last: " + report.signal +
                         " during " + (report.what.empty() ? std::string("an unknown call") : report.what) + " at " + report.at +
                         " UTC); it stays off until an administrator runs 'atrium plugins enable " + report.plugin + "'";
                c->execute("INSERT INTO plugin_quarantine (plugin_id, reason, since) VALUES (?, ?, ?)", {report.plugin, reason, nowText()});
            }
        }
        c->commit();
        return reason;
    } catch (...) {
        c->rollback();
        throw;
    }
}

std::map<std::string, std::string> CrashRecords::quarantined() const {
    std::map<std::string, std::string> out;
    if (!hasSchema()) return out;
    auto c = _db->acquire();
    for (const auto& r : c->queryAll("SELECT plugin_id, reason FROM plugin_quarantine ORDER BY plugin_id"))
        out[store::asText(r[0])] = store::asText(r[1]);
    return out;
}

bool CrashRecords::clear(const std::string& pluginId) {
    if (!hasSchema()) return false;
    auto c = _db->acquire();
    c->begin();
    try {
        const auto removed = c->execute("DELETE FROM plugin_quarantine WHERE plugin_id = ?", {pluginId});
        c->execute("UPDATE host_crashes SET streak_open = 0 WHERE plugin_id = ? AND streak_open = 1", {pluginId});
        c->commit();
        return removed > 0;
    } catch (...) {
        c->rollback();
        throw;
    }
}

void CrashRecords::closeStreaks() {
    if (!hasSchema()) return;
    auto c = _db->acquire();
    c->execute("UPDATE host_crashes SET streak_open = 0 WHERE streak_open = 1");
}

int CrashRecords::openCrashes(const std::string& pluginId) const {
    if (!hasSchema()) return 0;
    auto c = _db->acquire();
    return static_cast<int>(store::asInt(*c->queryScalar("SELECT COUNT(*) FROM host_crashes WHERE plugin_id = ? AND streak_open = 1", {pluginId})));
}

} // namespace atrium::app
