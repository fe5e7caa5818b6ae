#include "node/search/doc_stats.h"

#include <algorithm>

#include "node/search/document.h"

namespace minga::search {

namespace {

template <typename T>
void Put(std::vector<T>* v, Xapian::docid did, T value) {
  if (v->size() <= did) v->resize(std::max<size_t>(did + 1, v->size() * 3 / 2), 0);
  (*v)[did] = value;
}

}  // namespace

void DocStats::Rebuild(const Xapian::Database& db) {
  std::vector<uint32_t> lengths;
  std::vector<uint64_t> dates;
  std::map<std::string, Roaring, std::less<>> facets;
  Roaring all;
  for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it) {
    Put(&lengths, *it, static_cast<uint32_t>(it.get_doclength()));
    all.add(*it);
  }
  for (auto v = db.valuestream_begin(kDateSlot); v != db.valuestream_end(kDateSlot); ++v) {
    Put(&dates, v.get_docid(), DateOrderOfKey(*v));
  }
  for (const FacetName& f : kFacets) {
    const std::string prefix(f.prefix);
    for (auto t = db.allterms_begin(prefix); t != db.allterms_end(prefix); ++t) {
      Roaring& bitmap = facets[*t];
      std::vector<uint32_t> ids;
      for (auto p = db.postlist_begin(*t); p != db.postlist_end(*t); ++p) ids.push_back(*p);
      bitmap.addMany(ids.size(), ids.data());
      bitmap.runOptimize();
    }
  }
  absl::MutexLock lock(&mu_);
  lengths_ = std::move(lengths);
  dates_ = std::move(dates);
  facets_ = std::move(facets);
  all_ = std::move(all);
}

void DocStats::Set(Xapian::docid did, uint32_t length, uint64_t date,
                   const std::vector<std::string>& old_facets,
                   const std::vector<std::string>& facets) {
  absl::MutexLock lock(&mu_);
  Put(&lengths_, did, length);
  Put(&dates_, did, date);
  for (const std::string& t : old_facets) {
    auto it = facets_.find(t);
    if (it == facets_.end()) continue;
    it->second.remove(did);
    if (it->second.isEmpty()) facets_.erase(it);
  }
  for (const std::string& t : facets) facets_[t].add(did);
  all_.add(did);
}

void DocStats::Remove(Xapian::docid did, const std::vector<std::string>& old_facets) {
  absl::MutexLock lock(&mu_);
  if (did < lengths_.size()) lengths_[did] = 0;
  if (did < dates_.size()) dates_[did] = 0;
  for (const std::string& t : old_facets) {
    auto it = facets_.find(t);
    if (it == facets_.end()) continue;
    it->second.remove(did);
    if (it->second.isEmpty()) facets_.erase(it);
  }
  all_.remove(did);
}

void DocStats::Clear() {
  absl::MutexLock lock(&mu_);
  lengths_.clear();
  dates_.clear();
  facets_.clear();
  all_ = Roaring();
}

uint64_t DocStats::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return all_.cardinality();
}

}  // namespace minga::search
