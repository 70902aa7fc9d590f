#include "app/Extensions.h"

namespace atrium::app {

void installExtensions(Host&) {}

} // namespace atrium::app
