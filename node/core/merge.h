// The merge rule, as a pure function.
//
// For one material, a node keeps the revision of highest rank whose header
// verifies with the origin's key. Rank is (version, SHA-256 of the signed
// header bytes): the version decides, and the hash breaks the tie should an
// origin ever sign two different headers with one version, so every node
// still picks the same one. For equal ranks, holding the body beats not
// holding it. The state is therefore a join-semilattice and Merge computes
// its join: the result does not depend on order, duplication or path.
//
// Thread-safe: no state.
#ifndef MINGA_NODE_CORE_MERGE_H_
#define MINGA_NODE_CORE_MERGE_H_

#include <compare>
#include <cstdint>
#include <optional>

#include "node/core/crypto.h"

namespace minga {

struct RevisionRank {
  uint64_t version = 0;
  Sha256Digest header_hash{};
  auto operator<=>(const RevisionRank&) const = default;
};

struct MergeState {
  RevisionRank rank;
  // The body is held (verified, and this node is in the audience).
  bool has_body = false;
};

enum class MergeAction {
  kIgnore,   // incoming adds nothing: lower rank, or same and no new body
  kReplace,  // incoming is newer: replaces header and (absent or not) body
  kAddBody,  // same revision; incoming brings the body the node lacked
};

MergeAction Merge(const std::optional<MergeState>& held, const MergeState& incoming);

// The state after applying `incoming` to `held` (the join).
MergeState Join(const std::optional<MergeState>& held, const MergeState& incoming);

}  // namespace minga

#endif  // MINGA_NODE_CORE_MERGE_H_
