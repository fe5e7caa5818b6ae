// DocStats: what ranking, facet counts, filters and phrases need of every
// indexed document, in memory: its length, its date key, the length of the
// common words' list it was built with, a bitmap of documents per facet
// value (Roaring, for filters), its facet profile (for counts), and that
// list. Derived from the index: built when it opens, then kept by the
// indexer, which applies each change it commits.
//
// `revision` is the index revision the stats describe: a reader of an
// older revision may see an older build of a document than `vintages`
// describes (a newer one is harmless: vintages only grow), so it must not
// trust them.
//
// For block-max scoring (score_bounds.h) it also keeps, by block of
// documents, the smallest length and the count of commits when a change
// last touched it, and the bounds of the terms searches used last.
//
// Memory: 20 bytes a document plus the bitmaps and the distinct profiles
// (a few MiB at a million documents: facet values are few, their bitmaps
// compress, and the benchmark's million share 1,431 profiles), half a byte
// a document for the blocks, and up to TermBoundsCache::kCapacity bounds
// of a sixteenth of a byte a document (4 MiB at a million).
//
// Thread safety: Read takes a shared lock, the changes an exclusive one.
#ifndef MINGA_NODE_SEARCH_DOC_STATS_H_
#define MINGA_NODE_SEARCH_DOC_STATS_H_

#include <xapian.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "node/search/common_words.h"
#include "node/search/facet_profiles.h"
#include "node/search/score_bounds.h"
#include "roaring/roaring.hh"

namespace minga::search {

class DocStats {
 public:
  // A change the indexer made, for the stats once it is committed.
  struct Change {
    Xapian::docid did = 0;
    bool removed = false;
    uint32_t length = 0;
    uint64_t date = 0;
    Vintage vintage;
    std::vector<std::string> old_facets;
    std::vector<std::string> facets;
  };

  struct View {
    const std::vector<uint32_t>& lengths;                       // by docid
    const std::vector<uint64_t>& dates;                         // by docid, DateOrder
    const std::map<std::string, Roaring, std::less<>>& facets;  // by facet term
    const Roaring& all;                                         // every indexed document
    const std::vector<Vintage>& vintages;                       // by docid
    const FacetProfiles& profiles;
    const CommonWords& common;
    Xapian::rev revision;
    const std::vector<uint32_t>& block_stamps;       // by block
    const std::vector<uint32_t>& block_min_lengths;  // by block
    uint32_t commits;                                // counted at `revision`
    uint64_t touched;                                // documents changed, at `revision`
    TermBoundsCache& bounds;
  };

  // Reads every document's length, date, version and facet terms, and the
  // common words, from `db`.
  void Rebuild(const Xapian::Database& db) ABSL_LOCKS_EXCLUDED(mu_);

  // The indexer committed `revision`, with these changes and this list of
  // common words (null: unchanged). Applied at once, so a search sees the
  // stats of one revision; the changes' blocks are stamped with the new
  // count of commits, so no bound read before holds for them. Bounds are
  // only for a reader at `revision` exactly: one past it may see a
  // revision Xapian flushed on its own, or a writer's closing commit, that
  // no stamp describes.
  void Committed(Xapian::rev revision, std::shared_ptr<const CommonWords> common,
                 const std::vector<Change>& changes) ABSL_LOCKS_EXCLUDED(mu_);
  void Clear() ABSL_LOCKS_EXCLUDED(mu_);

  template <typename Fn>
  auto Read(Fn fn) const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::ReaderMutexLock lock(&mu_);
    return fn(View{lengths_, dates_, facets_, all_, vintages_, profiles_, *common_, revision_,
                   block_stamps_, block_min_lengths_, commits_, touched_, bounds_});
  }

  uint64_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // A document (re)indexed as `did` with these facet terms, replacing
  // `old_facets` (empty for a new one); and one removed.
  void SetLocked(const Change& c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveLocked(const Change& c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ResetBlocksLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::vector<uint32_t> lengths_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> dates_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Roaring, std::less<>> facets_ ABSL_GUARDED_BY(mu_);
  Roaring all_ ABSL_GUARDED_BY(mu_);
  std::vector<Vintage> vintages_ ABSL_GUARDED_BY(mu_);
  FacetProfiles profiles_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const CommonWords> common_ ABSL_GUARDED_BY(mu_) =
      std::make_shared<const CommonWords>();
  Xapian::rev revision_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<uint32_t> block_stamps_ ABSL_GUARDED_BY(mu_);
  std::vector<uint32_t> block_min_lengths_ ABSL_GUARDED_BY(mu_);
  uint32_t commits_ ABSL_GUARDED_BY(mu_) = 0;  // Committed calls since Rebuild
  uint64_t touched_ ABSL_GUARDED_BY(mu_) = 0;  // changes they stamped
  mutable TermBoundsCache bounds_;
};

}  // namespace minga::search

#endif  // MINGA_NODE_SEARCH_DOC_STATS_H_
