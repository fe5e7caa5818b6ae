// DocStats: what ranking, facet counts and filters need of every indexed
// document, in memory: its length, its date key, and a bitmap of documents
// per facet value (Roaring). Derived from the index: built when it opens,
// then kept by the indexer, which applies each change it commits.
//
// Memory: 12 bytes a document plus the bitmaps (a few MiB at a million
// documents: facet values are few and their bitmaps compress).
//
// Thread safety: Read takes a shared lock, the changes an exclusive one.
#ifndef MINGA_NODE_SEARCH_DOC_STATS_H_
#define MINGA_NODE_SEARCH_DOC_STATS_H_

#include <xapian.h>

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "roaring/roaring.hh"

namespace minga::search {

class DocStats {
 public:
  struct View {
    const std::vector<uint32_t>& lengths;                       // by docid
    const std::vector<uint64_t>& dates;                         // by docid, DateOrder
    const std::map<std::string, Roaring, std::less<>>& facets;  // by facet term
    const Roaring& all;                                         // every indexed document
  };

  // Reads every document's length, date and facet terms from `db`.
  void Rebuild(const Xapian::Database& db) ABSL_LOCKS_EXCLUDED(mu_);

  // A document (re)indexed as `did` with these facet terms, replacing
  // `old_facets` (empty for a new one).
  void Set(Xapian::docid did, uint32_t length, uint64_t date,
           const std::vector<std::string>& old_facets, const std::vector<std::string>& facets)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Remove(Xapian::docid did, const std::vector<std::string>& old_facets)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Clear() ABSL_LOCKS_EXCLUDED(mu_);

  template <typename Fn>
  auto Read(Fn fn) const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::ReaderMutexLock lock(&mu_);
    return fn(View{lengths_, dates_, facets_, all_});
  }

  uint64_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::vector<uint32_t> lengths_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> dates_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Roaring, std::less<>> facets_ ABSL_GUARDED_BY(mu_);
  Roaring all_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minga::search

#endif  // MINGA_NODE_SEARCH_DOC_STATS_H_
