#include "common/account_rules.h"

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace mend::account_rules {
namespace {

// U+00E9 "é" is two bytes in UTF-8: it tells code points apart from bytes.
constexpr std::string_view kEAcute = "\xC3\xA9";

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

TEST(NormalizeLoginTest, AcceptsAndLowerCases) {
  struct Case {
    std::string input;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"alice", "alice"},
      {"Alice", "alice"},
      {"BOB.SMITH", "bob.smith"},
      {"a_b-c.d", "a_b-c.d"},
      {"007", "007"},
      {"9lives", "9lives"},
      {"abc", "abc"},                                // the shortest allowed
      {std::string(32, 'x'), std::string(32, 'x')},  // the longest allowed
      {"x" + std::string(31, 'Y'), "x" + std::string(31, 'y')},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.input);
    Result<std::string> r = NormalizeLogin(c.input);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value(), c.want);
  }
}

TEST(NormalizeLoginTest, RefusesMalformed) {
  const std::vector<std::string> cases = {
      "",
      "ab",                  // too short
      std::string(33, 'a'),  // too long
      ".alice",              // must start with a letter or digit
      "_alice",
      "-alice",
      "al ice",  // no spaces
      "alice@home",
      "al+ice",
      "al/ice",
      "caf\xC3\xA9",  // only ASCII letters
      std::string("ab\0c", 4),
      " alice",  // no implicit trimming
  };
  for (const std::string& input : cases) {
    SCOPED_TRACE(input);
    Result<std::string> r = NormalizeLogin(input);
    ASSERT_FALSE(r.ok()) << "accepted as " << r.value();
    EXPECT_EQ(r.code(), v1::INVALID_ARGUMENT);
    EXPECT_FALSE(r.error().message.empty());
  }
}

TEST(NormalizeDisplayNameTest, TrimsSurroundingSpaces) {
  struct Case {
    std::string input;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"Alice", "Alice"},
      {"  Alice  ", "Alice"},
      {" Alice Smith ", "Alice Smith"},  // inner spaces stay
      {"Zo\xC3\xAB", "Zo\xC3\xAB"},
      {"\xF0\x9F\x92\x9C love", "\xF0\x9F\x92\x9C love"},  // a 4-byte emoji
      {"x", "x"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.input);
    Result<std::string> r = NormalizeDisplayName(c.input);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value(), c.want);
  }
}

TEST(NormalizeDisplayNameTest, RefusesEmpty) {
  for (std::string input : {"", " ", "      "}) {
    SCOPED_TRACE("[" + input + "]");
    EXPECT_EQ(NormalizeDisplayName(input).code(), v1::INVALID_ARGUMENT);
  }
}

TEST(NormalizeDisplayNameTest, LimitCountsCodePointsNotBytes) {
  // 64 "é" are 128 bytes but 64 characters.
  Result<std::string> at_limit = NormalizeDisplayName(Repeat(kEAcute, 64));
  ASSERT_TRUE(at_limit.ok()) << at_limit.error().message;
  EXPECT_EQ(at_limit.value(), Repeat(kEAcute, 64));

  EXPECT_EQ(NormalizeDisplayName(Repeat(kEAcute, 65)).code(), v1::INVALID_ARGUMENT);
  EXPECT_TRUE(NormalizeDisplayName(std::string(64, 'a')).ok());
  EXPECT_EQ(NormalizeDisplayName(std::string(65, 'a')).code(), v1::INVALID_ARGUMENT);
  // Trimmed spaces do not count.
  EXPECT_TRUE(NormalizeDisplayName("  " + std::string(64, 'a') + "  ").ok());
  // 4-byte code points count once each.
  EXPECT_TRUE(NormalizeDisplayName(Repeat("\xF0\x9F\x92\x9C", 64)).ok());
  EXPECT_EQ(NormalizeDisplayName(Repeat("\xF0\x9F\x92\x9C", 65)).code(), v1::INVALID_ARGUMENT);
}

TEST(NormalizeDisplayNameTest, RefusesInvalidUtf8) {
  const std::vector<std::string> cases = {
      "\xC3",              // truncated 2-byte sequence
      "abc\xE2\x82",       // truncated 3-byte sequence
      "\xA9",              // a lone continuation byte
      "\xC3\x28",          // a lead byte followed by a non-continuation
      "\xFF",              // never valid
      "\xC0\x80",          // overlong NUL
      "\xC1\xBF",          // overlong 0x7F
      "\xE0\x80\xAF",      // overlong "/"
      "\xF0\x82\x82\xAC",  // overlong euro sign
      "\xED\xA0\x80",      // a UTF-16 surrogate
      "\xF4\x90\x80\x80",  // above U+10FFFF
      "\xF5\x80\x80\x80",
      "ok \xC3\xA9 then \xC3",  // valid prefix, invalid tail
  };
  for (const std::string& input : cases) {
    SCOPED_TRACE(testing::PrintToString(input));
    Result<std::string> r = NormalizeDisplayName(input);
    EXPECT_EQ(r.code(), v1::INVALID_ARGUMENT);
  }
}

TEST(NormalizeDisplayNameTest, RefusesControlCharacters) {
  const std::vector<std::string> cases = {
      "Al\nice",       "Alice\t", "\tAlice", "Al\rice", std::string("Al\0ice", 6),
      "Al\x1B[31mice",  // an ANSI escape
      "Al\x7Fice",      // DEL
      "Al\xC2\x85ice",  // U+0085, a C1 control
      "Al\xC2\x9Fice",  // U+009F, the last C1 control
  };
  for (const std::string& input : cases) {
    SCOPED_TRACE(testing::PrintToString(input));
    EXPECT_EQ(NormalizeDisplayName(input).code(), v1::INVALID_ARGUMENT);
  }
  // U+00A0 is the first code point after the C1 controls.
  EXPECT_TRUE(NormalizeDisplayName("Al\xC2\xA0ice").ok());
}

TEST(CheckPasswordTest, EmptyIsItsOwnError) {
  EXPECT_EQ(CheckPassword("", "alice").code(), v1::PASSWORD_EMPTY);
  EXPECT_EQ(CheckPassword("", "").code(), v1::PASSWORD_EMPTY);
}

TEST(CheckPasswordTest, RefusesWeak) {
  struct Case {
    std::string password;
    std::string login;
  };
  const std::vector<Case> cases = {
      {"a", "alice"},
      {"Tr0ub4d", "alice"},   // 7 characters
      {"aaaaaaaa", "alice"},  // one repeated character
      {std::string(40, '7'), "alice"},
      {"xxalicexx", "alice"},      // contains the login
      {"MyALICEpass99", "alice"},  // ... in any case
      {"bob.smith-rules", "bob.smith"},
      {"password", "alice"},  // well known
      {"Password", "alice"},
      {"QWERTY123", "alice"},
      {"12345678", "alice"},
      {"iloveyou", "alice"},
      {std::string(1025, 'a') + "b", "alice"},  // over 1024 bytes
      {"x" + std::string(1024, 'y'), "alice"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.password.substr(0, 40) + " / " + c.login);
    Status s = CheckPassword(c.password, c.login);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), v1::PASSWORD_WEAK);
    EXPECT_FALSE(s.error().message.empty());
  }
}

TEST(CheckPasswordTest, AcceptsGood) {
  struct Case {
    std::string password;
    std::string login;
  };
  const std::vector<Case> cases = {
      {"correct horse battery staple", "alice"},
      {"Tr0ub4d&", "alice"},                    // exactly 8
      {"aaaaaaab", "alice"},                    // not all one character
      {"x" + std::string(1023, 'y'), "alice"},  // exactly 1024 bytes
      {"al1ce-in-wonderland", "alice"},         // near the login is fine
      {"Password12", "alice"},                  // a common one plus more is not listed
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.password.substr(0, 40) + " / " + c.login);
    Status s = CheckPassword(c.password, c.login);
    EXPECT_TRUE(s.ok()) << s.error().message;
  }
  // Without a login only the other rules apply.
  EXPECT_TRUE(CheckPassword("some long phrase", "").ok());
  EXPECT_EQ(CheckPassword("password", "").code(), v1::PASSWORD_WEAK);
}

TEST(CheckPasswordTest, CountsCharactersNotBytes) {
  // Regression: the length once counted bytes, so seven "é" (14 bytes) passed.
  EXPECT_EQ(CheckPassword(Repeat(kEAcute, 7), "alice").code(), v1::PASSWORD_WEAK);
  // Regression: "one repeated character" once compared bytes.
  EXPECT_EQ(CheckPassword(Repeat(kEAcute, 12), "alice").code(), v1::PASSWORD_WEAK);
}

}  // namespace
}  // namespace mend::account_rules
