// The store behind the catalog: a few ordered key-value column families,
// written atomically in batches. The RocksDB implementation (rocks_kv.h) is
// the only code that includes RocksDB; tests use MemKv (mem_kv.h) and
// FaultKv (fault_kv.h), which fails chosen writes.
//
// Thread safety: implementations are safe for concurrent use. An iterator is
// used by one thread at a time and must not outlive its store.
#ifndef MINGA_NODE_STORE_KV_H_
#define MINGA_NODE_STORE_KV_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace minga {

// Column families. See keys.h for what each holds and its key layout.
enum class Cf : int {
  kMaterials = 0,
  kFeed,
  // Search postings of schema 1; emptied on upgrade (the search index is a
  // view of its own now). Kept so RocksDB opens stores that have it.
  kLegacyIndex,
  kPeers,
  // Chunk bytes of schemas 1 and 2; moved to the ChunkStore on upgrade.
  kLegacyChunks,
  kChunkRefs,
  kMeta,
  kAudit,
  // The mass-delete interlock's accounts and held bodies (keys.h).
  kHeld,
};
inline constexpr int kNumCfs = 9;

// The RocksDB column family name ("materials", "feed", ...).
absl::string_view CfName(Cf cf);

// Changes applied all together or not at all.
class WriteBatch {
 public:
  struct Op {
    enum class Type { kPut, kDelete };
    Type type;
    Cf cf;
    std::string key;
    std::string value;
  };

  void Put(Cf cf, absl::string_view key, absl::string_view value);
  void Delete(Cf cf, absl::string_view key);

  const std::vector<Op>& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }
  size_t ApproximateBytes() const { return bytes_; }

 private:
  std::vector<Op> ops_;
  size_t bytes_ = 0;
};

struct WriteOptions {
  // Wait until the write is on stable storage (fsync of the log) before
  // returning. Client writes set it: an acknowledged write survives a crash.
  bool sync = false;
};

class KvIterator {
 public:
  virtual ~KvIterator() = default;
  // Positions at the first key >= `key`.
  virtual void Seek(absl::string_view key) = 0;
  virtual bool Valid() const = 0;
  // REQUIRES: Valid().
  virtual void Next() = 0;
  // REQUIRES: Valid(). Views stay valid until the next move.
  virtual absl::string_view key() const = 0;
  virtual absl::string_view value() const = 0;
  // Non-OK if iteration stopped on an error rather than at the end.
  virtual absl::Status status() const = 0;
};

class KvStore {
 public:
  virtual ~KvStore() = default;

  // The value, std::nullopt when the key is absent, or an error
  // (UNAVAILABLE/DATA_LOSS/INTERNAL) when the store could not be read.
  virtual absl::StatusOr<std::optional<std::string>> Get(Cf cf, absl::string_view key) = 0;

  // Applies every change of `batch`, or none (then returns the error).
  virtual absl::Status Write(const WriteBatch& batch, const WriteOptions& options) = 0;

  // An iterator over one column family in key order. Seek before use.
  virtual std::unique_ptr<KvIterator> NewIterator(Cf cf) = 0;

  // Bytes the store takes on disk (0 for in-memory stores).
  virtual uint64_t ApproximateDiskBytes() = 0;

  // Compacts everything so deleted values free their space. May be slow.
  virtual absl::Status CompactAll() = 0;

  // Writes what is only in memory (and in the write-ahead log) to the
  // store's files, so the log can go.
  virtual absl::Status Flush() = 0;

  // Makes every write made before the call durable, as if each had been
  // synced (an fsync of the write-ahead log): a writer that wrote without
  // `sync` and must not be acknowledged before the disk has it calls this
  // after releasing its locks. Thread-safe.
  virtual absl::Status SyncLog() = 0;

  // Reads every stored block and checks its checksum: DATA_LOSS naming the
  // file when one is damaged. Slow (reads the whole store); thread-safe.
  virtual absl::Status VerifyChecksums() { return absl::OkStatus(); }
  // The first damage (a failed checksum) any call met, empty while none
  // did. Thread-safe.
  virtual std::string damage() const { return ""; }
  // Compacts the keys in [begin, end) of `cf` down to the last level: old
  // and deleted values there leave the files.
  virtual absl::Status CompactRange(Cf cf, absl::string_view begin, absl::string_view end) = 0;
  // The storage engine's own figures for monitoring (write stalls,
  // compactions, memtables), as name and value; names are lowercase with
  // underscores. None for stores without an engine. Thread-safe.
  virtual std::vector<std::pair<std::string, uint64_t>> EngineStats() { return {}; }
};

}  // namespace minga

#endif  // MINGA_NODE_STORE_KV_H_
