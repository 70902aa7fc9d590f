// The Sales plugin: leads, opportunities in pipelines, products, orders, quotas and the forecast,
// built only on the public SDK (atrium/sdk.hpp). Routes live under /api/v1/sales/.

#include "reports.hpp"
#include "routes.hpp"
#include "schema.hpp"

using namespace atrium::sdk;

namespace sales {
void seedDemo(Db& db, DemoRun& run);
}

class SalesPlugin : public Plugin {
public:
    // Released migrations are never edited; a change is a new, higher version (schema.hpp).
    static constexpr atrium_migration migrations[] = {
        {1, "pipelines, stages, products, leads, opportunities, stage history, orders, quotas, forecast snapshots, score rules", sales::kMigration1},
        {2, "indexes for incremental report refresh and per-owner won amounts", sales::kMigration2},
    };

    void init() override {
        _ctx.emplace(sales::Context{router(), events(), host()});
        sales::registerOpportunityRoutes(*_ctx);
        sales::registerLeadRoutes(*_ctx);
        sales::registerCatalogRoutes(*_ctx);
        sales::registerOrderRoutes(*_ctx);
        sales::registerPlanningRoutes(*_ctx);
        for (const auto& d : sales::datasets()) declare(d);
        for (const auto& k : sales::kpis()) declare(k);
        for (const auto& d : sales::dashboards()) declare(d);
        for (const auto& t : sales::scorecardTemplates()) declare(t);
        serveAssets("web");
        host().info("sales plugin ready");
    }

    void demo(Db& db, DemoRun& run) override { sales::seedDemo(db, run); }

private:
    std::optional<sales::Context> _ctx;
};

ATRIUM_PLUGIN(SalesPlugin)
