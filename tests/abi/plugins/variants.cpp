// One small plugin compiled into several broken variants (see CMakeLists.txt), each refused by
// the host for a different reason.

#include <atrium/sdk.hpp>

#include <stdexcept>

using namespace atrium::sdk;

class VariantPlugin : public Plugin {
public:
#ifdef ABI_TEST_BAD_MIGRATION
    // Creates a table outside the plugin's prefix: the host must refuse it.
    static constexpr atrium_migration migrations[] = {{1, "steals a core name", "CREATE TABLE accounts_copy (id ${ID})${TABLE}"}};
#endif
    void init() override {
#ifdef ABI_TEST_THROW_IN_INIT
        throw std::runtime_error("the setting plugins." + std::string(host().pluginId()) + ".endpoint is required");
#endif
        host().info("variant initialised");
    }
};

#if defined(ABI_TEST_NO_ENTRY)
// Deliberately no atrium_plugin_query(): the library maps fine but offers nothing to load.
extern "C" int abi_test_not_the_entry_point() { return 42; }
#elif defined(ABI_TEST_MAJOR_DELTA) || defined(ABI_TEST_MINOR_DELTA)
#ifndef ABI_TEST_MAJOR_DELTA
#define ABI_TEST_MAJOR_DELTA 0
#endif
#ifndef ABI_TEST_MINOR_DELTA
#define ABI_TEST_MINOR_DELTA 0
#endif
// A descriptor claiming an ABI this host does not provide, as a plugin built with a newer SDK
// would.
extern "C" ATRIUM_PLUGIN_EXPORT const atrium_plugin_descriptor* atrium_plugin_query(void) {
    static const atrium_plugin_descriptor d = [] {
        auto x = *::atrium::sdk::detail::PluginAccess::descriptor<VariantPlugin>();
        x.abi_major += ABI_TEST_MAJOR_DELTA;
        x.abi_minor += ABI_TEST_MINOR_DELTA;
        return x;
    }();
    return &d;
}
#else
ATRIUM_PLUGIN(VariantPlugin)
#endif
