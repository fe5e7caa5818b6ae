#include "node/search/facet_profiles.h"

#include <algorithm>
#include <type_traits>

namespace minga::search {
namespace {

// Calls fn(docid) for each document of `docs`, in order.
template <typename Fn>
void ForEach(const Roaring& docs, Fn&& fn) {
  docs.iterate(
      [](uint32_t did, void* f) {
        (*static_cast<std::remove_reference_t<Fn>*>(f))(did);
        return true;
      },
      &fn);
}

}  // namespace

void FacetProfiles::Build(const std::map<std::string, Roaring, std::less<>>& facets) {
  Clear();
  struct Cursor {
    uint32_t id;
    roaring_uint32_iterator_t it;
  };
  std::vector<Cursor> cursors;
  uint32_t last = 0;
  // Term ids rise in the map's order, so each document's ids come sorted.
  for (const auto& [term, docs] : facets) {
    if (docs.isEmpty()) continue;
    Cursor c;
    c.id = TermId(term);
    roaring_init_iterator(&docs.roaring, &c.it);
    cursors.push_back(c);
    last = std::max(last, docs.maximum());
  }
  if (cursors.empty()) return;
  of_.assign(static_cast<size_t>(last) + 1, 0);
  // A span of documents at a time, so that the lists in hand stay small.
  constexpr uint64_t kSpan = 1 << 16;
  std::vector<std::vector<uint32_t>> held(kSpan);
  for (uint64_t lo = 0; lo <= last; lo += kSpan) {
    for (Cursor& c : cursors) {
      for (; c.it.has_value && c.it.current_value < lo + kSpan;
           roaring_advance_uint32_iterator(&c.it)) {
        held[c.it.current_value - lo].push_back(c.id);
      }
    }
    for (uint64_t k = 0; k < kSpan && lo + k <= last; ++k) {
      if (held[k].empty()) continue;
      of_[lo + k] = ProfileOf(held[k]);
      held[k].clear();
    }
  }
}

void FacetProfiles::Set(Xapian::docid did, const std::vector<std::string>& facets) {
  std::vector<uint32_t> ids;
  ids.reserve(facets.size());
  for (const std::string& t : facets) ids.push_back(TermId(t));
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  if (of_.size() <= did) of_.resize(std::max<size_t>(did + 1, of_.size() * 3 / 2), 0);
  of_[did] = ids.empty() ? 0 : ProfileOf(ids);
}

void FacetProfiles::Remove(Xapian::docid did) {
  if (did < of_.size()) of_[did] = 0;
}

void FacetProfiles::Clear() {
  of_.clear();
  values_.assign(1, {});
  profile_ids_.clear();
  terms_.clear();
  term_ids_.clear();
}

std::vector<std::pair<std::string, uint64_t>> FacetProfiles::Count(const Roaring& docs) const {
  std::vector<uint64_t> per_term(terms_.size(), 0);
  if (docs.cardinality() * 8 < values_.size()) {
    // Few documents against many profiles: each document's values.
    ForEach(docs, [&](uint32_t did) {
      if (did >= of_.size()) return;
      for (uint32_t t : values_[of_[did]]) ++per_term[t];
    });
  } else {
    std::vector<uint64_t> per_profile(values_.size(), 0);
    ForEach(docs, [&](uint32_t did) {
      if (did < of_.size()) ++per_profile[of_[did]];
    });
    for (size_t p = 1; p < values_.size(); ++p) {
      if (per_profile[p] == 0) continue;
      for (uint32_t t : values_[p]) per_term[t] += per_profile[p];
    }
  }
  std::vector<std::pair<std::string, uint64_t>> out;
  for (size_t t = 0; t < per_term.size(); ++t) {
    if (per_term[t] > 0) out.emplace_back(terms_[t], per_term[t]);
  }
  return out;
}

uint32_t FacetProfiles::TermId(const std::string& term) {
  auto [it, fresh] = term_ids_.try_emplace(term, static_cast<uint32_t>(terms_.size()));
  if (fresh) terms_.push_back(term);
  return it->second;
}

uint32_t FacetProfiles::ProfileOf(const std::vector<uint32_t>& ids) {
  auto [it, fresh] = profile_ids_.try_emplace(ids, static_cast<uint32_t>(values_.size()));
  if (fresh) values_.push_back(ids);
  return it->second;
}

}  // namespace minga::search
