#pragma once
// The sales domain shared by routes and demo: stages and how an opportunity moves between them,
// lead scoring, and the JSON shapes of records.

#include "common.hpp"

#include <algorithm>
#include <unordered_map>

namespace sales {

struct Stage {
    std::int64_t id = 0;
    std::int64_t pipelineId = 0;
    std::string name, nameZh;
    int position = 0;
    int probability = 0;
    std::string outcome;          ///< open | won | lost
    std::string forecastCategory; ///< pipeline | best_case | commit | closed | omitted
};

/// Every pipeline's stages (read per request: a handful of rows, always current).
class Stages {
public:
    explicit Stages(Db& db) {
        for (auto r : db.query("SELECT id, pipeline_id, name, name_zh, position, probability, outcome, forecast_category FROM sales_stages "
                               "ORDER BY pipeline_id, position")) {
            Stage s{r.i64(0), r.i64(1), r.text(2), r.text(3), static_cast<int>(r.i64(4)), static_cast<int>(r.i64(5)), r.text(6), r.text(7)};
            _byId[s.id] = s;
            _byPipeline[s.pipelineId].push_back(s);
        }
        for (auto r : db.query("SELECT id FROM sales_pipelines WHERE is_default = 1 ORDER BY position LIMIT 1")) _default = r.i64(0);
    }
    const Stage* find(std::int64_t id) const {
        auto it = _byId.find(id);
        return it == _byId.end() ? nullptr : &it->second;
    }
    const std::vector<Stage>* pipeline(std::int64_t id) const {
        auto it = _byPipeline.find(id);
        return it == _byPipeline.end() ? nullptr : &it->second;
    }
    std::int64_t defaultPipeline() const { return _default; }
    const Stage* first(std::int64_t pipeline) const {
        auto p = this->pipeline(pipeline);
        return p && !p->empty() ? &p->front() : nullptr;
    }
    const Stage* byOutcome(std::int64_t pipeline, const std::string& outcome) const {
        if (auto p = this->pipeline(pipeline))
            for (const auto& s : *p)
                if (s.outcome == outcome) return &s;
        return nullptr;
    }

private:
    std::unordered_map<std::int64_t, Stage> _byId;
    std::unordered_map<std::int64_t, std::vector<Stage>> _byPipeline;
    std::int64_t _default = 0;
};

/// How a stage change is recorded in sales_stage_history.movement.
inline std::string movement(const Stage* from, const Stage& to) {
    if (!from) return "created";
    if (to.outcome == "won") return "won";
    if (to.outcome == "lost") return "lost";
    return to.position > from->position ? "forward" : to.position < from->position ? "backward" : "same";
}
inline bool isForward(const std::string& m) { return m == "forward" || m == "won"; }

// ---- lead scoring ----------------------------------------------------------------------------

struct ScoreRule {
    std::string criterion; ///< source | industry | size_band | recency_days
    std::string value;
    int points = 0;
};

inline std::vector<ScoreRule> loadRules(Db& db) {
    std::vector<ScoreRule> rules;
    for (auto r : db.query("SELECT criterion, match_value, points FROM sales_score_rules ORDER BY criterion, id"))
        rules.push_back({r.text(0), r.text(1), static_cast<int>(r.i64(2))});
    return rules;
}

/// Sum of the matching rules: one per criterion for source / industry / size band; for recency
/// the rule with the smallest "within N days" the last activity satisfies.
inline int scoreLead(const std::vector<ScoreRule>& rules, const std::string& source, const std::string& industry, const std::string& sizeBand,
                     std::optional<std::int64_t> lastActivitySeconds, std::int64_t nowSecs) {
    int score = 0;
    std::optional<std::pair<std::int64_t, int>> recency;
    for (const auto& r : rules) {
        if (r.criterion == "source" && r.value == source) score += r.points;
        else if (r.criterion == "industry" && r.value == industry) score += r.points;
        else if (r.criterion == "size_band" && r.value == sizeBand) score += r.points;
        else if (r.criterion == "recency_days" && lastActivitySeconds) {
            std::int64_t days = 0;
            try {
                days = std::stoll(r.value);
            } catch (...) {
                continue;
            }
            const auto age = (nowSecs - *lastActivitySeconds) / 86400;
            if (age <= days && (!recency || days < recency->first)) recency = std::pair{days, r.points};
        }
    }
    if (recency) score += recency->second;
    return std::clamp(score, 0, 100);
}

inline const std::vector<std::string>& leadSources() {
    static const std::vector<std::string> s = {"web", "referral", "partner", "event", "cold_call", "advertising", "other"};
    return s;
}
inline const std::vector<std::string>& sizeBands() {
    static const std::vector<std::string> s = {"1-10", "11-50", "51-200", "201-1000", "1000+"};
    return s;
}

} // namespace sales
