// A stored catalog entry, decoded: what the node holds for one material.
#ifndef MINGA_NODE_CATALOG_ENTRY_H_
#define MINGA_NODE_CATALOG_ENTRY_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "minga/v1/catalog.pb.h"
#include "minga/v1/storage.pb.h"
#include "node/catalog/txn.h"
#include "node/core/keyring.h"
#include "node/core/merge.h"

namespace minga {

struct Entry {
  v1::storage::StoredEntry stored;
  v1::RevisionHeader header;
  // The decoded body, when held.
  std::optional<v1::Material> material;
  // Not stored: what StoreEntry does with the chunks of a body this entry
  // no longer holds. By default it keeps those stored while this node is
  // still in the audience (a newer header came first; its body is on its
  // way). kKeep: the interlock holds the purge (interlock.h). kDrop: this
  // node no longer subscribes to the body.
  enum class LostChunks { kByAudience, kKeep, kDrop };
  LostChunks lost_chunks = LostChunks::kByAudience;

  bool has_body() const { return material.has_value(); }
  MergeState merge_state() const;
};

// Decodes a "materials" value. DATA_LOSS names the id when it is corrupt.
absl::StatusOr<Entry> DecodeEntry(absl::string_view id, absl::string_view value);

// The entry held for `id`, std::nullopt if none.
absl::StatusOr<std::optional<Entry>> LoadEntry(Txn* txn, absl::string_view id);
absl::StatusOr<std::optional<Entry>> LoadEntry(KvStore* kv, absl::string_view id);

// The stored record only, its header and body left encoded: for callers
// that compare bytes on a hot path. DATA_LOSS when corrupt.
absl::StatusOr<std::optional<v1::storage::StoredEntry>> LoadStored(KvStore* kv,
                                                                   absl::string_view id);

// The client's view of an entry. `keyring` names the signer.
v1::MaterialView MakeView(absl::string_view id, const Entry& entry, const Keyring& keyring);

// Drops the per-chunk hash lists of a view's files (listings answer with
// name, size and file hash; the chunk lists can be 0.5 MiB a material).
void StripChunkHashes(v1::MaterialView* view);

}  // namespace minga

#endif  // MINGA_NODE_CATALOG_ENTRY_H_
