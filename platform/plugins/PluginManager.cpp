#include "plugins/PluginManager.h"

#include "plugins/CrashGuard.h"
#include "plugins/Library.h"
#include "plugins/Resolver.h"
#include "plugins/Runtime.h"
#include "store/Errors.h"
#include "store/Migrations.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

namespace atrium::plugins {

using detail::PluginRecord;

namespace {

using Clock = std::chrono::steady_clock;

double millisSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string hostAbiText() { return std::to_string(ATRIUM_ABI_MAJOR) + "." + std::to_string(ATRIUM_ABI_MINOR); }

/// The one sentence for an ABI the host cannot serve, or "" when compatible.
std::string abiRefusal(const std::string& id, std::uint32_t major, std::uint32_t minor) {
    const std::string wanted = std::to_string(major) + "." + std::to_string(minor);
    if (major > ATRIUM_ABI_MAJOR || (major == ATRIUM_ABI_MAJOR && minor > ATRIUM_ABI_MINOR))
        return "plugin " + id + " needs SDK ABI " + wanted + ", this host provides " + hostAbiText() +
               ": upgrade atrium or rebuild the plugin";
    if (major < ATRIUM_ABI_MAJOR)
        return "plugin " + id + " was built for SDK ABI " + wanted + ", which this host (ABI " + hostAbiText() +
               ") no longer loads: rebuild the plugin against SDK " + std::to_string(ATRIUM_ABI_MAJOR) + ".x";
    return {};
}

// ---- migration table ownership ----------------------------------------------------------

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

/// Splits a statement into words, keeping quoted identifiers as single (unquoted) words and
/// dropping string literals and punctuation other than '.'.
std::vector<std::string> words(const std::string& statement) {
    std::vector<std::string> out;
    std::string current;
    auto flush = [&] {
        if (!current.empty()) out.push_back(std::move(current)), current.clear();
    };
    for (std::size_t i = 0; i < statement.size(); ++i) {
        const char c = statement[i];
        if (c == '"' || c == '`') {
            flush();
            auto end = statement.find(c, i + 1);
            if (end == std::string::npos) end = statement.size();
            out.push_back(statement.substr(i + 1, end - i - 1));
            i = end;
        } else if (c == '\'') {
            flush();
            auto end = statement.find('\'', i + 1);
            i = end == std::string::npos ? statement.size() : end;
        } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || c == '{' || c == '}') {
            current += c;
        } else if (c == '.') {
            // Join "schema.table" so a qualified name is checked (and refused) as one word.
            if (!current.empty()) {
                current += c;
            } else if (!out.empty()) {
                current = out.back() + ".";
                out.pop_back();
            }
        } else {
            flush();
        }
    }
    flush();
    return out;
}

/// Throws std::invalid_argument when a migration statement creates or changes a table, index,
/// view or trigger whose name does not start with the plugin's prefix: a plugin owns only its
/// own tables, and on SQLite index names share one namespace.
void checkOwnership(const std::string& sql, const std::string& prefix, int version) {
    for (const auto& statement : store::splitStatements(sql)) {
        const auto w = words(statement);
        std::vector<std::string> u;
        for (const auto& x : w) u.push_back(upper(x));
        auto at = [&](std::size_t i) -> std::string { return i < u.size() ? u[i] : std::string(); };
        auto nameAt = [&](std::size_t i) -> std::string { return i < w.size() ? w[i] : std::string(); };
        auto skipIfExists = [&](std::size_t i) {
            if (at(i) == "IF" && at(i + 1) == "NOT" && at(i + 2) == "EXISTS") return i + 3;
            if (at(i) == "IF" && at(i + 1) == "EXISTS") return i + 2;
            return i;
        };
        std::vector<std::pair<std::string, std::string>> touched; // (what, name)
        std::size_t i = 0;
        const auto verb = at(0);
        if (verb == "CREATE") {
            i = 1;
            if (at(i) == "TEMP" || at(i) == "TEMPORARY") ++i;
            if (at(i) == "UNIQUE" || at(i) == "FULLTEXT" || at(i) == "SPATIAL") ++i;
            const auto kind = at(i);
            if (kind == "TABLE" || kind == "VIEW" || kind == "TRIGGER") {
                touched.emplace_back(kind, nameAt(skipIfExists(i + 1)));
            } else if (kind == "INDEX") {
                const auto j = skipIfExists(i + 1);
                touched.emplace_back("INDEX", nameAt(j));
                if (at(j + 1) == "ON") touched.emplace_back("TABLE", nameAt(j + 2));
            }
        } else if (verb == "ALTER" && at(1) == "TABLE") {
            touched.emplace_back("TABLE", nameAt(2));
            for (std::size_t k = 3; k + 1 < u.size(); ++k)
                if (u[k] == "RENAME" && (at(k + 1) == "TO" || at(k + 1) == "AS")) touched.emplace_back("TABLE", nameAt(k + 2));
        } else if (verb == "DROP" && (at(1) == "TABLE" || at(1) == "VIEW" || at(1) == "INDEX" || at(1) == "TRIGGER")) {
            const auto j = skipIfExists(2);
            touched.emplace_back(at(1), nameAt(j));
            if (at(1) == "INDEX" && at(j + 1) == "ON") touched.emplace_back("TABLE", nameAt(j + 2));
        } else if (verb == "INSERT" || verb == "REPLACE") {
            for (std::size_t k = 1; k < u.size(); ++k)
                if (u[k] == "INTO") {
                    touched.emplace_back("TABLE", nameAt(k + 1));
                    break;
                }
        } else if (verb == "UPDATE") {
            std::size_t k = 1;
            if (at(k) == "OR") k += 2;
            touched.emplace_back("TABLE", nameAt(k));
        } else if (verb == "DELETE" && at(1) == "FROM") {
            touched.emplace_back("TABLE", nameAt(2));
        }
        for (const auto& [what, name] : touched) {
            if (name.empty()) continue;
            if (name.find('.') != std::string::npos || name.rfind(prefix, 0) != 0) {
                std::string kind = what;
                std::transform(kind.begin(), kind.end(), kind.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
                throw std::invalid_argument("migration " + std::to_string(version) + " touches " + kind + " \"" + name +
                                            "\", but a plugin's tables and indexes must be named \"" + prefix + "…\"");
            }
        }
    }
}

nlohmann::json statusJson(const PluginStatus& s) {
    return {{"id", s.id},
            {"name", {{"en", s.nameEn}, {"zh-CN", s.nameZh}}},
            {"version", s.version},
            {"abi", s.abi},
            {"state", stateName(s.state)},
            {"reason", s.reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.reason)},
            {"directory", s.directory},
            {"requires", s.requires_},
            {"permissions", s.permissions},
            {"datasets", s.datasets},
            {"kpis", s.kpis},
            {"routes", s.routes},
            {"assets", s.hasAssets},
            {"ui", s.ui.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.ui)},
            {"demo", s.hasDemo},
            {"loadMillis", std::round(s.loadMillis * 100.0) / 100.0}};
}

} // namespace

const char* logLevelName(LogLevel level) {
    switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "error";
    }
    return "info";
}

const char* stateName(PluginState state) {
    switch (state) {
    case PluginState::Loaded: return "loaded";
    case PluginState::Refused: return "refused";
    case PluginState::Disabled: return "disabled";
    case PluginState::Quarantined: return "quarantined";
    }
    return "refused";
}

std::string PluginManager::hostAbi() { return hostAbiText(); }

PluginManager::PluginManager(store::DatabasePtr db, http::Router& router, ConfigLookup config, Logger log, PluginManagerOptions options)
    : _services(std::make_unique<detail::HostServices>()),
      _events([this](const std::string& owner, const std::string& topic, const std::string& what) {
          this->log(LogLevel::Error, "event " + topic + " failed in " + owner + ": " + what);
      }) {
    if (!db) throw std::invalid_argument("the plugin manager needs a database");
    _services->db = std::move(db);
    _services->router = &router;
    _services->events = &_events;
    _services->catalog = &_catalog;
    _services->config = std::move(config);
    _services->log = std::move(log);
    _services->options = std::move(options);
}

PluginManager::~PluginManager() {
    try {
        shutdownAll();
    } catch (...) {
    }
}

void PluginManager::setQuarantined(std::map<std::string, std::string> quarantined) {
    std::lock_guard lifecycle(_lifecycle);
    _services->options.quarantined = std::move(quarantined);
}

std::vector<std::filesystem::path> PluginManager::parseSearchPath(const std::string& text) {
    std::vector<std::filesystem::path> out;
    std::stringstream in(text);
    std::string part;
    while (std::getline(in, part, ':'))
        if (!part.empty()) out.emplace_back(part);
    return out;
}

void PluginManager::log(LogLevel level, const std::string& message) const {
    try {
        if (_services->log) _services->log(level, "plugins", message);
    } catch (...) {
    }
}

PluginRecord* PluginManager::find(const std::string& id) const {
    for (const auto& r : _records)
        if (!r->hidden && r->id() == id) return r.get();
    return nullptr;
}

PluginStatus PluginManager::statusOf(const PluginRecord& r) const {
    PluginStatus s;
    s.id = r.id();
    s.state = r.state;
    s.reason = r.reason;
    s.directory = r.folder.string();
    s.loadMillis = r.loadMillis;
    if (r.manifest) {
        const auto& m = *r.manifest;
        s.nameEn = m.nameEn;
        s.nameZh = m.nameZh;
        s.version = m.version.toString();
        s.abi = m.abiText();
        for (const auto& req : m.requires_) s.requires_.push_back(req.id + " " + req.range.text());
        for (const auto& p : m.permissions) s.permissions.push_back(p.name);
        s.datasets = m.datasets;
        s.kpis = m.kpis;
    }
    if (r.state == PluginState::Loaded) {
        s.routes = r.routes.size();
        s.hasAssets = r.assets.has_value();
        if (s.hasAssets && r.manifest && !r.manifest->ui.empty()) s.ui = "/plugins/" + r.id() + "/" + r.manifest->ui;
        s.hasDemo = r.demo.has_value();
    }
    return s;
}

void PluginManager::refuse(PluginRecord& record, const std::string& sentence) {
    {
        std::lock_guard lock(_mutex);
        record.state = PluginState::Refused;
        record.reason = sentence;
        record.pending = false;
    }
    log(LogLevel::Error, sentence);
}

// ---- discovery --------------------------------------------------------------------------

void PluginManager::addCandidate(const std::filesystem::path& folder) {
    std::error_code ec;
    auto canonical = std::filesystem::weakly_canonical(folder, ec);
    if (ec) canonical = folder;
    for (const auto& r : _records)
        if (r->folder == canonical) return; // already known (loadAll called again)

    // The record is complete before it becomes visible to status readers.
    const auto start = Clock::now();
    auto record = std::make_unique<PluginRecord>();
    record->services = _services.get();
    record->folder = canonical;
    record->manifestPath = canonical / "atrium-plugin.json";
    record->fallbackId = canonical.filename().string();
    std::string refusal;
    try {
        record->manifest = Manifest::load(record->manifestPath);
        record->libraryPath = canonical / ("lib" + record->manifest->id + ".so");
        for (const auto& other : _records) {
            if (other->hidden || !other->manifest || other->manifest->id != record->manifest->id) continue;
            record->hidden = true;
            refusal = "plugin " + record->id() + " in " + canonical.string() + " is hidden by the one in " + other->folder.string() +
                      ", which comes first in ATRIUM_PLUGIN_PATH: remove one of them";
            break;
        }
    } catch (const std::exception& e) {
        record->manifest.reset();
        refusal = "plugin folder " + canonical.string() + " cannot be used: " + e.what();
    }
    record->loadMillis = millisSince(start);
    record->staticRefusal = !refusal.empty();
    auto* r = record.get();
    {
        std::lock_guard lock(_mutex);
        _records.push_back(std::move(record));
    }
    if (!refusal.empty()) refuse(*r, refusal);
}

void PluginManager::discover(const std::vector<std::filesystem::path>& directories) {
    for (const auto& dir : directories) {
        std::error_code ec;
        if (!std::filesystem::is_directory(dir, ec)) {
            log(LogLevel::Warning, "plugin directory " + dir.string() + " does not exist; skipped");
            continue;
        }
        if (std::filesystem::exists(dir / "atrium-plugin.json", ec)) {
            addCandidate(dir);
            continue;
        }
        std::vector<std::filesystem::path> folders;
        for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
            if (entry.is_directory(ec) && std::filesystem::exists(entry.path() / "atrium-plugin.json", ec)) folders.push_back(entry.path());
        std::sort(folders.begin(), folders.end()); // same order on every host and file system
        for (const auto& f : folders) addCandidate(f);
    }
}

// ---- loading ----------------------------------------------------------------------------

std::size_t PluginManager::loadFromSearchPath(const std::string& text) { return loadAll(parseSearchPath(text)); }

std::size_t PluginManager::loadAll(const std::vector<std::filesystem::path>& directories) {
    std::lock_guard lifecycle(_lifecycle);
    const auto firstNew = _records.size();
    discover(directories);

    // Checks that need only the manifest: nothing is mapped for a plugin that fails them.
    for (std::size_t i = firstNew; i < _records.size(); ++i) {
        auto& r = *_records[i];
        if (!r.pending) continue;
        const auto& m = *r.manifest;
        if (_services->options.disabled.count(m.id)) {
            std::lock_guard lock(_mutex);
            r.state = PluginState::Disabled;
            r.reason = "disabled by an administrator";
            r.pending = false;
            continue;
        }
        if (auto q = _services->options.quarantined.find(m.id); q != _services->options.quarantined.end()) {
            {
                std::lock_guard lock(_mutex);
                r.state = PluginState::Quarantined;
                r.reason = q->second;
                r.pending = false;
            }
            log(LogLevel::Error, "plugin " + m.id + " is quarantined and not loaded: " + q->second);
            continue;
        }
        if (auto why = abiRefusal(m.id, static_cast<std::uint32_t>(m.abiMajor), static_cast<std::uint32_t>(m.abiMinor)); !why.empty()) {
            r.staticRefusal = true;
            refuse(r, why);
            continue;
        }
        std::error_code ec;
        if (!std::filesystem::is_regular_file(r.libraryPath, ec)) {
            r.staticRefusal = true;
            refuse(r, "plugin " + m.id + " has no library " + r.libraryPath.filename().string() + " beside its manifest in " +
                          r.folder.string() + ": reinstall the plugin");
        }
    }

    // Dependencies, over everything known (plugins loaded earlier count as present).
    std::vector<ResolveInput> inputs;
    for (const auto& r : _records) {
        if (!r->manifest || r->hidden) continue;
        ResolveInput in;
        in.id = r->id();
        in.version = r->manifest->version;
        for (const auto& req : r->manifest->requires_) in.requires_.emplace_back(req.id, req.range);
        const bool candidate = r->pending || r->state == PluginState::Loaded;
        in.refused = !candidate;
        in.refusedWhy = r->state == PluginState::Disabled ? "disabled" : r->state == PluginState::Quarantined ? "quarantined" : "refused";
        inputs.push_back(std::move(in));
    }
    const auto resolved = resolveDependencies(inputs);
    for (const auto& [id, sentence] : resolved.refused) {
        auto* r = find(id);
        if (r && r->pending) refuse(*r, sentence);
    }

    std::size_t loaded = 0;
    for (const auto& id : resolved.order) {
        auto* r = find(id);
        if (!r || !r->pending) continue;
        // A requirement may have failed after resolution (its init failed, say).
        std::string missing;
        for (const auto& req : r->manifest->requires_) {
            auto* dep = find(req.id);
            if (!dep || dep->state != PluginState::Loaded) {
                missing = req.id;
                break;
            }
        }
        if (!missing.empty()) {
            refuse(*r, "plugin " + id + " requires " + missing + ", which failed to load: see the entry of " + missing + " for the reason");
            continue;
        }
        if (bringUp(*r)) ++loaded;
    }
    log(LogLevel::Info, std::to_string(loaded) + " plugin(s) loaded, host ABI " + hostAbiText());
    return loaded;
}

bool PluginManager::bringUp(PluginRecord& record) {
    const auto start = Clock::now();
    const double discovered = record.loadMillis;
    if (!record.descriptor && !openLibrary(record)) return false;
    if (!record.migrated && !migrate(record)) return false;
    if (!initialise(record)) return false;
    activate(record);
    if (record.state != PluginState::Loaded) return false;
    {
        std::lock_guard lock(_mutex);
        record.loadMillis = discovered + millisSince(start);
        _loadOrder.push_back(record.id());
    }
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f", record.loadMillis);
    log(LogLevel::Info, "plugin " + record.id() + " " + record.manifest->version.toString() + " loaded in " + ms + " ms");
    return true;
}

bool PluginManager::openLibrary(PluginRecord& record) {
    const auto& id = record.id();
    const auto file = record.libraryPath.filename().string();
    auto fatal = [&](const std::string& sentence) {
        record.staticRefusal = true;
        refuse(record, sentence);
        return false;
    };
    const auto mapped = detail::mapLibrary(record.libraryPath, "atrium_plugin_query");
    if (!mapped.loaded)
        return fatal("plugin " + id + " cannot be loaded because the system loader rejected " + file + " (" + mapped.error +
                     "): rebuild the plugin for this platform or reinstall it");
    if (!mapped.entry)
        return fatal("plugin " + id + " cannot be loaded because " + file +
                     " does not export atrium_plugin_query(): build it with atrium_add_plugin() and ATRIUM_PLUGIN()");

    const atrium_plugin_descriptor* d = nullptr;
    try {
        d = reinterpret_cast<atrium_plugin_query_fn>(mapped.entry)();
    } catch (...) {
        return fatal("plugin " + id + " cannot be loaded because its atrium_plugin_query() threw an exception: rebuild the plugin");
    }
    if (!d) return fatal("plugin " + id + " cannot be loaded because its atrium_plugin_query() returned no descriptor: rebuild the plugin");
    if (d->struct_size < ATRIUM_DESCRIPTOR_SIZE_V1)
        return fatal("plugin " + id + " has a " + std::to_string(d->struct_size) + "-byte descriptor, smaller than the " +
                     std::to_string(ATRIUM_DESCRIPTOR_SIZE_V1) + " bytes of ABI 1.0: rebuild the plugin with the Atrium SDK");
    if (auto why = abiRefusal(id, d->abi_major, d->abi_minor); !why.empty()) return fatal(why);
    const auto& m = *record.manifest;
    if (static_cast<int>(d->abi_major) != m.abiMajor || static_cast<int>(d->abi_minor) != m.abiMinor)
        return fatal("plugin " + id + " declares ABI " + m.abiText() + " in atrium-plugin.json but " + file + " was built for ABI " +
                     std::to_string(d->abi_major) + "." + std::to_string(d->abi_minor) + ": rebuild the plugin so both agree");
    if (!d->manifest_json || d->manifest_size == 0)
        return fatal("plugin " + id + " has no manifest built into " + file + ": rebuild it with atrium_add_plugin()");
    const auto embedded = nlohmann::json::parse(std::string_view(d->manifest_json, d->manifest_size), nullptr, false);
    if (embedded.is_discarded())
        return fatal("plugin " + id + " has a manifest built into " + file + " that is not valid JSON: rebuild the plugin");
    if (embedded != m.raw)
        return fatal("plugin " + id + " cannot be loaded because its atrium-plugin.json differs from the manifest built into " + file +
                     ": reinstall the plugin so both come from the same build");
    if (!d->init || !d->shutdown)
        return fatal("plugin " + id + " has a descriptor without init() or shutdown(): rebuild the plugin with the Atrium SDK");
    if (d->migration_count > 0 && !d->migrations)
        return fatal("plugin " + id + " declares " + std::to_string(d->migration_count) + " migrations but no migration array: rebuild the plugin");
    record.descriptor = d;
    return true;
}

bool PluginManager::migrate(PluginRecord& record) {
    const auto& id = record.id();
    const auto* d = record.descriptor;
    std::vector<store::Migration> migrations;
    try {
        for (std::size_t i = 0; i < d->migration_count; ++i) {
            const auto& m = d->migrations[i];
            if (static_cast<std::size_t>(m.version) != i + 1)
                throw std::invalid_argument("migration number " + std::to_string(i + 1) + " has version " + std::to_string(m.version) +
                                            "; versions must be 1, 2, 3 … in order");
            if (!m.sql || !*m.sql) throw std::invalid_argument("migration " + std::to_string(m.version) + " has no SQL");
            checkOwnership(m.sql, record.manifest->tablePrefix(), m.version);
            migrations.push_back({m.version, m.name ? m.name : "", m.sql});
        }
    } catch (const std::exception& e) {
        record.staticRefusal = true;
        refuse(record, "plugin " + id + " has an invalid migration (" + e.what() + "): fix the plugin");
        return false;
    }
    if (!migrations.empty()) {
        try {
            store::Migrator migrator(*_services->db);
            migrator.apply(id, migrations, [&](const store::MigrationStep& step) {
                log(LogLevel::Info, "plugin " + id + ": applied migration " + std::to_string(step.version) + " (" + step.name + ")");
            });
        } catch (const store::StoreError& e) {
            if (e.kind() == store::StoreError::Kind::SchemaTooNew) {
                record.staticRefusal = true;
                refuse(record, "plugin " + id + " " + record.manifest->version.toString() +
                                   " is older than its tables in this database (schema newer than its " + std::to_string(migrations.size()) +
                                   " migrations): install the newer " + id + " or restore a matching backup");
            } else {
                refuse(record, "plugin " + id + " could not apply its migrations: " + e.what());
            }
            return false;
        } catch (const std::exception& e) {
            refuse(record, "plugin " + id + " could not apply its migrations: " + e.what());
            return false;
        }
    }
    record.migrated = true;
    return true;
}

bool PluginManager::initialise(PluginRecord& record) {
    detail::fillHostApi(record);
    record.clearRegistrations();
    char message[ATRIUM_ERROR_MESSAGE_SIZE] = {0};
    atrium_error error{ATRIUM_OK, 0, message, sizeof message};
    void* ctx = nullptr;
    atrium_status rc = ATRIUM_E_INTERNAL;
    record.phase = detail::Phase::Initialising;
    try {
        PluginCallScope scope(record.id(), "init");
        rc = record.descriptor->init(&record.api, &ctx, &error);
    } catch (...) {
        // Only a plugin written without the SDK's C++ layer can get here.
        std::snprintf(message, sizeof message, "%s", "an exception escaped init() across the ABI boundary");
        rc = ATRIUM_E_INTERNAL;
    }
    record.phase = detail::Phase::Idle;
    if (rc != ATRIUM_OK) {
        record.clearRegistrations();
        refuse(record, "plugin " + record.id() + " failed to initialise: " + (message[0] ? std::string(message) : "init() returned error " + std::to_string(rc)));
        return false;
    }
    record.ctx = ctx;
    record.initialised = true;
    return true;
}

void PluginManager::activate(PluginRecord& record) {
    const auto& id = record.id();
    try {
        record.gate.open();
        for (const auto& route : record.routes) _services->router->add(route);
        for (const auto& s : record.subscriptions)
            _events.subscribe(id, s.pattern, detail::makeEventSubscriber(record, s.fn, s.userData));
        for (const auto& d : record.datasets) _catalog.add(Catalog::Kind::Dataset, id, d);
        for (const auto& k : record.kpis) _catalog.add(Catalog::Kind::Kpi, id, k);
        for (const auto& d : record.dashboards) _catalog.add(Catalog::Kind::Dashboard, id, d);
        for (const auto& t : record.scorecardTemplates) _catalog.add(Catalog::Kind::ScorecardTemplate, id, t);
        if (record.assets) {
            http::Route r;
            r.method = "GET";
            r.pattern = "/plugins/" + id + "/{*path}";
            r.isPublic = true; // pages and scripts; the data behind them is guarded by the API
            r.owner = id;
            r.summary = "UI assets of plugin " + id;
            r.handler = detail::makeAssetHandler(*record.assets);
            _services->router->add(std::move(r));
        }
    } catch (const std::exception& e) {
        deactivate(record);
        record.gate.close(_services->options.drainTimeout);
        try {
            record.descriptor->shutdown(record.ctx);
        } catch (...) {
        }
        record.initialised = false;
        record.ctx = nullptr;
        record.clearRegistrations();
        refuse(record, "plugin " + id + " could not be activated: " + e.what());
        return;
    }
    std::lock_guard lock(_mutex);
    record.state = PluginState::Loaded;
    record.reason.clear();
    record.pending = false;
}

void PluginManager::deactivate(PluginRecord& record) {
    const auto& id = record.id();
    _services->router->removeOwner(id);
    _events.unsubscribeOwner(id);
    _catalog.removeOwner(id);
}

bool PluginManager::stop(PluginRecord& record, PluginState state, const std::string& reason) {
    if (record.state != PluginState::Loaded) return true;
    deactivate(record);
    if (!record.gate.close(_services->options.drainTimeout)) {
        // Never shut down under a live callback: put the plugin back and report.
        record.gate.open();
        activate(record);
        log(LogLevel::Error, "plugin " + record.id() + " still had callbacks running after " +
                                 std::to_string(_services->options.drainTimeout.count()) + " ms, so it was left running");
        return false;
    }
    try {
        PluginCallScope scope(record.id(), "shutdown");
        record.descriptor->shutdown(record.ctx);
    } catch (...) {
        log(LogLevel::Error, "plugin " + record.id() + " threw from shutdown(); ignored");
    }
    if (record.openDbs.load() > 0)
        log(LogLevel::Warning, "plugin " + record.id() + " shut down with " + std::to_string(record.openDbs.load()) +
                                   " database connection(s) from db_open still open");
    record.initialised = false;
    record.ctx = nullptr;
    {
        std::lock_guard lock(_mutex);
        record.state = state;
        record.reason = reason;
        std::erase(_loadOrder, record.id());
    }
    log(LogLevel::Info, "plugin " + record.id() + " stopped: " + reason);
    return true;
}

void PluginManager::shutdownAll() {
    std::lock_guard lifecycle(_lifecycle);
    std::vector<std::string> order;
    {
        std::lock_guard lock(_mutex);
        order = _loadOrder;
    }
    for (auto it = order.rbegin(); it != order.rend(); ++it)
        if (auto* r = find(*it)) stop(*r, PluginState::Disabled, "stopped with the host");
}

std::vector<PluginRecord*> PluginManager::dependentsOf(const std::string& id) const {
    // Loaded plugins that require `id`, directly or not, in reverse load order (stop order).
    std::set<std::string> affected{id};
    std::vector<PluginRecord*> out;
    std::vector<std::string> order;
    {
        std::lock_guard lock(_mutex);
        order = _loadOrder;
    }
    for (const auto& candidate : order) {
        auto* r = find(candidate);
        if (!r || !r->manifest || candidate == id) continue;
        for (const auto& req : r->manifest->requires_)
            if (affected.count(req.id)) {
                affected.insert(candidate);
                out.push_back(r);
                break;
            }
    }
    std::reverse(out.begin(), out.end());
    return out;
}

bool PluginManager::disable(const std::string& id, std::string* reason) {
    std::lock_guard lifecycle(_lifecycle);
    auto* record = find(id);
    auto refuseWith = [&](const std::string& sentence) {
        if (reason) *reason = sentence;
        return false;
    };
    if (!record) return refuseWith("no plugin " + id + " is installed");
    if (record->state == PluginState::Disabled) return true;
    if (record->state != PluginState::Loaded) return refuseWith("plugin " + id + " is not loaded: " + record->reason);
    for (auto* dependent : dependentsOf(id))
        if (!stop(*dependent, PluginState::Disabled, "disabled because " + id + ", which it requires, was disabled"))
            return refuseWith("plugin " + dependent->id() + " (which requires " + id + ") is still busy: try again");
    if (!stop(*record, PluginState::Disabled, "disabled by an administrator"))
        return refuseWith("plugin " + id + " is still busy with requests: try again");
    return true;
}

bool PluginManager::enable(const std::string& id, std::string* reason) {
    std::lock_guard lifecycle(_lifecycle);
    auto* record = find(id);
    auto refuseWith = [&](const std::string& sentence) {
        if (reason) *reason = sentence;
        return false;
    };
    if (!record) return refuseWith("no plugin " + id + " is installed");
    if (record->state == PluginState::Loaded) return true;
    if (record->staticRefusal || !record->manifest) return refuseWith(record->reason);
    if (auto why = abiRefusal(id, static_cast<std::uint32_t>(record->manifest->abiMajor), static_cast<std::uint32_t>(record->manifest->abiMinor));
        !why.empty())
        return refuseWith(why);
    for (const auto& req : record->manifest->requires_) {
        auto* dep = find(req.id);
        if (!dep) return refuseWith("plugin " + id + " requires " + req.id + " " + req.range.text() + ", which is not installed");
        if (!req.range.matches(dep->manifest->version))
            return refuseWith("plugin " + id + " requires " + req.id + " " + req.range.text() + " but " + req.id + " " +
                              dep->manifest->version.toString() + " is installed");
        if (dep->state != PluginState::Loaded) return refuseWith("plugin " + id + " requires " + req.id + ", which is not loaded: enable " + req.id + " first");
    }
    std::error_code ec;
    if (!record->descriptor && !std::filesystem::is_regular_file(record->libraryPath, ec))
        return refuseWith("plugin " + id + " has no library " + record->libraryPath.filename().string() + " beside its manifest");
    {
        std::lock_guard lock(_mutex);
        record->pending = true;
    }
    if (!bringUp(*record)) return refuseWith(record->reason);
    _services->options.quarantined.erase(id);
    return true;
}

// ---- reporting --------------------------------------------------------------------------

std::vector<PluginStatus> PluginManager::status() const {
    std::lock_guard lock(_mutex);
    std::vector<PluginStatus> out;
    out.reserve(_records.size());
    for (const auto& r : _records) out.push_back(statusOf(*r));
    return out;
}

std::optional<PluginStatus> PluginManager::status(const std::string& id) const {
    std::lock_guard lock(_mutex);
    auto* r = find(id);
    if (!r) return std::nullopt;
    return statusOf(*r);
}

nlohmann::json PluginManager::toJson() const {
    auto list = nlohmann::json::array();
    for (const auto& s : status()) list.push_back(statusJson(s));
    return {{"abi", hostAbiText()}, {"plugins", std::move(list)}};
}

nlohmann::json PluginManager::permissions() const {
    std::lock_guard lock(_mutex);
    auto out = nlohmann::json::array();
    for (const auto& r : _records) {
        if (r->state != PluginState::Loaded || !r->manifest) continue;
        for (const auto& p : r->manifest->permissions) out.push_back({{"name", p.name}, {"description", p.description}, {"plugin", r->id()}});
    }
    return out;
}

bool PluginManager::isLoaded(const std::string& id) const {
    std::lock_guard lock(_mutex);
    auto* r = find(id);
    return r && r->state == PluginState::Loaded;
}

std::vector<DemoOutcome> PluginManager::runDemo(double scale, std::uint64_t seed, const DemoProgress& progress) {
    std::lock_guard lifecycle(_lifecycle);
    std::vector<DemoOutcome> outcomes;
    std::vector<std::string> order;
    {
        std::lock_guard lock(_mutex);
        order = _loadOrder;
    }
    for (const auto& id : order) {
        auto* r = find(id);
        if (!r || r->state != PluginState::Loaded || !r->demo) continue;
        DemoOutcome outcome;
        outcome.id = id;
        const auto start = Clock::now();
        try {
            detail::runDemoHook(*r, scale, seed, progress);
            outcome.ok = true;
        } catch (const std::exception& e) {
            outcome.message = "plugin " + id + " could not seed its demo data: " + e.what();
            log(LogLevel::Error, outcome.message);
        }
        outcome.millis = millisSince(start);
        outcomes.push_back(std::move(outcome));
    }
    return outcomes;
}

// ---- settings (the rest is in Settings.cpp and SettingsRoutes.cpp) ----------------------------

std::optional<Manifest> PluginManager::manifestOf(const std::string& id) const {
    std::lock_guard lock(_mutex);
    auto* record = find(id);
    if (!record || !record->manifest) return std::nullopt;
    return record->manifest;
}

const ConfigLookup& PluginManager::config() const { return _services->config; }

void PluginManager::notifySettingChanged(const std::string& id, const std::string& key, const std::string& valueJson) {
    detail::PluginRecord* record = nullptr;
    {
        std::lock_guard lock(_mutex);
        record = find(id);
    }
    if (record) detail::notifySettingChanged(*record, key, valueJson);
}

} // namespace atrium::plugins
