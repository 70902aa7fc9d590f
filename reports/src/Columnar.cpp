#include "Columnar.h"

#include "Dates.h"
#include "Engine.h"
#include "identity/Principal.h"
#include "store/Dialect.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <set>
#include <unordered_set>

namespace atrium::reports::columnar {

using store::Value;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kMaxAge = std::chrono::minutes(10);       // same as the result cache's TTL
constexpr auto kRefuseAfterFailure = std::chrono::seconds(30);
constexpr auto kRefuseOverBudget = std::chrono::seconds(120);
constexpr std::int64_t kWatermarkSlackSeconds = 300;     // re-read rows a late-committing writer touched
constexpr std::size_t kDense = std::size_t{1} << 22;    // dense lookup tables up to this many slots

Column::Kind kindOf(const std::string& type) {
    if (type == "text") return Column::Kind::Text;
    if (type == "date" || type == "datetime") return Column::Kind::Day;
    if (type == "integer" || type == "boolean") return Column::Kind::I32;
    return Column::Kind::F64;
}

/// Day number of 'YYYY-MM-DD…'; kNull when the text is not a date.
std::int32_t dayOf(const std::string& s) {
    if (s.size() < 10 || s[4] != '-' || s[7] != '-') return Column::kNull;
    auto digits = [&](std::size_t from, std::size_t n) {
        int v = 0;
        for (std::size_t i = from; i < from + n; ++i) {
            if (s[i] < '0' || s[i] > '9') return -1;
            v = v * 10 + (s[i] - '0');
        }
        return v;
    };
    const int y = digits(0, 4), m = digits(5, 2), d = digits(8, 2);
    if (y < 0 || m < 1 || m > 12 || d < 1 || d > 31) return Column::kNull;
    const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                                          std::chrono::day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return Column::kNull;
    return static_cast<std::int32_t>(std::chrono::sys_days{ymd}.time_since_epoch().count());
}

void promote(Column& c) {
    c.f64.resize(c.i32.size());
    for (std::size_t i = 0; i < c.i32.size(); ++i)
        c.f64[i] = c.i32[i] == Column::kNull ? std::numeric_limits<double>::quiet_NaN() : c.i32[i];
    c.i32.clear();
    c.i32.shrink_to_fit();
    c.kind = Column::Kind::F64;
}

/// Writes `v` into row `row` of `c` (row == size: append).
void put(Column& c, std::size_t row, const Value& v) {
    const bool append = row == (c.kind == Column::Kind::F64 ? c.f64.size() : c.kind == Column::Kind::Text ? c.code.size() : c.i32.size());
    switch (c.kind) {
    case Column::Kind::I32: {
        std::int32_t x = Column::kNull;
        if (!store::isNull(v)) {
            const double d = store::asDouble(v, std::numeric_limits<double>::quiet_NaN());
            if (std::isnan(d)) {
                x = Column::kNull;
            } else if (d != std::floor(d) || d <= static_cast<double>(INT32_MIN) || d > static_cast<double>(INT32_MAX)) {
                promote(c);
                put(c, row, v);
                return;
            } else {
                x = static_cast<std::int32_t>(d);
            }
        }
        if (append) c.i32.push_back(x);
        else c.i32[row] = x;
        return;
    }
    case Column::Kind::F64: {
        const double d = store::isNull(v) ? std::numeric_limits<double>::quiet_NaN()
                                          : store::asDouble(v, std::numeric_limits<double>::quiet_NaN());
        if (append) c.f64.push_back(d);
        else c.f64[row] = d;
        return;
    }
    case Column::Kind::Day: {
        const std::int32_t d = store::isNull(v) ? Column::kNull : dayOf(store::asText(v));
        if (append) c.i32.push_back(d);
        else c.i32[row] = d;
        return;
    }
    case Column::Kind::Text: {
        std::uint32_t code = 0;
        if (!store::isNull(v)) {
            auto text = store::asText(v);
            auto it = c.dictIndex.find(text);
            if (it == c.dictIndex.end()) {
                c.dict.push_back(text);
                it = c.dictIndex.emplace(std::move(text), static_cast<std::uint32_t>(c.dict.size())).first;
            }
            code = it->second;
        }
        if (append) c.code.push_back(code);
        else c.code[row] = code;
        return;
    }
    }
}

/// A set of integer ids (department ids, owner ids): dense when small.
struct IdSet {
    std::vector<std::uint8_t> dense;
    std::unordered_set<std::int64_t> sparse;
    void insert(std::int64_t id) {
        if (id >= 0 && static_cast<std::size_t>(id) < kDense) {
            if (dense.size() <= static_cast<std::size_t>(id)) dense.resize(static_cast<std::size_t>(id) + 1, 0);
            dense[static_cast<std::size_t>(id)] = 1;
        } else {
            sparse.insert(id);
        }
    }
    bool contains(double v) const {
        if (std::isnan(v)) return false;
        const auto id = static_cast<std::int64_t>(v);
        if (id >= 0 && static_cast<std::size_t>(id) < dense.size()) return dense[static_cast<std::size_t>(id)] != 0;
        return !sparse.empty() && sparse.count(id);
    }
};

using Pred = std::function<bool(std::size_t)>;

/// Drops dictionary entries no row uses any more (after updates), renumbering the codes.
void compact(Column& c) {
    std::vector<std::uint32_t> remap(c.dict.size() + 1, 0);
    for (auto code : c.code) remap[code] = 1;
    std::size_t live = 0;
    for (std::size_t i = 1; i < remap.size(); ++i) live += remap[i];
    if (live == c.dict.size()) return;
    std::vector<std::string> dict;
    dict.reserve(live);
    for (std::size_t i = 1; i < remap.size(); ++i)
        if (remap[i]) {
            dict.push_back(std::move(c.dict[i - 1]));
            remap[i] = static_cast<std::uint32_t>(dict.size());
        }
    for (auto& code : c.code) code = remap[code];
    c.dict = std::move(dict);
    c.dictIndex.clear();
    for (std::size_t i = 0; i < c.dict.size(); ++i) c.dictIndex.emplace(c.dict[i], static_cast<std::uint32_t>(i + 1));
}

std::string lowerAscii(std::string s) {
    for (auto& ch : s)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    return s;
}

bool isDateText(const Json& v) { return v.is_string() && v.get<std::string>().size() == 10 && dayOf(v.get<std::string>()) != Column::kNull; }

/// A filter as a row predicate with the SQL's meaning, or nullopt when the columnar path
/// cannot promise that meaning (the caller then runs the SQL).
std::optional<Pred> compileFilter(const Table& t, const Filter& f) {
    const Column* c = t.column(f.field);
    if (!c) return std::nullopt;
    const auto& op = f.op;
    if (c->kind == Column::Kind::Text) {
        if (c->ambiguous) return std::nullopt;
        // Under a collation ('Won' = 'won', 'é' = 'e', trailing spaces ignored) a value that is
        // byte-equal to a dictionary entry matches exactly that entry (entries do not collide,
        // else the column is ambiguous); a value equal to none may still match one: SQL decides.
        auto present = [&](const Json& v) { return !c->collationSensitive || c->dictIndex.count(v.get<std::string>()); };
        auto match = std::make_shared<std::vector<std::uint8_t>>(c->dict.size() + 1, 0);
        if ((op == "=" || op == "!=") && f.value.is_null()) {
            (*match)[0] = op == "=" ? 1 : 0;
            for (std::size_t i = 1; i <= c->dict.size(); ++i) (*match)[i] = op == "=" ? 0 : 1;
        } else if (op == "=" || op == "!=") {
            if (!f.value.is_string() || !present(f.value)) return std::nullopt;
            const auto& s = f.value.get_ref<const std::string&>();
            for (std::size_t i = 0; i < c->dict.size(); ++i) (*match)[i + 1] = (c->dict[i] == s) == (op == "=");
        } else if (op == "in") {
            std::set<std::string> values;
            for (const auto& v : f.value) {
                if (!v.is_string() || !present(v)) return std::nullopt;
                values.insert(v.get<std::string>());
            }
            for (std::size_t i = 0; i < c->dict.size(); ++i) (*match)[i + 1] = values.count(c->dict[i]) ? 1 : 0;
        } else if (op == "contains") {
            const auto needle = lowerAscii(f.value.get<std::string>());
            if (c->collationSensitive) {
                // ASCII case folding is what the collation does only when everything is ASCII.
                auto ascii = [](const std::string& x) { return std::all_of(x.begin(), x.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x80; }); };
                if (!ascii(needle)) return std::nullopt;
                for (const auto& e : c->dict)
                    if (!ascii(e)) return std::nullopt;
            }
            for (std::size_t i = 0; i < c->dict.size(); ++i)
                (*match)[i + 1] = lowerAscii(c->dict[i]).find(needle) != std::string::npos ? 1 : 0;
        } else {
            return std::nullopt; // ordering on text follows the database's collation
        }
        const auto* code = c->code.data();
        return Pred([match, code](std::size_t r) { return (*match)[code[r]] != 0; });
    }
    if (c->kind == Column::Kind::Day) {
        // Only where day numbers give exactly the SQL's answer: any comparison on a DATE, and
        // the half-open day bounds on a DATETIME.
        auto dayValue = [](const Json& v) { return dayOf(v.get<std::string>()); };
        const bool isDate = c->type == "date";
        const auto* d = c->i32.data();
        if ((op == "=" || op == "!=") && f.value.is_null())
            return Pred([d, eq = op == "="](std::size_t r) { return (d[r] == Column::kNull) == eq; });
        if (op == "in") {
            if (!isDate) return std::nullopt;
            auto set = std::make_shared<std::set<std::int32_t>>();
            for (const auto& v : f.value) {
                if (!isDateText(v)) return std::nullopt;
                set->insert(dayValue(v));
            }
            return Pred([d, set](std::size_t r) { return d[r] != Column::kNull && set->count(d[r]); });
        }
        if (op == "between") {
            if (!isDate || !isDateText(f.value[0]) || !isDateText(f.value[1])) return std::nullopt;
            const auto lo = dayValue(f.value[0]), hi = dayValue(f.value[1]);
            return Pred([d, lo, hi](std::size_t r) { return d[r] != Column::kNull && d[r] >= lo && d[r] <= hi; });
        }
        if (!isDateText(f.value) || op == "contains") return std::nullopt;
        if (!isDate && op != ">=" && op != "<") return std::nullopt;
        const auto x = dayValue(f.value);
        if (op == "=") return Pred([d, x](std::size_t r) { return d[r] == x; });
        if (op == "!=") return Pred([d, x](std::size_t r) { return d[r] != Column::kNull && d[r] != x; });
        if (op == "<") return Pred([d, x](std::size_t r) { return d[r] != Column::kNull && d[r] < x; });
        if (op == "<=") return Pred([d, x](std::size_t r) { return d[r] != Column::kNull && d[r] <= x; });
        if (op == ">") return Pred([d, x](std::size_t r) { return d[r] != Column::kNull && d[r] > x; });
        if (op == ">=") return Pred([d, x](std::size_t r) { return d[r] != Column::kNull && d[r] >= x; });
        return std::nullopt;
    }
    // Numbers.
    auto number = [](const Json& v) -> std::optional<double> {
        if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
        if (v.is_number()) return v.get<double>();
        return std::nullopt;
    };
    const Column* col = c;
    if ((op == "=" || op == "!=") && f.value.is_null())
        return Pred([col, eq = op == "="](std::size_t r) { return col->null(r) == eq; });
    if (op == "in") {
        auto set = std::make_shared<std::set<double>>();
        for (const auto& v : f.value) {
            auto x = number(v);
            if (!x) return std::nullopt;
            set->insert(*x);
        }
        return Pred([col, set](std::size_t r) {
            const double v = col->number(r);
            return !std::isnan(v) && set->count(v);
        });
    }
    if (op == "between") {
        auto lo = number(f.value[0]), hi = number(f.value[1]);
        if (!lo || !hi) return std::nullopt;
        return Pred([col, lo = *lo, hi = *hi](std::size_t r) {
            const double v = col->number(r);
            return v >= lo && v <= hi; // NaN compares false
        });
    }
    if (op == "contains") return std::nullopt;
    auto x = number(f.value);
    if (!x) return std::nullopt;
    const double k = *x;
    if (op == "=") return Pred([col, k](std::size_t r) { return col->number(r) == k; });
    if (op == "!=") return Pred([col, k](std::size_t r) {
        const double v = col->number(r);
        return !std::isnan(v) && v != k;
    });
    if (op == "<") return Pred([col, k](std::size_t r) { return col->number(r) < k; });
    if (op == "<=") return Pred([col, k](std::size_t r) { return col->number(r) <= k; });
    if (op == ">") return Pred([col, k](std::size_t r) { return col->number(r) > k; });
    if (op == ">=") return Pred([col, k](std::size_t r) { return col->number(r) >= k; });
    return std::nullopt;
}

Json typed(double v, const std::string& type) {
    if (type == "integer" || type == "boolean") return static_cast<std::int64_t>(v);
    return tidy(v);
}

/// Group codes of one grouping column over the selected rows, and the JSON of each code.
struct GroupColumn {
    std::vector<std::uint32_t> codes; ///< per selected row; 0 = NULL
    std::vector<Json> values;         ///< code - 1 -> output value
};

} // namespace

// ---- Column / Table --------------------------------------------------------------------------

bool Column::null(std::size_t row) const {
    switch (kind) {
    case Kind::I32:
    case Kind::Day: return i32[row] == kNull;
    case Kind::F64: return std::isnan(f64[row]);
    case Kind::Text: return code[row] == 0;
    }
    return true;
}

double Column::number(std::size_t row) const {
    if (kind == Kind::F64) return f64[row];
    if (kind == Kind::I32) return i32[row] == kNull ? std::numeric_limits<double>::quiet_NaN() : i32[row];
    return std::numeric_limits<double>::quiet_NaN();
}

std::size_t Column::bytes() const {
    std::size_t b = i32.capacity() * 4 + f64.capacity() * 8 + code.capacity() * 4;
    for (const auto& s : dict) b += s.capacity() * 2 + 64; // string + index entry
    return b;
}

const Column* Table::column(const std::string& name) const {
    auto it = index.find(name);
    return it == index.end() ? nullptr : &columns[it->second];
}

std::size_t Table::bytes() const {
    std::size_t b = keys.capacity() * 8;
    for (const auto& c : columns) b += c.bytes();
    return b;
}

// ---- Store -----------------------------------------------------------------------------------

Store::Store(store::DatabasePtr db, Options options) : _db(std::move(db)), _options(options) {}

std::shared_ptr<Store::Entry> Store::entry(const std::string& id) {
    std::lock_guard lock(_mutex);
    auto& e = _entries[id];
    if (!e) e = std::make_shared<Entry>();
    return e;
}

void Store::drop(const std::string& id) {
    std::shared_ptr<Entry> e;
    {
        std::lock_guard lock(_mutex);
        auto it = _entries.find(id);
        if (it == _entries.end()) return;
        e = it->second;
        _entries.erase(it);
    }
}

void Store::clear() {
    std::lock_guard lock(_mutex);
    _entries.clear();
}

namespace {
/// The columns a dataset's table holds: declared fields, then scope columns not declared.
std::vector<std::pair<std::string, std::string>> tableColumns(const Dataset& ds) {
    std::vector<std::pair<std::string, std::string>> cols;
    std::set<std::string> seen;
    for (const auto& f : ds.fields)
        if (seen.insert(f.name).second) cols.emplace_back(f.name, f.type);
    for (const auto* c : {&ds.ownerColumn, &ds.departmentColumn})
        if (!c->empty() && seen.insert(*c).second) cols.emplace_back(*c, "integer");
    return cols;
}

std::string selectList(const Dataset& ds, const std::vector<std::pair<std::string, std::string>>& cols) {
    std::string s = "SELECT ";
    for (std::size_t i = 0; i < cols.size(); ++i) s += (i ? ", " : "") + Dataset::col(cols[i].first);
    if (!ds.refreshKey.empty()) s += ", " + Dataset::col(ds.refreshKey);
    if (!ds.refreshUpdated.empty()) s += ", " + Dataset::col(ds.refreshUpdated);
    return s + " FROM " + ds.from;
}

std::string formatSeconds(std::int64_t secs) {
    const auto day = static_cast<std::int32_t>(secs >= 0 ? secs / 86400 : (secs - 86399) / 86400);
    const auto rest = secs - static_cast<std::int64_t>(day) * 86400;
    char buf[16];
    std::snprintf(buf, sizeof buf, " %02d:%02d:%02d", static_cast<int>(rest / 3600), static_cast<int>(rest / 60 % 60),
                  static_cast<int>(rest % 60));
    return dates::format(dates::Date{std::chrono::days{day}}) + buf;
}

/// The watermark moved back by the slack, as 'YYYY-MM-DD HH:MM:SS'.
std::string lowWatermark(const std::string& w) {
    const auto day = dayOf(w);
    if (day == Column::kNull) return "0000-01-01 00:00:00";
    int h = 0, m = 0, s = 0;
    if (w.size() >= 19) std::sscanf(w.c_str() + 11, "%d:%d:%d", &h, &m, &s);
    return formatSeconds(static_cast<std::int64_t>(day) * 86400 + h * 3600 + m * 60 + s - kWatermarkSlackSeconds);
}

/// Appends (row == rows) or overwrites one row of `t` from the statement's current row.
void storeRow(Table& t, store::Statement& st, std::size_t row, bool keyed, bool updated) {
    const int n = static_cast<int>(t.columns.size());
    for (int i = 0; i < n; ++i) put(t.columns[static_cast<std::size_t>(i)], row, st.column(i));
    if (updated) {
        auto v = st.column(n + (keyed ? 1 : 0));
        if (!store::isNull(v)) {
            auto w = store::asText(v);
            if (w > t.watermark) t.watermark = std::move(w);
        }
    }
}
} // namespace

std::shared_ptr<Table> Store::loadFull(const Dataset& ds, std::uint64_t generation) {
    const auto started = Clock::now();
    auto t = std::make_shared<Table>();
    t->dataset = ds.id;
    const auto cols = tableColumns(ds);
    std::size_t perRow = ds.refreshKey.empty() ? 0 : 8;
    for (const auto& [name, type] : cols) {
        t->index[name] = t->names.size();
        t->names.push_back(name);
        Column c;
        c.type = type;
        c.kind = kindOf(type);
        c.collationSensitive = c.kind == Column::Kind::Text && _db->dialect().backend() == store::Backend::Mysql;
        perRow += c.kind == Column::Kind::F64 ? 8 : 4;
        t->columns.push_back(std::move(c));
    }
    auto conn = _db->acquire();
    std::int64_t expected = 0;
    {
        auto st = conn->prepare("SELECT COUNT(*) FROM " + ds.from);
        if (st->step()) expected = store::asInt(st->column(0));
    }
    const std::size_t estimate = static_cast<std::size_t>(expected) * perRow;
    if (estimate > _options.memoryBudget) throw std::length_error("needs about " + std::to_string(estimate >> 20) + " MB");
    makeRoom(estimate, ds.id);
    for (auto& c : t->columns) {
        if (c.kind == Column::Kind::F64) c.f64.reserve(static_cast<std::size_t>(expected));
        else if (c.kind == Column::Kind::Text) c.code.reserve(static_cast<std::size_t>(expected));
        else c.i32.reserve(static_cast<std::size_t>(expected));
    }
    const bool keyed = !ds.refreshKey.empty(), updated = !ds.refreshUpdated.empty();
    const auto base = selectList(ds, cols);
    const int keyIndex = static_cast<int>(cols.size());
    if (keyed) {
        t->keys.reserve(static_cast<std::size_t>(expected));
        // Read by key ranges: the client never buffers more than a chunk (Connector/C++ keeps a
        // whole result in memory), and the keys come out sorted.
        std::int64_t after = std::numeric_limits<std::int64_t>::min();
        const auto sql = base + " WHERE " + Dataset::col(ds.refreshKey) + " > ? ORDER BY " + Dataset::col(ds.refreshKey) +
                         " LIMIT " + std::to_string(_options.chunkRows);
        for (;;) {
            auto st = conn->prepare(sql);
            st->bind(1, after);
            std::size_t got = 0;
            while (st->step()) {
                const auto key = store::asInt(st->column(keyIndex));
                storeRow(*t, *st, t->rows, keyed, updated);
                t->keys.push_back(key);
                ++t->rows;
                ++got;
                after = key;
            }
            if (got < _options.chunkRows) break;
        }
    } else {
        auto st = conn->prepare(base);
        while (st->step()) {
            storeRow(*t, *st, t->rows, keyed, updated);
            ++t->rows;
        }
    }
    checkCollation(*conn, ds, *t);
    t->generation = generation;
    t->loadedAt = t->refreshedAt = Clock::now();
    t->touch();
    t->loadMs = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    Poco::Logger::get("atrium.reports").information("columnar: loaded %s, %z rows, %z MB in %.0f ms", ds.id, t->rows,
                                                    t->bytes() >> 20, t->loadMs);
    return t;
}

bool Store::refreshIncremental(Entry& e, const Dataset& ds, std::uint64_t generation, bool countCheck) {
    std::shared_ptr<Table> t;
    {
        std::shared_lock r(e.rw);
        t = e.table;
    }
    if (!t || ds.refreshKey.empty() || !ds.fromTable) return false; // only table sources
    if (Clock::now() - t->loadedAt > _options.fullReloadAfter) return false;
    const bool updated = !ds.refreshUpdated.empty();
    const auto cols = tableColumns(ds);
    if (cols.size() != t->columns.size()) return false;
    const int keyIndex = static_cast<int>(cols.size());

    // Read what changed (outside the table's lock: readers go on with the old rows).
    auto conn = _db->acquire();
    std::string sql = selectList(ds, cols) + " WHERE " +
                      (updated ? Dataset::col(ds.refreshUpdated) + " >= ?" : Dataset::col(ds.refreshKey) + " > ?") +
                      " ORDER BY " + Dataset::col(ds.refreshKey);
    auto st = conn->prepare(sql);
    if (updated) st->bind(1, Value{lowWatermark(t->watermark)});
    else st->bind(1, Value{t->keys.empty() ? std::numeric_limits<std::int64_t>::min() : t->keys.back()});
    std::vector<std::vector<Value>> changed;
    const int width = keyIndex + 1 + (updated ? 1 : 0);
    while (st->step()) {
        std::vector<Value> row;
        row.reserve(static_cast<std::size_t>(width));
        for (int i = 0; i < width; ++i) row.push_back(st->column(i));
        changed.push_back(std::move(row));
        if (changed.size() > t->rows / 5 + 1000) return false; // a bulk change: reload instead
    }
    std::int64_t count = -1;
    if (countCheck) {
        auto c = conn->prepare("SELECT COUNT(*) FROM " + ds.from);
        if (c->step()) count = store::asInt(c->column(0));
    }
    // Only this thread (holding the entry's refresh mutex) changes the keys: safe to read here.
    std::size_t added = 0;
    for (const auto& row : changed) {
        const auto key = store::asInt(row[static_cast<std::size_t>(keyIndex)]);
        if (!std::binary_search(t->keys.begin(), t->keys.end(), key)) ++added;
    }
    // Fewer rows than expected: some were deleted. Read every key (one integer column, ordered)
    // and drop the rows whose key is gone, rather than reloading every column.
    std::vector<std::int64_t> liveKeys;
    const bool deletions = count >= 0 && count < static_cast<std::int64_t>(t->rows + added);
    if (deletions) {
        liveKeys.reserve(static_cast<std::size_t>(count));
        auto k = conn->prepare("SELECT " + Dataset::col(ds.refreshKey) + " FROM " + ds.from + " ORDER BY " + Dataset::col(ds.refreshKey));
        while (k->step()) liveKeys.push_back(store::asInt(k->column(0)));
        if (static_cast<std::int64_t>(liveKeys.size()) != count) return false; // changed meanwhile: reload
    }

    std::unique_lock w(e.rw);
    if (e.table != t) return false;
    std::vector<std::size_t> dictSizes;
    for (const auto& c : t->columns) dictSizes.push_back(c.dict.size());
    for (const auto& row : changed) {
        const auto key = store::asInt(row[static_cast<std::size_t>(keyIndex)]);
        auto it = std::lower_bound(t->keys.begin(), t->keys.end(), key);
        std::size_t at;
        if (it != t->keys.end() && *it == key) {
            at = static_cast<std::size_t>(it - t->keys.begin());
        } else if (it == t->keys.end()) {
            at = t->rows;
            t->keys.push_back(key);
            ++t->rows;
        } else {
            return false; // a key inside the loaded range appeared: keys must stay sorted, reload
        }
        for (std::size_t i = 0; i < t->columns.size(); ++i) put(t->columns[i], at, row[i]);
        if (updated && !store::isNull(row.back())) {
            auto wm = store::asText(row.back());
            if (wm > t->watermark) t->watermark = std::move(wm);
        }
    }
    if (deletions) {
        // Both key lists are ascending: one merge walk finds the rows to drop.
        std::vector<std::uint8_t> keep(t->rows, 1);
        std::size_t j = 0, dropped = 0;
        for (std::size_t i = 0; i < t->rows; ++i) {
            while (j < liveKeys.size() && liveKeys[j] < t->keys[i]) return false; // a key the table lacks: reload
            if (j < liveKeys.size() && liveKeys[j] == t->keys[i]) ++j;
            else {
                keep[i] = 0;
                ++dropped;
            }
        }
        if (j != liveKeys.size()) return false;
        if (dropped) {
            auto squeeze = [&](auto& v) {
                if (v.empty()) return;
                std::size_t out = 0;
                for (std::size_t i = 0; i < keep.size(); ++i)
                    if (keep[i]) v[out++] = v[i];
                v.resize(out);
            };
            for (auto& c : t->columns) {
                squeeze(c.i32);
                squeeze(c.f64);
                squeeze(c.code);
            }
            squeeze(t->keys);
            t->rows -= dropped;
            t->deletedRows += dropped;
        }
    }
    if (count >= 0 && static_cast<std::int64_t>(t->rows) != count) return false; // still off: reload
    bool grew = false;
    for (std::size_t i = 0; i < t->columns.size(); ++i) {
        auto& col = t->columns[i];
        if (!col.collationSensitive || (changed.empty() && !deletions)) continue;
        if (col.dict.size() != dictSizes[i]) grew = true;
        compact(col); // values updated away must not answer for a filter value
    }
    if (grew) checkCollation(*conn, ds, *t);
    t->generation = generation;
    t->refreshedAt = Clock::now();
    ++t->incrementalRefreshes;
    return true;
}

void Store::checkCollation(store::Connection& c, const Dataset& ds, Table& t) {
    std::string sql;
    std::vector<std::size_t> text;
    for (std::size_t i = 0; i < t.columns.size(); ++i)
        if (t.columns[i].collationSensitive) {
            sql += (sql.empty() ? "SELECT " : ", ") + std::string("COUNT(DISTINCT ") + Dataset::col(t.names[i]) + ")";
            text.push_back(i);
        }
    if (text.empty()) return;
    auto st = c.prepare(sql + " FROM " + ds.from);
    if (!st->step()) return;
    for (std::size_t k = 0; k < text.size(); ++k) {
        auto& col = t.columns[text[k]];
        // COUNT(DISTINCT) compares under the collation; fewer than the byte-distinct values
        // means some of them are "equal" to the database.
        col.ambiguous = static_cast<std::size_t>(store::asInt(st->column(static_cast<int>(k)))) != col.dict.size();
        if (col.ambiguous)
            Poco::Logger::get("atrium.reports").information("columnar: %s.%s has values equal under the collation; SQL groups it", ds.id, t.names[text[k]]);
    }
}

void Store::makeRoom(std::size_t bytes, const std::string& except) {
    std::vector<std::pair<std::int64_t, std::shared_ptr<Entry>>> others;
    std::size_t used = 0;
    {
        std::lock_guard lock(_mutex);
        for (auto& [id, e] : _entries) {
            if (id == except) continue;
            std::shared_lock r(e->rw, std::try_to_lock);
            if (!r.owns_lock() || !e->table) continue;
            used += e->table->bytes();
            others.emplace_back(e->table->usedAt.load(), e);
        }
    }
    std::sort(others.begin(), others.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [_, e] : others) {
        if (used + bytes <= _options.memoryBudget) break;
        std::unique_lock w(e->rw, std::try_to_lock);
        if (!w.owns_lock() || !e->table) continue;
        used -= std::min(used, e->table->bytes());
        Poco::Logger::get("atrium.reports").information("columnar: evicted %s to make room", e->table->dataset);
        e->table.reset();
    }
}

bool Store::ensure(Entry& e, const Dataset& ds, std::uint64_t generation, std::optional<Clock::time_point> quarantineEnd) {
    // Inside a quarantine (a write announced from inside its transaction, commit pending) a
    // table is never trusted as it stands: a keyed one re-reads what changed on every query,
    // an unkeyed one leaves the query to SQL. The first query after the quarantine refreshes
    // once more, with the deletion check.
    const bool quarantined = quarantineEnd && Clock::now() < *quarantineEnd;
    if (quarantined && ds.refreshKey.empty()) return false;
    auto fresh = [&] {
        const auto now = Clock::now();
        return !quarantined && e.table && e.table->generation == generation && now - e.table->refreshedAt < kMaxAge &&
               !(e.table->recheckAt && now >= *e.table->recheckAt);
    };
    auto stamp = [&](Table& t) {
        t.recheckAt.reset();
        if (quarantined) t.recheckAt = *quarantineEnd;
    };
    {
        std::shared_lock r(e.rw);
        if (fresh()) return true;
    }
    std::lock_guard loader(e.refresh);
    {
        std::shared_lock r(e.rw);
        if (fresh()) return true;
        if (Clock::now() < e.refusedUntil) return false;
    }
    auto& log = Poco::Logger::get("atrium.reports");
    try {
        {
            bool ok = false;
            {
                std::shared_lock r(e.rw);
                // A write, a recheck after one, or age (writes nobody announced): the cheap way first.
                ok = e.table != nullptr;
            }
            if (ok && refreshIncremental(e, ds, generation, true)) { // deletions count even inside a quarantine
                {
                    std::unique_lock w(e.rw);
                    if (e.table) stamp(*e.table);
                }
                std::lock_guard lock(_mutex);
                ++_incremental;
                return true;
            }
        }
        if (quarantined) {
            std::shared_lock r(e.rw);
            if (e.table) return false; // not a reload now: SQL until the quarantine ends
        }
        auto t = loadFull(ds, generation);
        stamp(*t);
        std::unique_lock w(e.rw);
        e.table = std::move(t);
        std::lock_guard lock(_mutex);
        ++_fullLoads;
        return true;
    } catch (const std::length_error& x) {
        std::unique_lock w(e.rw);
        e.table.reset();
        e.refusedUntil = Clock::now() + kRefuseOverBudget;
        e.refusal = std::string("over the memory budget: ") + x.what();
        log.information("columnar: %s stays in SQL (%s)", ds.id, e.refusal);
    } catch (const std::exception& x) {
        std::unique_lock w(e.rw);
        e.table.reset();
        e.refusedUntil = Clock::now() + kRefuseAfterFailure;
        e.refusal = x.what();
        log.warning("columnar: cannot load %s: %s", ds.id, e.refusal);
    }
    return false;
}

std::optional<Rows> Store::aggregate(const identity::Principal& p, const Dataset& ds, const Query& q,
                                     const std::vector<std::string>& types, std::uint64_t generation,
                                     std::optional<Clock::time_point> quarantineEnd) {
    if (!_options.enabled) return std::nullopt;
    // A query source is run as the database runs it, filtered by the period: reading all of it
    // can cost far more (a correlated subquery per row) than the filtered query ever does.
    if (!ds.fromTable) return std::nullopt;
    // Cheap refusals before any loading.
    if ((q.scope.ownerId || q.scope.ownerInSet) && ds.ownerColumn.empty()) return std::nullopt;
    for (const auto& m : q.measures) {
        const auto* f = m.field.empty() ? nullptr : ds.field(m.field);
        if (f && m.aggregate != "count" && m.aggregate != "count_distinct" && !f->numeric()) return std::nullopt;
    }
    for (const auto& d : q.dimensions) {
        const auto* f = ds.field(d);
        if (f && f->type == "datetime") return std::nullopt; // SQL groups by the full timestamp
    }
    auto e = entry(ds.id);
    if (!ensure(*e, ds, generation, quarantineEnd)) {
        std::lock_guard lock(_mutex);
        ++_declined;
        return std::nullopt;
    }
    std::shared_lock r(e->rw);
    if (!e->table) return std::nullopt;
    const Table& t = *e->table;
    t.touch();
    const std::size_t n = t.rows;

    // ---- row selection: record scope, trusted scope filters, filters, period -----------------
    std::vector<Pred> preds;
    const Column* owner = ds.ownerColumn.empty() ? nullptr : t.column(ds.ownerColumn);
    const Column* dept = ds.departmentColumn.empty() ? nullptr : t.column(ds.departmentColumn);
    std::optional<IdSet> usersDept; // owner -> department, when the dataset has no department column
    std::vector<std::pair<std::int64_t, std::string>> departments;
    auto loadDepartments = [&] {
        if (!departments.empty()) return;
        auto c = _db->acquire();
        for (auto& row : c->queryAll("SELECT id, path FROM departments")) departments.emplace_back(store::asInt(row[0]), store::asText(row[1]));
    };
    std::unordered_map<std::int64_t, std::int64_t> ownerDepartment;
    auto departmentOf = [&]() -> std::function<double(std::size_t)> {
        if (dept) return [dept](std::size_t row) { return dept->number(row); };
        if (!owner) return [](std::size_t) { return std::numeric_limits<double>::quiet_NaN(); };
        if (ownerDepartment.empty()) {
            auto c = _db->acquire();
            for (auto& row : c->queryAll("SELECT id, department_id FROM users WHERE department_id IS NOT NULL"))
                ownerDepartment[store::asInt(row[0])] = store::asInt(row[1]);
        }
        return [owner, &ownerDepartment](std::size_t row) {
            const double o = owner->number(row);
            if (std::isnan(o)) return std::numeric_limits<double>::quiet_NaN();
            auto it = ownerDepartment.find(static_cast<std::int64_t>(o));
            return it == ownerDepartment.end() ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(it->second);
        };
    };
    auto subtree = [&](const std::string& prefix) {
        loadDepartments();
        auto set = std::make_shared<IdSet>();
        for (const auto& [id, path] : departments)
            if (path.compare(0, prefix.size(), prefix) == 0) set->insert(id);
        return set;
    };
    bool none = false;
    if (!ds.scopePermission.empty()) {
        const auto uid = static_cast<double>(p.userId);
        switch (p.scope(ds.scopePermission)) {
        case identity::Scope::All: break;
        case identity::Scope::Department:
            if (!p.departmentPath.empty()) {
                auto allowed = subtree(p.departmentPath);
                auto deptOf = departmentOf();
                preds.push_back([owner, uid, allowed, deptOf](std::size_t row) {
                    return (owner && owner->number(row) == uid) || allowed->contains(deptOf(row));
                });
                break;
            }
            [[fallthrough]];
        case identity::Scope::Own:
            if (!owner) none = true;
            else preds.push_back([owner, uid](std::size_t row) { return owner->number(row) == uid; });
            break;
        default: none = true;
        }
    }
    if (q.scope.departmentId) {
        loadDepartments();
        std::string path;
        bool found = false;
        for (const auto& [id, pth] : departments)
            if (id == *q.scope.departmentId) {
                path = pth;
                found = true;
            }
        if (!found) {
            none = true;
        } else {
            auto allowed = subtree(path);
            auto deptOf = departmentOf();
            preds.push_back([allowed, deptOf](std::size_t row) { return allowed->contains(deptOf(row)); });
        }
    }
    if (q.scope.ownerId) {
        const auto id = static_cast<double>(*q.scope.ownerId);
        preds.push_back([owner, id](std::size_t row) { return owner->number(row) == id; });
    }
    if (q.scope.ownerInSet) {
        auto set = std::make_shared<IdSet>();
        for (auto id : q.scope.ownerIn) set->insert(id);
        if (q.scope.ownerIn.empty()) none = true;
        preds.push_back([owner, set](std::size_t row) { return set->contains(owner->number(row)); });
    }
    for (const auto& f : q.filters) {
        auto pr = compileFilter(t, f);
        if (!pr) return std::nullopt;
        preds.push_back(std::move(*pr));
    }
    const Column* timeCol = nullptr;
    if (q.time) {
        timeCol = t.column(q.time->field);
        if (!timeCol || timeCol->kind != Column::Kind::Day) return std::nullopt;
        if (!q.time->from.empty()) {
            const auto from = dayOf(q.time->from), to = dayOf(q.time->to);
            const auto* d = timeCol->i32.data();
            // First: usually the most selective, and the cheapest.
            preds.insert(preds.begin(), [d, from, to](std::size_t row) { return d[row] != Column::kNull && d[row] >= from && d[row] <= to; });
        }
    }

    std::vector<std::uint32_t> sel;
    if (!none) {
        sel.reserve(n / 2);
        for (std::size_t row = 0; row < n; ++row) {
            bool ok = true;
            for (const auto& pr : preds)
                if (!pr(row)) {
                    ok = false;
                    break;
                }
            if (ok) sel.push_back(static_cast<std::uint32_t>(row));
        }
    }

    // ---- grouping columns ----------------------------------------------------------------------
    std::vector<GroupColumn> groups;
    std::optional<dates::Grain> grain;
    if (q.time && q.time->grain) {
        grain = dates::parseGrain(*q.time->grain);
        const auto* d = timeCol->i32.data();
        std::int32_t lo = INT32_MAX, hi = INT32_MIN;
        for (auto row : sel)
            if (d[row] != Column::kNull) {
                lo = std::min(lo, d[row]);
                hi = std::max(hi, d[row]);
            }
        GroupColumn g;
        g.codes.resize(sel.size());
        if (lo <= hi) {
            if (static_cast<std::int64_t>(hi) - lo > 200000) return std::nullopt;
            std::vector<std::uint32_t> codeOfDay(static_cast<std::size_t>(hi - lo) + 1, 0);
            std::map<std::int32_t, std::uint32_t> bucketCode;
            for (std::int32_t day = lo; day <= hi; ++day) {
                const auto start = dates::bucketStart(dates::Date{std::chrono::days{day}}, *grain);
                const auto key = static_cast<std::int32_t>(start.time_since_epoch().count());
                auto [it, inserted] = bucketCode.emplace(key, 0);
                if (inserted) {
                    g.values.push_back(dates::label(start, *grain));
                    it->second = static_cast<std::uint32_t>(g.values.size());
                }
                codeOfDay[static_cast<std::size_t>(day - lo)] = it->second;
            }
            for (std::size_t i = 0; i < sel.size(); ++i) {
                const auto day = d[sel[i]];
                g.codes[i] = day == Column::kNull ? 0 : codeOfDay[static_cast<std::size_t>(day - lo)];
            }
        }
        groups.push_back(std::move(g));
    }
    for (const auto& name : q.dimensions) {
        const Column* c = t.column(name);
        if (!c) return std::nullopt;
        GroupColumn g;
        g.codes.resize(sel.size());
        if (c->kind == Column::Kind::Text) {
            if (c->ambiguous) return std::nullopt;
            // Only the dictionary entries that occur get a group value; codes stay the dictionary's.
            for (std::size_t i = 0; i < sel.size(); ++i) g.codes[i] = c->code[sel[i]];
            g.values.reserve(c->dict.size());
            for (const auto& s : c->dict) g.values.emplace_back(s);
        } else {
            const auto& type = c->type;
            const bool isDay = c->kind == Column::Kind::Day;
            std::vector<std::uint32_t> dense;
            std::unordered_map<double, std::uint32_t> sparse;
            for (std::size_t i = 0; i < sel.size(); ++i) {
                const double v = isDay ? (c->i32[sel[i]] == Column::kNull ? std::numeric_limits<double>::quiet_NaN() : c->i32[sel[i]])
                                       : c->number(sel[i]);
                if (std::isnan(v)) {
                    g.codes[i] = 0;
                    continue;
                }
                std::uint32_t* slot;
                if (v >= 0 && v < static_cast<double>(kDense) && v == std::floor(v)) {
                    const auto at = static_cast<std::size_t>(v);
                    if (dense.size() <= at) dense.resize(std::max(at + 1, dense.size() * 2), 0);
                    slot = &dense[at];
                } else {
                    slot = &sparse[v];
                }
                if (!*slot) {
                    g.values.push_back(isDay ? Json(dates::format(dates::Date{std::chrono::days{static_cast<int>(v)}})) : typed(v, type));
                    *slot = static_cast<std::uint32_t>(g.values.size());
                }
                g.codes[i] = *slot;
            }
        }
        groups.push_back(std::move(g));
    }

    // Combined group key: mixed radix over the columns' code ranges.
    std::vector<std::uint64_t> radix;
    std::uint64_t space = 1;
    for (const auto& g : groups) {
        radix.push_back(g.values.size() + 1);
        if (radix.back() > (std::uint64_t{1} << 62) / space) return std::nullopt; // would overflow the key
        space *= radix.back();
    }
    std::vector<std::uint32_t> groupOf(sel.size(), 0);
    std::vector<std::uint64_t> groupKeys; // group index -> combined key
    if (groups.empty()) {
        groupKeys.push_back(0);
    } else {
        std::vector<std::int32_t> denseGroups;
        std::unordered_map<std::uint64_t, std::uint32_t> sparseGroups;
        const bool useDense = space <= kDense;
        if (useDense) denseGroups.assign(static_cast<std::size_t>(space), -1);
        for (std::size_t i = 0; i < sel.size(); ++i) {
            std::uint64_t key = 0;
            for (std::size_t k = 0; k < groups.size(); ++k) key = key * radix[k] + groups[k].codes[i];
            std::uint32_t gi;
            if (useDense) {
                auto& slot = denseGroups[static_cast<std::size_t>(key)];
                if (slot < 0) {
                    slot = static_cast<std::int32_t>(groupKeys.size());
                    groupKeys.push_back(key);
                }
                gi = static_cast<std::uint32_t>(slot);
            } else {
                auto [it, inserted] = sparseGroups.emplace(key, static_cast<std::uint32_t>(groupKeys.size()));
                if (inserted) groupKeys.push_back(key);
                gi = it->second;
            }
            groupOf[i] = gi;
        }
    }
    const std::size_t ng = groupKeys.size();

    // ---- measures ----------------------------------------------------------------------------
    enum class Agg { CountAll, Count, Distinct, Sum, Avg, Min, Max };
    struct Compiled {
        Agg agg;
        const Column* col = nullptr;
        std::vector<Pred> filters;
    };
    std::vector<Compiled> ms;
    for (const auto& m : q.measures) {
        Compiled c;
        c.agg = m.aggregate == "count" ? (m.field.empty() ? Agg::CountAll : Agg::Count)
                : m.aggregate == "count_distinct" ? Agg::Distinct
                : m.aggregate == "sum"            ? Agg::Sum
                : m.aggregate == "avg"            ? Agg::Avg
                : m.aggregate == "min"            ? Agg::Min
                                                  : Agg::Max;
        if (!m.field.empty()) {
            c.col = t.column(m.field);
            if (!c.col) return std::nullopt;
            if (c.agg != Agg::Count && c.agg != Agg::Distinct && c.agg != Agg::CountAll &&
                (c.col->kind == Column::Kind::Text || c.col->kind == Column::Kind::Day))
                return std::nullopt;
            if (c.agg == Agg::Distinct && c.col->ambiguous) return std::nullopt;
        } else if (c.agg == Agg::Distinct) {
            return std::nullopt;
        }
        for (const auto& f : m.filters) {
            auto pr = compileFilter(t, f);
            if (!pr) return std::nullopt;
            c.filters.push_back(std::move(*pr));
        }
        ms.push_back(std::move(c));
    }
    struct Acc {
        double sum = 0, min = std::numeric_limits<double>::infinity(), max = -std::numeric_limits<double>::infinity();
        std::int64_t count = 0;
    };
    const std::size_t nm = ms.size();
    std::vector<Acc> acc(ng * nm);
    std::vector<std::unordered_set<std::uint64_t>> distinct;
    for (std::size_t k = 0; k < nm; ++k)
        if (ms[k].agg == Agg::Distinct) distinct.resize(ng * nm);
    for (std::size_t k = 0; k < nm; ++k) {
        const auto& m = ms[k];
        for (std::size_t i = 0; i < sel.size(); ++i) {
            const std::size_t row = sel[i];
            bool pass = true;
            for (const auto& f : m.filters)
                if (!f(row)) {
                    pass = false;
                    break;
                }
            if (!pass) continue;
            Acc& a = acc[groupOf[i] * nm + k];
            switch (m.agg) {
            case Agg::CountAll: ++a.count; break;
            case Agg::Count:
                if (!m.col->null(row)) ++a.count;
                break;
            case Agg::Distinct: {
                if (m.col->null(row)) break;
                std::uint64_t bits;
                if (m.col->kind == Column::Kind::Text) bits = m.col->code[row];
                else if (m.col->kind == Column::Kind::Day) bits = static_cast<std::uint32_t>(m.col->i32[row]);
                else {
                    double v = m.col->number(row) + 0.0; // -0 and 0 are one value
                    std::memcpy(&bits, &v, sizeof bits);
                }
                distinct[groupOf[i] * nm + k].insert(bits);
                break;
            }
            default: {
                const double v = m.col->number(row);
                if (std::isnan(v)) break;
                a.sum += v;
                ++a.count;
                a.min = std::min(a.min, v);
                a.max = std::max(a.max, v);
            }
            }
        }
    }

    // ---- rows ----------------------------------------------------------------------------------
    Rows out;
    out.scanned = n;
    out.rows.reserve(ng);
    const std::size_t typeBase = groups.size();
    for (std::size_t gi = 0; gi < ng; ++gi) {
        Json row = Json::array();
        // Decode the combined key back into per-column codes.
        std::vector<std::uint64_t> codes(groups.size());
        auto key = groupKeys[gi];
        for (std::size_t k = groups.size(); k-- > 0;) {
            codes[k] = key % radix[k];
            key /= radix[k];
        }
        for (std::size_t k = 0; k < groups.size(); ++k)
            row.push_back(codes[k] == 0 ? Json(nullptr) : groups[k].values[static_cast<std::size_t>(codes[k] - 1)]);
        for (std::size_t k = 0; k < nm; ++k) {
            const Acc& a = acc[gi * nm + k];
            const auto& type = types[typeBase + k];
            switch (ms[k].agg) {
            case Agg::CountAll:
            case Agg::Count: row.push_back(a.count); break;
            case Agg::Distinct: row.push_back(static_cast<std::int64_t>(distinct[gi * nm + k].size())); break;
            case Agg::Sum: row.push_back(typed(a.count ? a.sum : 0.0, type)); break;
            case Agg::Avg: row.push_back(a.count ? typed(a.sum / static_cast<double>(a.count), type) : Json(nullptr)); break;
            case Agg::Min: row.push_back(a.count ? typed(a.min, type) : Json(nullptr)); break;
            case Agg::Max: row.push_back(a.count ? typed(a.max, type) : Json(nullptr)); break;
            }
        }
        out.rows.push_back(std::move(row));
    }
    std::lock_guard lock(_mutex);
    ++_served;
    return out;
}

Json Store::stats() const {
    std::lock_guard lock(_mutex);
    Json tables = Json::array();
    std::size_t total = 0;
    for (const auto& [id, e] : _entries) {
        std::shared_lock r(e->rw, std::try_to_lock);
        if (!r.owns_lock()) {
            tables.push_back({{"dataset", id}, {"state", "refreshing"}});
            continue;
        }
        Json j = {{"dataset", id}};
        if (e->table) {
            const auto b = e->table->bytes();
            total += b;
            j["state"] = "loaded";
            j["rows"] = e->table->rows;
            j["bytes"] = b;
            j["generation"] = e->table->generation;
            j["load_ms"] = e->table->loadMs;
            j["incremental_refreshes"] = e->table->incrementalRefreshes;
            j["deleted_rows"] = e->table->deletedRows;
            j["incremental"] = !e->table->keys.empty() || e->table->rows == 0;
        } else {
            j["state"] = e->refusal.empty() ? "empty" : "sql";
            if (!e->refusal.empty()) j["reason"] = e->refusal;
        }
        tables.push_back(j);
    }
    return {{"enabled", _options.enabled},
            {"memory_budget_bytes", _options.memoryBudget},
            {"bytes", total},
            {"served", _served},
            {"declined", _declined},
            {"full_loads", _fullLoads},
            {"incremental_refreshes", _incremental},
            {"tables", tables}};
}

} // namespace atrium::reports::columnar
