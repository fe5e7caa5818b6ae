// An in-memory KvStore for tests and simulations: fast, no disk.
//
// Thread-safe. Iterators see the data as it is when they move (each step
// looks up the next key under the lock), not a snapshot; callers already
// re-check what they read, as they do with RocksDB between calls.
#ifndef MINGA_NODE_STORE_MEM_KV_H_
#define MINGA_NODE_STORE_MEM_KV_H_

#include <array>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "node/store/kv.h"

namespace minga {

class MemKv : public KvStore {
 public:
  absl::StatusOr<std::optional<std::string>> Get(Cf cf, absl::string_view key) override;
  absl::Status Write(const WriteBatch& batch, const WriteOptions& options) override;
  std::unique_ptr<KvIterator> NewIterator(Cf cf) override;
  uint64_t ApproximateDiskBytes() override { return 0; }
  absl::Status CompactAll() override { return absl::OkStatus(); }
  absl::Status Flush() override { return absl::OkStatus(); }
  absl::Status SyncLog() override { return absl::OkStatus(); }
  absl::Status CompactRange(Cf, absl::string_view, absl::string_view) override {
    return absl::OkStatus();
  }

  // Number of keys in a column family (for tests).
  size_t Count(Cf cf) const;

 private:
  friend class MemKvIterator;
  using Table = std::map<std::string, std::string, std::less<>>;
  mutable absl::Mutex mu_;
  std::array<Table, kNumCfs> tables_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minga

#endif  // MINGA_NODE_STORE_MEM_KV_H_
