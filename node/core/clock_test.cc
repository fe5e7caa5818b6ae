#include "node/core/clock.h"

#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/status_matchers.h"

namespace minga {
namespace {

using ::minga::testing::StatusIs;

TEST(VersionClockTest, IncreasesStrictlyEvenWhenTheWallClockStepsBack) {
  FakeClock clock(1000);
  VersionClock versions(&clock);
  ASSERT_OK_AND_ASSIGN(uint64_t a, versions.Next());
  EXPECT_EQ(a, 1000u);
  clock.Set(500);
  ASSERT_OK_AND_ASSIGN(uint64_t b, versions.Next());
  EXPECT_EQ(b, 1001u);
  versions.Observe(5000);
  ASSERT_OK_AND_ASSIGN(uint64_t c, versions.Next());
  EXPECT_EQ(c, 5001u);
}

// Security review #11: at the highest version there is no later one to
// sign; wrapping would sign a version every other node ignores.
TEST(VersionClockTest, RefusesRatherThanWrapsAtTheTop) {
  FakeClock clock;
  VersionClock versions(&clock);
  versions.Observe(std::numeric_limits<uint64_t>::max() - 1);
  ASSERT_OK_AND_ASSIGN(uint64_t last, versions.Next());
  EXPECT_EQ(last, std::numeric_limits<uint64_t>::max());
  EXPECT_THAT(versions.Next(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(versions.last(), std::numeric_limits<uint64_t>::max());
}

}  // namespace
}  // namespace minga
