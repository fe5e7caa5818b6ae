#include "node/search/score_bounds.h"

#include <algorithm>

namespace minga::search {

TermBounds ReadTermBounds(const Xapian::Database& db, const std::string& term, uint32_t commits,
                          uint64_t touched) {
  TermBounds b;
  b.commits = commits;
  b.touched = touched;
  b.max_wdf.assign(BlockOf(db.get_lastdocid()) + 1, 0);
  for (auto it = db.postlist_begin(term); it != db.postlist_end(term); ++it) {
    const uint32_t block = BlockOf(*it);
    if (block >= b.max_wdf.size()) b.max_wdf.resize(block + 1, 0);
    const Xapian::termcount wdf = it.get_wdf();
    uint8_t& max = b.max_wdf[block];
    max = static_cast<uint8_t>(
        std::max<Xapian::termcount>(max, std::min<Xapian::termcount>(wdf, kWdfUnbounded)));
  }
  return b;
}

std::shared_ptr<const TermBounds> TermBoundsCache::Get(const Xapian::Database& db,
                                                       const std::string& term, uint32_t commits,
                                                       uint64_t touched) {
  std::shared_ptr<const TermBounds> kept = Find(term);
  const bool stale = kept == nullptr || (touched - kept->touched) * 16 > kept->max_wdf.size();
  if (!stale) return kept;
  auto read = std::make_shared<const TermBounds>(ReadTermBounds(db, term, commits, touched));
  Put(term, read);
  return read;
}

std::shared_ptr<const TermBounds> TermBoundsCache::Find(const std::string& term) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(term);
  if (it == entries_.end()) return nullptr;
  it->second.used = ++clock_;
  return it->second.bounds;
}

void TermBoundsCache::Put(const std::string& term, std::shared_ptr<const TermBounds> bounds) {
  absl::MutexLock lock(&mu_);
  if (entries_.size() >= kCapacity && !entries_.contains(term)) {
    auto oldest = std::min_element(
        entries_.begin(), entries_.end(),
        [](const auto& a, const auto& b) { return a.second.used < b.second.used; });
    entries_.erase(oldest);
  }
  entries_[term] = {std::move(bounds), ++clock_};
}

void TermBoundsCache::Clear() {
  absl::MutexLock lock(&mu_);
  entries_.clear();
}

}  // namespace minga::search
