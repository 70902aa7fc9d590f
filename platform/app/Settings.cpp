#include "app/Settings.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace atrium::app {

std::string Settings::flag(const std::string& name, const std::string& fallback) const {
    auto it = _flags.find(name);
    return it == _flags.end() ? fallback : it->second;
}

std::string Settings::get(const std::string& key, const std::string& env, const std::string& fallback) const {
    std::string flagName = key;
    for (auto& c : flagName)
        if (c == '.' || c == '_') c = '-';
    if (auto it = _flags.find(flagName); it != _flags.end()) return it->second;
    if (!env.empty())
        if (const char* v = std::getenv(env.c_str()); v && *v) return v;
    return _file.getString("atrium." + key, fallback);
}

int Settings::getInt(const std::string& key, const std::string& env, int fallback) const {
    const auto v = get(key, env, std::to_string(fallback));
    try {
        std::size_t pos = 0;
        const int n = std::stoi(v, &pos);
        if (pos == v.size()) return n;
    } catch (...) {
    }
    throw std::invalid_argument("setting '" + key + "' must be a whole number, not '" + v + "'");
}

namespace {
/// Every leaf key below `root`, relative to `strip` ("atrium." -> "plugins.hello.greeting").
void leafKeys(const Poco::Util::AbstractConfiguration& c, const std::string& root, const std::string& strip, std::vector<std::string>& out) {
    Poco::Util::AbstractConfiguration::Keys children;
    c.keys(root, children);
    if (children.empty()) {
        if (c.hasProperty(root)) out.push_back(root.substr(strip.size()));
        return;
    }
    if (c.hasProperty(root)) out.push_back(root.substr(strip.size()));
    for (const auto& k : children) leafKeys(c, root + "." + k, strip, out);
}
} // namespace

std::vector<std::string> Settings::pluginKeys() const {
    std::vector<std::string> out;
    leafKeys(_file, "atrium.plugins", "atrium.", out);
    return out;
}

std::vector<std::string> Settings::strayPluginKeys() const {
    std::vector<std::string> out;
    leafKeys(_file, "plugins", "", out);
    return out;
}

HostOptions Settings::hostOptions(const std::string& executableDir) const {
    HostOptions o;
    o.dbUrl = get("db", "ATRIUM_DB", "sqlite:var/atrium.db");
    o.reportsDbUrl = get("reports_db", "ATRIUM_REPORTS_DB", "");
    // In the build tree plugins sit in build/plugins/<id>/; installed, in lib/atrium/plugins.
    std::string defaults;
    for (const auto& dir : {executableDir + "../plugins", executableDir + "../lib/atrium/plugins"})
        if (std::filesystem::is_directory(dir)) defaults += (defaults.empty() ? "" : ":") + std::filesystem::canonical(dir).string();
    // Safe mode (`atrium serve --safe-mode`) loads only the plugins shipped with Atrium: the
    // default directories above, ignoring --plugin-path, ATRIUM_PLUGIN_PATH and plugin_path.
    o.safeMode = has("safe-mode");
    o.pluginPath = o.safeMode ? defaults : get("plugin_path", "ATRIUM_PLUGIN_PATH", defaults);
    // The crash file sits next to the SQLite database (or in var/ of the working directory
    // for MariaDB) unless atrium.crash_dir / ATRIUM_CRASH_DIR says otherwise.
    std::string crashDefault = "var";
    try {
        const auto url = store::ConnectionUrl::parse(o.dbUrl);
        if (url.backend == store::Backend::Sqlite && url.path != ":memory:") {
            const auto parent = std::filesystem::path(url.path).parent_path();
            crashDefault = parent.empty() ? "." : parent.string();
        }
    } catch (const std::exception&) {
        // An invalid URL is reported when the database is opened.
    }
    o.crashFile = std::filesystem::path(get("crash_dir", "ATRIUM_CRASH_DIR", crashDefault)) / "atrium-crash.log";
    const auto* file = &_file;
    o.config = [file](const std::string& key) -> std::optional<std::string> {
        if (file->hasProperty("atrium." + key)) return file->getString("atrium." + key);
        return std::nullopt;
    };
    o.webRoot = get("web_root", "ATRIUM_WEB_ROOT", ATRIUM_DEFAULT_WEB_ROOT);
    auto [host, port] = parseListen(get("listen", "ATRIUM_LISTEN", "127.0.0.1:8080"));
    o.http.host = host;
    o.http.port = port;
    o.http.maxBodyBytes = static_cast<std::size_t>(getInt("http.max_body_bytes", "", 1 << 20));
    o.http.maxThreads = getInt("http.max_threads", "", 32);
    o.http.secureCookies = get("http.secure_cookies", "", "false") == "true";
    o.http.trustedProxies = http::TrustedProxies::parse(get("http.trusted_proxies", "ATRIUM_TRUSTED_PROXIES", ""));
    o.pool.maxSize = static_cast<std::size_t>(getInt("pool.size", "ATRIUM_POOL_SIZE", 8));
    o.pool.acquireTimeout = std::chrono::milliseconds(getInt("pool.timeout_ms", "ATRIUM_POOL_TIMEOUT_MS", 2000));
    o.identity.idleTimeout = std::chrono::minutes(getInt("session.idle_minutes", "", 30));
    o.identity.absoluteLifetime = std::chrono::hours(getInt("session.absolute_hours", "", 12));
    o.identity.accountFailureLimit = getInt("login.account_failure_limit", "", 5);
    o.identity.addressFailureLimit = getInt("login.address_failure_limit", "", 20);
    o.identity.lockDuration = std::chrono::minutes(getInt("login.lock_minutes", "", 15));
    o.identity.secureCookies = o.http.secureCookies;
    return o;
}

} // namespace atrium::app
