#include "node/core/audience.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/core/parallel.h"
#include "node/core/subscription.h"
#include "tests/util/status_matchers.h"
#include "tests/util/test_materials.h"

namespace minga {
namespace {

using ::minga::testing::IsOk;
using ::minga::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

bool AnyMember(absl::string_view org) { return org != "stranger"; }

TEST(AudienceTest, MembersAreCanonicalAndIncludeOrigin) {
  v1::Audience a;
  a.set_scope(v1::Audience::MEMBERS);
  a.add_members("zeta");
  a.add_members("beta");
  a.add_members("beta");
  ASSERT_OK(NormalizeAudience(&a, "alpha", AnyMember));
  EXPECT_THAT(a.members(), ElementsAre("alpha", "beta", "zeta"));
  EXPECT_OK(CheckCanonicalAudience(a, "alpha"));
  EXPECT_TRUE(InAudience(a, "alpha", "beta"));
  EXPECT_FALSE(InAudience(a, "alpha", "gamma"));
  EXPECT_TRUE(InAudience(a, "alpha", "alpha"));
}

// The bound holds for the audience as signed, origin included: what one
// node writes, every peer accepts.
TEST(AudienceTest, MembersTakeTheirBoundWithTheOriginAndNoMore) {
  v1::Audience at;
  at.set_scope(v1::Audience::MEMBERS);
  for (int i = 0; i < 255; ++i) at.add_members(absl::StrCat("org-", i));
  at.add_members("org-0");  // a repeat counts once
  ASSERT_OK(NormalizeAudience(&at, "alpha", AnyMember));
  EXPECT_EQ(at.members_size(), 256);
  EXPECT_OK(CheckCanonicalAudience(at, "alpha"));

  v1::Audience past;
  past.set_scope(v1::Audience::MEMBERS);
  for (int i = 0; i < 256; ++i) past.add_members(absl::StrCat("org-", i));
  EXPECT_THAT(NormalizeAudience(&past, "alpha", AnyMember),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("audience.members: too many entries: 257 with the origin")));
}

TEST(AudienceTest, UnknownMemberIsRefused) {
  v1::Audience a;
  a.set_scope(v1::Audience::MEMBERS);
  a.add_members("stranger");
  EXPECT_THAT(NormalizeAudience(&a, "alpha", AnyMember),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("audience.members[0]: 'stranger' is not a federation member")));
}

TEST(AudienceTest, PrivateAndPublic) {
  v1::Audience a;
  ASSERT_OK(NormalizeAudience(&a, "alpha", AnyMember));
  EXPECT_EQ(a.scope(), v1::Audience::PUBLIC);
  EXPECT_TRUE(InAudience(a, "alpha", "anyone"));
  a.set_scope(v1::Audience::PRIVATE);
  EXPECT_FALSE(InAudience(a, "alpha", "beta"));
  EXPECT_TRUE(InAudience(a, "alpha", "alpha"));
  // A non-canonical MEMBERS list in a header is refused.
  v1::Audience unsorted;
  unsorted.set_scope(v1::Audience::MEMBERS);
  unsorted.add_members("beta");
  unsorted.add_members("alpha");
  EXPECT_THAT(CheckCanonicalAudience(unsorted, "alpha"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SubscriptionTest, ListsNarrowAndCombine) {
  v1::Material m = testing::MakeMaterial("x", "org/x");  // health, es, GT
  m.add_languages("es");
  v1::Subscription s;
  EXPECT_TRUE(SubscriptionMatches(s, "org", m));
  s.add_sectors("police");
  EXPECT_FALSE(SubscriptionMatches(s, "org", m));
  s.add_sectors("health");
  EXPECT_TRUE(SubscriptionMatches(s, "org", m));
  s.add_languages("pt");
  EXPECT_FALSE(SubscriptionMatches(s, "org", m));
  s.add_languages("es");
  s.add_origins("other");
  EXPECT_FALSE(SubscriptionMatches(s, "org", m));
  EXPECT_NE(SubscriptionFingerprint(s), SubscriptionFingerprint(v1::Subscription()));
  v1::Subscription bad;
  bad.add_sectors("helth");
  EXPECT_THAT(
      ValidateSubscription(bad, "peers[0].subscription"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("peers[0].subscription.sectors[0]")));
}

TEST(ParallelTest, RunsEveryIndexOnce) {
  ThreadPoolExecutor pool(3);
  std::vector<std::atomic<int>> hits(1000);
  pool.ParallelFor(hits.size(), [&](size_t i) { hits[i]++; });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
  // Several callers at once.
  std::vector<std::thread> callers;
  std::atomic<int> total{0};
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&] { pool.ParallelFor(100, [&](size_t) { total++; }); });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(total.load(), 400);
}

}  // namespace
}  // namespace minga
