#pragma once
// The sales plugin's tables. Released migrations are never edited; a change is a new version.
//
// Every record table carries owner_id and department_id (the owner's department when the row
// was written) so record scope applies to lists and to reports alike. Opportunities also keep
// denormalised reporting columns (weighted_amount, is_won, is_closed, cycle_days), maintained on
// every write, so KPIs are plain aggregates.

#include <atrium/plugin.h>

namespace sales {

inline constexpr const char* kMigration1 = R"SQL(
CREATE TABLE sales_pipelines (
  id ${ID},
  code ${STR} NOT NULL,
  name ${STR} NOT NULL,
  name_zh ${STR} NOT NULL,
  is_default ${BOOL} NOT NULL DEFAULT 0,
  position ${INT} NOT NULL
)${TABLE};
CREATE UNIQUE INDEX sales_pipelines_code ON sales_pipelines(code);

CREATE TABLE sales_stages (
  id ${ID},
  pipeline_id ${BIGINT} NOT NULL REFERENCES sales_pipelines(id),
  name ${STR} NOT NULL,
  name_zh ${STR} NOT NULL,
  position ${INT} NOT NULL,
  probability ${INT} NOT NULL,
  outcome ${STR} NOT NULL,
  forecast_category ${STR} NOT NULL
)${TABLE};
CREATE UNIQUE INDEX sales_stages_position ON sales_stages(pipeline_id, position);

CREATE TABLE sales_products (
  id ${ID},
  code ${STR} NOT NULL,
  name ${STR} NOT NULL,
  name_zh ${STR} NULL,
  category ${STR} NULL,
  unit_price ${MONEY} NOT NULL,
  currency ${STR} NOT NULL,
  active ${BOOL} NOT NULL DEFAULT 1,
  version ${INT} NOT NULL DEFAULT 1,
  created_at ${DATETIME} NOT NULL,
  updated_at ${DATETIME} NOT NULL
)${TABLE};
CREATE UNIQUE INDEX sales_products_code ON sales_products(code);

CREATE TABLE sales_leads (
  id ${ID},
  first_name ${STR} NOT NULL,
  last_name ${STR} NULL,
  company ${STR} NOT NULL,
  email ${STR} NULL,
  phone ${STR} NULL,
  title ${STR} NULL,
  source ${STR} NOT NULL,
  status ${STR} NOT NULL,
  industry ${STR} NULL,
  size_band ${STR} NULL,
  region ${STR} NULL,
  city ${STR} NULL,
  score ${INT} NOT NULL DEFAULT 0,
  is_converted ${INT} NOT NULL DEFAULT 0,
  last_activity_at ${DATETIME} NULL,
  converted_at ${DATETIME} NULL,
  converted_account_id ${BIGINT} NULL,
  converted_contact_id ${BIGINT} NULL,
  converted_opportunity_id ${BIGINT} NULL,
  owner_id ${BIGINT} NOT NULL,
  department_id ${BIGINT} NULL,
  version ${INT} NOT NULL DEFAULT 1,
  created_at ${DATETIME} NOT NULL,
  updated_at ${DATETIME} NOT NULL
)${TABLE};
CREATE INDEX sales_leads_owner ON sales_leads(owner_id);
CREATE INDEX sales_leads_department ON sales_leads(department_id);
CREATE INDEX sales_leads_created ON sales_leads(created_at);
CREATE INDEX sales_leads_status ON sales_leads(status);

CREATE TABLE sales_opportunities (
  id ${ID},
  name ${STR} NOT NULL,
  account_id ${BIGINT} NOT NULL,
  contact_id ${BIGINT} NULL,
  lead_id ${BIGINT} NULL,
  pipeline_id ${BIGINT} NOT NULL REFERENCES sales_pipelines(id),
  stage_id ${BIGINT} NOT NULL REFERENCES sales_stages(id),
  status ${STR} NOT NULL,
  amount ${MONEY} NOT NULL,
  currency ${STR} NOT NULL,
  probability ${INT} NOT NULL,
  weighted_amount ${MONEY} NOT NULL,
  forecast_category ${STR} NOT NULL,
  expected_close_date ${DATE} NOT NULL,
  closed_at ${DATETIME} NULL,
  lost_reason ${STR} NULL,
  is_won ${INT} NOT NULL DEFAULT 0,
  is_closed ${INT} NOT NULL DEFAULT 0,
  cycle_days ${INT} NULL,
  owner_id ${BIGINT} NOT NULL,
  department_id ${BIGINT} NULL,
  version ${INT} NOT NULL DEFAULT 1,
  created_at ${DATETIME} NOT NULL,
  updated_at ${DATETIME} NOT NULL
)${TABLE};
CREATE INDEX sales_opps_owner ON sales_opportunities(owner_id, status);
CREATE INDEX sales_opps_department ON sales_opportunities(department_id, status);
CREATE INDEX sales_opps_account ON sales_opportunities(account_id);
CREATE INDEX sales_opps_close ON sales_opportunities(status, expected_close_date);
CREATE INDEX sales_opps_closed ON sales_opportunities(closed_at);

CREATE TABLE sales_opportunity_products (
  id ${ID},
  opportunity_id ${BIGINT} NOT NULL REFERENCES sales_opportunities(id) ON DELETE CASCADE,
  product_id ${BIGINT} NOT NULL REFERENCES sales_products(id),
  quantity ${INT} NOT NULL,
  unit_price ${MONEY} NOT NULL,
  discount ${REAL} NOT NULL DEFAULT 0
)${TABLE};
CREATE INDEX sales_opp_products_opp ON sales_opportunity_products(opportunity_id);

CREATE TABLE sales_stage_history (
  id ${ID},
  opportunity_id ${BIGINT} NOT NULL REFERENCES sales_opportunities(id) ON DELETE CASCADE,
  pipeline_id ${BIGINT} NOT NULL,
  from_stage_id ${BIGINT} NULL,
  to_stage_id ${BIGINT} NOT NULL,
  from_position ${INT} NULL,
  to_position ${INT} NOT NULL,
  movement ${STR} NOT NULL,
  is_forward ${INT} NOT NULL,
  amount ${MONEY} NOT NULL,
  changed_by ${BIGINT} NULL,
  changed_at ${DATETIME} NOT NULL,
  owner_id ${BIGINT} NOT NULL,
  department_id ${BIGINT} NULL
)${TABLE};
CREATE INDEX sales_history_opp ON sales_stage_history(opportunity_id, changed_at);
CREATE INDEX sales_history_time ON sales_stage_history(changed_at);

CREATE TABLE sales_orders (
  id ${ID},
  number ${STR} NOT NULL,
  account_id ${BIGINT} NOT NULL,
  opportunity_id ${BIGINT} NULL REFERENCES sales_opportunities(id) ON DELETE SET NULL,
  status ${STR} NOT NULL,
  currency ${STR} NOT NULL,
  total ${MONEY} NOT NULL,
  order_date ${DATE} NOT NULL,
  owner_id ${BIGINT} NOT NULL,
  department_id ${BIGINT} NULL,
  version ${INT} NOT NULL DEFAULT 1,
  created_at ${DATETIME} NOT NULL,
  updated_at ${DATETIME} NOT NULL
)${TABLE};
CREATE UNIQUE INDEX sales_orders_number ON sales_orders(number);
CREATE UNIQUE INDEX sales_orders_opportunity ON sales_orders(opportunity_id);
CREATE INDEX sales_orders_owner ON sales_orders(owner_id);
CREATE INDEX sales_orders_date ON sales_orders(order_date);

CREATE TABLE sales_order_lines (
  id ${ID},
  order_id ${BIGINT} NOT NULL REFERENCES sales_orders(id) ON DELETE CASCADE,
  product_id ${BIGINT} NOT NULL REFERENCES sales_products(id),
  quantity ${INT} NOT NULL,
  unit_price ${MONEY} NOT NULL,
  discount ${REAL} NOT NULL DEFAULT 0,
  line_total ${MONEY} NOT NULL
)${TABLE};
CREATE INDEX sales_order_lines_order ON sales_order_lines(order_id);

CREATE TABLE sales_quotas (
  id ${ID},
  user_id ${BIGINT} NOT NULL,
  department_id ${BIGINT} NULL,
  period_type ${STR} NOT NULL,
  period_start ${DATE} NOT NULL,
  period_end ${DATE} NOT NULL,
  amount ${MONEY} NOT NULL,
  currency ${STR} NOT NULL,
  version ${INT} NOT NULL DEFAULT 1,
  created_at ${DATETIME} NOT NULL,
  updated_at ${DATETIME} NOT NULL
)${TABLE};
CREATE UNIQUE INDEX sales_quotas_key ON sales_quotas(user_id, period_type, period_start);
CREATE INDEX sales_quotas_department ON sales_quotas(department_id);

CREATE TABLE sales_forecast_snapshots (
  id ${ID},
  owner_id ${BIGINT} NOT NULL,
  department_id ${BIGINT} NULL,
  period_type ${STR} NOT NULL,
  period_start ${DATE} NOT NULL,
  period_end ${DATE} NOT NULL,
  taken_at ${DATETIME} NOT NULL,
  pipeline_amount ${MONEY} NOT NULL,
  weighted_amount ${MONEY} NOT NULL,
  commit_amount ${MONEY} NOT NULL,
  best_case_amount ${MONEY} NOT NULL,
  closed_won_amount ${MONEY} NOT NULL,
  forecast_amount ${MONEY} NOT NULL
)${TABLE};
CREATE INDEX sales_snapshots_period ON sales_forecast_snapshots(period_type, period_start, owner_id);

CREATE TABLE sales_score_rules (
  id ${ID},
  criterion ${STR} NOT NULL,
  match_value ${STR} NOT NULL,
  points ${INT} NOT NULL
)${TABLE};
CREATE UNIQUE INDEX sales_score_rules_key ON sales_score_rules(criterion, match_value);

INSERT INTO sales_pipelines (code, name, name_zh, is_default, position) VALUES ('new_business', 'New business', '新业务', 1, 1);
INSERT INTO sales_pipelines (code, name, name_zh, is_default, position) VALUES ('renewal', 'Renewals', '续约', 0, 2);
INSERT INTO sales_pipelines (code, name, name_zh, is_default, position) VALUES ('channel', 'Channel partners', '渠道合作', 0, 3);

INSERT INTO sales_stages (pipeline_id, name, name_zh, position, probability, outcome, forecast_category) SELECT id, 'Prospecting', '初步接触', 1, 10, 'open', 'pipeline' FROM sales_pipelines WHERE code = 'new_business';
INSERT INTO sales_stages (pipeline_id, name, name_zh, position, probability, outcome, forecast_category) SELECT id, 'Qualification', '需求确认', 2, 20, 'open', 'pipeline' FROM sales_pipelines WHERE code = 'new_business';
INSERT INTO sales_stages (pipeline_id, name, name_zh, position, probability, outcome, forecast_category) SELECT id, 'Needs analysis', '需求分析', 3, 40, 'open', 'best_case' FROM sales_pipelines WHERE code = 'new_business';
INSERT INTO sales_stages (pipeline_id, name, name_zh, position, probability, outcome, forecast_category) SELECT id, 'Proposal', '方案报价', 4, 60, 'open', 'best_case' FROM sales_pipelines WHERE code = 'new_business';
INSERT INTO sales_stages (pipeline_id, name, name_zh, position, probability, outcome, forecast_category) SELECT id, 'Negotiation', '商务谈判', 5, 80, 'open', 'commit' FROM sales_pipelines WHERE code = 'new_business';
INSERT INTO sales_stages (pipeline_id, name, name_zh, position, probability, outcome, forecast_category) SELECT id, 'Closed won', '赢单', 6, 100, 'won', 'closed' FROM sales_pipelines WHERE code = 'new_business';
INSERT INTO sales_stages (pipeline_id, name, name_zh, position, probability, outcome, forecast_category) SELECT id, 'Closed lost', '输单', 7, 0, 'lost', 'omitted' FROM sales_pipelines WHERE code = 'new_business';

INSERT INTO sales_stages (pipeline_id, name, name_zh, position, probability, outcome, forecast_category) SELECT id, 'Renewal due', '待续约', 1, 50, 'open', 'best_case' FROM sales_pipelines WHERE code = 'renewal';
INSERT INTO sales_stages (pipeline_id, name, name_zh, position, probability, outcome, forecast_category) SELECT id, 'Quoted', '已报价', 2, 70, 'open', 'commit' FROM sales_pipelines WHERE code = 'renewal';
INSERT INTO sales_stages (pipeline_id, name, name_zh, position, probability, outcome, forecast_category) SELECT id, 'Verbal commit', '口头承诺', 3, 90, 'open', 'commit' FROM sales_pipelines WHERE code = 'renewal';
INSERT INTO sales_stages (pipeline_id, name, name_zh, position, probability, outcome, forecast_category) SELECT id, 'Renewed', '已续约', 4, 100, 'won', 'closed' FROM sales_pipelines WHERE code = 'renewal';
INSERT INTO sales_stages (pipeline_id, name, name_zh, position, probability, outcome, forecast_category) SELECT id, 'Churned', '流失', 5, 0, 'lost', 'omitted' FROM sales_pipelines WHERE code = 'renewal';

INSERT INTO sales_stages (pipeline_id, name, name_zh, position, probability, outcome, forecast_category) SELECT id, 'Registered', '已报备', 1, 20, 'open', 'pipeline' FROM sales_pipelines WHERE code = 'channel';
INSERT INTO sales_stages (pipeline_id, name, name_zh, position, probability, outcome, forecast_category) SELECT id, 'Validated', '已验证', 2, 40, 'open', 'best_case' FROM sales_pipelines WHERE code = 'channel';
INSERT INTO sales_stages (pipeline_id, name, name_zh, position, probability, outcome, forecast_category) SELECT id, 'Co-selling', '联合销售', 3, 70, 'open', 'commit' FROM sales_pipelines WHERE code = 'channel';
INSERT INTO sales_stages (pipeline_id, name, name_zh, position, probability, outcome, forecast_category) SELECT id, 'Won', '赢单', 4, 100, 'won', 'closed' FROM sales_pipelines WHERE code = 'channel';
INSERT INTO sales_stages (pipeline_id, name, name_zh, position, probability, outcome, forecast_category) SELECT id, 'Lost', '输单', 5, 0, 'lost', 'omitted' FROM sales_pipelines WHERE code = 'channel';

INSERT INTO sales_score_rules (criterion, match_value, points) VALUES ('source', 'referral', 30);
INSERT INTO sales_score_rules (criterion, match_value, points) VALUES ('source', 'partner', 25);
INSERT INTO sales_score_rules (criterion, match_value, points) VALUES ('source', 'event', 15);
INSERT INTO sales_score_rules (criterion, match_value, points) VALUES ('source', 'web', 10);
INSERT INTO sales_score_rules (criterion, match_value, points) VALUES ('source', 'cold_call', 5);
INSERT INTO sales_score_rules (criterion, match_value, points) VALUES ('industry', 'Finance', 15);
INSERT INTO sales_score_rules (criterion, match_value, points) VALUES ('industry', 'Technology', 15);
INSERT INTO sales_score_rules (criterion, match_value, points) VALUES ('industry', 'Manufacturing', 10);
INSERT INTO sales_score_rules (criterion, match_value, points) VALUES ('industry', 'Healthcare', 10);
INSERT INTO sales_score_rules (criterion, match_value, points) VALUES ('size_band', '1000+', 25);
INSERT INTO sales_score_rules (criterion, match_value, points) VALUES ('size_band', '201-1000', 20);
INSERT INTO sales_score_rules (criterion, match_value, points) VALUES ('size_band', '51-200', 10);
INSERT INTO sales_score_rules (criterion, match_value, points) VALUES ('size_band', '11-50', 5);
INSERT INTO sales_score_rules (criterion, match_value, points) VALUES ('recency_days', '7', 25);
INSERT INTO sales_score_rules (criterion, match_value, points) VALUES ('recency_days', '30', 15);
INSERT INTO sales_score_rules (criterion, match_value, points) VALUES ('recency_days', '90', 5)
)SQL";

// Reports keep in-memory copies of these tables current by re-reading rows changed since a
// watermark (Dataset::incremental): an index makes that a range read instead of a scan. The
// quota attainment and forecast accuracy datasets sum each owner's won deals inside a period
// (a correlated subquery per quota / snapshot): the owner-won-closed index makes each a range.
inline constexpr const char* kMigration2 = R"SQL(
CREATE INDEX sales_opps_updated ON sales_opportunities(updated_at);
CREATE INDEX sales_opps_owner_won ON sales_opportunities(owner_id, is_won, closed_at);
CREATE INDEX sales_leads_updated ON sales_leads(updated_at);
CREATE INDEX sales_orders_updated ON sales_orders(updated_at)
)SQL";

} // namespace sales
