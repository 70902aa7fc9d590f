#pragma once
// Semantic versions and the version ranges plugins use in "requires" (npm/cargo style), kept
// small and strict: a manifest that says something we cannot parse is refused with a sentence
// rather than guessed at.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace atrium::plugins {

/// MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD] per semver.org 2.0.0.
struct SemVer {
    std::uint64_t major = 0;
    std::uint64_t minor = 0;
    std::uint64_t patch = 0;
    std::vector<std::string> prerelease; ///< dot-separated identifiers; empty for a release
    std::string build;                   ///< ignored for precedence

    /// Parses a full version; nullopt when `text` is not one.
    static std::optional<SemVer> parse(std::string_view text);
    std::string toString() const;

    /// Precedence order of semver.org §11 (build metadata ignored).
    friend int compare(const SemVer& a, const SemVer& b);
    friend bool operator==(const SemVer& a, const SemVer& b) { return compare(a, b) == 0; }
    friend bool operator<(const SemVer& a, const SemVer& b) { return compare(a, b) < 0; }
    friend bool operator<=(const SemVer& a, const SemVer& b) { return compare(a, b) <= 0; }
    friend bool operator>(const SemVer& a, const SemVer& b) { return compare(a, b) > 0; }
    friend bool operator>=(const SemVer& a, const SemVer& b) { return compare(a, b) >= 0; }
};

/// A set of comparator groups: the range matches when every comparator of at least one group
/// matches. Grammar:
///   range      := group ( "||" group )*
///   group      := comparator ( [","] comparator )*      (space or comma separated: AND)
///   comparator := "*" | op? partial | "^" partial | "~" partial
///   op         := ">=" | ">" | "<=" | "<" | "="
///   partial    := N | N.N | N.N.N[-pre] with "x"/"*" allowed for missing parts
/// A bare partial matches its whole span ("1.2" = ">=1.2.0 <1.3.0"); ">=1.0" fills zeros;
/// "<2" means "<2.0.0"; "^1.2.3" = ">=1.2.3 <2.0.0" (for 0.x: ">=0.2.3 <0.3.0");
/// "~1.2.3" = ">=1.2.3 <1.3.0".
class VersionRange {
public:
    /// Throws std::invalid_argument with a sentence naming the bad part.
    static VersionRange parse(std::string_view text);
    bool matches(const SemVer& version) const;
    const std::string& text() const { return _text; }

private:
    enum class Op { Lt, Le, Gt, Ge, Eq };
    struct Comparator {
        Op op;
        SemVer version;
    };
    std::string _text;
    std::vector<std::vector<Comparator>> _groups; ///< empty group = matches everything
};

} // namespace atrium::plugins
