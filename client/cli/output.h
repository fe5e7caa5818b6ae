// Output helpers of the `minga` client: aligned tables that count UTF-8
// characters, JSON of protobuf messages, a progress bar on terminals, and
// the exit codes.
#ifndef MINGA_CLIENT_CLI_OUTPUT_H_
#define MINGA_CLIENT_CLI_OUTPUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"

namespace minga::cli {

// Exit codes, documented in the README.
enum ExitCode {
  kExitOk = 0,
  kExitError = 1,        // the node failed, or anything else
  kExitUsage = 2,        // bad flags or arguments
  kExitNotFound = 3,     // no such material or peer
  kExitInvalid = 4,      // input refused (validation); or some import rows
  kExitUnavailable = 5,  // the node cannot be reached
  kExitConflict = 6,     // version mismatch, already exists
  kExitDenied = 7,       // permission denied (another origin's material)
};

int ExitCodeFor(const absl::Status& status);

// Prints "minga: <message>" to stderr, with a hint for unreachable nodes,
// and returns the exit code for it.
int Report(const absl::Status& status);
// Prints a wrong number of arguments the way a bad flag is printed, and
// returns kExitUsage.
int ReportUsage(absl::string_view message);

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // Columns padded to their widest cell; cells longer than `max_width`
  // characters are cut with an ellipsis.
  std::string Render(size_t max_width = 60) const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// JSON of a message with the .proto field names, one line.
std::string ToJson(const google::protobuf::Message& message);

// Cuts `s` to at most `max` characters, ending with "…" when cut.
std::string Ellipsize(const std::string& s, size_t max);

// "2026-11-28 13:55" in UTC, or "-" for 0.
std::string FormatMicros(int64_t micros);
std::string FormatBytes(uint64_t bytes);

// A progress bar on stderr, drawn only when stderr is a terminal.
class Progress {
 public:
  Progress(std::string label, uint64_t total, bool bytes);
  ~Progress();
  void Update(uint64_t done);
  void Finish();

 private:
  void Draw(bool final);
  std::string label_;
  uint64_t total_;
  bool bytes_;
  bool tty_;
  uint64_t done_ = 0;
  absl::Time start_;
  absl::Time last_draw_;
  bool finished_ = false;
};

}  // namespace minga::cli

#endif  // MINGA_CLIENT_CLI_OUTPUT_H_
