#pragma once
// The reporting engine as a host extension: applies its migrations, declares its permissions,
// subscribes to plugin events for cache invalidation and serves /api/v1/reports/*.

#include "Engine.h"

#include "app/Host.h"
#include "http/Router.h"
#include "store/Migrations.h"

#include <functional>
#include <memory>

namespace atrium::reports {

struct Table;
const std::vector<store::Migration>& migrations();

class ReportingExtension : public app::HostExtension {
public:
    ReportingExtension() = default;
    /// Migrates, declares permissions, subscribes to events, registers routes.
    void start(app::Host& host) override;
    void stop() override;
    /// Applies the reports schema migrations (owner "reports").
    void migrate(app::Host& host, const std::function<void(const std::string&)>& progress) override;
    Engine& engine() { return *_engine; }

private:
    app::Host* _host = nullptr;
    std::unique_ptr<Engine> _engine;
    std::uint64_t _subscription = 0;
    std::uint64_t _writeListener = 0; ///< store::addWriteListener: tables plugins wrote, after commit
};

/// Turns ReportError and JSON type errors into HttpError answers.
http::Handler guarded(std::function<void(http::Request&, http::Response&)> fn);
std::string nowUtc();
/// A route owned by "reports" whose handler runs through guarded().
http::Route route(std::string method, std::string pattern, std::string permission, std::string summary,
                  std::function<void(http::Request&, http::Response&)> fn);

void registerCatalogRoutes(http::Router& router, Engine& engine);
void registerDashboardRoutes(http::Router& router, Engine& engine);
void registerScorecardRoutes(http::Router& router, Engine& engine);
void registerEvaluationRoutes(http::Router& router, Engine& engine);

/// Every widget's data for a dashboard document and filters (the render endpoint's answer).
Json renderDashboard(Engine& engine, const identity::Principal& p, const Json& dashboard, const Json& filters);

// ---- scorecards (Scorecards.cpp) ------------------------------------------------------------

/// A scorecard template, stored or built in; `id` is "builtin.sales_rep" or the row id.
std::optional<Json> findScorecard(Engine& engine, const std::string& id);
/// Evaluates a template for a period. `request`: {subject_type?, department_id?, user_ids?,
/// trend_periods?}. Returns {template, period, subjects:[{id,name,score,rag,rank,items:[…],trend}]}.
Json evaluateScorecard(Engine& engine, const identity::Principal& p, const Json& tmpl, const dates::Period& period,
                       const Json& request);
/// The evaluated scorecard as a table (exports).
Table scorecardTable(const Json& result, const std::string& locale);
/// Validates a template document; throws ReportError(400) with the first problem.
void validateScorecard(Engine& engine, const Json& tmpl);

// ---- exports (Export.cpp) -----------------------------------------------------------------------

struct Table {
    std::string title;
    std::vector<std::string> headers;
    std::vector<std::string> types; ///< per column: text | number | integer | money | percent
    std::vector<std::vector<Json>> rows;
};
/// Table from {columns:[{name,label,type}], rows:[[…]]} with labels in `locale`.
Table tableFromResult(const Json& result, const std::string& title, const std::string& locale);
/// RFC 4180 CSV with a UTF-8 BOM; cells starting with = + - @ TAB or CR get a leading apostrophe.
std::string toCsv(const Table& t);
std::string csvCell(const std::string& text);
/// An .xlsx workbook with one sheet per table (libxlsxwriter).
std::string toXlsx(const std::vector<Table>& tables);
/// A PDF listing the tables (libharu), A4 landscape, 30 rows a page, each table from a new page;
/// text in the SimSun CID font (GBK encoding) so Chinese prints.
std::string toPdf(const std::vector<Table>& tables, const std::string& heading);
/// One rendered widget's data as a table (dashboard exports).
Table widgetTable(const std::string& type, const Json& data, const std::string& title, const std::string& locale);
/// Writes the export answer for `format` (csv | xlsx | pdf).
void sendExport(http::Response& res, const std::string& format, const std::vector<Table>& tables, const std::string& filename);

} // namespace atrium::reports
