#include "node/catalog/feed_reader.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "node/core/audience.h"
#include "node/core/status_macros.h"
#include "node/core/subscription.h"
#include "node/store/keys.h"

namespace minga {

absl::StatusOr<v1::PullBatch> FeedReader::ReadBatch(const PullQuery& query) {
  const uint32_t max_revisions =
      std::clamp<uint32_t>(query.max_revisions == 0 ? kDefaultBatchRevisions : query.max_revisions,
                           1, kMaxBatchRevisions);
  const uint32_t max_bytes = std::clamp<uint32_t>(
      query.max_bytes == 0 ? kDefaultBatchBytes : query.max_bytes, 4096, kMaxBatchBytes);
  // A checkpoint of another feed (this store was rebuilt), or one beyond
  // this feed's head (the store went back in time, restored from a backup
  // say), means nothing here: start from the beginning.
  // The head this decision saw is the head the batch reports: a batch from
  // 0 that stops short of the caller's checkpoint must say the head is
  // behind it, even if writes moved the head on meanwhile, or the caller
  // would keep a checkpoint that now means other changes.
  const uint64_t head = w_.head_lseq();
  const uint64_t start =
      query.feed_id == w_.feed_id() && query.after_lseq <= head ? query.after_lseq : 0;

  v1::PullBatch batch;
  batch.set_feed_id(w_.feed_id());
  batch.set_from_lseq(start);
  uint64_t reached = start;
  size_t bytes = 0;
  auto it = kv_->NewIterator(Cf::kFeed);
  for (it->Seek(EncodeU64(start + 1)); it->Valid(); it->Next()) {
    if (batch.revisions_size() >= static_cast<int>(max_revisions)) break;
    const std::optional<uint64_t> lseq = DecodeU64(it->key());
    if (!lseq.has_value()) return absl::DataLossError("store: bad feed key");
    // Past the head the change may not be on disk yet (CommitUnsynced):
    // a partner must never hold what this node could still lose.
    if (*lseq > head) break;
    const std::string id = ParseFeedValue(it->value()).id;
    // The stored record only: the body is decoded just when a subscription
    // must look inside it.
    ASSIGN_OR_RETURN(std::optional<v1::storage::StoredEntry> stored, LoadStored(kv_, id));
    if (!stored.has_value() || stored->lseq() != *lseq) {
      // Superseded while we read: it is served at its newer position.
      reached = *lseq;
      continue;
    }
    v1::RevisionHeader h;
    if (!h.ParseFromString(stored->signed_().header())) {
      return absl::DataLossError(absl::StrCat("store: entry '", id, "' is corrupt: header"));
    }
    v1::Revision rev;
    bool send_body =
        !stored->body().empty() && InAudience(h.audience(), h.origin(), query.requester);
    if (send_body) {
      v1::Material m;
      if (SubscriptionLooksInsideBodies(query.subscription) && !m.ParseFromString(stored->body())) {
        return absl::DataLossError(absl::StrCat("store: entry '", id, "' is corrupt: body"));
      }
      send_body = SubscriptionMatches(query.subscription, h.origin(), m);
    }
    if (send_body) rev.set_body(std::move(*stored->mutable_body()));
    *rev.mutable_signed_() = std::move(*stored->mutable_signed_());
    const size_t size = rev.ByteSizeLong();
    if (batch.revisions_size() > 0 && bytes + size > max_bytes) break;
    bytes += size;
    *batch.add_revisions() = std::move(rev);
    reached = *lseq;
  }
  RETURN_IF_ERROR(it->status());
  batch.set_to_lseq(reached);
  batch.set_revision_count(batch.revisions_size());
  batch.set_head_lseq(std::max(head, reached));
  batch.set_head_time_unix_micros(w_.head_time_micros());
  return batch;
}

absl::StatusOr<std::vector<FeedChange>> FeedReader::ReadFeed(uint64_t after_lseq, size_t max) {
  std::vector<FeedChange> out;
  // Up to the head only, as for partners: a view records the position it
  // reached, which must never pass what survives a crash.
  const uint64_t head = w_.head_lseq();
  auto it = kv_->NewIterator(Cf::kFeed);
  for (it->Seek(EncodeU64(after_lseq + 1)); it->Valid() && out.size() < max; it->Next()) {
    const std::optional<uint64_t> lseq = DecodeU64(it->key());
    if (!lseq.has_value()) return absl::DataLossError("store: bad feed key");
    if (*lseq > head) break;
    FeedEntry e = ParseFeedValue(it->value());
    out.push_back({*lseq, std::move(e.id), e.has_body});
  }
  RETURN_IF_ERROR(it->status());
  return out;
}

}  // namespace minga
