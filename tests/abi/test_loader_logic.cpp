// The loader's pure logic: versions and ranges, manifests, dependency resolution.

#include "plugins/Manifest.h"
#include "plugins/Resolver.h"
#include "plugins/Version.h"

#include <gtest/gtest.h>

namespace atrium::plugins {
namespace {

SemVer v(const char* text) {
    auto parsed = SemVer::parse(text);
    EXPECT_TRUE(parsed.has_value()) << text;
    return parsed.value_or(SemVer{});
}

bool in(const char* range, const char* version) { return VersionRange::parse(range).matches(v(version)); }

TEST(SemVer, ParsesAndOrdersLikeSemverOrg) {
    EXPECT_EQ(v("1.2.3").toString(), "1.2.3");
    EXPECT_EQ(v("1.2.3-beta.1+build.5").toString(), "1.2.3-beta.1+build.5");
    EXPECT_FALSE(SemVer::parse("1.2").has_value());
    EXPECT_FALSE(SemVer::parse("01.2.3").has_value());
    EXPECT_FALSE(SemVer::parse("1.2.3-").has_value());
    EXPECT_LT(v("1.0.0-alpha"), v("1.0.0-alpha.1"));
    EXPECT_LT(v("1.0.0-alpha.1"), v("1.0.0-alpha.beta"));
    EXPECT_LT(v("1.0.0-beta.2"), v("1.0.0-beta.11"));
    EXPECT_LT(v("1.0.0-rc.1"), v("1.0.0"));
    EXPECT_LT(v("1.9.0"), v("1.10.0"));
    EXPECT_EQ(v("1.0.0+a"), v("1.0.0+b"));
}

TEST(VersionRange, CoversTheForms) {
    EXPECT_TRUE(in(">=1.0 <2", "1.0.0"));
    EXPECT_TRUE(in(">=1.0 <2", "1.99.3"));
    EXPECT_FALSE(in(">=1.0 <2", "2.0.0"));
    EXPECT_FALSE(in(">=1.0 <2", "2.0.0-rc.1"));
    EXPECT_FALSE(in(">=1.0 <2", "0.9.9"));
    EXPECT_TRUE(in(">=1.0, <2", "1.5.0"));
    EXPECT_TRUE(in(">= 1.2", "1.2.0"));
    EXPECT_TRUE(in("^1.2.3", "1.9.0"));
    EXPECT_FALSE(in("^1.2.3", "1.2.2"));
    EXPECT_FALSE(in("^1.2.3", "2.0.0"));
    EXPECT_TRUE(in("^0.2.3", "0.2.9"));
    EXPECT_FALSE(in("^0.2.3", "0.3.0"));
    EXPECT_TRUE(in("~1.2.3", "1.2.9"));
    EXPECT_FALSE(in("~1.2.3", "1.3.0"));
    EXPECT_TRUE(in("~1", "1.9.0"));
    EXPECT_TRUE(in("1.2", "1.2.7"));
    EXPECT_FALSE(in("1.2", "1.3.0"));
    EXPECT_TRUE(in("1.x", "1.4.0"));
    EXPECT_TRUE(in("1.2.3", "1.2.3"));
    EXPECT_FALSE(in("1.2.3", "1.2.4"));
    EXPECT_TRUE(in(">1.2", "1.3.0"));
    EXPECT_FALSE(in(">1.2", "1.2.9"));
    EXPECT_TRUE(in("<=1.2", "1.2.9"));
    EXPECT_TRUE(in("*", "7.0.0"));
    EXPECT_TRUE(in("", "7.0.0"));
    EXPECT_TRUE(in("<1 || >=3", "3.1.0"));
    EXPECT_FALSE(in("<1 || >=3", "2.0.0"));
    EXPECT_THROW(VersionRange::parse(">=banana"), std::invalid_argument);
    EXPECT_THROW(VersionRange::parse("1.x.3"), std::invalid_argument);
    EXPECT_THROW(VersionRange::parse("1 ||"), std::invalid_argument);
}

nlohmann::json manifest() {
    return nlohmann::json::parse(R"({
      "id": "acme.invoices", "name": {"en": "Invoices", "zh-CN": "发票"}, "version": "1.4.0", "abi": "1.0",
      "requires": [{"id": "sales", "version": ">=1.0 <2"}],
      "permissions": [{"name": "acme.invoices.read", "description": "Read", "grants": {"manager": "all"}}],
      "datasets": ["acme.invoices.lines"], "kpis": ["acme.invoices.overdue"], "ui": "js/main.js"})");
}

std::string manifestError(const std::function<void(nlohmann::json&)>& change) {
    auto doc = manifest();
    change(doc);
    try {
        Manifest::fromJson(doc);
    } catch (const ManifestError& e) {
        return e.what();
    }
    return "";
}

TEST(Manifest, AcceptsAValidManifest) {
    const auto m = Manifest::fromJson(manifest());
    EXPECT_EQ(m.id, "acme.invoices");
    EXPECT_EQ(m.nameZh, "发票");
    EXPECT_EQ(m.version.toString(), "1.4.0");
    EXPECT_EQ(m.abiText(), "1.0");
    ASSERT_EQ(m.requires_.size(), 1u);
    EXPECT_TRUE(m.requires_[0].range.matches(v("1.3.0")));
    EXPECT_EQ(m.tablePrefix(), "acme_invoices_");
    EXPECT_TRUE(m.declaresPermission("acme.invoices.read"));
    EXPECT_EQ(m.permissions[0].grants.at("manager"), "all");
    EXPECT_TRUE(m.providesDataset("acme.invoices.lines"));
    EXPECT_TRUE(m.providesKpi("acme.invoices.overdue"));
    EXPECT_EQ(m.ui, "js/main.js");
}

TEST(Manifest, RefusesWithOneSentencePerProblem) {
    EXPECT_EQ(manifestError([](auto& d) { d["id"] = "Acme"; }),
              "the manifest id \"Acme\" is not valid: use lower-case dot-separated words of letters, digits and '-', like \"acme.invoices\"");
    EXPECT_EQ(manifestError([](auto& d) { d["version"] = "1.4"; }),
              "the manifest of acme.invoices has version \"1.4\", which is not a semantic version like \"1.2.0\"");
    EXPECT_EQ(manifestError([](auto& d) { d["abi"] = "1"; }),
              "the manifest of acme.invoices has abi \"1\", which is not \"MAJOR.MINOR\" like \"1.0\"");
    EXPECT_EQ(manifestError([](auto& d) { d["name"].erase("zh-CN"); }),
              "the manifest of acme.invoices (name) needs a non-empty string \"zh-CN\"");
    EXPECT_EQ(manifestError([](auto& d) { d["permissions"][0]["name"] = "sales.read"; }),
              "the manifest of acme.invoices declares permission \"sales.read\", but a plugin's permissions must start with \"acme.invoices.\"");
    EXPECT_EQ(manifestError([](auto& d) { d["permissions"][0]["grants"]["rep"] = "everything"; }),
              "the manifest of acme.invoices grants permission \"acme.invoices.read\" to role \"rep\" with a scope other than "
              "\"none\", \"own\", \"department\" or \"all\"");
    EXPECT_EQ(manifestError([](auto& d) { d["kpis"] = {"other.kpi"}; }),
              "the manifest of acme.invoices lists \"other.kpi\" in \"kpis\", but every id there must start with \"acme.invoices.\"");
    EXPECT_EQ(manifestError([](auto& d) { d["requires"][0]["version"] = ">=banana"; }),
              "the manifest of acme.invoices requires sales with the version range \">=banana\" is not valid at \">=banana\"; "
              "write it like \">=1.2 <2\", \"^1.2.0\" or \"~1.4\"");
    EXPECT_EQ(manifestError([](auto& d) { d["requires"][0]["id"] = "acme.invoices"; }), "the manifest of acme.invoices requires itself");
    EXPECT_EQ(manifestError([](auto& d) { d["ui"] = "../escape.js"; }),
              "the manifest of acme.invoices has \"ui\" \"../escape.js\", which must be a relative path to a .js module inside the "
              "plugin's web assets");
}

ResolveInput plugin(const char* id, const char* version, std::vector<std::pair<std::string, std::string>> requires_ = {}) {
    ResolveInput in;
    in.id = id;
    in.version = v(version);
    for (auto& [dep, range] : requires_) in.requires_.emplace_back(dep, VersionRange::parse(range));
    return in;
}

TEST(Resolver, OrdersDependenciesFirst) {
    auto r = resolveDependencies({plugin("collab", "1.0.0", {{"sales", "^1"}, {"service", "*"}}), plugin("sales", "1.2.0"),
                                  plugin("service", "1.0.0", {{"sales", ">=1.1"}}), plugin("analytics", "1.0.0")});
    EXPECT_TRUE(r.refused.empty());
    EXPECT_EQ(r.order, (std::vector<std::string>{"analytics", "sales", "service", "collab"}));
}

TEST(Resolver, RefusesMissingUnmetCyclesAndTheirDependents) {
    auto r = resolveDependencies({plugin("a", "1.0.0", {{"ghost", ">=1"}}), plugin("b", "1.0.0", {{"c", ">=2"}}), plugin("c", "1.5.0"),
                                  plugin("x", "1.0.0", {{"y", "*"}}), plugin("y", "1.0.0", {{"z", "*"}}), plugin("z", "1.0.0", {{"x", "*"}}),
                                  plugin("top", "1.0.0", {{"a", "*"}}), plugin("onz", "1.0.0", {{"z", "*"}})});
    EXPECT_EQ(r.order, (std::vector<std::string>{"c"}));
    EXPECT_EQ(r.refused.at("a"), "plugin a requires ghost >=1, which is not installed: install ghost or remove a");
    EXPECT_EQ(r.refused.at("b"), "plugin b requires c >=2 but c 1.5.0 is installed: install a matching c or a b built for this one");
    EXPECT_EQ(r.refused.at("x"), "plugin x is in a dependency cycle (x -> y -> z -> x): no plugin in a cycle can be initialised first, "
                                 "so remove one of these requirements");
    EXPECT_EQ(r.refused.at("z"), "plugin z is in a dependency cycle (z -> x -> y -> z): no plugin in a cycle can be initialised first, "
                                 "so remove one of these requirements");
    EXPECT_EQ(r.refused.at("top"), "plugin top requires a, which was refused: see the entry of a for the reason");
    EXPECT_EQ(r.refused.at("onz"), "plugin onz requires z, which was refused: see the entry of z for the reason");
}

TEST(Resolver, NamesDisabledDependencies) {
    auto disabled = plugin("sales", "1.0.0");
    disabled.refused = true;
    disabled.refusedWhy = "disabled";
    auto r = resolveDependencies({disabled, plugin("collab", "1.0.0", {{"sales", "*"}})});
    EXPECT_TRUE(r.order.empty());
    EXPECT_EQ(r.refused.at("collab"), "plugin collab requires sales, which was disabled: see the entry of sales for the reason");
}

} // namespace
} // namespace atrium::plugins
