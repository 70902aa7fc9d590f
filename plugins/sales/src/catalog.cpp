// Pipelines with their stages, the product catalogue, lead score rules, and orders.

#include "routes.hpp"

namespace sales {
namespace {

using atrium::sdk::Row;
using atrium::sdk::TimelineEntry;
using atrium::sdk::Transaction;

Json orderJson(Row r) {
    return {{"id", r.i64("id")},
            {"number", r.text("number")},
            {"account_id", r.i64("account_id")},
            {"account_name", r.json("account_name")},
            {"opportunity_id", r.json("opportunity_id")},
            {"status", r.text("status")},
            {"currency", r.text("currency")},
            {"total", round2(r.f64("total"))},
            {"order_date", r.text("order_date").substr(0, 10)},
            {"owner_id", r.i64("owner_id")},
            {"department_id", r.json("department_id")},
            {"version", r.i64("version")},
            {"created_at", r.text("created_at")},
            {"updated_at", r.text("updated_at")}};
}
const char* kOrderSelect = "r.id, r.number, r.account_id, a.name AS account_name, r.opportunity_id, r.status, r.currency, r.total, r.order_date, "
                           "r.owner_id, r.department_id, r.version, r.created_at, r.updated_at";
const char* kOrderFrom = "sales_orders r LEFT JOIN accounts a ON a.id = r.account_id";

Json loadOrder(const Request& req, Db& db, std::int64_t id, const std::string& permission) {
    const auto scope = req.scopeFilter(permission, "r.owner_id", "r.department_id");
    auto st = db.prepare(std::string("SELECT ") + kOrderSelect + " FROM " + kOrderFrom + " WHERE r.id = ? AND " + scope.sql);
    st.bind(1, id);
    scope.bind(st, 2);
    if (!st.step()) return nullptr;
    Json j = orderJson(st.row());
    st = db.prepare("SELECT 1");
    Json lines = Json::array();
    for (auto l : db.query("SELECT l.id, l.product_id, p.code, p.name, l.quantity, l.unit_price, l.discount, l.line_total FROM sales_order_lines l "
                           "JOIN sales_products p ON p.id = l.product_id WHERE l.order_id = ? ORDER BY l.id",
                           id))
        lines.push_back({{"id", l.i64(0)}, {"product_id", l.i64(1)}, {"code", l.text(2)}, {"name", l.text(3)}, {"quantity", l.i64(4)},
                         {"unit_price", round2(l.f64(5))}, {"discount", l.f64(6)}, {"line_total", round2(l.f64(7))}});
    j["lines"] = lines;
    return j;
}

/// An order's total (and the prices of its lines, which add up to it) is the won opportunity's
/// amount: a role denying "sales.opportunity.amount" does not see it.
Json withholdAmounts(const Request& req, Json order) {
    if (order.is_null() || !req.fieldDenied("sales.opportunity.amount")) return order;
    order.erase("total");
    if (order.contains("lines"))
        for (auto& l : order["lines"]) {
            l.erase("unit_price");
            l.erase("line_total");
        }
    return order;
}

/// Order states and the moves allowed between them.
bool orderMoveAllowed(const std::string& from, const std::string& to) {
    if (from == to) return true;
    if (from == "confirmed") return to == "fulfilled" || to == "cancelled";
    if (from == "fulfilled") return to == "invoiced";
    return false;
}

} // namespace

void registerCatalogRoutes(Context& ctx) {
    auto& r = ctx.router;
    r.get("pipelines", "sales.opportunity.read", [](Request&, Db& db) -> Json {
        Json items = Json::array();
        std::map<std::int64_t, std::size_t> index;
        for (auto p : db.query("SELECT id, code, name, name_zh, is_default FROM sales_pipelines ORDER BY position")) {
            index[p.i64(0)] = items.size();
            items.push_back({{"id", p.i64(0)}, {"code", p.text(1)}, {"name", {{"en", p.text(2)}, {"zh-CN", p.text(3)}}}, {"is_default", p.boolean(4)},
                             {"stages", Json::array()}});
        }
        for (auto s : db.query("SELECT id, pipeline_id, name, name_zh, position, probability, outcome, forecast_category FROM sales_stages "
                               "ORDER BY pipeline_id, position"))
            if (auto it = index.find(s.i64(1)); it != index.end())
                items[it->second]["stages"].push_back({{"id", s.i64(0)},
                                                       {"name", {{"en", s.text(2)}, {"zh-CN", s.text(3)}}},
                                                       {"position", s.i64(4)},
                                                       {"probability", s.i64(5)},
                                                       {"outcome", s.text(6)},
                                                       {"forecast_category", s.text(7)}});
        return {{"items", items}, {"total", items.size()}};
    }, "Pipelines with their ordered stages and default probabilities");

    // ---- products: a shared catalogue, declared once through the SDK's resource layer ----------
    ctx.products = std::make_unique<atrium::sdk::Resource>(
        ctx.host.api(), atrium::sdk::Entity("sales.product", "sales_products", "products")
                            .label("Product", "产品")
                            .permissions("sales.product.read", "sales.product.write", "sales.product.write")
                            .shared()
                            .noTimeline() // a catalogue change concerns no customer
                            .text("code", 50).label("Code", "编码").required().createOnly().unique().searchable().sortable()
                            .text("name", 200).label("Name", "名称").required().searchable().sortable()
                            .text("name_zh", 200).label("Chinese name", "中文名称").searchable()
                            .text("category", 100).label("Category", "类别").filterable().sortable()
                            .money("unit_price").label("Unit price", "单价").required().range(0, 1e10).sortable()
                            .choice("currency", {currencies().begin(), currencies().end()}).label("Currency", "币种").defaultsTo("CNY").filterable()
                            .boolean("active").label("Active", "在售").defaultsTo(true).filterable()
                            .defaultSort("code"));
    // Products are referenced by order lines and opportunity products: they are retired
    // (active = false), never deleted.
    ctx.products->routes(r, atrium::sdk::Resource::List | atrium::sdk::Resource::Get | atrium::sdk::Resource::Create |
                                atrium::sdk::Resource::Update);

    // ---- score rules ---------------------------------------------------------------------------
    r.get("score-rules", "sales.lead.read", [](Request&, Db& db) -> Json {
        Json items = Json::array();
        for (const auto& rule : loadRules(db)) items.push_back({{"criterion", rule.criterion}, {"match_value", rule.value}, {"points", rule.points}});
        return {{"items", items}, {"total", items.size()}};
    }, "Lead score rules: points per source, industry, size band and activity recency");

    r.put("score-rules", "sales.settings.write", [](Request& req, Db& db) -> Json {
        const Json body = req.json();
        onlyFields(body, {"rules"});
        if (!body.contains("rules") || !body["rules"].is_array() || body["rules"].size() > 500)
            throw HttpError::validation({{"rules", "Send a list of at most 500 {criterion, match_value, points}."}});
        Problems p;
        std::vector<ScoreRule> rules;
        std::set<std::pair<std::string, std::string>> seen;
        const auto& list = body["rules"];
        for (std::size_t i = 0; i < list.size(); ++i) {
            const std::string key = "rules[" + std::to_string(i) + "]";
            Problems local;
            const auto criterion = local.oneOf(list[i], "criterion", true, {"source", "industry", "size_band", "recency_days"});
            const auto value = local.text(list[i], "match_value", true, 100);
            const auto points = local.integer(list[i], "points", true, -100, 100);
            if (criterion && value && *criterion == "recency_days") {
                std::int64_t days = 0;
                auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), days);
                if (ec != std::errc() || ptr != value->data() + value->size() || days < 0 || days > 3650)
                    local.add("match_value", "For recency_days, give the number of days (0 to 3650).");
            }
            if (!local.empty()) {
                p.add(key, "Give criterion (source, industry, size_band or recency_days), match_value and points (-100 to 100).");
                continue;
            }
            if (!seen.insert({*criterion, *value}).second) {
                p.add(key, "This criterion and value appear twice.");
                continue;
            }
            rules.push_back({*criterion, *value, static_cast<int>(*points)});
        }
        p.throwIfAny();
        Transaction tx(db);
        Json old = Json::array();
        for (const auto& rule : loadRules(db)) old.push_back({{"criterion", rule.criterion}, {"match_value", rule.value}, {"points", rule.points}});
        db.execute("DELETE FROM sales_score_rules");
        for (const auto& rule : rules)
            db.execute("INSERT INTO sales_score_rules (criterion, match_value, points) VALUES (?, ?, ?)", rule.criterion, rule.value, rule.points);
        req.audit(db, "update", "sales.score_rules", 0, {{"rules", old}}, {{"rules", body["rules"]}});
        tx.commit();
        return {{"items", body["rules"]}, {"total", rules.size()}};
    }, "Replace the lead score rules (then POST leads/rescore to apply them)");
}

void registerOrderRoutes(Context& ctx) {
    auto& r = ctx.router;
    r.get("orders", "sales.order.read", [](Request& req, Db& db) -> Json {
        static const ListSpec spec = [] {
            ListSpec s;
            s.from = kOrderFrom;
            s.select = kOrderSelect;
            s.permission = "sales.order.read";
            s.ownerColumn = "r.owner_id";
            s.departmentColumn = "r.department_id";
            s.sorts = {{"id", "r.id"}, {"number", "r.number"}, {"total", "r.total"}, {"order_date", "r.order_date"}, {"created_at", "r.created_at"}};
            s.defaultSort = "order_date";
            s.idColumn = "r.id";
            s.filters = {{"status", {"r.status"}}, {"account_id", {"r.account_id", true}}, {"owner_id", {"r.owner_id", true}},
                         {"opportunity_id", {"r.opportunity_id", true}}, {"department_id", {"r.department_id", true}}};
            s.search = {"r.number", "a.name"};
            s.ranges = {{"from", "r.order_date >= ?"}, {"to", "r.order_date <= ?"}};
            return s;
        }();
        if (req.fieldDenied("sales.opportunity.amount") && req.query("sort", "") == "total")
            throw HttpError::forbidden("You may not sort by the field 'total'.");
        Json out = runList(req, db, spec, orderJson);
        for (auto& item : out["items"]) item = withholdAmounts(req, std::move(item));
        return out;
    }, "List orders");

    r.get("orders/{id}", "sales.order.read", [](Request& req, Db& db) -> Json {
        auto j = loadOrder(req, db, req.idParam(), "sales.order.read");
        if (j.is_null()) throw HttpError::notFound("The order");
        return withholdAmounts(req, std::move(j));
    }, "One order with its lines");

    r.put("orders/{id}", "sales.order.write", [&ctx](Request& req, Db& db) -> Json {
        const auto id = req.idParam();
        const Json body = req.json();
        onlyFields(body, {"status", "version"});
        const auto version = requireVersion(body);
        Problems p;
        const auto status = p.oneOf(body, "status", true, {"confirmed", "fulfilled", "invoiced", "cancelled"});
        p.throwIfAny();
        Transaction tx(db);
        Json before = loadOrder(req, db, id, "sales.order.write");
        if (before.is_null()) {
            if (!loadOrder(req, db, id, "sales.order.read").is_null()) throw HttpError::forbidden("You may not change this order.");
            throw HttpError::notFound("The order");
        }
        const auto from = before["status"].get<std::string>();
        if (!orderMoveAllowed(from, *status))
            throw HttpError::validation({{"status", "An order that is " + from + " cannot become " + *status + "."}});
        if (db.execute("UPDATE sales_orders SET status = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?", *status, nowText(), id,
                       version) == 0)
            throw HttpError::conflict("This order was changed by someone else (your version " + std::to_string(version) + " is stale).");
        req.audit(db, "update", "sales.order", id, {{"status", from}}, {{"status", *status}});
        if (from != *status) {
            ctx.host.timeline(db, TimelineEntry{"sales.order", id, before["account_id"].get<std::int64_t>(), "order_" + *status,
                                                "Order " + before["number"].get<std::string>() + " " + *status, {{"from", from}, {"to", *status}},
                                                req.userId()});
            ctx.events.publish(db, "sales.order." + *status, {{"id", id}, {"number", before["number"]}});
        }
        tx.commit();
        return withholdAmounts(req, loadOrder(req, db, id, "sales.order.read"));
    }, "Move an order: confirmed → fulfilled → invoiced, or confirmed → cancelled (send version)");
}

} // namespace sales
