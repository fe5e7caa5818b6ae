// PullApplier: verifies batches pulled from partners, applies them with the
// merge rule, and keeps each partner's state (checkpoint, feed, errors).
//
// A whole batch is refused, and nothing stored, if any revision is
// malformed, unsigned by its origin's key, has a body that does not match
// its header, or carries a body this node is not in the audience of:
// INVALID_ARGUMENT, UNAUTHENTICATED, DATA_LOSS or PERMISSION_DENIED, naming
// the revision ("revisions[3] (org/id): ..."). The checkpoint moves in the
// same write as the revisions it covers.
//
// Thread safety: all methods may be called concurrently. VerifyBatch takes
// no lock (signatures are checked on the options' executor), so a puller
// verifies its next batch while the previous one is written.
#ifndef MINGA_NODE_CATALOG_APPLY_H_
#define MINGA_NODE_CATALOG_APPLY_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "minga/v1/config.pb.h"
#include "minga/v1/federation.pb.h"
#include "minga/v1/material.pb.h"
#include "minga/v1/storage.pb.h"
#include "node/catalog/interlock.h"
#include "node/catalog/writer.h"
#include "node/core/merge.h"

namespace minga {

// How far ahead of this node's clock a version (microseconds) may be.
inline constexpr uint64_t kMaxVersionAhead = uint64_t{366} * 24 * 3600 * 1000000;

struct ApplyStats {
  size_t received = 0;
  size_t replaced = 0;                // newer revisions stored
  size_t bodies_added = 0;            // bodies added to a held header
  size_t ignored = 0;                 // nothing new
  size_t verified = 0;                // signatures checked
  size_t too_far_ahead = 0;           // versions beyond kMaxVersionAhead, passed over
  size_t purges_held = 0;             // bodies the interlock kept (interlock.h)
  bool feed_reset = false;            // the peer's feed id changed
  uint64_t checkpoint = 0;            // stored checkpoint after the batch
  int64_t caught_up_unix_micros = 0;  // when last caught up with the peer
};

// One revision of a batch on its way in (see VerifyBatch).
struct VerifiedRevision {
  v1::RevisionHeader header;
  MergeState state;
  bool skip = false;  // unknown origin, nothing new, or too far ahead
  bool check_signature = false;
  // Authentic (once verified) but too far ahead of this node's clock.
  bool far_ahead = false;
  absl::Status status;  // of verification
  std::string signer;   // fingerprint of the key it verified with
  std::optional<v1::Material> material;
};

// A pull batch that passed VerifyBatch, with what it found.
struct VerifiedBatch {
  v1::PullBatch batch;
  std::vector<VerifiedRevision> revisions;
  ApplyStats stats;
};

class PullApplier {
 public:
  // writer, interlock: borrowed, must outlive this.
  PullApplier(CatalogWriter* writer, Interlock* interlock)
      : w_(*writer), interlock_(*interlock), kv_(writer->kv()), options_(writer->options()) {}
  PullApplier(const PullApplier&) = delete;
  PullApplier& operator=(const PullApplier&) = delete;

  // Verifies and applies a batch pulled from `peer`, and stores the new
  // checkpoint in the same write: VerifyBatch then ApplyVerified.
  absl::StatusOr<ApplyStats> ApplyBatch(absl::string_view peer, const v1::PullBatch& batch);
  // The first half of ApplyBatch, without the write lock: checks the
  // batch's shape, decodes every revision, skips what is held already, and
  // verifies signatures and bodies on the executor.
  absl::StatusOr<VerifiedBatch> VerifyBatch(v1::PullBatch batch);
  // The second half: applies verified batches of `peer`, in the order
  // given, in one transaction with one sync, the checkpoint moving batch by
  // batch. Returns each batch's stats. On error nothing is stored.
  absl::StatusOr<std::vector<ApplyStats>> ApplyVerified(absl::string_view peer,
                                                        std::vector<VerifiedBatch> batches);

  // The stored state of a peer (default-constructed if never pulled).
  absl::StatusOr<v1::storage::PeerState> GetPeerState(absl::string_view peer);
  // Restarts a peer's checkpoint at 0 when the subscription fingerprint
  // differs from the stored one, so the new subscription back-fills.
  absl::Status PrepareSubscription(absl::string_view peer, absl::string_view fingerprint);
  // After a peer's subscription narrowed: entries of other origins held
  // with a body that none of `subscriptions` (every configured peer's)
  // selects keep their signed header only; their bodies and files go, as if
  // they had arrived under these subscriptions. Returns how many. No
  // subscriptions (no peers): nothing changes.
  absl::StatusOr<size_t> DropUnsubscribed(const std::vector<v1::Subscription>& subscriptions);
  // Records a failed pull.
  absl::Status RecordPeerError(absl::string_view peer, absl::string_view error);

 private:
  // Applies one verified batch within ApplyVerified's transaction; true
  // when the peer's state moved (checkpoint, feed, head).
  absl::StatusOr<bool> ApplyOneLocked(Pending* pending, absl::string_view peer,
                                      const std::string& actor, int64_t now,
                                      VerifiedBatch* verified) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w_.mu);
  // The revisions of `verified` that take a body this node holds, whose
  // purge the interlock holds (their indices).
  absl::StatusOr<std::set<int>> HeldLosses(Pending* pending, int64_t now,
                                           const VerifiedBatch& verified)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(w_.mu);

  CatalogWriter& w_;
  Interlock& interlock_;
  KvStore* const kv_;
  const CatalogOptions& options_;
};

}  // namespace minga

#endif  // MINGA_NODE_CATALOG_APPLY_H_
