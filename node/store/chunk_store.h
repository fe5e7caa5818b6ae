// ChunkStore: the bytes of file chunks, content addressed by SHA-256,
// outside the key-value store. Which chunks a node holds, and which
// materials list them, stays in the catalog's transactions (chunk_refs.h);
// the bytes are written before the transaction that records them and
// removed after the one that forgets them, so a crash can leave an orphan
// file but never a recorded chunk without bytes. An orphan is removed by
// the catalog's sweep at open.
//
// On disk (FileChunkStore) each chunk is a file, <dir>/<2 hex>/<64 hex>:
// a retracted chunk's bytes leave the node's files as soon as its
// retraction commits (RocksDB would keep them in blob files until a
// compaction), and chunks stream to and from disk without passing through
// a write-ahead log.
//
// Thread safety: implementations are safe for concurrent use.
#ifndef MINGA_NODE_STORE_CHUNK_STORE_H_
#define MINGA_NODE_STORE_CHUNK_STORE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "node/store/disk_reserve.h"

namespace minga {

class ChunkStore {
 public:
  virtual ~ChunkStore() = default;
  // Writes `data` for `sha` (32 raw bytes), replacing what is there. Not
  // synced: Sync makes every earlier Put durable.
  virtual absl::Status Put(absl::string_view sha, absl::string_view data) = 0;
  // The bytes, or nullopt when absent.
  virtual absl::StatusOr<std::optional<std::string>> Get(absl::string_view sha) = 0;
  // Removes the chunk; absent is OK.
  virtual absl::Status Delete(absl::string_view sha) = 0;
  // Makes every Put so far durable (before the synced write that records
  // them).
  virtual absl::Status Sync() = 0;
  // Calls `fn` with every stored hash.
  virtual absl::Status ForEach(const std::function<void(const std::string& sha)>& fn) = 0;
};

std::unique_ptr<ChunkStore> NewMemChunkStore();
// `dir` is created if missing. UNAVAILABLE when it cannot be used. Put
// refuses with RESOURCE_EXHAUSTED below `reserve` (borrowed, must outlive
// the store; null: no reserve) and when the disk is full.
absl::StatusOr<std::unique_ptr<ChunkStore>> OpenFileChunkStore(
    const std::string& dir, const DiskReserve* reserve = nullptr);

}  // namespace minga

#endif  // MINGA_NODE_STORE_CHUNK_STORE_H_
