#pragma once
// Crash containment for in-process plugins (issue #13).
//
// Plugins run in the host's process, so a plugin that dereferences NULL kills the host. What the
// host can do is say who did it: every call into a plugin (route handler, event subscriber,
// init, demo hook) sets a thread-local "current plugin call" for its duration, and a fatal-signal
// handler (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) writes that call, async-signal-safely
// (write(2) on descriptors opened beforehand, no allocation, no locks), to stderr and to a crash
// file, then re-raises the signal with its default action so the process still dies by it (and
// core dumps keep working). The next start reads the crash file (readCrashFile) and reports it.

#include <filesystem>
#include <optional>
#include <string>

namespace atrium::plugins {

/// Marks the calling thread as running plugin `plugin` doing `what` ("route GET /api/v1/x",
/// "event deal.won", "init", "demo") until destroyed; nests (the previous call is restored).
class PluginCallScope {
public:
    PluginCallScope(const std::string& plugin, const std::string& what);
    ~PluginCallScope();
    PluginCallScope(const PluginCallScope&) = delete;
    PluginCallScope& operator=(const PluginCallScope&) = delete;

private:
    static constexpr std::size_t kPlugin = 128;
    static constexpr std::size_t kWhat = 384;
    char _savedPlugin[kPlugin];
    char _savedWhat[kWhat];
};

/// The plugin and call running on this thread ("" when none); for tests and logs.
std::string currentPluginCall();

/// Opens (truncating) `crashFile` and installs the fatal-signal handlers. Call once the plugins
/// are loaded; a second call replaces the file. Throws std::runtime_error when the file cannot
/// be opened.
void installCrashHandler(const std::filesystem::path& crashFile);
/// Restores the default handlers and closes the file; removes it when `clean` (an orderly
/// shutdown leaves nothing to report).
void uninstallCrashHandler(bool clean);

/// What a crash file says.
struct CrashReport {
    std::string plugin; ///< empty: no plugin call was running (the host itself crashed)
    std::string what;   ///< "route GET /api/v1/x", "event deal.won", "init", "demo"
    std::string signal; ///< "SIGSEGV"
    long long unixTime = 0;
    std::string at;     ///< "YYYY-MM-DD HH:MM:SS" (UTC) of unixTime
};
/// Reads and removes `crashFile`. nullopt when there is none or it is empty (the last run
/// shut down cleanly, or was killed without a fatal signal).
std::optional<CrashReport> readCrashFile(const std::filesystem::path& crashFile);

} // namespace atrium::plugins
