#pragma once
#include <string_view>

namespace atrium::identity {
/// Whether `lowercasePassword` is in the shipped list of commonly used passwords
/// (platform/identity/common-passwords.txt, compiled in).
bool isCommonPassword(std::string_view lowercasePassword);
/// Number of entries in the shipped list.
std::size_t commonPasswordCount();
}
