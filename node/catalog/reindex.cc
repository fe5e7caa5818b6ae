// Catalog: search and rebuilding the search index.
#include "absl/strings/match.h"
#include "node/catalog/catalog.h"
#include "node/catalog/search.h"
#include "node/catalog/search_index.h"
#include "node/core/status_macros.h"

namespace minga {

absl::StatusOr<v1::SearchResponse> Catalog::Search(const v1::SearchRequest& request) {
  return ::minga::Search(kv_, *options_.keyring, request);
}

absl::Status Catalog::Reindex(const std::function<void(uint64_t, uint64_t)>& progress) {
  constexpr size_t kChunk = 500;
  absl::MutexLock lock(&write_mu_);
  // Drop every index key, a chunk per write.
  {
    auto it = kv_->NewIterator(Cf::kIndex);
    WriteBatch batch;
    for (it->Seek(""); it->Valid(); it->Next()) {
      batch.Delete(Cf::kIndex, it->key());
      if (batch.ops().size() >= 10000) {
        RETURN_IF_ERROR(kv_->Write(batch, WriteOptions{}));
        batch = WriteBatch();
      }
    }
    RETURN_IF_ERROR(it->status());
    RETURN_IF_ERROR(kv_->Write(batch, WriteOptions{}));
  }
  uint64_t total = 0;
  {
    auto it = kv_->NewIterator(Cf::kMaterials);
    for (it->Seek(""); it->Valid(); it->Next()) {
      ASSIGN_OR_RETURN(Entry e, DecodeEntry(it->key(), it->value()));
      total += e.has_body() ? 1 : 0;
    }
    RETURN_IF_ERROR(it->status());
  }
  uint64_t done = 0;
  progress(0, total);
  auto it = kv_->NewIterator(Cf::kMaterials);
  auto txn = std::make_unique<Txn>(kv_);
  size_t in_txn = 0;
  for (it->Seek(""); it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(Entry e, DecodeEntry(it->key(), it->value()));
    if (!e.has_body()) continue;
    RETURN_IF_ERROR(IndexAdd(txn.get(), it->key(), *e.material, e.header.time_unix_micros()));
    ++done;
    if (++in_txn == kChunk) {
      RETURN_IF_ERROR(txn->Commit(WriteOptions{}));
      txn = std::make_unique<Txn>(kv_);
      in_txn = 0;
      progress(done, total);
    }
  }
  RETURN_IF_ERROR(it->status());
  RETURN_IF_ERROR(txn->Commit(WriteOptions{.sync = true}));
  progress(done, total);
  return absl::OkStatus();
}

}  // namespace minga
