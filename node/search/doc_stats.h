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
// Memory: 20 bytes a document plus the bitmaps and the distinct profiles
// (a few MiB at a million documents: facet values are few, their bitmaps
// compress, and the benchmark's million share 1,431 profiles).
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
#include "roaring/roaring.hh"

namespace minga::search {

class DocStats {
 public:
  struct View {
    const std::vector<uint32_t>& lengths;                       // by docid
    const std::vector<uint64_t>& dates;                         // by docid, DateOrder
    const std::map<std::string, Roaring, std::less<>>& facets;  // by facet term
    const Roaring& all;                                         // every indexed document
    const std::vector<Vintage>& vintages;                       // by docid
    const FacetProfiles& profiles;
    const CommonWords& common;
    Xapian::rev revision;
  };

  // Reads every document's length, date, version and facet terms, and the
  // common words, from `db`.
  void Rebuild(const Xapian::Database& db) ABSL_LOCKS_EXCLUDED(mu_);

  // The indexer committed `revision`, with this list of common words; call
  // before the Set and Remove of its changes.
  void Committing(Xapian::rev revision, std::shared_ptr<const CommonWords> common)
      ABSL_LOCKS_EXCLUDED(mu_);

  // A document (re)indexed as `did` with these facet terms, replacing
  // `old_facets` (empty for a new one).
  void Set(Xapian::docid did, uint32_t length, uint64_t date, Vintage vintage,
           const std::vector<std::string>& old_facets, const std::vector<std::string>& facets)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Remove(Xapian::docid did, const std::vector<std::string>& old_facets)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Clear() ABSL_LOCKS_EXCLUDED(mu_);

  template <typename Fn>
  auto Read(Fn fn) const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::ReaderMutexLock lock(&mu_);
    return fn(View{lengths_, dates_, facets_, all_, vintages_, profiles_, *common_, revision_});
  }

  uint64_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
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
};

}  // namespace minga::search

#endif  // MINGA_NODE_SEARCH_DOC_STATS_H_
