// KPI evaluation: value, previous value, delta, status by thresholds and direction, trend series.
#include "Engine.h"

#include <cmath>

namespace atrium::reports {

namespace {

struct KpiQuery {
    Query query;
    bool ratio = false;
};

KpiQuery kpiQuery(const Dataset& ds, const Json& kpi, const dates::Period& period, const ScopeFilter& sf,
                  const std::vector<Filter>& extra) {
    KpiQuery kq;
    auto& q = kq.query;
    q.dataset = ds.id;
    auto named = [&](Json m, const char* as) {
        if (!m.is_object()) throw badRequest("KPI '" + kpi.value("id", std::string()) + "': a measure is an object {aggregate, field, filters}.");
        m["as"] = as;
        m.erase("label");
        return parseMeasure(m, ds, 0);
    };
    if (kpi.contains("ratio") && kpi["ratio"].is_object()) {
        kq.ratio = true;
        q.measures.push_back(named(kpi["ratio"].value("numerator", Json()), "num"));
        q.measures.push_back(named(kpi["ratio"].value("denominator", Json()), "den"));
    } else {
        q.measures.push_back(named(kpi.value("measure", Json{{"aggregate", "count"}}), "num"));
    }
    q.filters = parseFilters(kpi.value("filters", Json()));
    q.filters.insert(q.filters.end(), extra.begin(), extra.end());
    std::string timeField = kpi.value("time", std::string());
    if (timeField.empty())
        for (const auto& f : ds.fields)
            if (f.kind == "time") {
                timeField = f.name;
                break;
            }
    if (timeField.empty()) throw badRequest("KPI '" + kpi.value("id", std::string()) + "' has no time field.");
    q.time = TimeRange{timeField, std::nullopt, dates::format(period.from), dates::format(period.to)};
    q.scope = sf;
    q.limit = 10000;
    return kq;
}

Engine::Parts partsOf(const Json& row, std::size_t offset, bool ratio) {
    Engine::Parts p;
    p.ratio = ratio;
    if (row.size() <= offset) return p;
    const auto& n = row[offset];
    if (!n.is_null()) {
        p.numerator = n.is_number() ? n.get<double>() : 0;
        p.hasValue = true;
    }
    if (ratio && row.size() > offset + 1) {
        const auto& d = row[offset + 1];
        p.denominator = d.is_number() ? d.get<double>() : 0;
        p.hasValue = true;
    }
    return p;
}

Json num(std::optional<double> v) { return v ? Json(tidy(*v)) : Json(nullptr); }

} // namespace

std::string Engine::kpiStatus(const Json& kpi, std::optional<double> value) {
    if (!value || !kpi.contains("thresholds") || !kpi["thresholds"].is_object()) return {};
    const auto& t = kpi["thresholds"];
    if (!t.contains("good") || !t.contains("warning") || !t["good"].is_number() || !t["warning"].is_number()) return {};
    const double good = t["good"].get<double>(), warning = t["warning"].get<double>();
    const bool lower = kpi.value("direction", std::string("higher_is_better")) == "lower_is_better";
    if (lower) return *value <= good ? "green" : *value <= warning ? "amber" : "red";
    return *value >= good ? "green" : *value >= warning ? "amber" : "red";
}

Engine::Parts Engine::kpiTotal(const identity::Principal& p, const Json& kpi, const dates::Period& period, const ScopeFilter& sf) {
    auto ds = dataset(kpi.value("dataset", std::string()));
    if (!ds) throw notFound("The dataset of KPI '" + kpi.value("id", std::string()) + "'");
    auto kq = kpiQuery(*ds, kpi, period, sf, {});
    auto r = run(p, kq.query);
    return r.rows.empty() ? Parts{0, 0, kq.ratio, !kq.ratio} : partsOf(r.rows[0], 0, kq.ratio);
}

std::map<std::string, Engine::Parts> Engine::kpiByGroup(const identity::Principal& p, const Json& kpi, const dates::Period& period,
                                                        const std::string& group, const ScopeFilter& sf) {
    auto ds = dataset(kpi.value("dataset", std::string()));
    if (!ds) throw notFound("The dataset of KPI '" + kpi.value("id", std::string()) + "'");
    auto kq = kpiQuery(*ds, kpi, period, sf, {});
    const std::string column = group == "owner" ? ds->ownerColumn : ds->departmentColumn;
    if (column.empty()) throw badRequest("KPI '" + kpi.value("id", std::string()) + "': its dataset has no " + group + " column.");
    kq.query.dimensions = {column};
    kq.query.limit = 10000;
    auto r = run(p, kq.query);
    std::map<std::string, Parts> out;
    for (const auto& row : r.rows) {
        if (row[0].is_null()) continue;
        out[row[0].is_string() ? row[0].get<std::string>() : row[0].dump()] = partsOf(row, 1, kq.ratio);
    }
    return out;
}

Json Engine::evaluateKpi(const identity::Principal& p, const Json& kpi, const KpiOptions& o) {
    auto ds = dataset(kpi.value("dataset", std::string()));
    if (!ds) throw notFound("The dataset of KPI '" + kpi.value("id", std::string()) + "'");
    checkAccess(p, *ds);
    if (!mayUseKpi(p, kpi)) throw forbidden("The KPI '" + kpi.value("id", std::string()) + "' uses a field hidden from you.");

    auto kq = kpiQuery(*ds, kpi, o.period, o.scope, o.extraFilters);
    auto cur = run(p, kq.query);
    Parts now = cur.rows.empty() ? Parts{} : partsOf(cur.rows[0], 0, kq.ratio);
    if (!kq.ratio && !now.hasValue) {
        // COUNT/SUM over no rows is 0; AVG/MIN/MAX over no rows has no value.
        const auto agg = kq.query.measures[0].aggregate;
        if (agg == "count" || agg == "count_distinct" || agg == "sum") now.hasValue = true;
    }
    const auto value = now.value();

    std::optional<double> previous;
    dates::Period prev = o.compare == "same_period_last_year" ? dates::lastYear(o.period) : dates::previousPeriod(o.period);
    if (!o.compare.empty() && o.compare != "none") {
        auto pq = kpiQuery(*ds, kpi, prev, o.scope, o.extraFilters);
        auto pr = run(p, pq.query);
        Parts before = pr.rows.empty() ? Parts{} : partsOf(pr.rows[0], 0, kq.ratio);
        if (!kq.ratio && !before.hasValue) {
            const auto agg = kq.query.measures[0].aggregate;
            if (agg == "count" || agg == "count_distinct" || agg == "sum") before.hasValue = true;
        }
        previous = before.value();
    }

    Json out = {{"value", num(value)},
                {"previous", num(previous)},
                {"unit", kpi.value("unit", std::string("number"))},
                {"direction", kpi.value("direction", std::string("higher_is_better"))},
                {"period", {{"from", dates::format(o.period.from)}, {"to", dates::format(o.period.to)}}}};
    if (kpi.contains("currency")) out["currency"] = kpi["currency"];
    if (kpi.contains("decimals")) out["decimals"] = kpi["decimals"];
    if (kpi.contains("name")) out["name"] = kpi["name"];
    if (kpi.contains("thresholds")) out["thresholds"] = kpi["thresholds"];
    if (!o.compare.empty() && o.compare != "none")
        out["previous_period"] = {{"from", dates::format(prev.from)}, {"to", dates::format(prev.to)}};
    if (value && previous) {
        out["delta"] = tidy(*value - *previous);
        out["delta_pct"] = *previous != 0 ? Json(tidy((*value - *previous) / std::fabs(*previous))) : Json(nullptr);
    } else {
        out["delta"] = nullptr;
        out["delta_pct"] = nullptr;
    }
    const auto status = kpiStatus(kpi, value);
    out["status"] = status.empty() ? Json(nullptr) : Json(status);

    if (o.series) {
        const auto grain = o.grain.value_or(dates::defaultGrain(o.period.from, o.period.to));
        Query sq = kq.query;
        sq.time->grain = dates::grainName(grain);
        auto sr = run(p, sq);
        Json series = Json::array();
        for (const auto& row : sr.rows) {
            Parts pt = partsOf(row, 1, kq.ratio);
            if (!kq.ratio && !pt.hasValue) {
                const auto agg = kq.query.measures[0].aggregate;
                if (agg == "count" || agg == "count_distinct" || agg == "sum") pt.hasValue = true;
            }
            series.push_back({{"period", row[0]}, {"value", num(pt.value())}});
        }
        out["series"] = series;
        out["grain"] = dates::grainName(grain);
    }
    return out;
}

} // namespace atrium::reports
