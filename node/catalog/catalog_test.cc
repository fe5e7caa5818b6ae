#include "node/catalog/catalog.h"

#include <cstring>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/core/limits.h"
#include "node/store/keys.h"
#include "tests/util/status_matchers.h"
#include "tests/util/test_federation.h"
#include "tests/util/test_materials.h"

namespace minga {
namespace {

using ::minga::testing::IsOk;
using ::minga::testing::MakeMaterial;
using ::minga::testing::StatusIs;
using ::minga::testing::TestFederation;
using ::testing::HasSubstr;

v1::PutRequest PutOf(v1::Material m) {
  v1::PutRequest r;
  *r.mutable_material() = std::move(m);
  return r;
}

class CatalogTest : public ::testing::Test {
 protected:
  TestFederation fed_{std::vector<std::string>{"alpha", "beta"}};
  Catalog& cat() { return fed_.catalog(0); }
};

TEST_F(CatalogTest, PutAssignsIdSignsAndGets) {
  ASSERT_OK_AND_ASSIGN(v1::MaterialView put,
                       cat().Put(PutOf(MakeMaterial("Protocolo de Atención")), "admin"));
  EXPECT_EQ(put.id(), "alpha/protocolo-de-atencion");
  EXPECT_EQ(put.header().origin(), "alpha");
  EXPECT_GT(put.header().version(), 0u);
  EXPECT_EQ(put.signer(), fed_.node(0).key->public_key().Fingerprint());
  ASSERT_OK_AND_ASSIGN(v1::MaterialView got, cat().Get(put.id()));
  EXPECT_EQ(got.material().title(), "Protocolo de Atención");
  EXPECT_TRUE(got.has_body());
  EXPECT_EQ(got.provenance().actor(), "admin");
  // The same title again gets a fresh id rather than replacing.
  ASSERT_OK_AND_ASSIGN(v1::MaterialView second,
                       cat().Put(PutOf(MakeMaterial("Protocolo de atención")), "admin"));
  EXPECT_EQ(second.id(), "alpha/protocolo-de-atencion-2");
}

TEST_F(CatalogTest, LocalIdAndUpdatesRaiseTheVersion) {
  ASSERT_OK_AND_ASSIGN(auto v1, cat().Put(PutOf(MakeMaterial("A", "guia-1")), "admin"));
  EXPECT_EQ(v1.id(), "alpha/guia-1");
  ASSERT_OK_AND_ASSIGN(auto v2, cat().Put(PutOf(MakeMaterial("B", "alpha/guia-1")), "admin"));
  EXPECT_GT(v2.header().version(), v1.header().version());
  EXPECT_GT(v2.lseq(), v1.lseq());
  ASSERT_OK_AND_ASSIGN(auto got, cat().Get("alpha/guia-1"));
  EXPECT_EQ(got.material().title(), "B");
}

TEST_F(CatalogTest, RefusesOtherOriginsAndStaleVersions) {
  EXPECT_THAT(cat().Put(PutOf(MakeMaterial("x", "beta/x")), "admin"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("belongs to 'beta'")));
  ASSERT_OK_AND_ASSIGN(auto v1, cat().Put(PutOf(MakeMaterial("A", "a")), "admin"));
  v1::PutRequest stale = PutOf(MakeMaterial("A2", "a"));
  stale.set_if_version(v1.header().version() + 1);
  EXPECT_THAT(cat().Put(stale, "admin"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("if_version")));
  v1::PutRequest create = PutOf(MakeMaterial("A3", "a"));
  create.set_create_only(true);
  EXPECT_THAT(cat().Put(create, "admin"), StatusIs(absl::StatusCode::kAlreadyExists));
  v1::PutRequest bad = PutOf(MakeMaterial("A4", "a"));
  bad.mutable_material()->set_kind("guidebook");
  EXPECT_THAT(cat().Put(bad, "admin"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("kind")));
  ASSERT_OK_AND_ASSIGN(auto got, cat().Get("alpha/a"));
  EXPECT_EQ(got.material().title(), "A");  // nothing changed
}

TEST_F(CatalogTest, PutManyStoresTheGoodAndReportsTheBad) {
  std::vector<v1::PutRequest> items;
  items.push_back(PutOf(MakeMaterial("Uno", "uno")));
  v1::Material bad = MakeMaterial("Dos", "dos");
  bad.clear_sectors();
  items.push_back(PutOf(bad));
  items.push_back(PutOf(MakeMaterial("Tres", "tres")));
  ASSERT_OK_AND_ASSIGN(auto results, cat().PutMany(items, "import"));
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].code(), 0);
  EXPECT_EQ(results[1].code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(results[1].error(), HasSubstr("sectors"));
  EXPECT_EQ(results[2].id(), "alpha/tres");
  EXPECT_OK(cat().Get("alpha/uno"));
  EXPECT_THAT(cat().Get("alpha/dos"), StatusIs(absl::StatusCode::kNotFound));
}

// The request limits take their bound and refuse one more, naming the field.
TEST_F(CatalogTest, PutManyAndPageSizeTakeTheirBoundAndNoMore) {
  std::vector<v1::PutRequest> many;
  for (size_t i = 0; i < kMaxPutManyItems; ++i) {
    many.push_back(PutOf(MakeMaterial("Ficha", absl::StrCat("f", i))));
  }
  std::vector<v1::PutRequest> one_more = many;
  one_more.push_back(PutOf(MakeMaterial("Ficha", "extra")));
  EXPECT_THAT(
      cat().PutMany(one_more, "admin"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("items: 501 items, at most 500")));
  EXPECT_EQ(cat().head_lseq(), 0u);
  ASSERT_OK_AND_ASSIGN(std::vector<v1::PutResult> results, cat().PutMany(many, "admin"));
  EXPECT_EQ(results.size(), kMaxPutManyItems);
  for (const v1::PutResult& r : results) EXPECT_EQ(r.code(), 0) << r.error();

  v1::ListRequest page;
  page.set_page_size(kMaxPageSize);
  ASSERT_OK_AND_ASSIGN(v1::ListResponse listed, cat().List(page));
  EXPECT_EQ(listed.materials_size(), static_cast<int>(kMaxPutManyItems));
  page.set_page_size(kMaxPageSize + 1);
  EXPECT_THAT(cat().List(page),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_size: 1001")));
}

TEST_F(CatalogTest, AFailedWriteLeavesNothingBehind) {
  ASSERT_OK(cat().Put(PutOf(MakeMaterial("Kept", "kept")), "admin").status());
  const size_t feed = fed_.node(0).kv->Count(Cf::kFeed);
  const size_t audit = fed_.node(0).kv->Count(Cf::kAudit);
  const uint64_t head = cat().head_lseq();
  fed_.node(0).fault->FailWriteAfter(1);
  EXPECT_THAT(cat().Put(PutOf(MakeMaterial("Lost", "lost")), "admin"),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(cat().Get("alpha/lost"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(fed_.node(0).kv->Count(Cf::kFeed), feed);
  EXPECT_EQ(fed_.node(0).kv->Count(Cf::kAudit), audit);
  EXPECT_EQ(cat().head_lseq(), head);
  // The next write works and continues the sequence without a gap.
  ASSERT_OK_AND_ASSIGN(auto next, cat().Put(PutOf(MakeMaterial("Next", "next")), "admin"));
  EXPECT_EQ(next.lseq(), head + 1);
}

TEST_F(CatalogTest, DeleteLeavesASignedTombstoneAndPurges) {
  ASSERT_OK_AND_ASSIGN(auto put, cat().Put(PutOf(MakeMaterial("Borrar", "b")), "admin"));
  ASSERT_OK_AND_ASSIGN(auto del, cat().Delete("alpha/b", 0, "admin"));
  EXPECT_TRUE(del.header().deleted());
  EXPECT_FALSE(del.has_body());
  EXPECT_GT(del.header().version(), put.header().version());
  ASSERT_OK_AND_ASSIGN(auto got, cat().Get("alpha/b"));
  EXPECT_FALSE(got.has_body());
  EXPECT_TRUE(got.header().deleted());
  EXPECT_THAT(cat().Delete("beta/x", 0, "admin"), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(cat().Delete("alpha/none", 0, "admin"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(CatalogTest, ListPaginatesByIdAndSequence) {
  for (int i = 0; i < 25; ++i) {
    ASSERT_OK(cat().Put(PutOf(MakeMaterial("M", absl::StrCat("m", 100 + i))), "a").status());
  }
  ASSERT_OK(cat().Delete("alpha/m105", 0, "admin").status());
  for (auto order : {v1::ListRequest::BY_ID, v1::ListRequest::BY_SEQUENCE}) {
    v1::ListRequest req;
    req.set_order(order);
    req.set_page_size(7);
    std::set<std::string> seen;
    int pages = 0;
    do {
      ASSERT_OK_AND_ASSIGN(v1::ListResponse page, cat().List(req));
      for (const auto& m : page.materials()) EXPECT_TRUE(seen.insert(m.id()).second);
      req.set_page_token(page.next_page_token());
      ++pages;
    } while (!req.page_token().empty());
    EXPECT_EQ(seen.size(), 24u) << "order " << order;
    EXPECT_FALSE(seen.count("alpha/m105"));
    EXPECT_GE(pages, 4);
  }
  v1::ListRequest bad;
  bad.set_page_token("garbage");
  EXPECT_THAT(cat().List(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
  v1::ListRequest by_origin;
  by_origin.set_origin("beta");
  ASSERT_OK_AND_ASSIGN(auto none, cat().List(by_origin));
  EXPECT_EQ(none.materials_size(), 0);
}

TEST_F(CatalogTest, ReopenKeepsEverythingAndVersionsKeepRising) {
  ASSERT_OK_AND_ASSIGN(auto put, cat().Put(PutOf(MakeMaterial("A", "a")), "admin"));
  const std::string feed = cat().feed_id();
  fed_.clock().Advance(-1'000'000'000);  // the wall clock steps back
  ASSERT_OK(fed_.Reopen(0));
  EXPECT_EQ(cat().feed_id(), feed);
  EXPECT_EQ(cat().head_lseq(), put.lseq());
  ASSERT_OK_AND_ASSIGN(auto again, cat().Put(PutOf(MakeMaterial("A2", "a")), "admin"));
  EXPECT_GT(again.header().version(), put.header().version());
}

TEST_F(CatalogTest, StoreOfAnotherOrgIsRefused) {
  // Node beta's key and name, on alpha's store.
  CatalogOptions o;
  o.org_id = "beta";
  o.signing_key = fed_.node(1).key.get();
  o.keyring = &fed_.keyring();
  o.chunks = fed_.node(0).chunks.get();
  EXPECT_THAT(Catalog::Open(fed_.node(0).kv.get(), o),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("belongs to org 'alpha'")));
  o.org_id = "alpha";
  EXPECT_THAT(Catalog::Open(fed_.node(0).kv.get(), o),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("signing key")));
}

}  // namespace
}  // namespace minga

namespace minga {
namespace {

TEST_F(CatalogTest, PuttingTheSameMaterialAgainChangesNothing) {
  ASSERT_OK_AND_ASSIGN(auto first, cat().Put(PutOf(MakeMaterial("Same", "same")), "admin"));
  const uint64_t head = cat().head_lseq();
  ASSERT_OK_AND_ASSIGN(auto again, cat().Put(PutOf(MakeMaterial("Same", "same")), "admin"));
  EXPECT_EQ(again.header().version(), first.header().version());
  EXPECT_EQ(cat().head_lseq(), head);
  // A different audience is a change.
  v1::PutRequest narrowed = PutOf(MakeMaterial("Same", "same"));
  narrowed.mutable_audience()->set_scope(v1::Audience::PRIVATE);
  ASSERT_OK_AND_ASSIGN(auto changed, cat().Put(narrowed, "admin"));
  EXPECT_GT(changed.header().version(), first.header().version());
}

}  // namespace
}  // namespace minga

namespace minga {
namespace {}  // namespace
}  // namespace minga

namespace minga {
namespace {

TEST_F(CatalogTest, NonPublicMaterialsGetIdsThatSayNothingOfThem) {
  v1::PutRequest r = PutOf(MakeMaterial("Protocolo interno de casos"));
  r.mutable_audience()->set_scope(v1::Audience::PRIVATE);
  ASSERT_OK_AND_ASSIGN(auto view, cat().Put(r, "admin"));
  EXPECT_THAT(view.id(), ::testing::StartsWith("alpha/m-"));
  EXPECT_THAT(view.id(), ::testing::Not(HasSubstr("protocolo")));
}

}  // namespace
}  // namespace minga

namespace minga {
namespace {

// Security review #3: a put or an import that leaves the audience out must
// not publish what was narrowed; only an explicit audience widens.
TEST_F(CatalogTest, AnUnsetAudienceNeverWidensAHeldOne) {
  v1::PutRequest put = PutOf(MakeMaterial("Protocolo interno", "interno"));
  put.mutable_audience()->set_scope(v1::Audience::PRIVATE);
  ASSERT_OK(cat().Put(put, "t").status());
  // The same material again, as `minga put FILE` or a re-import sends it.
  ASSERT_OK_AND_ASSIGN(v1::MaterialView again,
                       cat().Put(PutOf(MakeMaterial("Protocolo interno", "interno")), "t"));
  EXPECT_EQ(again.header().audience().scope(), v1::Audience::PRIVATE);
  std::vector<v1::PutRequest> items = {PutOf(MakeMaterial("Protocolo interno v2", "interno"))};
  ASSERT_OK_AND_ASSIGN(auto results, cat().PutMany(items, "t"));
  ASSERT_EQ(results[0].code(), 0) << results[0].error();
  ASSERT_OK_AND_ASSIGN(v1::MaterialView imported, cat().Get("alpha/interno"));
  EXPECT_EQ(imported.header().audience().scope(), v1::Audience::PRIVATE);
  EXPECT_EQ(imported.material().title(), "Protocolo interno v2");
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_OK_AND_ASSIGN(v1::MaterialView at_beta, fed_.catalog(1).Get("alpha/interno"));
  EXPECT_FALSE(at_beta.has_body()) << "the private body reached beta";
  // A scope left unspecified is no audience either.
  v1::PutRequest unspecified = PutOf(MakeMaterial("Protocolo interno v3", "interno"));
  unspecified.mutable_audience();
  ASSERT_OK_AND_ASSIGN(v1::MaterialView kept, cat().Put(unspecified, "t"));
  EXPECT_EQ(kept.header().audience().scope(), v1::Audience::PRIVATE);
  // Widening is an explicit act.
  v1::PutRequest widen = PutOf(MakeMaterial("Protocolo interno v3", "interno"));
  widen.mutable_audience()->set_scope(v1::Audience::PUBLIC);
  ASSERT_OK_AND_ASSIGN(v1::MaterialView wide, cat().Put(widen, "t"));
  EXPECT_EQ(wide.header().audience().scope(), v1::Audience::PUBLIC);
  // A new material without an audience is public.
  ASSERT_OK_AND_ASSIGN(v1::MaterialView fresh,
                       cat().Put(PutOf(MakeMaterial("Nueva", "nueva")), "t"));
  EXPECT_EQ(fresh.header().audience().scope(), v1::Audience::PUBLIC);
}

// Security review #6: a page is bounded in bytes as well as items, and a
// listing leaves the chunk hash lists out unless asked, so materials that
// announce 16 GiB files cannot push ls or export past the message limit.
TEST_F(CatalogTest, ListPagesAreBoundedInBytes) {
  const SigningKey& alpha_key = *fed_.node(0).key;
  for (int n = 0; n < 32; ++n) {
    v1::Material m = MakeMaterial("Grande", "");
    m.set_id(absl::StrCat("alpha/big-", n));
    v1::FileInfo* f = m.add_files();
    f->set_name("v.mp4");
    f->set_media_type("video/mp4");
    f->set_size(kMaxFileSize);
    f->set_sha256(std::string(32, 'x'));
    for (uint64_t i = 0; i < kMaxFileSize / kChunkSize; ++i) {
      std::string h(32, '\0');
      std::memcpy(h.data(), &i, sizeof(i));
      h[31] = static_cast<char>(n);
      f->add_chunk_sha256(h);
    }
    v1::PullBatch batch = testing::SignedBatch(alpha_key, "feed", m);
    batch.set_from_lseq(n);
    batch.set_to_lseq(n + 1);
    ASSERT_OK(fed_.catalog(1).ApplyBatch("alpha", batch).status());
  }
  for (bool hashes : {false, true}) {
    v1::ListRequest req;
    req.set_page_size(100);
    req.set_include_chunk_hashes(hashes);
    size_t seen = 0;
    int pages = 0;
    do {
      ASSERT_OK_AND_ASSIGN(v1::ListResponse list, fed_.catalog(1).List(req));
      EXPECT_LE(list.ByteSizeLong(), static_cast<size_t>(kMaxMessageBytes));
      EXPECT_GT(list.materials_size(), 0);
      for (const v1::MaterialView& v : list.materials()) {
        ASSERT_EQ(v.material().files_size(), 1);
        EXPECT_EQ(v.material().files(0).size(), kMaxFileSize);
        EXPECT_EQ(v.material().files(0).chunk_sha256_size(), hashes ? 16384 : 0);
      }
      seen += list.materials_size();
      ++pages;
      req.set_page_token(list.next_page_token());
    } while (!req.page_token().empty() && pages < 100);
    EXPECT_EQ(seen, 32u);
    EXPECT_EQ(pages, hashes ? 5 : 1);  // about 0.56 MiB a material with its hashes
  }
}

// Security review #13: the audit records local changes, not every revision
// a peer sends (that is in each entry's provenance), so a member's churn
// does not grow every node's store for ever.
TEST_F(CatalogTest, PulledRevisionsAddNoAuditRecords) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(cat().Put(PutOf(MakeMaterial("M", absl::StrCat("m", i))), "admin").status());
  }
  EXPECT_EQ(fed_.node(0).kv->Count(Cf::kAudit), 5u);
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_OK_AND_ASSIGN(v1::MaterialView got, fed_.catalog(1).Get("alpha/m3"));
  EXPECT_EQ(got.provenance().from_peer(), "alpha");
  EXPECT_EQ(fed_.node(1).kv->Count(Cf::kAudit), 0u);
}

}  // namespace
}  // namespace minga
