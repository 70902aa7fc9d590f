// abi.good: a plugin that exercises every part of the host API the ABI tests check.

#include <atrium/sdk.hpp>

#include <stdexcept>

using namespace atrium::sdk;

class GoodPlugin : public Plugin {
public:
    static constexpr atrium_migration migrations[] = {
        {1, "items", R"SQL(
CREATE TABLE abi_good_items (
  id ${ID},
  text ${STR} NOT NULL,
  owner_id ${BIGINT} NOT NULL,
  department_id ${BIGINT} NULL,
  created_at ${DATETIME} NOT NULL
)${TABLE};
CREATE INDEX abi_good_items_owner ON abi_good_items(owner_id)
)SQL"},
        {2, "audit of item events", R"SQL(
CREATE TABLE abi_good_audit (
  id ${ID},
  item_id ${BIGINT} NOT NULL,
  note ${STR} NOT NULL
)${TABLE}
)SQL"},
    };

    void init() override {
        router().get("items", "abi.good.items.read", [](Request& req, Db& db) -> Json {
            const auto scope = req.scopeFilter("abi.good.items.read", "owner_id", "department_id");
            auto stmt = db.prepare("SELECT id, text, owner_id FROM abi_good_items WHERE " + scope.sql + " ORDER BY id");
            scope.bind(stmt);
            Json items = Json::array();
            while (stmt.step()) items.push_back(stmt.row().object());
            return {{"items", items}};
        });
        router().get("items/{id}", "abi.good.items.read", [](Request& req, Db& db) -> Json {
            for (auto row : db.query("SELECT id, text FROM abi_good_items WHERE id = ?", req.idParam())) return row.object();
            throw HttpError::notFound("Item " + std::to_string(req.idParam()));
        });
        router().post("items", "abi.good.items.write", [this](Request& req, Db& db) -> Json {
            const auto body = req.json();
            const std::string text = body.value("text", "");
            if (text.empty()) throw HttpError::validation({{"text", "is required"}});
            Transaction tx(db);
            const auto id = db.insert("INSERT INTO abi_good_items (text, owner_id, department_id, created_at) VALUES (?, ?, ?, ?)", text,
                                      req.userId(), req.departmentId() ? std::optional(req.departmentId()) : std::nullopt,
                                      "2026-01-15 10:00:00");
            if (body.contains("accountId"))
                host().timeline(db, {"abi.good.item", id, body["accountId"].get<std::int64_t>(), "created", "Item " + text, {{"text", text}}, req.userId()});
            events().publish(db, "abi.good.item.created", {{"id", id}, {"text", text}});
            if (text == "fail-after-write") throw std::runtime_error("simulated failure after the insert");
            tx.commit();
            return {{"id", id}};
        });
        router().get("config", "abi.good.items.read", [this](Request&, Db&) -> Json {
            return {{"greeting", host().config("greeting", "none")}, {"missing", host().config("missing").has_value()}};
        });
        router().get("dialect", "abi.good.items.read", [](Request&, Db& db) -> Json {
            return {{"name", db.dialect().name()},
                    {"month", db.dialect().dateBucket("created_at", Grain::Month)},
                    {"upsert", db.dialect().upsert("abi_good_items", {"id", "text"}, {"id"})},
                    {"ddl", db.dialect().expand("CREATE TABLE abi_good_x (id ${ID})")}};
        });
        router().post("bulk", "abi.good.items.write", [](Request& req, Db& db) -> Json {
            const auto n = req.queryInt("count", 10, 0, 100000);
            Transaction tx(db);
            auto bulk = db.bulkInsert("abi_good_items", {"text", "owner_id", "department_id", "created_at"});
            for (std::int64_t i = 0; i < n; ++i) bulk.row("bulk " + std::to_string(i), req.userId(), null, "2026-02-01 00:00:00");
            const auto rows = bulk.finish();
            tx.commit();
            return {{"rows", rows}, {"total", db.scalar<std::int64_t>("SELECT COUNT(*) FROM abi_good_items").value_or(-1)}};
        });
        router().post("bulk-foreign", "abi.good.items.write", [](Request&, Db& db) -> Json {
            db.bulkInsert("users", {"email"}); // another owner's table: refused by the host
            return {};
        });
        // Runs the SQL it is given, for the tests of the host's write guard and freshness:
        // {"sql", "exec": use db_exec instead of prepare/step, "tx": in a transaction,
        //  "rollback": roll that transaction back}. No event is published.
        router().post("raw", "abi.good.items.write", [](Request& req, Db& db) -> Json {
            const auto body = req.json();
            const std::string sql = body.value("sql", "");
            const bool exec = body.value("exec", false);
            auto run = [&]() -> std::int64_t {
                if (exec) {
                    db.exec(sql);
                    return -1;
                }
                return db.execute(sql);
            };
            if (!body.value("tx", false)) return {{"changes", run()}};
            Transaction tx(db);
            const auto changes = run();
            if (!body.value("rollback", false)) tx.commit();
            return {{"changes", changes}};
        });
        router().get("conflict", "abi.good.items.read", [](Request&, Db&) -> Json { throw HttpError::conflict("Already done."); });
        router().get("crash", "abi.good.items.read", [](Request&, Db&) -> Json { throw std::logic_error("a bug in the plugin"); });
        router().get("bad-json", "abi.good.items.read", [](Request&, Db&) -> Json { return Json::parse("{}")["x"].get<int>(); });

        events().subscribe("abi.good.item.created", [](const Event& e, Db& db) {
            const auto id = e.payload.at("id").get<std::int64_t>();
            db.execute("INSERT INTO abi_good_audit (item_id, note) VALUES (?, ?)", id, "created");
            if (e.payload.value("text", "") == "poison") throw std::runtime_error("the subscriber cannot handle poison");
        });

        declare(Dataset("abi.good.items")
                    .name("Items", "项目")
                    .table("abi_good_items")
                    .time("created_at", "Created", "创建时间")
                    .measure("id", "Items", "项目数", Aggregate::Count)
                    .scope("abi.good.items.read", "owner_id", "department_id"));
        declare(Kpi("abi.good.items_count").name("Items", "项目数").dataset("abi.good.items").count().time("created_at"));
        serveAssets("web");
        host().info("abi.good ready");
    }

    void shutdown() override { host().info("abi.good shut down"); }

    void demo(Db& db, DemoRun& run) override {
        const auto n = static_cast<std::int64_t>(2500 * run.scale());
        Transaction tx(db);
        auto bulk = db.bulkInsert("abi_good_items", {"text", "owner_id", "department_id", "created_at"});
        for (std::int64_t i = 0; i < n; ++i) bulk.row("demo " + std::to_string(run.seed()), 1, null, "2026-03-01 00:00:00");
        bulk.finish();
        tx.commit();
        run.progress(1.0, "items");
    }
};

ATRIUM_PLUGIN(GoodPlugin)
