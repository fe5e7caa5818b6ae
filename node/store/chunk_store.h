// ChunkStore: the bytes of file chunks, content addressed by SHA-256,
// outside the key-value store. Which chunks a node holds, and which
// materials list them, stays in the catalog's transactions (chunk_refs.h);
// the bytes are written before the transaction that records them and
// removed after the one that forgets them, so a crash leaves orphan bytes
// (removed by the catalog's sweep at open), and a recorded chunk without
// its bytes only where they were not yet synced (found when read, and
// fetched again, as damaged bytes are).
//
// On disk (OpenFileChunkStore) chunks are appended to pack files,
// <dir>/packs/<8 digits>.pack, each record a 48-byte header (magic, flags,
// size, CRC32C, SHA-256) and the chunk's bytes. The CRC32C lets a read
// tell that the disk kept the bytes at a sixth of the cost of hashing
// them again with SHA-256 (a node reads every chunk it serves). Creating a
// file per chunk cost an inode each, and ext4 without a journal scans past
// every inode deleted in the last minutes to allocate one: up to a
// millisecond a chunk. A pack takes a new inode every 64 MiB. Deleting a
// chunk marks its header and punches its bytes out of the pack (fallocate;
// zeros written where that is not supported), so a retracted chunk's bytes
// leave the node's files as soon as its retraction commits; a pack with
// nothing left in it is removed. At open the packs are scanned to rebuild
// the index in memory (one header read per chunk); a record cut short by a
// crash ends its pack there. Chunks of the older layout, a file each
// (<dir>/<2 hex>/<64 hex>), are moved into packs at open.
//
// Appends start their write-back at once, and the pages of a pack more
// than 8 MiB behind its end leave the page cache once written back
// (drop-behind): a node taking in gigabytes of files reuses a few
// megabytes of cache rather than evicting everything else cached, and on
// virtual machines whose host reclaims free guest memory it does not pay
// the first touch of fresh pages for every chunk (docs/performance.md).
// A chunk read later comes from the disk.
//
// Thread safety: implementations are safe for concurrent use.
#ifndef MINGA_NODE_STORE_CHUNK_STORE_H_
#define MINGA_NODE_STORE_CHUNK_STORE_H_

#include <cstdint>
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
  // A chunk read back, and whether the store's own checksum vouches for it.
  struct Read {
    std::optional<std::string> data;  // nullopt when absent
    bool intact = false;              // the bytes passed the store's checksum
  };
  // Get, and whether the bytes are those that were put: the pack store
  // checks the CRC32C it wrote with each record (records written before
  // it had one, and the memory store, vouch for nothing). Bytes that fail
  // come back with `intact` false, for the caller's hash check to find.
  virtual absl::StatusOr<Read> GetChecked(absl::string_view sha);
  // Removes the chunk; absent is OK.
  virtual absl::Status Delete(absl::string_view sha) = 0;
  // Makes every Put so far durable (before the synced write that records
  // them).
  virtual absl::Status Sync() = 0;
  // Calls `fn` with every stored hash.
  virtual absl::Status ForEach(const std::function<void(const std::string& sha)>& fn) = 0;
};

std::unique_ptr<ChunkStore> NewMemChunkStore();
// A new pack is started once the one written to reaches this size.
inline constexpr uint64_t kPackBytes = 64 << 20;

// `dir` is created if missing. UNAVAILABLE when it cannot be used or read.
// Put refuses with RESOURCE_EXHAUSTED below `reserve` (borrowed, must
// outlive the store; null: no reserve) and when the disk is full.
// `pack_bytes`: for tests.
absl::StatusOr<std::unique_ptr<ChunkStore>> OpenFileChunkStore(const std::string& dir,
                                                               const DiskReserve* reserve = nullptr,
                                                               uint64_t pack_bytes = kPackBytes);

}  // namespace minga

#endif  // MINGA_NODE_STORE_CHUNK_STORE_H_
