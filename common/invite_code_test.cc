#include "common/invite_code.h"

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "common/crypto.h"

namespace mend::invite_code {
namespace {

constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

class InviteCodeTest : public testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(crypto::Init()); }
};

TEST_F(InviteCodeTest, GenerateGivesTwoGroupsOfFiveCrockfordSymbols) {
  for (int i = 0; i < 200; ++i) {
    std::string code = Generate();
    SCOPED_TRACE(code);
    ASSERT_EQ(code.size(), 11u);
    EXPECT_EQ(code[5], '-');
    for (size_t k = 0; k < code.size(); ++k) {
      if (k == 5) continue;
      EXPECT_NE(kCrockford.find(code[k]), std::string_view::npos) << "symbol " << code[k];
    }
    std::optional<std::string> normalized = Normalize(code);
    ASSERT_TRUE(normalized.has_value());
    EXPECT_EQ(*normalized, code.substr(0, 5) + code.substr(6));
    EXPECT_EQ(normalized->size(), static_cast<size_t>(kSymbols));
  }
}

TEST_F(InviteCodeTest, GeneratedCodesAreDistinct) {
  std::set<std::string> codes;
  for (int i = 0; i < 1000; ++i) codes.insert(Generate());
  // 50 bits per code: a collision among 1000 has probability below 1e-9.
  EXPECT_EQ(codes.size(), 1000u);
}

TEST(InviteCodeNormalizeTest, FoldsWhatPeopleType) {
  struct Case {
    std::string typed;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"7KQ2M-X9D4R", "7KQ2MX9D4R"},
      {"7kq2m-x9d4r", "7KQ2MX9D4R"},
      {"7KQ2MX9D4R", "7KQ2MX9D4R"},
      {" 7KQ2M X9D4R ", "7KQ2MX9D4R"},
      {"7K-Q2-MX-9D-4R", "7KQ2MX9D4R"},
      {"7KQ2M\tX9D4R", "7KQ2MX9D4R"},
      {"IiLl0Oo1AB",
       "1111000"
       "1AB"},  // I and L read as 1, O as 0
      {"oooooiiiii", "0000011111"},
      {"ZZZZZ-ZZZZZ", "ZZZZZZZZZZ"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.typed);
    std::optional<std::string> got = Normalize(c.typed);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, c.want);
  }
}

TEST(InviteCodeNormalizeTest, RefusesWhatCannotBeACode) {
  const std::vector<std::string> cases = {
      "",
      "-----",
      "7KQ2M-X9D4",    // 9 symbols
      "7KQ2M-X9D4RR",  // 11 symbols
      "7KQ2M-X9D4U",   // U is not in the alphabet
      "7kq2m-x9d4u",
      "7KQ2M_X9D4R",  // other separators are not dropped
      "7KQ2M.X9D4R",
      "7KQ2M-X9D4!",
      "7KQ2M-X9D4\xC3\xA9",
      std::string("7KQ2M\0X9D4R", 11),
      "7KQ2MX9D4R7KQ2MX9D4R",
  };
  for (const std::string& typed : cases) {
    SCOPED_TRACE(testing::PrintToString(typed));
    std::optional<std::string> got = Normalize(typed);
    EXPECT_FALSE(got.has_value()) << "normalized to " << *got;
  }
}

}  // namespace
}  // namespace mend::invite_code
