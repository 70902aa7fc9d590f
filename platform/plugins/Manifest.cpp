#include "plugins/Manifest.h"

#include <algorithm>
#include <cmath>
#include <cctype>
#include <fstream>
#include <sstream>

namespace atrium::plugins {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& sentence) { throw ManifestError(sentence); }

std::string describe(const json& doc) {
    if (doc.contains("id") && doc["id"].is_string()) return "the manifest of " + doc["id"].get<std::string>();
    return "the manifest";
}

std::string requireString(const json& doc, const char* key, const std::string& who) {
    if (!doc.contains(key) || !doc[key].is_string() || doc[key].get<std::string>().empty())
        fail(who + " needs a non-empty string \"" + key + "\"");
    return doc[key].get<std::string>();
}

std::vector<std::string> idList(const json& doc, const char* key, const std::string& id, const std::string& who) {
    std::vector<std::string> out;
    if (!doc.contains(key)) return out;
    if (!doc[key].is_array()) fail(who + " has \"" + key + "\" that is not an array of ids");
    for (const auto& item : doc[key]) {
        if (!item.is_string()) fail(who + " lists a non-string entry in \"" + key + "\"");
        auto s = item.get<std::string>();
        if (s.rfind(id + ".", 0) != 0)
            fail(who + " lists \"" + s + "\" in \"" + key + "\", but every id there must start with \"" + id + ".\"");
        if (std::find(out.begin(), out.end(), s) != out.end()) fail(who + " lists \"" + s + "\" twice in \"" + key + "\"");
        out.push_back(std::move(s));
    }
    return out;
}

bool word(const std::string& s) {
    if (s.empty() || s.size() > 64 || !(s[0] >= 'a' && s[0] <= 'z')) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

json label(const json& j, const std::string& who, const std::string& what) {
    if (!j.is_object() || !j.contains("en") || !j["en"].is_string() || j["en"].get<std::string>().empty() || !j.contains("zh-CN") ||
        !j["zh-CN"].is_string() || j["zh-CN"].get<std::string>().empty())
        fail(who + " needs \"label\" of " + what + " as {\"en\": …, \"zh-CN\": …}");
    return {{"en", j["en"]}, {"zh-CN", j["zh-CN"]}};
}

} // namespace

std::vector<EntityDecl> Manifest::parseEntities(const json& entities, const std::string& owner, const std::string& who) {
    static const std::vector<std::string> kTypes = {"text", "integer", "real", "money", "date", "datetime", "boolean",
                                                    "email", "phone", "url", "reference", "enum"};
    std::vector<EntityDecl> out;
    if (!entities.is_array()) fail(who + " has \"entities\" that is not an array of {name, label, fields}");
    for (const auto& e : entities) {
        if (!e.is_object()) fail(who + " has an entity that is not {\"name\": …, \"label\": …, \"fields\": […]}");
        EntityDecl d;
        d.name = requireString(e, "name", who + " (entities)");
        const auto local = d.name.rfind(owner + ".", 0) == 0 ? d.name.substr(owner.size() + 1) : std::string();
        if (!word(local))
            fail(who + " declares entity \"" + d.name + "\", but an entity is named \"" + owner + ".<word>\" (lower-case letters, digits, '_')");
        for (const auto& x : out)
            if (x.name == d.name) fail(who + " declares entity \"" + d.name + "\" twice");
        d.label = label(e.value("label", json()), who, "entity \"" + d.name + "\"");
        if (!e.contains("fields") || !e["fields"].is_array() || e["fields"].empty())
            fail(who + " declares entity \"" + d.name + "\" without \"fields\" (a non-empty array)");
        for (const auto& f : e["fields"]) {
            if (!f.is_object()) fail(who + " has a field of \"" + d.name + "\" that is not {\"name\", \"type\", \"label\"}");
            FieldDecl fd;
            fd.name = requireString(f, "name", who + " (fields of " + d.name + ")");
            if (!word(fd.name)) fail(who + " has field \"" + fd.name + "\" of \"" + d.name + "\", which is not a lower-case column name");
            for (const auto& x : d.fields)
                if (x.name == fd.name) fail(who + " declares field \"" + d.name + "." + fd.name + "\" twice");
            fd.type = requireString(f, "type", who + " (field " + d.name + "." + fd.name + ")");
            if (std::find(kTypes.begin(), kTypes.end(), fd.type) == kTypes.end())
                fail(who + " gives field \"" + d.name + "." + fd.name + "\" the type \"" + fd.type +
                     "\"; use text, integer, real, money, date, datetime, boolean, email, phone, url, reference or enum");
            fd.label = label(f.value("label", json()), who, "field \"" + d.name + "." + fd.name + "\"");
            if (f.contains("deniable") && !f["deniable"].is_boolean())
                fail(who + " has \"deniable\" of field \"" + d.name + "." + fd.name + "\" that is not true or false");
            fd.deniable = f.value("deniable", false);
            d.fields.push_back(std::move(fd));
        }
        out.push_back(std::move(d));
    }
    return out;
}

bool Manifest::validId(const std::string& id) {
    if (id.empty() || id.size() > 64) return false;
    bool wordStart = true;
    for (char c : id) {
        if (c == '.') {
            if (wordStart) return false;
            wordStart = true;
            continue;
        }
        const bool letter = c >= 'a' && c <= 'z';
        const bool digitOrDash = (c >= '0' && c <= '9') || c == '-';
        if (wordStart ? !letter : !(letter || digitOrDash)) return false;
        wordStart = false;
    }
    return !wordStart;
}

std::string Manifest::tablePrefixFor(const std::string& id) {
    std::string prefix;
    for (char c : id) prefix += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
    return prefix + "_";
}

namespace {

bool validSettingKey(const std::string& key) {
    if (key.empty() || key.size() > 64 || !(key[0] >= 'a' && key[0] <= 'z')) return false;
    return std::all_of(key.begin(), key.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

bool bilingual(const json& j) {
    return j.is_object() && j.contains("en") && j["en"].is_string() && j.contains("zh-CN") && j["zh-CN"].is_string();
}

std::vector<SettingDecl> parseSettings(const json& settings, const Manifest& m, const std::string& who) {
    if (!settings.is_array()) fail(who + " has \"settings\" that is not an array");
    std::vector<SettingDecl> out;
    for (const auto& s : settings) {
        if (!s.is_object()) fail(who + " has a setting that is not {\"key\": …, \"type\": …, \"default\": …, \"label\": …}");
        SettingDecl d;
        d.key = requireString(s, "key", who + " (settings)");
        const std::string what = who + " setting \"" + d.key + "\"";
        if (!validSettingKey(d.key))
            fail(what + " has a key that is not lower-case letters, digits and '_' starting with a letter (at most 64)");
        for (const auto& other : out)
            if (other.key == d.key) fail(who + " declares setting \"" + d.key + "\" twice");
        d.type = requireString(s, "type", what);
        if (d.type != "text" && d.type != "integer" && d.type != "number" && d.type != "boolean" && d.type != "choice")
            fail(what + " has type \"" + d.type + "\"; use text, integer, number, boolean or choice");
        if (d.type == "choice") {
            if (!s.contains("values") || !s["values"].is_array() || s["values"].empty())
                fail(what + " is a choice without \"values\": list the allowed values");
            for (const auto& v : s["values"]) {
                if (!v.is_string() && !v.is_number()) fail(what + " has a value in \"values\" that is not a string or number");
                d.values.push_back(v);
            }
        } else if (s.contains("values")) {
            fail(what + " has \"values\", which only a choice may have");
        }
        for (const char* bound : {"min", "max"}) {
            if (!s.contains(bound)) continue;
            if (d.type != "integer" && d.type != "number") fail(what + " has \"" + bound + "\", which only an integer or number may have");
            if (!s[bound].is_number()) fail(what + " has \"" + bound + "\" that is not a number");
            (std::string(bound) == "min" ? d.min : d.max) = s[bound].get<double>();
        }
        if (d.min && d.max && *d.min > *d.max) fail(what + " has \"min\" greater than \"max\"");
        if (!s.contains("label") || !bilingual(s["label"])) fail(what + " needs \"label\" as {\"en\": …, \"zh-CN\": …}");
        d.label = s["label"];
        if (s.contains("description")) {
            if (!bilingual(s["description"])) fail(what + " has \"description\" that is not {\"en\": …, \"zh-CN\": …}");
            d.description = s["description"];
        }
        d.permission = s.contains("permission") && s["permission"].is_string() ? s["permission"].get<std::string>() : "core.plugin.write";
        if (s.contains("permission") && !s["permission"].is_string()) fail(what + " has \"permission\" that is not a string");
        if (d.permission.rfind("core.", 0) != 0 && !m.declaresPermission(d.permission))
            fail(what + " names permission \"" + d.permission + "\", which this manifest does not declare (nor is it a core permission)");
        if (!s.contains("default")) fail(what + " needs a \"default\" value");
        d.defaultValue = s["default"];
        if (const auto problem = d.check(d.defaultValue); !problem.empty()) fail(what + " has a default that does not fit: " + problem);
        out.push_back(std::move(d));
    }
    return out;
}

} // namespace

std::string SettingDecl::check(const json& value) const {
    if (type == "text") return value.is_string() ? "" : "Enter text.";
    if (type == "boolean") return value.is_boolean() ? "" : "Choose yes or no.";
    if (type == "choice") {
        for (const auto& v : values)
            if (v == value) return "";
        std::string list;
        for (const auto& v : values) list += (list.empty() ? "" : ", ") + (v.is_string() ? v.get<std::string>() : v.dump());
        return "Choose one of: " + list + ".";
    }
    // integer / number
    if (type == "integer" ? !(value.is_number_integer() || (value.is_number_float() && value.get<double>() == std::floor(value.get<double>())))
                          : !value.is_number())
        return type == "integer" ? "Enter a whole number." : "Enter a number.";
    const double x = value.get<double>();
    auto fmt = [](double d) {
        std::ostringstream o;
        o << d;
        return o.str();
    };
    if (min && x < *min) return "Enter a number of at least " + fmt(*min) + ".";
    if (max && x > *max) return "Enter a number of at most " + fmt(*max) + ".";
    return "";
}

std::optional<json> SettingDecl::fromConfigText(const std::string& text) const {
    json value;
    if (type == "text") value = text;
    else if (type == "boolean") {
        if (text == "true" || text == "1" || text == "yes") value = true;
        else if (text == "false" || text == "0" || text == "no") value = false;
        else return std::nullopt;
    } else if (type == "choice") {
        value = text;
        if (!check(value).empty()) {
            try {
                value = json::parse(text); // a numeric choice
            } catch (const json::exception&) {
                return std::nullopt;
            }
        }
    } else {
        try {
            value = json::parse(text);
        } catch (const json::exception&) {
            return std::nullopt;
        }
    }
    if (!check(value).empty()) return std::nullopt;
    if (type == "integer" && value.is_number_float()) value = static_cast<std::int64_t>(value.get<double>());
    return value;
}

json SettingDecl::toJson() const {
    json j = {{"key", key}, {"type", type}, {"default", defaultValue}, {"label", label}, {"permission", permission}};
    if (!description.is_null()) j["description"] = description;
    if (type == "choice") j["values"] = values;
    if (min) j["min"] = *min;
    if (max) j["max"] = *max;
    return j;
}

const SettingDecl* Manifest::setting(const std::string& key) const {
    for (const auto& s : settings)
        if (s.key == key) return &s;
    return nullptr;
}

Manifest Manifest::fromJson(const json& doc) {
    if (!doc.is_object()) fail("the manifest is not a JSON object");
    const std::string who = describe(doc);
    Manifest m;
    m.raw = doc;
    m.id = requireString(doc, "id", who);
    if (!validId(m.id))
        fail("the manifest id \"" + m.id +
             "\" is not valid: use lower-case dot-separated words of letters, digits and '-', like \"acme.invoices\"");

    if (!doc.contains("name") || !doc["name"].is_object()) fail(who + " needs \"name\" as {\"en\": …, \"zh-CN\": …}");
    m.nameEn = requireString(doc["name"], "en", who + " (name)");
    m.nameZh = requireString(doc["name"], "zh-CN", who + " (name)");

    const auto versionText = requireString(doc, "version", who);
    auto version = SemVer::parse(versionText);
    if (!version) fail(who + " has version \"" + versionText + "\", which is not a semantic version like \"1.2.0\"");
    m.version = *version;

    const auto abi = requireString(doc, "abi", who);
    {
        auto dot = abi.find('.');
        bool ok = dot != std::string::npos && dot > 0 && dot + 1 < abi.size() && abi.find('.', dot + 1) == std::string::npos &&
                  std::all_of(abi.begin(), abi.end(), [](char c) { return c == '.' || (c >= '0' && c <= '9'); }) &&
                  abi.size() < 12;
        if (!ok) fail(who + " has abi \"" + abi + "\", which is not \"MAJOR.MINOR\" like \"1.0\"");
        m.abiMajor = std::stoi(abi.substr(0, dot));
        m.abiMinor = std::stoi(abi.substr(dot + 1));
    }

    if (doc.contains("requires")) {
        if (!doc["requires"].is_array()) fail(who + " has \"requires\" that is not an array");
        for (const auto& r : doc["requires"]) {
            if (!r.is_object()) fail(who + " has a \"requires\" entry that is not {\"id\": …, \"version\": …}");
            Requirement req;
            req.id = requireString(r, "id", who + " (requires)");
            if (!validId(req.id)) fail(who + " requires \"" + req.id + "\", which is not a valid plugin id");
            if (req.id == m.id) fail(who + " requires itself");
            const std::string range = r.contains("version") && r["version"].is_string() ? r["version"].get<std::string>() : "*";
            try {
                req.range = VersionRange::parse(range);
            } catch (const std::invalid_argument& e) {
                fail(who + " requires " + req.id + " with " + e.what());
            }
            for (const auto& existing : m.requires_)
                if (existing.id == req.id) fail(who + " requires " + req.id + " twice");
            m.requires_.push_back(std::move(req));
        }
    }

    if (doc.contains("permissions")) {
        if (!doc["permissions"].is_array()) fail(who + " has \"permissions\" that is not an array");
        for (const auto& p : doc["permissions"]) {
            PermissionDecl decl;
            if (!p.is_object()) fail(who + " has a permission that is not {\"name\": …, \"description\": …}");
            decl.name = requireString(p, "name", who + " (permissions)");
            if (decl.name.rfind(m.id + ".", 0) != 0)
                fail(who + " declares permission \"" + decl.name + "\", but a plugin's permissions must start with \"" + m.id + ".\"");
            decl.description = p.contains("description") ? p["description"] : json("");
            if (!decl.description.is_string() && !decl.description.is_object())
                fail(who + " describes permission \"" + decl.name + "\" with something other than a string or {\"en\", \"zh-CN\"}");
            if (p.contains("grants")) {
                if (!p["grants"].is_object()) fail(who + " has \"grants\" of permission \"" + decl.name + "\" that is not {\"role\": \"scope\"}");
                for (const auto& [role, scope] : p["grants"].items()) {
                    const std::string s = scope.is_string() ? scope.get<std::string>() : std::string();
                    if (s != "none" && s != "own" && s != "department" && s != "all")
                        fail(who + " grants permission \"" + decl.name + "\" to role \"" + role +
                             "\" with a scope other than \"none\", \"own\", \"department\" or \"all\"");
                    decl.grants[role] = s;
                }
            }
            if (m.declaresPermission(decl.name)) fail(who + " declares permission \"" + decl.name + "\" twice");
            m.permissions.push_back(std::move(decl));
        }
    }
    m.datasets = idList(doc, "datasets", m.id, who);
    m.kpis = idList(doc, "kpis", m.id, who);
    m.dashboards = idList(doc, "dashboards", m.id, who);
    m.scorecardTemplates = idList(doc, "scorecard_templates", m.id, who);
    if (doc.contains("entities")) m.entities = parseEntities(doc["entities"], m.id, who);
    if (doc.contains("settings")) m.settings = parseSettings(doc["settings"], m, who);
    if (doc.contains("ui")) {
        if (!doc["ui"].is_string()) fail(who + " has \"ui\" that is not a string");
        m.ui = doc["ui"].get<std::string>();
        const bool charsOk = std::all_of(m.ui.begin(), m.ui.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '/';
        });
        const bool jsModule = m.ui.size() > 3 && (m.ui.ends_with(".js") || m.ui.ends_with(".mjs"));
        if (!charsOk || !jsModule || m.ui.front() == '/' || m.ui.find("..") != std::string::npos)
            fail(who + " has \"ui\" \"" + m.ui + "\", which must be a relative path to a .js module inside the plugin's web assets");
    }
    return m;
}

Manifest Manifest::load(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) fail("cannot read " + file.string());
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        // Point at the place, as an editor would: line and column (1-based) of the byte where
        // the parser gave up, and its reason without the library's prefix.
        const std::size_t at = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
        std::size_t line = 1, column = 1;
        for (std::size_t i = 0; i < at; ++i) {
            if (text[i] == '\n') {
                ++line;
                column = 1;
            } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
                ++column;
            }
        }
        std::string reason = e.what();
        if (const auto colon = reason.find(": "); colon != std::string::npos) reason = reason.substr(colon + 2);
        fail(file.string() + " is not valid JSON: line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + reason);
    }
    try {
        return fromJson(doc);
    } catch (const ManifestError& e) {
        fail(std::string(e.what()) + " (" + file.string() + ")");
    }
}

bool Manifest::declaresPermission(const std::string& permission) const {
    return std::any_of(permissions.begin(), permissions.end(), [&](const auto& p) { return p.name == permission; });
}
bool Manifest::providesDataset(const std::string& datasetId) const {
    return std::find(datasets.begin(), datasets.end(), datasetId) != datasets.end();
}
bool Manifest::providesKpi(const std::string& kpiId) const {
    return std::find(kpis.begin(), kpis.end(), kpiId) != kpis.end();
}
bool Manifest::providesDashboard(const std::string& dashboardId) const {
    return std::find(dashboards.begin(), dashboards.end(), dashboardId) != dashboards.end();
}
bool Manifest::providesScorecardTemplate(const std::string& templateId) const {
    return std::find(scorecardTemplates.begin(), scorecardTemplates.end(), templateId) != scorecardTemplates.end();
}

} // namespace atrium::plugins
