// DiskReserve: the free space a node keeps on the disk of its data
// directory. Below it the node refuses new writes itself (the store's, the
// chunk store's and the search index's; deletions still pass, as they are
// how space is freed), so RocksDB never meets a full disk
// (Debian's RocksDB 7.8 can abort when its write-ahead log meets ENOSPC),
// and flushes and compactions keep the room they need. Reads go on; writes
// are taken again as soon as space returns, with nothing to restart.
//
// The room kept is the configured reserve plus what the store has taken on
// to write by itself (SetStoreOwes): its memtables, which a flush turns into
// table files while their write-ahead log still holds the same bytes, and
// the compactions RocksDB has pending. A fixed reserve alone was not enough:
// in a slow (sanitized) build a memtable's flush met a full disk the 48 MiB
// reserve of tests/integration/disk_test.cc had been keeping.
//
// Thread safety: every method is safe from any thread. Errors: RESOURCE_EXHAUSTED
// saying the disk is full; a free space that cannot be read (statvfs
// failing) is not treated as full: the write goes on and meets the disk.
#ifndef MINGA_NODE_STORE_DISK_RESERVE_H_
#define MINGA_NODE_STORE_DISK_RESERVE_H_

#include <atomic>
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

  // OK when writing `bytes` more still leaves the reserve and what the
  // store owes free; otherwise DiskFullError(where, ...).
  absl::Status Check(uint64_t bytes, absl::string_view where = "") const;

  // The bytes the store will write without another Check (see above); the
  // store sets it after each write and each flush or compaction. One store
  // per reserve.
  void SetStoreOwes(uint64_t bytes) { store_owes_.store(bytes, std::memory_order_relaxed); }
  uint64_t store_owes() const { return store_owes_.load(std::memory_order_relaxed); }

  // Bytes free to this process on the disk of `dir`; nullopt when unknown.
  std::optional<uint64_t> FreeBytes() const;

  uint64_t reserve_bytes() const { return reserve_bytes_; }

 private:
  const std::string dir_;
  const uint64_t reserve_bytes_;
  std::atomic<uint64_t> store_owes_{0};
};

}  // namespace minga

#endif  // MINGA_NODE_STORE_DISK_RESERVE_H_
