// The catalog's tally (v1::storage::Tally): counts by origin, files and
// chunks, the digest and the highest own version, kept up to date in every
// commit so `minga status` costs the same at a million materials as at ten.
//
// Each write path adjusts a copy of the tally in its transaction: entries
// through CountEntry and CountFiles where it replaces or removes them,
// chunk records through CountChunkKeys just before the commit. Recount
// builds the same tally from a scan; tests compare the two.
//
// Thread safety: plain functions over caller-owned values.
#ifndef MINGA_NODE_CATALOG_TALLY_H_
#define MINGA_NODE_CATALOG_TALLY_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "minga/v1/storage.pb.h"
#include "node/catalog/entry.h"
#include "node/catalog/txn.h"
#include "node/store/kv.h"

namespace minga {

// One entry's share of the digest: SHA-256 of its id and signed header,
// length-prefixed so no two entries hash alike by accident.
std::string EntryShare(absl::string_view id, absl::string_view header);

// Adds (sign +1) or removes (sign -1) `entry` from the origin counts and
// the digest, and raises highest_own_version for `own_org`'s entries.
void CountEntry(absl::string_view id, const Entry& entry, int sign, absl::string_view own_org,
                v1::storage::Tally* tally);

// Adds or removes the files of `entry` (held with its body) as complete or
// missing, judged by the chunks `id` wants in `txn` as it stands now. Call
// with -1 before a change to the entry's files or wanted chunks and +1
// after it. With `only_listing` set, only the files that list that chunk
// are counted: the others are unchanged by a change to it alone, and a
// material of thousands of chunks is not scanned for each of them.
absl::Status CountFiles(Txn* txn, absl::string_view id, const Entry& entry, int sign,
                        v1::storage::Tally* tally, absl::string_view only_listing = {});

// Before `txn` commits: adjusts the chunk counts (stored, bytes, wanted) by
// what it changes of the "c" and "w" records, against the committed store.
absl::Status CountChunkKeys(const Txn& txn, KvStore* kv, v1::storage::Tally* tally);

// The tally's origins in id order, as a scan would list them (the map in
// the message has none), so status and metrics read the same each time.
std::map<std::string, v1::storage::Tally::Origin> OriginsInOrder(const v1::storage::Tally& tally);

// The tally's digest in hex (all zeros for an empty store).
std::string DigestHex(const v1::storage::Tally& tally);

// The tally of the whole store, from a scan.
absl::StatusOr<v1::storage::Tally> Recount(KvStore* kv, absl::string_view own_org);

}  // namespace minga

#endif  // MINGA_NODE_CATALOG_TALLY_H_
