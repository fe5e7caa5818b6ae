// Upper bounds of a term's wdf by block of documents, so that a search can
// pass over the blocks whose matches cannot enter its page without reading
// their postings (block-max scoring, as Lucene keeps it in its index).
//
// A block is kBlockDocs consecutive docids. A TermBounds holds one term's
// largest wdf in each block, read from its posting list at the revision
// DocStats describes; DocStats stamps every block a commit changes with its
// count of commits, so a block whose stamp is at most the bounds' `commits`
// has not changed since they were read, and they hold for it for a reader
// at the revision DocStats describes now (doc_stats.h says why only that
// one). Other blocks have no bound. Bounds are read when a search first
// needs them and read again once a sixteenth of their blocks may have
// changed (TermBoundsCache).
//
// Thread safety: TermBounds is immutable once made; TermBoundsCache is
// safe to use from any thread.
#ifndef MINGA_NODE_SEARCH_SCORE_BOUNDS_H_
#define MINGA_NODE_SEARCH_SCORE_BOUNDS_H_

#include <xapian.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace minga::search {

inline constexpr uint32_t kBlockShift = 4;
inline constexpr uint32_t kBlockDocs = 1u << kBlockShift;
inline constexpr uint8_t kWdfUnbounded = 255;  // a wdf of 255 or more

inline uint32_t BlockOf(Xapian::docid did) { return did >> kBlockShift; }

struct TermBounds {
  uint32_t commits = 0;          // DocStats' count of commits at the revision read
  uint64_t touched = 0;          // and of documents changed, for staleness
  std::vector<uint8_t> max_wdf;  // by block; blocks past the end: no bound
};

// `term`'s bounds in `db`, which is at the revision DocStats counts
// `commits` and `touched` for. Throws Xapian::Error from the database.
TermBounds ReadTermBounds(const Xapian::Database& db, const std::string& term, uint32_t commits,
                          uint64_t touched);

// What the matcher needs to bound a block's scores. Both vectors are
// required.
struct ScoreBounds {
  const std::vector<uint32_t>* stamps = nullptr;       // by block; past the end: 0
  const std::vector<uint32_t>* min_lengths = nullptr;  // by block; past the end: none known
  // A term's bounds, when it has any (may read them; throws Xapian::Error).
  std::function<std::shared_ptr<const TermBounds>(const std::string& term)> term;
};

// The bounds of the terms searches used last, at most kCapacity of them
// (N/16 bytes each for N documents).
class TermBoundsCache {
 public:
  static constexpr size_t kCapacity = 64;

  // The bounds of `term` for a search of `db`, which is at the revision
  // DocStats' counts `commits` and `touched` describe: those kept, unless a
  // sixteenth of their blocks may have changed since they were read; then
  // read anew and kept. Throws Xapian::Error.
  std::shared_ptr<const TermBounds> Get(const Xapian::Database& db, const std::string& term,
                                        uint32_t commits, uint64_t touched)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The term's bounds, or null.
  std::shared_ptr<const TermBounds> Find(const std::string& term) ABSL_LOCKS_EXCLUDED(mu_);
  // Keeps `bounds` for `term`, dropping the least recently found when full.
  void Put(const std::string& term, std::shared_ptr<const TermBounds> bounds)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Clear() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    std::shared_ptr<const TermBounds> bounds;
    uint64_t used = 0;
  };
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  uint64_t clock_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace minga::search

#endif  // MINGA_NODE_SEARCH_SCORE_BOUNDS_H_
