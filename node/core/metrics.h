// Metrics in the Prometheus text exposition format (version 0.0.4): a
// writer for one scrape's text, and a latency histogram the code that is
// measured keeps.
//
// Names follow Prometheus' rules ([a-zA-Z_:][a-zA-Z0-9_:]*); label values
// are escaped as the format asks (backslash, double quote, newline), so an
// org id or an error text cannot break a line.
//
// Thread safety: MetricsText is one thread's; Histogram may be observed
// and written from any thread.
#ifndef MINGA_NODE_CORE_METRICS_H_
#define MINGA_NODE_CORE_METRICS_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace minga {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class MetricsText {
 public:
  // Starts a family: its # HELP and # TYPE lines. `type`: "gauge",
  // "counter" or "histogram". Each family once per scrape, its samples
  // right after it.
  void Family(absl::string_view name, absl::string_view type, absl::string_view help);
  // One sample of the current family (`name` may add a suffix such as
  // _bucket, _sum or _count).
  void Sample(absl::string_view name, const MetricLabels& labels, double value);
  void Sample(absl::string_view name, double value) { Sample(name, {}, value); }
  // A family of one unlabelled sample.
  void Gauge(absl::string_view name, absl::string_view help, double value);
  void Counter(absl::string_view name, absl::string_view help, double value);

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// Counts of observations (seconds, say) at or under fixed upper bounds, and
// their sum: Prometheus' cumulative histogram.
class Histogram {
 public:
  // `bounds`: increasing upper bounds; +Inf is implied.
  explicit Histogram(std::vector<double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void Observe(double value);
  // The family `name` with its _bucket, _sum and _count samples.
  void Write(absl::string_view name, absl::string_view help, MetricsText* out) const;

 private:
  const std::vector<double> bounds_;
  // One per bound, and one for +Inf; not cumulative (summed when written).
  std::vector<std::atomic<uint64_t>> counts_;
  std::atomic<uint64_t> sum_micro_{0};  // the sum, in millionths
};

}  // namespace minga

#endif  // MINGA_NODE_CORE_METRICS_H_
