#include "plugins/Catalog.h"

#include <stdexcept>

namespace atrium::plugins {

namespace {
const char* nameOf(Catalog::Kind kind) {
    switch (kind) {
    case Catalog::Kind::Dataset: return "dataset";
    case Catalog::Kind::Kpi: return "KPI";
    case Catalog::Kind::Dashboard: return "dashboard";
    case Catalog::Kind::ScorecardTemplate: return "scorecard template";
    }
    return "definition";
}
} // namespace

void Catalog::add(Kind kind, const std::string& owner, nlohmann::json definition) {
    const std::string what = nameOf(kind);
    if (!definition.is_object()) throw std::invalid_argument("a " + what + " definition must be a JSON object");
    if (!definition.contains("id") || !definition["id"].is_string() || definition["id"].get<std::string>().empty())
        throw std::invalid_argument("a " + what + " definition needs a string \"id\"");
    const auto id = definition["id"].get<std::string>();
    definition["plugin"] = owner;
    std::lock_guard lock(_mutex);
    auto& map = _items[kind];
    if (auto it = map.find(id); it != map.end())
        throw std::invalid_argument("the " + what + " \"" + id + "\" is already declared by " + it->second.owner);
    map.emplace(id, Item{owner, std::move(definition)});
    ++_revision;
}

std::size_t Catalog::removeOwner(const std::string& owner) {
    std::lock_guard lock(_mutex);
    std::size_t n = 0;
    for (auto& [kind, map] : _items) n += std::erase_if(map, [&](const auto& kv) { return kv.second.owner == owner; });
    if (n) ++_revision;
    return n;
}

std::vector<nlohmann::json> Catalog::all(Kind kind) const {
    std::lock_guard lock(_mutex);
    std::vector<nlohmann::json> out;
    if (auto it = _items.find(kind); it != _items.end())
        for (const auto& [id, item] : it->second) out.push_back(item.definition);
    return out;
}

std::optional<nlohmann::json> Catalog::find(Kind kind, const std::string& id) const {
    std::lock_guard lock(_mutex);
    auto it = _items.find(kind);
    if (it == _items.end()) return std::nullopt;
    auto found = it->second.find(id);
    if (found == it->second.end()) return std::nullopt;
    return found->second.definition;
}

std::vector<std::string> Catalog::ids(Kind kind, const std::string& owner) const {
    std::lock_guard lock(_mutex);
    std::vector<std::string> out;
    if (auto it = _items.find(kind); it != _items.end())
        for (const auto& [id, item] : it->second)
            if (item.owner == owner) out.push_back(id);
    return out;
}

std::uint64_t Catalog::revision() const {
    std::lock_guard lock(_mutex);
    return _revision;
}

nlohmann::json Catalog::toJson() const {
    return {{"datasets", datasets()}, {"kpis", kpis()}, {"dashboards", dashboards()}, {"scorecard_templates", scorecardTemplates()}};
}

} // namespace atrium::plugins
