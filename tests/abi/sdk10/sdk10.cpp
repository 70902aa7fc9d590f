// abi.sdk10: a plugin compiled against the frozen SDK 1.0 headers (tests/abi/sdk-1.0/include),
// as a third party built it before ABI 1.1 existed. It must keep loading and working on every
// 1.x host: routes, migrations, a dataset and a KPI the reporting engine serves.

#include <atrium/sdk.hpp>

static_assert(ATRIUM_ABI_MAJOR == 1 && ATRIUM_ABI_MINOR == 0, "abi.sdk10 must be compiled against the frozen SDK 1.0 headers");

using namespace atrium::sdk;

class Sdk10Plugin : public Plugin {
public:
    static constexpr atrium_migration migrations[] = {
        {1, "notes", R"SQL(
CREATE TABLE abi_sdk10_notes (
  id ${ID},
  text ${STR} NOT NULL,
  words ${INT} NOT NULL,
  owner_id ${BIGINT} NOT NULL,
  department_id ${BIGINT} NULL,
  created_at ${DATETIME} NOT NULL
)${TABLE}
)SQL"},
    };

    void init() override {
        router().get("notes", "abi.sdk10.notes.read", [](Request& req, Db& db) -> Json {
            const auto scope = req.scopeFilter("abi.sdk10.notes.read", "owner_id", "department_id");
            auto stmt = db.prepare("SELECT id, text, words FROM abi_sdk10_notes WHERE " + scope.sql + " ORDER BY id");
            scope.bind(stmt);
            Json items = Json::array();
            while (stmt.step()) items.push_back(stmt.row().object());
            return {{"items", items}, {"abi", std::to_string(ATRIUM_ABI_MAJOR) + "." + std::to_string(ATRIUM_ABI_MINOR)}};
        });
        router().post("notes", "abi.sdk10.notes.write", [this](Request& req, Db& db) -> Json {
            const auto body = req.json();
            const std::string text = body.value("text", "");
            if (text.empty()) throw HttpError::validation({{"text", "is required"}});
            Transaction tx(db);
            const auto id = db.insert("INSERT INTO abi_sdk10_notes (text, words, owner_id, department_id, created_at) VALUES (?, ?, ?, ?, ?)", text,
                                      body.value("words", 1), req.userId(), req.departmentId() ? std::optional(req.departmentId()) : std::nullopt,
                                      "2026-01-15 10:00:00");
            events().publish(db, "abi.sdk10.note.created", {{"id", id}});
            tx.commit();
            return {{"id", id}};
        });
        declare(Dataset("abi.sdk10.notes")
                    .name("Notes", "便签")
                    .table("abi_sdk10_notes")
                    .time("created_at", "Created", "创建时间")
                    .dimension("owner_id", "Owner", "负责人", FieldType::Integer)
                    .measure("words", "Words", "字数", Aggregate::Sum, FieldType::Integer)
                    .measure("id", "Notes", "便签数", Aggregate::Count, FieldType::Integer)
                    .scope("abi.sdk10.notes.read", "owner_id", "department_id"));
        declare(Kpi("abi.sdk10.notes_count").name("Notes", "便签数").dataset("abi.sdk10.notes").count().time("created_at"));
    }
};

ATRIUM_PLUGIN(Sdk10Plugin)
