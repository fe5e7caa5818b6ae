#include "node/core/metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace minga {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTextTest, FamiliesHaveHelpAndTypeAndLabelValuesAreEscaped) {
  MetricsText out;
  out.Family("minga_peer_failures", "gauge", "Consecutive failed pulls.\nA second line.");
  out.Sample("minga_peer_failures", {{"peer", "a\"b\\c\nd"}}, 3);
  out.Gauge("minga_feed_head", "Head.", 12345678901234.0);
  out.Gauge("minga_lag_seconds", "Lag.", 0.25);
  EXPECT_EQ(out.text(),
            "# HELP minga_peer_failures Consecutive failed pulls.\\nA second line.\n"
            "# TYPE minga_peer_failures gauge\n"
            "minga_peer_failures{peer=\"a\\\"b\\\\c\\nd\"} 3\n"
            "# HELP minga_feed_head Head.\n# TYPE minga_feed_head gauge\n"
            "minga_feed_head 12345678901234\n"
            "# HELP minga_lag_seconds Lag.\n# TYPE minga_lag_seconds gauge\n"
            "minga_lag_seconds 0.25\n");
}

TEST(HistogramTest, BucketsAreCumulativeAndCountAndSumAddUp) {
  Histogram h({0.01, 0.1, 1});
  for (double v : {0.005, 0.01, 0.05, 0.5, 2.0}) h.Observe(v);
  MetricsText out;
  h.Write("minga_search_seconds", "Search latency.", &out);
  const std::string& t = out.text();
  EXPECT_THAT(t, HasSubstr("# TYPE minga_search_seconds histogram\n"));
  // An observation equal to a bound counts in that bound's bucket.
  EXPECT_THAT(t, HasSubstr("minga_search_seconds_bucket{le=\"0.01\"} 2\n"));
  EXPECT_THAT(t, HasSubstr("minga_search_seconds_bucket{le=\"0.1\"} 3\n"));
  EXPECT_THAT(t, HasSubstr("minga_search_seconds_bucket{le=\"1\"} 4\n"));
  EXPECT_THAT(t, HasSubstr("minga_search_seconds_bucket{le=\"+Inf\"} 5\n"));
  EXPECT_THAT(t, HasSubstr("minga_search_seconds_sum 2.565\n"));
  EXPECT_THAT(t, HasSubstr("minga_search_seconds_count 5\n"));
}

}  // namespace
}  // namespace minga
