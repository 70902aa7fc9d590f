// abi.crasher: a plugin with a route that dereferences NULL, for the crash-containment test
// (tests/abi/crash_test.sh): the host must die by SIGSEGV naming this plugin and route, report
// it at the next start and quarantine the plugin after the second crash in a row.

#include <atrium/sdk.hpp>

using namespace atrium::sdk;

namespace {
int* volatile nowhere = nullptr; // volatile: the compiler may not assume the store away
}

class CrasherPlugin : public Plugin {
public:
    void init() override {
        router().publicRoute("GET", "ping", [](Request&, Db&) -> Json { return Json{{"ok", true}}; });
        router().publicRoute("GET", "boom", [](Request&, Db&) -> Json {
            *nowhere = 42; // SIGSEGV in the host's process
            return Json{{"unreachable", true}};
        });
    }
};

ATRIUM_PLUGIN(CrasherPlugin)
