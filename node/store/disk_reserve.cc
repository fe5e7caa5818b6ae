#include "node/store/disk_reserve.h"

#include <sys/statvfs.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace minga {

std::optional<uint64_t> DiskReserve::FreeBytes() const {
  struct statvfs fs;
  if (::statvfs(dir_.c_str(), &fs) != 0) return std::nullopt;
  return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

absl::Status DiskFullError(absl::string_view where, absl::string_view detail) {
  return absl::ResourceExhaustedError(
      absl::StrCat(where, "the disk of the data directory is full (", detail,
                   "); reads go on, and writes resume by themselves once space "
                   "is freed"));
}

absl::Status DiskReserve::Check(uint64_t bytes, absl::string_view where) const {
  if (reserve_bytes_ == 0) return absl::OkStatus();
  const std::optional<uint64_t> free = FreeBytes();
  const uint64_t owes = store_owes();
  if (!free.has_value() || *free >= reserve_bytes_ + owes + bytes) return absl::OkStatus();
  constexpr uint64_t kMiB = 1 << 20;
  std::string detail = absl::StrCat(*free / kMiB, " MiB free, under the ", reserve_bytes_ / kMiB,
                                    " MiB the node keeps free: store.disk_reserve_mb");
  if (owes > 0) {
    absl::StrAppend(&detail, ", plus ", (owes + kMiB - 1) / kMiB,
                    " MiB its store's flushes and compactions will write");
  }
  return DiskFullError(where, detail);
}

}  // namespace minga
