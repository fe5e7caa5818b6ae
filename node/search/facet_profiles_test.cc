// Facet counts from profiles equal the counts of intersecting the set with
// each value's documents, for sets of any size (both ways of counting),
// after documents change or leave, and after a rebuild from the bitmaps.
#include "node/search/facet_profiles.h"

#include <map>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace minga::search {
namespace {

using Counts = std::map<std::string, uint64_t>;

class FacetProfilesTest : public ::testing::Test {
 protected:
  // A document with a sector or two, a kind, a year, and now and then a
  // rare country: few profiles, many documents each, and some alone.
  void Index(Xapian::docid did) {
    std::set<std::string> terms;
    terms.insert(absl::StrCat("XS", rng_() % 5));
    if (rng_() % 3 == 0) terms.insert(absl::StrCat("XS", rng_() % 5));
    terms.insert(absl::StrCat("XK", rng_() % 7));
    terms.insert(absl::StrCat("XY", 2000 + rng_() % 20));
    if (rng_() % 50 == 0) terms.insert(absl::StrCat("XC", rng_() % 1000));
    Drop(did);
    for (const std::string& t : terms) bitmaps_[t].add(did);
    held_[did] = {terms.begin(), terms.end()};
    profiles_.Set(did, held_[did]);
  }
  void Drop(Xapian::docid did) {
    auto it = held_.find(did);
    if (it == held_.end()) return;
    for (const std::string& t : it->second) {
      bitmaps_[t].remove(did);
      if (bitmaps_[t].isEmpty()) bitmaps_.erase(t);
    }
    held_.erase(it);
  }
  Counts Expected(const Roaring& docs) {
    Counts out;
    for (const auto& [t, b] : bitmaps_) {
      if (const uint64_t n = docs.and_cardinality(b); n > 0) out[t] = n;
    }
    return out;
  }
  static Counts Got(const FacetProfiles& p, const Roaring& docs) {
    Counts out;
    for (const auto& [t, n] : p.Count(docs)) out[t] += n;
    return out;
  }
  // Subsets from one document to all of them, and some not indexed.
  std::vector<Roaring> Sets(Xapian::docid last) {
    std::vector<Roaring> out;
    for (uint32_t one_in : {1u, 3u, 40u, 2000u}) {
      Roaring s;
      for (Xapian::docid d = 1; d <= last + 5; ++d) {
        if (rng_() % one_in == 0) s.add(d);
      }
      out.push_back(s);
    }
    out.push_back(Roaring::bitmapOf(1, 1));
    out.push_back(Roaring());
    return out;
  }

  std::mt19937 rng_{5};
  FacetProfiles profiles_;
  std::map<std::string, Roaring, std::less<>> bitmaps_;
  std::map<Xapian::docid, std::vector<std::string>> held_;
};

TEST_F(FacetProfilesTest, CountsEqualTheBitmapsIntersections) {
  constexpr Xapian::docid kLast = 20000;
  for (Xapian::docid d = 1; d <= kLast; ++d) Index(d);
  // Reindexed and removed documents move to other profiles or none.
  for (int i = 0; i < 3000; ++i) Index(1 + rng_() % kLast);
  for (int i = 0; i < 1000; ++i) {
    const Xapian::docid d = 1 + rng_() % kLast;
    Drop(d);
    profiles_.Remove(d);
  }
  ASSERT_GT(profiles_.profiles(), 500u);
  FacetProfiles rebuilt;
  rebuilt.Build(bitmaps_);
  // A rebuild interns only the profiles documents hold.
  EXPECT_LE(rebuilt.profiles(), profiles_.profiles());
  for (const Roaring& docs : Sets(kLast)) {
    SCOPED_TRACE(absl::StrCat(docs.cardinality(), " documents"));
    const Counts want = Expected(docs);
    EXPECT_EQ(Got(profiles_, docs), want);
    EXPECT_EQ(Got(rebuilt, docs), want);
  }
  profiles_.Clear();
  EXPECT_TRUE(Got(profiles_, Sets(kLast)[0]).empty());
}

}  // namespace
}  // namespace minga::search
