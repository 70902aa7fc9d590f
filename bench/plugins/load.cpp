// bench_plugin_load — how long each plugin takes from manifest read to init done, on a fresh
// database (its migrations run) and on an already migrated one (the normal restart), for
// SQLite and, when ATRIUM_BENCH_MYSQL_URL is set, MariaDB. Target: <= 20 ms per plugin.
//   bench_plugin_load PLUGIN_PATH [MYSQL_URL]
#include "plugins/PluginManager.h"
#include "store/Database.h"
#include "store/Migrations.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <unistd.h>

using namespace atrium;

namespace {
std::map<std::string, double> loadOnce(const store::DatabasePtr& db, const std::string& path, double& total) {
    http::Router router;
    plugins::PluginManager manager(
        db, router, [](const std::string&) { return std::optional<std::string>(); },
        [](plugins::LogLevel, const std::string&, const std::string&) {});
    const auto t0 = std::chrono::steady_clock::now();
    manager.loadFromSearchPath(path);
    total = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::map<std::string, double> out;
    for (const auto& s : manager.status())
        out[s.id + (s.state == plugins::PluginState::Loaded ? "" : " (" + std::string(plugins::stateName(s.state)) + ")")] = s.loadMillis;
    return out;
}

void run(const std::string& label, const std::string& url, const std::string& path) {
    auto db = store::Database::open(url);
    store::Migrator(*db).apply("core", store::coreMigrations());
    double freshTotal = 0, warmTotal = 0;
    auto fresh = loadOnce(db, path, freshTotal);
    auto warm = loadOnce(db, path, warmTotal);
    std::printf("\n%s\n%-28s %14s %16s\n", label.c_str(), "plugin", "fresh db (ms)", "migrated db (ms)");
    for (const auto& [id, ms] : fresh) std::printf("%-28s %14.2f %16.2f\n", id.c_str(), ms, warm[id]);
    std::printf("%-28s %14.2f %16.2f\n", "all (wall clock)", freshTotal, warmTotal);
}
} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_plugin_load PLUGIN_PATH [mysql://USER:PASS@HOST:PORT/DB]\n");
        return 2;
    }
    const auto file = std::filesystem::temp_directory_path() / ("atrium-bench-load-" + std::to_string(getpid()) + ".db");
    run("SQLite", "sqlite:" + file.string(), argv[1]);
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + s);
    if (argc > 2) run("MariaDB", argv[2], argv[1]);
    return 0;
}
