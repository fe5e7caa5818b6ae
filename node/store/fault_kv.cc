#include "node/store/fault_kv.h"

namespace minga {

void FaultKv::WaitForRelease(bool* held) {
  absl::MutexLock lock(&hold_mu_);
  hold_mu_.Await(absl::Condition(
      +[](bool* h) { return !*h; }, held));
}

absl::Status FaultKv::Write(const WriteBatch& batch, const WriteOptions& options) {
  WaitForRelease(&held_);
  writes_.fetch_add(1);
  if (options.sync) synced_writes_.fetch_add(1);
  if (countdown_.load() > 0 && countdown_.fetch_sub(1) == 1) {
    return absl::UnavailableError("injected write failure");
  }
  return base_->Write(batch, options);
}

absl::Status FaultKv::SyncLog() {
  WaitForRelease(&syncs_held_);
  synced_writes_.fetch_add(1);
  return base_->SyncLog();
}

}  // namespace minga
