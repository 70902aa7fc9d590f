#include "identity/Passwords.h"

#include "identity/CommonPasswords.h"

#include <Poco/SHA2Engine.h>
#include <argon2.h>
#include <sys/random.h>

#include <algorithm>
#include <semaphore>
#include <stdexcept>
#include <vector>

namespace atrium::identity {
namespace {

std::counting_semaphore<2>& hashSlots() {
    static std::counting_semaphore<2> slots(2);
    return slots;
}

struct SlotGuard {
    SlotGuard() { hashSlots().acquire(); }
    ~SlotGuard() { hashSlots().release(); }
};

void fillRandom(unsigned char* out, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
        const auto r = getrandom(out + got, n - got, 0);
        if (r < 0) throw std::runtime_error("the system random source failed");
        got += static_cast<std::size_t>(r);
    }
}

std::string utf8Lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (static_cast<unsigned char>(c) < 128) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::size_t utf8Length(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

} // namespace

std::string hashPassword(std::string_view password, const PasswordParams& p) {
    unsigned char salt[16];
    fillRandom(salt, sizeof salt);
    const std::size_t hashLen = 32;
    std::vector<char> encoded(argon2_encodedlen(p.iterations, p.memoryKiB, p.parallelism, sizeof salt, hashLen, Argon2_id) + 1);
    SlotGuard slot;
    const int rc = argon2id_hash_encoded(p.iterations, p.memoryKiB, p.parallelism, password.data(), password.size(), salt,
                                         sizeof salt, hashLen, encoded.data(), encoded.size());
    if (rc != ARGON2_OK) throw std::runtime_error(std::string("password hashing failed: ") + argon2_error_message(rc));
    return std::string(encoded.data());
}

bool verifyPassword(std::string_view password, const std::string& encoded) {
    if (encoded.rfind("$argon2id$", 0) != 0) return false;
    SlotGuard slot;
    return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

void burnVerification(std::string_view password) {
    static const std::string dummy = hashPassword("atrium-dummy-password-for-timing");
    (void)verifyPassword(password, dummy);
}

std::string checkPasswordPolicy(std::string_view password, std::string_view email) {
    const auto len = utf8Length(password);
    if (len < 8) return "The password must have at least 8 characters.";
    if (len > 128) return "The password must have at most 128 characters.";
    const auto lowered = utf8Lower(password);
    if (isCommonPassword(lowered)) return "This password is among the most commonly used ones; choose another.";
    if (!email.empty()) {
        const auto local = utf8Lower(email.substr(0, email.find('@')));
        if (lowered == utf8Lower(email) || (local.size() >= 4 && lowered == local))
            return "The password must not be your email address.";
    }
    return {};
}

std::string randomToken(std::size_t bytes) {
    std::vector<unsigned char> raw(bytes);
    fillRandom(raw.data(), raw.size());
    static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (auto b : raw) {
        buffer = (buffer << 8) | b;
        bits += 8;
        while (bits >= 6) {
            out += alphabet[(buffer >> (bits - 6)) & 63];
            bits -= 6;
        }
    }
    if (bits > 0) out += alphabet[(buffer << (6 - bits)) & 63];
    return out;
}

std::string sha256Hex(std::string_view data) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(data.data(), static_cast<unsigned>(data.size()));
    return Poco::DigestEngine::digestToHex(engine.digest());
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

} // namespace atrium::identity
