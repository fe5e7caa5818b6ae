#include "node/search/doc_stats.h"

#include <algorithm>
#include <cstdint>

#include "node/search/common_words.h"
#include "node/search/document.h"

namespace minga::search {

namespace {

template <typename T>
void Put(std::vector<T>* v, Xapian::docid did, T value) {
  if (v->size() <= did) v->resize(std::max<size_t>(did + 1, v->size() * 3 / 2), T{});
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
    Put(&dates, v.get_docid(), DecodeDateOrder(*v));
  }
  std::vector<Vintage> vintages;
  for (auto v = db.valuestream_begin(kCommonSlot); v != db.valuestream_end(kCommonSlot); ++v) {
    Put(&vintages, v.get_docid(), DecodeVintage(*v));
  }
  std::shared_ptr<const CommonWords> common = CommonWords::Load(db).Snapshot();
  const Xapian::rev revision = db.get_revision();
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
  FacetProfiles profiles;
  profiles.Build(facets);
  absl::MutexLock lock(&mu_);
  lengths_ = std::move(lengths);
  dates_ = std::move(dates);
  facets_ = std::move(facets);
  all_ = std::move(all);
  vintages_ = std::move(vintages);
  profiles_ = std::move(profiles);
  common_ = std::move(common);
  revision_ = revision;
  ResetBlocksLocked();
}

void DocStats::Committed(Xapian::rev revision, std::shared_ptr<const CommonWords> common,
                         const std::vector<Change>& changes) {
  absl::MutexLock lock(&mu_);
  revision_ = revision;
  ++commits_;
  touched_ += changes.size();
  if (common != nullptr) common_ = std::move(common);
  for (const Change& c : changes) {
    Put(&block_stamps_, BlockOf(c.did), commits_);
    if (c.removed) {
      RemoveLocked(c);
    } else {
      SetLocked(c);
    }
  }
}

void DocStats::SetLocked(const Change& c) {
  const Xapian::docid did = c.did;
  Put(&lengths_, did, c.length);
  Put(&dates_, did, c.date);
  Put(&vintages_, did, c.vintage);
  const uint32_t block = BlockOf(did);
  if (block_min_lengths_.size() <= block) block_min_lengths_.resize(block + 1, UINT32_MAX);
  block_min_lengths_[block] = std::min(block_min_lengths_[block], c.length);
  for (const std::string& t : c.old_facets) {
    auto it = facets_.find(t);
    if (it == facets_.end()) continue;
    it->second.remove(did);
    if (it->second.isEmpty()) facets_.erase(it);
  }
  for (const std::string& t : c.facets) facets_[t].add(did);
  profiles_.Set(did, c.facets);
  all_.add(did);
}

void DocStats::RemoveLocked(const Change& c) {
  const Xapian::docid did = c.did;
  if (did < lengths_.size()) lengths_[did] = 0;
  if (did < dates_.size()) dates_[did] = 0;
  if (did < vintages_.size()) vintages_[did] = {};
  for (const std::string& t : c.old_facets) {
    auto it = facets_.find(t);
    if (it == facets_.end()) continue;
    it->second.remove(did);
    if (it->second.isEmpty()) facets_.erase(it);
  }
  profiles_.Remove(did);
  all_.remove(did);
}

void DocStats::ResetBlocksLocked() {
  block_stamps_.clear();
  block_min_lengths_.assign(lengths_.empty() ? 0 : BlockOf(lengths_.size() - 1) + 1, UINT32_MAX);
  for (const uint32_t d : all_) {
    if (d >= lengths_.size()) continue;
    uint32_t& min = block_min_lengths_[BlockOf(d)];
    min = std::min(min, lengths_[d]);
  }
  commits_ = 0;
  touched_ = 0;
  bounds_.Clear();
}

void DocStats::Clear() {
  absl::MutexLock lock(&mu_);
  lengths_.clear();
  dates_.clear();
  facets_.clear();
  all_ = Roaring();
  vintages_.clear();
  profiles_.Clear();
  common_ = std::make_shared<const CommonWords>();
  revision_ = 0;
  ResetBlocksLocked();
}

uint64_t DocStats::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return all_.cardinality();
}

}  // namespace minga::search
