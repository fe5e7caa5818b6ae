#include "node/catalog/txn.h"

#include "absl/strings/match.h"

namespace minga {

absl::StatusOr<std::optional<std::string>> Txn::Get(Cf cf, absl::string_view key) {
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

absl::StatusOr<bool> Txn::AnyWithPrefix(Cf cf, absl::string_view prefix) {
  const int c = static_cast<int>(cf);
  for (auto it = overlay_.lower_bound(std::make_pair(c, std::string(prefix)));
       it != overlay_.end() && it->first.first == c && absl::StartsWith(it->first.second, prefix);
       ++it) {
    if (it->second.has_value()) return true;
  }
  auto it = kv_->NewIterator(cf);
  for (it->Seek(prefix); it->Valid() && absl::StartsWith(it->key(), prefix); it->Next()) {
    auto o = overlay_.find(std::make_pair(c, std::string(it->key())));
    if (o == overlay_.end() || o->second.has_value()) return true;
  }
  if (!it->status().ok()) return it->status();
  return false;
}

void Txn::ForEachWrite(
    Cf cf, absl::string_view prefix,
    const std::function<void(absl::string_view, const std::optional<std::string>&)>& fn) const {
  const int c = static_cast<int>(cf);
  for (auto it = overlay_.lower_bound(std::make_pair(c, std::string(prefix)));
       it != overlay_.end() && it->first.first == c && absl::StartsWith(it->first.second, prefix);
       ++it) {
    fn(it->first.second, it->second);
  }
}

absl::Status Txn::Commit(const WriteOptions& options) {
  if (batch_.empty()) return absl::OkStatus();
  return kv_->Write(batch_, options);
}

}  // namespace minga
