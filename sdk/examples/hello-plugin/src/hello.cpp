// The Hello plugin: everything a real plugin does, in one small file.
//
//   - a table created by migrations (tables start with the plugin's prefix "hello_")
//   - an entity declared once through the resource layer: list, get, create, update and
//     delete under /api/v1/hello/greetings with validation, record scope, field denials, audit,
//     the customer timeline and the hello.greeting.created|updated|deleted events
//   - a hand-written route (daily statistics)
//   - a setting (default_language) an administrator changes at runtime: read per request,
//     so the change applies without a restart, and a handler told of each change
//   - a dataset and a KPI for the reporting engine
//   - demo data written with a bulk insert
//   - UI assets served under /plugins/hello/

#include <atrium/sdk.hpp>

#include <chrono>
#include <memory>
#include <ctime>
#include <random>
#include <string>
#include <vector>

using namespace atrium::sdk;

namespace {

/// 'YYYY-MM-DD HH:MM:SS' in UTC, the format every Atrium datetime column uses.
std::string utc(std::chrono::system_clock::time_point when) {
    const std::time_t t = std::chrono::system_clock::to_time_t(when);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buffer[20];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &tm);
    return buffer;
}

} // namespace

class HelloPlugin : public Plugin {
public:
    // Released migrations are never edited; a change is a new, higher version.
    static constexpr atrium_migration migrations[] = {
        {1, "greetings", R"SQL(
CREATE TABLE hello_greetings (
  id ${ID},
  text ${STR} NOT NULL,
  language ${STR} NOT NULL,
  account_id ${BIGINT} NULL,
  owner_id ${BIGINT} NOT NULL,
  department_id ${BIGINT} NULL,
  created_at ${DATETIME} NOT NULL
)${TABLE};
CREATE INDEX hello_greetings_owner ON hello_greetings(owner_id);
CREATE INDEX hello_greetings_created ON hello_greetings(created_at)
)SQL"},
        // What the resource layer expects of a table: a version for optimistic updates and the
        // time of the last change.
        {2, "version and updated_at", R"SQL(
ALTER TABLE hello_greetings ADD COLUMN version ${INT} NOT NULL DEFAULT 1;
ALTER TABLE hello_greetings ADD COLUMN updated_at ${DATETIME} NULL;
UPDATE hello_greetings SET updated_at = created_at
)SQL"},
    };

    void init() override {
        // The declared setting: stored by an admin > plugins.hello.default_language in the
        // configuration file > the manifest default ("en").
        const auto language = host().setting<std::string>("default_language");
        // Told after an administrator's change committed; hello passes it on as an event
        // (payload {"key", "value"}) so other modules and caches can follow.
        onSettingChanged([this](const std::string& key, const Json& value) {
            host().info("setting " + key + " is now " + value.dump());
            events().publish("hello.setting.changed", {{"key", key}, {"value", value}});
        });

        // One declaration gives the five routes of /api/v1/hello/greetings and everything a
        // write does in its transaction (audit row, timeline entry, event).
        _greetings = std::make_unique<Resource>(
            host().api(), Entity("hello.greeting", "hello_greetings", "greetings")
                              .label("Greeting", "问候")
                              .permissions("hello.greetings.read", "hello.greetings.write", "hello.greetings.write")
                              .text("text", 200).label("Text", "内容").required().searchable().sortable()
                              .choice("language", {"en", "zh-CN"}).label("Language", "语言").filterable()
                              .reference("account_id", "accounts", "core.account.read").label("Account", "客户").filterable()
                              .lookup("account_name", "account_id", "accounts", "name")
                              .account("account_id")
                              .defaultSort("created_at", true),
            ResourceHooks{.validate = [this](Request&, Db&, Json& values, const Json& before, Problems&) {
                // A greeting created without a language takes the setting as it is now.
                if (before.is_null() && !values.contains("language"))
                    values["language"] = host().setting<std::string>("default_language");
            }});
        _greetings->routes(router());

        router().get("stats/daily", "hello.greetings.read", [](Request& req, Db& db) -> Json {
            // Date buckets differ between SQLite and MariaDB; the dialect writes the expression.
            const auto day = db.dialect().dateBucket("created_at", Grain::Day);
            const auto scope = req.scopeFilter("hello.greetings.read", "owner_id", "department_id");
            auto stmt = db.prepare("SELECT " + day + " AS day, COUNT(*) AS n FROM hello_greetings WHERE " + scope.sql +
                                   " GROUP BY " + day + " ORDER BY day");
            scope.bind(stmt);
            Json days = Json::array();
            while (stmt.step()) days.push_back({{"day", stmt.row().text("day")}, {"count", stmt.row().i64("n")}});
            return {{"days", days}};
        }, "Greetings per day");

        declare(Dataset("hello.greetings")
                    .name("Greetings", "问候")
                    .table("hello_greetings")
                    .time("created_at", "Created", "创建时间")
                    .dimension("language", "Language", "语言")
                    .measure("id", "Greetings", "问候数", Aggregate::Count, FieldType::Integer)
                    .scope("hello.greetings.read", "owner_id", "department_id")
                    .drill("#/m/hello/greetings/{id}"));
        declare(Kpi("hello.greetings_count")
                    .name("Greetings sent", "问候数量")
                    .description("How many greetings were sent in the period.", "期间内发送的问候数量。")
                    .dataset("hello.greetings")
                    .count()
                    .time("created_at")
                    .unit(Unit::Number)
                    .higherIsBetter()
                    .thresholds(100, 50));
        serveAssets("web");
        host().info("hello plugin ready; default language " + language);
    }

    void demo(Db& db, DemoRun& run) override {
        // Owners come from the core's users (read only: a plugin writes only its own tables).
        std::vector<std::pair<std::int64_t, std::optional<std::int64_t>>> users;
        for (auto row : db.query("SELECT id, department_id FROM users ORDER BY id")) users.emplace_back(row.i64(0), row.optI64(1));
        if (users.empty()) return;

        std::mt19937_64 random(run.seed());
        const auto total = static_cast<std::int64_t>(500 * run.scale());
        const char* texts[][2] = {{"Hello", "en"}, {"Good morning", "en"}, {"你好", "zh-CN"}, {"早上好", "zh-CN"}};
        const auto now = std::chrono::system_clock::now();

        Transaction tx(db);
        auto bulk = db.bulkInsert("hello_greetings", {"text", "language", "owner_id", "department_id", "created_at", "updated_at"});
        for (std::int64_t i = 0; i < total; ++i) {
            const auto& [owner, department] = users[random() % users.size()];
            const auto& t = texts[random() % 4];
            const auto when = now - std::chrono::hours(static_cast<int>(random() % (24 * 90)));
            bulk.row(t[0], t[1], owner, department, utc(when), utc(when));
            if (i % 1000 == 0) run.progress(static_cast<double>(i) / static_cast<double>(total), "greetings");
        }
        bulk.finish();
        tx.commit();
        run.progress(1.0, "greetings");
    }

private:
    std::unique_ptr<Resource> _greetings;
};

ATRIUM_PLUGIN(HelloPlugin)
