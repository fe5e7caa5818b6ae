#include "node/catalog/writer.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "node/catalog/chunk_refs.h"
#include "node/catalog/tally.h"
#include "node/core/audience.h"
#include "node/core/log.h"
#include "node/core/status_macros.h"
#include "node/store/keys.h"

namespace minga {
namespace {

// The chunks an entry references: its body's, or those a header-only entry
// retained.
std::set<std::string> ChunksReferencedBy(const Entry& e) {
  if (e.has_body()) return ChunksOf(&*e.material);
  return {e.stored.retained_chunk_sha256().begin(), e.stored.retained_chunk_sha256().end()};
}

}  // namespace

CatalogWriter::CatalogWriter(KvStore* kv, CatalogOptions options)
    : kv_(kv), options_(std::move(options)), versions_(options_.clock) {}

void CatalogWriter::Restore(std::string feed_id, uint64_t last_lseq, v1::storage::Tally tally) {
  feed_id_ = std::move(feed_id);
  {
    absl::MutexLock lock(&mu);
    last_lseq_ = last_lseq;
    tally_ = tally;
  }
  {
    absl::MutexLock lock(&tally_mu_);
    published_tally_ = std::move(tally);
  }
  PublishHead(last_lseq);
}

Pending CatalogWriter::Begin() { return Pending(kv_, last_lseq_, tally_); }

bool CatalogWriter::Pinned(const std::string& sha) const { return pinned_.count(sha) > 0; }

v1::storage::Tally CatalogWriter::PublishedTally() const {
  absl::MutexLock lock(&tally_mu_);
  return published_tally_;
}

absl::Status CatalogWriter::StoreEntry(Pending* pending, const std::string& id,
                                       const std::optional<Entry>& old, Entry* entry,
                                       absl::string_view actor, absl::string_view action) {
  Txn& txn = pending->txn;
  const uint64_t lseq = ++pending->last_lseq;
  entry->stored.set_lseq(lseq);
  if (old.has_value()) txn.Delete(Cf::kFeed, EncodeU64(old->stored.lseq()));
  txn.Put(Cf::kFeed, EncodeU64(lseq), FeedValue(id, entry->has_body()));
  std::set<std::string> before;
  if (old.has_value()) before = ChunksReferencedBy(*old);
  std::set<std::string> after;
  entry->stored.clear_retained_chunk_sha256();
  if (entry->has_body()) {
    after = ChunksOf(&*entry->material);
  } else if (entry->lost_chunks == Entry::LostChunks::kKeep ||
             (entry->lost_chunks == Entry::LostChunks::kByAudience && !entry->header.deleted() &&
              InAudience(entry->header.audience(), entry->header.origin(), options_.org_id))) {
    // A newer header without its body while this node is still in the
    // audience: the body is on its way by another path. Keep the chunks
    // stored here until it comes, a retraction or a narrowing. (Or the
    // interlock holds the purge of the body: keep them until released.)
    for (const std::string& sha : before) {
      ASSIGN_OR_RETURN(std::optional<std::string> present,
                       txn.Get(Cf::kChunkRefs, PresentKey(sha)));
      if (!present.has_value()) continue;
      after.insert(sha);
      entry->stored.add_retained_chunk_sha256(sha);
    }
  }
  if (old.has_value()) {
    CountEntry(id, *old, -1, options_.org_id, &pending->tally);
    RETURN_IF_ERROR(CountFiles(&txn, id, *old, -1, &pending->tally));
  }
  RETURN_IF_ERROR(UpdateChunkRefs(
      &txn, id, before, after, entry->has_body(),
      [this](const std::string& sha) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return pinned_.count(sha) > 0;  // under mu, held by the caller
      },
      &pending->dropped_chunks));
  CountEntry(id, *entry, +1, options_.org_id, &pending->tally);
  RETURN_IF_ERROR(CountFiles(&txn, id, *entry, +1, &pending->tally));
  // The audit records what administrators did here; what peers sent is in
  // each entry's provenance. It keeps the changes of the last
  // kAuditWindow local sequence numbers: a key ages out as the feed passes.
  if (!action.empty()) {
    v1::storage::AuditRecord audit;
    audit.set_time_unix_micros(options_.clock->NowMicros());
    audit.set_actor(std::string(actor));
    audit.set_action(std::string(action));
    audit.set_material_id(id);
    audit.set_version(entry->header.version());
    txn.Put(Cf::kAudit, EncodeU64(lseq), audit.SerializeAsString());
  }
  if (lseq > kAuditWindow) txn.Delete(Cf::kAudit, EncodeU64(lseq - kAuditWindow));
  txn.Put(Cf::kMaterials, id, entry->stored.SerializeAsString());
  const bool had_body =
      old.has_value() && (old->has_body() || !old->stored.retained_chunk_sha256().empty());
  pending->changes.push_back({lseq, id, entry->has_body(), had_body && !entry->has_body()});
  return absl::OkStatus();
}

absl::Status CatalogWriter::Purge(Pending* pending, const std::string& id, const Entry& old) {
  Txn& txn = pending->txn;
  const uint64_t lseq = ++pending->last_lseq;
  // The id moves to the feed's end with no entry: pullers skip it, the
  // search view drops it.
  txn.Delete(Cf::kFeed, EncodeU64(old.stored.lseq()));
  txn.Put(Cf::kFeed, EncodeU64(lseq), FeedValue(id, false));
  const std::set<std::string> before = ChunksReferencedBy(old);
  CountEntry(id, old, -1, options_.org_id, &pending->tally);
  RETURN_IF_ERROR(CountFiles(&txn, id, old, -1, &pending->tally));
  RETURN_IF_ERROR(UpdateChunkRefs(
      &txn, id, before, {}, false,
      [this](const std::string& sha) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return pinned_.count(sha) > 0;  // under mu, held by the caller
      },
      &pending->dropped_chunks));
  txn.Delete(Cf::kMaterials, id);
  pending->changes.push_back({lseq, id, false, old.has_body() || !before.empty()});
  return absl::OkStatus();
}

absl::Status CatalogWriter::SetWanted(Pending* pending, const std::vector<std::string>& ids,
                                      absl::string_view sha, bool wanted) {
  for (const std::string& id : ids) {
    ASSIGN_OR_RETURN(std::shared_ptr<const Entry> e, LoadDecoded(&pending->txn, id));
    const bool has_body = e != nullptr && e->has_body();
    if (has_body) RETURN_IF_ERROR(CountFiles(&pending->txn, id, *e, -1, &pending->tally, sha));
    if (!wanted) {
      pending->txn.Delete(Cf::kChunkRefs, WantKey(id, sha));
    } else if (has_body) {
      pending->txn.Put(Cf::kChunkRefs, WantKey(id, sha), "");
    }
    if (has_body) RETURN_IF_ERROR(CountFiles(&pending->txn, id, *e, +1, &pending->tally, sha));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const Entry>> CatalogWriter::LoadDecoded(Txn* txn,
                                                                        const std::string& id) {
  // More than the materials a pull fetches at once, in little memory
  // (a decoded entry takes a few times its stored bytes).
  constexpr size_t kKept = 8, kKeptBytes = 8 << 20;
  ASSIGN_OR_RETURN(std::optional<std::string> raw, txn->Get(Cf::kMaterials, id));
  if (!raw.has_value()) return nullptr;
  for (const DecodedEntry& d : decoded_) {
    if (d.id == id && d.raw == *raw) return d.entry;
  }
  ASSIGN_OR_RETURN(Entry e, DecodeEntry(id, *raw));
  auto entry = std::make_shared<const Entry>(std::move(e));
  std::erase_if(decoded_, [&](const DecodedEntry& d) { return d.id == id; });
  decoded_.push_front({id, *std::move(raw), entry});
  size_t bytes = 0;
  for (auto d = decoded_.begin(); d != decoded_.end(); ++d) {
    bytes += d->raw.size();
    if (d - decoded_.begin() >= static_cast<ptrdiff_t>(kKept) || bytes > kKeptBytes) {
      decoded_.erase(d, decoded_.end());
      break;
    }
  }
  return entry;
}

absl::Status CatalogWriter::Commit(Pending* pending, bool sync) {
  ASSIGN_OR_RETURN(const Unsynced done, WriteLocked(pending, sync));
  // Forgotten chunks' bytes go once nothing records them; a crash first
  // leaves orphan files, which the sweep at open removes.
  if (done.written) DropChunkFiles(pending->dropped_chunks);
  if (done.last_lseq != 0) PublishHead(done.last_lseq);
  return absl::OkStatus();
}

absl::StatusOr<CatalogWriter::Unsynced> CatalogWriter::CommitUnsynced(Pending* pending) {
  // Forgotten chunks' files must go before the lock is released: another
  // writer could store the same bytes again meanwhile, and lose them.
  if (!pending->dropped_chunks.empty()) {
    RETURN_IF_ERROR(Commit(pending, /*sync=*/true));
    return Unsynced();
  }
  return WriteLocked(pending, /*sync=*/false);
}

absl::Status CatalogWriter::Publish(Unsynced unsynced) {
  if (!unsynced.written) return absl::OkStatus();
  RETURN_IF_ERROR(kv_->SyncLog());
  if (unsynced.last_lseq != 0) PublishHead(unsynced.last_lseq);
  return absl::OkStatus();
}

absl::StatusOr<CatalogWriter::Unsynced> CatalogWriter::WriteLocked(Pending* pending, bool sync) {
  Unsynced done;
  if (pending->txn.empty()) return done;
  RETURN_IF_ERROR(CountChunkKeys(pending->txn, kv_, &pending->tally));
  pending->txn.Put(Cf::kMeta, kMetaLastLseq, EncodeU64(pending->last_lseq));
  pending->txn.Put(Cf::kMeta, kMetaTally, pending->tally.SerializeAsString());
  RETURN_IF_ERROR(pending->txn.Commit(WriteOptions{.sync = sync}));
  done.written = true;
  tally_ = pending->tally;
  {
    absl::MutexLock lock(&tally_mu_);
    published_tally_ = tally_;
  }
  if (!pending->changes.empty()) {
    absl::MutexLock lock(&listener_mu_);
    for (const auto& [token, listener] : listeners_) {
      for (const CatalogChange& c : pending->changes) listener(c);
    }
  }
  if (pending->last_lseq != last_lseq_) {
    last_lseq_ = pending->last_lseq;
    done.last_lseq = last_lseq_;
  }
  return done;
}

void CatalogWriter::Pin(const std::string& sha) {
  absl::MutexLock lock(&mu);
  ++pinned_[sha];
}

void CatalogWriter::Unpin(const std::string& sha) {
  absl::MutexLock lock(&mu);
  auto it = pinned_.find(sha);
  if (it != pinned_.end() && --it->second == 0) pinned_.erase(it);
}

int CatalogWriter::AddListener(ChangeListener listener) {
  absl::MutexLock lock(&listener_mu_);
  listeners_.emplace(next_listener_, std::move(listener));
  return next_listener_++;
}

void CatalogWriter::RemoveListener(int token) {
  absl::MutexLock lock(&listener_mu_);
  listeners_.erase(token);
}

void CatalogWriter::PublishHead(uint64_t lseq) {
  absl::MutexLock lock(&head_mu_);
  if (lseq < head_for_waiters_) return;
  head_lseq_.store(lseq);
  head_time_.store(options_.clock->NowMicros());
  head_for_waiters_ = lseq;
}

bool CatalogWriter::WaitForHead(uint64_t after_lseq, absl::Duration timeout) {
  absl::MutexLock lock(&head_mu_);
  auto moved = [this, after_lseq]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(head_mu_) {
    return head_for_waiters_ > after_lseq;
  };
  return head_mu_.AwaitWithTimeout(absl::Condition(&moved), timeout);
}

void CatalogWriter::DropChunkFiles(const std::vector<std::string>& shas) {
  for (const std::string& sha : shas) {
    absl::Status s = options_.chunks->Delete(sha);
    if (!s.ok())
      LogError("catalog", absl::StrCat("removing a chunk: ", s.message(),
                                       " (the sweep at the next start retries)"));
  }
}

}  // namespace minga
