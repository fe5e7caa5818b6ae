// Purger: after content leaves the catalog (a retraction, a narrowed
// audience, a removed member), removes what it left in the node's files,
// which deleting keys alone does not:
//   - the store's memory is flushed, so the write-ahead log that held the
//     old body is dropped;
//   - the store's key ranges of those materials are compacted to the last
//     level, so their old values leave the SST files;
//   - the search index is copied compactly into a new generation (its freed
//     pages may still hold the old terms), at most every `index_interval`.
// Chunk files already go when their retraction commits (chunk_store.h).
// It also ends the holds of the mass-delete interlock whose grace period
// has passed (catalog/interlock.h).
//
// It runs on its own thread, `delay` after the first change it is told of
// (so a burst of retractions is one purge), or at once on PurgeNow. The
// residual window, from a retraction to its bytes leaving the files, is
// therefore about `delay` for the store and up to `index_interval` for the
// index; the filesystem may keep freed blocks until it reuses them.
//
// Thread safety: all methods from any thread.
#ifndef MINGA_NODE_MAINTENANCE_PURGER_H_
#define MINGA_NODE_MAINTENANCE_PURGER_H_

#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "node/catalog/catalog.h"
#include "node/search/search_view.h"
#include "node/store/kv.h"

namespace minga {

struct PurgerOptions {
  absl::Duration delay = absl::Seconds(30);
  absl::Duration index_interval = absl::Minutes(10);
  // How often holds of the mass-delete interlock are checked for expiry.
  absl::Duration expiry_interval = absl::Minutes(1);
};

class Purger {
 public:
  // kv, catalog, search: borrowed, must outlive the purger (search may be
  // null: no index to compact).
  Purger(KvStore* kv, Catalog* catalog, search::SearchView* search, PurgerOptions options);
  ~Purger();  // stops (what is pending is purged at the next start's first
              // purge)
  Purger(const Purger&) = delete;
  Purger& operator=(const Purger&) = delete;

  // Purges what is pending now, on the calling thread, index included.
  absl::Status PurgeNow();

 private:
  void Run();
  absl::Status Purge(bool index_now);

  KvStore* const kv_;
  Catalog* const catalog_;
  search::SearchView* const search_;
  const PurgerOptions options_;
  int listener_ = -1;

  absl::Mutex mu_;
  std::set<std::string> pending_ ABSL_GUARDED_BY(mu_);
  absl::Time due_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  absl::Time last_index_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool index_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex purge_mu_;  // one purge at a time
  std::thread thread_;
};

}  // namespace minga

#endif  // MINGA_NODE_MAINTENANCE_PURGER_H_
