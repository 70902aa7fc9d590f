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

/// A lead's contact details follow the fields "sales.lead.email" / "sales.lead.phone": a role
/// denying one never receives it, cannot set it and cannot search by it.
Json withholdDenied(const Request& req, Json lead) {
    if (lead.is_object())
        for (const char* k : {"email", "phone"})
            if (req.fieldDenied(std::string("sales.lead.") + k)) lead.erase(k);
    return lead;
}
void refuseDeniedWrites(const Request& req, const Json& body) {
    for (const char* k : {"email", "phone"})
        if (body.contains(k) && req.fieldDenied(std::string("sales.lead.") + k))
            throw HttpError::forbidden(std::string("You may not set the field '") + k + "'.");
}

const std::vector<std::string> kStatuses = {"new", "working", "qualified", "disqualified"};
const std::set<std::string> kWritable = {"first_name", "last_name", "company",  "email", "phone",    "title",
                                         "source",     "status",    "industry", "size_band", "region", "city",
                                         "last_activity_at", "owner_id", "version"};

struct LeadInput {
    std::optional<std::string> firstName, lastName, company, email, phone, title, source, status, industry, sizeBand, region, city, lastActivity;
    std::optional<std::int64_t> ownerId;
};

LeadInput parseLead(const Json& body, Problems& p, bool creating) {
    LeadInput in;
    in.firstName = p.text(body, "first_name", creating, 100);
    in.lastName = p.text(body, "last_name", false, 100);
    in.company = p.text(body, "company", creating, 200);
    in.email = p.email(body, "email");
    in.phone = p.text(body, "phone", false, 50);
    in.title = p.text(body, "title", false, 100);
    in.source = p.oneOf(body, "source", creating, leadSources());
    in.status = p.oneOf(body, "status", false, kStatuses);
    in.industry = p.text(body, "industry", false, 100);
    in.sizeBand = p.oneOf(body, "size_band", false, sizeBands());
    in.region = p.text(body, "region", false, 100);
    in.city = p.text(body, "city", false, 100);
    if (auto a = p.text(body, "last_activity_at", false, 19)) {
        if (!parseDateTime(*a)) p.add("last_activity_at", "Enter a date as YYYY-MM-DD or a time as YYYY-MM-DD HH:MM:SS.");
        else in.lastActivity = a->size() == 10 ? *a + " 00:00:00" : *a;
    }
    in.ownerId = p.integer(body, "owner_id", false, 1, INT64_MAX);
    if (!creating)
        for (const char* required : {"first_name", "company", "source"})
            if (body.contains(required) && !p.has(required) && (body[required].is_null() || body[required] == ""))
                p.add(required, "This field is required.");
    return in;
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
    db.execute("UPDATE sales_leads SET score = ? WHERE id = ?", score, id);
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

void registerLeadRoutes(Context& ctx) {
    auto& r = ctx.router;
    r.get("leads", "sales.lead.read", [](Request& req, Db& db) -> Json {
        static const auto make = [](bool searchEmail) {
            ListSpec s;
            s.from = kFrom;
            s.select = kSelect;
            s.permission = "sales.lead.read";
            s.ownerColumn = "l.owner_id";
            s.departmentColumn = "l.department_id";
            s.sorts = {{"id", "l.id"}, {"score", "l.score"}, {"company", "l.company"}, {"created_at", "l.created_at"},
                       {"updated_at", "l.updated_at"}, {"last_activity_at", "l.last_activity_at"}};
            s.defaultSort = "created_at";
            s.idColumn = "l.id";
            s.filters = {{"status", {"l.status"}},         {"source", {"l.source"}},       {"industry", {"l.industry"}},
                         {"size_band", {"l.size_band"}},   {"region", {"l.region"}},       {"owner_id", {"l.owner_id", true}},
                         {"department_id", {"l.department_id", true}}};
            s.search = {"l.company", "l.first_name", "l.last_name"};
            if (searchEmail) s.search.push_back("l.email");
            s.ranges = {{"created_from", "l.created_at >= ?"}, {"created_to", "l.created_at <= ?"}};
            return s;
        };
        static const ListSpec spec = make(true), withoutEmail = make(false);
        return runList(req, db, req.fieldDenied("sales.lead.email") ? withoutEmail : spec,
                       [&req](Row r) { return withholdDenied(req, leadJson(r)); });
    }, "List leads (limit, offset, sort, order, q, status, source, industry, size_band, region, owner_id)");

    r.get("leads/{id}", "sales.lead.read", [](Request& req, Db& db) -> Json {
        auto j = loadLead(req, db, req.idParam());
        if (j.is_null()) throw HttpError::notFound("The lead");
        return withholdDenied(req, std::move(j));
    }, "One lead");

    r.post("leads", "sales.lead.write", [&ctx](Request& req, Db& db) -> Json {
        const Json body = req.json();
        auto allowed = kWritable;
        allowed.erase("version");
        onlyFields(body, allowed);
        refuseDeniedWrites(req, body);
        Problems p;
        auto in = parseLead(body, p, true);
        const auto owner = checkOwner(req, db, in.ownerId.value_or(req.userId()), "sales.lead.write", p);
        p.throwIfAny();
        Transaction tx(db);
        const auto now = nowText();
        const auto id = db.insert("INSERT INTO sales_leads (first_name, last_name, company, email, phone, title, source, status, industry, size_band, "
                                  "region, city, score, last_activity_at, owner_id, department_id, version, created_at, updated_at) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, 1, ?, ?)",
                                  *in.firstName, in.lastName, *in.company, in.email, in.phone, in.title, *in.source, in.status.value_or("new"),
                                  in.industry, in.sizeBand, in.region, in.city, in.lastActivity, owner.id, owner.department, now, now);
        const int score = rescore(db, loadRules(db), id);
        Json values = body;
        values["score"] = score;
        values["owner_id"] = owner.id;
        req.audit(db, "create", "sales.lead", id, nullptr, values);
        ctx.host.timeline(db, TimelineEntry{"sales.lead", id, 0, "created", "Lead created: " + *in.firstName + " (" + *in.company + ")",
                                            {{"source", *in.source}, {"score", score}}, req.userId()});
        ctx.events.publish(db, "sales.lead.created", {{"id", id}, {"source", *in.source}, {"score", score}, {"owner_id", owner.id}});
        tx.commit();
        return withholdDenied(req, loadLead(req, db, id));
    }, "Create a lead (scored by the score rules)");

    r.put("leads/{id}", "sales.lead.write", [&ctx](Request& req, Db& db) -> Json {
        const auto id = req.idParam();
        const Json body = req.json();
        onlyFields(body, kWritable);
        refuseDeniedWrites(req, body);
        const auto version = requireVersion(body);
        Problems p;
        auto in = parseLead(body, p, false);
        Transaction tx(db);
        Json before = loadLead(req, db, id, "sales.lead.write");
        if (before.is_null()) {
            if (!loadLead(req, db, id).is_null()) throw HttpError::forbidden("You may not change this lead.");
            throw HttpError::notFound("The lead");
        }
        if (before["status"] == "converted") throw HttpError::conflict("A converted lead cannot change; edit its account, contact or opportunity.");
        OwnerInfo owner{before["owner_id"].get<std::int64_t>(),
                        before["department_id"].is_null() ? std::nullopt : std::optional(before["department_id"].get<std::int64_t>())};
        if (in.ownerId && *in.ownerId != owner.id) owner = checkOwner(req, db, *in.ownerId, "sales.lead.write", p);
        p.throwIfAny();
        std::string sql = "UPDATE sales_leads SET ";
        std::vector<Param> params;
        Json changes = Json::object();
        auto set = [&](const char* column, const std::optional<std::string>& v) {
            if (!body.contains(column)) return;
            sql += std::string(column) + " = ?, ";
            if (v) params.emplace_back(*v);
            else params.emplace_back(std::string());
            changes[column] = v ? Json(*v) : Json(nullptr);
        };
        set("first_name", in.firstName);
        set("company", in.company);
        set("source", in.source);
        set("status", in.status);
        // Optional columns become NULL when cleared.
        std::vector<std::pair<const char*, std::optional<std::string>>> nullable = {
            {"last_name", in.lastName}, {"email", in.email},   {"phone", in.phone}, {"title", in.title},
            {"industry", in.industry},  {"size_band", in.sizeBand}, {"region", in.region}, {"city", in.city}, {"last_activity_at", in.lastActivity}};
        for (auto& [col, v] : nullable) {
            if (!body.contains(col)) continue;
            sql += std::string(col) + " = " + (v ? "?" : "NULL") + ", ";
            if (v) params.emplace_back(*v);
            changes[col] = v ? Json(*v) : Json(nullptr);
        }
        if (owner.id != before["owner_id"].get<std::int64_t>()) {
            sql += "owner_id = ?, department_id = " + std::string(owner.department ? "?" : "NULL") + ", ";
            params.emplace_back(owner.id);
            if (owner.department) params.emplace_back(*owner.department);
            changes["owner_id"] = owner.id;
        }
        sql += "version = version + 1, updated_at = ? WHERE id = ? AND version = ?";
        params.emplace_back(nowText());
        params.emplace_back(id);
        params.emplace_back(version);
        auto st = db.prepare(sql);
        bindParams(st, params);
        st.step();
        if (st.changes() == 0)
            throw HttpError::conflict("This lead was changed by someone else (your version " + std::to_string(version) +
                                      " is stale); reload it and apply your change again.");
        const int score = rescore(db, loadRules(db), id);
        if (score != before["score"].get<int>()) changes["score"] = score;
        Json old = Json::object();
        for (const auto& [k, v] : changes.items()) old[k] = before.contains(k) ? before[k] : Json(nullptr);
        req.audit(db, "update", "sales.lead", id, old, changes);
        std::string title = "Lead updated";
        if (changes.contains("status")) title = "Lead status: " + changes["status"].get<std::string>();
        ctx.host.timeline(db, TimelineEntry{"sales.lead", id, 0, "updated", title, changes, req.userId()});
        ctx.events.publish(db, "sales.lead.updated", {{"id", id}, {"changes", changes}});
        tx.commit();
        return withholdDenied(req, loadLead(req, db, id));
    }, "Update a lead (send version)");

    r.del("leads/{id}", "sales.lead.delete", [&ctx](Request& req, Db& db) -> Json {
        const auto id = req.idParam();
        Transaction tx(db);
        Json before = loadLead(req, db, id, "sales.lead.delete");
        if (before.is_null()) {
            if (!loadLead(req, db, id).is_null()) throw HttpError::forbidden("You may not delete this lead.");
            throw HttpError::notFound("The lead");
        }
        db.execute("DELETE FROM sales_leads WHERE id = ?", id);
        req.audit(db, "delete", "sales.lead", id, before, nullptr);
        ctx.events.publish(db, "sales.lead.deleted", {{"id", id}});
        tx.commit();
        return {{"ok", true}};
    }, "Delete a lead");

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
