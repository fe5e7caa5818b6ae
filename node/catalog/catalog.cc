#include "node/catalog/catalog.h"

#include <map>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "node/catalog/chunk_refs.h"
#include "node/core/audience.h"
#include "node/core/ids.h"
#include "node/core/keyring.h"
#include "node/core/log.h"
#include "node/core/proto_util.h"
#include "node/core/revision.h"
#include "node/core/status_macros.h"
#include "node/store/keys.h"

namespace minga {

Catalog::Catalog(KvStore* kv, CatalogOptions options)
    : kv_(kv), options_(std::move(options)), versions_(options_.clock) {}

absl::StatusOr<std::unique_ptr<Catalog>> Catalog::Open(KvStore* kv, CatalogOptions options) {
  RETURN_IF_ERROR(CheckOrgId(options.org_id, "org_id"));
  if (options.signing_key == nullptr || options.keyring == nullptr || options.chunks == nullptr) {
    return absl::InvalidArgumentError("catalog: signing key, keyring and chunk store are required");
  }
  const PublicKey* own = options.keyring->Find(options.org_id);
  if (own == nullptr || !(*own == options.signing_key->public_key())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "federation: the key listed for '", options.org_id, "' is not this node's signing key (",
        options.signing_key->public_key().ToBase64(), ")"));
  }
  std::unique_ptr<Catalog> catalog(new Catalog(kv, std::move(options)));
  RETURN_IF_ERROR(catalog->Init());
  return catalog;
}

absl::Status Catalog::NewFeedId(KvStore* kv) {
  ASSIGN_OR_RETURN(std::optional<std::string> schema, kv->Get(Cf::kMeta, kMetaSchemaVersion));
  if (!schema.has_value()) return absl::NotFoundError("store: empty; it has no feed yet");
  WriteBatch batch;
  batch.Put(Cf::kMeta, kMetaFeedId, absl::BytesToHexString(RandomBytes(16)));
  return kv->Write(batch, WriteOptions{.sync = true});
}

absl::Status Catalog::Init() {
  ASSIGN_OR_RETURN(std::optional<std::string> schema, kv_->Get(Cf::kMeta, kMetaSchemaVersion));
  if (!schema.has_value()) {
    // A new store: its feed gets a fresh random id, so pullers that knew an
    // earlier store at this address start over.
    WriteBatch batch;
    feed_id_ = absl::BytesToHexString(RandomBytes(16));
    batch.Put(Cf::kMeta, kMetaSchemaVersion, absl::StrCat(kSchemaVersion));
    batch.Put(Cf::kMeta, kMetaFeedId, feed_id_);
    batch.Put(Cf::kMeta, kMetaOrgId, options_.org_id);
    batch.Put(Cf::kMeta, kMetaLastLseq, EncodeU64(0));
    batch.Put(Cf::kMeta, kMetaTally, v1::storage::Tally().SerializeAsString());
    return kv_->Write(batch, WriteOptions{.sync = true});
  }
  int version = 0;
  if (!absl::SimpleAtoi(*schema, &version)) {
    return absl::DataLossError("store: schema_version is corrupt");
  }
  if (version > kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat("store: schema version ", version,
                                                      " is newer than this node's (",
                                                      kSchemaVersion, "); run a newer minga-node"));
  }
  if (version == 1) RETURN_IF_ERROR(MigrateFromSchema1());
  if (version <= 2) RETURN_IF_ERROR(MoveChunksOutOfTheStore());
  ASSIGN_OR_RETURN(std::optional<std::string> org, kv_->Get(Cf::kMeta, kMetaOrgId));
  if (org.value_or("") != options_.org_id) {
    return absl::FailedPreconditionError(absl::StrCat("store: the data directory belongs to org '",
                                                      org.value_or(""), "', but the config says '",
                                                      options_.org_id, "'"));
  }
  RETURN_IF_ERROR(SweepOrphanChunks());
  ASSIGN_OR_RETURN(std::optional<std::string> feed, kv_->Get(Cf::kMeta, kMetaFeedId));
  ASSIGN_OR_RETURN(std::optional<std::string> last, kv_->Get(Cf::kMeta, kMetaLastLseq));
  const std::optional<uint64_t> lseq = DecodeU64(last.value_or(""));
  if (!feed.has_value() || !lseq.has_value()) {
    return absl::DataLossError("store: feed_id or last_lseq is missing");
  }
  feed_id_ = *feed;
  // The tally: kept by every commit since schema 4, counted once before.
  ASSIGN_OR_RETURN(std::optional<std::string> raw_tally, kv_->Get(Cf::kMeta, kMetaTally));
  v1::storage::Tally tally;
  if (version < 4 || !raw_tally.has_value()) {
    ASSIGN_OR_RETURN(tally, Recount(kv_, options_.org_id));
    WriteBatch batch;
    batch.Put(Cf::kMeta, kMetaTally, tally.SerializeAsString());
    batch.Put(Cf::kMeta, kMetaSchemaVersion, absl::StrCat(kSchemaVersion));
    RETURN_IF_ERROR(kv_->Write(batch, WriteOptions{.sync = true}));
  } else if (!ParseProto(*raw_tally, &tally)) {
    return absl::DataLossError("store: the tally is corrupt");
  }
  // Versions continue above every version of this origin held, including
  // those restored from partners after a disk loss.
  versions_.Observe(tally.highest_own_version());
  {
    absl::MutexLock lock(&write_mu_);
    last_lseq_ = *lseq;
    tally_ = tally;
  }
  {
    absl::MutexLock lock(&tally_mu_);
    published_tally_ = std::move(tally);
  }
  PublishHead(*lseq);
  // No upload survives a stop: what the last ones stored unlisted goes.
  return SweepCutUploads();
}

absl::Status Catalog::MigrateFromSchema1() {
  auto it = kv_->NewIterator(Cf::kLegacyIndex);
  WriteBatch batch;
  for (it->Seek(""); it->Valid(); it->Next()) {
    batch.Delete(Cf::kLegacyIndex, it->key());
    if (batch.ops().size() >= 10000) {
      RETURN_IF_ERROR(kv_->Write(batch, WriteOptions{}));
      batch = WriteBatch();
    }
  }
  RETURN_IF_ERROR(it->status());
  RETURN_IF_ERROR(kv_->Write(batch, WriteOptions{.sync = true}));
  return kv_->CompactAll();
}

absl::Status Catalog::MoveChunksOutOfTheStore() {
  auto it = kv_->NewIterator(Cf::kLegacyChunks);
  WriteBatch batch;
  for (it->Seek(""); it->Valid(); it->Next()) {
    RETURN_IF_ERROR(options_.chunks->Put(it->key(), it->value()));
    batch.Delete(Cf::kLegacyChunks, it->key());
  }
  RETURN_IF_ERROR(it->status());
  RETURN_IF_ERROR(options_.chunks->Sync());
  batch.Put(Cf::kMeta, kMetaSchemaVersion, absl::StrCat(kSchemaVersion));
  RETURN_IF_ERROR(kv_->Write(batch, WriteOptions{.sync = true}));
  return kv_->CompactAll();
}

absl::Status Catalog::SweepCutUploads() {
  absl::MutexLock lock(&write_mu_);
  Pending pending(kv_, last_lseq_, tally_);
  Txn& txn = pending.txn;
  auto it = kv_->NewIterator(Cf::kChunkRefs);
  for (it->Seek(kUploadPrefix); it->Valid() && absl::StartsWith(it->key(), kUploadPrefix);
       it->Next()) {
    const std::string sha(it->key().substr(kUploadPrefix.size()));
    txn.Delete(Cf::kChunkRefs, it->key());
    ASSIGN_OR_RETURN(bool listed, txn.AnyWithPrefix(Cf::kChunkRefs, ChunkRefPrefix(sha)));
    if (listed) continue;
    txn.Delete(Cf::kChunkRefs, PresentKey(sha));
    pending.dropped_chunks.push_back(sha);
  }
  RETURN_IF_ERROR(it->status());
  if (!pending.dropped_chunks.empty()) {
    LogInfo(absl::StrCat("dropped ", pending.dropped_chunks.size(),
                         " chunk(s) of uploads the last stop cut short"));
  }
  return CommitLocked(&pending, /*sync=*/true);
}

absl::Status Catalog::SweepOrphanChunks() {
  std::vector<std::string> orphans;
  RETURN_IF_ERROR(options_.chunks->ForEach([&](const std::string& sha) {
    absl::StatusOr<std::optional<std::string>> present = kv_->Get(Cf::kChunkRefs, PresentKey(sha));
    if (present.ok() && !present->has_value()) orphans.push_back(sha);
  }));
  absl::MutexLock lock(&write_mu_);
  for (const std::string& sha : orphans) {
    // Re-checked under the lock: a chunk stored meanwhile is no orphan.
    ASSIGN_OR_RETURN(std::optional<std::string> present, kv_->Get(Cf::kChunkRefs, PresentKey(sha)));
    if (!present.has_value() && !pinned_.count(sha)) RETURN_IF_ERROR(options_.chunks->Delete(sha));
  }
  return absl::OkStatus();
}

void Catalog::DropChunkFiles(const std::vector<std::string>& shas) {
  for (const std::string& sha : shas) {
    absl::Status s = options_.chunks->Delete(sha);
    if (!s.ok())
      LogError(absl::StrCat("removing a chunk: ", s.message(),
                            " (the sweep at the next start retries)"));
  }
}

void Catalog::PublishHead(uint64_t lseq) {
  head_lseq_.store(lseq);
  head_time_.store(options_.clock->NowMicros());
  absl::MutexLock lock(&head_mu_);
  head_for_waiters_ = lseq;
}

bool Catalog::WaitForHead(uint64_t after_lseq, absl::Duration timeout) {
  absl::MutexLock lock(&head_mu_);
  auto moved = [this, after_lseq]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(head_mu_) {
    return head_for_waiters_ > after_lseq;
  };
  return head_mu_.AwaitWithTimeout(absl::Condition(&moved), timeout);
}

absl::Status Catalog::StoreEntry(Pending* pending, const std::string& id,
                                 const std::optional<Entry>& old, Entry* entry,
                                 absl::string_view actor, absl::string_view action) {
  Txn& txn = pending->txn;
  const uint64_t lseq = ++pending->last_lseq;
  entry->stored.set_lseq(lseq);
  if (old.has_value()) txn.Delete(Cf::kFeed, EncodeU64(old->stored.lseq()));
  txn.Put(Cf::kFeed, EncodeU64(lseq), FeedValue(id, entry->has_body()));
  // Chunks referenced before: the old body's, or those a header-only entry
  // retained.
  std::set<std::string> before;
  if (old.has_value()) {
    before = old->has_body() ? ChunksOf(&*old->material)
                             : std::set<std::string>(old->stored.retained_chunk_sha256().begin(),
                                                     old->stored.retained_chunk_sha256().end());
  }
  std::set<std::string> after;
  entry->stored.clear_retained_chunk_sha256();
  if (entry->has_body()) {
    after = ChunksOf(&*entry->material);
  } else if (!entry->header.deleted() &&
             InAudience(entry->header.audience(), entry->header.origin(), options_.org_id)) {
    // A newer header without its body while this node is still in the
    // audience: the body is on its way by another path. Keep the chunks
    // stored here until it comes, a retraction or a narrowing.
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
        return pinned_.count(sha) > 0;  // under write_mu_, held by the caller
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

absl::Status Catalog::CommitLocked(Pending* pending, bool sync) {
  if (pending->txn.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(CountChunkKeys(pending->txn, kv_, &pending->tally));
  pending->txn.Put(Cf::kMeta, kMetaLastLseq, EncodeU64(pending->last_lseq));
  pending->txn.Put(Cf::kMeta, kMetaTally, pending->tally.SerializeAsString());
  RETURN_IF_ERROR(pending->txn.Commit(WriteOptions{.sync = sync}));
  tally_ = pending->tally;
  {
    absl::MutexLock lock(&tally_mu_);
    published_tally_ = tally_;
  }
  // Forgotten chunks' bytes go once nothing records them; a crash first
  // leaves orphan files, which the sweep at open removes.
  DropChunkFiles(pending->dropped_chunks);
  if (!pending->changes.empty()) {
    absl::MutexLock lock(&listener_mu_);
    for (const auto& [token, listener] : listeners_) {
      for (const Change& c : pending->changes) listener(c);
    }
  }
  if (pending->last_lseq != last_lseq_) {
    last_lseq_ = pending->last_lseq;
    PublishHead(last_lseq_);
  }
  return absl::OkStatus();
}

int Catalog::AddListener(ChangeListener listener) {
  absl::MutexLock lock(&listener_mu_);
  listeners_.emplace(next_listener_, std::move(listener));
  return next_listener_++;
}

void Catalog::RemoveListener(int token) {
  absl::MutexLock lock(&listener_mu_);
  listeners_.erase(token);
}

absl::Status Catalog::ScanEntries(
    const std::function<absl::Status(absl::string_view id, const Entry& entry)>& fn) {
  auto it = kv_->NewIterator(Cf::kMaterials);
  for (it->Seek(""); it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(Entry e, DecodeEntry(it->key(), it->value()));
    RETURN_IF_ERROR(fn(it->key(), e));
  }
  return it->status();
}

absl::StatusOr<std::optional<Entry>> Catalog::GetEntry(absl::string_view id) {
  return LoadEntry(kv_, id);
}

absl::StatusOr<v1::MaterialView> Catalog::Get(absl::string_view id) {
  ASSIGN_OR_RETURN(std::optional<Entry> entry, LoadEntry(kv_, id));
  if (!entry.has_value()) {
    return absl::NotFoundError(absl::StrCat("id: no material '", id, "' is held here"));
  }
  return MakeView(id, *entry, *options_.keyring);
}

absl::StatusOr<v1::ListResponse> Catalog::List(const v1::ListRequest& request) {
  int page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  if (page_size < 0 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: ", request.page_size(), " is not between 1 and ", kMaxPageSize));
  }
  if (!request.origin().empty()) RETURN_IF_ERROR(CheckOrgId(request.origin(), "origin"));
  const bool by_seq = request.order() == v1::ListRequest::BY_SEQUENCE;
  const std::string tag = by_seq ? "s:" : "i:";
  std::string after;
  if (!request.page_token().empty()) {
    if (!absl::StartsWith(request.page_token(), tag)) {
      return absl::InvalidArgumentError("page_token: not a token of this listing order");
    }
    after = request.page_token().substr(2);
  }
  v1::ListResponse response;
  auto keep = [&](absl::string_view id, const Entry& e) {
    if (!request.origin().empty() && OriginOf(id) != request.origin()) return false;
    return request.include_headers_only() || e.has_body();
  };
  // Adds a view unless the page is full (by count or bytes); false then.
  size_t bytes = 0;
  auto add = [&](absl::string_view id, const Entry& e) {
    if (response.materials_size() == page_size) return false;
    v1::MaterialView view = MakeView(id, e, *options_.keyring);
    if (!request.include_chunk_hashes()) StripChunkHashes(&view);
    const size_t size = view.ByteSizeLong();
    if (response.materials_size() > 0 && bytes + size > kMaxPageBytes) return false;
    bytes += size;
    *response.add_materials() = std::move(view);
    return true;
  };
  if (!by_seq) {
    const std::string prefix = request.origin().empty() ? "" : request.origin() + "/";
    auto it = kv_->NewIterator(Cf::kMaterials);
    it->Seek(after.empty() ? prefix : after + std::string(1, '\0'));
    for (; it->Valid() && absl::StartsWith(it->key(), prefix); it->Next()) {
      ASSIGN_OR_RETURN(Entry e, DecodeEntry(it->key(), it->value()));
      if (!keep(it->key(), e)) continue;
      if (!add(it->key(), e)) {
        response.set_next_page_token(tag + response.materials().rbegin()->id());
        break;
      }
    }
    RETURN_IF_ERROR(it->status());
    return response;
  }
  uint64_t start = 0;
  if (!after.empty() && !absl::SimpleAtoi(after, &start)) {
    return absl::InvalidArgumentError("page_token: malformed");
  }
  auto it = kv_->NewIterator(Cf::kFeed);
  for (it->Seek(EncodeU64(start + 1)); it->Valid(); it->Next()) {
    const std::string id = ParseFeedValue(it->value()).id;
    ASSIGN_OR_RETURN(std::optional<Entry> e, LoadEntry(kv_, id));
    if (!e.has_value() || !keep(id, *e)) continue;
    if (!add(id, *e)) {
      response.set_next_page_token(absl::StrCat(tag, response.materials().rbegin()->lseq()));
      break;
    }
  }
  RETURN_IF_ERROR(it->status());
  return response;
}

absl::StatusOr<v1::StatusResponse> Catalog::Status() {
  v1::StatusResponse status;
  status.set_org_id(options_.org_id);
  status.set_feed_id(feed_id_);
  status.set_head_lseq(head_lseq());
  status.set_signing_public_key(options_.signing_key->public_key().ToBase64());
  status.set_store_error(kv_->damage());
  v1::storage::Tally tally;
  {
    absl::MutexLock lock(&tally_mu_);
    tally = published_tally_;
  }
  // Origins in order, as a scan would list them.
  std::map<std::string, v1::storage::Tally::Origin> origins(tally.origins().begin(),
                                                            tally.origins().end());
  for (const auto& [origin, count] : origins) {
    v1::OriginCount* c = status.add_origins();
    c->set_origin(origin);
    c->set_materials(count.materials());
    c->set_headers_only(count.headers_only());
    c->set_retracted(count.retracted());
  }
  status.set_files_complete(tally.files_complete());
  status.set_files_missing(tally.files_missing());
  status.set_chunks_stored(tally.chunks_stored());
  status.set_chunk_bytes(tally.chunk_bytes());
  status.set_chunks_missing(tally.chunks_missing());
  std::string digest = tally.digest();
  if (digest.empty()) digest.assign(32, '\0');
  status.set_digest(absl::BytesToHexString(digest));
  status.set_store_bytes(kv_->ApproximateDiskBytes());
  return status;
}

absl::StatusOr<std::string> Catalog::Digest() {
  // Headers only: no body is decoded, no file looked at.
  std::string digest(32, '\0');
  auto it = kv_->NewIterator(Cf::kMaterials);
  for (it->Seek(""); it->Valid(); it->Next()) {
    v1::storage::StoredEntry stored;
    if (!ParseProto(it->value(), &stored)) {
      return absl::DataLossError(absl::StrCat("store: entry '", it->key(), "' is corrupt"));
    }
    const std::string share = EntryShare(it->key(), stored.signed_().header());
    for (size_t i = 0; i < digest.size(); ++i) digest[i] ^= share[i];
  }
  RETURN_IF_ERROR(it->status());
  return absl::BytesToHexString(digest);
}

absl::StatusOr<uint64_t> Catalog::HighestOwnVersion(KvStore* kv, absl::string_view org_id) {
  uint64_t highest = 0;
  const std::string prefix = absl::StrCat(org_id, "/");
  auto it = kv->NewIterator(Cf::kMaterials);
  for (it->Seek(prefix); it->Valid() && absl::StartsWith(it->key(), prefix); it->Next()) {
    ASSIGN_OR_RETURN(Entry e, DecodeEntry(it->key(), it->value()));
    highest = std::max<uint64_t>(highest, e.header.version());
  }
  RETURN_IF_ERROR(it->status());
  return highest;
}

absl::StatusOr<size_t> Catalog::ReconcileMembership() {
  const std::string fingerprint = options_.keyring->Fingerprint();
  ASSIGN_OR_RETURN(std::optional<std::string> seen, kv_->Get(Cf::kMeta, kMetaMembership));
  if (seen.has_value() && *seen == fingerprint) return 0;
  // Which entries the federation no longer vouches for: read a slice at a
  // time, signatures checked in parallel.
  struct Held {
    std::string id;
    v1::storage::StoredEntry stored;
    v1::RevisionHeader header;
    bool keep = true;
  };
  std::vector<std::string> doomed;
  std::vector<Held> slice;
  auto judge = [&]() {
    auto check = [&](size_t i) {
      Held& h = slice[i];
      if (!options_.keyring->IsMember(h.header.origin())) {
        h.keep = false;
        return;
      }
      h.keep = VerifyWithKeyring(h.stored.signed_(), h.header, *options_.keyring).ok();
    };
    if (options_.executor != nullptr) {
      options_.executor->ParallelFor(slice.size(), check);
    } else {
      for (size_t i = 0; i < slice.size(); ++i) check(i);
    }
    for (const Held& h : slice) {
      if (!h.keep) doomed.push_back(h.id);
    }
    slice.clear();
  };
  auto it = kv_->NewIterator(Cf::kMaterials);
  for (it->Seek(""); it->Valid(); it->Next()) {
    Held h;
    h.id = std::string(it->key());
    if (!ParseProto(it->value(), &h.stored) ||
        !h.header.ParseFromString(h.stored.signed_().header())) {
      return absl::DataLossError(absl::StrCat("store: entry '", h.id, "' is corrupt"));
    }
    slice.push_back(std::move(h));
    if (slice.size() == 4096) judge();
  }
  RETURN_IF_ERROR(it->status());
  judge();

  absl::MutexLock lock(&write_mu_);
  size_t purged = 0;
  for (size_t start = 0; start <= doomed.size(); start += 1000) {
    Pending pending(kv_, last_lseq_, tally_);
    for (size_t i = start; i < std::min(doomed.size(), start + 1000); ++i) {
      ASSIGN_OR_RETURN(std::optional<Entry> old, LoadEntry(&pending.txn, doomed[i]));
      if (!old.has_value()) continue;
      RETURN_IF_ERROR(PurgeLocked(&pending, doomed[i], *old));
      ++purged;
    }
    // The fingerprint goes with the last slice: a crash before it redoes
    // the check, harmlessly.
    if (start + 1000 > doomed.size()) pending.txn.Put(Cf::kMeta, kMetaMembership, fingerprint);
    RETURN_IF_ERROR(CommitLocked(&pending, /*sync=*/true));
  }
  return purged;
}

absl::Status Catalog::PurgeLocked(Pending* pending, const std::string& id, const Entry& old) {
  Txn& txn = pending->txn;
  const uint64_t lseq = ++pending->last_lseq;
  // The id moves to the feed's end with no entry: pullers skip it, the
  // search view drops it.
  txn.Delete(Cf::kFeed, EncodeU64(old.stored.lseq()));
  txn.Put(Cf::kFeed, EncodeU64(lseq), FeedValue(id, false));
  const std::set<std::string> before =
      old.has_body() ? ChunksOf(&*old.material)
                     : std::set<std::string>(old.stored.retained_chunk_sha256().begin(),
                                             old.stored.retained_chunk_sha256().end());
  CountEntry(id, old, -1, options_.org_id, &pending->tally);
  RETURN_IF_ERROR(CountFiles(&txn, id, old, -1, &pending->tally));
  RETURN_IF_ERROR(UpdateChunkRefs(
      &txn, id, before, {}, false,
      [this](const std::string& sha) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return pinned_.count(sha) > 0;  // under write_mu_, held by the caller
      },
      &pending->dropped_chunks));
  txn.Delete(Cf::kMaterials, id);
  pending->changes.push_back({lseq, id, false, old.has_body() || !before.empty()});
  return absl::OkStatus();
}

absl::StatusOr<v1::storage::PeerState> Catalog::GetPeerState(absl::string_view peer) {
  v1::storage::PeerState state;
  ASSIGN_OR_RETURN(std::optional<std::string> raw, kv_->Get(Cf::kPeers, peer));
  if (raw.has_value() && !state.ParseFromString(*raw)) {
    return absl::DataLossError(absl::StrCat("store: state of peer '", peer, "' is corrupt"));
  }
  return state;
}

absl::Status Catalog::PrepareSubscription(absl::string_view peer, absl::string_view fingerprint) {
  absl::MutexLock lock(&write_mu_);
  ASSIGN_OR_RETURN(v1::storage::PeerState state, GetPeerState(peer));
  if (state.subscription_fingerprint() == fingerprint) return absl::OkStatus();
  // What the new subscription includes arrives again from the start; what
  // is held already is skipped by the merge rule without verification.
  state.set_checkpoint(0);
  state.set_subscription_fingerprint(std::string(fingerprint));
  WriteBatch batch;
  batch.Put(Cf::kPeers, peer, state.SerializeAsString());
  return kv_->Write(batch, WriteOptions{});
}

absl::Status Catalog::RecordPeerError(absl::string_view peer, absl::string_view error) {
  absl::MutexLock lock(&write_mu_);
  ASSIGN_OR_RETURN(v1::storage::PeerState state, GetPeerState(peer));
  state.set_last_error(std::string(error));
  state.set_last_error_unix_micros(options_.clock->NowMicros());
  WriteBatch batch;
  batch.Put(Cf::kPeers, peer, state.SerializeAsString());
  return kv_->Write(batch, WriteOptions{});
}

}  // namespace minga
