#include "Builtin.h"

#include <algorithm>

namespace atrium::reports {

namespace {

/// The sales plugin's KPIs, the headline ones first (revenue, win rate, pipeline, then by id).
std::vector<Json> salesKpis(Engine& engine) {
    std::vector<Json> out;
    for (const auto& k : engine.kpis())
        if (k.value("plugin", std::string()) == "sales" && engine.dataset(k.value("dataset", std::string()))) out.push_back(k);
    auto rank = [](const Json& k) {
        const auto id = k.value("id", std::string());
        static const std::vector<std::string> order = {"won", "revenue", "win_rate", "pipeline", "new", "deal", "cycle"};
        for (std::size_t i = 0; i < order.size(); ++i)
            if (id.find(order[i]) != std::string::npos) return static_cast<int>(i);
        return 100;
    };
    std::stable_sort(out.begin(), out.end(), [&](const Json& a, const Json& b) {
        const int ra = rank(a), rb = rank(b);
        return ra != rb ? ra < rb : a.value("id", std::string()) < b.value("id", std::string());
    });
    return out;
}

Json widget(const std::string& id, const std::string& type, const Json& title, int x, int y, int w, int h) {
    return {{"id", id}, {"type", type}, {"title", title}, {"x", x}, {"y", y}, {"w", w}, {"h", h}};
}

} // namespace

std::vector<Json> builtinDashboards(Engine& engine) {
    std::vector<Json> out;
    const auto kpis = salesKpis(engine);
    if (kpis.empty()) return out;
    const auto ds = engine.dataset(kpis.front().value("dataset", std::string()));
    if (!ds) return out;
    Json widgets = Json::array();
    const int cards = static_cast<int>(std::min<std::size_t>(3, kpis.size()));
    for (int i = 0; i < cards; ++i) {
        auto w = widget("kpi" + std::to_string(i + 1), "kpi", kpis[i].value("name", Json()), i * (12 / cards), 0, 12 / cards, 2);
        w["kpi"] = kpis[i]["id"];
        widgets.push_back(w);
    }
    auto trend = widget("trend", "line", {{"en", "Trend: " + kpis.front().value("name", Json::object()).value("en", std::string())},
                                          {"zh-CN", "趋势：" + kpis.front().value("name", Json::object()).value("zh-CN", std::string())}},
                        0, 2, 6, 4);
    trend["kpi"] = kpis.front()["id"];
    trend["grain"] = "month";
    widgets.push_back(trend);

    // The first dataset's breakdown by stage (or its first text dimension) and its leaderboard.
    const Field* byField = ds->field("stage");
    if (!byField)
        for (const auto& f : ds->fields)
            if (f.kind == "dimension" && f.type == "text") {
                byField = &f;
                break;
            }
    const Field* measure = nullptr;
    for (const auto& f : ds->fields)
        if (f.kind == "measure" && (f.type == "money" || f.type == "real")) {
            measure = &f;
            break;
        }
    const std::string timeField = kpis.front().value("time", std::string());
    Json measures = measure ? Json::array({measure->name}) : Json::array({"count"});
    auto timeOf = [&]() { return timeField.empty() ? Json(nullptr) : Json{{"field", timeField}}; };
    if (byField) {
        auto w = widget("breakdown", "bar", {{"en", "By " + byField->label.value("en", byField->name)}, {"zh-CN", "按" + byField->label.value("zh-CN", byField->name)}},
                        6, 2, 6, 4);
        w["query"] = {{"dataset", ds->id}, {"measures", measures}, {"dimensions", {byField->name}}, {"limit", 20}};
        if (!timeField.empty()) w["query"]["time"] = timeOf();
        widgets.push_back(w);
    }
    if (!ds->ownerColumn.empty()) {
        auto w = widget("leaders", "leaderboard", {{"en", "Top performers"}, {"zh-CN", "业绩排行"}}, 0, 6, 12, 4);
        w["query"] = {{"dataset", ds->id}, {"measures", measures}, {"dimensions", {ds->ownerColumn}}, {"limit", 10}};
        if (!timeField.empty()) w["query"]["time"] = timeOf();
        widgets.push_back(w);
    }
    out.push_back({{"id", "builtin.sales_overview"},
                   {"name", {{"en", "Sales overview"}, {"zh-CN", "销售概览"}}},
                   {"description", {{"en", "Revenue, conversion and pipeline with trend and top performers."}, {"zh-CN", "收入、转化与管道，含趋势与排行。"}}},
                   {"filters", Json::array({{{"field", "period"}, {"type", "period"}, {"default", "last_12_months"}},
                                            {{"field", "department_id"}, {"type", "department"}},
                                            {{"field", "owner_id"}, {"type", "user"}}})},
                   {"widgets", widgets}});
    return out;
}

namespace {
/// Open-pipeline KPIs (filtered to status = open) measure what is still to close; their value
/// in the previous period is what was left open then (close to nothing), so they make poor
/// period-over-period scorecard items.
bool openPipeline(const Json& k) {
    auto isOpen = [](const Json& filters) {
        if (!filters.is_array()) return false;
        for (const auto& f : filters)
            if (f.value("field", std::string()) == "status" && f.value("value", Json()) == "open") return true;
        return false;
    };
    if (isOpen(k.value("filters", Json()))) return true;
    if (k.contains("measure") && isOpen(k["measure"].value("filters", Json()))) return true;
    return false;
}

/// A sensible target: revenue against the owner's monthly quotas when the sales quotas exist,
/// the KPI's own "good" threshold when it declares one, else last period + 10 %.
Json targetFor(Engine& engine, const Json& k) {
    const auto id = k.value("id", std::string());
    if (id == "sales.won_revenue" && engine.dataset("sales.quota_attainment"))
        return {{"type", "quota"},
                {"dataset", "sales.quota_attainment"},
                {"measure", {{"field", "quota"}, {"aggregate", "sum"}}},
                {"time", "period_start"},
                {"filters", Json::array({{{"field", "period_type"}, {"op", "="}, {"value", "month"}}})}};
    if (k.contains("thresholds") && k["thresholds"].is_object() && k["thresholds"].value("good", Json()).is_number())
        return {{"type", "fixed"}, {"value", k["thresholds"]["good"]}};
    return {{"type", "last_period"}, {"uplift_pct", 10}};
}
} // namespace

std::vector<Json> builtinScorecards(Engine& engine) {
    std::vector<Json> out;
    std::vector<Json> kpis;
    for (auto& k : salesKpis(engine))
        if (!openPipeline(k)) kpis.push_back(std::move(k));
    if (kpis.empty()) return out;
    const std::size_t n = std::min<std::size_t>(5, kpis.size());
    Json items = Json::array();
    for (std::size_t i = 0; i < n; ++i) {
        const int weight = i == 0 ? 100 - static_cast<int>(100 / n) * static_cast<int>(n - 1) : static_cast<int>(100 / n);
        items.push_back({{"kpi", kpis[i]["id"]}, {"weight", weight}, {"target", targetFor(engine, kpis[i])}});
    }
    Json base = {{"items", items}, {"cap", 1.2}, {"bands", {{"green", 1.0}, {"amber", 0.8}}}};
    Json rep = base;
    rep["id"] = "builtin.sales_rep";
    rep["name"] = {{"en", "Sales rep"}, {"zh-CN", "销售代表"}};
    rep["subject"] = "user";
    rep["subject_roles"] = Json::array({"rep"}); // managers and administrators are not scored as reps
    Json team = base;
    team["id"] = "builtin.sales_team";
    team["name"] = {{"en", "Sales team"}, {"zh-CN", "销售团队"}};
    team["subject"] = "team";
    out.push_back(rep);
    out.push_back(team);
    return out;
}

} // namespace atrium::reports
