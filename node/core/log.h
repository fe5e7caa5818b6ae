// Logging to stderr for a service manager: one line per event, with UTC
// time, level, the component that logs it, the message and named fields;
// as text ("2026-12-03T10:00:00.000Z WARN sync: pull failed peer=ana
// code=unavailable") or as one JSON object per line for log collectors,
// the fields as its members. Thread-safe (a single write per line). This
// abseil has no absl/log.
#ifndef MINGA_NODE_CORE_LOG_H_
#define MINGA_NODE_CORE_LOG_H_

#include <initializer_list>
#include <string>
#include <type_traits>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace minga {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Lines below `level` are dropped. Default kInfo; MINGA_LOG_LEVEL=debug in
// the environment lowers it.
void SetLogLevel(LogLevel level);

enum class LogFormat { kText, kJson };
// Default kText.
void SetLogFormat(LogFormat format);

// A named value on a log line, for filtering and alerting: "peer=ana" in
// text (quoted when it holds spaces, quotes or "="), "peer":"ana" in JSON.
// Keys are short lowercase words; one that would clash with the line's own
// members (time, level, component, msg) is written with a "field_" prefix.
struct LogField {
  LogField(absl::string_view k, absl::string_view v) : key(k), value(v) {}
  LogField(absl::string_view k, const char* v) : key(k), value(v) {}
  LogField(absl::string_view k, const std::string& v) : key(k), value(v) {}
  template <typename Int, typename = std::enable_if_t<std::is_integral_v<Int>>>
  LogField(absl::string_view k, Int v) : key(k), value(std::to_string(v)), number(true) {}
  std::string key;
  std::string value;
  bool number = false;  // written as a JSON number
};
using LogFields = std::initializer_list<LogField>;

// `component`: a short lowercase name of the part that logs ("sync",
// "search", "store", ...).
void Log(LogLevel level, absl::string_view component, absl::string_view message,
         LogFields fields = {});
inline void LogDebug(absl::string_view c, absl::string_view m, LogFields f = {}) {
  Log(LogLevel::kDebug, c, m, f);
}
inline void LogInfo(absl::string_view c, absl::string_view m, LogFields f = {}) {
  Log(LogLevel::kInfo, c, m, f);
}
inline void LogWarning(absl::string_view c, absl::string_view m, LogFields f = {}) {
  Log(LogLevel::kWarning, c, m, f);
}
inline void LogError(absl::string_view c, absl::string_view m, LogFields f = {}) {
  Log(LogLevel::kError, c, m, f);
}

// One log line, without the newline: what Log writes (for tests).
std::string FormatLogLine(LogFormat format, absl::Time time, LogLevel level,
                          absl::string_view component, absl::string_view message,
                          LogFields fields = {});

}  // namespace minga

#endif  // MINGA_NODE_CORE_LOG_H_
