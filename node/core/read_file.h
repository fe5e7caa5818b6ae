// Reading a whole small file (config, keys, certificates, import files),
// for both programs. Pure apart from the file system; thread-safe.
#ifndef MINGA_NODE_CORE_READ_FILE_H_
#define MINGA_NODE_CORE_READ_FILE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace minga {

// The bytes of the file at `path`. Errors name the path: NOT_FOUND when it
// does not exist ("cannot read 'P': No such file or directory"),
// PERMISSION_DENIED or UNAVAILABLE when it cannot be read, and
// INVALID_ARGUMENT when it holds more than `max_bytes` ("'P' is larger than
// N bytes"): the file is then not read further.
absl::StatusOr<std::string> ReadFileToString(const std::string& path, size_t max_bytes);

}  // namespace minga

#endif  // MINGA_NODE_CORE_READ_FILE_H_
