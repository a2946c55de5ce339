#include "common/crypto.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace mend::crypto {
namespace {

class CryptoTest : public testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(Init()); }
};

TEST_F(CryptoTest, InitIsIdempotent) {
  EXPECT_TRUE(Init());
  EXPECT_TRUE(Init());
}

TEST_F(CryptoTest, VerifyAcceptsTheRightPasswordOnly) {
  Result<std::string> hash = HashPassword("correct horse", HashCost::kMinimum);
  ASSERT_TRUE(hash.ok()) << hash.error().message;
  EXPECT_EQ(hash.value().rfind("$argon2id$", 0), 0u) << hash.value();

  EXPECT_TRUE(VerifyPassword("correct horse", hash.value()));
  EXPECT_FALSE(VerifyPassword("correct horsE", hash.value()));
  EXPECT_FALSE(VerifyPassword("correct horse ", hash.value()));
  EXPECT_FALSE(VerifyPassword("", hash.value()));
  EXPECT_FALSE(VerifyPassword("correct horse", "not a hash"));
  EXPECT_FALSE(VerifyPassword("correct horse", ""));
}

TEST_F(CryptoTest, HashesAreSalted) {
  Result<std::string> a = HashPassword("same password", HashCost::kMinimum);
  Result<std::string> b = HashPassword("same password", HashCost::kMinimum);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a.value(), b.value());
  EXPECT_TRUE(VerifyPassword("same password", a.value()));
  EXPECT_TRUE(VerifyPassword("same password", b.value()));
}

TEST_F(CryptoTest, PasswordsWithNulBytesAreHashedWhole) {
  const std::string with_nul("abc\0def", 7);
  Result<std::string> hash = HashPassword(with_nul, HashCost::kMinimum);
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(VerifyPassword(with_nul, hash.value()));
  EXPECT_FALSE(VerifyPassword("abc", hash.value()));
}

TEST_F(CryptoTest, NewTokenIsUrlSafeBase64Of32Bytes) {
  std::string a = NewToken();
  std::string b = NewToken();
  ASSERT_EQ(a.size(), 43u);
  ASSERT_EQ(b.size(), 43u);
  EXPECT_NE(a, b);
  for (char c : a + b) {
    bool url_safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    EXPECT_TRUE(url_safe) << "character " << c;
  }
}

TEST_F(CryptoTest, DigestIs32BytesAndDeterministic) {
  std::string d = Digest("secret");
  EXPECT_EQ(d.size(), 32u);
  EXPECT_EQ(Digest("secret"), d);
  EXPECT_NE(Digest("secret2"), d);
  EXPECT_NE(Digest("Secret"), d);
  EXPECT_EQ(Digest("").size(), 32u);
  EXPECT_NE(Digest(""), d);
}

TEST_F(CryptoTest, ConstantTimeEqual) {
  EXPECT_TRUE(ConstantTimeEqual("", ""));
  EXPECT_TRUE(ConstantTimeEqual("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "xbc"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEqual("", "a"));
  EXPECT_TRUE(ConstantTimeEqual(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEqual(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST_F(CryptoTest, RandomBelowStaysInRange) {
  std::set<uint32_t> seen;
  for (int i = 0; i < 2000; ++i) {
    uint32_t v = RandomBelow(7);
    ASSERT_LT(v, 7u);
    seen.insert(v);
  }
  // 2000 draws miss one of seven values with probability about 7 * (6/7)^2000.
  EXPECT_EQ(seen.size(), 7u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(RandomBelow(1), 0u);
}

}  // namespace
}  // namespace mend::crypto
