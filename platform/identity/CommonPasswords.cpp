#include "identity/CommonPasswords.h"

#include <string>
#include <unordered_set>

namespace atrium::identity {
namespace {

// Generated at configure time from common-passwords.txt (see platform/CMakeLists.txt).
constexpr const char* kList =
#include "common_passwords.inc"
    ;

const std::unordered_set<std::string_view>& list() {
    static const std::unordered_set<std::string_view> set = [] {
        std::unordered_set<std::string_view> s;
        std::string_view all(kList);
        std::size_t i = 0;
        while (i < all.size()) {
            auto j = all.find('\n', i);
            if (j == std::string_view::npos) j = all.size();
            auto line = all.substr(i, j - i);
            if (!line.empty() && line.front() != '#') s.insert(line);
            i = j + 1;
        }
        return s;
    }();
    return set;
}

} // namespace

bool isCommonPassword(std::string_view p) { return list().count(p) != 0; }
std::size_t commonPasswordCount() { return list().size(); }

} // namespace atrium::identity
