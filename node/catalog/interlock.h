// Interlock: the mass-delete interlock. When one origin's pulled revisions
// take the bodies of many of its materials from this node within a short
// window (retractions, or audiences narrowed to leave this node out), a
// stolen key, a faulty script or a mistake at that origin may be wiping the
// region's copies. Past the threshold the node still applies every header
// (confinement wins: such a material is neither served nor searchable from
// that moment), but holds the purge of the bodies and files those
// revisions take. They wait in the "held" column family until an
// administrator releases them (Release, `minga release ORIGIN`) or the
// grace period ends (ExpireDue, from the maintenance thread). A held
// material's files stay stored, so if its origin publishes it again they
// are not fetched again.
//
// Counting: per origin, bodies lost per minute over the window. The
// interlock trips when the losses within the window exceed share_percent
// of that origin's bodies held before them and number at least
// min_materials. The batch that crosses the threshold is held whole, and so
// is every loss after it until release; losses before it in the window
// were purged as they came (as with rsync's --max-delete, what is under the
// threshold goes through). A pull applies a large mass retraction in large
// batches, so it is held nearly whole. This node's own materials are never
// held: their changes are its administrator's.
//
// Thread safety: CountLosses, Hold, IsHeld, Forget and DropOrigin run
// inside another part's change, with the writer's lock held (their Pending
// comes from it; the analysis cannot name that lock through two parts, so
// they are not annotated); Holds reads without a lock; Release and
// ExpireDue take the writer's lock; Restore runs at open, before the
// catalog is shared.
// Errors are the store's.
#ifndef MINGA_NODE_CATALOG_INTERLOCK_H_
#define MINGA_NODE_CATALOG_INTERLOCK_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "minga/v1/storage.pb.h"
#include "node/catalog/entry.h"
#include "node/catalog/writer.h"

namespace minga {

// One origin's hold, for status, peers and metrics.
struct InterlockHoldInfo {
  std::string origin;
  uint64_t held = 0;  // bodies held now
  int64_t tripped_unix_micros = 0;
  int64_t expires_unix_micros = 0;
  uint64_t tripped_losses = 0;  // bodies lost within the window when it tripped
  uint64_t tripped_of = 0;      // of the origin's bodies held before them
};

class Interlock {
 public:
  // writer: borrowed, must outlive this. The thresholds are the writer's
  // options' `interlock`.
  explicit Interlock(CatalogWriter* writer);
  Interlock(const Interlock&) = delete;
  Interlock& operator=(const Interlock&) = delete;

  // At open: learns which origins have a hold, so pulls of the others skip
  // the lookups.
  absl::Status Restore();

  // In a pull's transaction, before the revisions are stored: `count`
  // bodies of `origin` are about to be taken. Counts them in the window and
  // returns whether their purge is held (the interlock trips now, or had).
  absl::StatusOr<bool> CountLosses(Pending* pending, absl::string_view origin, uint64_t count,
                                   int64_t now_micros);
  // Keeps `old`'s body aside, its purge held. The caller stores the new
  // header with Entry::LostChunks::kKeep, so the files stay too.
  absl::Status Hold(Pending* pending, const std::string& id, const Entry& old,
                    absl::string_view peer, int64_t now_micros);
  // Whether a body of `id` (of `origin`) is held.
  absl::StatusOr<bool> IsHeld(Pending* pending, absl::string_view origin, absl::string_view id);
  // A newer revision brought `id` a body again: the held one goes.
  absl::Status Forget(Pending* pending, absl::string_view origin, absl::string_view id);
  // Whether `origin` may have a hold (false: none, no lookup needed).
  bool MayHold(absl::string_view origin) const ABSL_LOCKS_EXCLUDED(mu_);

  // The origins with a hold, by origin.
  absl::StatusOr<std::vector<InterlockHoldInfo>> Holds();

  // Ends `origin`'s hold: its held bodies and their files are purged now
  // (each entry is stored again without them, an audit record naming
  // `actor`), and its losses are counted afresh. Returns how many bodies
  // went; NOT_FOUND when the origin has no hold.
  absl::StatusOr<uint64_t> Release(absl::string_view origin, absl::string_view actor)
      ABSL_LOCKS_EXCLUDED(w_.mu);
  // Releases every hold whose grace period has ended; returns the bodies
  // purged.
  absl::StatusOr<uint64_t> ExpireDue() ABSL_LOCKS_EXCLUDED(w_.mu);
  // Forgets `origin`'s account and held bodies inside a transaction that
  // purges its entries (a member removed from the federation).
  absl::Status DropOrigin(Pending* pending, absl::string_view origin);

 private:
  absl::StatusOr<v1::storage::InterlockState> LoadState(Txn* txn, absl::string_view origin);
  absl::StatusOr<v1::storage::InterlockState> LoadState(absl::string_view origin);

  CatalogWriter& w_;
  mutable absl::Mutex mu_;
  std::set<std::string, std::less<>> holding_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minga

#endif  // MINGA_NODE_CATALOG_INTERLOCK_H_
