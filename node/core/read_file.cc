#include "node/core/read_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"

namespace minga {

absl::StatusOr<std::string> ReadFileToString(const std::string& path, size_t max_bytes) {
  auto error = [&path](int err) {
    const std::string message = absl::StrCat("cannot read '", path, "': ", std::strerror(err));
    if (err == ENOENT || err == ENOTDIR) return absl::NotFoundError(message);
    if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
    return absl::UnavailableError(message);
  };
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (file == nullptr) return error(errno);
  std::string out;
  char buffer[64 << 10];
  while (true) {
    const size_t n = std::fread(buffer, 1, sizeof(buffer), file.get());
    if (n > 0) {
      if (out.size() + n > max_bytes) {
        return absl::InvalidArgumentError(
            absl::StrCat("'", path, "' is larger than ", max_bytes, " bytes"));
      }
      out.append(buffer, n);
    }
    if (n < sizeof(buffer)) {
      // A directory opens but does not read (EISDIR).
      if (std::ferror(file.get())) return error(errno);
      return out;
    }
  }
}

}  // namespace minga
