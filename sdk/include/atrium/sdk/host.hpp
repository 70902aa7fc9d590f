#pragma once
// The host as a plugin sees it: identity, logging, configuration, connections, the timeline.

#include <atrium/sdk/db.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace atrium::sdk {

enum class LogLevel { Debug = ATRIUM_LOG_DEBUG, Info = ATRIUM_LOG_INFO, Warn = ATRIUM_LOG_WARN, Error = ATRIUM_LOG_ERROR };

/// One entry on the shared customer timeline.
struct TimelineEntry {
    std::string entityType; ///< "hello.greeting"
    std::int64_t entityId = 0;
    std::int64_t accountId = 0; ///< 0 = none
    std::string kind;           ///< "created", "stage_changed", …
    std::string title;          ///< one line shown in the timeline
    Json body = nullptr;        ///< a JSON object with details, or null
    std::int64_t actorUserId = 0; ///< 0 = the system
};

class Host {
public:
    explicit Host(const atrium_host_api* api) : _api(api) {}

    std::string_view pluginId() const { return _api->plugin_id; }
    /// The folder holding the manifest and the library (for files the plugin ships).
    std::string_view pluginDir() const { return _api->plugin_dir; }
    std::string_view hostVersion() const { return _api->host_version; }
    /// The host's ABI; members newer than the plugin's own ABI need ATRIUM_HAS_MEMBER checks.
    unsigned abiMajor() const { return _api->abi_major; }
    unsigned abiMinor() const { return _api->abi_minor; }

    void log(LogLevel level, std::string_view message) const {
        _api->log(_api->host, static_cast<int32_t>(level), message.data(), message.size());
    }
    void debug(std::string_view m) const { log(LogLevel::Debug, m); }
    void info(std::string_view m) const { log(LogLevel::Info, m); }
    void warn(std::string_view m) const { log(LogLevel::Warn, m); }
    void error(std::string_view m) const { log(LogLevel::Error, m); }

    /// "plugins.<id>.<key>" from the host configuration, or nullopt.
    std::optional<std::string> config(std::string_view key) const {
        const std::string k(key);
        std::string value(128, '\0');
        std::size_t size = 0;
        detail::ErrorBuffer eb;
        auto rc = _api->config_get(_api->host, k.c_str(), value.data(), value.size(), &size, eb.get());
        if (rc == ATRIUM_E_NOT_FOUND) return std::nullopt;
        if (rc == ATRIUM_E_TRUNCATED) {
            value.assign(size + 1, '\0');
            detail::ErrorBuffer again;
            rc = _api->config_get(_api->host, k.c_str(), value.data(), value.size(), &size, again.get());
            if (rc == ATRIUM_E_NOT_FOUND) return std::nullopt;
            detail::check(rc, again);
        } else {
            detail::check(rc, eb);
        }
        value.resize(size);
        return value;
    }
    std::string config(std::string_view key, std::string_view fallback) const { return config(key).value_or(std::string(fallback)); }

    /// The current value of a setting the manifest declares in "settings" (SDK ABI 1.1), as
    /// JSON: what an administrator stored, else plugins.<id>.<key> from the configuration
    /// file, else the manifest default. Cheap enough per request, so changes apply at once.
    /// Throws Error(ATRIUM_E_UNSUPPORTED) "host too old" on a 1.0 host, ATRIUM_E_NOT_FOUND for
    /// an undeclared key.
    Json settingJson(std::string_view key) const {
        if (!ATRIUM_HAS_MEMBER(_api, atrium_host_api, setting_get))
            throw Error(ATRIUM_E_UNSUPPORTED, "this host is too old: settings need SDK ABI 1.1 (the host provides " +
                                                  std::to_string(_api->abi_major) + "." + std::to_string(_api->abi_minor) + "); upgrade Atrium");
        const std::string k(key);
        std::string text(64, '\0');
        std::size_t size = 0;
        detail::ErrorBuffer eb;
        auto rc = _api->setting_get(_api->host, k.c_str(), text.data(), text.size(), &size, eb.get());
        if (rc == ATRIUM_E_TRUNCATED) {
            text.assign(size + 1, '\0');
            detail::ErrorBuffer again;
            detail::check(_api->setting_get(_api->host, k.c_str(), text.data(), text.size(), &size, again.get()), again);
        } else {
            detail::check(rc, eb);
        }
        text.resize(size);
        return Json::parse(text);
    }
    /// settingJson(key) as T: host().setting<std::string>("default_language").
    template <class T>
    T setting(std::string_view key) const {
        return settingJson(key).template get<T>();
    }

    /// Leases a connection outside a callback (init, background work); returned when the
    /// OwnedDb is destroyed. Keep it short: the pool is shared with every request.
    OwnedDb openDb() const {
        detail::ErrorBuffer eb;
        atrium_db* db = nullptr;
        detail::check(_api->db_open(_api->host, &db, eb.get()), eb);
        return OwnedDb(_api, db);
    }

    Dialect dialect() const { return Dialect(_api); }

    /// Appends to the customer timeline on `db` (in its transaction, if one is open).
    std::int64_t timeline(const Db& db, const TimelineEntry& entry) const {
        const std::string body = entry.body.is_null() ? std::string() : entry.body.dump();
        atrium_timeline_entry e{};
        e.struct_size = sizeof e;
        e.entity_type = entry.entityType.c_str();
        e.entity_id = entry.entityId;
        e.account_id = entry.accountId;
        e.kind = entry.kind.c_str();
        e.title = entry.title.c_str();
        e.body_json = body.empty() ? nullptr : body.c_str();
        e.body_json_size = body.size();
        e.actor_user_id = entry.actorUserId;
        std::int64_t id = 0;
        detail::ErrorBuffer eb;
        detail::check(_api->timeline_append(db.handle(), &e, &id, eb.get()), eb);
        return id;
    }

    const atrium_host_api* api() const { return _api; }

private:
    const atrium_host_api* _api;
};

} // namespace atrium::sdk
