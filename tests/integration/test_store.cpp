// Storage on both backends: cursor, transactions, pool limits, migrations.
#include "TestSupport.h"

#include "store/Database.h"
#include "store/Migrations.h"

#include <thread>

using namespace atrium;
using namespace atrium::store;

class StoreTest : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ATRIUM_NEED_BACKEND(GetParam());
        PoolOptions o;
        o.maxSize = 2;
        o.acquireTimeout = std::chrono::milliseconds(300);
        db = Database::open(test::freshDatabaseUrl(GetParam()), o);
        auto c = db->acquire();
        c->exec(db->dialect().expand("CREATE TABLE items (id ${ID}, name ${STR} NOT NULL, qty ${INT}, price ${MONEY}, "
                                     "at ${DATETIME})${TABLE}"));
        c->exec(db->dialect().expand("CREATE UNIQUE INDEX items_name ON items(name)"));
    }
    DatabasePtr db;
};

TEST_P(StoreTest, CursorRoundTripsTypesAndUnicode) {
    auto c = db->acquire();
    const auto id = c->insert("INSERT INTO items (name, qty, price, at) VALUES (?, ?, ?, ?)",
                              {std::string("客户 Ünïcode"), std::int64_t{3}, 12.5, std::string("2026-01-31 10:00:00")});
    EXPECT_GT(id, 0);
    c->insert("INSERT INTO items (name, qty, price, at) VALUES (?, ?, ?, ?)", {std::string("null qty"), nullptr, 1.0, nullptr});
    auto st = c->prepare("SELECT id, name, qty, price, at FROM items ORDER BY id");
    ASSERT_TRUE(st->step());
    EXPECT_EQ(st->columnCount(), 5);
    EXPECT_EQ(st->columnName(1), "name");
    EXPECT_EQ(asInt(st->column(0)), id);
    EXPECT_EQ(asText(st->column(1)), "客户 Ünïcode");
    EXPECT_EQ(asInt(st->column(2)), 3);
    EXPECT_DOUBLE_EQ(asDouble(st->column(3)), 12.5);
    EXPECT_EQ(asText(st->column(4)), "2026-01-31 10:00:00");
    ASSERT_TRUE(st->step());
    EXPECT_TRUE(isNull(st->column(2)));
    EXPECT_FALSE(st->step());
}

TEST_P(StoreTest, TransactionRollsBackUnlessCommitted) {
    {
        auto c = db->acquire();
        Transaction tx(*c);
        c->execute("INSERT INTO items (name) VALUES (?)", {std::string("a")});
    }
    {
        auto c = db->acquire();
        EXPECT_EQ(asInt(*c->queryScalar("SELECT COUNT(*) FROM items")), 0);
        Transaction tx(*c);
        c->execute("INSERT INTO items (name) VALUES (?)", {std::string("b")});
        tx.commit();
    }
    auto c = db->acquire();
    EXPECT_EQ(asInt(*c->queryScalar("SELECT COUNT(*) FROM items")), 1);
}

TEST_P(StoreTest, ConstraintViolationsAreReportedAsSuch) {
    auto c = db->acquire();
    c->execute("INSERT INTO items (name) VALUES (?)", {std::string("dup")});
    try {
        c->execute("INSERT INTO items (name) VALUES (?)", {std::string("dup")});
        FAIL() << "duplicate accepted";
    } catch (const StoreError& e) {
        EXPECT_EQ(e.kind(), StoreError::Kind::Constraint) << e.what();
    }
    // The connection stays usable after a statement error.
    EXPECT_EQ(asInt(*c->queryScalar("SELECT COUNT(*) FROM items")), 1);
}

TEST_P(StoreTest, PoolIsBoundedAndTimesOut) {
    auto a = db->acquire();
    auto b = db->acquire();
    EXPECT_EQ(db->stats().inUse, 2u);
    const auto t0 = std::chrono::steady_clock::now();
    try {
        auto c = db->acquire();
        FAIL() << "a third lease from a pool of two";
    } catch (const StoreError& e) {
        EXPECT_EQ(e.kind(), StoreError::Kind::PoolTimeout);
    }
    const auto waited = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(waited, std::chrono::milliseconds(250));
    EXPECT_LT(waited, std::chrono::seconds(3));
    EXPECT_EQ(db->stats().timeouts, 1u);
}

TEST_P(StoreTest, ALeaseReleasedMidTransactionIsRolledBack) {
    {
        auto c = db->acquire();
        c->begin();
        c->execute("INSERT INTO items (name) VALUES (?)", {std::string("dangling")});
    }
    auto c = db->acquire();
    EXPECT_FALSE(c->inTransaction());
    EXPECT_EQ(asInt(*c->queryScalar("SELECT COUNT(*) FROM items")), 0);
}

TEST_P(StoreTest, DateBucketsAgreeAcrossBackends) {
    auto c = db->acquire();
    c->execute("INSERT INTO items (name, at) VALUES (?, ?)", {std::string("x"), std::string("2026-08-13 15:04:05")});
    auto q = [&](Grain g) { return asText(*c->queryScalar("SELECT " + db->dialect().dateBucket("at", g) + " FROM items")); };
    EXPECT_EQ(q(Grain::Day), "2026-08-13");
    EXPECT_EQ(q(Grain::Week), "2026-08-10"); // Monday
    EXPECT_EQ(q(Grain::Month), "2026-08-01");
    EXPECT_EQ(q(Grain::Quarter), "2026-07-01");
    EXPECT_EQ(q(Grain::Year), "2026-01-01");
}

TEST_P(StoreTest, UpsertInsertsThenUpdates) {
    auto c = db->acquire();
    const auto sql = db->dialect().upsert("items", {"name", "qty"}, {"name"});
    c->execute(sql, {std::string("u"), std::int64_t{1}});
    c->execute(sql, {std::string("u"), std::int64_t{2}});
    EXPECT_EQ(asInt(*c->queryScalar("SELECT qty FROM items WHERE name = 'u'")), 2);
    EXPECT_EQ(asInt(*c->queryScalar("SELECT COUNT(*) FROM items")), 1);
}

TEST_P(StoreTest, MigrationsApplyOnceAndRefuseANewerSchema) {
    Migrator m(*db);
    std::vector<Migration> v1 = {{1, "one", "CREATE TABLE m1 (id ${ID})${TABLE}"},
                                 {2, "two", "CREATE TABLE m2 (id ${ID})${TABLE}; INSERT INTO m2 (id) VALUES (7)"}};
    auto steps = m.apply("demo", v1);
    EXPECT_EQ(steps.size(), 2u);
    EXPECT_EQ(m.currentVersion("demo"), 2);
    EXPECT_TRUE(m.apply("demo", v1).empty()) << "re-run is a no-op";
    // A database migrated by a newer build is refused by an older one.
    std::vector<Migration> v3 = v1;
    v3.push_back({3, "three", "CREATE TABLE m3 (id ${ID})${TABLE}"});
    m.apply("demo", v3);
    try {
        m.refuseNewer("demo", v1);
        FAIL() << "newer schema accepted";
    } catch (const StoreError& e) {
        EXPECT_EQ(e.kind(), StoreError::Kind::SchemaTooNew);
        EXPECT_NE(std::string(e.what()).find("version 3"), std::string::npos) << e.what();
    }
}

TEST_P(StoreTest, CoreMigrationsApplyOnAFreshDatabase) {
    Migrator m(*db);
    auto steps = m.apply("core", coreMigrations());
    EXPECT_EQ(steps.size(), coreMigrations().size());
    EXPECT_TRUE(m.apply("core", coreMigrations()).empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, testing::ValuesIn(test::backends()), test::paramName);
