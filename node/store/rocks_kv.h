// KvStore on RocksDB: one column family per Cf, the write-ahead log on,
// memtables bounded together, zstd for the materials.
// The options and why are in rocks_kv.cc and docs/performance.md.
// The only file of the node that includes RocksDB (tests/util/power_cut_fs
// does too, to simulate power cuts under it).
//
// Thread-safe. RocksDB statuses become absl::Status here: corruption is
// DATA_LOSS, I/O errors UNAVAILABLE, a data directory held by another
// process FAILED_PRECONDITION.
#ifndef MINGA_NODE_STORE_ROCKS_KV_H_
#define MINGA_NODE_STORE_ROCKS_KV_H_

#include <memory>
#include <string>

#include "node/store/disk_reserve.h"
#include "node/store/kv.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace minga {

struct RocksKvOptions {
  // Directory of the database; created if missing.
  std::string path;
  // Block cache for reads, in bytes. Default 32 MiB.
  size_t block_cache_bytes = 32 << 20;
  // All memtables together, in bytes; also the most write-ahead log kept.
  // Default 64 MiB.
  size_t memtable_bytes = 64 << 20;
  // Use an in-memory file system (tests that want RocksDB's behaviour
  // without a disk). Default false.
  bool in_memory = false;
  // Below this reserve of free space writes are refused before RocksDB
  // sees them (disk_reserve.h); the store keeps the reserve told of what
  // its flushes and compactions will write. Borrowed; must outlive the
  // store. Null: no reserve.
  DiskReserve* reserve = nullptr;
  // Tests only: the RocksDB Env to open with (a file system that simulates
  // power cuts). Borrowed; must outlive the store. Null: the real one.
  rocksdb::Env* env = nullptr;
};

absl::StatusOr<std::unique_ptr<KvStore>> OpenRocksKv(const RocksKvOptions& options);

}  // namespace minga

#endif  // MINGA_NODE_STORE_ROCKS_KV_H_
