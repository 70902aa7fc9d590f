#pragma once
// atrium-plugin.json: what a plugin is, read before its library is mapped. Validation failures
// are one sentence each, because they end up verbatim in `atrium plugins list`.

#include "plugins/Version.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace atrium::plugins {

/// A manifest that cannot be used; what() is one sentence for the operator.
class ManifestError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Requirement {
    std::string id;
    VersionRange range;
};

struct PermissionDecl {
    std::string name;
    nlohmann::json description; ///< a string or {"en": …, "zh-CN": …}
    /// Default scope per built-in role ("manager" -> "department"); the host grants these once,
    /// and an administrator's later change wins.
    std::map<std::string, std::string> grants;
};

/// A field of a declared entity: what the roles page offers to hide.
struct FieldDecl {
    std::string name;      ///< "amount"
    std::string type;      ///< text, integer, real, money, date, datetime, boolean, email, phone, url, reference, enum
    nlohmann::json label;  ///< {"en": …, "zh-CN": …}
    bool deniable = false; ///< a role may hide it ("<entity>.<name>" in denied_fields)
};

/// An entity the plugin owns ("acme.invoice") with its fields.
struct EntityDecl {
    std::string name;
    nlohmann::json label;
    std::vector<FieldDecl> fields;
};

/// A setting the plugin declares ("settings" in the manifest): what an administrator may change
/// at runtime (PUT /api/v1/admin/plugins/<id>/settings/<key>) and the plugin reads with
/// setting_get. Values are JSON (a string, a number, a boolean).
struct SettingDecl {
    std::string key;         ///< "default_language": [a-z][a-z0-9_]*, at most 64 characters
    std::string type;        ///< text, integer, number, boolean, choice
    nlohmann::json defaultValue;
    std::vector<nlohmann::json> values; ///< the allowed values of a choice
    std::optional<double> min, max;     ///< bounds of an integer or number
    nlohmann::json label;       ///< {"en": …, "zh-CN": …}
    nlohmann::json description; ///< {"en": …, "zh-CN": …} or null
    std::string permission;     ///< who may change it; default core.plugin.write

    /// Empty when `value` fits the type, range and choices; else one sentence for the user.
    std::string check(const nlohmann::json& value) const;
    /// Reads a configuration-file text as this type ("42", "true", "zh-CN"); nullopt when it
    /// does not parse or does not pass check().
    std::optional<nlohmann::json> fromConfigText(const std::string& text) const;
    nlohmann::json toJson() const; ///< the schema as the settings API shows it
};

struct Manifest {
    std::string id;
    std::string nameEn;
    std::string nameZh;
    SemVer version;
    int abiMajor = 0;
    int abiMinor = 0;
    std::vector<Requirement> requires_;
    std::vector<PermissionDecl> permissions;
    std::vector<std::string> datasets;
    std::vector<std::string> kpis;
    std::vector<std::string> dashboards;         ///< built-in dashboards it declares (ABI 1.1)
    std::vector<std::string> scorecardTemplates; ///< built-in scorecard templates (ABI 1.1)
    std::vector<EntityDecl> entities;
    std::vector<SettingDecl> settings; ///< runtime settings (ABI 1.1)
    /// The UI entry module, relative to the plugin's asset directory ("main.js"); empty = none.
    std::string ui;
    nlohmann::json raw; ///< the document as parsed, for the embedded-copy comparison and the API

    /// Validates `doc`. Throws ManifestError.
    static Manifest fromJson(const nlohmann::json& doc);
    /// Reads and validates a file. Throws ManifestError naming the file.
    static Manifest load(const std::filesystem::path& file);

    /// "acme.invoices" -> "acme_invoices_": the prefix of every table the plugin owns, so that
    /// plugins cannot collide with the core or with each other.
    std::string tablePrefix() const { return tablePrefixFor(id); }
    static std::string tablePrefixFor(const std::string& id);

    /// True when `permission` is declared by this manifest.
    bool declaresPermission(const std::string& permission) const;
    /// The declared setting `key`, or nullptr.
    const SettingDecl* setting(const std::string& key) const;
    bool providesDataset(const std::string& datasetId) const;
    bool providesKpi(const std::string& kpiId) const;
    bool providesDashboard(const std::string& dashboardId) const;
    bool providesScorecardTemplate(const std::string& templateId) const;
    /// Validates an "entities" array (also used for the core's own declarations): entity names
    /// start with "<owner>.", field names are column-like, labels are {en, zh-CN}. Throws
    /// ManifestError naming the entity and field.
    static std::vector<EntityDecl> parseEntities(const nlohmann::json& entities, const std::string& owner, const std::string& who);
    std::string abiText() const { return std::to_string(abiMajor) + "." + std::to_string(abiMinor); }

    /// Plugin ids: lower-case dot-separated words of [a-z0-9-], each starting with a letter,
    /// at most 64 characters ("acme", "acme.invoices").
    static bool validId(const std::string& id);
};

} // namespace atrium::plugins
