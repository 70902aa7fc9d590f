#pragma once
// Built-in definitions: the sales overview dashboard and the "sales rep" / "sales team"
// scorecard templates, generated from what the sales plugin declares in the catalogue (so they
// appear when, and only when, the sales module is there, and follow its KPI ids).

#include "Engine.h"

namespace atrium::reports {

/// Dashboards shipped with the engine, complete for the current catalogue.
std::vector<Json> builtinDashboards(Engine& engine);
/// Scorecard templates shipped with the engine ("builtin.sales_rep", "builtin.sales_team").
std::vector<Json> builtinScorecards(Engine& engine);

} // namespace atrium::reports
