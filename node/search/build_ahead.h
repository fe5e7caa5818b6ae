// BuildAhead: reads the materials of a stretch of feed changes and builds
// their documents on a thread of its own, while the index thread applies
// the stretch before to the Xapian writer. Building is about a third of
// indexing; with a core free (an initial pull's tail, a reindex)
// it no longer waits for the writer.
//
// Documents are built with a copy of the common words' lists taken at
// Start, and record that copy's vintage: the lists only grow, so an older
// copy is a prefix of the writer's, and readers know which of the
// document's pairs have terms (common_words.h). The stems and pairs the
// builder saw are added to the writer's lists at Finish, in stretch order.
//
// Thread safety: Start, Finish, HandOver, Forget and Recycle are called by
// one thread (the index thread, under the view's writer lock); the builder
// thread only touches the stretch it was given and those it frees. The
// catalog must outlive the object.
#ifndef MINGA_NODE_SEARCH_BUILD_AHEAD_H_
#define MINGA_NODE_SEARCH_BUILD_AHEAD_H_

#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "node/catalog/catalog.h"
#include "node/search/analyzer.h"
#include "node/search/common_words.h"
#include "node/search/search_view_internal.h"

namespace minga::search {

class BuildAhead {
 public:
  // Starts the builder thread (named, at the index's low priority).
  explicit BuildAhead(Catalog* catalog);
  // Waits for a stretch in progress, then stops the thread.
  ~BuildAhead();
  BuildAhead(const BuildAhead&) = delete;
  BuildAhead& operator=(const BuildAhead&) = delete;

  // Starts building `changes` with `common`'s lists (copied when they grew
  // or were replaced since the last stretch). A stretch started and not
  // finished is waited for and dropped first.
  void Start(std::vector<FeedChange> changes, const CommonWords& common);
  // Waits for the stretch Start began and returns its changes in order (a
  // change whose material could not be read carries the error), and adds
  // the stems and pairs its documents held to `common`. Empty when no
  // stretch was started.
  std::vector<absl::StatusOr<PreparedChange>> Finish(CommonWords* common);
  // Finish, then Start `next` (unless empty): the stretch built is written
  // while the next is built.
  std::vector<absl::StatusOr<PreparedChange>> HandOver(std::vector<FeedChange> next,
                                                       CommonWords* common);
  // The writer's lists were replaced (a reopening, a reindex): the next
  // Start copies them whatever their length.
  void Forget();
  // Takes a stretch the caller has written, to free it on the builder
  // thread: its documents are many small allocations, and freeing them
  // took the writer, which bounds indexing, about 4% of its time.
  void Recycle(std::vector<absl::StatusOr<PreparedChange>> spent);

 private:
  void Loop();
  // Waits for a stretch in progress, if any, and drops what it built.
  void DropUnfinished();

  Catalog* const catalog_;
  absl::Mutex mu_;
  // The stretch to build, and what was built of it.
  std::optional<std::vector<FeedChange>> todo_ ABSL_GUARDED_BY(mu_);
  std::optional<std::vector<absl::StatusOr<PreparedChange>>> done_ ABSL_GUARDED_BY(mu_);
  // Stretches written, for the builder thread to free.
  std::vector<std::vector<absl::StatusOr<PreparedChange>>> spent_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Used by the builder thread while a stretch is in progress, and by the
  // caller only between Finish and Start.
  CommonWords common_;
  bool common_current_ = false;
  Stemmers stemmers_;
  bool started_ = false;  // the caller's: a stretch is in progress
  std::thread thread_;
};

}  // namespace minga::search

#endif  // MINGA_NODE_SEARCH_BUILD_AHEAD_H_
