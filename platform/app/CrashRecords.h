#pragma once
// What the host remembers about crashes (issue #13, crash containment), in the database so every
// host sharing it sees the same thing (migration owner "core:crashes"):
//   - host_crashes: one row per fatal signal a start found in its crash file, with the plugin
//     and call that was running (see plugins/CrashGuard.h). `streak_open` stays 1 until a clean
//     start+shutdown closes it;
//   - plugin_quarantine: plugins that crashed the host twice in a row (two open crash rows
//     attributed to them). They are not loaded until an administrator enables them again
//     (`atrium plugins enable ID` or POST /api/v1/admin/plugins/ID/enable), which clears the row
//     and the plugin's open crashes.

#include "plugins/CrashGuard.h"
#include "store/Database.h"

#include <map>
#include <string>

namespace atrium::app {

class CrashRecords {
public:
    explicit CrashRecords(store::DatabasePtr db) : _db(std::move(db)) {}
    void ensureSchema();
    /// Stores `report`; returns the quarantine reason when it quarantined the plugin (its
    /// second crash in a row), else "".
    std::string record(const plugins::CrashReport& report);
    /// Quarantined plugin ids -> reason; empty when the tables do not exist yet.
    std::map<std::string, std::string> quarantined() const;
    /// Lifts a quarantine and forgets the plugin's open crashes; true when it was quarantined.
    bool clear(const std::string& pluginId);
    /// A clean start+shutdown: no crash so far counts towards a quarantine any more.
    void closeStreaks();
    /// Crash rows attributed to `pluginId` since the last clean shutdown.
    int openCrashes(const std::string& pluginId) const;

private:
    bool hasSchema() const;
    store::DatabasePtr _db;
};

} // namespace atrium::app
