// Scorecard and evaluation arithmetic, periods and CSV neutralisation, checked by hand.
#include "Dates.h"
#include "Reporting.h"
#include "Scoring.h"

#include <gtest/gtest.h>

using namespace atrium::reports;

TEST(Scoring, CappedLinearAttainment) {
    EXPECT_DOUBLE_EQ(scoring::attainment(80, 100, false, 1.2), 0.8);
    EXPECT_DOUBLE_EQ(scoring::attainment(150, 100, false, 1.2), 1.2) << "capped";
    EXPECT_DOUBLE_EQ(scoring::attainment(-5, 100, false, 1.2), 0.0) << "floored";
    EXPECT_DOUBLE_EQ(scoring::attainment(std::nullopt, 100, false, 1.2), 0.0);
    EXPECT_DOUBLE_EQ(scoring::attainment(50, 0, false, 1.2), 0.0) << "no target, nothing attained";
    // Lower is better: target / value.
    EXPECT_DOUBLE_EQ(scoring::attainment(5, 4, true, 1.5), 0.8);
    EXPECT_DOUBLE_EQ(scoring::attainment(2, 4, true, 1.5), 1.5);
    EXPECT_DOUBLE_EQ(scoring::attainment(0, 4, true, 1.5), 1.5);
}

TEST(Scoring, RagBands) {
    scoring::Bands b{1.0, 0.8};
    EXPECT_EQ(scoring::rag(1.0, b), "green");
    EXPECT_EQ(scoring::rag(0.95, b), "amber");
    EXPECT_EQ(scoring::rag(0.8, b), "amber");
    EXPECT_EQ(scoring::rag(0.7999, b), "red");
}

TEST(Scoring, RankWithTies) {
    EXPECT_EQ(scoring::rankDescending({70, 90, 80, 80}), (std::vector<int>{4, 1, 2, 2}));
    EXPECT_EQ(scoring::rankDescending({50, 50, 50}), (std::vector<int>{1, 1, 1}));
    EXPECT_TRUE(scoring::rankDescending({}).empty());
}

TEST(Scoring, GradesByBands) {
    std::vector<scoring::Grade> bands = {{"A", 90, 0}, {"B", 75, 0}, {"C", 0, 0}};
    EXPECT_EQ(scoring::gradeByBands(95, bands), "A");
    EXPECT_EQ(scoring::gradeByBands(90, bands), "A");
    EXPECT_EQ(scoring::gradeByBands(89.99, bands), "B");
    EXPECT_EQ(scoring::gradeByBands(10, bands), "C");
}

TEST(Scoring, ForcedDistribution) {
    std::vector<scoring::Grade> g = {{"A", 0, 20}, {"B", 0, 70}, {"C", 0, 10}};
    // Ten people: 2 A, 7 B, 1 C, by score.
    std::vector<double> s = {55, 91, 70, 88, 60, 73, 95, 40, 82, 66};
    auto out = scoring::forcedDistribution(s, g);
    EXPECT_EQ(out[6], "A"); // 95
    EXPECT_EQ(out[1], "A"); // 91
    EXPECT_EQ(out[3], "B"); // 88
    EXPECT_EQ(out[0], "B"); // 55
    EXPECT_EQ(out[7], "C"); // 40
    EXPECT_EQ(std::count(out.begin(), out.end(), "A"), 2);
    EXPECT_EQ(std::count(out.begin(), out.end(), "B"), 7);
    EXPECT_EQ(std::count(out.begin(), out.end(), "C"), 1);
    // A tie across the A/B boundary: both tied people get A.
    std::vector<double> t = {90, 80, 80, 70, 60};
    auto tied = scoring::forcedDistribution(t, {{"A", 0, 40}, {"B", 0, 40}, {"C", 0, 20}});
    EXPECT_EQ(tied, (std::vector<std::string>{"A", "A", "A", "B", "C"}));
}

TEST(Periods, PreviousPeriodAndBuckets) {
    using namespace dates;
    auto p = previousPeriod({*parse("2025-01-01"), *parse("2025-06-30")});
    EXPECT_EQ(format(p.from), "2024-07-01");
    EXPECT_EQ(format(p.to), "2024-12-31");
    auto d = previousPeriod({*parse("2025-03-10"), *parse("2025-03-19")});
    EXPECT_EQ(format(d.from), "2025-02-28");
    EXPECT_EQ(format(d.to), "2025-03-09");
    auto y = lastYear({*parse("2024-02-29"), *parse("2024-03-31")});
    EXPECT_EQ(format(y.from), "2023-02-28");
    EXPECT_EQ(label(bucketStart(*parse("2025-05-17"), Grain::Quarter), Grain::Quarter), "2025-Q2");
    EXPECT_EQ(label(bucketStart(*parse("2025-05-17"), Grain::Week), Grain::Week), "2025-05-12");
    auto r = labelRange("2025-Q2", Grain::Quarter);
    ASSERT_TRUE(r);
    EXPECT_EQ(format(r->first), "2025-04-01");
    EXPECT_EQ(format(r->second), "2025-06-30");
    EXPECT_EQ(buckets(*parse("2025-01-15"), *parse("2025-06-30"), Grain::Month).size(), 6u);
    EXPECT_FALSE(parse("2025-02-30"));
}

TEST(Export, CsvNeutralisesFormulas) {
    EXPECT_EQ(csvCell("=1+1"), "'=1+1");
    EXPECT_EQ(csvCell("+1"), "'+1");
    EXPECT_EQ(csvCell("-1"), "'-1");
    EXPECT_EQ(csvCell("@SUM(A1)"), "'@SUM(A1)");
    EXPECT_EQ(csvCell("\tx"), "'\tx");
    EXPECT_EQ(csvCell("\rx"), "\"'\rx\"");
    EXPECT_EQ(csvCell("a,b"), "\"a,b\"");
    EXPECT_EQ(csvCell("say \"hi\""), "\"say \"\"hi\"\"\"");
    EXPECT_EQ(csvCell("华为"), "华为");
    Table t{"t", {"name", "amount"}, {"text", "number"}, {{"=HYPERLINK(\"http://x\")", -5}}};
    const auto csv = toCsv(t);
    EXPECT_NE(csv.find("\"'=HYPERLINK(\"\"http://x\"\")\",-5\r\n"), std::string::npos) << csv;
}
