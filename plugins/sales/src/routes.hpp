#pragma once
// The sales plugin's REST API, registered during init. Each file registers one resource.

#include "model.hpp"

#include <memory>

namespace sales {

/// What route handlers need from the plugin; lives as long as the plugin.
struct Context {
    atrium::sdk::Router& router;
    atrium::sdk::Events& events;
    atrium::sdk::Host& host;
    /// Entities declared through the SDK's resource layer (their routes keep pointers to them).
    std::unique_ptr<atrium::sdk::Resource> products;
    std::unique_ptr<atrium::sdk::Resource> leads;
};

void registerOpportunityRoutes(Context& ctx);
void registerLeadRoutes(Context& ctx);
void registerCatalogRoutes(Context& ctx);  ///< pipelines, products, score rules
void registerOrderRoutes(Context& ctx);
void registerPlanningRoutes(Context& ctx); ///< quotas, attainment, forecast, snapshots

/// A new opportunity as validated input.
struct NewOpportunity {
    std::string name;
    std::int64_t accountId = 0;
    std::optional<std::int64_t> contactId;
    std::optional<std::int64_t> leadId;
    std::int64_t pipelineId = 0;
    std::int64_t stageId = 0;
    double amount = 0;
    std::string currency = "CNY";
    std::optional<int> probability;
    std::optional<std::string> forecastCategory;
    std::string expectedCloseDate;
    std::optional<std::string> lostReason;
    std::int64_t ownerId = 0;
    std::optional<std::int64_t> departmentId;
    struct Line {
        std::int64_t productId;
        std::int64_t quantity;
        double unitPrice;
        double discount;
    };
    std::optional<std::vector<Line>> products;
};

/// Inserts an opportunity with its first stage-history row, products, timeline entry, audit row
/// and the sales.opportunity.created event, on `db` (the caller's transaction). Returns its id.
std::int64_t insertOpportunity(Context& ctx, const Request& req, Db& db, const Stages& stages, const NewOpportunity& o);

/// The opportunity as the API shows it (amount hidden when the caller's role denies the
/// field "sales.opportunity.amount"), or null when it is out of the caller's read scope.
Json loadOpportunity(const Request& req, Db& db, std::int64_t id, bool withDetails);

/// Validates product lines ("products": [{product_id, quantity, unit_price?, discount?}]).
std::optional<std::vector<NewOpportunity::Line>> parseLines(const Json& body, Db& db, Problems& problems);

/// Sum of quantity × unit price × (1 − discount%) over the lines, rounded to cents.
double linesTotal(const std::vector<NewOpportunity::Line>& lines);

} // namespace sales
