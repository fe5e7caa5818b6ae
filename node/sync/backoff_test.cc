#include "node/sync/backoff.h"

#include "gtest/gtest.h"

namespace minga {
namespace {

TEST(BackoffTest, DelaysDoubleUpToTheCapWithJitterInTheUpperHalf) {
  const absl::Duration initial = absl::Milliseconds(500), max = absl::Seconds(60);
  EXPECT_EQ(BackoffDelay(0, initial, max, 0.3), absl::ZeroDuration());
  EXPECT_EQ(BackoffDelay(1, initial, max, 1.0), initial);
  EXPECT_EQ(BackoffDelay(1, initial, max, 0.0), initial / 2);
  EXPECT_EQ(BackoffDelay(4, initial, max, 1.0), absl::Seconds(4));
  EXPECT_EQ(BackoffDelay(100, initial, max, 1.0), max);  // no overflow past the cap
  EXPECT_EQ(BackoffDelay(100, initial, max, 0.0), max / 2);
}

TEST(BackoffTest, NextBackoffDoublesFromTheFloorToTheCap) {
  const absl::Duration floor = absl::Seconds(1), cap = absl::Seconds(10);
  EXPECT_EQ(NextBackoff(absl::ZeroDuration(), floor, cap), floor);
  EXPECT_EQ(NextBackoff(absl::Seconds(1), floor, cap), absl::Seconds(2));
  EXPECT_EQ(NextBackoff(absl::Seconds(8), floor, cap), cap);
  EXPECT_EQ(NextBackoff(cap, floor, cap), cap);
}

}  // namespace
}  // namespace minga
