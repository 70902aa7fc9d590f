// Opportunities: list, get, create, update (stage moves with history, won / lost with reason,
// optimistic concurrency), delete, and the order created from a won opportunity.

#include "routes.hpp"

namespace sales {
namespace {

using atrium::sdk::Response;
using atrium::sdk::Row;
using atrium::sdk::TimelineEntry;
using atrium::sdk::Transaction;

const char* kSelect =
    "o.id, o.name, o.account_id, a.name AS account_name, o.contact_id, o.lead_id, o.pipeline_id, o.stage_id, s.name AS stage_name, "
    "s.name_zh AS stage_name_zh, o.status, o.amount, o.currency, o.probability, o.weighted_amount, o.forecast_category, "
    "o.expected_close_date, o.closed_at, o.lost_reason, o.cycle_days, o.owner_id, u.display_name AS owner_name, o.department_id, "
    "o.version, o.created_at, o.updated_at";
const char* kFrom =
    "sales_opportunities o JOIN sales_stages s ON s.id = o.stage_id LEFT JOIN accounts a ON a.id = o.account_id "
    "LEFT JOIN users u ON u.id = o.owner_id";

Json opportunityJson(Row r, bool amountDenied) {
    Json j = {{"id", r.i64("id")},
              {"name", r.text("name")},
              {"account_id", r.i64("account_id")},
              {"account_name", r.json("account_name")},
              {"contact_id", r.json("contact_id")},
              {"lead_id", r.json("lead_id")},
              {"pipeline_id", r.i64("pipeline_id")},
              {"stage_id", r.i64("stage_id")},
              {"stage_name", {{"en", r.text("stage_name")}, {"zh-CN", r.text("stage_name_zh")}}},
              {"status", r.text("status")},
              {"currency", r.text("currency")},
              {"probability", r.i64("probability")},
              {"forecast_category", r.text("forecast_category")},
              {"expected_close_date", r.text("expected_close_date").substr(0, 10)},
              {"closed_at", r.json("closed_at")},
              {"lost_reason", r.json("lost_reason")},
              {"cycle_days", r.json("cycle_days")},
              {"owner_id", r.i64("owner_id")},
              {"owner_name", r.json("owner_name")},
              {"department_id", r.json("department_id")},
              {"version", r.i64("version")},
              {"created_at", r.text("created_at")},
              {"updated_at", r.text("updated_at")}};
    if (!amountDenied) {
        j["amount"] = round2(r.f64("amount"));
        j["weighted_amount"] = round2(r.f64("weighted_amount"));
    }
    return j;
}

const std::set<std::string> kWritable = {"name",         "account_id",  "contact_id", "pipeline_id", "stage_id", "amount",   "currency",
                                         "probability",  "forecast_category", "expected_close_date", "lost_reason", "owner_id", "products",
                                         "version"};
const std::vector<std::string> kCategories = {"pipeline", "best_case", "commit", "omitted"};

void requireAccount(Db& db, std::int64_t id, Problems& p) {
    if (!db.scalar<std::int64_t>("SELECT id FROM accounts WHERE id = ?", id)) p.add("account_id", "No account has this id.");
}

void insertHistory(Db& db, std::int64_t opportunity, std::int64_t pipeline, const Stage* from, const Stage& to, double amount,
                   std::int64_t actor, const std::string& when, std::int64_t owner, std::optional<std::int64_t> department) {
    const auto m = movement(from, to);
    db.execute("INSERT INTO sales_stage_history (opportunity_id, pipeline_id, from_stage_id, to_stage_id, from_position, to_position, movement, "
               "is_forward, amount, changed_by, changed_at, owner_id, department_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               opportunity, pipeline, from ? std::optional(from->id) : std::nullopt, to.id,
               from ? std::optional<std::int64_t>(from->position) : std::nullopt, to.position, m, isForward(m) ? 1 : 0, amount,
               actor ? std::optional(actor) : std::nullopt, when, owner, department);
}

void replaceLines(Db& db, std::int64_t opportunity, const std::vector<NewOpportunity::Line>& lines) {
    db.execute("DELETE FROM sales_opportunity_products WHERE opportunity_id = ?", opportunity);
    for (const auto& l : lines)
        db.execute("INSERT INTO sales_opportunity_products (opportunity_id, product_id, quantity, unit_price, discount) VALUES (?, ?, ?, ?, ?)",
                   opportunity, l.productId, l.quantity, l.unitPrice, l.discount);
}

/// The stage's effect on an opportunity's status columns.
struct StageEffect {
    std::string status;
    int probability;
    std::string category;
    bool closed;
    bool won;
};
StageEffect effectOf(const Stage& s, std::optional<int> probability, std::optional<std::string> category) {
    if (s.outcome == "won") return {"won", 100, "closed", true, true};
    if (s.outcome == "lost") return {"lost", 0, "omitted", true, false};
    return {"open", probability.value_or(s.probability), category.value_or(s.forecastCategory), false, false};
}

std::optional<std::int64_t> cycleDays(const std::string& createdAt, std::int64_t closedSecs) {
    auto created = parseDateTime(createdAt);
    if (!created) return std::nullopt;
    return std::max<std::int64_t>(0, (closedSecs - *created) / 86400);
}

Json update(Context& ctx, Request& req, Db& db) {
    const auto id = req.idParam();
    const Json body = req.json();
    onlyFields(body, kWritable);
    const auto version = requireVersion(body);
    if (req.fieldDenied("sales.opportunity.amount") && (body.contains("amount") || body.contains("products")))
        throw HttpError::forbidden("You may not set the field 'amount'.");
    Transaction tx(db);
    const auto scope = req.scopeFilter("sales.opportunity.write", "o.owner_id", "o.department_id");
    auto st = db.prepare("SELECT o.name, o.account_id, o.contact_id, o.pipeline_id, o.stage_id, o.amount, o.currency, o.probability, "
                         "o.forecast_category, o.expected_close_date, o.lost_reason, o.owner_id, o.department_id, o.version, o.created_at, "
                         "o.status FROM sales_opportunities o WHERE o.id = ? AND " +
                         scope.sql);
    st.bind(1, id);
    scope.bind(st, 2);
    if (!st.step()) {
        if (!loadOpportunity(req, db, id, false).is_null()) throw HttpError::forbidden("You may not change this opportunity.");
        throw HttpError::notFound("The opportunity");
    }
    auto r = st.row();
    Json before = {{"name", r.text(0)},         {"account_id", r.i64(1)},       {"contact_id", r.json(2)},
                   {"pipeline_id", r.i64(3)},   {"stage_id", r.i64(4)},         {"amount", round2(r.f64(5))},
                   {"currency", r.text(6)},     {"probability", r.i64(7)},      {"forecast_category", r.text(8)},
                   {"expected_close_date", r.text(9).substr(0, 10)}, {"lost_reason", r.json(10)}, {"owner_id", r.i64(11)}};
    const std::optional<std::int64_t> oldDept = r.optI64(12);
    const auto createdAt = r.text(14);
    const auto oldStatus = r.text(15);
    st = db.prepare("SELECT 1"); // release the row before writing (MySQL streams results)

    Stages stages(db);
    Problems p;
    const auto name = p.text(body, "name", false, 200);
    if (body.contains("name") && !name) p.add("name", "This field is required.");
    const auto accountId = p.integer(body, "account_id", false, 1, INT64_MAX);
    if (accountId) requireAccount(db, *accountId, p);
    const auto contactId = p.integer(body, "contact_id", false, 1, INT64_MAX);
    const auto pipelineId = p.integer(body, "pipeline_id", false, 1, INT64_MAX);
    const auto stageId = p.integer(body, "stage_id", false, 1, INT64_MAX);
    auto amount = p.number(body, "amount", false, 0, 1e12);
    const auto currency = p.text(body, "currency", false, 3);
    if (currency && !currencies().contains(*currency)) p.add("currency", "Use an ISO 4217 code Atrium knows (CNY, USD, EUR, HKD, JPY, GBP, SGD).");
    const auto probability = p.integer(body, "probability", false, 0, 100);
    const auto category = p.oneOf(body, "forecast_category", false, kCategories);
    const auto closeDate = p.date(body, "expected_close_date", false);
    const auto lostReason = p.text(body, "lost_reason", false, 200);
    const auto ownerId = p.integer(body, "owner_id", false, 1, INT64_MAX);
    auto lines = parseLines(body, db, p);
    const std::int64_t pipeline = pipelineId.value_or(before["pipeline_id"].get<std::int64_t>());
    if (pipelineId && !stages.pipeline(*pipelineId)) p.add("pipeline_id", "No pipeline has this id.");
    std::int64_t newStageId = stageId.value_or(before["stage_id"].get<std::int64_t>());
    if (pipelineId && !stageId && *pipelineId != before["pipeline_id"].get<std::int64_t>()) {
        if (auto f = stages.first(*pipelineId)) newStageId = f->id;
    }
    const Stage* to = stages.find(newStageId);
    if (!to || to->pipelineId != pipeline) p.add("stage_id", "The stage does not belong to the opportunity's pipeline.");
    const Stage* from = stages.find(before["stage_id"].get<std::int64_t>());
    if (to && to->outcome == "lost" && !lostReason && before["lost_reason"].is_null()) p.add("lost_reason", "Say why the opportunity was lost.");
    OwnerInfo owner{before["owner_id"].get<std::int64_t>(), oldDept};
    if (ownerId && *ownerId != owner.id) owner = checkOwner(req, db, *ownerId, "sales.opportunity.write", p);
    p.throwIfAny();

    if (lines && !body.contains("amount")) amount = linesTotal(*lines);
    const double newAmount = amount.value_or(before["amount"].get<double>());
    const bool stageChanged = to->id != from->id;
    const auto effect = effectOf(*to, probability ? std::optional<int>(static_cast<int>(*probability))
                                                  : (stageChanged ? std::nullopt : std::optional<int>(before["probability"].get<int>())),
                                 category ? category : (stageChanged ? std::nullopt : std::optional(before["forecast_category"].get<std::string>())));
    const auto now = nowSeconds();
    const auto nowTxt = formatDateTime(now);
    std::optional<std::string> closedAt;
    std::optional<std::int64_t> cycle;
    if (effect.closed) {
        closedAt = nowTxt;
        cycle = cycleDays(createdAt, now);
    }
    const bool reopening = !effect.closed && oldStatus != "open";
    const double weighted = round2(newAmount * effect.probability / 100.0);
    const auto changed = db.execute(
        "UPDATE sales_opportunities SET name = ?, account_id = ?, contact_id = ?, pipeline_id = ?, stage_id = ?, status = ?, amount = ?, "
        "currency = ?, probability = ?, weighted_amount = ?, forecast_category = ?, expected_close_date = ?, "
        "closed_at = CASE WHEN ? = 1 THEN COALESCE(closed_at, ?) ELSE NULL END, lost_reason = ?, is_won = ?, is_closed = ?, "
        "cycle_days = CASE WHEN ? = 1 THEN COALESCE(cycle_days, ?) ELSE NULL END, owner_id = ?, department_id = ?, version = version + 1, "
        "updated_at = ? WHERE id = ? AND version = ?",
        name.value_or(before["name"].get<std::string>()), accountId.value_or(before["account_id"].get<std::int64_t>()),
        contactId ? contactId : (before["contact_id"].is_null() ? std::nullopt : std::optional(before["contact_id"].get<std::int64_t>())),
        pipeline, to->id, effect.status, newAmount, currency.value_or(before["currency"].get<std::string>()), effect.probability, weighted,
        effect.category, closeDate.value_or(before["expected_close_date"].get<std::string>()), effect.closed ? 1 : 0, closedAt,
        to->outcome == "lost" ? (lostReason ? lostReason : before["lost_reason"].is_null() ? std::nullopt
                                                                                          : std::optional(before["lost_reason"].get<std::string>()))
                              : std::nullopt,
        effect.won ? 1 : 0, effect.closed ? 1 : 0, effect.closed ? 1 : 0, cycle, owner.id, owner.department, nowTxt, id, version);
    if (changed == 0)
        throw HttpError::conflict("This opportunity was changed by someone else (your version " + std::to_string(version) +
                                  " is stale); reload it and apply your change again.");
    if (lines) replaceLines(db, id, *lines);
    const auto accountForTimeline = accountId.value_or(before["account_id"].get<std::int64_t>());
    Json after = loadOpportunity(req, db, id, false);
    Json changes = Json::object();
    for (const auto& [k, v] : before.items())
        if (after.contains(k) && after[k] != v) changes[k] = after[k];
    req.audit(db, "update", "sales.opportunity", id, before, changes);
    if (stageChanged) {
        insertHistory(db, id, pipeline, from, *to, newAmount, req.userId(), nowTxt, owner.id, owner.department);
        const Json detail = {{"opportunity_id", id}, {"from_stage_id", from->id}, {"to_stage_id", to->id}, {"from", from->name}, {"to", to->name},
                             {"amount", newAmount}, {"currency", after.value("currency", "CNY")}};
        const std::string title = effect.won   ? "Opportunity won: " + after["name"].get<std::string>()
                                  : to->outcome == "lost" ? "Opportunity lost: " + after["name"].get<std::string>()
                                                          : "Opportunity moved from " + from->name + " to " + to->name;
        ctx.host.timeline(db, TimelineEntry{"sales.opportunity", id, accountForTimeline, effect.won ? "won" : to->outcome == "lost" ? "lost" : "stage_changed",
                                            title, detail, req.userId()});
        ctx.events.publish(db, "sales.opportunity.stage_changed", detail);
        if (effect.won)
            ctx.events.publish(db, "sales.opportunity.won", {{"id", id}, {"account_id", accountForTimeline}, {"amount", newAmount},
                                                             {"currency", after.value("currency", "CNY")}, {"owner_id", owner.id}});
        if (to->outcome == "lost")
            ctx.events.publish(db, "sales.opportunity.lost",
                               {{"id", id}, {"account_id", accountForTimeline}, {"reason", after.value("lost_reason", Json(nullptr))}, {"owner_id", owner.id}});
        if (reopening) ctx.events.publish(db, "sales.opportunity.reopened", {{"id", id}});
    } else if (!changes.empty()) {
        ctx.events.publish(db, "sales.opportunity.updated", {{"id", id}, {"changes", changes}});
    }
    if (changes.contains("owner_id"))
        ctx.host.timeline(db, TimelineEntry{"sales.opportunity", id, accountForTimeline, "owner_changed", "Opportunity handed to a new owner",
                                            {{"from", before["owner_id"]}, {"to", owner.id}}, req.userId()});
    tx.commit();
    return loadOpportunity(req, db, id, true);
}

Json createOrder(Context& ctx, Request& req, Db& db) {
    const auto id = req.idParam();
    Transaction tx(db);
    const auto scope = req.scopeFilter("sales.order.write", "o.owner_id", "o.department_id");
    auto st = db.prepare("SELECT o.status, o.account_id, o.currency, o.owner_id, o.department_id, o.name FROM sales_opportunities o WHERE o.id = ? AND " +
                         scope.sql);
    st.bind(1, id);
    scope.bind(st, 2);
    if (!st.step()) throw HttpError::notFound("The opportunity");
    auto r = st.row();
    const auto status = r.text(0);
    const auto account = r.i64(1);
    const auto currency = r.text(2);
    const auto owner = r.i64(3);
    const auto dept = r.optI64(4);
    const auto oppName = r.text(5);
    st = db.prepare("SELECT 1");
    if (status != "won") throw HttpError::validation({{"status", "Only a won opportunity becomes an order."}});
    if (db.scalar<std::int64_t>("SELECT id FROM sales_orders WHERE opportunity_id = ?", id))
        throw HttpError::conflict("This opportunity already has an order.");
    std::vector<NewOpportunity::Line> lines;
    for (auto l : db.query("SELECT product_id, quantity, unit_price, discount FROM sales_opportunity_products WHERE opportunity_id = ? ORDER BY id", id))
        lines.push_back({l.i64(0), l.i64(1), l.f64(2), l.f64(3)});
    if (lines.empty()) throw HttpError::validation({{"products", "The opportunity has no products; add them before ordering."}});
    const double total = linesTotal(lines);
    const auto now = nowText();
    const auto orderId = db.insert("INSERT INTO sales_orders (number, account_id, opportunity_id, status, currency, total, order_date, owner_id, "
                                   "department_id, version, created_at, updated_at) VALUES (?, ?, ?, 'confirmed', ?, ?, ?, ?, ?, 1, ?, ?)",
                                   "pending-" + std::to_string(id), account, id, currency, total, formatDate(today()), owner, dept, now, now);
    char number[32];
    std::snprintf(number, sizeof number, "SO-%08lld", static_cast<long long>(orderId));
    db.execute("UPDATE sales_orders SET number = ? WHERE id = ?", std::string(number), orderId);
    for (const auto& l : lines)
        db.execute("INSERT INTO sales_order_lines (order_id, product_id, quantity, unit_price, discount, line_total) VALUES (?, ?, ?, ?, ?, ?)", orderId,
                   l.productId, l.quantity, l.unitPrice, l.discount, round2(l.quantity * l.unitPrice * (1.0 - l.discount / 100.0)));
    const Json values = {{"number", number}, {"opportunity_id", id}, {"account_id", account}, {"total", total}, {"currency", currency}};
    req.audit(db, "create", "sales.order", orderId, nullptr, values);
    ctx.host.timeline(db, TimelineEntry{"sales.order", orderId, account, "order_created", std::string("Order ") + number + " from " + oppName, values,
                                        req.userId()});
    ctx.events.publish(db, "sales.order.created", withId(orderId, values));
    tx.commit();
    Json out = {{"id", orderId}, {"number", number}, {"opportunity_id", id}, {"account_id", account}, {"status", "confirmed"}, {"currency", currency},
                {"total", total}};
    if (req.fieldDenied("sales.opportunity.amount")) out.erase("total"); // an order's total is the opportunity's amount
    return out;
}

} // namespace

double linesTotal(const std::vector<NewOpportunity::Line>& lines) {
    double total = 0;
    for (const auto& l : lines) total += round2(l.quantity * l.unitPrice * (1.0 - l.discount / 100.0));
    return round2(total);
}

std::optional<std::vector<NewOpportunity::Line>> parseLines(const Json& body, Db& db, Problems& p) {
    if (!body.contains("products")) return std::nullopt;
    const auto& list = body["products"];
    if (!list.is_array() || list.size() > 100) {
        p.add("products", "Send a list of at most 100 {product_id, quantity, unit_price, discount}.");
        return std::nullopt;
    }
    std::vector<NewOpportunity::Line> lines;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto& item = list[i];
        const std::string key = "products[" + std::to_string(i) + "]";
        if (!item.is_object()) {
            p.add(key, "Send {product_id, quantity, unit_price, discount}.");
            continue;
        }
        Problems local;
        const auto product = local.integer(item, "product_id", true, 1, INT64_MAX);
        const auto qty = local.integer(item, "quantity", true, 1, 1000000);
        auto price = local.number(item, "unit_price", false, 0, 1e10);
        const auto discount = local.number(item, "discount", false, 0, 100);
        if (product && !price) {
            price = db.scalar<double>("SELECT unit_price FROM sales_products WHERE id = ? AND active = 1", *product);
            if (!price) local.add("product_id", "No active product has this id.");
        } else if (product && !db.scalar<std::int64_t>("SELECT id FROM sales_products WHERE id = ?", *product)) {
            local.add("product_id", "No product has this id.");
        }
        if (!local.empty()) {
            p.add(key, "Check product_id (an active product), quantity (1 to 1,000,000), unit_price (0 or more) and discount (0 to 100).");
            continue;
        }
        lines.push_back({*product, *qty, *price, discount.value_or(0.0)});
    }
    return lines;
}

Json loadOpportunity(const Request& req, Db& db, std::int64_t id, bool withDetails) {
    const auto scope = req.scopeFilter("sales.opportunity.read", "o.owner_id", "o.department_id");
    auto st = db.prepare(std::string("SELECT ") + kSelect + " FROM " + kFrom + " WHERE o.id = ? AND " + scope.sql);
    st.bind(1, id);
    scope.bind(st, 2);
    if (!st.step()) return nullptr;
    const bool denied = req.fieldDenied("sales.opportunity.amount");
    Json j = opportunityJson(st.row(), denied);
    st = db.prepare("SELECT 1");
    if (!withDetails) return j;
    Json products = Json::array();
    for (auto r : db.query("SELECT l.id, l.product_id, p.code, p.name, l.quantity, l.unit_price, l.discount FROM sales_opportunity_products l "
                           "JOIN sales_products p ON p.id = l.product_id WHERE l.opportunity_id = ? ORDER BY l.id",
                           id)) {
        Json line = {{"id", r.i64(0)}, {"product_id", r.i64(1)}, {"code", r.text(2)}, {"name", r.text(3)}, {"quantity", r.i64(4)},
                     {"discount", r.f64(6)}};
        if (!denied) line["unit_price"] = round2(r.f64(5));
        products.push_back(line);
    }
    Json history = Json::array();
    for (auto r : db.query("SELECT h.id, h.from_stage_id, fs.name, h.to_stage_id, ts.name, h.movement, h.changed_by, u.display_name, h.changed_at "
                           "FROM sales_stage_history h JOIN sales_stages ts ON ts.id = h.to_stage_id LEFT JOIN sales_stages fs ON fs.id = h.from_stage_id "
                           "LEFT JOIN users u ON u.id = h.changed_by WHERE h.opportunity_id = ? ORDER BY h.changed_at, h.id",
                           id))
        history.push_back({{"id", r.i64(0)},
                           {"from_stage_id", r.json(1)},
                           {"from", r.json(2)},
                           {"to_stage_id", r.i64(3)},
                           {"to", r.text(4)},
                           {"movement", r.text(5)},
                           {"changed_by", r.json(6)},
                           {"changed_by_name", r.json(7)},
                           {"changed_at", r.text(8)}});
    j["products"] = products;
    j["stage_history"] = history;
    return j;
}

std::int64_t insertOpportunity(Context& ctx, const Request& req, Db& db, const Stages& stages, const NewOpportunity& o) {
    const Stage* stage = stages.find(o.stageId);
    const auto effect = effectOf(*stage, o.probability, o.forecastCategory);
    const auto nowSecs = nowSeconds();
    const auto now = formatDateTime(nowSecs);
    const double weighted = round2(o.amount * effect.probability / 100.0);
    const auto id = db.insert(
        "INSERT INTO sales_opportunities (name, account_id, contact_id, lead_id, pipeline_id, stage_id, status, amount, currency, probability, "
        "weighted_amount, forecast_category, expected_close_date, closed_at, lost_reason, is_won, is_closed, cycle_days, owner_id, department_id, "
        "version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
        o.name, o.accountId, o.contactId, o.leadId, o.pipelineId, stage->id, effect.status, o.amount, o.currency, effect.probability, weighted,
        effect.category, o.expectedCloseDate, effect.closed ? std::optional(now) : std::nullopt,
        stage->outcome == "lost" ? o.lostReason : std::nullopt, effect.won ? 1 : 0, effect.closed ? 1 : 0,
        effect.closed ? std::optional<std::int64_t>(0) : std::nullopt, o.ownerId, o.departmentId, now, now);
    if (o.products) replaceLines(db, id, *o.products);
    insertHistory(db, id, o.pipelineId, nullptr, *stage, o.amount, req.userId(), now, o.ownerId, o.departmentId);
    const Json values = {{"name", o.name},         {"account_id", o.accountId}, {"pipeline_id", o.pipelineId}, {"stage_id", stage->id},
                         {"amount", o.amount},     {"currency", o.currency},    {"owner_id", o.ownerId},       {"expected_close_date", o.expectedCloseDate},
                         {"lead_id", o.leadId ? Json(*o.leadId) : Json(nullptr)}};
    req.audit(db, "create", "sales.opportunity", id, nullptr, values);
    ctx.host.timeline(db, TimelineEntry{"sales.opportunity", id, o.accountId, "created", "Opportunity created: " + o.name, values, req.userId()});
    ctx.events.publish(db, "sales.opportunity.created", withId(id, values));
    if (effect.won)
        ctx.events.publish(db, "sales.opportunity.won", {{"id", id}, {"account_id", o.accountId}, {"amount", o.amount}, {"currency", o.currency},
                                                         {"owner_id", o.ownerId}});
    return id;
}

void registerOpportunityRoutes(Context& ctx) {
    auto& r = ctx.router;
    r.get("opportunities", "sales.opportunity.read", [](Request& req, Db& db) -> Json {
        static const ListSpec spec = [] {
            ListSpec s;
            s.from = kFrom;
            s.select = kSelect;
            s.permission = "sales.opportunity.read";
            s.ownerColumn = "o.owner_id";
            s.departmentColumn = "o.department_id";
            s.sorts = {{"id", "o.id"},           {"name", "o.name"},           {"amount", "o.amount"},
                       {"probability", "o.probability"}, {"expected_close_date", "o.expected_close_date"}, {"created_at", "o.created_at"},
                       {"updated_at", "o.updated_at"},   {"closed_at", "o.closed_at"}};
            s.defaultSort = "expected_close_date";
            s.idColumn = "o.id";
            s.filters = {{"status", {"o.status"}},
                         {"stage_id", {"o.stage_id", true}},
                         {"pipeline_id", {"o.pipeline_id", true}},
                         {"account_id", {"o.account_id", true}},
                         {"owner_id", {"o.owner_id", true}},
                         {"department_id", {"o.department_id", true}},
                         {"forecast_category", {"o.forecast_category"}},
                         {"currency", {"o.currency"}}};
            s.search = {"o.name", "a.name"};
            s.ranges = {{"closing_from", "o.expected_close_date >= ?"}, {"closing_to", "o.expected_close_date <= ?"}};
            return s;
        }();
        if (req.fieldDenied("sales.opportunity.amount") && req.query("sort").value_or("") == "amount")
            throw HttpError::forbidden("You may not sort by the field 'amount'.");
        const bool denied = req.fieldDenied("sales.opportunity.amount");
        return runList(req, db, spec, [denied](Row row) { return opportunityJson(row, denied); });
    }, "List opportunities (limit, offset, sort, order, q, status, stage_id, pipeline_id, account_id, owner_id, closing_from/to)");

    r.get("opportunities/{id}", "sales.opportunity.read", [](Request& req, Db& db) -> Json {
        auto j = loadOpportunity(req, db, req.idParam(), true);
        if (j.is_null()) throw HttpError::notFound("The opportunity");
        return j;
    }, "One opportunity with its products and stage history");

    r.post("opportunities", "sales.opportunity.write", [&ctx](Request& req, Db& db) -> Json {
        const Json body = req.json();
        auto allowed = kWritable;
        allowed.erase("version");
        onlyFields(body, allowed);
        if (req.fieldDenied("sales.opportunity.amount") && body.contains("amount")) throw HttpError::forbidden("You may not set the field 'amount'.");
        Stages stages(db);
        Problems p;
        NewOpportunity o;
        o.name = p.text(body, "name", true, 200).value_or("");
        const auto account = p.integer(body, "account_id", true, 1, INT64_MAX);
        if (account) requireAccount(db, *account, p);
        o.accountId = account.value_or(0);
        o.contactId = p.integer(body, "contact_id", false, 1, INT64_MAX);
        if (o.contactId && !db.scalar<std::int64_t>("SELECT id FROM contacts WHERE id = ?", *o.contactId)) p.add("contact_id", "No contact has this id.");
        o.pipelineId = p.integer(body, "pipeline_id", false, 1, INT64_MAX).value_or(stages.defaultPipeline());
        if (!stages.pipeline(o.pipelineId)) p.add("pipeline_id", "No pipeline has this id.");
        const auto stageId = p.integer(body, "stage_id", false, 1, INT64_MAX);
        const Stage* stage = stageId ? stages.find(*stageId) : stages.first(o.pipelineId);
        if (!stage || stage->pipelineId != o.pipelineId) p.add("stage_id", "The stage does not belong to the pipeline.");
        else o.stageId = stage->id;
        auto amount = p.number(body, "amount", false, 0, 1e12);
        o.currency = p.text(body, "currency", false, 3).value_or("CNY");
        if (!currencies().contains(o.currency)) p.add("currency", "Use an ISO 4217 code Atrium knows (CNY, USD, EUR, HKD, JPY, GBP, SGD).");
        if (auto prob = p.integer(body, "probability", false, 0, 100)) o.probability = static_cast<int>(*prob);
        o.forecastCategory = p.oneOf(body, "forecast_category", false, kCategories);
        o.expectedCloseDate = p.date(body, "expected_close_date", true).value_or("");
        o.lostReason = p.text(body, "lost_reason", false, 200);
        if (stage && stage->outcome == "lost" && !o.lostReason) p.add("lost_reason", "Say why the opportunity was lost.");
        o.products = parseLines(body, db, p);
        if (!amount && !o.products) p.add("amount", "This field is required (or send products).");
        const auto ownerId = p.integer(body, "owner_id", false, 1, INT64_MAX).value_or(req.userId());
        const auto owner = checkOwner(req, db, ownerId, "sales.opportunity.write", p);
        p.throwIfAny();
        o.amount = amount ? round2(*amount) : linesTotal(*o.products);
        o.ownerId = owner.id;
        o.departmentId = owner.department;
        Transaction tx(db);
        const auto id = insertOpportunity(ctx, req, db, stages, o);
        tx.commit();
        return loadOpportunity(req, db, id, true);
    }, "Create an opportunity");

    r.put("opportunities/{id}", "sales.opportunity.write", [&ctx](Request& req, Db& db) -> Json { return update(ctx, req, db); },
          "Update an opportunity (send version); a stage change is recorded in the stage history");

    r.del("opportunities/{id}", "sales.opportunity.delete", [&ctx](Request& req, Db& db) -> Json {
        const auto id = req.idParam();
        Transaction tx(db);
        const auto scope = req.scopeFilter("sales.opportunity.delete", "o.owner_id", "o.department_id");
        auto st = db.prepare("SELECT o.name, o.account_id, o.amount, o.status, o.owner_id FROM sales_opportunities o WHERE o.id = ? AND " + scope.sql);
        st.bind(1, id);
        scope.bind(st, 2);
        if (!st.step()) {
            if (!loadOpportunity(req, db, id, false).is_null()) throw HttpError::forbidden("You may not delete this opportunity.");
            throw HttpError::notFound("The opportunity");
        }
        Json old = st.row().object();
        st = db.prepare("SELECT 1");
        if (db.scalar<std::int64_t>("SELECT id FROM sales_orders WHERE opportunity_id = ?", id))
            throw HttpError::conflict("This opportunity has an order; cancel the order instead of deleting the opportunity.");
        db.execute("DELETE FROM sales_stage_history WHERE opportunity_id = ?", id);
        db.execute("DELETE FROM sales_opportunity_products WHERE opportunity_id = ?", id);
        db.execute("DELETE FROM sales_opportunities WHERE id = ?", id);
        req.audit(db, "delete", "sales.opportunity", id, old, nullptr);
        ctx.host.timeline(db, TimelineEntry{"sales.opportunity", id, old["account_id"].get<std::int64_t>(), "deleted",
                                            "Opportunity deleted: " + old["name"].get<std::string>(), nullptr, req.userId()});
        ctx.events.publish(db, "sales.opportunity.deleted", {{"id", id}});
        tx.commit();
        return {{"ok", true}};
    }, "Delete an opportunity and its history");

    r.post("opportunities/{id}/order", "sales.order.write", [&ctx](Request& req, Db& db) -> Json { return createOrder(ctx, req, db); },
           "Create the order of a won opportunity from its products");
}

} // namespace sales
