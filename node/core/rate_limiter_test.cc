#include "node/core/rate_limiter.h"

#include "gtest/gtest.h"

namespace minga {
namespace {

TEST(RateLimiterTest, ABurstOfASecondPassesThenTheRateHolds) {
  FakeClock clock;
  RateLimiter limiter(1 << 20, &clock);  // 1 MiB/s
  // A full bucket: a second's worth goes at once.
  EXPECT_EQ(limiter.Take(1 << 20), absl::ZeroDuration());
  // Beyond it, each MiB costs a second of waiting.
  EXPECT_EQ(limiter.Take(1 << 20), absl::Seconds(1));
  EXPECT_EQ(limiter.Take(512 << 10), absl::Milliseconds(1500));
  // Waiting what it said settles the account.
  clock.Advance(1'500'000);
  EXPECT_EQ(limiter.Take(0), absl::ZeroDuration());
  // A long pause refills the bucket, but only to a second.
  clock.Advance(60'000'000);
  EXPECT_EQ(limiter.Take(1 << 20), absl::ZeroDuration());
  EXPECT_EQ(limiter.Take(1 << 20), absl::Seconds(1));
}

TEST(RateLimiterTest, ZeroMeansNoLimit) {
  FakeClock clock;
  RateLimiter limiter(0, &clock);
  EXPECT_EQ(limiter.Take(uint64_t{1} << 40), absl::ZeroDuration());
}

}  // namespace
}  // namespace minga
