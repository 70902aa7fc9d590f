#pragma once
// Method + path-pattern routing. Every route names the permission it needs, or is explicitly
// public: the router refuses a route without one, so no endpoint ships unguarded by accident.

#include "http/Http.h"

#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

namespace atrium::http {

struct Route {
    std::string method;     ///< GET, POST, PUT, PATCH, DELETE
    std::string pattern;    ///< "/api/v1/accounts/{id}"; a trailing "/{*rest}" matches the remainder
    std::string permission; ///< required permission; empty only when isPublic
    bool isPublic = false;  ///< no authentication required
    std::string owner = "core"; ///< "core" or the plugin id that registered it
    std::string module;     ///< plugin id whose department enablement gates it ("" = always on)
    std::string summary;    ///< one line for docs and the route listing
    Handler handler;
};

struct Match {
    std::shared_ptr<const Route> route;
    std::map<std::string, std::string> params;
    bool methodNotAllowed = false;
    std::vector<std::string> allowed; ///< methods that would match the path
};

class Router {
public:
    /// Adds a route; throws std::invalid_argument if it has neither a permission nor isPublic,
    /// or if the same method+pattern is already registered.
    void add(Route route);
    /// Removes every route registered by `owner` (disabling a plugin).
    std::size_t removeOwner(const std::string& owner);
    Match match(const std::string& method, const std::string& path) const;
    /// Snapshot of the route table (used for docs and the generated authorisation tests).
    std::vector<std::shared_ptr<const Route>> routes() const;

private:
    struct Compiled {
        std::shared_ptr<const Route> route;
        std::vector<std::string> segments;
    };
    mutable std::shared_mutex _mutex;
    std::vector<Compiled> _routes;
};

} // namespace atrium::http
