#pragma once
// atrium-plugin.json: what a plugin is, read before its library is mapped. Validation failures
// are one sentence each, because they end up verbatim in `atrium plugins list`.

#include "plugins/Version.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
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
    bool providesDataset(const std::string& datasetId) const;
    bool providesKpi(const std::string& kpiId) const;
    std::string abiText() const { return std::to_string(abiMajor) + "." + std::to_string(abiMinor); }

    /// Plugin ids: lower-case dot-separated words of [a-z0-9-], each starting with a letter,
    /// at most 64 characters ("sales", "acme.invoices").
    static bool validId(const std::string& id);
};

} // namespace atrium::plugins
