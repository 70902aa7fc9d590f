#pragma once
// The Atrium plugin SDK: include this one header.
//
// Layering: atrium/plugin.h is the C ABI that crosses the shared-library boundary; everything
// under atrium/sdk/ is header-only C++ compiled into the plugin, so its types never cross it.

#include <atrium/plugin.h>
#include <atrium/sdk/db.hpp>
#include <atrium/sdk/error.hpp>
#include <atrium/sdk/events.hpp>
#include <atrium/sdk/host.hpp>
#include <atrium/sdk/http.hpp>
#include <atrium/sdk/plugin.hpp>
#include <atrium/sdk/reporting.hpp>
#include <atrium/sdk/scope.hpp>
