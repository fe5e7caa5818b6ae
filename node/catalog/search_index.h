// Maintenance of the search index, inside the transaction that stores the
// revision it describes, so the index is never stale nor half-written.
//
// Layout of the "index" column family:
//   "t" <term> "\0" <material id>          -> 4 varints: term frequency in
//                                              title, summary, topics, publisher
//   "f" <facet> "=" <value> "\0" <id>      -> "" (filters and facet counts)
//   "d" <material id>                      -> IndexedDoc
//   "k" <material id>                      -> IndexedTerms (for removal)
//   "s"                                    -> IndexStats
// Facets: sector, kind, population, language, country, origin, year.
// Only materials held with their body are indexed.
#ifndef MINGA_NODE_CATALOG_SEARCH_INDEX_H_
#define MINGA_NODE_CATALOG_SEARCH_INDEX_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/status/status.h"
#include "minga/v1/material.pb.h"
#include "minga/v1/storage.pb.h"
#include "node/catalog/txn.h"

namespace minga {

// Term frequencies of one material, by field.
struct DocTerms {
  struct Tf {
    uint32_t title = 0, summary = 0, topics = 0, publisher = 0;
  };
  std::vector<std::pair<std::string, Tf>> terms;  // sorted by term
  v1::storage::IndexedDoc doc;
};

DocTerms AnalyzeMaterial(const v1::Material& material, int64_t time_unix_micros);

// "<facet>=<value>" strings of a material.
std::vector<std::string> FacetsOf(const v1::Material& material);

std::string TermKey(absl::string_view term, absl::string_view id);
std::string TermPrefix(absl::string_view term);  // "t" term "\0"
std::string FacetKey(absl::string_view facet_value, absl::string_view id);
std::string FacetPrefix(absl::string_view facet_value);
std::string DocKey(absl::string_view id);
std::string TermsKey(absl::string_view id);
inline constexpr absl::string_view kStatsKey = "s";

std::string EncodeTf(const DocTerms::Tf& tf);
bool DecodeTf(absl::string_view value, DocTerms::Tf* tf);

// Adds or removes a material's postings, facets, doc record and statistics.
// IndexRemove deletes what the doc record says was posted; a material not
// indexed is a no-op.
absl::Status IndexAdd(Txn* txn, absl::string_view id, const v1::Material& m,
                      int64_t time_unix_micros);
absl::Status IndexRemove(Txn* txn, absl::string_view id);

}  // namespace minga

#endif  // MINGA_NODE_CATALOG_SEARCH_INDEX_H_
