// The entities and fields the roles page may hide: the core's own (accounts and contacts),
// declared here in the shape a plugin manifest uses for its "entities", and each plugin's
// (declared in its manifest, added when it loads).

#include "identity/Identity.h"

#include <stdexcept>

namespace atrium::identity {

namespace {
http::Json field(const char* name, const char* type, const char* en, const char* zh, bool deniable) {
    return {{"name", name}, {"type", type}, {"label", {{"en", en}, {"zh-CN", zh}}}, {"deniable", deniable}};
}
} // namespace

const http::Json& Identity::coreEntities() {
    // The name of an account or contact is what every list and link shows, so it is never hidden.
    static const http::Json entities = http::Json::array({
        {{"name", "core.account"},
         {"label", {{"en", "Account"}, {"zh-CN", "客户"}}},
         {"fields", http::Json::array({field("name", "text", "Name", "名称", false), field("industry", "text", "Industry", "行业", true),
                                       field("size_band", "enum", "Company size", "公司规模", true),
                                       field("employees", "integer", "Employees", "员工人数", true), field("region", "text", "Region", "区域", true),
                                       field("country", "text", "Country", "国家", true), field("city", "text", "City", "城市", true),
                                       field("website", "url", "Website", "网站", true), field("phone", "phone", "Phone", "电话", true)})}},
        {{"name", "core.contact"},
         {"label", {{"en", "Contact"}, {"zh-CN", "联系人"}}},
         {"fields", http::Json::array({field("account_id", "reference", "Account", "所属客户", false),
                                       field("first_name", "text", "First name", "名", false), field("last_name", "text", "Last name", "姓", false),
                                       field("email", "email", "Email", "电子邮箱", true), field("phone", "phone", "Phone", "电话", true),
                                       field("title", "text", "Job title", "职位", true)})}},
    });
    return entities;
}

void Identity::declareEntities(const std::string& owner, const http::Json& entities) {
    if (!entities.is_array()) throw std::invalid_argument("the entities of '" + owner + "' are not an array");
    std::lock_guard lock(_catalogueMutex);
    _entities[owner] = entities;
}

void Identity::withdrawEntities(const std::string& owner) {
    if (owner == "core") return;
    std::lock_guard lock(_catalogueMutex);
    _entities.erase(owner);
}

http::Json Identity::entityCatalogue() const {
    std::lock_guard lock(_catalogueMutex);
    http::Json out = http::Json::array();
    auto add = [&](const std::string& owner, const http::Json& entities) {
        for (const auto& e : entities) {
            const auto name = e.value("name", std::string());
            http::Json fields = http::Json::array();
            for (const auto& f : e.value("fields", http::Json::array())) {
                http::Json fj = {{"name", f.value("name", std::string())},
                                 {"type", f.value("type", std::string("text"))},
                                 {"label", f.value("label", http::Json::object())},
                                 {"deniable", f.value("deniable", false)},
                                 {"key", name + "." + f.value("name", std::string())}};
                fields.push_back(std::move(fj));
            }
            out.push_back({{"owner", owner}, {"name", name}, {"label", e.value("label", http::Json::object())}, {"fields", fields}});
        }
    };
    if (auto it = _entities.find("core"); it != _entities.end()) add("core", it->second);
    for (const auto& [owner, entities] : _entities)
        if (owner != "core") add(owner, entities);
    return out;
}

bool Identity::fieldDeniable(const std::string& key) const {
    const auto dot = key.rfind('.');
    if (dot == std::string::npos) return false;
    const auto entity = key.substr(0, dot), name = key.substr(dot + 1);
    std::lock_guard lock(_catalogueMutex);
    for (const auto& [owner, entities] : _entities)
        for (const auto& e : entities)
            if (e.value("name", std::string()) == entity)
                for (const auto& f : e.value("fields", http::Json::array()))
                    if (f.value("name", std::string()) == name) return f.value("deniable", false);
    return false;
}

} // namespace atrium::identity
