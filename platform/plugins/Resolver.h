#pragma once
// Dependency resolution between plugins, before any of them is mapped or initialised: missing
// dependencies, unmet version ranges and cycles are refused with one sentence each, and every
// plugin that requires a refused one is refused too. Pure logic, so it is unit-tested alone.

#include "plugins/Version.h"

#include <map>
#include <string>
#include <vector>

namespace atrium::plugins {

struct ResolveInput {
    std::string id;
    SemVer version;
    std::vector<std::pair<std::string, VersionRange>> requires_;
    /// Already refused for another reason (bad ABI, disabled…): it loads nothing but still
    /// counts as present, so its dependents name it instead of saying "not installed".
    bool refused = false;
    std::string refusedWhy; ///< short word for dependents: "refused" or "disabled"
};

struct ResolveResult {
    /// Ids that can be loaded, each after everything it requires (ties broken by id so the
    /// order is the same on every host).
    std::vector<std::string> order;
    /// Id -> the refusal sentence, for plugins refused by resolution.
    std::map<std::string, std::string> refused;
};

ResolveResult resolveDependencies(const std::vector<ResolveInput>& plugins);

} // namespace atrium::plugins
