// The mass-delete interlock: a pull that retracts or narrows many of an
// origin's materials applies the headers but holds the bodies and files,
// until released or expired.
#include "node/catalog/interlock.h"

#include <random>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/catalog/catalog.h"
#include "node/catalog/chunk_refs.h"
#include "node/core/chunker.h"
#include "tests/util/status_matchers.h"
#include "tests/util/test_federation.h"
#include "tests/util/test_materials.h"

namespace minga {
namespace {

using ::minga::testing::StatusIs;
using ::minga::testing::TestFederation;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr int64_t kHour = int64_t{3600} * 1000000;

class InterlockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Small thresholds, so the tests stay small: over 20% and at least 10.
    fed_.interlock.min_materials = 10;
    for (int i = 0; i < fed_.size(); ++i) ASSERT_OK(fed_.Reopen(i));
  }

  Catalog& alpha() { return fed_.catalog(0); }
  Catalog& beta() { return fed_.catalog(1); }

  // alpha publishes `n` public materials; beta pulls them.
  std::vector<std::string> Publish(int n, const std::string& prefix = "m") {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      PutItem item;
      item.material = testing::MakeMaterial("Guía", absl::StrCat(prefix, i));
      item.mutable_audience()->set_scope(v1::Audience::PUBLIC);
      auto view = alpha().local().Put(item, "t");
      EXPECT_TRUE(view.ok()) << view.status();
      ids.push_back(view->id());
    }
    EXPECT_TRUE(fed_.PullAll(1, 0).ok());
    return ids;
  }

  void Retract(const std::vector<std::string>& ids, size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) ASSERT_OK(alpha().local().Delete(ids[i], 0, "t").status());
  }

  // alpha attaches a file of one chunk to `id`; beta pulls and stores it.
  std::string AttachAndShare(const std::string& id) {
    std::mt19937 rng(7);
    std::string data(1000, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    std::string sha;
    Chunker chunker([&](const Sha256Digest& d, absl::string_view c) {
      sha = DigestToBytes(d);
      return alpha().files().StoreChunk(sha, c, false);
    });
    EXPECT_TRUE(chunker.Add(data).ok());
    auto info = chunker.Finish();
    EXPECT_TRUE(info.ok());
    info->set_name("guia.pdf");
    info->set_media_type("application/pdf");
    EXPECT_TRUE(alpha().local().AttachFile(id, *info, "t").ok());
    EXPECT_TRUE(fed_.PullAll(1, 0).ok());
    EXPECT_TRUE(beta().files().StoreChunk(sha, data, true).ok());
    return sha;
  }

  size_t ChunkFilesAtBeta() {
    size_t n = 0;
    EXPECT_TRUE(fed_.node(1).chunks->ForEach([&](const std::string&) { ++n; }).ok());
    return n;
  }

  std::vector<InterlockHoldInfo> Holds() {
    auto holds = beta().interlock().Holds();
    EXPECT_TRUE(holds.ok()) << holds.status();
    return holds.ok() ? *holds : std::vector<InterlockHoldInfo>{};
  }

  TestFederation fed_{std::vector<std::string>{"alpha", "beta", "gamma"}};
};

TEST_F(InterlockTest, AMassRetractionAppliesHeadersButHoldsBodiesAndFilesUntilReleased) {
  const std::vector<std::string> ids = Publish(50);
  AttachAndShare(ids[0]);
  ASSERT_EQ(ChunkFilesAtBeta(), 1u);
  Retract(ids, 0, 15);  // 30% of 50
  ASSERT_OK(fed_.PullAll(1, 0));

  // Confinement wins: the retraction applies at once.
  ASSERT_OK_AND_ASSIGN(v1::MaterialView view, beta().Get(ids[0]));
  EXPECT_TRUE(view.header().deleted());
  EXPECT_FALSE(view.has_body());
  EXPECT_EQ(beta().Counts().origins().at("alpha").materials(), 35u);
  // But the bodies and the file are held, and gc leaves them.
  ASSERT_THAT(Holds(), SizeIs(1));
  EXPECT_EQ(Holds()[0].origin, "alpha");
  EXPECT_EQ(Holds()[0].held, 15u);
  EXPECT_EQ(Holds()[0].tripped_losses, 15u);
  EXPECT_EQ(Holds()[0].tripped_of, 50u);
  EXPECT_EQ(Holds()[0].expires_unix_micros - Holds()[0].tripped_unix_micros, 7 * 24 * kHour);
  ASSERT_OK(beta().files().Gc().status());
  EXPECT_EQ(ChunkFilesAtBeta(), 1u);
  // The hold survives a restart.
  ASSERT_OK(fed_.Reopen(1));
  EXPECT_EQ(Holds()[0].held, 15u);

  ASSERT_OK_AND_ASSIGN(uint64_t released, beta().interlock().Release("alpha", "admin"));
  EXPECT_EQ(released, 15u);
  EXPECT_THAT(Holds(), IsEmpty());
  EXPECT_EQ(ChunkFilesAtBeta(), 0u);
  EXPECT_EQ(fed_.node(1).kv->Count(Cf::kHeld), 0u);
  EXPECT_THAT(beta().interlock().Release("alpha", "admin"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("holds nothing of 'alpha'")));
  // The catalogs agree throughout: the interlock never changes what is
  // applied, only when bodies go.
  EXPECT_EQ(*alpha().Digest(), *beta().Digest());
}

TEST_F(InterlockTest, RetractionsUnderTheThresholdArePurgedAtOnce) {
  const std::vector<std::string> ids = Publish(50);
  AttachAndShare(ids[0]);
  Retract(ids, 0, 9);  // 18%: under the share, and under the count
  ASSERT_OK(fed_.PullAll(1, 0));
  EXPECT_THAT(Holds(), IsEmpty());
  EXPECT_EQ(ChunkFilesAtBeta(), 0u);
  // More than 20% of 50 is 11 or more; at 10 within the window the count
  // is reached but not the share.
  Retract(ids, 9, 10);
  ASSERT_OK(fed_.PullAll(1, 0));
  EXPECT_THAT(Holds(), IsEmpty());
  Retract(ids, 10, 11);
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_THAT(Holds(), SizeIs(1));
  EXPECT_EQ(Holds()[0].held, 1u);  // the ten before went through
  EXPECT_EQ(Holds()[0].tripped_losses, 11u);
}

TEST_F(InterlockTest, LossesOutsideTheWindowDoNotAddUp) {
  const std::vector<std::string> ids = Publish(40);
  Retract(ids, 0, 8);
  ASSERT_OK(fed_.PullAll(1, 0));
  fed_.clock().Advance(2 * kHour);
  Retract(ids, 8, 16);  // 16 of 40 in two hours, but 8 within the hour
  ASSERT_OK(fed_.PullAll(1, 0));
  EXPECT_THAT(Holds(), IsEmpty());
}

TEST_F(InterlockTest, NarrowingCountsAndABodyBroughtBackEndsItsHold) {
  const std::vector<std::string> ids = Publish(30);
  // alpha narrows 12 materials to gamma alone: beta loses their bodies.
  for (int i = 0; i < 12; ++i) {
    PutItem item;
    item.material = testing::MakeMaterial("Guía", absl::StrCat("m", i));
    item.mutable_audience()->set_scope(v1::Audience::MEMBERS);
    item.mutable_audience()->add_members("gamma");
    ASSERT_OK(alpha().local().Put(item, "t").status());
  }
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_THAT(Holds(), SizeIs(1));
  EXPECT_EQ(Holds()[0].held, 12u);
  ASSERT_OK_AND_ASSIGN(v1::MaterialView narrowed, beta().Get(ids[0]));
  EXPECT_FALSE(narrowed.has_body());
  // Once tripped, later losses are held too, until released.
  Retract(ids, 20, 21);
  ASSERT_OK(fed_.PullAll(1, 0));
  EXPECT_EQ(Holds()[0].held, 13u);
  // alpha opens one to the public again: its body comes back and the held
  // one goes.
  PutItem item;
  item.material = testing::MakeMaterial("Guía", "m0");
  item.mutable_audience()->set_scope(v1::Audience::PUBLIC);
  ASSERT_OK(alpha().local().Put(item, "t").status());
  ASSERT_OK(fed_.PullAll(1, 0));
  EXPECT_EQ(Holds()[0].held, 12u);
  ASSERT_OK_AND_ASSIGN(v1::MaterialView back, beta().Get(ids[0]));
  EXPECT_TRUE(back.has_body());
}

TEST_F(InterlockTest, AHoldEndsByItselfWhenItsGraceHasPassed) {
  const std::vector<std::string> ids = Publish(20);
  Retract(ids, 0, 10);
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_THAT(Holds(), SizeIs(1));
  ASSERT_OK_AND_ASSIGN(uint64_t early, beta().interlock().ExpireDue());
  EXPECT_EQ(early, 0u);
  fed_.clock().Advance(7 * 24 * kHour + 1);
  ASSERT_OK_AND_ASSIGN(uint64_t expired, beta().interlock().ExpireDue());
  EXPECT_EQ(expired, 10u);
  EXPECT_THAT(Holds(), IsEmpty());
  EXPECT_EQ(fed_.node(1).kv->Count(Cf::kHeld), 0u);
}

TEST_F(InterlockTest, ARemovedMembersHeldBodiesGoWithItsEntries) {
  const std::vector<std::string> ids = Publish(20);
  Retract(ids, 0, 10);
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_THAT(Holds(), SizeIs(1));
  std::map<std::string, PublicKey, std::less<>> keys;
  for (int i = 1; i < fed_.size(); ++i) {
    keys.emplace(fed_.node(i).org, fed_.node(i).key->public_key());
  }
  ASSERT_OK(fed_.ReplaceKeyring(std::make_unique<Keyring>(std::move(keys))));
  ASSERT_OK(beta().ReconcileMembership().status());
  EXPECT_EQ(fed_.node(1).kv->Count(Cf::kHeld), 0u);
  EXPECT_THAT(Holds(), IsEmpty());
}

TEST_F(InterlockTest, TurnedOffEveryPurgeHappensAtOnce) {
  fed_.interlock.enabled = false;
  ASSERT_OK(fed_.Reopen(1));
  const std::vector<std::string> ids = Publish(20);
  Retract(ids, 0, 20);
  ASSERT_OK(fed_.PullAll(1, 0));
  EXPECT_THAT(Holds(), IsEmpty());
  EXPECT_EQ(fed_.node(1).kv->Count(Cf::kHeld), 0u);
}

}  // namespace
}  // namespace minga
