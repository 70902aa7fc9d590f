// The `atrium` command: init, serve, migrate, user, plugins, demo. One Poco ServerApplication;
// the subcommand (first argument) decides which options exist and what main() runs.

#include "app/Demo.h"
#include "app/Extensions.h"
#include "app/Host.h"
#include "app/CrashRecords.h"
#include "app/PluginRegistry.h"
#include "app/Settings.h"
#include "identity/Passwords.h"
#include "store/Migrations.h"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/Path.h>
#include <Poco/PatternFormatter.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionException.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

namespace atrium::app {
namespace {

using Poco::Util::Option;
using Poco::Util::OptionSet;

struct CommandInfo {
    std::string usage;
    std::string summary;
    std::vector<std::pair<std::string, std::string>> options; // name (with =ARG), description
};

const std::map<std::string, CommandInfo>& commands() {
    static const std::map<std::string, CommandInfo> c = {
        {"init",
         {"atrium init [--db URL] [--admin-email E] [--admin-password P]",
          "Create the schema and the first administrator (a password is generated and printed once if none is given).",
          {{"admin-email=E", "administrator email (default admin@example.com)"},
           {"admin-password=P", "administrator password (8-128 characters)"},
           {"admin-name=N", "administrator display name"}}}},
        {"serve",
         {"atrium serve [--db URL] [--listen HOST:PORT] [--config FILE] [--safe-mode]",
          "Serve the web UI and the API until SIGTERM/SIGINT, then drain in-flight requests and exit.",
          {{"listen=HOST:PORT", "address to listen on (default 127.0.0.1:8080, env ATRIUM_LISTEN)"},
           {"safe-mode", "load only the plugins shipped with Atrium (its own plugin directory), ignoring --plugin-path, "
                         "ATRIUM_PLUGIN_PATH and plugin_path"},
           {"plugin-path=DIRS", "colon-separated plugin directories (env ATRIUM_PLUGIN_PATH)"},
           {"web-root=DIR", "directory with public/ and node_modules/ (env ATRIUM_WEB_ROOT)"}}}},
        {"demo",
         {"atrium demo [--db URL] [--scale small|medium|large] [--seed N]",
          "Fill a new database with a demo company: departments, employees, accounts and contacts, then every plugin's "
          "own demo data (each module seeds its own records). Same seed, same data.",
          {{"scale=S", "small (30 users, 500 accounts, ~2k opportunities), medium (200 / 20k / ~100k) or large (1,000 / 200k / 1M); default small"},
           {"seed=N", "random seed (default 1)"},
           {"plugin-path=DIRS", "colon-separated plugin directories (env ATRIUM_PLUGIN_PATH)"}}}},
        {"migrate", {"atrium migrate [--db URL]", "Apply pending schema migrations and report each step.", {}}},
        {"plugins",
         {"atrium plugins list|enable|disable [ID] [--department D]",
          "List the installed plugins (manifest, version, enablement, last load and refusal reason) without loading them; "
          "enable or disable a plugin as a whole, or with --department for a department (its subtree inherits unless "
          "overridden).",
          {{"department=D", "department id for enable/disable"}, {"plugin-path=DIRS", "colon-separated plugin directories"}}}},
        {"user",
         {"atrium user add|list|disable|reset-password [options]",
          "Manage users: add --email E --name N [--password P] [--role R[,R]] [--department-id D] [--manager-id M] "
          "[--locale en|zh-CN]; list; disable --email E; reset-password --email E [--password P].",
          {{"email=E", "the user's email"},
           {"name=N", "display name (add)"},
           {"password=P", "password (generated and printed once when omitted)"},
           {"role=R", "comma-separated roles: admin, manager, rep, analyst (default rep)"},
           {"department-id=D", "department id (default: the root department)"},
           {"manager-id=M", "the user's manager"},
           {"locale=L", "en or zh-CN"}}}},
    };
    return c;
}

class AtriumApp final : public Poco::Util::ServerApplication {
public:
    AtriumApp(std::string command, std::vector<std::string> positional)
        : _command(std::move(command)), _positional(std::move(positional)) {
        setUnixOptions(true);
    }

    int exitCode = 0;

protected:
    void defineOptions(OptionSet& options) override {
        ServerApplication::defineOptions(options);
        options.addOption(Option("help", "h", "show help for this command").required(false).repeatable(false));
        options.addOption(Option("db", "", "database URL: sqlite:PATH or mysql://USER:PASS@HOST:PORT/DB (env ATRIUM_DB)")
                              .required(false).repeatable(false).argument("URL"));
        options.addOption(Option("config", "", "configuration file (ini or properties)").required(false).repeatable(false).argument("FILE"));
        auto it = commands().find(_command);
        if (it == commands().end()) return;
        for (const auto& [spec, description] : it->second.options) {
            const auto eq = spec.find('=');
            Option o(spec.substr(0, eq), "", description);
            o.required(false).repeatable(false);
            if (eq != std::string::npos) o.argument(spec.substr(eq + 1));
            options.addOption(o);
        }
    }

    void handleOption(const std::string& name, const std::string& value) override {
        ServerApplication::handleOption(name, value);
        _flags[name] = value;
        if (name == "help") stopOptionsProcessing();
        if (name == "config") loadConfiguration(value);
    }

    void initialize(Application& self) override {
        ServerApplication::initialize(self);
        Poco::AutoPtr<Poco::PatternFormatter> pattern(new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %p %s: %t"));
        Poco::AutoPtr<Poco::FormattingChannel> channel(new Poco::FormattingChannel(pattern, new Poco::ConsoleChannel(std::cerr)));
        Poco::Logger::root().setChannel(channel);
        // Commands other than serve report on stdout; their log shows warnings and errors only.
        const char* envLevel = std::getenv("ATRIUM_LOG_LEVEL");
        Poco::Logger::root().setLevel(envLevel && *envLevel ? envLevel
                                                            : config().getString("atrium.log_level", _command == "serve" ? "information" : "warning"));
    }

    int main(const ArgVec&) override {
        try {
            if (_flags.count("help")) return help();
            Settings settings(config(), _flags);
            const auto exeDir = Poco::Path(config().getString("application.dir", "./")).toString();
            auto options = settings.hostOptions(exeDir);
            _settings = &settings;
            // A new database may go in a new folder; every other command reports a missing one.
            if (_command == "init" || _command == "demo") createSqliteFolder(options.dbUrl);
            if (_command == "init") return initCommand(settings, options);
            if (_command == "migrate") return migrateCommand(options);
            if (_command == "demo") return demoCommand(settings, options);
            if (_command == "serve") return serveCommand(options);
            if (_command == "user") return userCommand(settings, options);
            if (_command == "plugins") return pluginsCommand(settings, options);
        } catch (const std::invalid_argument& e) {
            std::cerr << "atrium " << _command << ": " << e.what() << ".\n";
            return EXIT_USAGE;
        } catch (const store::StoreError& e) {
            std::cerr << "atrium " << _command << ": " << e.what() << ".\n";
            return EXIT_UNAVAILABLE;
        } catch (const http::HttpError& e) {
            std::cerr << "atrium " << _command << ":";
            if (e.fields().is_object() && !e.fields().empty())
                for (const auto& [k, v] : e.fields().items()) std::cerr << " " << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump());
            else
                std::cerr << " " << e.what();
            std::cerr << "\n";
            return EXIT_DATAERR;
        } catch (const std::exception& e) {
            std::cerr << "atrium " << _command << ": " << e.what() << "\n";
            return EXIT_SOFTWARE;
        }
        return EXIT_USAGE;
    }

private:
    int help() {
        const auto& info = commands().at(_command);
        std::cout << "Usage: " << info.usage << "\n\n" << info.summary << "\n\nOptions:\n";
        Poco::Util::HelpFormatter f(options());
        f.setUnixStyle(true);
        f.setIndent(4);
        f.format(std::cout);
        return EXIT_OK;
    }

    int initCommand(const Settings& s, const HostOptions& options) {
        Host host(options);
        installExtensions(host);
        host.migrate([](const std::string& line) { std::cout << line << "\n"; });
        const auto email = s.flag("admin-email", "admin@example.com");
        if (auto existing = host.identity().findUser(email)) {
            std::cout << "Atrium is initialised; the administrator " << email << " already exists (use 'atrium user reset-password --email "
                      << email << "' to set a new password).\n";
            return EXIT_OK;
        }
        const bool generated = !s.has("admin-password");
        const auto password = generated ? identity::randomToken(12) : s.flag("admin-password");
        identity::NewUser u;
        u.email = email;
        u.displayName = s.flag("admin-name", "Administrator");
        u.password = password;
        u.roles = {"admin"};
        host.identity().createUser(u);
        std::cout << "Created administrator " << email << ".\n";
        if (generated) std::cout << "Password (shown once, store it now): " << password << "\n";
        return EXIT_OK;
    }

    int migrateCommand(const HostOptions& options) {
        Host host(options);
        installExtensions(host);
        host.migrate([](const std::string& line) { std::cout << line << "\n"; });
        return EXIT_OK;
    }

    /// A one-line progress bar on stderr, redrawn in place ("\r"); a newline ends a phase.
    class ProgressBar {
    public:
        void show(const std::string& phase, double fraction, const std::string& message) {
            if (phase != _phase) {
                finish();
                _phase = phase;
                _started = std::chrono::steady_clock::now();
            }
            const auto now = std::chrono::steady_clock::now();
            const int percent = static_cast<int>(fraction * 100.0 + 0.5);
            if (percent == _percent && message == _message && now - _drawn < std::chrono::milliseconds(200)) return;
            _percent = percent;
            _message = message;
            _drawn = now;
            const int width = 30, filled = static_cast<int>(fraction * width + 0.5);
            const double secs = std::chrono::duration<double>(now - _started).count();
            std::fprintf(stderr, "\r%-8s [%s%s] %3d%%  %6.1fs  %-28.28s", phase.c_str(), std::string(static_cast<std::size_t>(filled), '#').c_str(),
                         std::string(static_cast<std::size_t>(width - filled), '.').c_str(), percent, secs, message.c_str());
            std::fflush(stderr);
            _open = true;
        }
        void finish() {
            if (_open) std::fputc('\n', stderr);
            _open = false;
            _percent = -1;
        }

    private:
        std::string _phase, _message;
        int _percent = -1;
        bool _open = false;
        std::chrono::steady_clock::time_point _started, _drawn;
    };

    int demoCommand(const Settings& s, const HostOptions& options) {
        const auto size = demoSize(s.flag("scale", "small"));
        std::uint64_t seed = 1;
        try {
            std::size_t pos = 0;
            const auto text = s.flag("seed", "1");
            seed = std::stoull(text, &pos);
            if (pos != text.size()) throw std::invalid_argument("seed");
        } catch (...) {
            throw std::invalid_argument("--seed takes a whole number, e.g. --seed 42");
        }
        const auto started = std::chrono::steady_clock::now();
        Host host(options);
        installExtensions(host);
        host.migrate();
        ProgressBar bar;
        const auto core = seedCoreDemo(*host.db(), size, seed, [&](double f, const std::string& m) { bar.show("core", f, m); });
        bar.finish();
        std::cout << "core: " << core.departments << " departments, " << core.users << " users, " << core.accounts << " accounts, "
                  << core.contacts << " contacts in " << std::fixed << std::setprecision(1) << core.millis / 1000.0 << " s\n";
        const auto outcomes = host.plugins().runDemo(size.pluginScale, seed, [&](const std::string& id, double f, const std::string& m) {
            bar.show(id, f, m);
        });
        bar.finish();
        bool failed = false;
        for (const auto& o : outcomes) {
            std::cout << o.id << ": " << (o.ok ? "seeded" : o.message) << " in " << std::fixed << std::setprecision(1) << o.millis / 1000.0
                      << " s\n";
            failed = failed || !o.ok;
        }
        if (outcomes.empty()) std::cout << "No loaded plugin has demo data (plugin path: " << options.pluginPath << ").\n";
        const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::cout << "Demo data (" << size.name << ", seed " << seed << ") ready in " << std::fixed << std::setprecision(1) << total
                  << " s.\nSign in as " << kDemoAdminEmail << " (administrator) or director@demo.atrium.example (sales director); "
                  << "every demo user's password is " << kDemoPassword << "\n";
        return failed ? EXIT_SOFTWARE : EXIT_OK;
    }

    /// Warnings about plugin configuration keys (unknown plugin ids, keys outside atrium.).
    std::vector<std::string> configWarnings(const HostOptions& options) const {
        std::vector<std::string> ids;
        for (const auto& p : installedPlugins(options.pluginPath)) ids.push_back(p.id);
        return pluginConfigWarnings(_settings->pluginKeys(), _settings->strayPluginKeys(), ids);
    }

    static void createSqliteFolder(const std::string& url) {
        const auto parsed = store::ConnectionUrl::parse(url);
        if (parsed.backend != store::Backend::Sqlite || parsed.path == ":memory:") return;
        const auto folder = std::filesystem::path(parsed.path).parent_path();
        std::error_code ec;
        if (!folder.empty()) std::filesystem::create_directories(folder, ec);
    }

    int serveCommand(const HostOptions& options) {
        Host host(options);
        host.checkSchema();
        installExtensions(host);
        for (const auto& w : configWarnings(options)) Poco::Logger::get("atrium.config").warning(w);
        host.start();
        waitForTerminationRequest();
        Poco::Logger::get("atrium").information("stopping: draining in-flight requests");
        host.stop();
        Poco::Logger::get("atrium").information("stopped");
        return EXIT_OK;
    }

    int userCommand(const Settings& s, const HostOptions& options) {
        const std::string sub = _positional.empty() ? "" : _positional[0];
        Host host(options);
        host.checkSchema();
        auto& id = host.identity();
        if (sub == "list") {
            std::cout << std::left << std::setw(6) << "ID" << std::setw(34) << "EMAIL" << std::setw(26) << "NAME" << std::setw(8)
                      << "ACTIVE" << "ROLES\n";
            for (const auto& u : id.listUsers()) {
                std::string roles;
                for (const auto& r : u.roles) roles += (roles.empty() ? "" : ",") + r;
                std::cout << std::setw(6) << u.id << std::setw(34) << u.email << std::setw(26) << u.displayName << std::setw(8)
                          << (u.active ? "yes" : "no") << roles << "\n";
            }
            return EXIT_OK;
        }
        if (sub == "add") {
            if (!s.has("email") || !s.has("name"))
                throw std::invalid_argument("user add needs --email and --name; see 'atrium user --help'");
            identity::NewUser u;
            u.email = s.flag("email");
            u.displayName = s.flag("name");
            const bool generated = !s.has("password");
            u.password = generated ? identity::randomToken(12) : s.flag("password");
            std::stringstream roles(s.flag("role", "rep"));
            for (std::string r; std::getline(roles, r, ',');)
                if (!r.empty()) u.roles.push_back(r);
            u.departmentId = s.has("department-id") ? std::stoll(s.flag("department-id")) : 0;
            u.managerId = s.has("manager-id") ? std::stoll(s.flag("manager-id")) : 0;
            u.locale = s.flag("locale", "en");
            const auto newId = id.createUser(u);
            std::cout << "Created user " << newId << " (" << u.email << ").\n";
            if (generated) std::cout << "Password (shown once): " << u.password << "\n";
            return EXIT_OK;
        }
        if (sub == "disable" || sub == "reset-password") {
            if (!s.has("email")) throw std::invalid_argument("user " + sub + " needs --email; see 'atrium user --help'");
            auto u = id.findUser(s.flag("email"));
            if (!u) throw std::invalid_argument("no user has the email " + s.flag("email") + "; 'atrium user list' shows who exists");
            if (sub == "disable") {
                id.disableUser(u->id);
                std::cout << "Disabled " << u->email << " and ended their sessions and API tokens.\n";
            } else {
                const bool generated = !s.has("password");
                const auto pw = generated ? identity::randomToken(12) : s.flag("password");
                id.setPassword(u->id, pw);
                std::cout << "Set a new password for " << u->email << " and ended their sessions.\n";
                if (generated) std::cout << "Password (shown once): " << pw << "\n";
            }
            return EXIT_OK;
        }
        throw std::invalid_argument("unknown user command '" + sub + "': use add, list, disable or reset-password");
    }

    int pluginsCommand(const Settings& s, const HostOptions& options) {
        const std::string sub = _positional.empty() ? "list" : _positional[0];
        Host host(options);
        host.checkSchema();
        PluginRegistry registry(host.db());
        const auto installed = installedPlugins(options.pluginPath);
        if (sub == "list") {
            // Reports what is installed and what the last host start made of it; loads nothing
            // (no library is mapped, no migration or init runs).
            const auto rows = registry.rows();
            const auto quarantine = CrashRecords(host.db()).quarantined();
            if (installed.empty()) std::cout << "No plugins found on the plugin path (" << options.pluginPath << ").\n";
            else
                std::cout << std::left << std::setw(18) << "ID" << std::setw(10) << "VERSION" << std::setw(6) << "ABI" << std::setw(10)
                          << "ENABLED" << std::setw(13) << "LAST" << "NAME / REASON\n";
            for (const auto& p : installed) {
                const auto row = rows.find(p.id);
                const bool enabled = row == rows.end() || row->second.enabled;
                std::string last = row == rows.end() || row->second.state.empty() ? "-" : row->second.state;
                std::string detail = p.name;
                if (const auto q = quarantine.find(p.id); q != quarantine.end()) {
                    last = "quarantined";
                    detail = q->second;
                } else if (last == "quarantined") {
                    last = "-";
                    detail = "quarantine lifted; loads at the next start";
                } else if (!p.problem.empty()) {
                    last = "refused";
                    detail = p.problem;
                } else if (row != rows.end() && !row->second.reason.empty()) {
                    detail = row->second.reason + " (at " + row->second.updatedAt + ")";
                }
                std::cout << std::left << std::setw(18) << p.id << std::setw(10) << (p.version.empty() ? "?" : p.version) << std::setw(6)
                          << (p.abi.empty() ? "?" : p.abi) << std::setw(10) << (enabled ? "yes" : "no") << std::setw(13) << last << detail
                          << "\n";
            }
            for (const auto& w : configWarnings(options)) std::cout << "warning: " << w << "\n";
            return EXIT_OK;
        }
        if (sub == "enable" || sub == "disable") {
            if (_positional.size() < 2)
                throw std::invalid_argument("plugins " + sub + " needs a plugin id, e.g. 'atrium plugins " + sub + " acme.invoices' (as a whole) or 'atrium plugins " +
                                            sub + " acme.invoices --department 3'");
            const auto& id = _positional[1];
            const bool known = std::any_of(installed.begin(), installed.end(), [&](const InstalledPlugin& p) { return p.id == id; }) ||
                               registry.rows().count(id) > 0;
            if (!known)
                throw std::invalid_argument("no plugin '" + id + "' is installed on the plugin path (" + options.pluginPath +
                                            "); 'atrium plugins list' shows the installed ones");
            if (!s.has("department")) {
                registry.setEnabled(id, sub == "enable");
                // Enabling also lifts a crash quarantine (the plugin loads at the next start).
                if (sub == "enable" && CrashRecords(host.db()).clear(id))
                    std::cout << "Lifted the quarantine of plugin " << id << " (it had crashed the host twice in a row).\n";
                std::cout << (sub == "enable" ? "Enabled " : "Disabled ") << "plugin " << id
                          << " as a whole (data is kept). A running atrium serve applies it at its next start; to change a running "
                             "host now, POST /api/v1/admin/plugins/"
                          << id << "/" << sub << ".\n";
                return EXIT_OK;
            }
            std::int64_t dept = 0;
            try {
                dept = std::stoll(s.flag("department"));
            } catch (...) {
                throw std::invalid_argument("--department takes a department id (a number)");
            }
            host.identity().setModuleEnabled(id, dept, sub == "enable", nullptr);
            std::cout << (sub == "enable" ? "Enabled " : "Disabled ") << id << " for department " << dept
                      << " and its sub-departments (data is kept).\n";
            return EXIT_OK;
        }
        throw std::invalid_argument("unknown plugins command '" + sub + "': use list, enable or disable");
    }

    std::string _command;
    std::vector<std::string> _positional;
    std::map<std::string, std::string> _flags;
    const Settings* _settings = nullptr;
};

void usage(std::ostream& out) {
    out << "Usage: atrium <command> [options]   (atrium <command> --help for its options)\n\nCommands:\n";
    for (const auto& [name, info] : commands()) out << "  " << std::left << std::setw(10) << name << info.summary << "\n";
    out << "\nDatabase URLs: sqlite:PATH (default sqlite:var/atrium.db) or mysql://USER:PASS@HOST:PORT/DB.\n";
}

} // namespace

int run(int argc, char** argv) {
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" || std::string(argv[1]) == "help") {
        usage(std::cout);
        return argc < 2 ? Poco::Util::Application::EXIT_USAGE : 0;
    }
    const std::string command = argv[1];
    if (command == "--version" || command == "version") {
        std::cout << "atrium " << ATRIUM_VERSION << " (plugin ABI " << ATRIUM_ABI_MAJOR_VALUE << "." << ATRIUM_ABI_MINOR_VALUE << ")\n";
        return 0;
    }
    if (!commands().count(command)) {
        std::cerr << "atrium: unknown command '" << command << "'; run 'atrium --help' to see the commands.\n";
        return Poco::Util::Application::EXIT_USAGE;
    }
    // Positional words after the command (e.g. "user add") are taken out before Poco parses options.
    std::vector<std::string> positional;
    std::vector<char*> rest = {argv[0]};
    for (int i = 2; i < argc; ++i) {
        if (argv[i][0] != '-' && (rest.size() == 1 || std::string(rest.back()).find('=') != std::string::npos ||
                                  std::string(rest.back()).rfind("--", 0) != 0))
            positional.emplace_back(argv[i]);
        else
            rest.push_back(argv[i]);
    }
    AtriumApp app(command, positional);
    try {
        app.init(static_cast<int>(rest.size()), rest.data());
    } catch (const Poco::Util::OptionException& e) {
        std::cerr << "atrium " << command << ": " << e.displayText() << "; run 'atrium " << command << " --help' for the options.\n";
        return Poco::Util::Application::EXIT_USAGE;
    } catch (const Poco::Exception& e) {
        std::cerr << "atrium " << command << ": " << e.displayText() << "\n";
        return Poco::Util::Application::EXIT_CONFIG;
    }
    // Application::run() is public on the base; ServerApplication only re-declares it protected.
    return static_cast<Poco::Util::Application&>(app).run();
}

} // namespace atrium::app

int main(int argc, char** argv) { return atrium::app::run(argc, argv); }
