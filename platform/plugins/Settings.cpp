#include "plugins/Settings.h"

#include "store/Errors.h"
#include "store/Migrations.h"
#include "store/Value.h"

#include <ctime>

namespace atrium::plugins {
namespace {

const char* kOwner = "core:settings"; // not a valid plugin id, so no plugin can own these migrations

const std::vector<store::Migration>& migrations() {
    static const std::vector<store::Migration> m = {
        {1, "plugin settings", R"SQL(
CREATE TABLE plugin_settings (
  plugin_id ${STR} NOT NULL,
  setting_key ${STR} NOT NULL,
  value_json ${TEXT} NOT NULL,
  updated_by ${BIGINT} NULL,
  updated_at ${DATETIME} NOT NULL,
  PRIMARY KEY (plugin_id, setting_key)
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

void SettingsStore::ensureSchema(store::Database& db) {
    store::Migrator migrator(db);
    migrator.apply(kOwner, migrations());
}

std::optional<nlohmann::json> SettingsStore::stored(store::Connection& connection, const std::string& pluginId, const std::string& key) {
    std::optional<store::Value> v;
    try {
        v = connection.queryScalar("SELECT value_json FROM plugin_settings WHERE plugin_id = ? AND setting_key = ?", {pluginId, key});
    } catch (const store::StoreError&) {
        // Only a database from before settings (no table yet) means "nothing stored"; any
        // other failure must not silently turn an administrator's value into the default.
        if (connection.inTransaction()) throw;
        bool migrated = true;
        try {
            auto v = connection.queryScalar("SELECT MAX(version) FROM atrium_schema_migrations WHERE owner = ?", {std::string(kOwner)});
            migrated = v && !std::holds_alternative<std::nullptr_t>(*v) && store::asInt(*v, 0) >= 1;
        } catch (const store::StoreError&) {
            migrated = false; // not even the bookkeeping table: an empty database
        }
        if (migrated) throw;
        return std::nullopt;
    }
    if (!v || std::holds_alternative<std::nullptr_t>(*v)) return std::nullopt;
    try {
        return nlohmann::json::parse(store::asText(*v));
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

void SettingsStore::put(store::Connection& connection, const std::string& pluginId, const std::string& key, const nlohmann::json& value,
                        std::int64_t userId) {
    const auto text = value.dump();
    const auto now = nowText();
    const store::Value by = userId ? store::Value(userId) : store::Value(nullptr);
    if (connection.execute("UPDATE plugin_settings SET value_json = ?, updated_by = ?, updated_at = ? WHERE plugin_id = ? AND setting_key = ?",
                           {text, by, now, pluginId, key}) == 0) {
        // MariaDB counts a row rewritten with the same value as unchanged; do not insert twice.
        if (connection.queryScalar("SELECT 1 FROM plugin_settings WHERE plugin_id = ? AND setting_key = ?", {pluginId, key})) return;
        connection.execute("INSERT INTO plugin_settings (plugin_id, setting_key, value_json, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)",
                           {pluginId, key, text, by, now});
    }
}

nlohmann::json SettingsStore::effective(store::Connection& connection, const std::function<std::optional<std::string>(const std::string&)>& config,
                                        const std::string& pluginId, const SettingDecl& decl, std::string* source) {
    if (auto v = stored(connection, pluginId, decl.key); v && decl.check(*v).empty()) {
        if (source) *source = "stored";
        return *v;
    }
    if (config) {
        if (auto text = config("plugins." + pluginId + "." + decl.key)) {
            if (auto v = decl.fromConfigText(*text)) {
                if (source) *source = "config";
                return *v;
            }
        }
    }
    if (source) *source = "default";
    return decl.defaultValue;
}

} // namespace atrium::plugins
