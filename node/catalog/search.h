// Search over the index the catalog keeps (see search_index.h): free text
// with BM25F ranking (title above topics, publisher and summary), singular
// and plural meeting through the stemmer and words matching the longer
// words they begin, "quoted phrases", filters that combine, facet counts,
// and a cursor that keeps pages stable while materials are added (it
// carries the statistics page one was ranked with).
//
// Bad input (an unknown facet value, a malformed cursor, a 10,000-character
// query) is INVALID_ARGUMENT naming the field, decided before any scan; a
// query of stop words only is an empty result with a note.
//
// Thread-safe: reads only.
#ifndef MINGA_NODE_CATALOG_SEARCH_H_
#define MINGA_NODE_CATALOG_SEARCH_H_

#include "absl/status/statusor.h"
#include "minga/v1/catalog.pb.h"
#include "node/core/keyring.h"
#include "node/store/kv.h"

namespace minga {

inline constexpr size_t kMaxQueryChars = 1000;
inline constexpr size_t kMaxQueryTerms = 32;

// kv, keyring: borrowed for the call.
absl::StatusOr<v1::SearchResponse> Search(KvStore* kv, const Keyring& keyring,
                                          const v1::SearchRequest& request);

}  // namespace minga

#endif  // MINGA_NODE_CATALOG_SEARCH_H_
