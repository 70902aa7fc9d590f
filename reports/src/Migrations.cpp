// The reporting engine's own tables (owner "reports"): admin-defined datasets and KPIs,
// dashboards, scorecard templates, evaluation cycles and their participants.
#include "Reporting.h"

#include "store/Migrations.h"

namespace atrium::reports {

const std::vector<store::Migration>& migrations() {
    static const std::vector<store::Migration> list = {
        {1, "report definitions and dashboards", R"SQL(
CREATE TABLE reports_definitions (
  id ${ID},
  kind ${STR} NOT NULL,
  def_id ${STR} NOT NULL,
  body ${TEXT} NOT NULL,
  version ${INT} NOT NULL DEFAULT 1,
  created_by ${BIGINT} NULL,
  created_at ${DATETIME} NOT NULL,
  updated_at ${DATETIME} NOT NULL
)${TABLE};
CREATE UNIQUE INDEX reports_definitions_key ON reports_definitions(kind, def_id);
CREATE TABLE reports_dashboards (
  id ${ID},
  owner_id ${BIGINT} NOT NULL,
  name ${TEXT} NOT NULL,
  body ${TEXT} NOT NULL,
  shared ${TEXT} NOT NULL,
  source ${STR} NULL,
  version ${INT} NOT NULL DEFAULT 1,
  created_at ${DATETIME} NOT NULL,
  updated_at ${DATETIME} NOT NULL
)${TABLE};
CREATE INDEX reports_dashboards_owner ON reports_dashboards(owner_id)
)SQL"},
        {2, "scorecards and performance evaluations", R"SQL(
CREATE TABLE reports_scorecards (
  id ${ID},
  owner_id ${BIGINT} NOT NULL,
  body ${TEXT} NOT NULL,
  version ${INT} NOT NULL DEFAULT 1,
  created_at ${DATETIME} NOT NULL,
  updated_at ${DATETIME} NOT NULL
)${TABLE};
CREATE TABLE reports_eval_cycles (
  id ${ID},
  name ${STR} NOT NULL,
  period_from ${DATE} NOT NULL,
  period_to ${DATE} NOT NULL,
  scorecard ${STR} NOT NULL,
  config ${TEXT} NOT NULL,
  status ${STR} NOT NULL,
  snapshot ${TEXT} NULL,
  owner_id ${BIGINT} NOT NULL,
  approved_by ${BIGINT} NULL,
  approved_at ${DATETIME} NULL,
  version ${INT} NOT NULL DEFAULT 1,
  created_at ${DATETIME} NOT NULL,
  updated_at ${DATETIME} NOT NULL
)${TABLE};
CREATE TABLE reports_eval_participants (
  id ${ID},
  cycle_id ${BIGINT} NOT NULL REFERENCES reports_eval_cycles(id) ON DELETE CASCADE,
  user_id ${BIGINT} NOT NULL,
  score ${REAL} NULL,
  adjustment ${REAL} NOT NULL DEFAULT 0,
  comment ${TEXT} NULL,
  final_score ${REAL} NULL,
  grade ${STR} NULL,
  details ${TEXT} NULL,
  updated_at ${DATETIME} NOT NULL
)${TABLE};
CREATE UNIQUE INDEX reports_eval_participants_key ON reports_eval_participants(cycle_id, user_id)
)SQL"},
    };
    return list;
}

} // namespace atrium::reports
