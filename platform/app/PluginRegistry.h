#pragma once
// What the host remembers about plugins between processes, and what it can tell about them
// without loading any:
//   - the registry (table plugin_states, migration owner "core:plugins"): whether an
//     administrator turned a plugin off as a whole (HTTP or `atrium plugins disable ID`), and how
//     its last load went (state, reason, version) so `atrium plugins list` can report it;
//   - the survey: the plugins on the plugin path, read from their manifests only (no library is
//     mapped, no migration or init runs);
//   - configuration warnings: keys for plugins that are not installed, and keys outside atrium.

#include "plugins/PluginManager.h"
#include "store/Database.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace atrium::app {

struct PluginStateRow {
    std::string id;
    bool enabled = true;
    std::string version;
    std::string state;  ///< of the last load: loaded | refused | disabled; empty when never loaded
    std::string reason; ///< the last refusal's sentence
    std::string updatedAt;
};

class PluginRegistry {
public:
    explicit PluginRegistry(store::DatabasePtr db) : _db(std::move(db)) {}
    /// Creates the table (its own migration owner, so it never competes with core versions).
    void ensureSchema();
    /// Every row, by id; empty when the table does not exist yet.
    std::map<std::string, PluginStateRow> rows() const;
    /// Ids an administrator turned off as a whole.
    std::set<std::string> disabled() const;
    void setEnabled(const std::string& id, bool enabled);
    /// Stores the outcome of a load (state and reason per plugin).
    void record(const std::vector<plugins::PluginStatus>& statuses);

private:
    store::DatabasePtr _db;
};

/// A plugin folder found on the plugin path, described from its manifest alone.
struct InstalledPlugin {
    std::string id;
    std::string name;
    std::string version;
    std::string abi;
    std::string directory;
    std::string problem; ///< why it cannot load, as far as the files tell (manifest, ABI, library), else empty
};
std::vector<InstalledPlugin> installedPlugins(const std::string& pluginPath);

/// Warnings about plugin configuration keys. `keys` are the config file's keys below atrium.
/// ("plugins.hello.greeting"); `strayKeys` are keys outside atrium. that look like plugin keys
/// ("plugins.hello.greeting" at the top level, which the host never reads).
std::vector<std::string> pluginConfigWarnings(const std::vector<std::string>& keys, const std::vector<std::string>& strayKeys,
                                              const std::vector<std::string>& installedIds);

} // namespace atrium::app
