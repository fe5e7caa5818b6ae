#include "node/catalog/chunk_refs.h"

#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "node/core/status_macros.h"

namespace minga {

std::string ShortHex(absl::string_view sha) { return absl::BytesToHexString(sha).substr(0, 16); }

std::set<std::string> ChunksOf(const v1::Material* m) {
  std::set<std::string> out;
  if (m == nullptr) return out;
  for (const v1::FileInfo& f : m->files()) {
    for (const std::string& sha : f.chunk_sha256()) out.insert(sha);
  }
  return out;
}

std::string ChunkRefKey(absl::string_view sha, absl::string_view id) {
  return absl::StrCat(kChunkRefPrefix, sha, id);
}
std::string ChunkRefPrefix(absl::string_view sha) { return absl::StrCat(kChunkRefPrefix, sha); }
std::string WantKey(absl::string_view id, absl::string_view sha) {
  return absl::StrCat(kWantPrefix, id, absl::string_view("\0", 1), sha);
}
std::string WantPrefix(absl::string_view id) {
  return absl::StrCat(kWantPrefix, id, absl::string_view("\0", 1));
}
std::string PresentKey(absl::string_view sha) { return absl::StrCat(kPresentPrefix, sha); }
std::string UploadKey(absl::string_view sha) { return absl::StrCat(kUploadPrefix, sha); }

absl::Status UpdateChunkRefs(Txn* txn, absl::string_view id, const std::set<std::string>& before,
                             const std::set<std::string>& after, bool want,
                             const std::function<bool(const std::string&)>& pinned,
                             std::vector<std::string>* dropped) {
  for (const std::string& sha : before) {
    if (after.count(sha)) continue;
    txn->Delete(Cf::kChunkRefs, ChunkRefKey(sha, id));
    txn->Delete(Cf::kChunkRefs, WantKey(id, sha));
  }
  for (const std::string& sha : after) {
    if (before.count(sha)) continue;
    txn->Put(Cf::kChunkRefs, ChunkRefKey(sha, id), "");
    if (!want) continue;
    ASSIGN_OR_RETURN(std::optional<std::string> present, txn->Get(Cf::kChunkRefs, PresentKey(sha)));
    if (!present.has_value()) txn->Put(Cf::kChunkRefs, WantKey(id, sha), "");
  }
  // A chunk no held material lists is deleted now: retracted content does
  // not linger until a garbage collection.
  for (const std::string& sha : before) {
    if (after.count(sha) || pinned(sha)) continue;
    ASSIGN_OR_RETURN(bool still_listed, txn->AnyWithPrefix(Cf::kChunkRefs, ChunkRefPrefix(sha)));
    if (still_listed) continue;
    ASSIGN_OR_RETURN(std::optional<std::string> present, txn->Get(Cf::kChunkRefs, PresentKey(sha)));
    if (!present.has_value()) continue;
    txn->Delete(Cf::kChunkRefs, PresentKey(sha));
    dropped->push_back(sha);
  }
  return absl::OkStatus();
}

}  // namespace minga
