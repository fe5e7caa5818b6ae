// SpellingBatch: the spelling dictionary's changes of a group of indexed
// documents, written to the Xapian database as one add_spelling or
// remove_spelling per word before the group's commit, since titles share
// most of their words. In paired runs of minga-search-bench it saved about
// 3% of the indexing time; most of the spelling cost is Xapian's merge of
// the table at the commit itself.
//
// Contract: flush before every commit of the database the changes belong
// to (the counts then commit with their documents), and Clear when that
// database's uncommitted documents are dropped.
// Thread safety: none; used under its owner's lock.
#ifndef MINGA_NODE_SEARCH_SPELLING_BATCH_H_
#define MINGA_NODE_SEARCH_SPELLING_BATCH_H_

#include <xapian.h>

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"

namespace minga::search {

class SpellingBatch {
 public:
  void Add(const std::string& word) { ++delta_[word]; }
  void Remove(const std::string& word) { --delta_[word]; }
  // Writes the net change of each word, then forgets them. Throws
  // Xapian::Error from the database.
  void FlushTo(Xapian::WritableDatabase* db);
  void Clear() { delta_.clear(); }

 private:
  absl::flat_hash_map<std::string, int64_t> delta_;
};

}  // namespace minga::search

#endif  // MINGA_NODE_SEARCH_SPELLING_BATCH_H_
