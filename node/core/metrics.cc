#include "node/core/metrics.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace minga {
namespace {

// The text format escapes backslashes and newlines in help texts, and
// double quotes too in label values.
enum class Quotes { kKeep, kEscape };
void AppendEscaped(absl::string_view value, Quotes quotes, std::string* out) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '"':
        out->append(quotes == Quotes::kEscape ? "\\\"" : "\"");
        break;
      case '\n':
        out->append("\\n");
        break;
      default:
        out->push_back(c);
    }
  }
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Integers as integers: counts stay exact and readable.
  if (v == std::floor(v) && std::fabs(v) < 1e15) return absl::StrCat(static_cast<int64_t>(v));
  return absl::StrCat(v);
}

}  // namespace

void MetricsText::Family(absl::string_view name, absl::string_view type, absl::string_view help) {
  std::string escaped_help;
  AppendEscaped(help, Quotes::kKeep, &escaped_help);
  absl::StrAppend(&text_, "# HELP ", name, " ", escaped_help, "\n# TYPE ", name, " ", type, "\n");
}

void MetricsText::Sample(absl::string_view name, const MetricLabels& labels, double value) {
  text_.append(name.data(), name.size());
  if (!labels.empty()) {
    text_.push_back('{');
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) text_.push_back(',');
      absl::StrAppend(&text_, labels[i].first, "=\"");
      AppendEscaped(labels[i].second, Quotes::kEscape, &text_);
      text_.push_back('"');
    }
    text_.push_back('}');
  }
  absl::StrAppend(&text_, " ", FormatValue(value), "\n");
}

void MetricsText::Gauge(absl::string_view name, absl::string_view help, double value) {
  Family(name, "gauge", help);
  Sample(name, value);
}

void MetricsText::Counter(absl::string_view name, absl::string_view help, double value) {
  Family(name, "counter", help);
  Sample(name, value);
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1) {}

void Histogram::Observe(double value) {
  const size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_micro_.fetch_add(static_cast<uint64_t>(std::max(0.0, value) * 1e6),
                       std::memory_order_relaxed);
}

void Histogram::Write(absl::string_view name, absl::string_view help, MetricsText* out) const {
  out->Family(name, "histogram", help);
  const std::string bucket = absl::StrCat(name, "_bucket");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    out->Sample(bucket, {{"le", absl::StrCat(bounds_[i])}}, static_cast<double>(cumulative));
  }
  cumulative += counts_.back().load(std::memory_order_relaxed);
  out->Sample(bucket, {{"le", "+Inf"}}, static_cast<double>(cumulative));
  out->Sample(absl::StrCat(name, "_sum"), sum_micro_.load(std::memory_order_relaxed) / 1e6);
  out->Sample(absl::StrCat(name, "_count"), static_cast<double>(cumulative));
}

}  // namespace minga
