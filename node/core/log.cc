#include "node/core/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace minga {
namespace {

LogLevel InitialLevel() {
  const char* env = std::getenv("MINGA_LOG_LEVEL");
  if (env != nullptr && std::string(env) == "debug") return LogLevel::kDebug;
  return LogLevel::kInfo;
}

std::atomic<int> g_level{static_cast<int>(InitialLevel())};

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }

void Log(LogLevel level, absl::string_view message) {
  if (static_cast<int>(level) < g_level.load()) return;
  static constexpr const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  const std::string line =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()), " ",
                   kNames[static_cast<int>(level)], " ", message, "\n");
  // One write(2) per line keeps lines whole between threads.
  ssize_t unused = write(STDERR_FILENO, line.data(), line.size());
  (void)unused;
}

}  // namespace minga
