// PullApplier: the merge rule, checkpoints, feed resets, and refusals of
// forged, leaked or cut batches. One suite over one fixture, hence its
// length.
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/catalog/catalog.h"
#include "node/core/revision.h"
#include "node/store/fault_kv.h"
#include "tests/util/status_matchers.h"
#include "tests/util/test_federation.h"
#include "tests/util/test_materials.h"

namespace minga {
namespace {

using ::minga::testing::MakeMaterial;
using ::minga::testing::StatusIs;
using ::minga::testing::TestFederation;
using ::testing::HasSubstr;

PutItem PutOf(v1::Material m, v1::Audience::Scope scope = v1::Audience::PUBLIC,
              std::vector<std::string> members = {}) {
  PutItem r;
  r.material = std::move(m);
  r.mutable_audience()->set_scope(scope);
  for (auto& o : members) r.mutable_audience()->add_members(o);
  return r;
}

class ApplyTest : public ::testing::Test {
 protected:
  TestFederation fed_{std::vector<std::string>{"alpha", "beta", "gamma"}};

  v1::PullBatch ReadAll(int from, const std::string& requester) {
    PullQuery q;
    q.requester = requester;
    q.max_revisions = 1000;
    auto batch = fed_.catalog(from).feed().ReadBatch(q);
    EXPECT_TRUE(batch.ok());
    return *batch;
  }
};

TEST_F(ApplyTest, PullCopiesAndCheckpoints) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK(
        fed_.catalog(0).local().Put(PutOf(MakeMaterial("M", absl::StrCat("m", i))), "a").status());
  }
  ASSERT_OK_AND_ASSIGN(ApplyStats s1, fed_.PullOnce(1, 0, 4));
  EXPECT_EQ(s1.replaced, 4u);
  EXPECT_EQ(s1.verified, 4u);
  ASSERT_OK(fed_.PullAll(1, 0));
  EXPECT_EQ(*fed_.catalog(0).Digest(), *fed_.catalog(1).Digest());
  ASSERT_OK_AND_ASSIGN(auto view, fed_.catalog(1).Get("alpha/m3"));
  EXPECT_EQ(view.provenance().from_peer(), "alpha");
  EXPECT_TRUE(view.has_body());
  // An idle pull brings nothing and verifies nothing.
  ASSERT_OK_AND_ASSIGN(ApplyStats idle, fed_.PullOnce(1, 0));
  EXPECT_EQ(idle.received, 0u);
  // Re-applying an old batch is harmless and verifies nothing again.
  ASSERT_OK_AND_ASSIGN(ApplyStats again,
                       fed_.catalog(1).pulls().ApplyBatch("alpha", ReadAll(0, "beta")));
  EXPECT_EQ(again.verified, 0u);
  EXPECT_EQ(again.replaced, 0u);
  EXPECT_EQ(*fed_.catalog(0).Digest(), *fed_.catalog(1).Digest());
}

TEST_F(ApplyTest, ABatchCutAtARevisionOrWithoutItsCountIsRefusedWhole) {
  for (int i = 0; i < 6; ++i) {
    ASSERT_OK(
        fed_.catalog(0).local().Put(PutOf(MakeMaterial("M", absl::StrCat("m", i))), "a").status());
  }
  const v1::PullBatch whole = ReadAll(0, "beta");
  ASSERT_EQ(whole.revisions_size(), 6);
  // The stream ended at a revision boundary: every revision that arrived
  // parses and verifies, but the count says some are missing.
  v1::PullBatch cut = whole;
  cut.mutable_revisions()->RemoveLast();
  cut.mutable_revisions()->RemoveLast();
  EXPECT_THAT(fed_.catalog(1).pulls().ApplyBatch("alpha", cut),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("revision_count")));
  cut.clear_revision_count();  // a count is required, so a cut before it is seen
  EXPECT_THAT(fed_.catalog(1).pulls().ApplyBatch("alpha", cut),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("revision_count")));
  // Nothing of either was kept, and the checkpoint did not move.
  EXPECT_EQ(fed_.catalog(1).head_lseq(), 0u);
  ASSERT_OK_AND_ASSIGN(v1::storage::PeerState state, fed_.catalog(1).pulls().GetPeerState("alpha"));
  EXPECT_EQ(state.checkpoint(), 0u);
  ASSERT_OK(fed_.catalog(1).pulls().ApplyBatch("alpha", whole).status());
  EXPECT_EQ(*fed_.catalog(0).Digest(), *fed_.catalog(1).Digest());
}

TEST_F(ApplyTest, TheCheckpointAdvancesOnlyFromItself) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK(
        fed_.catalog(0).local().Put(PutOf(MakeMaterial("M", absl::StrCat("m", i))), "a").status());
  }
  PullQuery q;
  q.requester = "beta";
  q.max_revisions = 5;
  ASSERT_OK_AND_ASSIGN(const v1::PullBatch first, fed_.catalog(0).feed().ReadBatch(q));
  q.feed_id = first.feed_id();
  q.after_lseq = first.to_lseq();
  ASSERT_OK_AND_ASSIGN(const v1::PullBatch second, fed_.catalog(0).feed().ReadBatch(q));
  ASSERT_EQ(first.from_lseq(), 0u);
  ASSERT_EQ(second.from_lseq(), 5u);
  ASSERT_EQ(second.to_lseq(), 10u);
  auto checkpoint = [&] { return fed_.catalog(1).pulls().GetPeerState("alpha")->checkpoint(); };

  // The second batch arrives first (the first was lost): its revisions are
  // merged, but the checkpoint cannot jump the gap.
  ASSERT_OK(fed_.catalog(1).pulls().ApplyBatch("alpha", second).status());
  EXPECT_EQ(checkpoint(), 0u);
  ASSERT_OK(fed_.catalog(1).pulls().ApplyBatch("alpha", first).status());
  EXPECT_EQ(checkpoint(), 5u);
  ASSERT_OK(fed_.catalog(1).pulls().ApplyBatch("alpha", second).status());
  EXPECT_EQ(checkpoint(), 10u);
  // The first batch again, late: harmless, and not a restart.
  ASSERT_OK_AND_ASSIGN(ApplyStats late, fed_.catalog(1).pulls().ApplyBatch("alpha", first));
  EXPECT_FALSE(late.feed_reset);
  EXPECT_EQ(checkpoint(), 10u);
  EXPECT_EQ(*fed_.catalog(0).Digest(), *fed_.catalog(1).Digest());

  // A batch from 0 whose head is behind the checkpoint: the peer's store
  // went back, so the puller starts over from what that batch covers.
  v1::PullBatch restarted;
  restarted.set_feed_id(first.feed_id());
  restarted.set_from_lseq(0);
  restarted.set_to_lseq(3);
  restarted.set_head_lseq(3);
  restarted.set_revision_count(0);
  ASSERT_OK_AND_ASSIGN(ApplyStats reset, fed_.catalog(1).pulls().ApplyBatch("alpha", restarted));
  EXPECT_TRUE(reset.feed_reset);
  EXPECT_EQ(checkpoint(), 3u);
}

// README, "Backups": a data directory put back from a backup must get a
// new feed id before it starts, or its partners keep checkpoints that now
// mean other changes and miss them.
TEST_F(ApplyTest, ARestoredBackupNeedsANewFeedIdOrItsPartnersMissChanges) {
  auto put = [&](const std::string& id) {
    fed_.clock().Advance(1000);
    ASSERT_OK(fed_.catalog(0).local().Put(PutOf(MakeMaterial("M", id)), "a").status());
  };
  for (int i = 0; i < 5; ++i) put(absl::StrCat("m", i));
  std::unique_ptr<MemKv> backup = fed_.Backup(0);
  for (int i = 5; i < 10; ++i) put(absl::StrCat("m", i));
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_EQ(fed_.catalog(1).pulls().GetPeerState("alpha")->checkpoint(), 10u);

  // Put back without a new feed id: the store's head is 5 again, and its
  // next changes take lseqs 6 to 12, which beta's checkpoint of 10 skips.
  ASSERT_OK(fed_.Restore(0, std::move(backup)));
  std::unique_ptr<MemKv> same_backup = fed_.Backup(0);
  for (int i = 0; i < 7; ++i) put(absl::StrCat("n", i));
  ASSERT_OK(fed_.PullAll(1, 0));
  EXPECT_THAT(fed_.catalog(1).Get("alpha/n0"), StatusIs(absl::StatusCode::kNotFound));

  // Put back with a new feed id, as `minga-node --new-feed-id` does: beta
  // starts over from 0 and misses nothing.
  ASSERT_OK(fed_.Restore(0, std::move(same_backup)));
  fed_.node(0).catalog.reset();
  ASSERT_OK(Catalog::NewFeedId(fed_.node(0).fault.get()));
  ASSERT_OK(fed_.Reopen(0));
  for (int i = 0; i < 7; ++i) put(absl::StrCat("n", i));
  ASSERT_OK_AND_ASSIGN(ApplyStats first, fed_.PullOnce(1, 0));
  EXPECT_TRUE(first.feed_reset);
  ASSERT_OK(fed_.PullAll(1, 0));
  for (int i = 0; i < 7; ++i) {
    EXPECT_OK(fed_.catalog(1).Get(absl::StrCat("alpha/n", i)).status()) << i;
  }
}

TEST_F(ApplyTest, RelayServesOthersMaterials) {
  ASSERT_OK(fed_.catalog(0).local().Put(PutOf(MakeMaterial("Relayed", "r")), "a").status());
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_OK(fed_.PullAll(2, 1));  // gamma has no link to alpha
  ASSERT_OK_AND_ASSIGN(auto view, fed_.catalog(2).Get("alpha/r"));
  EXPECT_TRUE(view.has_body());
  EXPECT_EQ(view.provenance().from_peer(), "beta");
}

TEST_F(ApplyTest, MembersAudienceIsConfinedEvenThroughARelay) {
  // alpha shares with gamma only; beta relays headers but never the body.
  ASSERT_OK(fed_.catalog(0)
                .local()
                .Put(PutOf(MakeMaterial("Secret", "s"), v1::Audience::MEMBERS, {"gamma"}), "a")
                .status());
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_OK_AND_ASSIGN(auto at_beta, fed_.catalog(1).Get("alpha/s"));
  EXPECT_FALSE(at_beta.has_body());
  ASSERT_OK(fed_.PullAll(2, 1));
  ASSERT_OK_AND_ASSIGN(auto via_beta, fed_.catalog(2).Get("alpha/s"));
  EXPECT_FALSE(via_beta.has_body());  // beta cannot give what it lacks
  ASSERT_OK(fed_.PullAll(2, 0));
  ASSERT_OK_AND_ASSIGN(auto direct, fed_.catalog(2).Get("alpha/s"));
  EXPECT_TRUE(direct.has_body());  // same header, body filled in
  EXPECT_EQ(*fed_.catalog(0).Digest(), *fed_.catalog(2).Digest());
  EXPECT_EQ(*fed_.catalog(1).Digest(), *fed_.catalog(2).Digest());
}

TEST_F(ApplyTest, BodyOutsideTheAudienceIsRefused) {
  ASSERT_OK(fed_.catalog(0)
                .local()
                .Put(PutOf(MakeMaterial("Secret", "s"), v1::Audience::MEMBERS, {"gamma"}), "a")
                .status());
  // A misbehaving alpha serves gamma's view to beta.
  v1::PullBatch leaked = ReadAll(0, "gamma");
  ASSERT_FALSE(leaked.revisions(0).body().empty());
  EXPECT_THAT(fed_.catalog(1).pulls().ApplyBatch("alpha", leaked),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("alpha/s")));
  EXPECT_THAT(fed_.catalog(1).Get("alpha/s"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ApplyTest, TamperedBatchesAreRefusedWhole) {
  ASSERT_OK(fed_.catalog(0).local().Put(PutOf(MakeMaterial("One", "one")), "a").status());
  ASSERT_OK(fed_.catalog(0).local().Put(PutOf(MakeMaterial("Two", "two")), "a").status());
  const v1::PullBatch good = ReadAll(0, "beta");
  ASSERT_EQ(good.revisions_size(), 2);

  v1::PullBatch body = good;  // altered body
  (*body.mutable_revisions(1)->mutable_body())[5] ^= 1;
  EXPECT_THAT(fed_.catalog(1).pulls().ApplyBatch("alpha", body),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("revisions[1] (alpha/two)")));

  v1::PullBatch forged = good;  // a relay widening the audience re-signs with its own key
  v1::RevisionHeader h;
  ASSERT_TRUE(h.ParseFromString(forged.revisions(0).signed_().header()));
  h.set_version(h.version() + 1);
  h.SerializeToString(forged.mutable_revisions(0)->mutable_signed_()->mutable_header());
  forged.mutable_revisions(0)->mutable_signed_()->set_signature(
      fed_.node(1).key->Sign(SignaturePayload(forged.revisions(0).signed_().header())));
  EXPECT_THAT(fed_.catalog(2).pulls().ApplyBatch("beta", forged),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("revisions[0]")));

  EXPECT_THAT(fed_.catalog(1).Get("alpha/one"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(fed_.catalog(2).Get("alpha/one"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(fed_.catalog(1).head_lseq(), 0u);
  ASSERT_OK_AND_ASSIGN(auto state, fed_.catalog(1).pulls().GetPeerState("alpha"));
  EXPECT_EQ(state.checkpoint(), 0u);
}

TEST_F(ApplyTest, OlderVersionCannotReplayOverNewer) {
  ASSERT_OK(fed_.catalog(0).local().Put(PutOf(MakeMaterial("Old", "x")), "a").status());
  const v1::PullBatch old_batch = ReadAll(0, "beta");
  ASSERT_OK(fed_.catalog(0).local().Put(PutOf(MakeMaterial("New", "x")), "a").status());
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_OK(fed_.catalog(1).pulls().ApplyBatch("alpha", old_batch).status());
  ASSERT_OK_AND_ASSIGN(auto view, fed_.catalog(1).Get("alpha/x"));
  EXPECT_EQ(view.material().title(), "New");
}

TEST_F(ApplyTest, RetractionAndNarrowingPurgeBodies) {
  ASSERT_OK(fed_.catalog(0).local().Put(PutOf(MakeMaterial("Gone", "gone")), "a").status());
  ASSERT_OK(fed_.catalog(0).local().Put(PutOf(MakeMaterial("Narrow", "narrow")), "a").status());
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_OK(fed_.PullAll(2, 1));
  ASSERT_OK(fed_.catalog(0).local().Delete("alpha/gone", 0, "admin").status());
  ASSERT_OK(fed_.catalog(0)
                .local()
                .Put(PutOf(MakeMaterial("Narrow", "narrow"), v1::Audience::MEMBERS, {"beta"}), "a")
                .status());
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_OK(fed_.PullAll(2, 1));
  for (int i : {1, 2}) {
    ASSERT_OK_AND_ASSIGN(auto gone, fed_.catalog(i).Get("alpha/gone"));
    EXPECT_TRUE(gone.header().deleted());
    EXPECT_FALSE(gone.has_body());
  }
  ASSERT_OK_AND_ASSIGN(auto at_beta, fed_.catalog(1).Get("alpha/narrow"));
  EXPECT_TRUE(at_beta.has_body());
  ASSERT_OK_AND_ASSIGN(auto at_gamma, fed_.catalog(2).Get("alpha/narrow"));
  EXPECT_FALSE(at_gamma.has_body());  // purged: gamma left the audience
  EXPECT_EQ(*fed_.catalog(0).Digest(), *fed_.catalog(2).Digest());
}

TEST_F(ApplyTest, RebuiltPeerFeedRestartsFromZero) {
  ASSERT_OK(fed_.catalog(0).local().Put(PutOf(MakeMaterial("A", "a")), "a").status());
  ASSERT_OK(fed_.PullAll(1, 0));
  // alpha loses its disk and restores its own materials from beta.
  ASSERT_OK(fed_.Wipe(0));
  ASSERT_OK(fed_.PullAll(0, 1));
  ASSERT_OK_AND_ASSIGN(auto restored, fed_.catalog(0).Get("alpha/a"));
  EXPECT_TRUE(restored.has_body());
  // Its next version continues above the restored one.
  ASSERT_OK_AND_ASSIGN(auto next, fed_.catalog(0).local().Put(PutOf(MakeMaterial("A2", "a")), "a"));
  EXPECT_GT(next.header().version(), restored.header().version());
  // beta notices alpha's new feed and pulls it from zero.
  ASSERT_OK_AND_ASSIGN(ApplyStats s, fed_.PullOnce(1, 0));
  EXPECT_TRUE(s.feed_reset);
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_OK_AND_ASSIGN(auto at_beta, fed_.catalog(1).Get("alpha/a"));
  EXPECT_EQ(at_beta.material().title(), "A2");
}

// The peer's store is restored from an older backup: same feed id, but its
// head is behind our checkpoint, and it hands out those lseqs again.
TEST_F(ApplyTest, PeerFeedBehindTheCheckpointRestartsIt) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(
        fed_.catalog(0).local().Put(PutOf(MakeMaterial("M", absl::StrCat("m", i))), "a").status());
  }
  ASSERT_OK(fed_.PullAll(1, 0));
  // Fake the restored peer: a batch of alpha's feed starting over below
  // beta's checkpoint, as ReadBatch sends when after_lseq > head.
  v1::PullBatch restored;
  restored.set_feed_id(fed_.catalog(0).feed_id());
  restored.set_from_lseq(0);
  restored.set_to_lseq(2);
  restored.set_head_lseq(3);
  restored.set_revision_count(0);
  ASSERT_OK_AND_ASSIGN(ApplyStats s, fed_.catalog(1).pulls().ApplyBatch("alpha", restored));
  EXPECT_TRUE(s.feed_reset);
  EXPECT_EQ(s.checkpoint, 2u);
  // And the server side: a checkpoint beyond the head starts from zero.
  PullQuery q;
  q.requester = "beta";
  q.feed_id = fed_.catalog(0).feed_id();
  q.after_lseq = fed_.catalog(0).head_lseq() + 10;
  ASSERT_OK_AND_ASSIGN(v1::PullBatch batch, fed_.catalog(0).feed().ReadBatch(q));
  EXPECT_EQ(batch.from_lseq(), 0u);
  EXPECT_EQ(batch.revisions_size(), 5);
}

TEST_F(ApplyTest, SubscriptionFiltersBodiesAndBackfills) {
  v1::Material police = MakeMaterial("Police", "p");
  police.clear_sectors();
  police.add_sectors("police");
  ASSERT_OK(fed_.catalog(0).local().Put(PutOf(police), "a").status());
  ASSERT_OK(fed_.catalog(0).local().Put(PutOf(MakeMaterial("Health", "h")), "a").status());
  v1::Subscription health;
  health.add_sectors("health");
  ASSERT_OK(fed_.PullOnce(1, 0, 100, health).status());
  ASSERT_OK_AND_ASSIGN(auto p, fed_.catalog(1).Get("alpha/p"));
  EXPECT_FALSE(p.has_body());
  ASSERT_OK_AND_ASSIGN(auto h, fed_.catalog(1).Get("alpha/h"));
  EXPECT_TRUE(h.has_body());
  // Widening the subscription restarts the checkpoint; the body arrives.
  ASSERT_OK(fed_.catalog(1).pulls().PrepareSubscription("alpha", "everything"));
  ASSERT_OK_AND_ASSIGN(ApplyStats s, fed_.PullOnce(1, 0));
  EXPECT_EQ(s.bodies_added, 1u);
  EXPECT_EQ(s.verified, 0u);  // the header was known: no second verification
  ASSERT_OK_AND_ASSIGN(auto p2, fed_.catalog(1).Get("alpha/p"));
  EXPECT_TRUE(p2.has_body());
}

}  // namespace
}  // namespace minga

namespace minga {
namespace {

// Security review #7: a heartbeat, or a batch of nothing new, costs no
// synced write (no fsync under the write lock); only stored revisions do.
TEST_F(ApplyTest, BatchesThatStoreNothingAreNotSynced) {
  ASSERT_OK(fed_.catalog(0).local().Put(PutOf(MakeMaterial("M", "m")), "a").status());
  ASSERT_OK(fed_.PullAll(1, 0));
  FaultKv& kv = *fed_.node(1).fault;
  const int synced = kv.synced_writes();
  const int writes = kv.writes();
  v1::PullBatch empty;
  empty.set_feed_id(fed_.catalog(0).feed_id());
  empty.set_from_lseq(fed_.catalog(0).head_lseq());
  empty.set_to_lseq(fed_.catalog(0).head_lseq());
  empty.set_head_lseq(fed_.catalog(0).head_lseq());
  empty.set_revision_count(0);
  for (int i = 0; i < 200; ++i)
    ASSERT_OK(fed_.catalog(1).pulls().ApplyBatch("alpha", empty).status());
  // Nothing held changes: not even an unsynced write.
  EXPECT_EQ(kv.writes(), writes);
  // The same revision again: nothing stored, nothing synced.
  ASSERT_OK(fed_.catalog(1).pulls().ApplyBatch("alpha", ReadAll(0, "beta")).status());
  EXPECT_EQ(kv.synced_writes(), synced);
  // A new revision is synced with its checkpoint.
  ASSERT_OK(fed_.catalog(0).local().Put(PutOf(MakeMaterial("N", "n")), "a").status());
  ASSERT_OK(fed_.PullAll(1, 0));
  EXPECT_EQ(kv.synced_writes(), synced + 1);
  ASSERT_OK_AND_ASSIGN(auto state, fed_.catalog(1).pulls().GetPeerState("alpha"));
  EXPECT_EQ(state.checkpoint(), fed_.catalog(0).head_lseq());
}

// Security review #11: a version far beyond the clock would freeze a
// material (nothing could replace it); such a revision is passed over.
TEST_F(ApplyTest, VersionsFarAheadOfTheClockArePassedOver) {
  RevisionSpec spec;
  spec.material_id = "alpha/futuro";
  spec.version = std::numeric_limits<uint64_t>::max();
  spec.audience.set_scope(v1::Audience::PUBLIC);
  v1::Material body = MakeMaterial("Futuro", "alpha/futuro");
  v1::PullBatch batch;
  batch.set_feed_id("f");
  batch.set_to_lseq(1);
  batch.set_head_lseq(1);
  batch.set_revision_count(1);
  *batch.add_revisions() = SignRevision(*fed_.node(0).key, spec, body.SerializeAsString());
  ASSERT_OK_AND_ASSIGN(ApplyStats stats, fed_.catalog(1).pulls().ApplyBatch("alpha", batch));
  EXPECT_EQ(stats.too_far_ahead, 1u);
  EXPECT_EQ(stats.replaced, 0u);
  EXPECT_THAT(fed_.catalog(1).Get("alpha/futuro"), StatusIs(absl::StatusCode::kNotFound));
  // Within a year of the clock is fine.
  spec.version = static_cast<uint64_t>(fed_.clock().NowMicros()) + 1000;
  batch.mutable_revisions(0)->CopyFrom(
      SignRevision(*fed_.node(0).key, spec, body.SerializeAsString()));
  ASSERT_OK_AND_ASSIGN(ApplyStats ok, fed_.catalog(1).pulls().ApplyBatch("alpha", batch));
  EXPECT_EQ(ok.replaced, 1u);
}

}  // namespace
}  // namespace minga
