#include "node/catalog/catalog.h"

#include <map>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "node/catalog/chunk_refs.h"
#include "node/catalog/tally.h"
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
    : kv_(kv),
      writer_(kv, std::move(options)),
      options_(writer_.options()),
      local_(&writer_),
      feed_(&writer_),
      interlock_(&writer_),
      pulls_(&writer_, &interlock_),
      files_(&writer_, &interlock_) {}

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
    std::string feed_id = absl::BytesToHexString(RandomBytes(16));
    batch.Put(Cf::kMeta, kMetaSchemaVersion, absl::StrCat(kSchemaVersion));
    batch.Put(Cf::kMeta, kMetaFeedId, feed_id);
    batch.Put(Cf::kMeta, kMetaOrgId, options_.org_id);
    batch.Put(Cf::kMeta, kMetaLastLseq, EncodeU64(0));
    batch.Put(Cf::kMeta, kMetaTally, v1::storage::Tally().SerializeAsString());
    RETURN_IF_ERROR(kv_->Write(batch, WriteOptions{.sync = true}));
    writer_.Restore(std::move(feed_id), 0, v1::storage::Tally());
    return absl::OkStatus();
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
  writer_.versions().Observe(tally.highest_own_version());
  writer_.Restore(*feed, *lseq, std::move(tally));
  RETURN_IF_ERROR(interlock_.Restore());
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
  absl::MutexLock lock(&writer_.mu);
  Pending pending = writer_.Begin();
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
    LogInfo("catalog", absl::StrCat("dropped ", pending.dropped_chunks.size(),
                                    " chunk(s) of uploads the last stop cut short"));
  }
  return writer_.Commit(&pending, /*sync=*/true);
}

absl::Status Catalog::SweepOrphanChunks() {
  std::vector<std::string> orphans;
  RETURN_IF_ERROR(options_.chunks->ForEach([&](const std::string& sha) {
    absl::StatusOr<std::optional<std::string>> present = kv_->Get(Cf::kChunkRefs, PresentKey(sha));
    if (present.ok() && !present->has_value()) orphans.push_back(sha);
  }));
  absl::MutexLock lock(&writer_.mu);
  for (const std::string& sha : orphans) {
    // Re-checked under the lock: a chunk stored meanwhile is no orphan.
    ASSIGN_OR_RETURN(std::optional<std::string> present, kv_->Get(Cf::kChunkRefs, PresentKey(sha)));
    if (!present.has_value() && !writer_.Pinned(sha)) RETURN_IF_ERROR(options_.chunks->Delete(sha));
  }
  return absl::OkStatus();
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

absl::StatusOr<ListPage> Catalog::List(const ListQuery& query) {
  int page_size = query.page_size == 0 ? kDefaultPageSize : query.page_size;
  if (page_size < 0 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: ", query.page_size, " is not between 1 and ", kMaxPageSize));
  }
  if (!query.origin.empty()) RETURN_IF_ERROR(CheckOrgId(query.origin, "origin"));
  const bool by_seq = query.by_sequence;
  const std::string tag = by_seq ? "s:" : "i:";
  std::string after;
  if (!query.page_token.empty()) {
    if (!absl::StartsWith(query.page_token, tag)) {
      return absl::InvalidArgumentError("page_token: not a token of this listing order");
    }
    after = query.page_token.substr(2);
  }
  ListPage response;
  auto keep = [&](absl::string_view id, const Entry& e) {
    if (!query.origin.empty() && OriginOf(id) != query.origin) return false;
    return query.include_headers_only || e.has_body();
  };
  // Adds a view unless the page is full (by count or bytes); false then.
  size_t bytes = 0;
  auto add = [&](absl::string_view id, const Entry& e) {
    if (static_cast<int>(response.materials.size()) == page_size) return false;
    v1::MaterialView view = MakeView(id, e, *options_.keyring);
    if (!query.include_chunk_hashes) StripChunkHashes(&view);
    const size_t size = view.ByteSizeLong();
    if (!response.materials.empty() && bytes + size > kMaxPageBytes) return false;
    bytes += size;
    response.materials.push_back(std::move(view));
    return true;
  };
  if (!by_seq) {
    const std::string prefix = query.origin.empty() ? "" : query.origin + "/";
    auto it = kv_->NewIterator(Cf::kMaterials);
    it->Seek(after.empty() ? prefix : after + std::string(1, '\0'));
    for (; it->Valid() && absl::StartsWith(it->key(), prefix); it->Next()) {
      ASSIGN_OR_RETURN(Entry e, DecodeEntry(it->key(), it->value()));
      if (!keep(it->key(), e)) continue;
      if (!add(it->key(), e)) {
        response.next_page_token = tag + response.materials.back().id();
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
      response.next_page_token = absl::StrCat(tag, response.materials.back().lseq());
      break;
    }
  }
  RETURN_IF_ERROR(it->status());
  return response;
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

}  // namespace minga
