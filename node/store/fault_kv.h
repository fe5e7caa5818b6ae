// A KvStore wrapper that fails chosen writes, to test that a failed write
// leaves nothing behind. Thread-safe.
#ifndef MINGA_NODE_STORE_FAULT_KV_H_
#define MINGA_NODE_STORE_FAULT_KV_H_

#include <atomic>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "node/store/kv.h"

namespace minga {

class FaultKv : public KvStore {
 public:
  explicit FaultKv(KvStore* base) : base_(base) {}  // base: borrowed

  // The n-th Write from now (1 = the next one) fails with UNAVAILABLE and
  // applies nothing. 0 disarms.
  void FailWriteAfter(int n) { countdown_.store(n); }
  // While held, writes wait for the release (to line writers up behind
  // one that is writing).
  void HoldWrites(bool hold) {
    absl::MutexLock lock(&hold_mu_);
    held_ = hold;
  }
  // While held, SyncLog waits for the release (to look at a change that is
  // written but not yet on disk).
  void HoldSyncs(bool hold) {
    absl::MutexLock lock(&hold_mu_);
    syncs_held_ = hold;
  }
  int writes() const { return writes_.load(); }
  // Writes that asked to be synced and SyncLog calls (each an fsync on a
  // real store).
  int synced_writes() const { return synced_writes_.load(); }
  // Point reads of the materials family (each one a decode for callers).
  int material_reads() const { return material_reads_.load(); }

  absl::StatusOr<std::optional<std::string>> Get(Cf cf, absl::string_view key) override {
    if (cf == Cf::kMaterials) material_reads_.fetch_add(1);
    return base_->Get(cf, key);
  }
  absl::Status Write(const WriteBatch& batch, const WriteOptions& options) override;
  std::unique_ptr<KvIterator> NewIterator(Cf cf) override { return base_->NewIterator(cf); }
  uint64_t ApproximateDiskBytes() override { return base_->ApproximateDiskBytes(); }
  std::vector<std::pair<std::string, uint64_t>> EngineStats() override {
    return base_->EngineStats();
  }
  absl::Status CompactAll() override { return base_->CompactAll(); }
  absl::Status Flush() override { return base_->Flush(); }
  absl::Status SyncLog() override;
  absl::Status CompactRange(Cf cf, absl::string_view begin, absl::string_view end) override {
    return base_->CompactRange(cf, begin, end);
  }

 private:
  KvStore* const base_;
  std::atomic<int> countdown_{0};
  std::atomic<int> writes_{0};
  std::atomic<int> synced_writes_{0};
  std::atomic<int> material_reads_{0};
  absl::Mutex hold_mu_;
  bool held_ ABSL_GUARDED_BY(hold_mu_) = false;
  bool syncs_held_ ABSL_GUARDED_BY(hold_mu_) = false;
  // Blocks while *held (held_ or syncs_held_) is true.
  void WaitForRelease(bool* held) ABSL_LOCKS_EXCLUDED(hold_mu_);
};

}  // namespace minga

#endif  // MINGA_NODE_STORE_FAULT_KV_H_
