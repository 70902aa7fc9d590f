#pragma once
// The datasets and KPIs plugins declare, as JSON documents for the reporting engine. The
// registry only checks what the host can check (shape, id, ownership, uniqueness); the
// reporting engine validates the semantics when it compiles a definition.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace atrium::plugins {

class Catalog {
public:
    enum class Kind { Dataset, Kpi };

    /// Adds a definition owned by `owner`. The stored copy gets "plugin": owner. Throws
    /// std::invalid_argument when it is not an object with a string "id", or the id is taken.
    void add(Kind kind, const std::string& owner, nlohmann::json definition);
    /// Removes everything `owner` declared (a plugin being disabled).
    std::size_t removeOwner(const std::string& owner);

    std::vector<nlohmann::json> datasets() const;
    std::vector<nlohmann::json> kpis() const;
    std::optional<nlohmann::json> dataset(const std::string& id) const;
    std::optional<nlohmann::json> kpi(const std::string& id) const;
    /// Ids owned by `owner`.
    std::vector<std::string> ids(Kind kind, const std::string& owner) const;
    /// Grows on every change, so the reporting engine can cache compiled definitions.
    std::uint64_t revision() const;

    nlohmann::json toJson() const; ///< {"datasets": […], "kpis": […]}

private:
    struct Item {
        std::string owner;
        nlohmann::json definition;
    };
    mutable std::mutex _mutex;
    std::map<std::string, Item> _datasets;
    std::map<std::string, Item> _kpis;
    std::uint64_t _revision = 0;
};

} // namespace atrium::plugins
