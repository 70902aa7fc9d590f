#include "app/Extensions.h"

#include "Reporting.h"

#include <memory>

namespace atrium::app {

void installExtensions(Host& host) { host.addExtension(std::make_shared<reports::ReportingExtension>()); }

} // namespace atrium::app
