// FacetProfiles: the facet values each document holds, as an interned set
// (its profile), so that the facet counts of any set of documents come
// from one pass over those documents, not from intersecting the set with
// every value's bitmap (which costs as much for ten matches as for a
// million: each value's whole list is walked).
//
// Documents sharing their sector, kind, population, languages, country,
// origin and year share a profile. Profiles and values are interned for
// the life of the object, never freed: a rebuild (at open, or a reindex)
// starts afresh. Memory: 4 bytes a document plus the distinct profiles.
//
// Thread safety: none; DocStats guards it.
#ifndef MINGA_NODE_SEARCH_FACET_PROFILES_H_
#define MINGA_NODE_SEARCH_FACET_PROFILES_H_

#include <xapian.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "roaring/roaring.hh"

namespace minga::search {

class FacetProfiles {
 public:
  // Every document's profile, from each facet term's documents.
  void Build(const std::map<std::string, Roaring, std::less<>>& facets);
  // Document `did` now holds these facet terms (none: no profile).
  void Set(Xapian::docid did, const std::vector<std::string>& facets);
  void Remove(Xapian::docid did);
  void Clear();

  // For each facet term held by a document of `docs`, how many hold it, in
  // no particular order.
  std::vector<std::pair<std::string, uint64_t>> Count(const Roaring& docs) const;

  size_t profiles() const { return values_.size(); }

 private:
  uint32_t TermId(const std::string& term);
  // The profile of these sorted, distinct term ids.
  uint32_t ProfileOf(const std::vector<uint32_t>& ids);

  std::vector<uint32_t> of_;                      // by docid; 0: no facets
  std::vector<std::vector<uint32_t>> values_{1};  // by profile: term ids
  absl::flat_hash_map<std::vector<uint32_t>, uint32_t> profile_ids_;
  std::vector<std::string> terms_;  // by term id
  absl::flat_hash_map<std::string, uint32_t> term_ids_;
};

}  // namespace minga::search

#endif  // MINGA_NODE_SEARCH_FACET_PROFILES_H_
