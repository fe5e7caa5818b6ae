// Removed members and retired keys: what the federation file no longer
// vouches for is purged and refused.
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/catalog/catalog.h"
#include "node/core/chunker.h"
#include "node/core/revision.h"
#include "node/store/keys.h"
#include "tests/util/status_matchers.h"
#include "tests/util/test_federation.h"
#include "tests/util/test_materials.h"

namespace minga {
namespace {

using ::minga::testing::MakeMaterial;
using ::minga::testing::StatusIs;
using ::minga::testing::TestFederation;
using ::testing::HasSubstr;

class MembershipTest : public ::testing::Test {
 protected:
  size_t ChunkFiles(int i) {
    size_t n = 0;
    EXPECT_TRUE(fed_.node(i).chunks->ForEach([&](const std::string&) { ++n; }).ok());
    return n;
  }
  std::string Put(int node, const std::string& local, const std::string& title) {
    PutItem r;
    r.material = MakeMaterial(title, local);
    auto put = fed_.catalog(node).local().Put(r, "t");
    EXPECT_TRUE(put.ok()) << put.status();
    return put->id();
  }
  std::map<std::string, MemberKeys, std::less<>> Members() {
    std::map<std::string, MemberKeys, std::less<>> m;
    for (int i = 0; i < fed_.size(); ++i) {
      m.emplace(fed_.catalog(i).org_id(), MemberKeys{fed_.node(i).key->public_key(), {}});
    }
    return m;
  }
  size_t Count(int node, Cf cf) { return fed_.node(node).kv->Count(cf); }

  TestFederation fed_{std::vector<std::string>{"alpha", "beta", "gamma"}};
};

// Security review #12: once gamma is removed from the federation file,
// what beta held of gamma's is gone: not served, its files purged.
TEST_F(MembershipTest, ARemovedMembersMaterialsArePurged) {
  const std::string g = Put(2, "g", "De gamma");
  const std::string a = Put(0, "a", "De alpha");
  std::string data(5000, 'x');
  Chunker chunker([&](const Sha256Digest& d, absl::string_view c) {
    return fed_.catalog(2).files().StoreChunk(DigestToBytes(d), c, false);
  });
  ASSERT_OK(chunker.Add(data));
  ASSERT_OK_AND_ASSIGN(v1::FileInfo file, chunker.Finish());
  file.set_name("f.bin");
  ASSERT_OK(fed_.catalog(2).local().AttachFile(g, file, "t").status());
  ASSERT_OK(fed_.PullAll(1, 2));
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_OK(fed_.catalog(1).files().StoreChunk(file.chunk_sha256(0), data, true));
  ASSERT_EQ(ChunkFiles(1), 1u);

  auto members = Members();
  members.erase("gamma");
  ASSERT_OK(fed_.ReplaceKeyring(std::make_unique<Keyring>(std::move(members))));
  ASSERT_OK_AND_ASSIGN(size_t purged, fed_.catalog(1).ReconcileMembership());
  EXPECT_EQ(purged, 1u);
  EXPECT_THAT(fed_.catalog(1).Get(g), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_OK(fed_.catalog(1).Get(a));
  EXPECT_EQ(ChunkFiles(1), 0u);
  // alpha pulling from beta gets nothing of gamma's, not even a header.
  ASSERT_OK(fed_.PullAll(0, 1));
  EXPECT_THAT(fed_.catalog(0).Get(g), StatusIs(absl::StatusCode::kNotFound));
  // Once is enough: the same keyring purges nothing more.
  ASSERT_OK_AND_ASSIGN(size_t again, fed_.catalog(1).ReconcileMembership());
  EXPECT_EQ(again, 0u);
}

// Security review #12: after alpha's key was stolen and replaced, a
// revision signed with the old key at or above the version it was retired
// from is refused, and one a node accepted before it learnt of the
// rotation is purged; older revisions stay valid, newer ones verify with
// the new key.
TEST_F(MembershipTest, ARetiredKeyVouchesOnlyForWhatItSignedBefore) {
  const std::string old_one = Put(0, "antiguo", "Firmado antes");
  ASSERT_OK(fed_.PullAll(1, 0));
  const uint64_t retired_from =
      fed_.catalog(0).head_lseq() > 0
          ? *Catalog::HighestOwnVersion(fed_.node(0).kv.get(), "alpha") + 1
          : 1;
  const SigningKey stolen = SigningKey::FromSeed(fed_.node(0).key->seed()).value();
  // The thief signs a newer version of the old material, and beta takes it
  // (the rotation has not reached it yet).
  v1::Material forged = MakeMaterial("Versión del ladrón", "alpha/antiguo");
  RevisionSpec spec;
  spec.material_id = "alpha/antiguo";
  spec.version = retired_from + 10;
  spec.audience.set_scope(v1::Audience::PUBLIC);
  v1::PullBatch batch;
  batch.set_feed_id("thief");
  batch.set_to_lseq(1);
  batch.set_revision_count(1);
  *batch.add_revisions() = SignRevision(stolen, spec, forged.SerializeAsString());
  ASSERT_OK(fed_.catalog(1).pulls().ApplyBatch("gamma", batch).status());
  ASSERT_OK_AND_ASSIGN(v1::MaterialView taken, fed_.catalog(1).Get(old_one));
  EXPECT_EQ(taken.material().title(), "Versión del ladrón");

  // alpha rotates: a new key, the old one retired from `retired_from`.
  *fed_.node(0).key = SigningKey::Generate();
  auto members = Members();
  members.at("alpha").retired.push_back({stolen.public_key(), retired_from});
  ASSERT_OK(fed_.ReplaceKeyring(std::make_unique<Keyring>(std::move(members))));
  // beta purges the forged revision...
  ASSERT_OK_AND_ASSIGN(size_t purged, fed_.catalog(1).ReconcileMembership());
  EXPECT_EQ(purged, 1u);
  EXPECT_THAT(fed_.catalog(1).Get(old_one), StatusIs(absl::StatusCode::kNotFound));
  // ...and refuses it again when it comes back.
  batch.set_feed_id("thief-2");
  EXPECT_THAT(fed_.catalog(1).pulls().ApplyBatch("gamma", batch),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("retired from version")));
  // The valid revision, signed with the old key before its retirement,
  // comes back from alpha and still verifies (a node restarts its peers'
  // checkpoints when the federation changes).
  ASSERT_OK(fed_.catalog(1).pulls().PrepareSubscription("alpha", "after-rotation"));
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_OK_AND_ASSIGN(v1::MaterialView valid, fed_.catalog(1).Get(old_one));
  EXPECT_EQ(valid.material().title(), "Firmado antes");
  EXPECT_EQ(valid.signer(), stolen.public_key().Fingerprint());
  // alpha's next change is signed with the new key, above the retired range.
  PutItem edit;
  edit.material = MakeMaterial("Firmado después", "antiguo");
  ASSERT_OK_AND_ASSIGN(v1::MaterialView edited, fed_.catalog(0).local().Put(edit, "t"));
  EXPECT_GE(edited.header().version(), retired_from);
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_OK_AND_ASSIGN(v1::MaterialView later, fed_.catalog(1).Get(old_one));
  EXPECT_EQ(later.material().title(), "Firmado después");
  EXPECT_EQ(later.signer(), fed_.node(0).key->public_key().Fingerprint());
}

}  // namespace
}  // namespace minga
