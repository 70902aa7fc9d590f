#pragma once
// What plugins declare for the reporting engine — datasets, KPIs, built-in dashboards and
// scorecard templates — as JSON documents. The registry only checks what the host can check
// (shape, id, ownership, uniqueness); the reporting engine validates the semantics when it
// compiles a definition.

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
    enum class Kind { Dataset, Kpi, Dashboard, ScorecardTemplate };

    /// Adds a definition owned by `owner`. The stored copy gets "plugin": owner. Throws
    /// std::invalid_argument when it is not an object with a string "id", or the id is taken.
    void add(Kind kind, const std::string& owner, nlohmann::json definition);
    /// Removes everything `owner` declared (a plugin being disabled).
    std::size_t removeOwner(const std::string& owner);

    std::vector<nlohmann::json> datasets() const { return all(Kind::Dataset); }
    std::vector<nlohmann::json> kpis() const { return all(Kind::Kpi); }
    std::vector<nlohmann::json> dashboards() const { return all(Kind::Dashboard); }
    std::vector<nlohmann::json> scorecardTemplates() const { return all(Kind::ScorecardTemplate); }
    std::vector<nlohmann::json> all(Kind kind) const;
    std::optional<nlohmann::json> dataset(const std::string& id) const { return find(Kind::Dataset, id); }
    std::optional<nlohmann::json> kpi(const std::string& id) const { return find(Kind::Kpi, id); }
    std::optional<nlohmann::json> find(Kind kind, const std::string& id) const;
    /// Ids owned by `owner`.
    std::vector<std::string> ids(Kind kind, const std::string& owner) const;
    /// Grows on every change, so the reporting engine can cache compiled definitions.
    std::uint64_t revision() const;

    nlohmann::json toJson() const; ///< {"datasets": […], "kpis": […], "dashboards": […], "scorecard_templates": […]}

private:
    struct Item {
        std::string owner;
        nlohmann::json definition;
    };
    mutable std::mutex _mutex;
    std::map<Kind, std::map<std::string, Item>> _items;
    std::uint64_t _revision = 0;
};

} // namespace atrium::plugins
