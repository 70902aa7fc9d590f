#pragma once
#include <stdexcept>
#include <string>

namespace atrium::store {

/// Every failure the store reports. The kind decides what an HTTP caller sees:
/// Unavailable/PoolTimeout -> 503, Constraint -> 409, the rest -> 500.
class StoreError : public std::runtime_error {
public:
    enum class Kind { Unavailable, PoolTimeout, Constraint, Busy, SchemaTooNew, Other };
    StoreError(Kind kind, const std::string& message) : std::runtime_error(message), _kind(kind) {}
    Kind kind() const noexcept { return _kind; }

private:
    Kind _kind;
};

} // namespace atrium::store
