// Catalog: dropping what an edited federation file no longer vouches for.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "node/catalog/catalog.h"
#include "node/core/parallel.h"
#include "node/core/proto_util.h"
#include "node/core/revision.h"
#include "node/core/status_macros.h"
#include "node/store/keys.h"

namespace minga {

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
    ParallelForOrInline(options_.executor, slice.size(), check);
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

  absl::MutexLock lock(&writer_.mu);
  size_t purged = 0;
  for (size_t start = 0; start <= doomed.size(); start += 1000) {
    Pending pending = writer_.Begin();
    for (size_t i = start; i < std::min(doomed.size(), start + 1000); ++i) {
      ASSIGN_OR_RETURN(std::optional<Entry> old, LoadEntry(&pending.txn, doomed[i]));
      if (!old.has_value()) continue;
      RETURN_IF_ERROR(writer_.Purge(&pending, doomed[i], *old));
      // A body the interlock held goes with its entry.
      RETURN_IF_ERROR(interlock_.Forget(&pending, old->header.origin(), doomed[i]));
      ++purged;
    }
    // The fingerprint goes with the last slice: a crash before it redoes
    // the check, harmlessly. So does the interlock's account of origins no
    // longer members.
    if (start + 1000 > doomed.size()) {
      ASSIGN_OR_RETURN(std::vector<InterlockHoldInfo> holds, interlock_.Holds());
      for (const InterlockHoldInfo& hold : holds) {
        if (options_.keyring->Find(hold.origin) != nullptr) continue;
        RETURN_IF_ERROR(interlock_.DropOrigin(&pending, hold.origin));
      }
      pending.txn.Put(Cf::kMeta, kMetaMembership, fingerprint);
    }
    RETURN_IF_ERROR(writer_.Commit(&pending, /*sync=*/true));
  }
  return purged;
}

}  // namespace minga
