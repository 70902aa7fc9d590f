// The MySQL write tokenizer behind the host API's write guard, and the read scan the reporting
// engine uses to map written tables to datasets.

#include "store/Writes.h"

#include <gtest/gtest.h>

namespace atrium::store {
namespace {

using V = std::vector<std::string>;

V writes(const std::string& sql) { return sqlWrites(sql).tables; }

TEST(SqlWrites, PlainDml) {
    EXPECT_EQ(writes("INSERT INTO sales_leads (a) VALUES (?)"), V{"sales_leads"});
    EXPECT_EQ(writes("insert ignore into `sales_leads` values (1)"), V{"sales_leads"});
    EXPECT_EQ(writes("REPLACE INTO accounts (id) VALUES (1)"), V{"accounts"});
    EXPECT_EQ(writes("UPDATE accounts SET name = 'x' WHERE id = 1"), V{"accounts"});
    EXPECT_EQ(writes("DELETE FROM audit_log WHERE id = 1"), V{"audit_log"});
    EXPECT_EQ(writes("UPDATE \"accounts\" SET name = ?"), V{"accounts"});
    EXPECT_EQ(writes("update low_priority ignore sales_x set a = 1"), V{"sales_x"});
    EXPECT_EQ(writes("INSERT INTO other_db.accounts VALUES (1)"), V{"other_db.accounts"});
    EXPECT_EQ(writes("INSERT INTO `other db`.`accounts` VALUES (1)"), V{"other db.accounts"});
}

TEST(SqlWrites, ReadsAreNotWrites) {
    EXPECT_TRUE(writes("SELECT * FROM accounts a JOIN contacts c ON c.account_id = a.id").empty());
    EXPECT_TRUE(writes("SELECT REPLACE(name, 'a', 'b'), INSERT(name, 1, 2, 'x') FROM accounts").empty());
    EXPECT_TRUE(writes("SELECT id FROM accounts WHERE id = 1 FOR UPDATE").empty());
    EXPECT_TRUE(writes("SELECT 'UPDATE accounts SET x = 1' AS s FROM sales_x").empty());
    EXPECT_TRUE(writes("SELECT `update`, \"delete\" FROM sales_x").empty());
}

TEST(SqlWrites, InsertSelectWritesOnlyItsTarget) {
    EXPECT_EQ(writes("INSERT INTO sales_copy (id, name) SELECT id, name FROM accounts WHERE owner_id = ?"), V{"sales_copy"});
    EXPECT_EQ(writes("INSERT INTO accounts (name) SELECT name FROM sales_leads"), V{"accounts"});
    EXPECT_EQ(writes("INSERT INTO sales_x (id, n) VALUES (1, 2) ON DUPLICATE KEY UPDATE n = VALUES(n)"), V{"sales_x"});
}

TEST(SqlWrites, MultiTableUpdateAndDelete) {
    // Only the assigned table is written; the joined one is read.
    EXPECT_EQ(writes("UPDATE sales_leads l JOIN accounts a ON a.id = l.account_id SET l.company = a.name"), V{"sales_leads"});
    EXPECT_EQ(writes("UPDATE sales_leads l JOIN accounts a ON a.id = l.account_id SET a.name = l.company"), V{"accounts"});
    EXPECT_EQ(writes("UPDATE sales_leads AS l, accounts AS a SET l.x = 1, a.y = 2 WHERE a.id = l.account_id"),
              (V{"sales_leads", "accounts"}));
    // An unqualified column could be either table's: both count.
    EXPECT_EQ(writes("UPDATE sales_leads l INNER JOIN accounts a ON a.id = l.account_id SET company = 'x'"),
              (V{"sales_leads", "accounts"}));
    EXPECT_EQ(writes("DELETE a FROM accounts a JOIN sales_leads l ON l.account_id = a.id"), V{"accounts"});
    EXPECT_EQ(writes("DELETE l, a FROM sales_leads AS l LEFT JOIN accounts AS a ON a.id = l.account_id"), (V{"sales_leads", "accounts"}));
    EXPECT_EQ(writes("DELETE FROM l USING sales_leads l JOIN accounts a ON a.id = l.account_id"), V{"sales_leads"});
    EXPECT_EQ(writes("DELETE FROM a.* USING accounts a, sales_leads l WHERE a.id = l.account_id"), V{"accounts"});
    EXPECT_EQ(writes("DELETE l FROM sales_leads l WHERE l.id IN (SELECT id FROM accounts)"), V{"sales_leads"});
}

TEST(SqlWrites, DataDefinition) {
    EXPECT_EQ(writes("CREATE TABLE IF NOT EXISTS sales_new (id INT)"), V{"sales_new"});
    EXPECT_EQ(writes("CREATE TEMPORARY TABLE accounts (id INT)"), V{"accounts"});
    EXPECT_EQ(writes("CREATE UNIQUE INDEX i ON accounts (name)"), V{"accounts"});
    EXPECT_EQ(writes("ALTER TABLE accounts ADD COLUMN x INT"), V{"accounts"});
    EXPECT_EQ(writes("ALTER TABLE sales_x RENAME TO accounts_old"), (V{"sales_x", "accounts_old"}));
    EXPECT_EQ(writes("DROP TABLE IF EXISTS sales_a, audit_log"), (V{"sales_a", "audit_log"}));
    EXPECT_EQ(writes("DROP INDEX i ON accounts"), V{"accounts"});
    EXPECT_EQ(writes("TRUNCATE TABLE audit_log"), V{"audit_log"});
    EXPECT_EQ(writes("truncate audit_log"), V{"audit_log"});
    EXPECT_EQ(writes("RENAME TABLE sales_a TO sales_b, accounts TO sales_c"), (V{"sales_a", "sales_b", "accounts", "sales_c"}));
    EXPECT_EQ(writes("CREATE OR REPLACE ALGORITHM=MERGE VIEW sales_v AS SELECT * FROM accounts"), V{"sales_v"});
    EXPECT_EQ(writes("CREATE TABLE sales_t (id INT, FOREIGN KEY (id) REFERENCES accounts(id) ON DELETE CASCADE ON UPDATE CASCADE)"),
              V{"sales_t"});
}

TEST(SqlWrites, TriggerBodiesAndCtes) {
    EXPECT_EQ(writes("CREATE TRIGGER sales_t AFTER INSERT ON sales_x FOR EACH ROW UPDATE accounts SET name = NEW.name"),
              (V{"sales_t", "sales_x", "accounts"}));
    EXPECT_EQ(writes("WITH c AS (SELECT id FROM sales_x) DELETE FROM audit_log WHERE id IN (SELECT id FROM c)"), V{"audit_log"});
}

TEST(SqlWrites, CommentsAndQuotesHideNothingAndInventNothing) {
    EXPECT_EQ(writes("/* UPDATE accounts */ UPDATE sales_x SET a = 1"), V{"sales_x"});
    EXPECT_EQ(writes("UPDATE sales_x SET a = 1 -- , accounts.name = 'x'\n"), V{"sales_x"});
    EXPECT_EQ(writes("UPDATE sales_x SET a = 1 # DELETE FROM accounts\n"), V{"sales_x"});
    EXPECT_EQ(writes("SELECT 'it''s; DELETE FROM accounts' FROM sales_x"), V{});
    EXPECT_EQ(writes("SELECT 'it\\'s; DELETE FROM accounts' FROM sales_x"), V{});
    // MySQL runs the content of /*! … */: so do we.
    EXPECT_EQ(writes("SELECT 1 /*!50000 ; DELETE FROM accounts */"), V{"accounts"});
    EXPECT_EQ(writes("UPDATE sales_x SET a = 1 /*M!100000 , accounts.x = 2 */"), V{"sales_x"});
    // "--x" is not a comment in MySQL: the text after it is code.
    EXPECT_EQ(writes("UPDATE sales_x SET a = 1--1\n; DELETE FROM audit_log"), (V{"sales_x", "audit_log"}));
    EXPECT_EQ(writes("DELETE FROM `weird``name`"), V{"weird`name"});
}

TEST(SqlWrites, SeveralStatements) {
    EXPECT_EQ(writes("INSERT INTO sales_a VALUES (1); UPDATE accounts SET x = 1"), (V{"sales_a", "accounts"}));
}

TEST(SqlWrites, StatementsItCannotBoundAreUnchecked) {
    EXPECT_EQ(sqlWrites("CALL reset_everything()").unchecked, "CALL reset_everything");
    EXPECT_EQ(sqlWrites("LOAD DATA INFILE '/tmp/x' INTO TABLE accounts").unchecked, "LOAD DATA INFILE");
    EXPECT_EQ(sqlWrites("SET FOREIGN_KEY_CHECKS = 0").unchecked, "SET FOREIGN_KEY_CHECKS");
    EXPECT_EQ(sqlWrites("SELECT * FROM accounts INTO OUTFILE '/tmp/x'").unchecked, "INTO OUTFILE");
    EXPECT_EQ(sqlWrites("GRANT ALL ON *.* TO 'x'").unchecked, "GRANT ALL ON");
    EXPECT_EQ(sqlWrites("DROP DATABASE atrium").unchecked, "DROP DATABASE atrium");
    EXPECT_TRUE(sqlWrites("SELECT 1").unchecked.empty());
}

TEST(SqlReads, TablesAfterFromAndJoin) {
    EXPECT_EQ(sqlReads("SELECT * FROM sales_orders o JOIN sales_order_lines l ON l.order_id = o.id LEFT JOIN accounts a ON a.id = o.account_id"),
              (V{"sales_orders", "sales_order_lines", "accounts"}));
    EXPECT_EQ(sqlReads("SELECT q.a FROM sales_quotas q, users u WHERE u.id = q.owner_id"), (V{"sales_quotas", "users"}));
    EXPECT_EQ(sqlReads("SELECT x FROM (SELECT owner_id AS x FROM `sales_opportunities` WHERE 1) t"), V{"sales_opportunities"});
    EXPECT_EQ(sqlReads("SELECT (SELECT COUNT(*) FROM sales_leads) AS n FROM \"sales_quotas\""), (V{"sales_leads", "sales_quotas"}));
}

} // namespace
} // namespace atrium::store
