#include "store/Database.h"
#include "store/Migrations.h"

#include <gtest/gtest.h>

using namespace atrium::store;

TEST(Dialect, ExpandsTypeMacrosPerBackend) {
    Dialect s(Backend::Sqlite), m(Backend::Mysql);
    EXPECT_EQ(s.expand("id ${ID}, n ${STR}"), "id INTEGER PRIMARY KEY AUTOINCREMENT, n TEXT");
    EXPECT_EQ(m.expand("id ${ID}, n ${STR}"), "id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, n VARCHAR(255)");
    EXPECT_THROW(s.expand("x ${NOPE}"), std::invalid_argument);
}

TEST(Dialect, UpsertSyntaxDiffers) {
    Dialect s(Backend::Sqlite), m(Backend::Mysql);
    EXPECT_EQ(s.upsert("t", {"k", "v"}, {"k"}), R"(INSERT INTO "t" ("k", "v") VALUES (?, ?) ON CONFLICT ("k") DO UPDATE SET "v" = excluded."v")");
    EXPECT_EQ(m.upsert("t", {"k", "v"}, {"k"}), R"(INSERT INTO "t" ("k", "v") VALUES (?, ?) ON DUPLICATE KEY UPDATE "v" = VALUES("v"))");
}

TEST(Dialect, GrainNamesRoundTrip) {
    for (auto g : {Grain::Day, Grain::Week, Grain::Month, Grain::Quarter, Grain::Year}) EXPECT_EQ(parseGrain(grainName(g)), g);
    EXPECT_THROW(parseGrain("fortnight"), std::invalid_argument);
}

TEST(ConnectionUrl, ParsesBothSchemesAndRedactsPasswords) {
    auto s = ConnectionUrl::parse("sqlite:var/atrium.db");
    EXPECT_EQ(s.backend, Backend::Sqlite);
    EXPECT_EQ(s.path, "var/atrium.db");
    auto m = ConnectionUrl::parse("mysql://app:s%40cret@127.0.0.1:3307/crm");
    EXPECT_EQ(m.backend, Backend::Mysql);
    EXPECT_EQ(m.user, "app");
    EXPECT_EQ(m.password, "s@cret");
    EXPECT_EQ(m.port, 3307);
    EXPECT_EQ(m.database, "crm");
    EXPECT_EQ(m.redacted(), "mysql://app:***@127.0.0.1:3307/crm");
    EXPECT_THROW(ConnectionUrl::parse("postgres://x"), std::invalid_argument);
    EXPECT_THROW(ConnectionUrl::parse("mysql://127.0.0.1/"), std::invalid_argument);
}

TEST(Migrations, SplitsStatementsOutsideQuotesAndComments) {
    auto parts = splitStatements("CREATE TABLE a (x TEXT DEFAULT 'a;b'); -- c;d\nINSERT INTO a VALUES ('x');\n");
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_NE(parts[0].find("'a;b'"), std::string::npos);
}
