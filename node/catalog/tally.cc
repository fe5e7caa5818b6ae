#include "node/catalog/tally.h"

#include <algorithm>
#include <functional>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "node/catalog/chunk_refs.h"
#include "node/core/crypto.h"
#include "node/core/status_macros.h"
#include "node/store/keys.h"

namespace minga {
namespace {

void XorInto(std::string* digest, absl::string_view share) {
  if (digest->size() != share.size()) digest->assign(share.size(), '\0');
  for (size_t i = 0; i < share.size(); ++i) (*digest)[i] ^= share[i];
}

uint64_t Step(uint64_t value, int sign, uint64_t n = 1) {
  return sign > 0 ? value + n : (value >= n ? value - n : 0);
}

}  // namespace

std::string EntryShare(absl::string_view id, absl::string_view header) {
  Sha256Hasher h;
  h.Update(EncodeU64(id.size()));
  h.Update(id);
  h.Update(EncodeU64(header.size()));
  h.Update(header);
  return DigestToBytes(h.Finish());
}

void CountEntry(absl::string_view id, const Entry& entry, int sign, absl::string_view own_org,
                v1::storage::Tally* tally) {
  v1::storage::Tally::Origin& o = (*tally->mutable_origins())[entry.header.origin()];
  if (entry.header.deleted()) {
    o.set_retracted(Step(o.retracted(), sign));
  } else if (entry.has_body()) {
    o.set_materials(Step(o.materials(), sign));
  } else {
    o.set_headers_only(Step(o.headers_only(), sign));
  }
  if (o.materials() == 0 && o.headers_only() == 0 && o.retracted() == 0) {
    tally->mutable_origins()->erase(entry.header.origin());
  }
  XorInto(tally->mutable_digest(), EntryShare(id, entry.stored.signed_().header()));
  if (sign > 0 && entry.header.origin() == own_org &&
      entry.header.version() > tally->highest_own_version()) {
    tally->set_highest_own_version(entry.header.version());
  }
}

absl::Status CountFiles(Txn* txn, absl::string_view id, const Entry& entry, int sign,
                        v1::storage::Tally* tally, absl::string_view only_listing) {
  if (!entry.has_body()) return absl::OkStatus();
  for (const v1::FileInfo& f : entry.material->files()) {
    if (!only_listing.empty() && std::find(f.chunk_sha256().begin(), f.chunk_sha256().end(),
                                           only_listing) == f.chunk_sha256().end()) {
      continue;
    }
    bool complete = true;
    for (const std::string& sha : f.chunk_sha256()) {
      ASSIGN_OR_RETURN(std::optional<std::string> wanted,
                       txn->Get(Cf::kChunkRefs, WantKey(id, sha)));
      if (wanted.has_value()) {
        complete = false;
        break;
      }
    }
    if (complete) {
      tally->set_files_complete(Step(tally->files_complete(), sign));
    } else {
      tally->set_files_missing(Step(tally->files_missing(), sign));
    }
  }
  return absl::OkStatus();
}

absl::Status CountChunkKeys(const Txn& txn, KvStore* kv, v1::storage::Tally* tally) {
  absl::Status status;
  // Calls `counted` for each key under `prefix` that the transaction adds
  // or removes (against the committed store), with its value before and
  // after.
  auto for_each_added_or_removed =
      [&](absl::string_view prefix,
          const std::function<void(const std::optional<std::string>& before,
                                   const std::optional<std::string>& now)>& counted) {
        txn.ForEachWrite(Cf::kChunkRefs, prefix,
                         [&](absl::string_view key, const std::optional<std::string>& now) {
                           absl::StatusOr<std::optional<std::string>> before =
                               kv->Get(Cf::kChunkRefs, key);
                           if (!before.ok()) {
                             status.Update(before.status());
                             return;
                           }
                           if (before->has_value() == now.has_value()) return;
                           counted(*before, now);
                         });
      };
  for_each_added_or_removed(kPresentPrefix, [&](const std::optional<std::string>& before,
                                                const std::optional<std::string>& now) {
    const int sign = now.has_value() ? 1 : -1;
    tally->set_chunks_stored(Step(tally->chunks_stored(), sign));
    tally->set_chunk_bytes(
        Step(tally->chunk_bytes(), sign, DecodeU64(now.has_value() ? *now : *before).value_or(0)));
  });
  for_each_added_or_removed(
      kWantPrefix, [&](const std::optional<std::string>&, const std::optional<std::string>& now) {
        tally->set_chunks_missing(Step(tally->chunks_missing(), now.has_value() ? 1 : -1));
      });
  return status;
}

std::map<std::string, v1::storage::Tally::Origin> OriginsInOrder(const v1::storage::Tally& tally) {
  return {tally.origins().begin(), tally.origins().end()};
}

std::string DigestHex(const v1::storage::Tally& tally) {
  std::string digest = tally.digest();
  if (digest.empty()) digest.assign(32, '\0');
  return absl::BytesToHexString(digest);
}

absl::StatusOr<v1::storage::Tally> Recount(KvStore* kv, absl::string_view own_org) {
  v1::storage::Tally tally;
  Txn txn(kv);  // reads only
  auto it = kv->NewIterator(Cf::kMaterials);
  for (it->Seek(""); it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(Entry e, DecodeEntry(it->key(), it->value()));
    CountEntry(it->key(), e, +1, own_org, &tally);
    RETURN_IF_ERROR(CountFiles(&txn, it->key(), e, +1, &tally));
  }
  RETURN_IF_ERROR(it->status());
  auto chunks = kv->NewIterator(Cf::kChunkRefs);
  for (chunks->Seek(kPresentPrefix);
       chunks->Valid() && absl::StartsWith(chunks->key(), kPresentPrefix); chunks->Next()) {
    tally.set_chunks_stored(tally.chunks_stored() + 1);
    tally.set_chunk_bytes(tally.chunk_bytes() + DecodeU64(chunks->value()).value_or(0));
  }
  RETURN_IF_ERROR(chunks->status());
  for (chunks->Seek(kWantPrefix); chunks->Valid() && absl::StartsWith(chunks->key(), kWantPrefix);
       chunks->Next()) {
    tally.set_chunks_missing(tally.chunks_missing() + 1);
  }
  RETURN_IF_ERROR(chunks->status());
  return tally;
}

}  // namespace minga
