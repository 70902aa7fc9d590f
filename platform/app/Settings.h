#pragma once
// Where every setting comes from, highest precedence first: command-line flag, environment
// variable (ATRIUM_DB, ATRIUM_LISTEN, ATRIUM_PLUGIN_PATH, ATRIUM_REPORTS_DB, ATRIUM_WEB_ROOT),
// the --config file (ini or properties, read through Poco's layered configuration), default.

#include "app/Host.h"

#include <Poco/Util/AbstractConfiguration.h>

#include <map>
#include <string>
#include <vector>

namespace atrium::app {

class Settings {
public:
    Settings(const Poco::Util::AbstractConfiguration& file, std::map<std::string, std::string> flags)
        : _file(file), _flags(std::move(flags)) {}

    /// `key` is the config-file key ("db", "listen", "pool.size"); `env` may be empty.
    std::string get(const std::string& key, const std::string& env, const std::string& fallback) const;
    int getInt(const std::string& key, const std::string& env, int fallback) const;
    bool has(const std::string& flag) const { return _flags.count(flag) != 0; }
    std::string flag(const std::string& name, const std::string& fallback = {}) const;

    /// Everything the host needs, resolved.
    HostOptions hostOptions(const std::string& executableDir) const;

    /// Plugin configuration keys of the file, below atrium. ("plugins.hello.greeting").
    std::vector<std::string> pluginKeys() const;
    /// Keys the host never reads because they lack the atrium. root ("plugins.hello.greeting").
    std::vector<std::string> strayPluginKeys() const;

private:
    const Poco::Util::AbstractConfiguration& _file;
    std::map<std::string, std::string> _flags;
};

} // namespace atrium::app
