// Demo data for `atrium demo`: products, opportunities with stage histories over 24 months
// (with seasonality), orders for the won ones, leads (some converted), quotas per rep per month
// and quarter, and forecast snapshots for past quarters. Runs after the core seeded departments,
// users, accounts and contacts, and only reads those (a plugin writes only its own tables).
//
// Deterministic for a seed (relative to the day it runs); rows go in as multi-row INSERTs in
// transactions of a few thousand opportunities, children after parents.

#include "model.hpp"

#include <random>

namespace sales {

using atrium::sdk::DemoRun;
using atrium::sdk::Transaction;

namespace {

class Random {
public:
    explicit Random(std::uint64_t seed) : _g(seed ^ 0x5A1E5A1E5A1E5A1EULL) {}
    std::int64_t below(std::int64_t n) { return n <= 0 ? 0 : static_cast<std::int64_t>(_g() % static_cast<std::uint64_t>(n)); }
    std::int64_t between(std::int64_t lo, std::int64_t hi) { return lo + below(hi - lo + 1); }
    double unit() { return static_cast<double>(_g() >> 11) * (1.0 / 9007199254740992.0); }
    bool chance(double p) { return unit() < p; }
    /// Index drawn with the given weights.
    template <class C>
    std::size_t weighted(const C& weights) {
        double total = 0;
        for (double w : weights) total += w;
        double x = unit() * total;
        for (std::size_t i = 0; i < std::size(weights); ++i) {
            if (x < weights[i]) return i;
            x -= weights[i];
        }
        return std::size(weights) - 1;
    }

private:
    std::mt19937_64 _g;
};

struct Product {
    const char* code;
    const char* name;
    const char* nameZh;
    const char* category;
    double price;
};
const Product kProducts[] = {
    {"CRM-STD", "Atrium CRM Standard (seat/year)", "Atrium CRM 标准版（席位/年）", "Software", 1200},
    {"CRM-PRO", "Atrium CRM Professional (seat/year)", "Atrium CRM 专业版（席位/年）", "Software", 2400},
    {"CRM-ENT", "Atrium CRM Enterprise (seat/year)", "Atrium CRM 企业版（席位/年）", "Software", 4800},
    {"ANL-ADD", "Analytics add-on (seat/year)", "分析扩展（席位/年）", "Software", 900},
    {"SVC-ADD", "Service desk add-on (seat/year)", "服务台扩展（席位/年）", "Software", 1100},
    {"MKT-ADD", "Marketing automation (contact pack)", "营销自动化（联系人包）", "Software", 6000},
    {"IMP-BAS", "Implementation, basic", "基础实施服务", "Services", 30000},
    {"IMP-ADV", "Implementation, advanced", "高级实施服务", "Services", 120000},
    {"TRN-DAY", "Training day on site", "现场培训（天）", "Services", 8000},
    {"CON-DAY", "Consulting day", "咨询服务（天）", "Services", 10000},
    {"SUP-GLD", "Gold support (year)", "金牌支持（年）", "Support", 50000},
    {"SUP-PLT", "Platinum support (year)", "白金支持（年）", "Support", 150000},
    {"HW-SRV", "On-premise appliance", "本地部署一体机", "Hardware", 260000},
    {"HW-KIT", "Field sales tablet kit", "外勤销售平板套件", "Hardware", 4500},
    {"INT-API", "Integration connector", "系统集成连接器", "Software", 20000},
    {"DAT-MIG", "Data migration package", "数据迁移服务包", "Services", 45000},
};

const char* kLostReasons[] = {"Price", "Competitor", "No budget", "No decision", "Timing", "Product fit"};
const char* kFirst[] = {"Wei", "Fang", "Na", "Min", "Jing", "Lei", "Qiang", "Jun", "Yang", "Yong", "Yan", "Jie", "Tao", "Ming", "Chao", "Hua"};
const char* kLast[] = {"Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu", "Sun", "Hu", "Zhu", "Gao", "Lin"};
const char* kCompanyA[] = {"Huarui", "Jinding", "Xinhua", "Tongda", "Guangming", "Yuntai", "Haitian", "Shenghe", "Lianyi", "Zhongxin"};
const char* kCompanyB[] = {"Technology", "Trading", "Logistics", "Medical", "Industrial", "Foods", "Energy", "Education", "Textiles", "Capital"};
const char* kIndustries[] = {"Manufacturing", "Retail", "Finance", "Healthcare", "Technology", "Education", "Logistics", "Energy", "Real Estate", "Government"};
const char* kRegions[] = {"East China", "North China", "South China", "West China"};
const char* kCities[] = {"Shanghai", "Beijing", "Shenzhen", "Chengdu", "Hangzhou", "Guangzhou", "Nanjing", "Wuhan", "Xi'an", "Tianjin"};
const char* kSizes[] = {"1-10", "11-50", "51-200", "201-1000", "1000+"};

/// Month weights (Jan..Dec): Chinese New Year dips, the year-end push peaks.
const double kSeason[12] = {0.85, 0.55, 1.0, 1.0, 1.05, 1.1, 0.9, 0.85, 1.05, 1.1, 1.25, 1.45};

struct Account {
    std::int64_t id, owner;
    std::optional<std::int64_t> department, contact;
    int sizeIndex;
};
struct Rep {
    std::int64_t id;
    std::optional<std::int64_t> department;
};

int sizeIndex(std::string_view band) {
    for (int i = 0; i < 5; ++i)
        if (band == kSizes[i]) return i;
    return 1;
}

std::int64_t nextId(Db& db, const std::string& table) { return db.scalar<std::int64_t>("SELECT COALESCE(MAX(id), 0) FROM " + table).value_or(0) + 1; }

struct OppRow {
    std::int64_t id, account, owner;
    std::optional<std::int64_t> department, contact;
    std::int64_t pipeline, stage;
    std::string status;
    double amount;
    int probability;
    double weighted;
    std::string name, category, closeDate;
    std::optional<std::string> closedAt, lostReason;
    int won, closed;
    std::optional<std::int64_t> cycle;
    std::string createdAt, updatedAt;
};
struct HistRow {
    std::int64_t opp, pipeline;
    std::optional<std::int64_t> fromStage, fromPos;
    std::int64_t toStage, toPos;
    std::string movement;
    int forward;
    double amount;
    std::int64_t by;
    std::string at;
    std::int64_t owner;
    std::optional<std::int64_t> department;
};
struct LineRow {
    std::int64_t opp, product, quantity;
    double price;
};

} // namespace

void seedDemo(Db& db, DemoRun& run) {
    Random rnd(run.seed());
    const double scale = std::max(0.01, run.scale());
    run.progress(0, "reading customers");

    std::vector<Rep> reps;
    for (auto r : db.query("SELECT u.id, u.department_id FROM users u JOIN user_roles ur ON ur.user_id = u.id JOIN roles ro ON ro.id = ur.role_id "
                           "WHERE ro.name = 'rep' AND u.active = 1 ORDER BY u.id"))
        reps.push_back({r.i64(0), r.optI64(1)});
    if (reps.empty())
        for (auto r : db.query("SELECT id, department_id FROM users WHERE active = 1 ORDER BY id")) reps.push_back({r.i64(0), r.optI64(1)});
    if (reps.empty()) throw atrium::sdk::Error(ATRIUM_E_STATE, "there are no users to own sales records; seed the core first");
    std::map<std::int64_t, std::optional<std::int64_t>> repDept;
    for (const auto& r : reps) repDept[r.id] = r.department;

    std::vector<Account> accounts;
    for (auto r : db.query("SELECT id, owner_id, department_id, size_band FROM accounts ORDER BY id")) {
        const auto owner = r.isNull(1) ? reps[accounts.size() % reps.size()].id : r.i64(1);
        accounts.push_back({r.i64(0), owner, r.isNull(2) ? repDept[owner] : r.optI64(2), std::nullopt, sizeIndex(r.textView(3))});
    }
    if (accounts.empty()) throw atrium::sdk::Error(ATRIUM_E_STATE, "there are no accounts to sell to; seed the core first");
    {
        std::unordered_map<std::int64_t, std::int64_t> firstContact;
        for (auto r : db.query("SELECT account_id, MIN(id) FROM contacts WHERE account_id IS NOT NULL GROUP BY account_id")) firstContact[r.i64(0)] = r.i64(1);
        for (auto& a : accounts)
            if (auto it = firstContact.find(a.id); it != firstContact.end()) a.contact = it->second;
    }

    Stages stages(db);
    std::vector<std::int64_t> pipelines;
    for (auto r : db.query("SELECT id FROM sales_pipelines ORDER BY position")) pipelines.push_back(r.i64(0));
    const double pipelineWeights[] = {0.7, 0.2, 0.1};
    const double winRates[] = {0.32, 0.78, 0.42};

    // ---- products ------------------------------------------------------------------------------
    const auto now = nowSeconds();
    const auto todayDays = now / 86400;
    std::vector<std::pair<std::int64_t, double>> products;
    {
        Transaction tx(db);
        for (const auto& p : kProducts) {
            std::optional<std::int64_t> id = db.scalar<std::int64_t>("SELECT id FROM sales_products WHERE code = ?", p.code);
            if (!id)
                id = db.insert("INSERT INTO sales_products (code, name, name_zh, category, unit_price, currency, active, version, created_at, updated_at) "
                               "VALUES (?, ?, ?, ?, ?, 'CNY', 1, 1, ?, ?)",
                               p.code, p.name, p.nameZh, p.category, p.price, formatDateTime(now - 800 * 86400LL), formatDateTime(now - 800 * 86400LL));
            products.emplace_back(*id, p.price);
        }
        tx.commit();
    }

    // ---- opportunities, stage history, products, orders ----------------------------------------
    const auto total = static_cast<std::int64_t>(2000 * scale);
    std::int64_t oppId = nextId(db, "sales_opportunities");
    std::int64_t orderId = nextId(db, "sales_orders");
    const auto firstMonth = civilFromDays(todayDays);
    // Month m (0 = 23 months ago) starts at monthStart[m].
    std::vector<std::int64_t> monthStart(25);
    for (int m = 0; m < 25; ++m) {
        int y = firstMonth.y;
        int mo = static_cast<int>(firstMonth.m) - 23 + m;
        while (mo < 1) {
            mo += 12;
            --y;
        }
        while (mo > 12) {
            mo -= 12;
            ++y;
        }
        monthStart[static_cast<std::size_t>(m)] = daysFromCivil(y, static_cast<unsigned>(mo), 1);
    }
    std::vector<double> monthWeights(24);
    for (int m = 0; m < 24; ++m) monthWeights[static_cast<std::size_t>(m)] = kSeason[civilFromDays(monthStart[static_cast<std::size_t>(m)]).m - 1];

    std::map<std::pair<std::int64_t, std::int64_t>, double> wonByRepMonth; // (rep, month start) -> amount
    std::unordered_map<std::int64_t, std::int64_t> oppOfAccount;
    const std::int64_t chunk = 5000;
    const double amountLo[] = {5000, 20000, 50000, 150000, 500000};
    const double amountHi[] = {30000, 120000, 400000, 1200000, 5000000};
    for (std::int64_t done = 0; done < total; done += chunk) {
        const auto n = std::min(chunk, total - done);
        std::vector<OppRow> opps;
        std::vector<HistRow> history;
        std::vector<LineRow> lines;
        opps.reserve(static_cast<std::size_t>(n));
        for (std::int64_t i = 0; i < n; ++i) {
            const auto& acc = accounts[static_cast<std::size_t>(rnd.below(static_cast<std::int64_t>(accounts.size())))];
            const auto pIndex = std::min(rnd.weighted(pipelineWeights), pipelines.size() - 1);
            const auto pipeline = pipelines[pIndex];
            const auto& stageList = *stages.pipeline(pipeline);
            std::vector<const Stage*> open;
            for (const auto& s : stageList)
                if (s.outcome == "open") open.push_back(&s);
            const Stage* wonStage = stages.byOutcome(pipeline, "won");
            const Stage* lostStage = stages.byOutcome(pipeline, "lost");

            const auto month = rnd.weighted(monthWeights);
            const auto mStart = monthStart[month], mEnd = std::min(monthStart[month + 1], todayDays + 1);
            const auto createdDay = mStart + rnd.below(std::max<std::int64_t>(1, mEnd - mStart));
            const auto createdSec = createdDay * 86400 + rnd.between(8 * 3600, 19 * 3600);
            const auto cycle = pIndex == 1 ? rnd.between(10, 60) : rnd.between(14, 75) + rnd.between(0, 110);
            const auto closeSec = createdSec + cycle * 86400 + rnd.between(0, 8 * 3600);

            // Amount from a product line sized to the account.
            const auto productIndex = static_cast<std::size_t>(rnd.below(static_cast<std::int64_t>(products.size())));
            const auto& product = products[productIndex];
            const double target = amountLo[acc.sizeIndex] * std::pow(amountHi[acc.sizeIndex] / amountLo[acc.sizeIndex], rnd.unit());
            const auto qty = std::max<std::int64_t>(1, static_cast<std::int64_t>(target / product.second + 0.5));
            const double amount = round2(static_cast<double>(qty) * product.second);

            OppRow o;
            o.id = oppId++;
            o.account = acc.id;
            o.owner = acc.owner;
            o.department = acc.department;
            o.contact = acc.contact;
            o.pipeline = pipeline;
            o.amount = amount;
            o.name = std::string(kProducts[productIndex].name) + " × " + std::to_string(qty);
            o.createdAt = formatDateTime(createdSec);
            const Stage* prev = nullptr;
            auto move = [&](const Stage& to, std::int64_t atSec) {
                const auto m = movement(prev, to);
                history.push_back({o.id, pipeline, prev ? std::optional(prev->id) : std::nullopt,
                                   prev ? std::optional<std::int64_t>(prev->position) : std::nullopt, to.id, to.position, m, isForward(m) ? 1 : 0,
                                   amount, o.owner, formatDateTime(atSec), o.owner, o.department});
                prev = &to;
            };
            const auto steps = static_cast<std::int64_t>(open.size());
            if (closeSec < now) {
                const bool won = rnd.chance(winRates[pIndex]);
                // A lost deal dies somewhere along the way; a won one passes every open stage.
                const auto reached = won ? steps : 1 + rnd.below(steps);
                for (std::int64_t s = 0; s < reached; ++s) move(*open[static_cast<std::size_t>(s)], createdSec + (closeSec - createdSec) * s / (reached + 1));
                move(won ? *wonStage : *lostStage, closeSec);
                o.stage = prev->id;
                o.status = won ? "won" : "lost";
                o.probability = won ? 100 : 0;
                o.category = won ? "closed" : "omitted";
                o.closedAt = formatDateTime(closeSec);
                o.closeDate = formatDate(closeSec / 86400);
                o.won = won ? 1 : 0;
                o.closed = 1;
                o.cycle = (closeSec - createdSec) / 86400;
                if (!won) o.lostReason = kLostReasons[rnd.below(6)];
                o.updatedAt = *o.closedAt;
                if (won) wonByRepMonth[{o.owner, periodOf("month", closeSec / 86400).start}] += amount;
                // Won deals become orders (the last two days' wins are still being booked); a
                // negative quantity marks a line without an order.
                lines.push_back({o.id, product.first, won && closeSec < now - 2 * 86400 ? qty : -qty, product.second});
            } else {
                const double elapsed = static_cast<double>(now - createdSec) / static_cast<double>(closeSec - createdSec);
                const auto reached = std::clamp<std::int64_t>(1 + static_cast<std::int64_t>(elapsed * static_cast<double>(steps)), 1, steps);
                for (std::int64_t s = 0; s < reached; ++s)
                    move(*open[static_cast<std::size_t>(s)], createdSec + (now - createdSec) * s / std::max<std::int64_t>(1, reached));
                o.stage = prev->id;
                o.status = "open";
                o.probability = prev->probability;
                o.category = prev->forecastCategory;
                if (o.category == "best_case" && rnd.chance(0.15)) o.category = "commit";
                o.closeDate = formatDate(closeSec / 86400);
                o.won = 0;
                o.closed = 0;
                o.updatedAt = history.back().at;
                lines.push_back({o.id, product.first, -qty, product.second});
            }
            o.weighted = round2(amount * o.probability / 100.0);
            oppOfAccount.emplace(acc.id, o.id);
            opps.push_back(std::move(o));
        }

        Transaction tx(db);
        auto ob = db.bulkInsert("sales_opportunities",
                                {"id", "name", "account_id", "contact_id", "lead_id", "pipeline_id", "stage_id", "status", "amount", "currency",
                                 "probability", "weighted_amount", "forecast_category", "expected_close_date", "closed_at", "lost_reason", "is_won",
                                 "is_closed", "cycle_days", "owner_id", "department_id", "version", "created_at", "updated_at"});
        for (const auto& o : opps)
            ob.row(o.id, o.name, o.account, o.contact, atrium::sdk::null, o.pipeline, o.stage, o.status, o.amount, "CNY",
                   o.probability, o.weighted, o.category, o.closeDate, o.closedAt, o.lostReason, o.won, o.closed, o.cycle, o.owner, o.department, 1,
                   o.createdAt, o.updatedAt);
        ob.finish();
        auto hb = db.bulkInsert("sales_stage_history", {"opportunity_id", "pipeline_id", "from_stage_id", "to_stage_id", "from_position", "to_position",
                                                        "movement", "is_forward", "amount", "changed_by", "changed_at", "owner_id", "department_id"});
        for (const auto& h : history)
            hb.row(h.opp, h.pipeline, h.fromStage, h.toStage, h.fromPos, h.toPos, h.movement, h.forward, h.amount, h.by, h.at, h.owner, h.department);
        hb.finish();
        auto pb = db.bulkInsert("sales_opportunity_products", {"opportunity_id", "product_id", "quantity", "unit_price", "discount"});
        for (const auto& l : lines) pb.row(l.opp, l.product, std::abs(l.quantity), l.price, 0.0);
        pb.finish();
        auto rb = db.bulkInsert("sales_orders", {"id", "number", "account_id", "opportunity_id", "status", "currency", "total", "order_date", "owner_id",
                                                 "department_id", "version", "created_at", "updated_at"});
        auto lb = db.bulkInsert("sales_order_lines", {"order_id", "product_id", "quantity", "unit_price", "discount", "line_total"});
        std::vector<std::tuple<std::int64_t, LineRow>> orderLines;
        for (std::size_t k = 0; k < opps.size(); ++k) {
            const auto& o = opps[k];
            const auto& l = lines[k];
            if (o.status != "won" || l.quantity < 0) continue;
            const auto id = orderId++;
            char number[32];
            std::snprintf(number, sizeof number, "SO-%08lld", static_cast<long long>(id));
            const auto ageDays = todayDays - parseDate(*o.closedAt).value_or(todayDays);
            const char* status = ageDays > 45 ? "invoiced" : ageDays > 10 ? "fulfilled" : "confirmed";
            rb.row(id, std::string(number), o.account, o.id, status, "CNY", o.amount, o.closeDate, o.owner, o.department, 1, *o.closedAt, *o.closedAt);
            orderLines.emplace_back(id, l);
        }
        rb.finish();
        for (const auto& [id, l] : orderLines) lb.row(id, l.product, l.quantity, l.price, 0.0, round2(static_cast<double>(l.quantity) * l.price));
        lb.finish();
        tx.commit();
        run.progress(0.75 * static_cast<double>(done + n) / static_cast<double>(std::max<std::int64_t>(1, total)), "opportunities");
    }

    // ---- leads -------------------------------------------------------------------------------
    const auto rules = loadRules(db);
    const auto leadTotal = static_cast<std::int64_t>(1200 * scale);
    const double sourceWeights[] = {0.35, 0.12, 0.1, 0.15, 0.13, 0.1, 0.05};
    for (std::int64_t done = 0; done < leadTotal; done += chunk) {
        const auto n = std::min(chunk, leadTotal - done);
        Transaction tx(db);
        auto lb = db.bulkInsert("sales_leads", {"first_name", "last_name", "company", "email", "phone", "title", "source", "status", "industry", "size_band",
                                                "region", "city", "score", "is_converted", "last_activity_at", "converted_at", "converted_account_id",
                                                "converted_contact_id", "converted_opportunity_id", "owner_id", "department_id", "version", "created_at",
                                                "updated_at"});
        for (std::int64_t i = 0; i < n; ++i) {
            const auto& rep = reps[static_cast<std::size_t>(rnd.below(static_cast<std::int64_t>(reps.size())))];
            const auto month = rnd.weighted(monthWeights);
            const auto mStart = monthStart[month], mEnd = std::min(monthStart[month + 1], todayDays + 1);
            const auto createdSec = (mStart + rnd.below(std::max<std::int64_t>(1, mEnd - mStart))) * 86400 + rnd.between(8 * 3600, 20 * 3600);
            const auto ageDays = (now - createdSec) / 86400;
            const std::string source = leadSources()[std::min(rnd.weighted(sourceWeights), leadSources().size() - 1)];
            const std::string industry = kIndustries[rnd.below(10)];
            const std::string size = kSizes[rnd.weighted(std::array<double, 5>{0.3, 0.3, 0.22, 0.13, 0.05})];
            const auto lastActivity = createdSec + rnd.below(std::max<std::int64_t>(1, std::min<std::int64_t>(ageDays, 120))) * 86400;
            const int score = scoreLead(rules, source, industry, size, lastActivity, now);
            // Better leads convert more often; old leads are worked to an outcome.
            std::string status = "new";
            bool converted = false;
            if (ageDays > 45) {
                const double pConvert = 0.08 + score / 250.0;
                if (rnd.chance(pConvert)) converted = true;
                else status = rnd.chance(0.6) ? "disqualified" : "working";
            } else if (ageDays > 7) {
                status = rnd.chance(0.5) ? "working" : rnd.chance(0.5) ? "qualified" : "new";
            }
            const char* first = kFirst[rnd.below(16)];
            const char* last = kLast[rnd.below(16)];
            const std::string company = std::string(kCompanyA[rnd.below(10)]) + " " + kCompanyB[rnd.below(10)] + " Co., Ltd.";
            std::string mail = std::string(first) + "." + last + "." + std::to_string(done + i + 1) + "@lead.example.cn";
            std::transform(mail.begin(), mail.end(), mail.begin(), ::tolower);
            std::optional<std::int64_t> accId, conId, oppRef;
            std::optional<std::string> convertedAt;
            if (converted) {
                status = "converted";
                const auto& acc = accounts[static_cast<std::size_t>(rnd.below(static_cast<std::int64_t>(accounts.size())))];
                accId = acc.id;
                conId = acc.contact;
                if (auto it = oppOfAccount.find(acc.id); it != oppOfAccount.end()) oppRef = it->second;
                convertedAt = formatDateTime(createdSec + rnd.between(5, 40) * 86400);
            }
            const auto created = formatDateTime(createdSec);
            lb.row(std::string(first), std::string(last), company, mail, "+86 1" + std::to_string(rnd.between(3000000000LL, 8999999999LL)),
                   rnd.chance(0.5) ? "Procurement Manager" : "IT Director", source, status, industry, size, kRegions[rnd.below(4)], kCities[rnd.below(10)],
                   score, converted ? 1 : 0, formatDateTime(lastActivity), convertedAt, accId, conId, oppRef, rep.id, rep.department, 1, created,
                   convertedAt.value_or(created));
        }
        lb.finish();
        tx.commit();
        run.progress(0.75 + 0.15 * static_cast<double>(done + n) / static_cast<double>(std::max<std::int64_t>(1, leadTotal)), "leads");
    }

    // ---- quotas: per rep per month and quarter, near what the team actually closes --------------
    double totalWon = 0;
    for (const auto& [k, v] : wonByRepMonth) totalWon += v;
    const double perRepMonth = totalWon / static_cast<double>(reps.size()) / 24.0;
    {
        Transaction tx(db);
        auto qb = db.bulkInsert("sales_quotas", {"user_id", "department_id", "period_type", "period_start", "period_end", "amount", "currency", "version",
                                                 "created_at", "updated_at"});
        const auto created = formatDateTime(now - 800 * 86400LL);
        for (const auto& rep : reps) {
            const double factor = 0.85 + 0.4 * rnd.unit();
            std::map<std::int64_t, double> quarters;
            for (int m = 0; m < 24 + 3; ++m) {
                int y = civilFromDays(monthStart[0]).y;
                int mo = static_cast<int>(civilFromDays(monthStart[0]).m) + m;
                while (mo > 12) {
                    mo -= 12;
                    ++y;
                }
                const auto start = daysFromCivil(y, static_cast<unsigned>(mo), 1);
                const auto period = periodOf("month", start);
                const double amount = std::round(perRepMonth * factor * kSeason[mo - 1] / 1000.0) * 1000.0;
                qb.row(rep.id, rep.department, "month", formatDate(period.start), formatDate(period.end), amount, "CNY", 1, created, created);
                quarters[periodOf("quarter", start).start] += amount;
            }
            for (const auto& [start, amount] : quarters)
                qb.row(rep.id, rep.department, "quarter", formatDate(start), formatDate(periodOf("quarter", start).end), amount, "CNY", 1, created, created);
        }
        qb.finish();

        // Forecast snapshots of past quarters: what each rep forecast at the start of the
        // quarter, off by a realistic margin from what then closed.
        std::map<std::pair<std::int64_t, std::int64_t>, double> wonByRepQuarter;
        for (const auto& [k, v] : wonByRepMonth) wonByRepQuarter[{k.first, periodOf("quarter", k.second).start}] += v;
        auto sb = db.bulkInsert("sales_forecast_snapshots", {"owner_id", "department_id", "period_type", "period_start", "period_end", "taken_at",
                                                             "pipeline_amount", "weighted_amount", "commit_amount", "best_case_amount",
                                                             "closed_won_amount", "forecast_amount"});
        const auto currentQuarter = periodOf("quarter", todayDays).start;
        for (const auto& [k, won] : wonByRepQuarter) {
            if (k.second >= currentQuarter) continue;
            const double forecast = std::round(won * (0.8 + 0.45 * rnd.unit()));
            const double commit = std::round(forecast * (0.7 + 0.2 * rnd.unit()));
            sb.row(k.first, repDept[k.first], "quarter", formatDate(k.second), formatDate(periodOf("quarter", k.second).end),
                   formatDateTime(k.second * 86400 + 9 * 3600), std::round(forecast * 2.6), forecast, commit, std::round(forecast * 1.2), 0.0, forecast);
        }
        sb.finish();
        tx.commit();
    }
    run.progress(1.0, "done");
}

} // namespace sales
