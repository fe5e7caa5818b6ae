#include "client/cli/output.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"
#include "node/core/text.h"

namespace minga::cli {

int ExitCodeFor(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kNotFound:
      return kExitNotFound;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kDataLoss:
      return kExitInvalid;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return kExitUnavailable;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return kExitConflict;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      return kExitDenied;
    default:
      return kExitError;
  }
}

int Report(const absl::Status& s) {
  std::string msg(s.message());
  if (s.code() == absl::StatusCode::kUnavailable) {
    absl::StrAppend(&msg,
                    "\n  is the node running? choose it with --node (default "
                    "unix:minga-data/admin.sock, or $MINGA_NODE)");
  }
  std::fprintf(stderr, "minga: %s\n", msg.c_str());
  return ExitCodeFor(s);
}

int ReportUsage(absl::string_view message) {
  std::fprintf(stderr, "minga: %s; see --help\n", std::string(message).c_str());
  return kExitUsage;
}

std::string Ellipsize(const std::string& s, size_t max) {
  if (!IsValidUtf8(s) || Utf8Length(s) <= max) return s;
  std::string out;
  size_t pos = 0;
  for (size_t n = 0; n + 1 < max && pos < s.size(); ++n) {
    AppendUtf8(NextCodepoint(s, &pos), &out);
  }
  return out + "…";
}

std::string Table::Render(size_t max_width) const {
  std::vector<size_t> widths(headers_.size(), 0);
  auto cells = rows_;
  for (auto& row : cells) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      row[i] = Ellipsize(row[i], max_width);
      widths[i] = std::max(widths[i], Utf8Length(row[i]));
    }
  }
  for (size_t i = 0; i < headers_.size(); ++i) widths[i] = std::max(widths[i], headers_[i].size());
  std::string out;
  auto line = [&](const std::vector<std::string>& row) {
    std::string l;
    for (size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      l += cell;
      if (i + 1 < widths.size()) l += std::string(widths[i] - Utf8Length(cell) + 2, ' ');
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  line(headers_);
  for (const auto& row : cells) line(row);
  return out;
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

std::string FormatMicros(int64_t micros) {
  if (micros == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMicros(micros), absl::UTCTimeZone());
}

std::string FormatBytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? absl::StrCat(bytes, " B") : absl::StrFormat("%.1f %s", v, units[u]);
}

Progress::Progress(std::string label, uint64_t total, bool bytes)
    : label_(std::move(label)),
      total_(total),
      bytes_(bytes),
      tty_(isatty(STDERR_FILENO)),
      start_(absl::Now()),
      last_draw_(absl::InfinitePast()) {}

Progress::~Progress() { Finish(); }

void Progress::Update(uint64_t done) {
  done_ = done;
  if (tty_ && absl::Now() - last_draw_ > absl::Milliseconds(100)) Draw(false);
}

void Progress::Finish() {
  if (finished_) return;
  finished_ = true;
  if (tty_) Draw(true);
}

void Progress::Draw(bool final) {
  last_draw_ = absl::Now();
  const double fraction = total_ == 0 ? 1.0 : std::min(1.0, double(done_) / double(total_));
  const int width = 30;
  const int filled = static_cast<int>(fraction * width);
  std::string bar = std::string(filled, '#') + std::string(width - filled, '.');
  std::string count;
  const double seconds = std::max(1e-3, absl::ToDoubleSeconds(absl::Now() - start_));
  if (bytes_) {
    count = absl::StrCat(FormatBytes(done_), " / ", FormatBytes(total_), "  ",
                         FormatBytes(static_cast<uint64_t>(done_ / seconds)), "/s");
  } else {
    count = absl::StrCat(done_, " / ", total_);
  }
  std::fprintf(stderr, "\r%s [%s] %3d%% %s\033[K%s", label_.c_str(), bar.c_str(),
               static_cast<int>(fraction * 100), count.c_str(), final ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace minga::cli
