#include "common/session/sample.h"

#include <gtest/gtest.h>

#include "common/session/moves.h"

namespace mend::session {
namespace {

TEST(SampleTest, TheSampleConversationIsARepairedSessionWithTwoCommitments) {
  v1::Account a, b;
  a.set_display_name("Sam");
  b.set_display_name("Alex");
  for (int rounds : {2, 3, 15}) {
    auto log = PlayTurns(7, "money", a, b, 1000, 20000, SampleConversation(rounds, "2026-12-06"));
    ASSERT_TRUE(log.ok()) << log.error().message;
    ASSERT_EQ(log.value().size(), 27u + 5 * rounds);
    State state;
    for (const auto& e : log.value()) Apply(state, e);
    EXPECT_EQ(state.outcome, v1::REPAIRED);
    ASSERT_EQ(state.commitments.size(), 2u);
    EXPECT_EQ(state.commitments[0].owner, v1::SIDE_A);
    EXPECT_EQ(state.commitments[0].check_in_date, "2026-12-06");
    EXPECT_EQ(state.commitments[1].check_in_date, "");
    EXPECT_EQ(log.value().back().at_unix_ms() - log.value().front().at_unix_ms(),
              20000 * static_cast<TimeMs>(log.value().size() - 2));  // the closing shares a time
  }
}

TEST(SampleTest, ARefusedTurnIsNamed) {
  std::vector<Turn> turns = {{v1::SIDE_B, moves::PassFloor()}};
  auto log = PlayTurns(1, "x", {}, {}, 0, 1, turns);
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.error().message.find("turn 1 (pass_floor)"), std::string::npos)
      << log.error().message;
}

TEST(StateEqualityTest, SameEventsFoldEqualAndAnyDifferenceShows) {
  auto log = PlayTurns(1, "money", {}, {}, 0, 1000, SampleConversation(2)).value();
  State x, y;
  for (const auto& e : log) Apply(x, e);
  for (const auto& e : log) Apply(y, e);
  EXPECT_TRUE(x == y);
  State z = y;
  z.commitments[1].text += ".";
  EXPECT_FALSE(x == z);
  z = y;
  z.b.set_display_name("someone else");
  EXPECT_FALSE(x == z);
  // One event fewer is a different state.
  State w;
  for (size_t i = 0; i + 1 < log.size(); ++i) Apply(w, log[i]);
  EXPECT_FALSE(x == w);
}

}  // namespace
}  // namespace mend::session
