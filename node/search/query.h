// Running one search request against an index reader: parsing the query,
// filters, the match, facet counts, hits read from the live store, snippets
// and "did you mean". Internal to SearchView (search_view.h states the
// contract).
//
// Thread safety: one call per reader at a time.
#ifndef MINGA_NODE_SEARCH_QUERY_H_
#define MINGA_NODE_SEARCH_QUERY_H_

#include <xapian.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "minga/v1/catalog.pb.h"
#include "node/catalog/catalog.h"
#include "node/search/doc_stats.h"

namespace minga::search {

// A parsed query: its words (stop words dropped) and its phrases.
struct ParsedQuery {
  struct Word {
    std::string folded;
    bool prefix = false;  // typed with a trailing '*'
  };
  std::vector<Word> words;
  // Indexes into `words` of each quoted phrase of two or more words.
  std::vector<std::vector<size_t>> phrases;
  // The query had words, all of them stop words.
  bool only_stop_words = false;
};
ParsedQuery ParseQuery(absl::string_view text);

struct SearchInputs {
  const Xapian::Database* db = nullptr;
  const DocStats* stats = nullptr;
  Catalog* catalog = nullptr;
  // The index generation (cursors are valid within one).
  std::string generation;
  // Materials whose newest change left them without a body, not yet
  // indexed: never matched.
  std::vector<std::string> dead_ids;
  uint64_t lag = 0;
};

// Errors: INVALID_ARGUMENT naming the field; DATA_LOSS or UNAVAILABLE from
// the store; Xapian errors are thrown (the caller translates them).
absl::StatusOr<v1::SearchResponse> RunSearch(const SearchInputs& in,
                                             const v1::SearchRequest& request);

}  // namespace minga::search

#endif  // MINGA_NODE_SEARCH_QUERY_H_
