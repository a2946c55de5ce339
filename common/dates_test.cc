#include "common/dates.h"

#include <gtest/gtest.h>

namespace mend::dates {
namespace {

TEST(DatesTest, IsDateAcceptsRealDaysOnly) {
  EXPECT_TRUE(IsDate("2026-11-28"));
  EXPECT_TRUE(IsDate("2024-02-29"));
  EXPECT_FALSE(IsDate("2025-02-29"));
  EXPECT_FALSE(IsDate("2026-13-01"));
  EXPECT_FALSE(IsDate("2026-1-01"));
  EXPECT_FALSE(IsDate("tomorrow"));
}

TEST(DatesTest, UtcDateOfKnownInstants) {
  EXPECT_EQ(UtcDate(0), "1970-01-01");
  EXPECT_EQ(UtcDate(86400000 - 1), "1970-01-01");
  EXPECT_EQ(UtcDate(951782400000), "2000-02-29");
  EXPECT_EQ(UtcDate(1795824000000), "2026-11-28");  // 2026-11-28T00:00:00Z
  EXPECT_EQ(UtcDate(-1), "1969-12-31");
}

}  // namespace
}  // namespace mend::dates
