#pragma once
// Builders for the dataset and KPI documents the reporting engine consumes. The JSON they
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

} // namespace atrium::sdk
