#include "node/core/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace minga {
namespace {

LogLevel InitialLevel() {
  const char* env = std::getenv("MINGA_LOG_LEVEL");
  if (env != nullptr && std::string(env) == "debug") return LogLevel::kDebug;
  return LogLevel::kInfo;
}

std::atomic<int> g_level{static_cast<int>(InitialLevel())};
std::atomic<int> g_format{static_cast<int>(LogFormat::kText)};

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }

void SetLogFormat(LogFormat format) { g_format.store(static_cast<int>(format)); }

namespace {

std::string FieldKey(absl::string_view key) {
  for (absl::string_view reserved : {"time", "level", "component", "msg"}) {
    if (key == reserved) return absl::StrCat("field_", key);
  }
  return std::string(key);
}

// A text value as is when it reads as one word, else quoted and escaped.
std::string TextValue(absl::string_view value) {
  const bool plain =
      !value.empty() && value.find_first_of(" \t\"=\\\n\r") == absl::string_view::npos;
  return plain ? std::string(value) : absl::StrCat("\"", absl::CEscape(value), "\"");
}

}  // namespace

std::string FormatLogLine(LogFormat format, absl::Time time, LogLevel level,
                          absl::string_view component, absl::string_view message,
                          LogFields fields) {
  static constexpr const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  static constexpr const char* kJsonNames[] = {"debug", "info", "warning", "error"};
  const std::string when = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
  const int i = static_cast<int>(level);
  if (format == LogFormat::kText) {
    std::string line = absl::StrCat(when, " ", kNames[i], " ", component, ": ", message);
    for (const LogField& f : fields) {
      absl::StrAppend(&line, " ", FieldKey(f.key), "=", TextValue(f.value));
    }
    return line;
  }
  nlohmann::ordered_json line;
  line["time"] = when;
  line["level"] = kJsonNames[i];
  line["component"] = std::string(component);
  line["msg"] = std::string(message);
  for (const LogField& f : fields) {
    if (f.number) {
      line[FieldKey(f.key)] = nlohmann::ordered_json::parse(f.value);
    } else {
      line[FieldKey(f.key)] = f.value;
    }
  }
  // A message that is not UTF-8 (a file name, say) is written with U+FFFD
  // in place of the bad bytes rather than dropped.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Log(LogLevel level, absl::string_view component, absl::string_view message, LogFields fields) {
  if (static_cast<int>(level) < g_level.load()) return;
  const std::string line = FormatLogLine(static_cast<LogFormat>(g_format.load()), absl::Now(),
                                         level, component, message, fields) +
                           "\n";
  // One write(2) per line keeps lines whole between threads.
  ssize_t unused = write(STDERR_FILENO, line.data(), line.size());
  (void)unused;
}

}  // namespace minga
