#include "identity/CommonPasswords.h"
#include "identity/Passwords.h"

#include <gtest/gtest.h>

using namespace atrium::identity;

TEST(Passwords, Argon2idHashesVerifyAndUseAsvsParameters) {
    const auto h = hashPassword("Correct-Horse-Battery-9");
    EXPECT_EQ(h.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << h;
    EXPECT_TRUE(verifyPassword("Correct-Horse-Battery-9", h));
    EXPECT_FALSE(verifyPassword("correct-horse-battery-9", h));
    EXPECT_FALSE(verifyPassword("x", "not-a-hash"));
    EXPECT_NE(hashPassword("same-password-1"), hashPassword("same-password-1")) << "salted";
}

TEST(Passwords, PolicyRefusesShortLongCommonAndEmail) {
    EXPECT_GE(commonPasswordCount(), 3000u);
    EXPECT_FALSE(checkPasswordPolicy("short").empty());
    EXPECT_FALSE(checkPasswordPolicy(std::string(129, 'a')).empty());
    EXPECT_FALSE(checkPasswordPolicy("password1").empty());
    EXPECT_FALSE(checkPasswordPolicy("Password").empty()) << "case-insensitive list";
    EXPECT_FALSE(checkPasswordPolicy("jane.doe@example.com", "jane.doe@example.com").empty());
    EXPECT_TRUE(checkPasswordPolicy("Correct-Horse-Battery-9").empty());
    EXPECT_TRUE(checkPasswordPolicy("长城长城长城长城").empty()) << "8 characters, counted as characters not bytes";
}

TEST(Passwords, TokensAreLongRandomAndHashedStably) {
    const auto a = randomToken(32), b = randomToken(32);
    EXPECT_EQ(a.size(), 43u); // 256 bits in base64url
    EXPECT_NE(a, b);
    EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_TRUE(constantTimeEquals("abc", "abc"));
    EXPECT_FALSE(constantTimeEquals("abc", "abd"));
}
