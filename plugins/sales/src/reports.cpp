// What sales shows in reports: its datasets (each naming its entity, so field denials apply),
// its KPIs, the "Sales overview" dashboard and the "Sales rep" / "Sales team" scorecard
// templates. sales.cpp declares them during init; the ids are listed in atrium-plugin.json.
//
// Field denials: every dataset names its entity, so a role denying "<entity>.<field>" hides that
// field in every report. Amounts that are opportunity amounts by another name follow
// "sales.opportunity.amount": the weighted amount, an order's total (an order is a won
// opportunity's amount turned into an order), the won amount of quota attainment and every
// figure of forecast accuracy. A quota itself is a target, not a deal amount, and stays visible.

#include "reports.hpp"

namespace sales {

using namespace atrium::sdk;

std::vector<Dataset> datasets() {
    std::vector<Dataset> out;
    out.push_back(Dataset("sales.opportunities")
                      .name("Opportunities", "商机")
                      .description("Every opportunity with its amount, stage, status and close dates.", "所有商机及其金额、阶段、状态和成交日期。")
                      .table("sales_opportunities")
                      .entity("sales.opportunity")
                      .time("created_at", "Created", "创建时间")
                      .time("closed_at", "Closed", "关闭时间")
                      .time("expected_close_date", "Expected close", "预计成交日期", FieldType::Date)
                      .dimension("status", "Status", "状态")
                      .labels({{"open", "Open", "进行中"}, {"won", "Won", "赢单"}, {"lost", "Lost", "输单"}})
                      .dimension("pipeline_id", "Pipeline", "销售流程", FieldType::Integer)
                      .lookup("sales_pipelines", "id", "name", "name_zh")
                      .dimension("stage_id", "Stage", "阶段", FieldType::Integer)
                      .lookup("sales_stages", "id", "name", "name_zh")
                      .dimension("forecast_category", "Forecast category", "预测类别")
                      .labels({{"pipeline", "Pipeline", "管道"}, {"best_case", "Best case", "最佳情况"}, {"commit", "Commit", "承诺"},
                               {"omitted", "Omitted", "不计入"}, {"closed", "Closed", "已关闭"}})
                      .dimension("currency", "Currency", "币种")
                      .dimension("owner_id", "Owner", "负责人", FieldType::Integer)
                      .dimension("department_id", "Department", "部门", FieldType::Integer)
                      .dimension("account_id", "Account", "客户", FieldType::Integer)
                      .measure("amount", "Amount", "金额", Aggregate::Sum, FieldType::Money)
                      .measure("weighted_amount", "Weighted amount", "加权金额", Aggregate::Sum, FieldType::Money)
                      .acl("sales.opportunity.amount")
                      .measure("cycle_days", "Sales cycle (days)", "销售周期（天）", Aggregate::Avg, FieldType::Integer)
                      .measure("is_won", "Won", "赢单数", Aggregate::Sum, FieldType::Integer)
                      .measure("is_closed", "Closed", "已关闭数", Aggregate::Sum, FieldType::Integer)
                      .measure("id", "Opportunities", "商机数", Aggregate::Count, FieldType::Integer)
                      .scope("sales.opportunity.read", "owner_id", "department_id")
                      .incremental("id", "updated_at")
                      .drill("#/m/sales/opportunities/{id}"));
    out.push_back(Dataset("sales.stage_history")
                      .name("Stage changes", "阶段变更")
                      .description("Each move of an opportunity between stages: who, when, from where to where.", "商机在阶段之间的每次变更：由谁、何时、从哪到哪。")
                      .table("sales_stage_history")
                      .entity("sales.opportunity")
                      .time("changed_at", "Changed", "变更时间")
                      .dimension("pipeline_id", "Pipeline", "销售流程", FieldType::Integer)
                      .lookup("sales_pipelines", "id", "name", "name_zh")
                      .dimension("from_stage_id", "From stage", "原阶段", FieldType::Integer)
                      .lookup("sales_stages", "id", "name", "name_zh")
                      .dimension("to_stage_id", "To stage", "新阶段", FieldType::Integer)
                      .lookup("sales_stages", "id", "name", "name_zh")
                      .dimension("movement", "Movement", "变更类型")
                      .labels({{"created", "Created", "创建"}, {"forward", "Moved forward", "推进"}, {"backward", "Moved back", "回退"},
                               {"same", "Same stage", "阶段未变"}, {"won", "Won", "赢单"}, {"lost", "Lost", "输单"}})
                      .dimension("owner_id", "Owner", "负责人", FieldType::Integer)
                      .dimension("department_id", "Department", "部门", FieldType::Integer)
                      .measure("is_forward", "Forward moves", "推进次数", Aggregate::Sum, FieldType::Integer)
                      .measure("id", "Stage changes", "变更次数", Aggregate::Count, FieldType::Integer)
                      .scope("sales.opportunity.read", "owner_id", "department_id")
                      .incremental("id") // append-only
                      .drill("#/m/sales/opportunities/{opportunity_id}"));
    out.push_back(Dataset("sales.leads")
                      .name("Leads", "线索")
                      .table("sales_leads")
                      .entity("sales.lead")
                      .time("created_at", "Created", "创建时间")
                      .time("converted_at", "Converted", "转化时间")
                      .dimension("source", "Source", "来源")
                      .labels({{"web", "Website", "官网"}, {"referral", "Referral", "客户推荐"}, {"partner", "Partner", "合作伙伴"},
                               {"event", "Event", "展会活动"}, {"cold_call", "Cold call", "电话陌拜"}, {"advertising", "Advertising", "广告"},
                               {"other", "Other", "其他"}})
                      .dimension("status", "Status", "状态")
                      .labels({{"new", "New", "新线索"}, {"working", "Working", "跟进中"}, {"qualified", "Qualified", "已确认"},
                               {"disqualified", "Disqualified", "无效"}, {"converted", "Converted", "已转化"}})
                      .dimension("industry", "Industry", "行业")
                      .dimension("size_band", "Company size", "公司规模")
                      .labels({{"1-10", "1-10 employees", "1-10 人"}, {"11-50", "11-50 employees", "11-50 人"}, {"51-200", "51-200 employees", "51-200 人"},
                               {"201-1000", "201-1000 employees", "201-1000 人"}, {"1000+", "1000+ employees", "1000+ 人"}})
                      .dimension("region", "Region", "区域")
                      .dimension("owner_id", "Owner", "负责人", FieldType::Integer)
                      .dimension("department_id", "Department", "部门", FieldType::Integer)
                      .measure("score", "Score", "评分", Aggregate::Avg, FieldType::Integer)
                      .measure("is_converted", "Converted", "已转化数", Aggregate::Sum, FieldType::Integer)
                      .measure("id", "Leads", "线索数", Aggregate::Count, FieldType::Integer)
                      .scope("sales.lead.read", "owner_id", "department_id")
                      .incremental("id", "updated_at")
                      .drill("#/m/sales/leads/{id}"));
    out.push_back(Dataset("sales.orders")
                      .name("Orders", "订单")
                      .table("sales_orders")
                      .entity("sales.order")
                      .time("order_date", "Order date", "下单日期", FieldType::Date)
                      .dimension("status", "Status", "状态")
                      .labels({{"confirmed", "Confirmed", "已确认"}, {"fulfilled", "Fulfilled", "已交付"}, {"invoiced", "Invoiced", "已开票"},
                               {"cancelled", "Cancelled", "已取消"}})
                      .dimension("currency", "Currency", "币种")
                      .dimension("owner_id", "Owner", "负责人", FieldType::Integer)
                      .dimension("department_id", "Department", "部门", FieldType::Integer)
                      .dimension("account_id", "Account", "客户", FieldType::Integer)
                      .measure("total", "Order value", "订单金额", Aggregate::Sum, FieldType::Money)
                      .acl("sales.opportunity.amount")
                      .measure("id", "Orders", "订单数", Aggregate::Count, FieldType::Integer)
                      .scope("sales.order.read", "owner_id", "department_id")
                      .incremental("id", "updated_at")
                      .drill("#/m/sales/orders/{id}"));
    out.push_back(Dataset("sales.quota_attainment")
                      .name("Quota attainment", "配额完成")
                      .description("Each quota with the closed-won amount of its owner in its period.", "每个配额及其负责人在该期间的赢单金额。")
                      .query("SELECT q.id, q.user_id AS owner_id, q.department_id, q.period_type, q.period_start, q.amount AS quota, "
                             "(SELECT COALESCE(SUM(o.amount), 0) FROM sales_opportunities o WHERE o.owner_id = q.user_id AND o.is_won = 1 "
                             "AND o.closed_at >= q.period_start AND o.closed_at < q.period_end) AS won_amount FROM sales_quotas q")
                      .entity("sales.quota")
                      .time("period_start", "Period", "期间", FieldType::Date)
                      .dimension("period_type", "Period type", "期间类型")
                      .labels({{"month", "Month", "月度"}, {"quarter", "Quarter", "季度"}})
                      .dimension("owner_id", "Owner", "负责人", FieldType::Integer)
                      .dimension("department_id", "Department", "部门", FieldType::Integer)
                      .measure("quota", "Quota", "配额", Aggregate::Sum, FieldType::Money)
                      .measure("won_amount", "Closed won", "赢单金额", Aggregate::Sum, FieldType::Money)
                      .acl("sales.opportunity.amount")
                      .scope("sales.quota.read", "owner_id", "department_id"));
    out.push_back(Dataset("sales.forecast_accuracy")
                      .name("Forecast accuracy", "预测准确度")
                      .description("Forecast snapshots with what actually closed in their period.", "预测快照及其期间实际赢单金额。")
                      .query("SELECT s.id, s.owner_id, s.department_id, s.period_type, s.period_start, s.taken_at, s.forecast_amount, s.commit_amount, "
                             "(SELECT COALESCE(SUM(o.amount), 0) FROM sales_opportunities o WHERE o.owner_id = s.owner_id AND o.is_won = 1 "
                             "AND o.closed_at >= s.period_start AND o.closed_at < s.period_end) AS actual_won FROM sales_forecast_snapshots s")
                      .entity("sales.forecast_snapshot")
                      .time("period_start", "Period", "期间", FieldType::Date)
                      .dimension("period_type", "Period type", "期间类型")
                      .labels({{"month", "Month", "月度"}, {"quarter", "Quarter", "季度"}})
                      .dimension("owner_id", "Owner", "负责人", FieldType::Integer)
                      .dimension("department_id", "Department", "部门", FieldType::Integer)
                      .measure("forecast_amount", "Forecast", "预测金额", Aggregate::Sum, FieldType::Money)
                      .acl("sales.opportunity.amount")
                      .measure("commit_amount", "Commit", "承诺金额", Aggregate::Sum, FieldType::Money)
                      .acl("sales.opportunity.amount")
                      .measure("actual_won", "Actual won", "实际赢单", Aggregate::Sum, FieldType::Money)
                      .acl("sales.opportunity.amount")
                      .scope("sales.forecast.read", "owner_id", "department_id"));

    return out;
}

std::vector<Kpi> kpis() {
    std::vector<Kpi> out;
    const auto won = [] { return Measure::count().where("status", "=", "won"); };
    out.push_back(Kpi("sales.won_revenue").name("Won revenue", "赢单收入").description("Amount of opportunities won in the period.", "期间内赢单商机的金额。")
                      .dataset("sales.opportunities").sum("amount").where("status", "=", "won").time("closed_at")
                      .unit(Unit::Currency).currency("CNY").higherIsBetter());
    out.push_back(Kpi("sales.won_count").name("Deals won", "赢单数").dataset("sales.opportunities").measure(won()).time("closed_at")
                      .unit(Unit::Number).higherIsBetter());
    out.push_back(Kpi("sales.win_rate").name("Win rate", "赢率").description("Won ÷ closed (won or lost) in the period.", "期间内赢单数 ÷ 关闭数（赢单或输单）。")
                      .dataset("sales.opportunities").ratio(Measure::sum("is_won"), Measure::sum("is_closed")).time("closed_at")
                      .unit(Unit::Percent).higherIsBetter().thresholds(0.35, 0.25).decimals(1));
    out.push_back(Kpi("sales.pipeline_value").name("Pipeline value", "管道金额").description("Open opportunities expected to close in the period.", "预计在期间内成交的进行中商机金额。")
                      .dataset("sales.opportunities").sum("amount").where("status", "=", "open").time("expected_close_date")
                      .unit(Unit::Currency).currency("CNY").higherIsBetter());
    out.push_back(Kpi("sales.weighted_pipeline").name("Weighted pipeline", "加权管道").description("Open amount × stage probability.", "进行中金额 × 阶段概率。")
                      .dataset("sales.opportunities").sum("weighted_amount").where("status", "=", "open").time("expected_close_date")
                      .unit(Unit::Currency).currency("CNY").higherIsBetter());
    out.push_back(Kpi("sales.average_deal_size").name("Average deal size", "平均成交额").dataset("sales.opportunities")
                      .measure(Measure::avg("amount").where("status", "=", "won")).time("closed_at").unit(Unit::Currency).currency("CNY").higherIsBetter());
    out.push_back(Kpi("sales.sales_cycle").name("Sales cycle length", "销售周期").description("Days from creation to win.", "从创建到赢单的天数。")
                      .dataset("sales.opportunities").measure(Measure::avg("cycle_days").where("status", "=", "won")).time("closed_at")
                      .unit(Unit::Days).lowerIsBetter().thresholds(60, 90).decimals(0));
    out.push_back(Kpi("sales.stage_conversion").name("Stage conversion rate", "阶段转化率")
                      .description("Share of stage exits that moved forward (or won).", "阶段变更中向前推进（或赢单）的比例。")
                      .dataset("sales.stage_history").ratio(Measure::sum("is_forward"), Measure::count().where("movement", "!=", "created"))
                      .time("changed_at").unit(Unit::Percent).higherIsBetter().thresholds(0.6, 0.45).decimals(1));
    out.push_back(Kpi("sales.lead_conversion").name("Lead conversion rate", "线索转化率").description("Leads converted ÷ leads created in the period.", "期间内已转化线索 ÷ 新建线索。")
                      .dataset("sales.leads").ratio(Measure::sum("is_converted"), Measure::count()).time("created_at")
                      .unit(Unit::Percent).higherIsBetter().thresholds(0.2, 0.1).decimals(1));
    out.push_back(Kpi("sales.new_leads").name("New leads", "新增线索").dataset("sales.leads").count().time("created_at").unit(Unit::Number).higherIsBetter());
    // Monthly quotas only: a quarter's quota starts in its first month, so mixing both would count
    // the quarter's wins and quota against January (and twice over a quarter).
    out.push_back(Kpi("sales.quota_attainment").name("Quota attainment", "配额完成率")
                      .description("Closed-won ÷ monthly quota.", "赢单金额 ÷ 月度配额。")
                      .dataset("sales.quota_attainment").ratio(Measure::sum("won_amount"), Measure::sum("quota")).where("period_type", "=", "month")
                      .time("period_start")
                      .unit(Unit::Percent).higherIsBetter().thresholds(1.0, 0.8).decimals(1));
    out.push_back(Kpi("sales.forecast_accuracy").name("Forecast accuracy", "预测准确度")
                      .description("Actual closed-won ÷ forecast recorded for the period (1.0 = exact).", "期间实际赢单 ÷ 当期记录的预测（1.0 = 完全准确）。")
                      .dataset("sales.forecast_accuracy").ratio(Measure::sum("actual_won"), Measure::sum("forecast_amount")).time("period_start")
                      .unit(Unit::Percent).higherIsBetter().thresholds(0.9, 0.75).decimals(1));
    return out;
}

std::vector<Dashboard> dashboards() {
    // Served as "builtin.sales_overview". Widget ids are what bookmarks and browser tests name.
    return {Dashboard("sales.overview")
                .name("Sales overview", "销售概览")
                .description("Revenue, conversion and pipeline with trend and top performers.", "收入、转化与管道，含趋势与排行。")
                .periodFilter("last_12_months")
                .departmentFilter()
                .ownerFilter()
                .widget(Widget("kpi1", "kpi").title("Deals won", "赢单数").at(0, 0, 4, 2).kpi("sales.won_count"))
                .widget(Widget("kpi2", "kpi").title("Won revenue", "赢单收入").at(4, 0, 4, 2).kpi("sales.won_revenue"))
                .widget(Widget("kpi3", "kpi").title("Win rate", "赢率").at(8, 0, 4, 2).kpi("sales.win_rate"))
                .widget(Widget("trend", "line").title("Trend: Deals won", "趋势：赢单数").at(0, 2, 6, 4).kpi("sales.won_count").grain("month"))
                .widget(Widget("breakdown", "bar").title("Closed by status", "按状态（已关闭）").at(6, 2, 6, 4)
                            .query("sales.opportunities", {"amount"}, {"status"}, 20, "closed_at"))
                .widget(Widget("leaders", "leaderboard").title("Top performers", "业绩排行").at(0, 6, 12, 4)
                            .query("sales.opportunities", {"amount"}, {"owner_id"}, 10, "closed_at")
                            .where("status", "=", "won"))};
}

std::vector<ScorecardTemplate> scorecardTemplates() {
    // Won revenue against each owner's monthly quotas; the rest against a fixed bar or last
    // period + 10 %. Open-pipeline KPIs are left out: last period's open pipeline is close to
    // nothing, so they make poor period-over-period items.
    const auto items = [](ScorecardTemplate t) {
        return t.item("sales.won_revenue", 40,
                      Target::quota("sales.quota_attainment", Measure::sum("quota"), "period_start").where("period_type", "=", "month"))
            .item("sales.won_count", 15, Target::lastPeriod(10))
            .item("sales.win_rate", 20, Target::fixed(0.35))
            .item("sales.average_deal_size", 15, Target::lastPeriod(10))
            .item("sales.new_leads", 10, Target::lastPeriod(10))
            .cap(1.2)
            .bands(1.0, 0.8);
    };
    return {items(ScorecardTemplate("sales.rep").name("Sales rep", "销售代表").subject(Subject::User).subjectRoles({"rep"})),
            items(ScorecardTemplate("sales.team").name("Sales team", "销售团队").subject(Subject::Team))};
}

} // namespace sales
