#pragma once
// A database value as it crosses the store interface: NULL, integer, real or text (blobs are
// carried as text). One small variant keeps both backends and the plugin ABI in step.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace atrium::store {

using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string>;
using Values = std::vector<Value>;

inline bool isNull(const Value& v) { return std::holds_alternative<std::nullptr_t>(v); }

/// Integer view: NULL -> fallback, real -> truncated, text -> parsed (fallback if not a number).
std::int64_t asInt(const Value& v, std::int64_t fallback = 0);
/// Real view: NULL -> fallback, integer -> converted, text -> parsed.
double asDouble(const Value& v, double fallback = 0.0);
/// Text view: NULL -> "", numbers formatted without loss.
std::string asText(const Value& v);

} // namespace atrium::store
