#include "node/search/common_words.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "node/search/document.h"

namespace minga::search {
namespace {

// A list kept in metadata: entries joined by '\n', in rank order.
void LoadList(const Xapian::Database& db, const char* key, uint32_t max,
              std::vector<std::string>* list, absl::flat_hash_map<std::string, uint32_t>* rank) {
  const std::string joined = db.get_metadata(key);
  if (joined.empty()) return;
  for (absl::string_view entry : absl::StrSplit(joined, '\n')) {
    if (entry.empty() || list->size() >= max) continue;
    if (rank->try_emplace(std::string(entry), list->size()).second) list->emplace_back(entry);
  }
}

// Appends `joined` (sorted first, so that the same documents give the same
// list whatever the hash order) while there is room.
void Append(std::vector<std::string> joined, uint32_t max, std::vector<std::string>* list,
            absl::flat_hash_map<std::string, uint32_t>* rank) {
  std::sort(joined.begin(), joined.end());
  for (std::string& entry : joined) {
    if (list->size() >= max) break;
    if (rank->try_emplace(entry, list->size()).second) list->push_back(std::move(entry));
  }
}

std::string TwoBytes(uint32_t code) {
  std::string term(kPairPrefix);
  term.push_back(static_cast<char>(code >> 8));
  term.push_back(static_cast<char>(code & 0xFF));
  return term;
}

}  // namespace

CommonWords CommonWords::Load(const Xapian::Database& db) {
  CommonWords c;
  LoadList(db, kMetaCommonWords, kMaxWords, &c.stems_, &c.rank_);
  LoadList(db, kMetaCommonPairs, kMaxPairs, &c.pairs_, &c.pair_rank_);
  return c;
}

std::string CommonWords::PairKey(absl::string_view first, absl::string_view second) {
  return absl::StrCat(first, " ", second);
}

uint32_t CommonWords::PairRankOf(absl::string_view first, absl::string_view second) const {
  if (pairs_.empty()) return kNotCommon;
  auto it = pair_rank_.find(PairKey(first, second));
  return it == pair_rank_.end() ? kNotCommon : it->second;
}

std::string CommonWords::TrackedTerm(uint32_t rank) { return TwoBytes(rank); }

std::string CommonWords::BucketTerm(absl::string_view first, absl::string_view second) {
  const uint32_t h = Fnv1a(second, Fnv1a(absl::string_view("\0", 1), Fnv1a(first)));
  return TwoBytes(kMaxPairs + (h ^ (h >> 16)) % (65536 - kMaxPairs));
}

void CommonWords::CountPair(absl::string_view first, absl::string_view second) {
  if (pairs_.size() < kMaxPairs) ++pair_counts_[PairKey(first, second)];
}

bool CommonWords::Promote(Xapian::WritableDatabase* db, uint32_t min_documents) {
  const Xapian::doccount threshold = std::max(min_documents, db->get_doccount() / kShareDivisor);
  const size_t words_before = stems_.size();
  const size_t pairs_before = pairs_.size();
  std::vector<std::string> words;
  const uint64_t least_seen = built_ >= kLookupWindow ? built_ / kLookupSkipDivisor : 0;
  for (const auto& [stem, seen] : candidates_) {
    if (seen < least_seen || rank_.contains(stem)) continue;
    if (db->get_termfreq(absl::StrCat(kStemPrefix, stem)) >= threshold) words.push_back(stem);
  }
  candidates_.clear();
  Append(std::move(words), kMaxWords, &stems_, &rank_);
  const uint64_t pair_threshold = std::max<uint64_t>(kPairMinCount, built_ / kPairShareDivisor);
  std::vector<std::string> pairs;
  for (const auto& [key, count] : pair_counts_) {
    if (count >= pair_threshold && !pair_rank_.contains(key)) pairs.push_back(key);
  }
  pair_counts_.clear();
  built_ = 0;
  Append(std::move(pairs), kMaxPairs, &pairs_, &pair_rank_);
  if (stems_.size() == words_before && pairs_.size() == pairs_before) return false;
  WriteTo(db);
  return true;
}

void CommonWords::WriteTo(Xapian::WritableDatabase* db) const {
  db->set_metadata(kMetaCommonWords, absl::StrJoin(stems_, "\n"));
  db->set_metadata(kMetaCommonPairs, absl::StrJoin(pairs_, "\n"));
}

std::shared_ptr<const CommonWords> CommonWords::Snapshot() const {
  auto s = std::make_shared<CommonWords>();
  s->stems_ = stems_;
  s->rank_ = rank_;
  s->pairs_ = pairs_;
  s->pair_rank_ = pair_rank_;
  return s;
}

void CommonWords::CopyListsFrom(const CommonWords& other) {
  stems_ = other.stems_;
  rank_ = other.rank_;
  pairs_ = other.pairs_;
  pair_rank_ = other.pair_rank_;
}

void CommonWords::TakeCountsFrom(CommonWords* other) {
  for (const auto& [stem, seen] : other->candidates_) {
    if (stems_.size() < kMaxWords) candidates_[stem] += seen;
  }
  for (const auto& [key, count] : other->pair_counts_) {
    if (pairs_.size() < kMaxPairs) pair_counts_[key] += count;
  }
  built_ += other->built_;
  other->candidates_.clear();
  other->pair_counts_.clear();
  other->built_ = 0;
}

}  // namespace minga::search
