#include "plugins/Resolver.h"

#include <algorithm>
#include <functional>
#include <set>

namespace atrium::plugins {

ResolveResult resolveDependencies(const std::vector<ResolveInput>& plugins) {
    ResolveResult result;
    std::map<std::string, const ResolveInput*> byId;
    for (const auto& p : plugins) byId.emplace(p.id, &p);

    std::set<std::string> alive;
    for (const auto& p : plugins)
        if (!p.refused) alive.insert(p.id);

    auto refuse = [&](const std::string& id, std::string sentence) {
        alive.erase(id);
        result.refused.emplace(id, std::move(sentence));
    };

    // Refusal spreads to dependents; repeat until nothing changes.
    auto propagate = [&] {
        bool changed = true;
        while (changed) {
            changed = false;
            for (const auto& p : plugins) {
                if (!alive.count(p.id)) continue;
                for (const auto& [dep, range] : p.requires_) {
                    auto it = byId.find(dep);
                    if (it == byId.end()) {
                        refuse(p.id, "plugin " + p.id + " requires " + dep + " " + range.text() +
                                         ", which is not installed: install " + dep + " or remove " + p.id);
                    } else if (!range.matches(it->second->version)) {
                        refuse(p.id, "plugin " + p.id + " requires " + dep + " " + range.text() + " but " + dep + " " +
                                         it->second->version.toString() + " is installed: install a matching " + dep +
                                         " or a " + p.id + " built for this one");
                    } else if (!alive.count(dep)) {
                        const std::string why = it->second->refused ? (it->second->refusedWhy.empty() ? "refused" : it->second->refusedWhy)
                                                                    : "refused";
                        refuse(p.id, "plugin " + p.id + " requires " + dep + ", which was " + why +
                                         ": see the entry of " + dep + " for the reason");
                    } else {
                        continue;
                    }
                    changed = true;
                    break;
                }
            }
        }
    };
    propagate();

    // Cycles among the survivors: Tarjan's strongly connected components. Every member of a
    // component with more than one plugin is in a cycle (self-requirement is refused earlier by
    // the manifest check).
    {
        std::map<std::string, int> index, low;
        std::set<std::string> onStack;
        std::vector<std::string> stack;
        int counter = 0;
        std::vector<std::vector<std::string>> components;
        std::function<void(const std::string&)> visit = [&](const std::string& v) {
            index[v] = low[v] = counter++;
            stack.push_back(v);
            onStack.insert(v);
            for (const auto& [w, range] : byId[v]->requires_) {
                if (!alive.count(w)) continue;
                if (!index.count(w)) {
                    visit(w);
                    low[v] = std::min(low[v], low[w]);
                } else if (onStack.count(w)) {
                    low[v] = std::min(low[v], index[w]);
                }
            }
            if (low[v] == index[v]) {
                std::vector<std::string> component;
                std::string w;
                do {
                    w = stack.back();
                    stack.pop_back();
                    onStack.erase(w);
                    component.push_back(w);
                } while (w != v);
                if (component.size() > 1) components.push_back(std::move(component));
            }
        };
        for (const auto& id : std::set<std::string>(alive)) // copy: visit reads alive only
            if (!index.count(id)) visit(id);

        for (auto& component : components) {
            std::sort(component.begin(), component.end());
            const std::set<std::string> members(component.begin(), component.end());
            for (const auto& start : component) {
                // Shortest path from `start` back to itself inside the component, for the sentence.
                std::map<std::string, std::string> parent;
                std::vector<std::string> frontier{start};
                std::string last;
                while (!frontier.empty() && last.empty()) {
                    std::vector<std::string> next;
                    for (const auto& v : frontier) {
                        std::vector<std::string> deps;
                        for (const auto& [w, range] : byId[v]->requires_)
                            if (members.count(w)) deps.push_back(w);
                        std::sort(deps.begin(), deps.end());
                        for (const auto& w : deps) {
                            if (w == start) {
                                last = v;
                                break;
                            }
                            if (!parent.count(w)) {
                                parent[w] = v;
                                next.push_back(w);
                            }
                        }
                        if (!last.empty()) break;
                    }
                    frontier = std::move(next);
                }
                std::vector<std::string> path{start};
                for (std::string v = last; v != start; v = parent[v]) path.insert(path.begin() + 1, v);
                std::string chain;
                for (const auto& v : path) chain += v + " -> ";
                chain += start;
                refuse(start, "plugin " + start + " is in a dependency cycle (" + chain +
                                  "): no plugin in a cycle can be initialised first, so remove one of these requirements");
            }
        }
        if (!components.empty()) propagate();
    }

    // Kahn's algorithm with a sorted ready set for a deterministic order.
    std::map<std::string, int> pending;
    std::map<std::string, std::vector<std::string>> dependents;
    for (const auto& id : alive) {
        pending[id] = 0;
        for (const auto& [dep, range] : byId[id]->requires_) {
            ++pending[id];
            dependents[dep].push_back(id);
        }
    }
    std::set<std::string> ready;
    for (const auto& [id, n] : pending)
        if (n == 0) ready.insert(id);
    while (!ready.empty()) {
        const std::string id = *ready.begin();
        ready.erase(ready.begin());
        result.order.push_back(id);
        for (const auto& d : dependents[id])
            if (--pending[d] == 0) ready.insert(d);
    }
    return result;
}

} // namespace atrium::plugins
