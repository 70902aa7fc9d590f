// A test plugin for the SDK's resource layer: one owned entity with every field feature and
// hooks, one shared (catalogue) entity, and a subscriber that records the events it sees so the
// test can check they were published in the write's transaction.

#include <atrium/sdk.hpp>
#include <atrium/sdk/resource.hpp>

#include <memory>

using namespace atrium::sdk;

class ResourceTestPlugin : public Plugin {
public:
    static constexpr atrium_migration migrations[] = {
        {1, "items, tags, seen events", R"SQL(
CREATE TABLE restest_items (
  id ${ID},
  name ${STR} NOT NULL,
  status ${STR} NOT NULL,
  amount ${MONEY} NULL,
  email ${STR} NULL,
  due ${DATE} NULL,
  account_id ${BIGINT} NULL,
  done ${BOOL} NOT NULL,
  score ${INT} NOT NULL,
  note ${TEXT} NULL,
  owner_id ${BIGINT} NOT NULL,
  department_id ${BIGINT} NULL,
  version ${INT} NOT NULL,
  created_at ${DATETIME} NOT NULL,
  updated_at ${DATETIME} NOT NULL
)${TABLE};
CREATE TABLE restest_tags (
  id ${ID},
  code ${STR} NOT NULL,
  label ${STR} NOT NULL,
  version ${INT} NOT NULL,
  created_at ${DATETIME} NOT NULL,
  updated_at ${DATETIME} NOT NULL
)${TABLE};
CREATE TABLE restest_seen (
  id ${ID},
  topic ${STR} NOT NULL,
  payload ${TEXT} NOT NULL
)${TABLE}
)SQL"},
    };

    void init() override {
        Entity items = Entity("restest.item", "restest_items", "items")
                           .label("Item", "条目")
                           .text("name", 20).label("Name", "名称").required().searchable().sortable().unique()
                           .choice("status", {"new", "open", "closed"}).defaultsTo("new").filterable().sortable()
                           .money("amount").range(0, 1e9).sortable().filterable().deniable()
                           .email("email").searchable().deniable()
                           .date("due").sortable().filterable()
                           .reference("account_id", "accounts", "core.account.read").filterable()
                           .boolean("done").defaultsTo(false).filterable()
                           .integer("score").readOnly().sortable()
                           .text("note", 1000).createOnly()
                           .lookup("account_name", "account_id", "accounts", "name")
                           .account("account_id")
                           .defaultSort("name");
        ResourceHooks hooks;
        hooks.validate = [](Request&, Db&, Json& values, const Json& before, Problems& problems) {
            // A module rule across fields: a closed item needs an amount.
            const auto status = values.value("status", before.is_object() ? before.value("status", Json()) : Json());
            const auto amount = values.contains("amount") ? values["amount"] : (before.is_object() ? before.value("amount", Json()) : Json());
            if (status == "closed" && amount.is_null()) problems.add("amount", "A closed item needs an amount.");
            // A computed field the client cannot send.
            if (values.contains("name") && values["name"].is_string()) values["score"] = static_cast<std::int64_t>(values["name"].get<std::string>().size() * 10);
        };
        hooks.afterWrite = [](Request&, Db&, std::int64_t, const Json&, const Json& after) {
            // A failing follow-up rolls the whole write back (row, audit, timeline, events).
            if (after.value("name", std::string()) == "rollback-me") throw HttpError::conflict("The follow-up write failed.");
        };
        hooks.beforeDelete = [](Request&, Db&, const Json& before) {
            if (before.value("status", std::string()) == "open") throw HttpError::conflict("Close the item before deleting it.");
        };
        hooks.present = [](Request&, Db&, Json& record) { record["display"] = record.value("name", std::string()) + "!"; };
        hooks.title = [](std::string_view action, const Json& record, const Json&) {
            return "Item " + std::string(action) + ": " + record.value("name", std::string());
        };
        _items = std::make_unique<Resource>(host().api(), std::move(items), std::move(hooks));
        _items->routes(router());

        // The children of one account, through the list's extra scope.
        router().get("accounts/{id}/items", "restest.item.read", [this](Request& req, Db& db) -> Json {
            return _items->list(req, db, {"t.account_id = ?", {req.idParam()}});
        });

        _tags = std::make_unique<Resource>(host().api(), Entity("restest.tag", "restest_tags", "tags")
                                                             .label("Tag", "标签")
                                                             .permissions("restest.tag.read", "restest.tag.write", "restest.tag.write")
                                                             .shared()
                                                             .noTimeline()
                                                             .text("code", 20).required().unique().sortable()
                                                             .text("label", 100).required().searchable());
        _tags->routes(router());

        events().subscribe("restest.*", [](const Event& e, Db& db) {
            db.execute("INSERT INTO restest_seen (topic, payload) VALUES (?, ?)", std::string(e.topic), e.payload.dump());
        });
    }

private:
    std::unique_ptr<Resource> _items, _tags;
};

ATRIUM_PLUGIN(ResourceTestPlugin)
