#pragma once
// The Plugin base class and ATRIUM_PLUGIN(), which defines the library's one exported symbol.
//
//     class HelloPlugin : public atrium::sdk::Plugin {
//     public:
//         static constexpr atrium_migration migrations[] = {
//             {1, "greetings", "CREATE TABLE hello_greetings (id ${ID}, text ${STR} NOT NULL)${TABLE}"},
//         };
//         void init() override { router().get("greetings", "hello.greetings.read", …); }
//         void demo(Db& db, DemoRun& run) override { … }   // optional
//     };
//     ATRIUM_PLUGIN(HelloPlugin)
//
// The host creates the object in init() and destroys it after shutdown(); everything the
// plugin registers lives in it.

#include <atrium/sdk/events.hpp>
#include <atrium/sdk/host.hpp>
#include <atrium/sdk/http.hpp>
#include <atrium/sdk/reporting.hpp>

#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace atrium::sdk {

namespace generated {
// Defined by the source file atrium_add_plugin() generates from the manifest (hidden symbols).
extern const char manifestJson[];
extern const std::size_t manifestSize;
} // namespace generated

/// What `atrium demo` asks a plugin for.
class DemoRun {
public:
    explicit DemoRun(const atrium_demo_request* request) : _r(request) {}
    /// 1.0 = a small company; scale row counts by it.
    double scale() const { return _r->scale; }
    /// Seed every random generator with it: the same seed gives the same data.
    std::uint64_t seed() const { return _r->seed; }
    /// `fraction` in [0, 1].
    void progress(double fraction, std::string_view message = {}) const {
        const std::string m(message);
        _r->progress(_r->progress_data, fraction, m.empty() ? nullptr : m.c_str());
    }

private:
    const atrium_demo_request* _r;
};

namespace detail {
struct PluginAccess;
}

class Plugin {
public:
    Plugin() = default;
    virtual ~Plugin() = default;
    Plugin(const Plugin&) = delete;
    Plugin& operator=(const Plugin&) = delete;

    /// Registers routes, subscriptions, datasets, KPIs, dashboards, scorecard templates and assets. Throwing refuses the plugin
    /// with the exception's message (the host lists it as "failed to initialise: …").
    virtual void init() = 0;
    /// Stops what init started (threads, timers). Callbacks have finished when it runs.
    virtual void shutdown() {}
    /// Seeds demo data (`atrium demo`); override to take part. Runs after the core's demo data
    /// and after the plugins this one requires.
    virtual void demo(Db& /*db*/, DemoRun& /*run*/) {}

protected:
    Host& host() { return *_host; }
    Router& router() { return *_router; }
    Events& events() { return *_events; }

    void declare(const Dataset& dataset) { declareJson(dataset.json(), true); }
    void declare(const Kpi& kpi) { declareJson(kpi.json(), false); }
    /// A built-in dashboard / scorecard template (SDK ABI 1.1; a 1.0 host answers with a clear
    /// "this host is too old" error, which refuses the plugin).
    void declare(const Dashboard& dashboard) { detail::declareDashboard(_host->api(), dashboard); }
    void declare(const ScorecardTemplate& tmpl) { detail::declareScorecardTemplate(_host->api(), tmpl); }
    /// Calls `fn(key, value)` after an administrator's change of one of this plugin's settings
    /// committed (only during init; SDK ABI 1.1: a 1.0 host answers "host too old"). `fn` runs
    /// on the request thread of the change: keep it short; exceptions are logged, not thrown.
    void onSettingChanged(std::function<void(const std::string& key, const Json& value)> fn) {
        const auto* api = _host->api();
        if (!ATRIUM_HAS_MEMBER(api, atrium_host_api, setting_subscribe))
            throw Error(ATRIUM_E_UNSUPPORTED, "this host is too old: setting subscriptions need SDK ABI 1.1 (the host provides " +
                                                  std::to_string(api->abi_major) + "." + std::to_string(api->abi_minor) + "); upgrade Atrium");
        _settingHandlers.push_back(std::make_unique<SettingHandler>(SettingHandler{std::move(fn), &*_host}));
        ErrorCall call;
        call.check(api->setting_subscribe(api->host, &Plugin::settingTrampoline, _settingHandlers.back().get(), call.get()));
    }
    /// Serves `directory` (relative to the plugin folder) under /plugins/<id>/.
    void serveAssets(std::string_view directory = "web") {
        const std::string d(directory);
        ErrorCall call;
        call.check(_host->api()->assets_register(_host->api()->host, d.c_str(), call.get()));
    }

private:
    friend struct detail::PluginAccess;
    struct ErrorCall : detail::ErrorBuffer {
        void check(atrium_status rc) { detail::check(rc, *this); }
    };
    void declareJson(const Json& doc, bool dataset) {
        const std::string text = doc.dump();
        ErrorCall call;
        const auto* api = _host->api();
        call.check(dataset ? api->dataset_declare(api->host, text.data(), text.size(), call.get())
                           : api->kpi_declare(api->host, text.data(), text.size(), call.get()));
    }
    void attach(const atrium_host_api* api) {
        _host.emplace(api);
        _router.emplace(api);
        _events.emplace(api);
    }

    struct SettingHandler {
        std::function<void(const std::string&, const Json&)> fn;
        Host* host;
    };
    static void settingTrampoline(void* userData, const char* key, const char* valueJson) noexcept {
        auto* h = static_cast<SettingHandler*>(userData);
        try {
            h->fn(key ? key : "", Json::parse(valueJson ? valueJson : "null"));
        } catch (const std::exception& e) {
            try {
                h->host->error(std::string("setting change handler failed: ") + e.what());
            } catch (...) {
            }
        } catch (...) {
        }
    }

    std::vector<std::unique_ptr<SettingHandler>> _settingHandlers;
    std::optional<Host> _host;
    std::optional<Router> _router;
    std::optional<Events> _events;
};

namespace detail {

template <class T>
concept HasMigrations = requires { std::size(T::migrations); std::data(T::migrations); };

struct PluginAccess {
    template <class T>
    static atrium_status init(const atrium_host_api* api, void** ctx, atrium_error* error) noexcept {
        return boundary(error, [&]() -> atrium_status {
            if (!api || !ctx) return report(error, ATRIUM_E_INVALID, "init() was called without a host API table");
            // The host promised compatibility when it loaded us; check anyway, since reading
            // members past the end of an older table would be undefined.
            if (api->struct_size < ATRIUM_HOST_API_SIZE_V1 || api->abi_major != ATRIUM_ABI_MAJOR || api->abi_minor < ATRIUM_ABI_MINOR)
                return report(error, ATRIUM_E_UNSUPPORTED,
                              "this plugin needs SDK ABI " + std::to_string(ATRIUM_ABI_MAJOR) + "." + std::to_string(ATRIUM_ABI_MINOR) +
                                  " but the host provides " + std::to_string(api->abi_major) + "." + std::to_string(api->abi_minor));
            *ctx = nullptr;
            auto plugin = std::make_unique<T>();
            static_cast<Plugin&>(*plugin).attach(api);
            static_cast<Plugin&>(*plugin).init();
            if constexpr (!std::is_same_v<decltype(&T::demo), decltype(&Plugin::demo)>) {
                ErrorBuffer eb;
                check(api->demo_register(api->host, &PluginAccess::demo, plugin.get(), eb.get()), eb);
            }
            *ctx = static_cast<Plugin*>(plugin.release());
            return ATRIUM_OK;
        });
    }

    static void shutdown(void* ctx) noexcept {
        auto* plugin = static_cast<Plugin*>(ctx);
        if (!plugin) return;
        try {
            plugin->shutdown();
        } catch (const std::exception& e) {
            try {
                plugin->host().error(std::string("shutdown() threw: ") + e.what());
            } catch (...) {
            }
        } catch (...) {
        }
        try {
            delete plugin;
        } catch (...) {
            // Destructors should not throw; if one does, the host must still not see it.
        }
    }

    static atrium_status demo(void* userData, atrium_db* db, const atrium_demo_request* request, atrium_error* error) noexcept {
        auto* plugin = static_cast<Plugin*>(userData);
        return boundary(error, [&]() -> atrium_status {
            Db handle(plugin->host().api(), db);
            DemoRun run(request);
            plugin->demo(handle, run);
            return ATRIUM_OK;
        });
    }

    template <class T>
    static const atrium_plugin_descriptor* descriptor() noexcept {
        static const atrium_plugin_descriptor d = [] {
            atrium_plugin_descriptor x{};
            x.struct_size = sizeof(atrium_plugin_descriptor);
            x.abi_major = ATRIUM_ABI_MAJOR;
            x.abi_minor = ATRIUM_ABI_MINOR;
            x.manifest_json = generated::manifestJson;
            x.manifest_size = generated::manifestSize;
            if constexpr (HasMigrations<T>) {
                x.migrations = std::data(T::migrations);
                x.migration_count = std::size(T::migrations);
            }
            x.init = &PluginAccess::init<T>;
            x.shutdown = &PluginAccess::shutdown;
            return x;
        }();
        return &d;
    }
};

} // namespace detail
} // namespace atrium::sdk

/// Defines atrium_plugin_query() for `PluginClass` (derived from atrium::sdk::Plugin, default
/// constructible, optionally with `static constexpr atrium_migration migrations[]`). Use it
/// once per plugin, in one source file.
#define ATRIUM_PLUGIN(PluginClass)                                                                               \
    static_assert(std::is_base_of_v<::atrium::sdk::Plugin, PluginClass>, #PluginClass " must derive from atrium::sdk::Plugin"); \
    extern "C" ATRIUM_PLUGIN_EXPORT const atrium_plugin_descriptor* atrium_plugin_query(void) {                   \
        return ::atrium::sdk::detail::PluginAccess::descriptor<PluginClass>();                                   \
    }
