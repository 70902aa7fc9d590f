#include "http/Router.h"

#include <algorithm>
#include <mutex>
#include <stdexcept>

namespace atrium::http {
namespace {

std::vector<std::string> split(const std::string& path) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < path.size()) {
        while (i < path.size() && path[i] == '/') ++i;
        if (i >= path.size()) break;
        auto j = path.find('/', i);
        if (j == std::string::npos) j = path.size();
        out.push_back(path.substr(i, j - i));
        i = j;
    }
    return out;
}

bool isParam(const std::string& seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }
bool isRest(const std::string& seg) { return seg.size() > 3 && seg.rfind("{*", 0) == 0 && seg.back() == '}'; }

} // namespace

void Router::add(Route route) {
    if (route.permission.empty() && !route.isPublic)
        throw std::invalid_argument("route " + route.method + " " + route.pattern +
                                    " names no permission; give it one or mark it public explicitly");
    if (!route.handler) throw std::invalid_argument("route " + route.method + " " + route.pattern + " has no handler");
    Compiled c;
    c.segments = split(route.pattern);
    std::unique_lock lock(_mutex);
    for (const auto& r : _routes)
        if (r.route->method == route.method && r.segments == c.segments)
            throw std::invalid_argument("route " + route.method + " " + route.pattern + " is already registered by " +
                                        r.route->owner);
    c.route = std::make_shared<const Route>(std::move(route));
    _routes.push_back(std::move(c));
    // Literal segments win over parameters: sort so that more specific patterns come first.
    std::stable_sort(_routes.begin(), _routes.end(), [](const Compiled& a, const Compiled& b) {
        const auto n = std::min(a.segments.size(), b.segments.size());
        for (std::size_t i = 0; i < n; ++i) {
            const bool pa = isParam(a.segments[i]) || isRest(a.segments[i]);
            const bool pb = isParam(b.segments[i]) || isRest(b.segments[i]);
            if (pa != pb) return !pa;
        }
        return a.segments.size() > b.segments.size();
    });
}

std::size_t Router::removeOwner(const std::string& owner) {
    std::unique_lock lock(_mutex);
    const auto before = _routes.size();
    std::erase_if(_routes, [&](const Compiled& c) { return c.route->owner == owner; });
    return before - _routes.size();
}

Match Router::match(const std::string& method, const std::string& path) const {
    const auto segs = split(path);
    Match result;
    std::shared_lock lock(_mutex);
    for (const auto& c : _routes) {
        std::map<std::string, std::string> params;
        bool ok = true;
        std::size_t i = 0;
        for (; i < c.segments.size(); ++i) {
            const auto& s = c.segments[i];
            if (isRest(s)) {
                std::string rest;
                for (std::size_t k = i; k < segs.size(); ++k) rest += (k > i ? "/" : "") + segs[k];
                params[s.substr(2, s.size() - 3)] = rest;
                i = segs.size();
                break;
            }
            if (i >= segs.size()) {
                ok = false;
                break;
            }
            if (isParam(s)) params[s.substr(1, s.size() - 2)] = segs[i];
            else if (s != segs[i]) {
                ok = false;
                break;
            }
        }
        if (!ok || i != segs.size()) continue;
        if (c.route->method != method && !(method == "HEAD" && c.route->method == "GET")) {
            result.methodNotAllowed = true;
            result.allowed.push_back(c.route->method);
            continue;
        }
        result.route = c.route;
        result.params = std::move(params);
        result.methodNotAllowed = false;
        return result;
    }
    return result;
}

std::vector<std::shared_ptr<const Route>> Router::routes() const {
    std::shared_lock lock(_mutex);
    std::vector<std::shared_ptr<const Route>> out;
    out.reserve(_routes.size());
    for (const auto& c : _routes) out.push_back(c.route);
    return out;
}

} // namespace atrium::http
