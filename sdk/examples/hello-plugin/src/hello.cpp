// The Hello plugin: everything a real plugin does, in one small file.
//
//   - a table created by a migration (tables start with the plugin's prefix "hello_")
//   - routes under /api/v1/hello/ with JSON in and out, record scope and validation
//   - an event it publishes, the customer timeline, a configuration value
//   - a dataset and a KPI for the reporting engine
//   - demo data written with a bulk insert
//   - UI assets served under /plugins/hello/

#include <atrium/sdk.hpp>

#include <chrono>
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

Json greetingJson(Row row) {
    return {{"id", row.i64("id")},
            {"text", row.text("text")},
            {"language", row.text("language")},
            {"accountId", row.json("account_id")},
            {"ownerId", row.i64("owner_id")},
            {"createdAt", row.text("created_at")}};
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
    };

    void init() override {
        _defaultLanguage = host().config("default_language", "en");

        router().get("greetings", "hello.greetings.read", [](Request& req, Db& db) -> Json {
            const auto limit = req.queryInt("limit", 50, 1, 500);
            const auto offset = req.queryInt("offset", 0, 0);
            // Record scope: the caller sees own, department or all greetings as their role says.
            const auto scope = req.scopeFilter("hello.greetings.read", "owner_id", "department_id");
            auto stmt = db.prepare("SELECT id, text, language, account_id, owner_id, created_at FROM hello_greetings WHERE " +
                                   scope.sql + " ORDER BY id DESC LIMIT ? OFFSET ?");
            int next = scope.bind(stmt);
            stmt.bind(next, limit).bind(next + 1, offset);
            Json items = Json::array();
            while (stmt.step()) items.push_back(greetingJson(stmt.row()));
            return {{"items", items}, {"limit", limit}, {"offset", offset}};
        }, "List greetings visible to the caller");

        router().get("greetings/{id}", "hello.greetings.read", [](Request& req, Db& db) -> Json {
            const auto scope = req.scopeFilter("hello.greetings.read", "owner_id", "department_id");
            auto stmt = db.prepare("SELECT id, text, language, account_id, owner_id, created_at FROM hello_greetings WHERE id = ? AND " +
                                   scope.sql);
            stmt.bind(1, req.idParam());
            scope.bind(stmt, 2);
            if (!stmt.step()) throw HttpError::notFound("Greeting " + std::to_string(req.idParam()));
            return greetingJson(stmt.row());
        }, "One greeting");

        router().post("greetings", "hello.greetings.write", [this](Request& req, Db& db) -> Json {
            const Json body = req.json();
            Json problems = Json::object();
            const std::string text = body.value("text", "");
            const std::string language = body.value("language", _defaultLanguage);
            if (text.empty() || text.size() > 200) problems["text"] = "must be 1 to 200 characters";
            if (language != "en" && language != "zh-CN") problems["language"] = "must be \"en\" or \"zh-CN\"";
            if (body.contains("accountId") && !body["accountId"].is_number_integer()) problems["accountId"] = "must be an account id";
            if (!problems.empty()) throw HttpError::validation(problems);
            const std::int64_t accountId = body.value("accountId", std::int64_t{0});

            // One transaction: the greeting, its timeline entry and whatever subscribers of
            // hello.greeting.created write all commit together or not at all.
            Transaction tx(db);
            const auto id = db.insert(
                "INSERT INTO hello_greetings (text, language, account_id, owner_id, department_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                text, language, accountId ? std::optional(accountId) : std::nullopt, req.userId(),
                req.departmentId() ? std::optional(req.departmentId()) : std::nullopt, utc(std::chrono::system_clock::now()));
            if (accountId) host().timeline(db, {"hello.greeting", id, accountId, "created", "Greeting: " + text, {{"language", language}}, req.userId()});
            events().publish(db, "hello.greeting.created", {{"id", id}, {"text", text}, {"ownerId", req.userId()}});
            tx.commit();
            return {{"id", id}, {"text", text}, {"language", language}};
        }, "Create a greeting");

        router().del("greetings/{id}", "hello.greetings.write", [](Request& req, Response& res, Db& db) {
            const auto scope = req.scopeFilter("hello.greetings.write", "owner_id", "department_id");
            auto stmt = db.prepare("DELETE FROM hello_greetings WHERE id = ? AND " + scope.sql);
            stmt.bind(1, req.idParam());
            scope.bind(stmt, 2);
            stmt.step();
            if (stmt.changes() == 0) throw HttpError::notFound("Greeting " + std::to_string(req.idParam()));
            res.noContent();
        }, "Delete a greeting");

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
        host().info("hello plugin ready; default language " + _defaultLanguage);
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
        auto bulk = db.bulkInsert("hello_greetings", {"text", "language", "owner_id", "department_id", "created_at"});
        for (std::int64_t i = 0; i < total; ++i) {
            const auto& [owner, department] = users[random() % users.size()];
            const auto& t = texts[random() % 4];
            const auto when = now - std::chrono::hours(static_cast<int>(random() % (24 * 90)));
            bulk.row(t[0], t[1], owner, department, utc(when));
            if (i % 1000 == 0) run.progress(static_cast<double>(i) / static_cast<double>(total), "greetings");
        }
        bulk.finish();
        tx.commit();
        run.progress(1.0, "greetings");
    }

private:
    std::string _defaultLanguage;
};

ATRIUM_PLUGIN(HelloPlugin)
