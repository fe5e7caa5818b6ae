#include "node/catalog/entry.h"

#include "absl/strings/str_cat.h"
#include "node/core/proto_util.h"
#include "node/core/revision.h"
#include "node/core/status_macros.h"

namespace minga {

MergeState Entry::merge_state() const {
  return MergeState{RevisionRank{header.version(), HeaderHash(stored.signed_())}, has_body()};
}

absl::StatusOr<Entry> DecodeEntry(absl::string_view id, absl::string_view value) {
  Entry entry;
  auto corrupt = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("store: entry '", id, "' is corrupt: ", what));
  };
  if (!ParseProto(value, &entry.stored)) return corrupt("not a StoredEntry");
  if (!entry.header.ParseFromString(entry.stored.signed_().header())) {
    return corrupt("header does not parse");
  }
  if (!entry.stored.body().empty()) {
    v1::Material material;
    if (!material.ParseFromString(entry.stored.body())) {
      return corrupt("body does not parse");
    }
    entry.material = std::move(material);
  }
  return entry;
}

absl::StatusOr<std::optional<Entry>> LoadEntry(Txn* txn, absl::string_view id) {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, txn->Get(Cf::kMaterials, id));
  if (!raw.has_value()) return std::nullopt;
  return DecodeEntry(id, *raw);
}

absl::StatusOr<std::optional<Entry>> LoadEntry(KvStore* kv, absl::string_view id) {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, kv->Get(Cf::kMaterials, id));
  if (!raw.has_value()) return std::nullopt;
  return DecodeEntry(id, *raw);
}

absl::StatusOr<std::optional<v1::storage::StoredEntry>> LoadStored(KvStore* kv,
                                                                   absl::string_view id) {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, kv->Get(Cf::kMaterials, id));
  if (!raw.has_value()) return std::nullopt;
  v1::storage::StoredEntry stored;
  if (!ParseProto(*raw, &stored)) {
    return absl::DataLossError(
        absl::StrCat("store: entry '", id, "' is corrupt: not a StoredEntry"));
  }
  return stored;
}

v1::MaterialView MakeView(absl::string_view id, const Entry& entry, const Keyring& keyring) {
  v1::MaterialView view;
  view.set_id(std::string(id));
  if (entry.material.has_value()) *view.mutable_material() = *entry.material;
  view.set_has_body(entry.has_body());
  *view.mutable_header() = entry.header;
  *view.mutable_provenance() = entry.stored.provenance();
  view.set_lseq(entry.stored.lseq());
  if (!entry.stored.signer().empty()) {
    view.set_signer(entry.stored.signer());
  } else if (const PublicKey* key = keyring.Find(entry.header.origin())) {
    view.set_signer(key->Fingerprint());
  }
  return view;
}

void StripChunkHashes(v1::MaterialView* view) {
  for (v1::FileInfo& f : *view->mutable_material()->mutable_files()) {
    f.clear_chunk_sha256();
    f.clear_chunk_size();
  }
}

}  // namespace minga
