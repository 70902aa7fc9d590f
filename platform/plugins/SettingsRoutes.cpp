#include "plugins/SettingsRoutes.h"

#include "http/Http.h"
#include "plugins/Settings.h"

namespace atrium::plugins {

using Json = nlohmann::json;
using http::HttpError;

namespace {

Manifest requireManifest(PluginManager& plugins, const std::string& id) {
    auto manifest = plugins.manifestOf(id);
    if (!manifest) throw HttpError::notFound("The plugin '" + id + "'");
    return *manifest;
}

} // namespace

void registerSettingsRoutes(http::Router& router, store::DatabasePtr db, identity::Audit& audit, PluginManager& plugins) {
    router.add({"GET", "/api/v1/admin/plugins/{id}/settings", "core.plugin.read", false, "core", "",
                "A plugin's settings: schema, current values and who may change each",
                [db, &plugins](http::Request& req, http::Response& res) {
                    const auto id = req.pathParams.at("id");
                    const auto manifest = requireManifest(plugins, id);
                    Json items = Json::array();
                    auto c = db->acquire();
                    for (const auto& decl : manifest.settings) {
                        std::string source;
                        auto item = decl.toJson();
                        item["value"] = SettingsStore::effective(*c, plugins.config(), id, decl, &source);
                        item["source"] = source;
                        item["editable"] = req.principal.can(decl.permission);
                        items.push_back(std::move(item));
                    }
                    res.json({{"plugin", id}, {"items", items}});
                }});

    // The route needs only core.plugin.read: each setting names who may change it.
    router.add({"PUT", "/api/v1/admin/plugins/{id}/settings/{key}", "core.plugin.read", false, "core", "",
                "Change a plugin setting ({\"value\": …}); audited, the plugin is told after commit",
                [db, &audit, &plugins](http::Request& req, http::Response& res) {
                    const auto id = req.pathParams.at("id");
                    const auto key = req.pathParams.at("key");
                    const auto manifest = requireManifest(plugins, id);
                    const auto* decl = manifest.setting(key);
                    if (!decl) throw HttpError::notFound("The setting '" + key + "' of plugin '" + id + "'");
                    if (!req.principal.can(decl->permission))
                        throw HttpError::forbidden("You may not change this setting: it needs the permission " + decl->permission + ".");
                    const auto body = req.jsonBody();
                    if (!body.is_object() || !body.contains("value")) throw HttpError::validation({{"value", "This field is required."}});
                    for (const auto& [k, v] : body.items())
                        if (k != "value") throw HttpError::badRequest("The field '" + k + "' cannot be set.");
                    Json value = body["value"];
                    if (const auto problem = decl->check(value); !problem.empty()) throw HttpError::validation({{"value", problem}});
                    if (decl->type == "integer" && value.is_number_float()) value = static_cast<std::int64_t>(value.get<double>());

                    auto c = db->acquire();
                    Json old;
                    {
                        store::Transaction tx(*c);
                        old = SettingsStore::effective(*c, plugins.config(), id, *decl);
                        SettingsStore::put(*c, id, key, value, req.principal.userId);
                        auto e = identity::AuditEntry::by(req.principal, "admin.plugin.setting", "plugin.setting", 0);
                        e.oldValues = {{"plugin", id}, {"key", key}, {"value", old}};
                        e.newValues = {{"plugin", id}, {"key", key}, {"value", value}};
                        e.requestId = req.requestId;
                        audit.record(*c, e);
                        tx.commit();
                    }
                    // After commit: the plugin never hears of a change that rolled back.
                    plugins.notifySettingChanged(id, key, value.dump());
                    res.json({{"plugin", id}, {"key", key}, {"value", value}, {"previous", old}, {"source", "stored"}});
                }});
}

} // namespace atrium::plugins
