// DiskReserve: the free space a node keeps on the disk of its data
// directory. Below it the node refuses new writes itself (the store's, the
// chunk store's and the search index's; deletions still pass, as they are
// how space is freed), so RocksDB never meets a full disk
// (Debian's RocksDB 7.8 can abort when its write-ahead log meets ENOSPC),
// and flushes and compactions keep the room they need. Reads go on; writes
// are taken again as soon as space returns, with nothing to restart.
//
// Thread safety: Check is safe from any thread. Errors: RESOURCE_EXHAUSTED
// saying the disk is full; a free space that cannot be read (statvfs
// failing) is not treated as full: the write goes on and meets the disk.
#ifndef MINGA_NODE_STORE_DISK_RESERVE_H_
#define MINGA_NODE_STORE_DISK_RESERVE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace minga {

// The one error every writer gives when the disk of the data directory is
// full, by the reserve or for real: RESOURCE_EXHAUSTED, "<where>the disk of
// the data directory is full (<detail>); reads go on, and writes resume by
// themselves once space is freed".
absl::Status DiskFullError(absl::string_view where, absl::string_view detail);

class DiskReserve {
 public:
  // `dir` is any path on the disk to watch; `reserve_bytes` 0 checks
  // nothing (in-memory stores, tests).
  DiskReserve(std::string dir, uint64_t reserve_bytes)
      : dir_(std::move(dir)), reserve_bytes_(reserve_bytes) {}

  // OK when writing `bytes` more still leaves the reserve free; otherwise
  // DiskFullError(where, ...).
  absl::Status Check(uint64_t bytes, absl::string_view where = "") const;

  // Bytes free to this process on the disk of `dir`; nullopt when unknown.
  std::optional<uint64_t> FreeBytes() const;

  uint64_t reserve_bytes() const { return reserve_bytes_; }

 private:
  const std::string dir_;
  const uint64_t reserve_bytes_;
};

}  // namespace minga

#endif  // MINGA_NODE_STORE_DISK_RESERVE_H_
