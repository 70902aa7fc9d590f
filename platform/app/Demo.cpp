#include "app/Demo.h"

#include "identity/Passwords.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>

namespace atrium::app {

using store::Value;
using store::Values;

DemoSize demoSize(const std::string& name) {
    if (name == "small") return {"small", 30, 500, 2, 1.0};
    if (name == "medium") return {"medium", 200, 20000, 4, 50.0};
    if (name == "large") return {"large", 1000, 200000, 10, 500.0};
    throw std::invalid_argument("--scale must be small, medium or large, not '" + name + "'");
}

namespace {

/// Deterministic choices from one seeded generator (no std distributions: their output is
/// implementation-defined, and the same seed must give the same data everywhere).
class Random {
public:
    explicit Random(std::uint64_t seed) : _g(seed) {}
    std::uint64_t next() { return _g(); }
    /// [0, n)
    std::int64_t below(std::int64_t n) { return n <= 0 ? 0 : static_cast<std::int64_t>(_g() % static_cast<std::uint64_t>(n)); }
    std::int64_t between(std::int64_t lo, std::int64_t hi) { return lo + below(hi - lo + 1); }
    double unit() { return static_cast<double>(_g() >> 11) * (1.0 / 9007199254740992.0); }
    template <class C>
    const auto& pick(const C& c) {
        return c[static_cast<std::size_t>(below(static_cast<std::int64_t>(std::size(c))))];
    }

private:
    std::mt19937_64 _g;
};

/// Buffers rows and sends multi-row INSERTs (one reused statement per full batch).
class MultiInsert {
public:
    MultiInsert(store::Connection& c, std::string table, std::vector<std::string> columns)
        : _c(c), _table(std::move(table)), _columns(std::move(columns)) {
        _rowsPerStatement = std::max<std::size_t>(1, std::min<std::size_t>(1000, 30000 / _columns.size()));
    }
    void row(Values values) {
        if (values.size() != _columns.size()) throw std::logic_error("demo insert into " + _table + ": wrong number of values");
        for (auto& v : values) _buffer.push_back(std::move(v));
        if (_buffer.size() == _rowsPerStatement * _columns.size()) flush();
    }
    std::int64_t finish() {
        flush();
        return _rows;
    }

private:
    std::string sql(std::size_t rows) const {
        std::string s = "INSERT INTO " + _table + " (";
        for (std::size_t i = 0; i < _columns.size(); ++i) s += (i ? ", " : "") + _columns[i];
        s += ") VALUES ";
        std::string one = "(";
        for (std::size_t i = 0; i < _columns.size(); ++i) one += i ? ", ?" : "?";
        one += ")";
        for (std::size_t r = 0; r < rows; ++r) s += (r ? ", " : "") + one;
        return s;
    }
    void flush() {
        if (_buffer.empty()) return;
        const std::size_t rows = _buffer.size() / _columns.size();
        std::unique_ptr<store::Statement> oneOff;
        store::Statement* st = nullptr;
        if (rows == _rowsPerStatement) {
            if (!_full) _full = _c.prepare(sql(rows));
            else _full->reset();
            st = _full.get();
        } else {
            oneOff = _c.prepare(sql(rows));
            st = oneOff.get();
        }
        for (std::size_t i = 0; i < _buffer.size(); ++i) st->bind(static_cast<int>(i + 1), _buffer[i]);
        st->step();
        _rows += static_cast<std::int64_t>(rows);
        _buffer.clear();
    }

    store::Connection& _c;
    std::string _table;
    std::vector<std::string> _columns;
    std::size_t _rowsPerStatement = 1;
    Values _buffer;
    std::unique_ptr<store::Statement> _full;
    std::int64_t _rows = 0;
};

std::string utc(std::chrono::system_clock::time_point when) {
    const std::time_t t = std::chrono::system_clock::to_time_t(when);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buffer[20];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &tm);
    return buffer;
}

struct Region {
    const char* code;
    const char* name;
    const char* nameZh;
    std::array<std::array<const char*, 2>, 5> cities; // English, Chinese
};

const std::array<Region, 4> kRegions = {{
    {"EAST", "East China", "华东", {{{"Shanghai", "上海"}, {"Hangzhou", "杭州"}, {"Nanjing", "南京"}, {"Suzhou", "苏州"}, {"Ningbo", "宁波"}}}},
    {"NORTH", "North China", "华北", {{{"Beijing", "北京"}, {"Tianjin", "天津"}, {"Shijiazhuang", "石家庄"}, {"Taiyuan", "太原"}, {"Jinan", "济南"}}}},
    {"SOUTH", "South China", "华南", {{{"Shenzhen", "深圳"}, {"Guangzhou", "广州"}, {"Xiamen", "厦门"}, {"Dongguan", "东莞"}, {"Haikou", "海口"}}}},
    {"WEST", "West China", "西部", {{{"Chengdu", "成都"}, {"Chongqing", "重庆"}, {"Xi'an", "西安"}, {"Kunming", "昆明"}, {"Lanzhou", "兰州"}}}},
}};

const std::array<std::array<const char*, 2>, 10> kIndustries = {{{"Manufacturing", "制造"},
                                                                 {"Retail", "零售"},
                                                                 {"Finance", "金融"},
                                                                 {"Healthcare", "医疗"},
                                                                 {"Technology", "科技"},
                                                                 {"Education", "教育"},
                                                                 {"Logistics", "物流"},
                                                                 {"Energy", "能源"},
                                                                 {"Real Estate", "地产"},
                                                                 {"Government", "政务"}}};

const std::array<std::array<const char*, 2>, 24> kBrands = {{{"Huaxin", "华信"},   {"Zhongke", "中科"}, {"Tianrui", "天瑞"},  {"Jinhai", "金海"},
                                                            {"Hongda", "宏达"},   {"Xinyuan", "信远"}, {"Dongfang", "东方"}, {"Changjiang", "长江"},
                                                            {"Yuanhang", "远航"}, {"Boya", "博雅"},    {"Ruifeng", "瑞丰"},  {"Kaiyuan", "开元"},
                                                            {"Shengshi", "盛世"}, {"Anxin", "安信"},   {"Hengtong", "恒通"}, {"Jiahe", "嘉禾"},
                                                            {"Mingde", "明德"},   {"Xinghe", "星河"},  {"Zhicheng", "智成"}, {"Lianchuang", "联创"},
                                                            {"Fuxing", "复兴"},   {"Haiyue", "海悦"},  {"Qianfeng", "前锋"}, {"Yunqi", "云启"}}};

const std::array<const char*, 20> kFamily = {"Wang", "Li",  "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu",
                                             "Xu",   "Sun", "Hu",    "Zhu", "Gao",  "Lin",  "He",   "Guo",   "Ma",   "Luo"};
const std::array<const char*, 20> kFamilyZh = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴",
                                               "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗"};
const std::array<const char*, 20> kGiven = {"Wei", "Fang", "Na",  "Min", "Jing", "Lei",  "Qiang", "Jun", "Yang", "Yong",
                                            "Yan", "Jie",  "Tao", "Ming", "Chao", "Xiu", "Hua",   "Ping", "Gang", "Hui"};
const std::array<const char*, 20> kGivenZh = {"伟", "芳", "娜", "敏", "静", "磊", "强", "军", "洋", "勇",
                                              "艳", "杰", "涛", "明", "超", "秀", "华", "平", "刚", "慧"};
const std::array<const char*, 8> kTitles = {"CEO", "CFO", "CIO", "Procurement Manager", "IT Director", "Operations Manager", "Buyer", "Engineer"};

struct SizeBand {
    const char* band;
    int lo, hi;
};
const std::array<SizeBand, 5> kSizes = {{{"1-10", 2, 10}, {"11-50", 11, 50}, {"51-200", 51, 200}, {"201-1000", 201, 1000}, {"1000+", 1001, 20000}}};

struct Employee {
    std::int64_t id;
    std::int64_t department;
    int region; ///< index into kRegions, -1 for head office
};

} // namespace

CoreDemoResult seedCoreDemo(store::Database& db, const DemoSize& size, std::uint64_t seed, const CoreProgress& progress) {
    const auto started = std::chrono::steady_clock::now();
    auto report = [&](double f, const std::string& m) {
        if (progress) progress(std::clamp(f, 0.0, 1.0), m);
    };
    CoreDemoResult result;
    Random rnd(seed);
    auto lease = db.acquire();
    auto& c = *lease;
    if (c.queryScalar("SELECT id FROM users WHERE email LIKE ?", {std::string("%@demo.atrium.example")}))
        throw std::runtime_error("this database already holds demo data; run 'atrium demo' on a new, empty database");

    const auto now = std::chrono::system_clock::now();
    const std::string nowText = utc(now);
    auto daysAgo = [&](std::int64_t days, std::int64_t secondsOfDay) {
        return utc(now - std::chrono::hours(24 * days) - std::chrono::seconds(secondsOfDay));
    };

    // ---- departments: company -> regions -> teams ----------------------------------------
    report(0, "departments");
    store::Transaction tx(c);
    auto rootRow = c.queryAll("SELECT id, path FROM departments WHERE parent_id IS NULL ORDER BY id LIMIT 1");
    if (rootRow.empty()) throw std::runtime_error("the database has no root department; run 'atrium migrate' first");
    const std::int64_t root = store::asInt(rootRow[0][0]);
    const std::string rootPath = store::asText(rootRow[0][1]);
    auto addDepartment = [&](std::int64_t parent, const std::string& parentPath, const std::string& name, const std::string& nameZh,
                             const std::string& code) {
        const auto id = c.insert("INSERT INTO departments (parent_id, name, name_zh, code, path, version, created_at, updated_at) "
                                 "VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
                                 {parent, name, nameZh, code, std::string("/pending/"), nowText, nowText});
        const std::string path = parentPath + std::to_string(id) + "/";
        c.execute("UPDATE departments SET path = ? WHERE id = ?", {path, id});
        ++result.departments;
        return std::pair{id, path};
    };
    std::vector<std::int64_t> regionDept;
    std::vector<std::vector<std::int64_t>> teams(kRegions.size());
    static const std::array<const char*, 10> zhNumbers = {"一", "二", "三", "四", "五", "六", "七", "八", "九", "十"};
    for (std::size_t r = 0; r < kRegions.size(); ++r) {
        const auto& reg = kRegions[r];
        auto [rid, rpath] = addDepartment(root, rootPath, reg.name, std::string(reg.nameZh) + "大区", std::string("DEMO-") + reg.code);
        regionDept.push_back(rid);
        for (int t = 0; t < size.teamsPerRegion; ++t) {
            auto [tid, tpath] = addDepartment(rid, rpath, std::string(reg.name) + " Team " + std::to_string(t + 1),
                                              std::string(reg.nameZh) + zhNumbers[static_cast<std::size_t>(t) % zhNumbers.size()] + "组",
                                              std::string("DEMO-") + reg.code + "-" + std::to_string(t + 1));
            teams[r].push_back(tid);
        }
    }

    // ---- users: one password hash for all (Argon2 per user would take minutes) ----------
    report(0.02, "users");
    std::map<std::string, std::int64_t> roleIds;
    for (auto& row : c.queryAll("SELECT id, name FROM roles")) roleIds[store::asText(row[1])] = store::asInt(row[0]);
    for (const char* needed : {"admin", "manager", "rep", "analyst"})
        if (!roleIds.count(needed)) throw std::runtime_error(std::string("the built-in role '") + needed + "' is missing; run 'atrium migrate'");
    const std::string hash = identity::hashPassword(kDemoPassword);
    std::vector<Employee> reps;
    std::vector<std::pair<std::int64_t, std::string>> userRoles;
    int serial = 0;
    auto addUser = [&](const std::string& role, std::int64_t dept, std::optional<std::int64_t> manager, const std::string& title,
                       int region, const std::string& fixedEmail = {}, const std::string& fixedName = {}) {
        ++serial;
        const auto fi = static_cast<std::size_t>(rnd.below(static_cast<std::int64_t>(kFamily.size())));
        const auto gi = static_cast<std::size_t>(rnd.below(static_cast<std::int64_t>(kGiven.size())));
        const bool zh = rnd.below(2) == 0;
        std::string given = kGiven[gi], family = kFamily[fi];
        std::string email = fixedEmail;
        if (email.empty()) {
            std::string g = given, f = family;
            std::transform(g.begin(), g.end(), g.begin(), ::tolower);
            std::transform(f.begin(), f.end(), f.begin(), ::tolower);
            email = g + "." + f + "." + std::to_string(serial) + "@demo.atrium.example";
        }
        const std::string name = !fixedName.empty() ? fixedName : zh ? std::string(kFamilyZh[fi]) + kGivenZh[gi] : given + " " + family;
        const auto id = c.insert("INSERT INTO users (email, display_name, department_id, manager_id, password_hash, active, locale, title, "
                                 "version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, 1, ?, ?)",
                                 {email, name, dept, manager ? Value{*manager} : Value{nullptr}, hash, std::string(zh ? "zh-CN" : "en"), title,
                                  nowText, nowText});
        userRoles.emplace_back(id, role);
        ++result.users;
        if (role == "rep") reps.push_back({id, dept, region});
        return id;
    };
    addUser("admin", root, std::nullopt, "Administrator", -1, kDemoAdminEmail, "Demo Administrator");
    const auto director = addUser("manager", root, std::nullopt, "Sales Director", -1, "director@demo.atrium.example", "Sales Director 销售总监");
    std::vector<std::int64_t> regionManagers;
    std::vector<std::vector<std::int64_t>> teamLeads(kRegions.size());
    for (std::size_t r = 0; r < kRegions.size(); ++r) {
        regionManagers.push_back(addUser("manager", regionDept[r], director, "Regional Manager", static_cast<int>(r)));
        for (auto team : teams[r]) teamLeads[r].push_back(addUser("manager", team, regionManagers[r], "Team Lead", static_cast<int>(r)));
    }
    const int analysts = std::max(1, size.users / 20);
    for (int i = 0; i < analysts; ++i) addUser("analyst", root, director, "Sales Analyst", -1);
    const int fixed = 2 + static_cast<int>(kRegions.size()) * (1 + size.teamsPerRegion) + analysts;
    const int repCount = std::max(static_cast<int>(kRegions.size()) * size.teamsPerRegion, size.users - fixed);
    for (int i = 0; i < repCount; ++i) {
        const auto r = static_cast<std::size_t>(i) % kRegions.size();
        const auto t = static_cast<std::size_t>(i / static_cast<int>(kRegions.size())) % teams[r].size();
        addUser("rep", teams[r][t], teamLeads[r][t], "Account Executive", static_cast<int>(r));
    }
    {
        MultiInsert ur(c, "user_roles", {"user_id", "role_id"});
        for (const auto& [uid, role] : userRoles) ur.row({uid, roleIds.at(role)});
        ur.finish();
    }
    tx.commit();

    // ---- accounts --------------------------------------------------------------------------
    const auto firstAccount = store::asInt(c.queryScalar("SELECT COALESCE(MAX(id), 0) FROM accounts").value_or(Value{std::int64_t{0}}));
    {
        store::Transaction atx(c);
        MultiInsert acc(c, "accounts",
                        {"name", "industry", "size_band", "employees", "region", "country", "city", "website", "phone", "owner_id",
                         "department_id", "version", "created_at", "updated_at"});
        for (int i = 0; i < size.accounts; ++i) {
            const auto& owner = reps[static_cast<std::size_t>(rnd.below(static_cast<std::int64_t>(reps.size())))];
            const auto& reg = kRegions[static_cast<std::size_t>(owner.region)];
            const auto& city = rnd.pick(reg.cities);
            const auto& ind = rnd.pick(kIndustries);
            const auto& brand = rnd.pick(kBrands);
            // Size bands skew small, like a real customer base.
            const double u = rnd.unit();
            const auto& sz = kSizes[u < 0.30 ? 0 : u < 0.60 ? 1 : u < 0.82 ? 2 : u < 0.95 ? 3 : 4];
            const bool zh = rnd.below(2) == 0;
            const std::string name = zh ? std::string(city[1]) + brand[1] + ind[1] + "有限公司" + (i >= 1000 ? std::to_string(i) : "")
                                        : std::string(city[0]) + " " + brand[0] + " " + ind[0] + (i >= 1000 ? " " + std::to_string(i) : "") +
                                              " Co., Ltd.";
            std::string host = brand[0];
            std::transform(host.begin(), host.end(), host.begin(), ::tolower);
            const auto created = daysAgo(30 + rnd.below(700), rnd.below(86400));
            acc.row({name, std::string(ind[0]), std::string(sz.band), rnd.between(sz.lo, sz.hi), std::string(reg.name), std::string("China"),
                     std::string(city[0]), "https://www." + host + std::to_string(i + 1) + ".example.cn",
                     "+86 " + std::to_string(rnd.between(10, 99)) + " " + std::to_string(rnd.between(50000000, 89999999)), owner.id,
                     owner.department, std::int64_t{1}, created, created});
            if (i % 2000 == 0) report(0.05 + 0.55 * i / std::max(1, size.accounts), "accounts");
        }
        result.accounts = acc.finish();
        atx.commit();
    }

    // ---- contacts: 1–3 per account -----------------------------------------------------------
    {
        store::Transaction ctx(c);
        MultiInsert con(c, "contacts",
                        {"account_id", "first_name", "last_name", "email", "phone", "title", "owner_id", "department_id", "version",
                         "created_at", "updated_at"});
        // Read first, write after: MySQL cannot stream a result while the connection inserts.
        const auto accounts = c.queryAll("SELECT id, owner_id, department_id, created_at FROM accounts WHERE id > ? ORDER BY id", {firstAccount});
        std::int64_t n = 0;
        for (const auto& a : accounts) {
            const auto accountId = store::asInt(a[0]);
            const auto& owner = a[1];
            const auto& dept = a[2];
            const auto created = store::asText(a[3]);
            const auto count = 1 + rnd.below(3);
            for (std::int64_t k = 0; k < count; ++k) {
                const auto fi = static_cast<std::size_t>(rnd.below(static_cast<std::int64_t>(kFamily.size())));
                const auto gi = static_cast<std::size_t>(rnd.below(static_cast<std::int64_t>(kGiven.size())));
                std::string g = kGiven[gi], f = kFamily[fi];
                std::transform(g.begin(), g.end(), g.begin(), ::tolower);
                std::transform(f.begin(), f.end(), f.begin(), ::tolower);
                const bool zh = rnd.below(2) == 0;
                con.row({accountId, std::string(zh ? kGivenZh[gi] : kGiven[gi]), std::string(zh ? kFamilyZh[fi] : kFamily[fi]),
                         g + "." + f + "." + std::to_string(accountId) + "-" + std::to_string(k) + "@customer.example.cn",
                         "+86 1" + std::to_string(rnd.between(3000000000LL, 8999999999LL)), std::string(rnd.pick(kTitles)), owner, dept,
                         std::int64_t{1}, created, created});
            }
            if (++n % 2000 == 0) report(0.6 + 0.4 * static_cast<double>(n) / std::max(1, size.accounts), "contacts");
        }
        result.contacts = con.finish();
        ctx.commit();
    }
    report(1.0, "core done");
    result.millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return result;
}

} // namespace atrium::app
