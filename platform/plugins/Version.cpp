#include "plugins/Version.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace atrium::plugins {
namespace {

bool allDigits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool identifierChars(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
    });
}

std::optional<std::uint64_t> number(std::string_view s) {
    // Semver forbids leading zeros, which also keeps "01" and "1" from meaning the same thing.
    if (!allDigits(s) || (s.size() > 1 && s[0] == '0')) return std::nullopt;
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::vector<std::string_view> splitOn(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (true) {
        auto pos = s.find(sep, start);
        out.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// A version with possibly missing or wildcard parts ("1", "1.2", "1.x", "1.2.3-beta").
struct Partial {
    std::optional<std::uint64_t> major, minor, patch;
    std::vector<std::string> prerelease;
};

std::optional<Partial> parsePartial(std::string_view text) {
    Partial p;
    std::string_view core = text;
    auto dash = text.find('-');
    auto plus = text.find('+');
    if (plus != std::string_view::npos) core = text.substr(0, plus);
    if (dash != std::string_view::npos && dash < core.size()) {
        for (auto id : splitOn(core.substr(dash + 1), '.')) {
            if (!identifierChars(id)) return std::nullopt;
            p.prerelease.emplace_back(id);
        }
        core = core.substr(0, dash);
    }
    auto parts = splitOn(core, '.');
    if (parts.empty() || parts.size() > 3) return std::nullopt;
    std::optional<std::uint64_t>* slots[] = {&p.major, &p.minor, &p.patch};
    bool wildcard = false;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (parts[i] == "x" || parts[i] == "X" || parts[i] == "*") {
            wildcard = true;
            continue;
        }
        if (wildcard) return std::nullopt; // "1.x.3" is meaningless
        auto n = number(parts[i]);
        if (!n) return std::nullopt;
        *slots[i] = *n;
    }
    if (!p.prerelease.empty() && !p.patch) return std::nullopt;
    return p;
}

SemVer floor(const Partial& p) {
    SemVer v;
    v.major = p.major.value_or(0);
    v.minor = p.minor.value_or(0);
    v.patch = p.patch.value_or(0);
    v.prerelease = p.prerelease;
    return v;
}

/// The lowest version above the span a partial names ("1.2" -> 1.3.0, "1" -> 2.0.0).
/// Prerelease "0" makes the bound exclude the next version's prereleases too.
SemVer ceilingOf(const Partial& p) {
    SemVer v;
    if (!p.minor) {
        v.major = *p.major + 1;
    } else {
        v.major = *p.major;
        v.minor = *p.minor + 1;
    }
    v.prerelease = {"0"};
    return v;
}

int compareIdentifiers(const std::string& a, const std::string& b) {
    const bool na = allDigits(a), nb = allDigits(b);
    if (na && nb) {
        if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
        return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
    }
    if (na != nb) return na ? -1 : 1; // numeric identifiers have lower precedence
    return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

} // namespace

std::optional<SemVer> SemVer::parse(std::string_view text) {
    auto p = parsePartial(text);
    if (!p || !p->major || !p->minor || !p->patch) return std::nullopt;
    SemVer v = floor(*p);
    if (auto plus = text.find('+'); plus != std::string_view::npos) {
        v.build = std::string(text.substr(plus + 1));
        for (auto id : splitOn(v.build, '.'))
            if (!identifierChars(id)) return std::nullopt;
    }
    return v;
}

std::string SemVer::toString() const {
    std::string s = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
    for (std::size_t i = 0; i < prerelease.size(); ++i) s += (i == 0 ? "-" : ".") + prerelease[i];
    if (!build.empty()) s += "+" + build;
    return s;
}

int compare(const SemVer& a, const SemVer& b) {
    if (a.major != b.major) return a.major < b.major ? -1 : 1;
    if (a.minor != b.minor) return a.minor < b.minor ? -1 : 1;
    if (a.patch != b.patch) return a.patch < b.patch ? -1 : 1;
    // A release ranks above its prereleases.
    if (a.prerelease.empty() != b.prerelease.empty()) return a.prerelease.empty() ? 1 : -1;
    const auto n = std::min(a.prerelease.size(), b.prerelease.size());
    for (std::size_t i = 0; i < n; ++i)
        if (int c = compareIdentifiers(a.prerelease[i], b.prerelease[i]); c != 0) return c;
    if (a.prerelease.size() != b.prerelease.size()) return a.prerelease.size() < b.prerelease.size() ? -1 : 1;
    return 0;
}

VersionRange VersionRange::parse(std::string_view text) {
    VersionRange range;
    range._text = std::string(trim(text));
    auto fail = [&](std::string_view part) {
        throw std::invalid_argument("the version range \"" + range._text + "\" is not valid at \"" + std::string(part) +
                                    "\"; write it like \">=1.2 <2\", \"^1.2.0\" or \"~1.4\"");
    };
    std::string_view rest = range._text;
    std::vector<std::string_view> alternatives;
    while (true) {
        auto pos = rest.find("||");
        alternatives.push_back(trim(rest.substr(0, pos)));
        if (pos == std::string_view::npos) break;
        rest = rest.substr(pos + 2);
    }
    for (auto alt : alternatives) {
        std::vector<Comparator> group;
        // Tokens are separated by spaces or commas; an operator may be separated from its
        // version by spaces (">= 1.2"), which we rejoin.
        std::vector<std::string> tokens;
        std::string current;
        for (char c : alt) {
            if (c == ' ' || c == '\t' || c == ',') {
                if (!current.empty()) tokens.push_back(std::move(current)), current.clear();
            } else {
                current += c;
            }
        }
        if (!current.empty()) tokens.push_back(std::move(current));
        for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
            const auto& t = tokens[i];
            if (t == ">=" || t == ">" || t == "<=" || t == "<" || t == "=" || t == "^" || t == "~") {
                tokens[i] += tokens[i + 1];
                tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(i) + 1);
            }
        }
        if (alternatives.size() > 1 && tokens.empty()) fail(alt);
        for (const auto& token : tokens) {
            std::string_view t = token;
            if (t == "*" || t == "x" || t == "X") continue;
            std::string_view op;
            for (std::string_view candidate : {">=", "<=", ">", "<", "=", "^", "~"}) {
                if (t.substr(0, candidate.size()) == candidate) {
                    op = candidate;
                    break;
                }
            }
            auto p = parsePartial(t.substr(op.size()));
            if (!p) fail(t);
            if (!p->major) {
                if (op.empty() || op == ">=" || op == "<=") continue; // "*"-like: no constraint
                fail(t);
            }
            const SemVer low = floor(*p);
            const bool complete = p->patch.has_value();
            if (op.empty() || op == "=") {
                if (complete) {
                    group.push_back({Op::Eq, low});
                } else {
                    group.push_back({Op::Ge, low});
                    group.push_back({Op::Lt, ceilingOf(*p)});
                }
            } else if (op == ">=") {
                group.push_back({Op::Ge, low});
            } else if (op == ">") {
                // ">1.2" means above the whole 1.2 span.
                group.push_back(complete ? Comparator{Op::Gt, low} : Comparator{Op::Ge, [&] {
                                    auto c = ceilingOf(*p);
                                    c.prerelease.clear();
                                    return c;
                                }()});
            } else if (op == "<") {
                auto bound = low;
                if (!complete && bound.prerelease.empty()) bound.prerelease = {"0"};
                group.push_back({Op::Lt, bound});
            } else if (op == "<=") {
                group.push_back(complete ? Comparator{Op::Le, low} : Comparator{Op::Lt, ceilingOf(*p)});
            } else if (op == "~") {
                group.push_back({Op::Ge, low});
                Partial s2;
                s2.major = p->major;
                s2.minor = p->minor; // "~1" spans 1.x, "~1.2" / "~1.2.3" span 1.2.x
                group.push_back({Op::Lt, ceilingOf(s2)});
            } else { // "^"
                group.push_back({Op::Ge, low});
                Partial s2;
                s2.major = p->major;
                if (*p->major == 0 && p->minor) {
                    s2.minor = p->minor; // ^0.2.3 := >=0.2.3 <0.3.0 (0.x minors break)
                }
                group.push_back({Op::Lt, ceilingOf(s2)});
            }
        }
        range._groups.push_back(std::move(group));
    }
    return range;
}

bool VersionRange::matches(const SemVer& version) const {
    if (_groups.empty()) return true;
    for (const auto& group : _groups) {
        bool ok = true;
        for (const auto& c : group) {
            const int r = compare(version, c.version);
            switch (c.op) {
            case Op::Lt: ok = r < 0; break;
            case Op::Le: ok = r <= 0; break;
            case Op::Gt: ok = r > 0; break;
            case Op::Ge: ok = r >= 0; break;
            case Op::Eq: ok = r == 0; break;
            }
            if (!ok) break;
        }
        if (ok) return true;
    }
    return false;
}

} // namespace atrium::plugins
