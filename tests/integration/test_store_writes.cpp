// What a statement writes, as each backend finds it (SQLite: the authorizer; MariaDB: the
// tokenizer), and the after-commit report of written tables, on SQLite and MariaDB.

#include "TestSupport.h"

#include "store/Writes.h"

#include <gtest/gtest.h>

#include <mutex>

namespace atrium::test {
namespace {

using V = std::vector<std::string>;

class StoreWritesTest : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ATRIUM_NEED_BACKEND(GetParam());
        db = store::Database::open(freshDatabaseUrl(GetParam()));
        auto c = db->acquire();
        c->exec(db->dialect().expand("CREATE TABLE accounts (id ${ID}, name ${STR} NOT NULL)${TABLE}"));
        c->exec(db->dialect().expand("CREATE TABLE sales_items (id ${ID}, account_id ${BIGINT} NULL, name ${STR} NULL)${TABLE}"));
        c->execute("INSERT INTO accounts (name) VALUES ('Acme')");
        listener = store::addWriteListener(*db, [this](const V& tables) {
            std::lock_guard lock(mutex);
            reports.push_back(tables);
        });
    }
    void TearDown() override {
        if (db) store::removeWriteListener(*db, listener);
    }
    std::vector<V> seen() {
        std::lock_guard lock(mutex);
        auto out = reports;
        reports.clear();
        return out;
    }
    V writes(const std::string& sql) {
        auto c = db->acquire();
        return store::prepareChecked(*c, sql).writes.tables;
    }

    store::DatabasePtr db;
    std::uint64_t listener = 0;
    std::mutex mutex;
    std::vector<V> reports;
};

TEST_P(StoreWritesTest, EachBackendNamesTheTablesAStatementWrites) {
    EXPECT_EQ(writes("INSERT INTO sales_items (name) VALUES (?)"), V{"sales_items"});
    EXPECT_EQ(writes("UPDATE accounts SET name = ? WHERE id = ?"), V{"accounts"});
    EXPECT_EQ(writes("DELETE FROM accounts WHERE id = ?"), V{"accounts"});
    EXPECT_EQ(writes("INSERT INTO sales_items (account_id, name) SELECT id, name FROM accounts"), V{"sales_items"});
    EXPECT_EQ(writes("INSERT INTO accounts (name) SELECT name FROM sales_items"), V{"accounts"});
    EXPECT_EQ(writes("/* UPDATE sales_items */ UPDATE accounts SET name = 'x'"), V{"accounts"});
    EXPECT_TRUE(writes("SELECT a.name FROM accounts a JOIN sales_items s ON s.account_id = a.id").empty());
    // Asked twice (the second time from the statement cache), the answer is the same.
    EXPECT_EQ(writes("UPDATE accounts SET name = ? WHERE id = ?"), V{"accounts"});
}

TEST_P(StoreWritesTest, TablesAreReportedAfterCommitOnceAndNeverAfterRollback) {
    auto c = db->acquire();
    {
        store::Transaction tx(*c);
        c->execute("INSERT INTO sales_items (name) VALUES ('a')");
        store::noteWrites(*c, {"sales_items"});
        EXPECT_TRUE(seen().empty()) << "reported before the commit";
        tx.commit();
    }
    EXPECT_EQ(seen(), (std::vector<V>{{"sales_items"}}));
    {
        store::Transaction tx(*c);
        c->execute("INSERT INTO sales_items (name) VALUES ('b')");
        store::noteWrites(*c, {"sales_items"});
    } // rolled back
    EXPECT_TRUE(seen().empty());
    {
        store::Transaction tx(*c);
        tx.commit();
    }
    EXPECT_TRUE(seen().empty()) << "a rolled-back write came back with a later commit";
    store::noteWrites(*c, {"Sales_Items"}); // autocommit: at once, lower-cased
    EXPECT_EQ(seen(), (std::vector<V>{{"sales_items"}}));
}

TEST_P(StoreWritesTest, ExecChecksEveryStatementBeforeItRuns) {
    auto c = db->acquire();
    auto refuseAccounts = [](const store::SqlWrites& w) {
        for (const auto& t : w.tables)
            if (t == "accounts") throw std::runtime_error("refused");
    };
    EXPECT_THROW(store::execChecked(*c, "INSERT INTO sales_items (name) VALUES ('x'); DELETE FROM accounts", refuseAccounts),
                 std::runtime_error);
    EXPECT_EQ(store::asInt(*c->queryScalar("SELECT COUNT(*) FROM accounts")), 1) << "the refused statement ran";
    EXPECT_EQ(store::asInt(*c->queryScalar("SELECT COUNT(*) FROM sales_items")), 1) << "the statement before it did not run";
    EXPECT_EQ(seen(), (std::vector<V>{{"sales_items"}}));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreWritesTest, testing::ValuesIn(backends()), paramName);

} // namespace
} // namespace atrium::test
