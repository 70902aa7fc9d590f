#pragma once
// Plugin settings: the values administrators set for what a manifest declares in "settings",
// kept in the core table plugin_settings (migration owner "core:settings", so the core's own
// migration numbers are untouched). One value per plugin id and key, for the whole
// installation (not per department). Values are JSON text.
//
// The value a plugin sees (setting_get): the stored value, else the configuration file's
// plugins.<id>.<key> when it is valid for the type, else the manifest's default.

#include "plugins/Manifest.h"
#include "store/Database.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>

namespace atrium::plugins {

class SettingsStore {
public:
    /// Creates plugin_settings if needed (idempotent).
    static void ensureSchema(store::Database& db);
    /// The stored value, or nullopt (also when the table does not exist yet).
    static std::optional<nlohmann::json> stored(store::Connection& connection, const std::string& pluginId, const std::string& key);
    /// Stores `value` on `connection` (inside the caller's transaction).
    static void put(store::Connection& connection, const std::string& pluginId, const std::string& key,
                    const nlohmann::json& value, std::int64_t userId);
    /// The effective value; *source (may be null) receives "stored", "config" or "default".
    static nlohmann::json effective(store::Connection& connection,
                                    const std::function<std::optional<std::string>(const std::string&)>& config,
                                    const std::string& pluginId, const SettingDecl& decl, std::string* source = nullptr);
};

} // namespace atrium::plugins
