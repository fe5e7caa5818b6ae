// Logging to stderr for a service manager: one line per event, with UTC
// time, level, the component that logs it, and the message; as text
// ("2026-12-03T10:00:00.000Z WARN sync: ...") or as one JSON object per
// line for log collectors. Thread-safe (a single write per line). This
// abseil has no absl/log.
#ifndef MINGA_NODE_CORE_LOG_H_
#define MINGA_NODE_CORE_LOG_H_

#include <string>

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

// `component`: a short lowercase name of the part that logs ("sync",
// "search", "store", ...).
void Log(LogLevel level, absl::string_view component, absl::string_view message);
inline void LogDebug(absl::string_view c, absl::string_view m) { Log(LogLevel::kDebug, c, m); }
inline void LogInfo(absl::string_view c, absl::string_view m) { Log(LogLevel::kInfo, c, m); }
inline void LogWarning(absl::string_view c, absl::string_view m) { Log(LogLevel::kWarning, c, m); }
inline void LogError(absl::string_view c, absl::string_view m) { Log(LogLevel::kError, c, m); }

// One log line, without the newline: what Log writes (for tests).
std::string FormatLogLine(LogFormat format, absl::Time time, LogLevel level,
                          absl::string_view component, absl::string_view message);

}  // namespace minga

#endif  // MINGA_NODE_CORE_LOG_H_
