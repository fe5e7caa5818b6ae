// Durability beyond kill -9: a real RocksDB store on a file system that
// loses whatever was not synced when the power goes (tests/util/
// power_cut_fs.h). After each kind of write a node acknowledges (a put, an
// import, a retraction, an applied pull batch with its checkpoint) the power
// is cut at once, and the write must be there after the restart. A write
// made without sync is lost the same way, so the cut is real.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/catalog/catalog.h"
#include "node/store/chunk_store.h"
#include "node/store/rocks_kv.h"
#include "tests/util/power_cut_fs.h"
#include "tests/util/process.h"
#include "tests/util/status_matchers.h"
#include "tests/util/test_federation.h"
#include "tests/util/test_materials.h"

namespace minga {
namespace {

using ::minga::testing::MakeMaterial;
using ::minga::testing::PowerCutFs;
using ::minga::testing::TestFederation;

PutItem Public(v1::Material m) {
  PutItem r;
  r.material = std::move(m);
  r.mutable_audience()->set_scope(v1::Audience::PUBLIC);
  return r;
}

// "beta" runs on the power-cut disk; "alpha" (in memory) is its partner.
class PowerCutTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override {
    beta_.reset();
    kv_.reset();
  }

  void Open() {
    RocksKvOptions options;
    options.path = dir_ + "/store";
    options.env = env_.get();
    absl::StatusOr<std::unique_ptr<KvStore>> kv = OpenRocksKv(options);
    ASSERT_OK(kv.status());
    kv_ = std::move(*kv);
    CatalogOptions c;
    c.org_id = "beta";
    c.signing_key = fed_.node(1).key.get();
    c.keyring = &fed_.keyring();
    c.clock = &fed_.clock();
    c.chunks = chunks_.get();
    absl::StatusOr<std::unique_ptr<Catalog>> catalog = Catalog::Open(kv_.get(), c);
    ASSERT_OK(catalog.status());
    beta_ = std::move(*catalog);
  }

  // The power goes the moment the call returned; then the node starts again.
  // Returns the bytes the cut lost.
  uint64_t CutPowerAndRestart() {
    fs_->PowerOff();
    beta_.reset();
    kv_.reset();
    const uint64_t lost = fs_->PowerOnLosingUnsynced();
    Open();
    return lost;
  }

  uint64_t VersionAtBeta(const std::string& id) {
    absl::StatusOr<std::optional<Entry>> got = beta_->GetEntry(id);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() && got->has_value() ? (*got)->header.version() : 0;
  }

  TestFederation fed_{std::vector<std::string>{"alpha", "beta"}};
  std::shared_ptr<PowerCutFs> fs_ = std::make_shared<PowerCutFs>();
  std::unique_ptr<rocksdb::Env> env_ = rocksdb::NewCompositeEnv(fs_);
  std::unique_ptr<ChunkStore> chunks_ = NewMemChunkStore();
  testing::TempDir tmp_;
  const std::string dir_ = tmp_.path();
  std::unique_ptr<KvStore> kv_;
  std::unique_ptr<Catalog> beta_;
};

TEST_F(PowerCutTest, AWriteNotSyncedIsLostSoTheCutIsReal) {
  WriteBatch batch;
  batch.Put(Cf::kMeta, "not-synced", std::string(4096, 'x'));
  ASSERT_OK(kv_->Write(batch, WriteOptions{.sync = false}));
  ASSERT_TRUE(kv_->Get(Cf::kMeta, "not-synced")->has_value());
  EXPECT_GT(CutPowerAndRestart(), 0u);
  absl::StatusOr<std::optional<std::string>> got = kv_->Get(Cf::kMeta, "not-synced");
  ASSERT_OK(got.status());
  EXPECT_FALSE(got->has_value()) << "the cut kept a write that was never synced";
}

TEST_F(PowerCutTest, EveryAcknowledgedWriteSurvivesAPowerCut) {
  // A put.
  ASSERT_OK_AND_ASSIGN(v1::MaterialView put,
                       beta_->local().Put(Public(MakeMaterial("Guía", "g")), "t"));
  CutPowerAndRestart();
  EXPECT_EQ(VersionAtBeta("beta/g"), put.header().version());

  // An import.
  std::vector<PutItem> many;
  for (int i = 0; i < 200; ++i)
    many.push_back(Public(MakeMaterial("Protocolo", absl::StrCat("p", i))));
  ASSERT_OK_AND_ASSIGN(std::vector<PutOutcome> results, beta_->local().PutMany(many, "t"));
  CutPowerAndRestart();
  for (const PutOutcome& r : results) {
    ASSERT_OK(r.status);
    EXPECT_EQ(VersionAtBeta(r.id), r.version) << r.id << " lost";
  }

  // A retraction.
  fed_.clock().Advance(1000);
  ASSERT_OK_AND_ASSIGN(v1::MaterialView retracted, beta_->local().Delete("beta/g", 0, "t"));
  CutPowerAndRestart();
  ASSERT_OK_AND_ASSIGN(std::optional<Entry> tombstone, beta_->GetEntry("beta/g"));
  ASSERT_TRUE(tombstone.has_value());
  EXPECT_TRUE(tombstone->header.deleted());
  EXPECT_EQ(tombstone->header.version(), retracted.header().version());
  EXPECT_FALSE(tombstone->has_body());

  // A pulled batch, and the checkpoint that came with it.
  for (int i = 0; i < 50; ++i) {
    ASSERT_OK(fed_.catalog(0)
                  .local()
                  .Put(Public(MakeMaterial("Ruta", absl::StrCat("r", i))), "t")
                  .status());
  }
  PullQuery q;
  q.requester = "beta";
  q.max_revisions = 1000;
  ASSERT_OK_AND_ASSIGN(v1::PullBatch batch, fed_.catalog(0).feed().ReadBatch(q));
  ASSERT_OK(beta_->pulls().ApplyBatch("alpha", batch).status());
  CutPowerAndRestart();
  ASSERT_OK_AND_ASSIGN(v1::storage::PeerState state, beta_->pulls().GetPeerState("alpha"));
  EXPECT_EQ(state.checkpoint(), batch.to_lseq());
  for (int i = 0; i < 50; ++i) {
    const std::string id = absl::StrCat("alpha/r", i);
    ASSERT_OK_AND_ASSIGN(std::optional<Entry> at_alpha, fed_.catalog(0).GetEntry(id));
    EXPECT_EQ(VersionAtBeta(id), at_alpha->header.version()) << id << " lost under its checkpoint";
  }
  EXPECT_EQ(beta_->head_lseq(), 1u + 200u + 1u + 50u);
  TestFederation::ExpectTallyMatchesStore(*beta_);
}

}  // namespace
}  // namespace minga
