#include "node/catalog/txn.h"

namespace minga {

absl::StatusOr<std::optional<std::string>> Txn::Get(Cf cf,
                                                     absl::string_view key) {
  auto it = overlay_.find(std::make_pair(static_cast<int>(cf), std::string(key)));
  if (it != overlay_.end()) return it->second;
  return kv_->Get(cf, key);
}

void Txn::Put(Cf cf, absl::string_view key, absl::string_view value) {
  batch_.Put(cf, key, value);
  overlay_[{static_cast<int>(cf), std::string(key)}] = std::string(value);
}

void Txn::Delete(Cf cf, absl::string_view key) {
  batch_.Delete(cf, key);
  overlay_[{static_cast<int>(cf), std::string(key)}] = std::nullopt;
}

absl::Status Txn::Commit(const WriteOptions& options) {
  if (batch_.empty()) return absl::OkStatus();
  return kv_->Write(batch_, options);
}

}  // namespace minga
