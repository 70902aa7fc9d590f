#pragma once
// The arithmetic of scorecards and evaluations, free of storage so it can be checked by hand:
// capped linear attainment, weighted composite scores, RAG bands, ranking with ties, grades by
// score bands or by forced distribution.

#include <optional>
#include <string>
#include <vector>

namespace atrium::reports::scoring {

/// value / target for higher-is-better, target / value for lower-is-better, clamped to
/// [0, cap]. No value or a non-positive target gives 0 (nothing attained) unless both are 0 with
/// lower-is-better (met exactly).
double attainment(std::optional<double> value, std::optional<double> target, bool lowerIsBetter, double cap);

struct Bands {
    double green = 1.0; ///< attainment (fraction) at or above which the result is green
    double amber = 0.8; ///< at or above which it is amber; below is red
};
std::string rag(double fraction, const Bands& bands);

/// Standard competition ranking of `scores`, highest first: 90, 80, 80, 70 → 1, 2, 2, 4.
std::vector<int> rankDescending(const std::vector<double>& scores);

struct Grade {
    std::string name;
    double minScore = 0;   ///< for band grading
    double percent = 0;    ///< for forced distribution (share of participants)
};
/// The first band (ordered best first) whose minScore the score reaches; the last band otherwise.
std::string gradeByBands(double score, const std::vector<Grade>& bands);
/// Grades ordered best first with percentages summing to 100. Participants sorted by score get
/// the grades in order; the boundary after grade i is round(n × cumulative% / 100). Participants
/// tied with the last one of a better grade get that better grade too (equal scores, equal grades).
std::vector<std::string> forcedDistribution(const std::vector<double>& scores, const std::vector<Grade>& grades);

} // namespace atrium::reports::scoring
