#include "node/catalog/files.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "node/catalog/chunk_refs.h"
#include "node/core/audience.h"
#include "node/core/chunker.h"
#include "node/core/ids.h"
#include "node/core/limits.h"
#include "node/core/log.h"
#include "node/core/revision.h"
#include "node/core/status_macros.h"
#include "node/core/validate.h"
#include "node/store/keys.h"

namespace minga {
namespace {

// The rest of each key of the chunk references that starts with `prefix`.
absl::StatusOr<std::vector<std::string>> KeysUnder(KvStore* kv, absl::string_view prefix) {
  std::vector<std::string> out;
  auto it = kv->NewIterator(Cf::kChunkRefs);
  for (it->Seek(prefix); it->Valid() && absl::StartsWith(it->key(), prefix); it->Next()) {
    out.emplace_back(it->key().substr(prefix.size()));
  }
  RETURN_IF_ERROR(it->status());
  return out;
}

}  // namespace

absl::Status CatalogFiles::StoreChunk(absl::string_view sha, absl::string_view data,
                                      bool only_if_wanted) {
  if (sha.size() == 32 && DigestToBytes(Sha256(data)) != sha) {
    return absl::DataLossError(
        absl::StrCat("chunk ", ShortHex(sha), ": content does not match its hash"));
  }
  return StoreChunkImpl(sha, data, only_if_wanted, /*upload=*/false);
}

absl::Status CatalogFiles::StoreUploadedChunk(absl::string_view sha, absl::string_view data) {
  return StoreChunkImpl(sha, data, /*only_if_wanted=*/false, /*upload=*/true);
}

absl::Status CatalogFiles::StoreChunkImpl(absl::string_view sha, absl::string_view data,
                                          bool only_if_wanted, bool upload) {
  if (sha.size() != 32 || data.size() > kChunkSize) {
    return absl::InvalidArgumentError("chunk: a 32-byte hash and at most 1 MiB are expected");
  }
  // The bytes first, and outside the write lock (they are most of the
  // work, and several transfers write at once): a crash before the commit
  // leaves orphan bytes (swept at open), never a recorded chunk without
  // its bytes. The same bytes written twice are kept once (the later copy).
  RETURN_IF_ERROR(chunks_->Put(sha, data));
  Mark mark{.sha = sha, .size = data.size(), .only_if_wanted = only_if_wanted, .upload = upload};
  absl::MutexLock lock(&queue_mu_);
  queue_.push_back(&mark);
  while (!mark.done && queue_.front() != &mark) queue_cv_.Wait(&queue_mu_);
  if (mark.done) return mark.status;
  // At the front: record this mark and those queued behind it, a bounded
  // group so the write lock is not held for long.
  constexpr size_t kMaxGroup = 64;
  const std::vector<Mark*> group(queue_.begin(),
                                 queue_.begin() + std::min(queue_.size(), kMaxGroup));
  queue_mu_.Unlock();
  const absl::Status status = RecordChunks(group);
  queue_mu_.Lock();
  for (Mark* m : group) {
    queue_.pop_front();
    m->status = status;
    m->done = true;
  }
  queue_cv_.SignalAll();
  return status;
}

absl::Status CatalogFiles::RecordChunks(const std::vector<Mark*>& marks) {
  absl::MutexLock lock(&w_.mu);
  Pending pending = w_.Begin();
  Txn& txn = pending.txn;
  for (const Mark* mark : marks) {
    const absl::string_view sha = mark->sha;
    ASSIGN_OR_RETURN(std::optional<std::string> present, txn.Get(Cf::kChunkRefs, PresentKey(sha)));
    if (present.has_value()) continue;
    // Whoever lists the chunk stops wanting it, in the same write; their
    // files may be complete now.
    ASSIGN_OR_RETURN(std::vector<std::string> listing, KeysUnder(kv_, ChunkRefPrefix(sha)));
    // Nobody wants it any more (a retraction came first): its file goes,
    // under the lock, so no other writer records it meanwhile. Unless an
    // upload holds the same chunk: its bytes are the upload's too, and its
    // record is on its way.
    if (mark->only_if_wanted && listing.empty()) {
      if (!w_.Pinned(std::string(sha))) RETURN_IF_ERROR(chunks_->Delete(sha));
      continue;
    }
    RETURN_IF_ERROR(w_.SetWanted(&pending, listing, sha, /*wanted=*/false));
    txn.Put(Cf::kChunkRefs, PresentKey(sha), EncodeU64(mark->size));
    if (mark->upload) txn.Put(Cf::kChunkRefs, UploadKey(sha), "");
  }
  return w_.Commit(&pending, /*sync=*/false);
}

absl::StatusOr<std::optional<std::string>> CatalogFiles::ReadChunk(absl::string_view sha) {
  ASSIGN_OR_RETURN(ChunkStore::Read read, chunks_->GetChecked(sha));
  std::optional<std::string>& data = read.data;
  // Every chunk's bytes matched its hash when they were stored, so the
  // store's checksum holding is enough; the hash is checked again only
  // where there is none (and where it fails, to be sure).
  if (data.has_value() && (read.intact || DigestToBytes(Sha256(*data)) == sha)) {
    return std::move(data);
  }
  if (!data.has_value()) {
    // Recorded but absent: its pack was cut short where a crash had torn
    // it (the bytes of a pulled chunk are not synced before they are
    // recorded). Gone the same way as a damaged chunk.
    ASSIGN_OR_RETURN(bool recorded, HasChunk(sha));
    if (!recorded) return data;
  }
  // Damaged on disk (or lost in a power cut after its record was synced):
  // forgotten, wanted again by whoever lists it, and fetched anew.
  LogError("catalog",
           absl::StrCat("chunk ", ShortHex(sha), " is ", data.has_value() ? "damaged" : "missing",
                        " on disk; it will be fetched again"));
  RETURN_IF_ERROR(ForgetDamagedChunk(sha));
  return std::nullopt;
}

absl::Status CatalogFiles::ForgetDamagedChunk(absl::string_view sha) {
  absl::MutexLock lock(&w_.mu);
  Pending pending = w_.Begin();
  pending.txn.Delete(Cf::kChunkRefs, PresentKey(sha));
  ASSIGN_OR_RETURN(std::vector<std::string> listing, KeysUnder(kv_, ChunkRefPrefix(sha)));
  RETURN_IF_ERROR(w_.SetWanted(&pending, listing, sha, /*wanted=*/true));
  RETURN_IF_ERROR(w_.Commit(&pending, /*sync=*/false));
  return chunks_->Delete(sha);
}

absl::StatusOr<bool> CatalogFiles::HasChunk(absl::string_view sha) {
  ASSIGN_OR_RETURN(std::optional<std::string> present, kv_->Get(Cf::kChunkRefs, PresentKey(sha)));
  return present.has_value();
}

absl::StatusOr<std::vector<std::string>> CatalogFiles::MissingChunks(
    const std::vector<std::string>& shas) {
  std::vector<std::string> missing;
  for (const std::string& sha : shas) {
    ASSIGN_OR_RETURN(bool has, HasChunk(sha));
    if (!has) missing.push_back(sha);
  }
  return missing;
}

absl::StatusOr<std::map<std::string, std::vector<std::string>>> CatalogFiles::WantedChunks(
    size_t max, const std::string& from_id, std::string* next_from) {
  std::map<std::string, std::vector<std::string>> out;
  size_t n = 0;
  next_from->clear();
  auto it = kv_->NewIterator(Cf::kChunkRefs);
  for (it->Seek(absl::StrCat(kWantPrefix, from_id));
       it->Valid() && absl::StartsWith(it->key(), kWantPrefix); it->Next()) {
    const absl::string_view key = it->key().substr(kWantPrefix.size());
    const size_t zero = key.find('\0');
    if (zero == absl::string_view::npos) continue;
    const absl::string_view id = key.substr(0, zero);
    if (n >= max && !out.count(std::string(id))) {
      *next_from = std::string(id);  // the next call starts with this material
      break;
    }
    out[std::string(id)].emplace_back(key.substr(zero + 1));
    ++n;
  }
  RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<std::vector<std::string>> CatalogFiles::WantedChunksOf(absl::string_view id) {
  return KeysUnder(kv_, WantPrefix(id));
}

absl::StatusOr<std::vector<FileProgress>> CatalogFiles::ListFiles(absl::string_view id) {
  ASSIGN_OR_RETURN(std::optional<Entry> entry, LoadEntry(kv_, id));
  if (!entry.has_value()) {
    return absl::NotFoundError(absl::StrCat("id: no material '", id, "' is held here"));
  }
  std::vector<FileProgress> files;
  if (!entry->has_body()) return files;
  for (const v1::FileInfo& f : entry->material->files()) {
    FileProgress& state = files.emplace_back();
    state.file = f;
    uint32_t present = 0;
    uint64_t bytes = 0;
    const std::vector<ChunkSpan> spans = ChunkSpans(f);
    for (size_t i = 0; i < spans.size(); ++i) {
      ASSIGN_OR_RETURN(bool has, HasChunk(f.chunk_sha256(static_cast<int>(i))));
      if (!has) continue;
      ++present;
      bytes += spans[i].length;
    }
    state.chunks_present = present;
    state.bytes_present = bytes;
    state.complete = present == static_cast<uint32_t>(f.chunk_sha256_size());
  }
  return files;
}

absl::StatusOr<std::vector<bool>> CatalogFiles::CheckChunkAccess(
    absl::string_view requester, absl::string_view id, const std::vector<std::string>& shas) {
  ASSIGN_OR_RETURN(std::optional<Entry> entry, LoadEntry(kv_, id));
  if (!entry.has_value() || !entry->has_body()) {
    return absl::NotFoundError(
        absl::StrCat("material_id: '", id, "' is not held here with its content"));
  }
  const v1::RevisionHeader& h = entry->header;
  if (!InAudience(h.audience(), h.origin(), requester)) {
    return absl::PermissionDeniedError(
        absl::StrCat("'", requester, "' is outside the audience of '", id, "'"));
  }
  const std::set<std::string> listed = ChunksOf(&*entry->material);
  // Other materials listing a chunk, decoded at most once per call.
  std::map<std::string, bool, std::less<>> other_excludes;
  std::map<std::string, bool, std::less<>> decided;
  std::vector<bool> may_read;
  may_read.reserve(shas.size());
  for (const std::string& sha : shas) {
    if (!listed.count(sha)) {
      return absl::PermissionDeniedError(
          absl::StrCat("chunk ", ShortHex(sha), " is not a chunk of '", id, "'"));
    }
    if (auto known = decided.find(sha); known != decided.end()) {
      may_read.push_back(known->second);
      continue;
    }
    bool allowed = true;
    const std::string prefix = ChunkRefPrefix(sha);
    auto it = kv_->NewIterator(Cf::kChunkRefs);
    for (it->Seek(prefix); allowed && it->Valid() && absl::StartsWith(it->key(), prefix);
         it->Next()) {
      const std::string other(it->key().substr(prefix.size()));
      if (OriginOf(other) == h.origin()) continue;  // the same origin vouches for it
      auto cached = other_excludes.find(other);
      if (cached == other_excludes.end()) {
        ASSIGN_OR_RETURN(std::optional<Entry> e, LoadEntry(kv_, other));
        const bool excludes = e.has_value() && e->has_body() &&
                              !InAudience(e->header.audience(), e->header.origin(), requester);
        cached = other_excludes.emplace(other, excludes).first;
      }
      allowed = !cached->second;
    }
    RETURN_IF_ERROR(it->status());
    decided.emplace(sha, allowed);
    may_read.push_back(allowed);
  }
  return may_read;
}

absl::Status CatalogFiles::DropUnlisted(const std::vector<std::string>& shas) {
  absl::MutexLock lock(&w_.mu);
  Pending pending = w_.Begin();
  Txn& txn = pending.txn;
  std::vector<std::string>& dropped = pending.dropped_chunks;
  for (const std::string& sha : shas) {
    if (w_.Pinned(sha)) continue;  // another upload holds it, and its mark
    txn.Delete(Cf::kChunkRefs, UploadKey(sha));
    ASSIGN_OR_RETURN(bool listed, txn.AnyWithPrefix(Cf::kChunkRefs, ChunkRefPrefix(sha)));
    if (listed) continue;
    txn.Delete(Cf::kChunkRefs, PresentKey(sha));
    dropped.push_back(sha);
  }
  return w_.Commit(&pending, /*sync=*/false);
}

absl::StatusOr<GcStats> CatalogFiles::Gc() {
  GcStats response;
  response.store_bytes_before = kv_->ApproximateDiskBytes();
  {
    absl::MutexLock lock(&w_.mu);
    Pending pending = w_.Begin();
    Txn& txn = pending.txn;
    std::vector<std::string>& dropped = pending.dropped_chunks;
    // Chunks header-only entries kept for a body still on its way go too:
    // a body that never came (a subscription that leaves the material out,
    // say) must not hold them forever.
    auto entries = kv_->NewIterator(Cf::kMaterials);
    for (entries->Seek(""); entries->Valid(); entries->Next()) {
      ASSIGN_OR_RETURN(Entry e, DecodeEntry(entries->key(), entries->value()));
      if (e.stored.retained_chunk_sha256().empty()) continue;
      // Files of a body the interlock holds stay until it is released.
      ASSIGN_OR_RETURN(bool held, interlock_.IsHeld(&pending, e.header.origin(), entries->key()));
      if (held) continue;
      for (const std::string& sha : e.stored.retained_chunk_sha256()) {
        txn.Delete(Cf::kChunkRefs, ChunkRefKey(sha, entries->key()));
      }
      e.stored.clear_retained_chunk_sha256();
      txn.Put(Cf::kMaterials, entries->key(), e.stored.SerializeAsString());
    }
    RETURN_IF_ERROR(entries->status());
    auto it = kv_->NewIterator(Cf::kChunkRefs);
    for (it->Seek(kPresentPrefix); it->Valid() && absl::StartsWith(it->key(), kPresentPrefix);
         it->Next()) {
      const std::string sha(it->key().substr(kPresentPrefix.size()));
      ASSIGN_OR_RETURN(bool listed, txn.AnyWithPrefix(Cf::kChunkRefs, ChunkRefPrefix(sha)));
      if (listed || w_.Pinned(sha)) {
        ++response.chunks_kept;
        continue;
      }
      ++response.chunks_freed;
      response.bytes_freed += DecodeU64(it->value()).value_or(0);
      txn.Delete(Cf::kChunkRefs, it->key());
      dropped.push_back(sha);
    }
    RETURN_IF_ERROR(it->status());
    RETURN_IF_ERROR(w_.Commit(&pending, /*sync=*/true));
  }
  RETURN_IF_ERROR(kv_->CompactAll());
  response.store_bytes_after = kv_->ApproximateDiskBytes();
  return response;
}

}  // namespace minga
