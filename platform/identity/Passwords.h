#pragma once
// argon2id password hashing (OWASP ASVS 5.0 L2: m >= 19 MiB, t >= 2) and password policy.

#include <string>
#include <string_view>

namespace atrium::identity {

struct PasswordParams {
    unsigned memoryKiB = 19456; ///< 19 MiB
    unsigned iterations = 2;
    unsigned parallelism = 1;
};

/// Hashes with a fresh 16-byte salt into the PHC string form ("$argon2id$v=19$m=…").
/// At most two hashes run at once process-wide, so a burst of logins cannot take every core.
std::string hashPassword(std::string_view password, const PasswordParams& params = {});
/// Constant-time verification against a PHC string; false for malformed hashes.
bool verifyPassword(std::string_view password, const std::string& encoded);
/// Runs a verification against a fixed dummy hash: unknown users cost as much as wrong passwords.
void burnVerification(std::string_view password);

/// Empty when acceptable, otherwise one sentence saying what is wrong (length 8–128, not a
/// commonly used password, not the email).
std::string checkPasswordPolicy(std::string_view password, std::string_view email = {});

/// Cryptographically random bytes, base64url without padding (`bytes` of entropy).
std::string randomToken(std::size_t bytes = 32);
/// Lower-case hex SHA-256 (tokens are stored hashed).
std::string sha256Hex(std::string_view data);
/// Constant-time comparison.
bool constantTimeEquals(std::string_view a, std::string_view b);

} // namespace atrium::identity
