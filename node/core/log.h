// Minimal logging to stderr: one line per call, with UTC time and level.
// Thread-safe (a single write per line). This abseil has no absl/log.
#ifndef MINGA_NODE_CORE_LOG_H_
#define MINGA_NODE_CORE_LOG_H_

#include "absl/strings/string_view.h"

namespace minga {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Lines below `level` are dropped. Default kInfo; MINGA_LOG_LEVEL=debug in
// the environment lowers it.
void SetLogLevel(LogLevel level);

void Log(LogLevel level, absl::string_view message);
inline void LogDebug(absl::string_view m) { Log(LogLevel::kDebug, m); }
inline void LogInfo(absl::string_view m) { Log(LogLevel::kInfo, m); }
inline void LogWarning(absl::string_view m) { Log(LogLevel::kWarning, m); }
inline void LogError(absl::string_view m) { Log(LogLevel::kError, m); }

}  // namespace minga

#endif  // MINGA_NODE_CORE_LOG_H_
