#include "app/PluginRegistry.h"

#include "plugins/Manifest.h"
#include "store/Migrations.h"

#include <atrium/plugin.h>

#include <algorithm>
#include <ctime>
#include <filesystem>

namespace atrium::app {
namespace {

namespace fs = std::filesystem;

const char* kOwner = "core:plugins"; // not a valid plugin id, so no plugin can own these migrations

const std::vector<store::Migration>& migrations() {
    static const std::vector<store::Migration> m = {
        {1, "plugin states", R"SQL(
CREATE TABLE plugin_states (
  plugin_id ${STR} NOT NULL PRIMARY KEY,
  enabled ${BOOL} NOT NULL DEFAULT 1,
  version ${STR} NULL,
  state ${STR} NULL,
  reason ${TEXT} NULL,
  updated_at ${DATETIME} NOT NULL
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

void PluginRegistry::ensureSchema() {
    store::Migrator migrator(*_db);
    migrator.apply(kOwner, migrations());
}

std::map<std::string, PluginStateRow> PluginRegistry::rows() const {
    std::map<std::string, PluginStateRow> out;
    try {
        store::Migrator migrator(*_db);
        if (migrator.currentVersion(kOwner) < 1) return out;
        auto c = _db->acquire();
        for (const auto& r : c->queryAll("SELECT plugin_id, enabled, version, state, reason, updated_at FROM plugin_states ORDER BY plugin_id")) {
            PluginStateRow row;
            row.id = store::asText(r[0]);
            row.enabled = store::asInt(r[1], 1) != 0;
            row.version = store::asText(r[2]);
            row.state = store::asText(r[3]);
            row.reason = store::asText(r[4]);
            row.updatedAt = store::asText(r[5]);
            out[row.id] = std::move(row);
        }
    } catch (const store::StoreError&) {
        // A database from before the registry: nothing remembered yet.
    }
    return out;
}

std::set<std::string> PluginRegistry::disabled() const {
    std::set<std::string> out;
    for (const auto& [id, row] : rows())
        if (!row.enabled) out.insert(id);
    return out;
}

void PluginRegistry::setEnabled(const std::string& id, bool enabled) {
    ensureSchema();
    auto c = _db->acquire();
    c->execute(_db->dialect().upsert("plugin_states", {"plugin_id", "enabled", "updated_at"}, {"plugin_id"}),
               {id, std::int64_t{enabled ? 1 : 0}, nowText()});
}

void PluginRegistry::record(const std::vector<plugins::PluginStatus>& statuses) {
    ensureSchema();
    auto c = _db->acquire();
    const auto sql = _db->dialect().upsert("plugin_states", {"plugin_id", "version", "state", "reason", "updated_at"}, {"plugin_id"});
    const auto now = nowText();
    store::Transaction tx(*c);
    for (const auto& st : statuses) {
        if (st.id.empty()) continue;
        c->execute(sql, {st.id, st.version, std::string(plugins::stateName(st.state)),
                         st.reason.empty() ? store::Value(nullptr) : store::Value(st.reason), now});
    }
    tx.commit();
}

std::vector<InstalledPlugin> installedPlugins(const std::string& pluginPath) {
    std::vector<InstalledPlugin> out;
    std::vector<fs::path> folders;
    for (const auto& dir : plugins::PluginManager::parseSearchPath(pluginPath)) {
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) continue;
        if (fs::exists(dir / "atrium-plugin.json", ec)) {
            folders.push_back(dir);
            continue;
        }
        std::vector<fs::path> inside;
        for (const auto& entry : fs::directory_iterator(dir, ec))
            if (entry.is_directory(ec) && fs::exists(entry.path() / "atrium-plugin.json", ec)) inside.push_back(entry.path());
        std::sort(inside.begin(), inside.end()); // the loader's order
        folders.insert(folders.end(), inside.begin(), inside.end());
    }
    for (const auto& folder : folders) {
        InstalledPlugin p;
        std::error_code ec;
        auto canonical = fs::weakly_canonical(folder, ec);
        p.directory = (ec ? folder : canonical).string();
        p.id = folder.filename().string();
        try {
            const auto m = plugins::Manifest::load(folder / "atrium-plugin.json");
            p.id = m.id;
            p.name = m.nameEn;
            p.version = m.version.toString();
            p.abi = m.abiText();
            const bool newer = m.abiMajor > ATRIUM_ABI_MAJOR || (m.abiMajor == ATRIUM_ABI_MAJOR && m.abiMinor > ATRIUM_ABI_MINOR);
            if (newer || m.abiMajor < ATRIUM_ABI_MAJOR)
                p.problem = "needs SDK ABI " + m.abiText() + ", this host provides " + std::to_string(ATRIUM_ABI_MAJOR) + "." +
                            std::to_string(ATRIUM_ABI_MINOR);
            else if (!fs::is_regular_file(folder / ("lib" + m.id + ".so"), ec))
                p.problem = "has no library lib" + m.id + ".so beside its manifest: reinstall the plugin";
            for (const auto& earlier : out)
                if (earlier.id == p.id) {
                    p.problem = "hidden by the one in " + earlier.directory + ", which comes first in the plugin path";
                    break;
                }
        } catch (const std::exception& e) {
            p.problem = e.what();
        }
        out.push_back(std::move(p));
    }
    return out;
}

std::vector<std::string> pluginConfigWarnings(const std::vector<std::string>& keys, const std::vector<std::string>& strayKeys,
                                              const std::vector<std::string>& installedIds) {
    std::vector<std::string> out;
    for (const auto& key : keys) {
        if (key.rfind("plugins.", 0) != 0) continue;
        const auto rest = key.substr(8);
        // Ids may contain dots ("acme.invoices"): the key belongs to the longest installed id it
        // starts with.
        const bool known = std::any_of(installedIds.begin(), installedIds.end(),
                                       [&](const std::string& id) { return rest.size() > id.size() + 1 && rest.rfind(id + ".", 0) == 0; });
        if (!known) {
            const auto id = rest.substr(0, rest.find('.'));
            out.push_back("configuration key atrium." + key + " is for plugin '" + id +
                          "', which is not installed: fix the id (atrium plugins list shows the installed ones) or remove the key");
        }
    }
    for (const auto& key : strayKeys)
        out.push_back("configuration key " + key + " is ignored: every key lives under atrium., so write atrium." + key);
    return out;
}

} // namespace atrium::app
