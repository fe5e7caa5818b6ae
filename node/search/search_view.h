// SearchView: the node's full-text search, a view of the store kept in a
// Xapian index beside it (<data_dir>/search). It follows the node's own
// feed: a thread reads the changes after the position it has reached,
// indexes the materials held with their body (and drops the others), and
// commits the documents together with the new position (Xapian metadata),
// so after a crash it resumes from the last commit and never holds half a
// change. The catalog's writes do not wait for it.
//
// While it lags, confinement still holds: the catalog tells the view of
// every change as it commits, a material whose newest change left it
// without its body (retracted, narrowed away, purged) is dropped from
// every result and facet count at once, and each hit is read from the live
// store before it is returned.
//
// Reindex builds a new index aside (the current one keeps serving and
// following) and switches to it atomically once it has caught up; Compact
// does the same by copying the current one compactly, which also removes
// from disk what retracted materials left in freed pages. A file CURRENT
// names the index in use; other directories are leftovers of an
// interrupted rebuild, removed at open.
//
// Thread safety: every method may be called from any thread. Searches run
// concurrently, each on a reader of its own.
#ifndef MINGA_NODE_SEARCH_SEARCH_VIEW_H_
#define MINGA_NODE_SEARCH_SEARCH_VIEW_H_

#include <xapian.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "minga/v1/catalog.pb.h"
#include "node/catalog/catalog.h"
#include "node/core/metrics.h"
#include "node/search/common_words.h"
#include "node/search/doc_stats.h"
#include "node/search/spelling_batch.h"
#include "node/store/disk_reserve.h"

namespace minga::search {

class BuildAhead;
struct PreparedChange;

struct SearchViewOptions {
  // Directory of the index; created if missing. Required.
  std::string dir;
  // The store it follows. Borrowed; must outlive the view. Required.
  Catalog* catalog = nullptr;
  // A commit holds at most this many changes...
  size_t commit_changes = 5000;
  // ...and a change waits at most this long for its commit while more keep
  // coming (a lone change after a quiet moment is committed at once). Each
  // commit fsyncs every Xapian table, and those syncs delay the store's own
  // on the same disk: along a line of following nodes, commits every 250 ms
  // set the tail of a change's propagation (docs/performance.md). One
  // second is also the usual refresh of search engines that index streams.
  absl::Duration commit_interval = absl::Seconds(1);
  // Commits reach the disk before they count (off only in tests).
  bool sync = true;
  // Below this reserve of free space the view pauses (its lag grows and
  // `last_error` says why) and reindex and compact are refused. Borrowed;
  // null: no reserve.
  const DiskReserve* reserve = nullptr;
  // A stem is common (common_words.h) once in at least this many documents
  // (and a share of them); tests lower it.
  uint32_t common_min_documents = CommonWords::kDefaultMinDocuments;
};

// What Search refuses: INVALID_ARGUMENT naming the field (query length,
// page size, years, a filter value, a cursor of another query or index).
inline constexpr size_t kMaxQueryChars = 1000;
inline constexpr size_t kMaxQueryWords = 32;

class SearchView {
 public:
  // Opens (or creates) the index in options.dir and registers with the
  // catalog for changes; Start begins following. An index of another feed
  // (a restored or new store) or of an older format is rebuilt from
  // scratch. UNAVAILABLE when the directory cannot be used.
  static absl::StatusOr<std::unique_ptr<SearchView>> Open(SearchViewOptions options);
  ~SearchView();  // Stops.
  SearchView(const SearchView&) = delete;
  SearchView& operator=(const SearchView&) = delete;

  // Starts following the feed. Stop commits what was indexed and stops
  // for good (also done by the destructor); the catalog must outlive it.
  void Start();
  void Stop();

  absl::StatusOr<v1::SearchResponse> Search(const v1::SearchRequest& request);
  // How long searches took, in seconds, failed ones included.
  const Histogram& latency() const { return latency_; }

  // Builds a new index from the stored materials and switches to it;
  // `progress(done, total)` reports the materials indexed. One at a time
  // (FAILED_PRECONDITION when one runs); a failure leaves the current index
  // in use.
  absl::Status Reindex(const std::function<void(uint64_t, uint64_t)>& progress);
  // Copies the current index compactly and switches to it.
  absl::Status Compact();

  // The feed position the index has reached, and committed.
  uint64_t position() const { return position_.load(); }
  uint64_t documents() const;
  // The Xapian database in use, for tools that read it directly (it moves
  // on a reindex or compaction).
  std::string current_path() const;
  // The indexer's last error, "" when its last commit succeeded.
  std::string last_error() const;
  // Blocks until position() >= lseq or the timeout passes.
  bool WaitForPosition(uint64_t lseq, absl::Duration timeout);
  // Holds the indexer (it finishes its current commit first), for tests
  // that need the view to lag.
  void HoldForTest(bool hold);

 private:
  struct Generation;
  absl::StatusOr<v1::SearchResponse> SearchOnce(const v1::SearchRequest& request);
  SearchView(SearchViewOptions options);
  absl::Status OpenCurrent() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  void Run();
  // OK, or RESOURCE_EXHAUSTED starting with `what` while writing `bytes`
  // would cut into the reserve (options_.reserve).
  absl::Status CheckRoom(absl::string_view what, uint64_t bytes = 0) const;
  // Indexes changes after position_ into the live writer, committing as the
  // options say. Returns how many it read (0: caught up).
  absl::StatusOr<size_t> IndexSome() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  // Applies one prepared change to the writer and the uncommitted state;
  // false when the commit it makes due would not leave the disk reserve
  // free (`index_bytes`: the index's size on disk). Throws Xapian::Error.
  bool IndexPrepared(const PreparedChange& p, uint64_t index_bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  absl::Status CommitLocked(uint64_t position) ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  absl::Status SwitchTo(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  // After the writer (re)opens: the stats and common words of what it
  // committed. Throws Xapian::Error.
  void LoadCommitted(Generation* gen) ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  // Runs `build`, which makes a new generation aside and switches to it
  // (Reindex, Compact), one at a time (else FAILED_PRECONDITION `busy`)
  // and only with room on the disk for `copies` of the current index. A Xapian error becomes a
  // status naming `what`; on failure, what `build` left of the generation it named goes.
  absl::Status BuildAside(absl::string_view what, absl::string_view busy, int copies,
                          const std::function<absl::Status(std::string* name)>& build);
  std::shared_ptr<Generation> current() const;
  // Ids whose newest change left them without a body, not yet indexed.
  std::vector<std::string> DeadIds() const;
  void OnChange(uint64_t lseq, const std::string& id, bool has_body);

  const SearchViewOptions options_;
  Catalog* const catalog_;
  int listener_ = -1;  // the catalog's token for OnChange

  mutable absl::Mutex gen_mu_;
  std::shared_ptr<Generation> current_ ABSL_GUARDED_BY(gen_mu_);

  // The live writer and what it has indexed but not committed.
  absl::Mutex writer_mu_;
  std::unique_ptr<Xapian::WritableDatabase> writer_ ABSL_GUARDED_BY(writer_mu_);
  std::vector<DocStats::Change> uncommitted_ ABSL_GUARDED_BY(writer_mu_);
  uint64_t uncommitted_position_ ABSL_GUARDED_BY(writer_mu_) = 0;
  // Terms the uncommitted changes touched (ApplyChange): what bounds the
  // commit's writes.
  uint64_t uncommitted_terms_ ABSL_GUARDED_BY(writer_mu_) = 0;
  // Their spelling words, written at the commit.
  SpellingBatch spelling_ ABSL_GUARDED_BY(writer_mu_);
  // The common words the writer builds documents with, the lists' lengths
  // readers were last given, and the documents applied since the last
  // Promote.
  CommonWords common_ ABSL_GUARDED_BY(writer_mu_);
  // Builds a stream's documents a stretch ahead of the writer; used
  // under writer_mu_.
  const std::unique_ptr<BuildAhead> build_ahead_;
  Vintage common_published_ ABSL_GUARDED_BY(writer_mu_);
  size_t since_promote_ ABSL_GUARDED_BY(writer_mu_) = 0;
  absl::Time first_uncommitted_ ABSL_GUARDED_BY(writer_mu_);
  absl::Time last_commit_ ABSL_GUARDED_BY(writer_mu_) = absl::InfinitePast();

  absl::Mutex reindex_mu_;

  std::atomic<uint64_t> position_{0};
  mutable absl::Mutex state_mu_;
  std::map<std::string, uint64_t, std::less<>> dead_ ABSL_GUARDED_BY(state_mu_);
  std::string last_error_ ABSL_GUARDED_BY(state_mu_);
  bool stopping_ ABSL_GUARDED_BY(state_mu_) = false;
  bool hold_ ABSL_GUARDED_BY(state_mu_) = false;
  std::thread thread_;
  Histogram latency_{{0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5}};
};

}  // namespace minga::search

#endif  // MINGA_NODE_SEARCH_SEARCH_VIEW_H_
