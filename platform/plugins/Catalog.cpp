#include "plugins/Catalog.h"

#include <stdexcept>

namespace atrium::plugins {

void Catalog::add(Kind kind, const std::string& owner, nlohmann::json definition) {
    const char* what = kind == Kind::Dataset ? "dataset" : "KPI";
    if (!definition.is_object()) throw std::invalid_argument(std::string("a ") + what + " definition must be a JSON object");
    if (!definition.contains("id") || !definition["id"].is_string() || definition["id"].get<std::string>().empty())
        throw std::invalid_argument(std::string("a ") + what + " definition needs a string \"id\"");
    const auto id = definition["id"].get<std::string>();
    definition["plugin"] = owner;
    std::lock_guard lock(_mutex);
    auto& map = kind == Kind::Dataset ? _datasets : _kpis;
    if (auto it = map.find(id); it != map.end())
        throw std::invalid_argument(std::string("the ") + what + " \"" + id + "\" is already declared by " + it->second.owner);
    map.emplace(id, Item{owner, std::move(definition)});
    ++_revision;
}

std::size_t Catalog::removeOwner(const std::string& owner) {
    std::lock_guard lock(_mutex);
    const auto n = std::erase_if(_datasets, [&](const auto& kv) { return kv.second.owner == owner; }) +
                   std::erase_if(_kpis, [&](const auto& kv) { return kv.second.owner == owner; });
    if (n) ++_revision;
    return n;
}

std::vector<nlohmann::json> Catalog::datasets() const {
    std::lock_guard lock(_mutex);
    std::vector<nlohmann::json> out;
    for (const auto& [id, item] : _datasets) out.push_back(item.definition);
    return out;
}

std::vector<nlohmann::json> Catalog::kpis() const {
    std::lock_guard lock(_mutex);
    std::vector<nlohmann::json> out;
    for (const auto& [id, item] : _kpis) out.push_back(item.definition);
    return out;
}

std::optional<nlohmann::json> Catalog::dataset(const std::string& id) const {
    std::lock_guard lock(_mutex);
    auto it = _datasets.find(id);
    if (it == _datasets.end()) return std::nullopt;
    return it->second.definition;
}

std::optional<nlohmann::json> Catalog::kpi(const std::string& id) const {
    std::lock_guard lock(_mutex);
    auto it = _kpis.find(id);
    if (it == _kpis.end()) return std::nullopt;
    return it->second.definition;
}

std::vector<std::string> Catalog::ids(Kind kind, const std::string& owner) const {
    std::lock_guard lock(_mutex);
    std::vector<std::string> out;
    for (const auto& [id, item] : kind == Kind::Dataset ? _datasets : _kpis)
        if (item.owner == owner) out.push_back(id);
    return out;
}

std::uint64_t Catalog::revision() const {
    std::lock_guard lock(_mutex);
    return _revision;
}

nlohmann::json Catalog::toJson() const {
    return {{"datasets", datasets()}, {"kpis", kpis()}};
}

} // namespace atrium::plugins
