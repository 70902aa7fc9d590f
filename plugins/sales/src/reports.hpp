#pragma once
// What the sales plugin declares for the reporting engine (reports.cpp).

#include <atrium/sdk.hpp>

#include <vector>

namespace sales {

std::vector<atrium::sdk::Dataset> datasets();
std::vector<atrium::sdk::Kpi> kpis();
std::vector<atrium::sdk::Dashboard> dashboards();
std::vector<atrium::sdk::ScorecardTemplate> scorecardTemplates();

} // namespace sales
