#pragma once
#include "app/Host.h"

namespace atrium::app {
/// Adds the subsystems that live outside the core library (the reporting engine) to `host`.
/// Compiled into the `atrium` executable only, so the core library does not depend on them.
void installExtensions(Host& host);
}
