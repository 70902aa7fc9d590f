#pragma once
// Builders for the dataset, KPI, dashboard and scorecard-template documents the reporting
// engine consumes. The JSON they
// produce is the contract (docs/plugin-guide.md, "Datasets and KPIs"); the builders only make
// it hard to write a malformed one.
//
//     declare(Dataset("hello.greetings")
//                 .name("Greetings", "问候")
//                 .table("hello_greetings")
//                 .time("created_at", "Created", "创建时间")
//                 .dimension("language", "Language", "语言")
//                 .measure("id", "Greetings", "问候数", Aggregate::Count)
//                 .scope("hello.greetings.read", "owner_id", "department_id"));
//
//     declare(Kpi("hello.greetings_count")
//                 .name("Greetings sent", "问候数量")
//                 .dataset("hello.greetings")
//                 .count()
//                 .time("created_at")
//                 .unit(Unit::Number)
//                 .higherIsBetter());

#include <atrium/sdk/error.hpp>

#include <atrium/plugin.h>

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace atrium::sdk {

enum class Aggregate { Count, CountDistinct, Sum, Avg, Min, Max };
/// How a value is displayed: matches the units the web dashboards format.
enum class Unit { Number, Currency, Percent, Days, Hours };
/// Value types of dataset fields.
enum class FieldType { Integer, Real, Money, Text, Date, DateTime, Boolean };

namespace detail {
inline const char* name(Aggregate a) {
    switch (a) {
    case Aggregate::Count: return "count";
    case Aggregate::CountDistinct: return "count_distinct";
    case Aggregate::Sum: return "sum";
    case Aggregate::Avg: return "avg";
    case Aggregate::Min: return "min";
    case Aggregate::Max: return "max";
    }
    return "count";
}
inline const char* name(Unit u) {
    switch (u) {
    case Unit::Number: return "number";
    case Unit::Currency: return "currency";
    case Unit::Percent: return "percent";
    case Unit::Days: return "days";
    case Unit::Hours: return "hours";
    }
    return "number";
}
inline const char* name(FieldType t) {
    switch (t) {
    case FieldType::Integer: return "integer";
    case FieldType::Real: return "real";
    case FieldType::Money: return "money";
    case FieldType::Text: return "text";
    case FieldType::Date: return "date";
    case FieldType::DateTime: return "datetime";
    case FieldType::Boolean: return "boolean";
    }
    return "text";
}
inline Json label(std::string_view en, std::string_view zh) { return {{"en", en}, {"zh-CN", zh.empty() ? en : zh}}; }
} // namespace detail

/// A value of an enumerated field with its English and Chinese names (Dataset::labels).
struct ValueLabel {
    std::string_view value;
    std::string_view en;
    std::string_view zh;
};

/// A dataset: a table (or read-only query) with typed fields and the columns that carry record
/// scope, so reports show each user only the rows they may see.
class Dataset {
public:
    explicit Dataset(std::string id) { _doc = {{"id", std::move(id)}, {"fields", Json::array()}}; }

    Dataset& name(std::string_view en, std::string_view zh) {
        _doc["name"] = detail::label(en, zh);
        return *this;
    }
    Dataset& description(std::string_view en, std::string_view zh) {
        _doc["description"] = detail::label(en, zh);
        return *this;
    }
    /// One of the plugin's tables.
    Dataset& table(std::string_view table) {
        _doc["source"] = {{"table", table}};
        return *this;
    }
    /// A SELECT whose result columns are the fields (joins, derived columns). Must be portable SQL
    /// without parameters.
    Dataset& query(std::string_view sql) {
        _doc["source"] = {{"query", sql}};
        return *this;
    }
    /// A column to group and filter by.
    Dataset& dimension(std::string_view column, std::string_view en, std::string_view zh, FieldType type = FieldType::Text) {
        return field("dimension", column, en, zh, type);
    }
    /// A numeric column to aggregate, with its default aggregate.
    Dataset& measure(std::string_view column, std::string_view en, std::string_view zh, Aggregate aggregate = Aggregate::Sum,
                     FieldType type = FieldType::Real) {
        field("measure", column, en, zh, type);
        _doc["fields"].back()["aggregate"] = detail::name(aggregate);
        return *this;
    }
    /// A date or datetime column for periods and trends.
    Dataset& time(std::string_view column, std::string_view en, std::string_view zh, FieldType type = FieldType::DateTime) {
        return field("time", column, en, zh, type);
    }
    /// Rows are visible under `permission` by owner user id and/or department id columns.
    Dataset& scope(std::string_view permission, std::string_view ownerColumn, std::string_view departmentColumn = {}) {
        Json s = {{"permission", permission}};
        s["owner"] = ownerColumn.empty() ? Json(nullptr) : Json(ownerColumn);
        s["department"] = departmentColumn.empty() ? Json(nullptr) : Json(departmentColumn);
        _doc["scope"] = std::move(s);
        return *this;
    }
    /// The entity whose field denials apply: a role denying "<entity>.<field>" (e.g.
    /// "sales.opportunity.amount") hides that field in every report.
    Dataset& entity(std::string_view entity) {
        _doc["entity"] = entity;
        return *this;
    }
    /// Hides the field declared last whenever `fieldKey` is denied (a derived column such as a
    /// weighted amount must follow the denial of the amount it comes from).
    Dataset& acl(std::string_view fieldKey) {
        _doc["fields"].back()["acl"] = fieldKey;
        return *this;
    }
    /// Names for the values of the field declared last, so charts show "Open" / "进行中" rather
    /// than "open": `.labels({{"open", "Open", "进行中"}, {"won", "Won", "赢单"}})`. A value
    /// without a label is shown as it is.
    Dataset& labels(std::initializer_list<ValueLabel> values) {
        Json l = Json::object();
        for (const auto& v : values) l[std::string(v.value)] = detail::label(v.en, v.zh);
        lastField("labels")["labels"] = std::move(l);
        return *this;
    }
    /// Names for the ids of the field declared last, read from one of the plugin's own tables:
    /// `.lookup("acme_invoices_stages", "id", "name", "name_zh")` shows each stage id as the
    /// stage's name (`labelZhColumn`, when given, for Chinese users; empty values fall back).
    Dataset& lookup(std::string_view table, std::string_view keyColumn, std::string_view labelColumn, std::string_view labelZhColumn = {}) {
        Json l = {{"table", table}, {"key", keyColumn}, {"label", labelColumn}};
        if (!labelZhColumn.empty()) l["label_zh"] = labelZhColumn;
        lastField("lookup")["lookup"] = std::move(l);
        return *this;
    }
    /// Where a row drills down to in the UI, with {column} placeholders: "#/m/hello/greetings/{id}".
    Dataset& drill(std::string_view link) {
        _doc["drill"] = link;
        return *this;
    }

    /// Lets the engine keep its in-memory copy of a table source current without re-reading it:
    /// `keyColumn` is a unique integer that grows with inserts (the id), `updatedColumn` the
    /// row's last-change timestamp. Without `updatedColumn` the table is treated as append-only
    /// (only rows with a larger key are read). Deletions are noticed by a row count. Optional:
    /// a dataset without it is reloaded in full after a write. Hosts that predate it ignore it.
    Dataset& incremental(std::string_view keyColumn, std::string_view updatedColumn = {}) {
        Json r = {{"key", keyColumn}};
        if (!updatedColumn.empty()) r["updated"] = updatedColumn;
        _doc["refresh"] = std::move(r);
        return *this;
    }

    const Json& json() const { return _doc; }

private:
    Json& lastField(const char* what) {
        if (_doc["fields"].empty()) throw std::logic_error(std::string("Dataset::") + what + " applies to the field declared before it");
        return _doc["fields"].back();
    }
    Dataset& field(const char* kind, std::string_view column, std::string_view en, std::string_view zh, FieldType type) {
        _doc["fields"].push_back({{"name", column}, {"kind", kind}, {"type", detail::name(type)}, {"label", detail::label(en, zh)}});
        return *this;
    }
    Json _doc;
};

/// A measure of a dataset, optionally filtered: the building block of KPIs and ratios.
class Measure {
public:
    /// COUNT(*) of the dataset's rows.
    static Measure count() { return Measure(Json{{"aggregate", "count"}}); }
    static Measure of(std::string_view field, Aggregate aggregate) { return Measure(Json{{"field", field}, {"aggregate", detail::name(aggregate)}}); }
    static Measure sum(std::string_view field) { return of(field, Aggregate::Sum); }
    static Measure avg(std::string_view field) { return of(field, Aggregate::Avg); }

    /// Only rows where `field op value`; op is one of = != < <= > >= in.
    Measure& where(std::string_view field, std::string_view op, Json value) {
        if (!_doc.contains("filters")) _doc["filters"] = Json::array();
        _doc["filters"].push_back({{"field", field}, {"op", op}, {"value", std::move(value)}});
        return *this;
    }
    const Json& json() const { return _doc; }

private:
    explicit Measure(Json doc) : _doc(std::move(doc)) {}
    Json _doc;
};

/// A KPI: a measure (or a ratio of two) over a dataset's time field, with how to judge it.
class Kpi {
public:
    explicit Kpi(std::string id) { _doc = {{"id", std::move(id)}, {"unit", "number"}, {"direction", "higher_is_better"}}; }

    Kpi& name(std::string_view en, std::string_view zh) {
        _doc["name"] = detail::label(en, zh);
        return *this;
    }
    Kpi& description(std::string_view en, std::string_view zh) {
        _doc["description"] = detail::label(en, zh);
        return *this;
    }
    Kpi& dataset(std::string_view id) {
        _doc["dataset"] = id;
        return *this;
    }
    Kpi& measure(const Measure& m) {
        _doc["measure"] = m.json();
        _doc.erase("ratio");
        return *this;
    }
    Kpi& count() { return measure(Measure::count()); }
    Kpi& sum(std::string_view field) { return measure(Measure::sum(field)); }
    /// numerator / denominator, e.g. won opportunities / closed opportunities.
    Kpi& ratio(const Measure& numerator, const Measure& denominator) {
        _doc["ratio"] = {{"numerator", numerator.json()}, {"denominator", denominator.json()}};
        _doc.erase("measure");
        return *this;
    }
    /// Filters applied to the whole KPI (both sides of a ratio).
    Kpi& where(std::string_view field, std::string_view op, Json value) {
        if (!_doc.contains("filters")) _doc["filters"] = Json::array();
        _doc["filters"].push_back({{"field", field}, {"op", op}, {"value", std::move(value)}});
        return *this;
    }
    /// The dataset time field periods apply to.
    Kpi& time(std::string_view field) {
        _doc["time"] = field;
        return *this;
    }
    Kpi& unit(Unit u) {
        _doc["unit"] = detail::name(u);
        return *this;
    }
    /// ISO 4217 code for Unit::Currency values ("CNY").
    Kpi& currency(std::string_view code) {
        _doc["currency"] = code;
        return *this;
    }
    Kpi& higherIsBetter() {
        _doc["direction"] = "higher_is_better";
        return *this;
    }
    Kpi& lowerIsBetter() {
        _doc["direction"] = "lower_is_better";
        return *this;
    }
    /// Red/amber/green bands: with higher-is-better, >= good is green, >= warning amber, else red
    /// (mirrored for lower-is-better).
    Kpi& thresholds(double good, double warning) {
        _doc["thresholds"] = {{"good", good}, {"warning", warning}};
        return *this;
    }
    Kpi& decimals(int digits) {
        _doc["decimals"] = digits;
        return *this;
    }

    const Json& json() const { return _doc; }

private:
    Json _doc;
};

/// One widget of a Dashboard on the 12-column grid: a KPI (kpi, gauge, line, bar) or a query of
/// a dataset (bar, line, pie, table, leaderboard, …), as in docs/reporting.md.
class Widget {
public:
    /// `type`: kpi, line, bar, stacked_bar, pie, donut, funnel, gauge, table, heatmap,
    /// leaderboard, scatter.
    Widget(std::string id, std::string_view type) { _doc = {{"id", std::move(id)}, {"type", type}}; }
    Widget& title(std::string_view en, std::string_view zh) {
        _doc["title"] = detail::label(en, zh);
        return *this;
    }
    /// Position and size: x 0..11, w 1..12 (x + w <= 12), h 1..12 rows.
    Widget& at(int x, int y, int w, int h) {
        _doc["x"] = x;
        _doc["y"] = y;
        _doc["w"] = w;
        _doc["h"] = h;
        return *this;
    }
    /// Shows a KPI (its value with delta and sparkline, or its series in a line/bar chart).
    Widget& kpi(std::string_view kpiId) {
        _doc["kpi"] = kpiId;
        return *this;
    }
    /// The series grain of a KPI chart: day, week, month, quarter, year.
    Widget& grain(std::string_view grain) {
        _doc["grain"] = grain;
        return *this;
    }
    /// Aggregates `measures` (field names, or "count") of `dataset` grouped by `dimensions`, the
    /// dashboard's period applied to `timeField` when given.
    Widget& query(std::string_view dataset, std::initializer_list<std::string_view> measures,
                  std::initializer_list<std::string_view> dimensions, int limit = 20, std::string_view timeField = {}) {
        Json q = {{"dataset", dataset}, {"measures", Json::array()}, {"dimensions", Json::array()}, {"limit", limit}};
        for (auto m : measures) q["measures"].push_back(m);
        for (auto d : dimensions) q["dimensions"].push_back(d);
        if (!timeField.empty()) q["time"] = {{"field", timeField}};
        _doc["query"] = std::move(q);
        return *this;
    }
    /// Only rows of the query where `field op value` (after query()).
    Widget& where(std::string_view field, std::string_view op, Json value) {
        if (!_doc.contains("query")) throw std::logic_error("Widget::where applies to the query declared before it");
        if (!_doc["query"].contains("filters")) _doc["query"]["filters"] = Json::array();
        _doc["query"]["filters"].push_back({{"field", field}, {"op", op}, {"value", std::move(value)}});
        return *this;
    }
    const Json& json() const { return _doc; }

private:
    Json _doc;
};

/// A built-in dashboard the plugin ships: listed (in every language) to the users of the
/// departments the plugin is enabled for, read-only, copyable. Its id is listed in the manifest's
/// "dashboards" and starts with the plugin id; it is served as "builtin.<id, '.' -> '_'>".
///
///     declare(Dashboard("hello.overview")
///                 .name("Greetings overview", "问候概览")
///                 .periodFilter("last_12_months").departmentFilter().ownerFilter()
///                 .widget(Widget("count", "kpi").title("Greetings", "问候").at(0, 0, 4, 2).kpi("hello.greetings_count")));
class Dashboard {
public:
    explicit Dashboard(std::string id) { _doc = {{"id", std::move(id)}, {"filters", Json::array()}, {"widgets", Json::array()}}; }
    Dashboard& name(std::string_view en, std::string_view zh) {
        _doc["name"] = detail::label(en, zh);
        return *this;
    }
    Dashboard& description(std::string_view en, std::string_view zh) {
        _doc["description"] = detail::label(en, zh);
        return *this;
    }
    /// The period picker ("this_month", "last_12_months", "this_year", …) applied to every widget.
    Dashboard& periodFilter(std::string_view defaultPeriod = "last_12_months") {
        _doc["filters"].push_back({{"field", "period"}, {"type", "period"}, {"default", defaultPeriod}});
        return *this;
    }
    Dashboard& departmentFilter(std::string_view field = "department_id") {
        _doc["filters"].push_back({{"field", field}, {"type", "department"}});
        return *this;
    }
    Dashboard& ownerFilter(std::string_view field = "owner_id") {
        _doc["filters"].push_back({{"field", field}, {"type", "user"}});
        return *this;
    }
    Dashboard& widget(const Widget& w) {
        _doc["widgets"].push_back(w.json());
        return *this;
    }
    const Json& json() const { return _doc; }

private:
    Json _doc;
};

/// What a scorecard item is measured against.
class Target {
public:
    /// A fixed number in the KPI's unit (0.35 for a 35 % win rate).
    static Target fixed(double value) { return Target(Json{{"type", "fixed"}, {"value", value}}); }
    /// The subject's own value in the previous period, plus `upliftPct` percent.
    static Target lastPeriod(double upliftPct = 0) { return Target(Json{{"type", "last_period"}, {"uplift_pct", upliftPct}}); }
    /// Each subject's figure from a dataset (its owner column matches people): a quota table.
    static Target quota(std::string_view dataset, const Measure& measure, std::string_view timeField) {
        return Target(Json{{"type", "quota"}, {"dataset", dataset}, {"measure", measure.json()}, {"time", timeField}});
    }
    /// Only rows where `field op value`.
    Target& where(std::string_view field, std::string_view op, Json value) {
        if (!_doc.contains("filters")) _doc["filters"] = Json::array();
        _doc["filters"].push_back({{"field", field}, {"op", op}, {"value", std::move(value)}});
        return *this;
    }
    const Json& json() const { return _doc; }

private:
    explicit Target(Json doc) : _doc(std::move(doc)) {}
    Json _doc;
};

/// Whom a scorecard scores.
enum class Subject { User, Team, Department };

/// A scorecard template the plugin ships: KPIs with weights (adding up to 100) and targets,
/// capped linear attainment, RAG bands. Listed in the manifest's "scorecard_templates"; served
/// as "builtin.<id, '.' -> '_'>".
///
///     declare(ScorecardTemplate("hello.greeter")
///                 .name("Greeter", "问候员").subject(Subject::User).subjectRoles({"rep"})
///                 .item("hello.greetings_count", 100, Target::lastPeriod(10)));
class ScorecardTemplate {
public:
    explicit ScorecardTemplate(std::string id) {
        _doc = {{"id", std::move(id)}, {"subject", "user"}, {"items", Json::array()}, {"cap", 1.2}, {"bands", {{"green", 1.0}, {"amber", 0.8}}}};
    }
    ScorecardTemplate& name(std::string_view en, std::string_view zh) {
        _doc["name"] = detail::label(en, zh);
        return *this;
    }
    ScorecardTemplate& description(std::string_view en, std::string_view zh) {
        _doc["description"] = detail::label(en, zh);
        return *this;
    }
    ScorecardTemplate& subject(Subject s) {
        _doc["subject"] = s == Subject::User ? "user" : s == Subject::Team ? "team" : "department";
        if (s != Subject::User) _doc.erase("subject_roles");
        return *this;
    }
    /// People templates: score only holders of these roles (unless a request names others).
    ScorecardTemplate& subjectRoles(std::initializer_list<std::string_view> roles) {
        _doc["subject_roles"] = Json::array();
        for (auto r : roles) _doc["subject_roles"].push_back(r);
        return *this;
    }
    ScorecardTemplate& item(std::string_view kpiId, double weight, const Target& target) {
        _doc["items"].push_back({{"kpi", kpiId}, {"weight", weight}, {"target", target.json()}});
        return *this;
    }
    /// The highest attainment counted (1.2 = 120 %).
    ScorecardTemplate& cap(double c) {
        _doc["cap"] = c;
        return *this;
    }
    /// Attainment at or above `green` is green, at or above `amber` amber, else red.
    ScorecardTemplate& bands(double green, double amber) {
        _doc["bands"] = {{"green", green}, {"amber", amber}};
        return *this;
    }
    const Json& json() const { return _doc; }

private:
    Json _doc;
};

namespace detail {
/// Calls an ABI 1.1 declaration, or says plainly that this host predates it (a plugin built
/// for 1.1 is normally refused by a 1.0 host before init; this covers one that lowered its
/// descriptor's abi_minor to run on both).
template <class Fn>
void declare11(const atrium_host_api* api, bool present, const char* member, Fn fn, const Json& doc) {
    if (!present)
        throw Error(ATRIUM_E_UNSUPPORTED, std::string("this host is too old: declaring ") + member + " needs SDK ABI 1.1 (the host provides " +
                                              std::to_string(api->abi_major) + "." + std::to_string(api->abi_minor) + "); upgrade Atrium");
    const std::string text = doc.dump();
    ErrorBuffer eb;
    check(fn(api->host, text.data(), text.size(), eb.get()), eb);
}
inline void declareDashboard(const atrium_host_api* api, const Dashboard& d) {
    const bool present = ATRIUM_HAS_MEMBER(api, atrium_host_api, dashboard_declare);
    declare11(api, present, "dashboards", present ? api->dashboard_declare : nullptr, d.json());
}
inline void declareScorecardTemplate(const atrium_host_api* api, const ScorecardTemplate& t) {
    const bool present = ATRIUM_HAS_MEMBER(api, atrium_host_api, scorecard_template_declare);
    declare11(api, present, "scorecard templates", present ? api->scorecard_template_declare : nullptr, t.json());
}
} // namespace detail

} // namespace atrium::sdk
