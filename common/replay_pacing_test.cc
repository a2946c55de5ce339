#include "common/replay_pacing.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mend::replay {
namespace {

TEST(ReplayPacingTest, KeepsTheRhythmAtSpeedOne) {
  EXPECT_EQ(Offsets({1000, 1000, 4000, 10000}, 1, 0), (std::vector<TimeMs>{0, 0, 3000, 9000}));
}

TEST(ReplayPacingTest, DividesEveryPauseBySpeed) {
  EXPECT_EQ(Offsets({0, 10000, 30000}, 10, 0), (std::vector<TimeMs>{0, 1000, 3000}));
  EXPECT_EQ(Offsets({0, 1000}, 0.5, 0), (std::vector<TimeMs>{0, 2000}));
}

TEST(ReplayPacingTest, FullSpeedHasNoPauses) {
  EXPECT_EQ(Offsets({5, 60000, 3600000}, 0, 0), (std::vector<TimeMs>{0, 0, 0}));
}

TEST(ReplayPacingTest, ShortensLongPausesAfterScaling) {
  // A 20-minute break at x10 is 2 minutes; capped at 5 s. The 10 s pause is 1 s, under the cap.
  EXPECT_EQ(Offsets({0, 1200000, 1210000}, 10, 5000), (std::vector<TimeMs>{0, 5000, 6000}));
}

TEST(ReplayPacingTest, ATimeGoingBackwardsIsNoPause) {
  EXPECT_EQ(Offsets({10000, 5000, 6000}, 1, 0), (std::vector<TimeMs>{0, 0, 1000}));
}

TEST(ReplayPacingTest, EmptyAndSingle) {
  EXPECT_TRUE(Offsets({}, 1, 0).empty());
  EXPECT_EQ(Offsets({42}, 3, 0), (std::vector<TimeMs>{0}));
}

TEST(ReplayPacingTest, SpeedLimits) {
  EXPECT_TRUE(CheckSpeed(0).ok());
  EXPECT_TRUE(CheckSpeed(1).ok());
  EXPECT_TRUE(CheckSpeed(kMinSpeed).ok());
  EXPECT_TRUE(CheckSpeed(kMaxSpeed).ok());
  EXPECT_EQ(CheckSpeed(-1).code(), v1::INVALID_ARGUMENT);
  EXPECT_EQ(CheckSpeed(0.01).code(), v1::INVALID_ARGUMENT);
  EXPECT_EQ(CheckSpeed(1e9).code(), v1::INVALID_ARGUMENT);
  EXPECT_EQ(CheckSpeed(std::nan("")).code(), v1::INVALID_ARGUMENT);
  EXPECT_EQ(CheckSpeed(INFINITY).code(), v1::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace mend::replay
