#pragma once
// GET /api/v1/admin/plugins/{id}/settings and PUT /api/v1/admin/plugins/{id}/settings/{key}:
// the settings a plugin declares, their values, and an administrator's change (validated by
// type, range and choice; permission-checked per setting; audited; the plugin told after commit).

#include "http/Router.h"
#include "identity/Audit.h"
#include "plugins/PluginManager.h"
#include "store/Database.h"

namespace atrium::plugins {

void registerSettingsRoutes(http::Router& router, store::DatabasePtr db, identity::Audit& audit, PluginManager& plugins);

} // namespace atrium::plugins
