#include "node/store/mem_kv.h"

namespace minga {

class MemKvIterator : public KvIterator {
 public:
  MemKvIterator(MemKv* kv, Cf cf) : kv_(kv), cf_(cf) {}

  void Seek(absl::string_view key) override { Load(key, /*inclusive=*/true); }
  bool Valid() const override { return valid_; }
  void Next() override { Load(key_, /*inclusive=*/false); }
  absl::string_view key() const override { return key_; }
  absl::string_view value() const override { return value_; }
  absl::Status status() const override { return absl::OkStatus(); }

 private:
  void Load(absl::string_view from, bool inclusive) {
    absl::MutexLock lock(&kv_->mu_);
    const auto& table = kv_->tables_[static_cast<int>(cf_)];
    auto it = inclusive ? table.lower_bound(from) : table.upper_bound(from);
    valid_ = it != table.end();
    if (valid_) {
      key_ = it->first;
      value_ = it->second;
    }
  }

  MemKv* const kv_;
  const Cf cf_;
  bool valid_ = false;
  std::string key_;
  std::string value_;
};

absl::StatusOr<std::optional<std::string>> MemKv::Get(Cf cf, absl::string_view key) {
  absl::MutexLock lock(&mu_);
  const auto& table = tables_[static_cast<int>(cf)];
  auto it = table.find(key);
  if (it == table.end()) return std::nullopt;
  return it->second;
}

absl::Status MemKv::Write(const WriteBatch& batch, const WriteOptions&) {
  absl::MutexLock lock(&mu_);
  for (const WriteBatch::Op& op : batch.ops()) {
    auto& table = tables_[static_cast<int>(op.cf)];
    if (op.type == WriteBatch::Op::Type::kPut) {
      table.insert_or_assign(op.key, op.value);
    } else {
      table.erase(op.key);
    }
  }
  return absl::OkStatus();
}

std::unique_ptr<KvIterator> MemKv::NewIterator(Cf cf) {
  return std::make_unique<MemKvIterator>(this, cf);
}

size_t MemKv::Count(Cf cf) const {
  absl::MutexLock lock(&mu_);
  return tables_[static_cast<int>(cf)].size();
}

}  // namespace minga
