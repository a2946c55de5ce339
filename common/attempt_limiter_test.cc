#include "common/attempt_limiter.h"

#include <optional>

#include <gtest/gtest.h>

namespace mend {
namespace {

constexpr int kMax = 3;
constexpr TimeMs kWindow = 10'000;
constexpr TimeMs kStart = 1'700'000'000'000;

TEST(AttemptLimiterTest, UnknownKeyIsAllowed) {
  AttemptLimiter limiter(kMax, kWindow);
  EXPECT_EQ(limiter.RetryAfterMs("alice", kStart), std::nullopt);
}

TEST(AttemptLimiterTest, BelowTheLimitNothingIsRefused) {
  AttemptLimiter limiter(kMax, kWindow);
  for (int i = 0; i < kMax - 1; ++i) {
    limiter.RecordFailure("alice", kStart + i);
    EXPECT_EQ(limiter.RetryAfterMs("alice", kStart + i), std::nullopt) << "after failure " << i;
  }
}

TEST(AttemptLimiterTest, AtTheLimitWaitsUntilTheOldestFailureLeavesTheWindow) {
  AttemptLimiter limiter(kMax, kWindow);
  limiter.RecordFailure("alice", kStart);
  limiter.RecordFailure("alice", kStart + 1'000);
  limiter.RecordFailure("alice", kStart + 2'500);

  EXPECT_EQ(limiter.RetryAfterMs("alice", kStart + 2'500), kWindow - 2'500);
  EXPECT_EQ(limiter.RetryAfterMs("alice", kStart + 4'000), kWindow - 4'000);
  EXPECT_EQ(limiter.RetryAfterMs("alice", kStart + kWindow - 1), 1);
  // The oldest failure is out of the window exactly window_ms after it happened.
  EXPECT_EQ(limiter.RetryAfterMs("alice", kStart + kWindow), std::nullopt);
}

TEST(AttemptLimiterTest, OneMoreFailureAfterTheOldestLeftRefusesAgain) {
  AttemptLimiter limiter(kMax, kWindow);
  limiter.RecordFailure("alice", kStart);
  limiter.RecordFailure("alice", kStart + 1'000);
  limiter.RecordFailure("alice", kStart + 2'000);
  ASSERT_EQ(limiter.RetryAfterMs("alice", kStart + kWindow), std::nullopt);

  limiter.RecordFailure("alice", kStart + kWindow);
  // Now the oldest in the window is the one at +1000.
  EXPECT_EQ(limiter.RetryAfterMs("alice", kStart + kWindow), 1'000);
}

TEST(AttemptLimiterTest, AllowedAgainOnceTheWindowHasPassed) {
  AttemptLimiter limiter(kMax, kWindow);
  for (int i = 0; i < kMax; ++i) limiter.RecordFailure("alice", kStart);
  ASSERT_EQ(limiter.RetryAfterMs("alice", kStart), kWindow);

  EXPECT_EQ(limiter.RetryAfterMs("alice", kStart + kWindow), std::nullopt);
  EXPECT_EQ(limiter.RetryAfterMs("alice", kStart + 5 * kWindow), std::nullopt);
  // Stale failures do not count towards a new limit.
  limiter.RecordFailure("alice", kStart + 5 * kWindow);
  EXPECT_EQ(limiter.RetryAfterMs("alice", kStart + 5 * kWindow), std::nullopt);
}

TEST(AttemptLimiterTest, ExtraFailuresKeepTheNewest) {
  AttemptLimiter limiter(kMax, kWindow);
  for (int i = 0; i < 5; ++i) limiter.RecordFailure("alice", kStart + i * 1'000);
  // The newest three are at +2000, +3000 and +4000; after +2000 leaves only two remain.
  EXPECT_EQ(limiter.RetryAfterMs("alice", kStart + 4'000), kWindow - 2'000);
}

TEST(AttemptLimiterTest, ClearResets) {
  AttemptLimiter limiter(kMax, kWindow);
  for (int i = 0; i < kMax; ++i) limiter.RecordFailure("alice", kStart);
  ASSERT_TRUE(limiter.RetryAfterMs("alice", kStart).has_value());

  limiter.Clear("alice");
  EXPECT_EQ(limiter.RetryAfterMs("alice", kStart), std::nullopt);
  // The count starts from zero again.
  for (int i = 0; i < kMax - 1; ++i) limiter.RecordFailure("alice", kStart);
  EXPECT_EQ(limiter.RetryAfterMs("alice", kStart), std::nullopt);
  limiter.RecordFailure("alice", kStart);
  EXPECT_EQ(limiter.RetryAfterMs("alice", kStart), kWindow);

  limiter.Clear("nobody");  // clearing an unknown key is harmless
}

TEST(AttemptLimiterTest, KeysAreIndependent) {
  AttemptLimiter limiter(kMax, kWindow);
  for (int i = 0; i < kMax; ++i) limiter.RecordFailure("alice", kStart);
  limiter.RecordFailure("bob", kStart);

  EXPECT_EQ(limiter.RetryAfterMs("alice", kStart), kWindow);
  EXPECT_EQ(limiter.RetryAfterMs("bob", kStart), std::nullopt);
  EXPECT_EQ(limiter.RetryAfterMs("Alice", kStart), std::nullopt);

  limiter.Clear("bob");
  EXPECT_EQ(limiter.RetryAfterMs("alice", kStart), kWindow);
}

}  // namespace
}  // namespace mend
