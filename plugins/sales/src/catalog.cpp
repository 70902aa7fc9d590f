// Pipelines with their stages, the product catalogue, lead score rules, and orders.

#include "routes.hpp"

namespace sales {
namespace {

using atrium::sdk::Row;
using atrium::sdk::TimelineEntry;
using atrium::sdk::Transaction;

Json productJson(Row r) {
    return {{"id", r.i64("id")},           {"code", r.text("code")},          {"name", r.text("name")},
            {"name_zh", r.json("name_zh")}, {"category", r.json("category")}, {"unit_price", round2(r.f64("unit_price"))},
            {"currency", r.text("currency")}, {"active", r.boolean("active")}, {"version", r.i64("version")},
            {"created_at", r.text("created_at")}, {"updated_at", r.text("updated_at")}};
}

const char* kProductColumns = "id, code, name, name_zh, category, unit_price, currency, active, version, created_at, updated_at";

Json loadProduct(Db& db, std::int64_t id) {
    for (auto r : db.query(std::string("SELECT ") + kProductColumns + " FROM sales_products WHERE id = ?", id)) return productJson(r);
    return nullptr;
}

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

    // ---- products ------------------------------------------------------------------------------
    r.get("products", "sales.product.read", [](Request& req, Db& db) -> Json {
        static const ListSpec spec = [] {
            ListSpec s;
            s.from = "sales_products p";
            s.select = "p.id, p.code, p.name, p.name_zh, p.category, p.unit_price, p.currency, p.active, p.version, p.created_at, p.updated_at";
            s.permission = "sales.product.read";
            // Products are a shared catalogue: every holder of the permission sees all of them.
            s.ownerColumn = "";
            s.departmentColumn = "";
            s.sorts = {{"id", "p.id"}, {"code", "p.code"}, {"name", "p.name"}, {"unit_price", "p.unit_price"}, {"category", "p.category"}};
            s.defaultSort = "code";
            s.idColumn = "p.id";
            s.filters = {{"category", {"p.category"}}, {"active", {"p.active", true}}, {"currency", {"p.currency"}}};
            s.search = {"p.code", "p.name", "p.name_zh"};
            return s;
        }();
        return runList(req, db, spec, productJson);
    }, "The product catalogue");

    r.get("products/{id}", "sales.product.read", [](Request& req, Db& db) -> Json {
        auto j = loadProduct(db, req.idParam());
        if (j.is_null()) throw HttpError::notFound("The product");
        return j;
    }, "One product");

    r.post("products", "sales.product.write", [](Request& req, Db& db) -> Json {
        const Json body = req.json();
        onlyFields(body, {"code", "name", "name_zh", "category", "unit_price", "currency", "active"});
        Problems p;
        const auto code = p.text(body, "code", true, 50);
        const auto name = p.text(body, "name", true, 200);
        const auto nameZh = p.text(body, "name_zh", false, 200);
        const auto category = p.text(body, "category", false, 100);
        const auto price = p.number(body, "unit_price", true, 0, 1e10);
        const auto currency = p.text(body, "currency", false, 3).value_or("CNY");
        if (!currencies().contains(currency)) p.add("currency", "Use an ISO 4217 code Atrium knows (CNY, USD, EUR, HKD, JPY, GBP, SGD).");
        if (body.contains("active") && !body["active"].is_boolean()) p.add("active", "Send true or false.");
        if (code && db.scalar<std::int64_t>("SELECT id FROM sales_products WHERE code = ?", *code)) p.add("code", "Another product has this code.");
        p.throwIfAny();
        Transaction tx(db);
        const auto now = nowText();
        const auto id = db.insert("INSERT INTO sales_products (code, name, name_zh, category, unit_price, currency, active, version, created_at, updated_at) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                                  *code, *name, nameZh, category, round2(*price), currency, body.value("active", true) ? 1 : 0, now, now);
        req.audit(db, "create", "sales.product", id, nullptr, body);
        tx.commit();
        return loadProduct(db, id);
    }, "Add a product");

    r.put("products/{id}", "sales.product.write", [](Request& req, Db& db) -> Json {
        const auto id = req.idParam();
        const Json body = req.json();
        onlyFields(body, {"name", "name_zh", "category", "unit_price", "currency", "active", "version"});
        const auto version = requireVersion(body);
        Problems p;
        const auto name = p.text(body, "name", false, 200);
        if (body.contains("name") && !name) p.add("name", "This field is required.");
        const auto nameZh = p.text(body, "name_zh", false, 200);
        const auto category = p.text(body, "category", false, 100);
        const auto price = p.number(body, "unit_price", false, 0, 1e10);
        const auto currency = p.text(body, "currency", false, 3);
        if (currency && !currencies().contains(*currency)) p.add("currency", "Use an ISO 4217 code Atrium knows (CNY, USD, EUR, HKD, JPY, GBP, SGD).");
        if (body.contains("active") && !body["active"].is_boolean()) p.add("active", "Send true or false.");
        p.throwIfAny();
        Transaction tx(db);
        Json before = loadProduct(db, id);
        if (before.is_null()) throw HttpError::notFound("The product");
        const auto changed = db.execute(
            "UPDATE sales_products SET name = ?, name_zh = ?, category = ?, unit_price = ?, currency = ?, active = ?, version = version + 1, "
            "updated_at = ? WHERE id = ? AND version = ?",
            name.value_or(before["name"].get<std::string>()),
            body.contains("name_zh") ? nameZh : (before["name_zh"].is_null() ? std::nullopt : std::optional(before["name_zh"].get<std::string>())),
            body.contains("category") ? category : (before["category"].is_null() ? std::nullopt : std::optional(before["category"].get<std::string>())),
            price ? round2(*price) : before["unit_price"].get<double>(), currency.value_or(before["currency"].get<std::string>()),
            body.value("active", before["active"].get<bool>()) ? 1 : 0, nowText(), id, version);
        if (changed == 0) throw HttpError::conflict("This product was changed by someone else (your version " + std::to_string(version) + " is stale).");
        Json after = loadProduct(db, id);
        Json old = Json::object(), changes = Json::object();
        for (const auto& [k, v] : after.items())
            if (k != "version" && k != "updated_at" && before[k] != v) {
                old[k] = before[k];
                changes[k] = v;
            }
        req.audit(db, "update", "sales.product", id, old, changes);
        tx.commit();
        return after;
    }, "Change a product (send version)");

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
