// CommonWords: the stems frequent enough in the index that checking a
// phrase of them word by word would touch a large part of the catalog, and
// the pairs of them frequent enough to be worth a posting list of their own.
//
// Every document holds a pair term (boolean, "P" and two bytes) for each
// two common stems that follow each other in its word sequence (stop words
// left out, within one field):
//  - a tracked pair's own term (its place in the pairs' list): exactly the
//    documents that hold the pair, so a phrase of two common words is a
//    posting list, not a scan of word sequences;
//  - any other pair's bucket term (a hash of the two stems, shared with
//    other pairs): a document without it does not hold the pair, one with
//    it is checked word by word.
// Short terms keep the index small: a pair costs a few bytes of a
// document's term list, not both stems.
//
// Both lists are learnt while indexing and only grow: a stem joins once it
// is in max(min_documents, documents / kShareDivisor) documents; a pair of
// common stems joins once it is in one in kPairShareDivisor of the
// documents built since the last look (and kPairMinCount of them). They are
// metadata committed with the documents that used them. Each document
// records how long both lists were when it was built (Vintage), so a reader
// knows which of its pairs have terms: with the words' list longer than
// both stems' ranks, every pair of them has a term (its own when the pairs'
// list was longer than the pair's place, else its bucket). A list read at
// any time is a prefix of every later one, so readers may use any snapshot.
//
// Thread safety: none. The indexer's copy is used under its lock; readers
// share immutable snapshots (Snapshot).
#ifndef MINGA_NODE_SEARCH_COMMON_WORDS_H_
#define MINGA_NODE_SEARCH_COMMON_WORDS_H_

#include <xapian.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace minga::search {

inline constexpr absl::string_view kPairPrefix = "P";
// Metadata keys of the lists (stems, and "stem stem" pairs, joined by '\n'
// in rank order).
inline constexpr char kMetaCommonWords[] = "minga.common_words";
inline constexpr char kMetaCommonPairs[] = "minga.common_pairs";

// How long the lists were when a document was built.
struct Vintage {
  uint16_t words = 0;
  uint16_t pairs = 0;
};

class CommonWords {
 public:
  static constexpr uint32_t kNotCommon = std::numeric_limits<uint32_t>::max();
  // Pair terms are two bytes: tracked pairs' places below kMaxPairs,
  // buckets above.
  static constexpr uint32_t kMaxWords = 65535;
  static constexpr uint32_t kMaxPairs = 8192;
  static constexpr uint32_t kShareDivisor = 10;
  static constexpr uint32_t kDefaultMinDocuments = 100;
  static constexpr uint32_t kPairShareDivisor = 200;
  static constexpr uint32_t kPairMinCount = 10;
  static constexpr uint64_t kLookupWindow = 200;
  static constexpr uint64_t kLookupSkipDivisor = 4 * kShareDivisor;

  // The lists committed in `db` (empty when it has none). Throws
  // Xapian::Error from the database.
  static CommonWords Load(const Xapian::Database& db);

  // The stem's place in the words' list, or kNotCommon.
  uint32_t RankOf(absl::string_view stem) const {
    auto it = rank_.find(stem);
    return it == rank_.end() ? kNotCommon : it->second;
  }
  // The pair's place in the pairs' list, or kNotCommon.
  uint32_t PairRankOf(absl::string_view first, absl::string_view second) const;
  Vintage vintage() const {
    return {static_cast<uint16_t>(stems_.size()), static_cast<uint16_t>(pairs_.size())};
  }

  // The term of a tracked pair, by its place; and the bucket term of any.
  static std::string TrackedTerm(uint32_t rank);
  static std::string BucketTerm(absl::string_view first, absl::string_view second);

  // Indexer side. A stem, not common yet, that a document just built holds.
  void Consider(absl::string_view stem) {
    if (stems_.size() < kMaxWords) ++candidates_[stem];
  }
  // Two common stems in a row that have no term of their own yet.
  void CountPair(absl::string_view first, absl::string_view second);
  // A document was built (the pairs' share is of these).
  void Built() { ++built_; }
  // Adds the considered stems that now reach the threshold in `db` (whose
  // uncommitted documents count) and the counted pairs that reach theirs,
  // forgets the rest until seen again, and writes the lists into db's
  // metadata when they grew (so they are committed with the documents).
  // Once kLookupWindow documents were built since the last call, a stem
  // seen in fewer than one in kLookupSkipDivisor of them is not looked up:
  // a stem at the threshold is in one in kShareDivisor documents, and the
  // lookups of the many rare ones were a tenth of the indexing time. A
  // stem so skipped joins when a later window sees it more often; until
  // then documents only lack its pair terms, which readers know from
  // their vintage. Returns whether the lists grew. Throws Xapian::Error
  // from the database.
  bool Promote(Xapian::WritableDatabase* db, uint32_t min_documents);
  // Writes the lists into db's metadata. Throws Xapian::Error.
  void WriteTo(Xapian::WritableDatabase* db) const;

  // The lists alone, for readers.
  std::shared_ptr<const CommonWords> Snapshot() const;
  // For a builder on another thread (BuildAhead): takes `other`'s lists,
  // keeping this one's counts; and adds `other`'s counts (the stems
  // considered, the pairs counted, the documents built) to this one's,
  // leaving `other` with none.
  void CopyListsFrom(const CommonWords& other);
  void TakeCountsFrom(CommonWords* other);

 private:
  static std::string PairKey(absl::string_view first, absl::string_view second);

  std::vector<std::string> stems_;
  absl::flat_hash_map<std::string, uint32_t> rank_;
  std::vector<std::string> pairs_;  // PairKey
  absl::flat_hash_map<std::string, uint32_t> pair_rank_;
  absl::flat_hash_map<std::string, uint32_t> candidates_;  // stem: times seen
  absl::flat_hash_map<std::string, uint32_t> pair_counts_;
  uint64_t built_ = 0;
};

}  // namespace minga::search

#endif  // MINGA_NODE_SEARCH_COMMON_WORDS_H_
