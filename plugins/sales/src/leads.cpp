// Leads: list, get, create, update (rule-based score kept current), delete, rescore, and the
// conversion to account + contact + opportunity in one transaction.

#include "routes.hpp"

namespace sales {
namespace {

using atrium::sdk::Row;
using atrium::sdk::TimelineEntry;
using atrium::sdk::Transaction;

const char* kSelect =
    "l.id, l.first_name, l.last_name, l.company, l.email, l.phone, l.title, l.source, l.status, l.industry, l.size_band, l.region, l.city, "
    "l.score, l.last_activity_at, l.converted_at, l.converted_account_id, l.converted_contact_id, l.converted_opportunity_id, l.owner_id, "
    "u.display_name AS owner_name, l.department_id, l.version, l.created_at, l.updated_at";
const char* kFrom = "sales_leads l LEFT JOIN users u ON u.id = l.owner_id";

Json leadJson(Row r) {
    Json j = r.object();
    return j;
}

int rescore(Db& db, const std::vector<ScoreRule>& rules, std::int64_t id) {
    std::string source, industry, size;
    std::optional<std::int64_t> last;
    bool found = false;
    for (auto r : db.query("SELECT source, industry, size_band, last_activity_at FROM sales_leads WHERE id = ?", id)) {
        found = true;
        source = r.text(0);
        industry = r.text(1);
        size = r.text(2);
        if (!r.isNull(3)) last = parseDateTime(r.textView(3));
    }
    if (!found) return 0;
    const int score = scoreLead(rules, source, industry, size, last, nowSeconds());
    // updated_at moves with the score: the in-memory report tables refresh by that watermark.
    db.execute("UPDATE sales_leads SET score = ?, updated_at = ? WHERE id = ? AND score <> ?", score, nowText(), id, score);
    return score;
}

Json loadLead(const Request& req, Db& db, std::int64_t id, const std::string& permission = "sales.lead.read") {
    const auto scope = req.scopeFilter(permission, "l.owner_id", "l.department_id");
    auto st = db.prepare(std::string("SELECT ") + kSelect + " FROM " + kFrom + " WHERE l.id = ? AND " + scope.sql);
    st.bind(1, id);
    scope.bind(st, 2);
    if (!st.step()) return nullptr;
    return leadJson(st.row());
}

Json convert(Context& ctx, Request& req, Db& db) {
    const auto id = req.idParam();
    const Json body = req.body().empty() ? Json::object() : req.json();
    onlyFields(body, {"account_id", "account", "contact", "opportunity", "create_opportunity", "version"});
    Problems p;
    const auto existingAccount = p.integer(body, "account_id", false, 1, INT64_MAX);
    const auto version = p.integer(body, "version", false, 1, INT64_MAX);
    for (const char* part : {"account", "contact", "opportunity"})
        if (body.contains(part) && !body[part].is_object() && !body[part].is_null()) p.add(part, "Send an object.");
    const bool wantOpportunity = !body.contains("create_opportunity") || body["create_opportunity"] != false;
    p.throwIfAny();

    // Everything below commits together or not at all: the account, the contact, the
    // opportunity, the lead's new state, the copied timeline, the audit rows and the events.
    Transaction tx(db);
    Json lead = loadLead(req, db, id, "sales.lead.write");
    if (lead.is_null()) {
        if (!loadLead(req, db, id).is_null()) throw HttpError::forbidden("You may not convert this lead.");
        throw HttpError::notFound("The lead");
    }
    if (lead["status"] == "converted") throw HttpError::conflict("This lead was already converted.");
    if (lead["status"] == "disqualified") throw HttpError::validation({{"status", "A disqualified lead cannot be converted; requalify it first."}});
    if (version && *version != lead["version"].get<std::int64_t>())
        throw HttpError::conflict("This lead was changed by someone else (your version " + std::to_string(*version) + " is stale); reload it.");
    const auto owner = lead["owner_id"].get<std::int64_t>();
    auto str = [&](const char* k) { return lead[k].is_null() ? Json(nullptr) : lead[k]; };

    std::int64_t accountId = 0;
    if (existingAccount) {
        if (!db.scalar<std::int64_t>("SELECT id FROM accounts WHERE id = ?", *existingAccount))
            throw HttpError::validation({{"account_id", "No account has this id."}});
        accountId = *existingAccount;
    } else {
        Json account = {{"name", lead["company"]}, {"owner_id", owner}};
        for (const char* k : {"industry", "size_band", "region", "city"})
            if (!lead[k].is_null()) account[k] = lead[k];
        if (body.contains("account") && body["account"].is_object())
            for (const auto& [k, v] : body["account"].items()) account[k] = v;
        account["country"] = account.value("country", Json("China"));
        accountId = req.createAccount(db, account);
    }
    Json contact = {{"account_id", accountId}, {"first_name", lead["first_name"]}, {"owner_id", owner}};
    for (const char* k : {"last_name", "email", "phone", "title"})
        if (!str(k).is_null()) contact[k] = lead[k];
    if (body.contains("contact") && body["contact"].is_object())
        for (const auto& [k, v] : body["contact"].items()) contact[k] = v;
    contact["account_id"] = accountId;
    const auto contactId = req.createContact(db, contact);

    std::optional<std::int64_t> opportunityId;
    if (wantOpportunity) {
        const Json spec = body.contains("opportunity") && body["opportunity"].is_object() ? body["opportunity"] : Json::object();
        onlyFields(spec, {"name", "amount", "currency", "pipeline_id", "stage_id", "expected_close_date", "products"});
        Stages stages(db);
        Problems op;
        NewOpportunity o;
        o.name = op.text(spec, "name", false, 200).value_or(lead["company"].get<std::string>());
        o.accountId = accountId;
        o.contactId = contactId;
        o.leadId = id;
        o.pipelineId = op.integer(spec, "pipeline_id", false, 1, INT64_MAX).value_or(stages.defaultPipeline());
        if (!stages.pipeline(o.pipelineId)) op.add("pipeline_id", "No pipeline has this id.");
        const auto stageId = op.integer(spec, "stage_id", false, 1, INT64_MAX);
        const Stage* stage = stageId ? stages.find(*stageId) : stages.first(o.pipelineId);
        if (!stage || stage->pipelineId != o.pipelineId || stage->outcome != "open") op.add("stage_id", "Choose an open stage of the pipeline.");
        else o.stageId = stage->id;
        o.products = parseLines(spec, db, op);
        const auto amount = op.number(spec, "amount", false, 0, 1e12);
        o.amount = amount ? round2(*amount) : o.products ? linesTotal(*o.products) : 0.0;
        o.currency = op.text(spec, "currency", false, 3).value_or("CNY");
        if (!currencies().contains(o.currency)) op.add("currency", "Use an ISO 4217 code Atrium knows (CNY, USD, EUR, HKD, JPY, GBP, SGD).");
        o.expectedCloseDate = op.date(spec, "expected_close_date", false).value_or(formatDate(today() + 90));
        o.ownerId = owner;
        o.departmentId = lead["department_id"].is_null() ? std::nullopt : std::optional(lead["department_id"].get<std::int64_t>());
        if (!op.empty()) {
            // Report the problems under "opportunity.<field>", like the other parts.
            try {
                op.throwIfAny();
            } catch (const HttpError& e) {
                Json fields = Json::object();
                for (const auto& [k, v] : e.fields().items()) fields["opportunity." + k] = v;
                throw HttpError::validation(fields);
            }
        }
        opportunityId = insertOpportunity(ctx, req, db, stages, o);
    }

    const auto now = nowText();
    db.execute("UPDATE sales_leads SET status = 'converted', is_converted = 1, converted_at = ?, converted_account_id = ?, converted_contact_id = ?, "
               "converted_opportunity_id = ?, version = version + 1, updated_at = ? WHERE id = ?",
               now, accountId, contactId, opportunityId, now, id);

    // The lead's history moves to the customer: each entry is copied onto the account's
    // timeline with its original time in the body.
    std::vector<TimelineEntry> carried;
    for (auto r : db.query("SELECT kind, title, body, actor_id, occurred_at FROM timeline_events WHERE entity_type = 'sales.lead' AND entity_id = ? "
                           "ORDER BY occurred_at, id",
                           id)) {
        Json detail = Json::object();
        if (!r.isNull(2)) {
            auto parsed = Json::parse(r.textView(2), nullptr, false);
            if (parsed.is_object()) detail = parsed;
        }
        detail["carried_from_lead"] = id;
        detail["original_occurred_at"] = r.text(4);
        carried.push_back({"sales.lead", id, accountId, r.text(0), r.text(1), detail, r.i64(3)});
    }
    for (const auto& e : carried) ctx.host.timeline(db, e);
    const Json result = {{"lead_id", id}, {"account_id", accountId}, {"contact_id", contactId},
                         {"opportunity_id", opportunityId ? Json(*opportunityId) : Json(nullptr)}, {"timeline_entries_carried", carried.size()}};
    ctx.host.timeline(db, TimelineEntry{"sales.lead", id, accountId, "converted",
                                        "Lead converted: " + lead["first_name"].get<std::string>() + " (" + lead["company"].get<std::string>() + ")",
                                        result, req.userId()});
    req.audit(db, "convert", "sales.lead", id, {{"status", lead["status"]}}, result);
    ctx.events.publish(db, "sales.lead.converted", result);
    tx.commit();
    return result;
}

} // namespace

/// The lead as an entity of the SDK's resource layer: list, get, create, update and delete with
/// the platform's conventions; the score and the rules of converted leads come from hooks.
void registerLeadRoutes(Context& ctx) {
    auto& r = ctx.router;
    atrium::sdk::ResourceHooks hooks;
    hooks.validate = [](Request&, Db& db, Json& values, const Json& before, atrium::sdk::Problems& problems) {
        if (before.is_object() && before.value("status", std::string()) == "converted")
            throw HttpError::conflict("A converted lead cannot change; edit its account, contact or opportunity.");
        // Only conversion makes a lead "converted".
        if (values.value("status", Json()) == "converted")
            problems.add("status", "Use one of: new, working, qualified, disqualified.");
        // The score follows the rules over the lead as it will be stored.
        const auto current = [&](const char* field) {
            const Json v = values.contains(field) ? values[field] : (before.is_object() ? before.value(field, Json()) : Json());
            return v.is_string() ? v.get<std::string>() : std::string();
        };
        std::optional<std::int64_t> last;
        if (const auto a = current("last_activity_at"); !a.empty()) last = parseDateTime(a);
        values["score"] = scoreLead(loadRules(db), current("source"), current("industry"), current("size_band"), last, nowSeconds());
    };
    hooks.title = [](std::string_view action, const Json& lead, const Json& changes) -> std::string {
        if (action == "created") return "Lead created: " + lead.value("first_name", std::string()) + " (" + lead.value("company", std::string()) + ")";
        if (action == "updated" && changes.contains("status") && changes["status"].is_string())
            return "Lead status: " + changes["status"].get<std::string>();
        return action == "updated" ? "Lead updated" : "Lead deleted";
    };
    std::vector<std::string> statuses = {"new", "working", "qualified", "disqualified", "converted"};
    ctx.leads = std::make_unique<atrium::sdk::Resource>(
        ctx.host.api(),
        atrium::sdk::Entity("sales.lead", "sales_leads", "leads")
            .label("Lead", "线索")
            .text("first_name", 100).label("First name", "名").required().searchable()
            .text("last_name", 100).label("Last name", "姓").searchable()
            .text("company", 200).label("Company", "公司").required().searchable().sortable()
            .email("email").label("E-mail", "邮箱").searchable().deniable()
            .text("phone", 50).label("Phone", "电话").deniable()
            .text("title", 100).label("Job title", "职位")
            .choice("source", leadSources()).label("Source", "来源").required().filterable()
            .choice("status", statuses).label("Status", "状态").defaultsTo("new").filterable()
            .text("industry", 100).label("Industry", "行业").filterable()
            .choice("size_band", sizeBands()).label("Company size", "公司规模").filterable()
            .text("region", 100).label("Region", "区域").filterable()
            .text("city", 100).label("City", "城市")
            .integer("score").label("Score", "评分").readOnly().sortable()
            .dateTime("last_activity_at").label("Last activity", "最近活动").sortable()
            .dateTime("converted_at").label("Converted", "转化时间").readOnly()
            .integer("converted_account_id").readOnly()
            .integer("converted_contact_id").readOnly()
            .integer("converted_opportunity_id").readOnly()
            .lookup("owner_name", "owner_id", "users", "display_name")
            .defaultSort("created_at"),
        std::move(hooks));
    ctx.leads->routes(r);

    r.post("leads/{id}/convert", "sales.lead.write", [&ctx](Request& req, Db& db) -> Json { return convert(ctx, req, db); },
           "Convert a lead to an account, a contact and an opportunity in one transaction");

    r.post("leads/rescore", "sales.settings.write", [](Request& req, Db& db) -> Json {
        Transaction tx(db);
        const auto rules = loadRules(db);
        std::vector<std::int64_t> ids;
        for (auto row : db.query("SELECT id FROM sales_leads WHERE is_converted = 0")) ids.push_back(row.i64(0));
        for (auto id : ids) rescore(db, rules, id);
        req.audit(db, "rescore", "sales.lead", 0, nullptr, {{"leads", ids.size()}});
        tx.commit();
        return {{"rescored", ids.size()}};
    }, "Recompute every open lead's score with the current rules");
}

} // namespace sales
