#include "Scoring.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace atrium::reports::scoring {

double attainment(std::optional<double> value, std::optional<double> target, bool lowerIsBetter, double cap) {
    if (!value || !target) return 0;
    double a = 0;
    if (lowerIsBetter) {
        if (*value <= 0) a = *target >= 0 ? cap : 0; // nothing of a bad thing: best possible
        else a = *target / *value;
    } else {
        if (*target <= 0) return 0;
        a = *value / *target;
    }
    if (!std::isfinite(a)) return 0;
    return std::clamp(a, 0.0, cap);
}

std::string rag(double f, const Bands& b) {
    constexpr double eps = 1e-9;
    if (f + eps >= b.green) return "green";
    if (f + eps >= b.amber) return "amber";
    return "red";
}

std::vector<int> rankDescending(const std::vector<double>& scores) {
    std::vector<std::size_t> idx(scores.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [&](auto a, auto b) { return scores[a] > scores[b]; });
    std::vector<int> rank(scores.size());
    for (std::size_t i = 0; i < idx.size(); ++i) {
        if (i > 0 && std::fabs(scores[idx[i]] - scores[idx[i - 1]]) < 1e-9) rank[idx[i]] = rank[idx[i - 1]];
        else rank[idx[i]] = static_cast<int>(i) + 1;
    }
    return rank;
}

std::string gradeByBands(double score, const std::vector<Grade>& bands) {
    for (const auto& g : bands)
        if (score + 1e-9 >= g.minScore) return g.name;
    return bands.empty() ? std::string() : bands.back().name;
}

std::vector<std::string> forcedDistribution(const std::vector<double>& scores, const std::vector<Grade>& grades) {
    const std::size_t n = scores.size();
    std::vector<std::string> out(n);
    if (!n || grades.empty()) return out;
    std::vector<std::size_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [&](auto a, auto b) { return scores[a] > scores[b]; });
    double cumulative = 0;
    std::size_t pos = 0;
    for (std::size_t g = 0; g < grades.size(); ++g) {
        cumulative += grades[g].percent;
        std::size_t end = g + 1 == grades.size() ? n : static_cast<std::size_t>(std::lround(n * cumulative / 100.0));
        end = std::min(std::max(end, pos), n);
        for (; pos < end; ++pos) out[idx[pos]] = grades[g].name;
        // Equal scores get equal grades: pull ties of the last graded participant up.
        while (pos > 0 && pos < n && std::fabs(scores[idx[pos]] - scores[idx[pos - 1]]) < 1e-9) {
            out[idx[pos]] = grades[g].name;
            ++pos;
        }
    }
    return out;
}

} // namespace atrium::reports::scoring
