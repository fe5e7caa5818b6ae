#include "node/catalog/catalog.h"

#include <cstring>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/core/limits.h"
#include "node/store/fault_kv.h"
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

PutItem PutOf(v1::Material m) {
  PutItem r;
  r.material = std::move(m);
  return r;
}

class CatalogTest : public ::testing::Test {
 protected:
  TestFederation fed_{std::vector<std::string>{"alpha", "beta"}};
  Catalog& cat() { return fed_.catalog(0); }
};

TEST_F(CatalogTest, PutAssignsIdSignsAndGets) {
  ASSERT_OK_AND_ASSIGN(v1::MaterialView put,
                       cat().local().Put(PutOf(MakeMaterial("Protocolo de Atención")), "admin"));
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
                       cat().local().Put(PutOf(MakeMaterial("Protocolo de atención")), "admin"));
  EXPECT_EQ(second.id(), "alpha/protocolo-de-atencion-2");
}

TEST_F(CatalogTest, LocalIdAndUpdatesRaiseTheVersion) {
  ASSERT_OK_AND_ASSIGN(auto v1, cat().local().Put(PutOf(MakeMaterial("A", "guia-1")), "admin"));
  EXPECT_EQ(v1.id(), "alpha/guia-1");
  ASSERT_OK_AND_ASSIGN(auto v2,
                       cat().local().Put(PutOf(MakeMaterial("B", "alpha/guia-1")), "admin"));
  EXPECT_GT(v2.header().version(), v1.header().version());
  EXPECT_GT(v2.lseq(), v1.lseq());
  ASSERT_OK_AND_ASSIGN(auto got, cat().Get("alpha/guia-1"));
  EXPECT_EQ(got.material().title(), "B");
}

TEST_F(CatalogTest, RefusesOtherOriginsAndStaleVersions) {
  EXPECT_THAT(cat().local().Put(PutOf(MakeMaterial("x", "beta/x")), "admin"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("belongs to 'beta'")));
  ASSERT_OK_AND_ASSIGN(auto v1, cat().local().Put(PutOf(MakeMaterial("A", "a")), "admin"));
  PutItem stale = PutOf(MakeMaterial("A2", "a"));
  stale.if_version = v1.header().version() + 1;
  EXPECT_THAT(cat().local().Put(stale, "admin"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("if_version")));
  PutItem create = PutOf(MakeMaterial("A3", "a"));
  create.create_only = true;
  EXPECT_THAT(cat().local().Put(create, "admin"), StatusIs(absl::StatusCode::kAlreadyExists));
  PutItem bad = PutOf(MakeMaterial("A4", "a"));
  bad.material.set_kind("guidebook");
  EXPECT_THAT(cat().local().Put(bad, "admin"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("kind")));
  ASSERT_OK_AND_ASSIGN(auto got, cat().Get("alpha/a"));
  EXPECT_EQ(got.material().title(), "A");  // nothing changed
}

TEST_F(CatalogTest, PutManyStoresTheGoodAndReportsTheBad) {
  std::vector<PutItem> items;
  items.push_back(PutOf(MakeMaterial("Uno", "uno")));
  v1::Material bad = MakeMaterial("Dos", "dos");
  bad.clear_sectors();
  items.push_back(PutOf(bad));
  items.push_back(PutOf(MakeMaterial("Tres", "tres")));
  ASSERT_OK_AND_ASSIGN(auto results, cat().local().PutMany(items, "import"));
  ASSERT_EQ(results.size(), 3u);
  EXPECT_OK(results[0].status);
  EXPECT_THAT(results[1].status,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sectors")));
  EXPECT_EQ(results[2].id, "alpha/tres");
  EXPECT_OK(cat().Get("alpha/uno"));
  EXPECT_THAT(cat().Get("alpha/dos"), StatusIs(absl::StatusCode::kNotFound));
}

// A PutMany whose sync the store holds back: it has written (unsynced)
// when Started() is true, and Finish() lets the sync through. Syncs are
// released and the thread joined on the way out, even when an assertion
// returns early.
class HeldPutMany {
 public:
  HeldPutMany(Catalog& cat, FaultKv& kv, std::vector<std::string> titles) : kv_(kv) {
    const int writes = kv.writes();
    kv.HoldSyncs(true);
    thread_ = std::thread([this, &cat, titles = std::move(titles)] {
      std::vector<PutItem> items;
      for (const std::string& t : titles) items.push_back(PutOf(MakeMaterial(t, t)));
      results_ = cat.local().PutMany(items, "import");
    });
    for (absl::Time deadline = absl::Now() + absl::Seconds(60);
         kv.writes() == writes && absl::Now() < deadline;) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    started_ = kv.writes() == writes + 1;
  }
  ~HeldPutMany() { Finish(); }
  bool Started() const { return started_; }
  const absl::StatusOr<std::vector<PutOutcome>>& Finish() {
    kv_.HoldSyncs(false);
    if (thread_.joinable()) thread_.join();
    return results_;
  }

 private:
  FaultKv& kv_;
  std::thread thread_;
  bool started_ = false;
  absl::StatusOr<std::vector<PutOutcome>> results_;
};

// A PutMany is synced after the write lock is released; until the sync,
// partners and the index do not see it, and the caller has no answer.
TEST_F(CatalogTest, PutManyIsServedOnlyOnceSynced) {
  const uint64_t head = cat().head_lseq();
  HeldPutMany put_many(cat(), *fed_.node(0).fault, {"uno", "dos"});
  ASSERT_TRUE(put_many.Started());
  // Written, seen by this node's own reads, not yet published.
  EXPECT_OK(cat().Get("alpha/uno"));
  EXPECT_EQ(cat().head_lseq(), head);
  ASSERT_OK_AND_ASSIGN(std::vector<FeedChange> feed, cat().feed().ReadFeed(head, 100));
  EXPECT_TRUE(feed.empty());
  PullQuery query;
  query.requester = "beta";
  query.feed_id = cat().feed_id();
  query.after_lseq = head;
  ASSERT_OK_AND_ASSIGN(v1::PullBatch batch, cat().feed().ReadBatch(query));
  EXPECT_EQ(batch.revisions_size(), 0);
  EXPECT_EQ(batch.to_lseq(), head);

  const auto& results = put_many.Finish();
  ASSERT_OK(results.status());
  for (const PutOutcome& r : *results) EXPECT_OK(r.status);
  EXPECT_EQ(cat().head_lseq(), head + 2);
  ASSERT_OK_AND_ASSIGN(batch, cat().feed().ReadBatch(query));
  EXPECT_EQ(batch.revisions_size(), 2);
}

// The write lock is free while a PutMany waits for its sync. A writer that
// commits with its own sync meanwhile covers the unsynced change before it
// (the log is synced in order) and publishes past it; the head never goes
// back when the first one publishes after.
TEST_F(CatalogTest, ASyncedWriteMeanwhileCoversTheUnsyncedOneAndTheHeadNeverGoesBack) {
  const uint64_t head = cat().head_lseq();
  HeldPutMany put_many(cat(), *fed_.node(0).fault, {"uno"});
  ASSERT_TRUE(put_many.Started());
  // A single Put (a synced write) goes through at once.
  ASSERT_OK(cat().local().Put(PutOf(MakeMaterial("Tres", "tres")), "admin").status());
  EXPECT_EQ(cat().head_lseq(), head + 2);
  EXPECT_OK(put_many.Finish().status());
  EXPECT_EQ(cat().head_lseq(), head + 2);
  ASSERT_OK_AND_ASSIGN(std::vector<FeedChange> feed, cat().feed().ReadFeed(head, 100));
  ASSERT_EQ(feed.size(), 2u);
  EXPECT_EQ(feed[0].id, "alpha/uno");
  EXPECT_EQ(feed[1].id, "alpha/tres");
}

// The request limits take their bound and refuse one more, naming the field.
TEST_F(CatalogTest, PutManyAndPageSizeTakeTheirBoundAndNoMore) {
  std::vector<PutItem> many;
  for (size_t i = 0; i < kMaxPutManyItems; ++i) {
    many.push_back(PutOf(MakeMaterial("Ficha", absl::StrCat("f", i))));
  }
  std::vector<PutItem> one_more = many;
  one_more.push_back(PutOf(MakeMaterial("Ficha", "extra")));
  EXPECT_THAT(
      cat().local().PutMany(one_more, "admin"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("items: 501 items, at most 500")));
  EXPECT_EQ(cat().head_lseq(), 0u);
  ASSERT_OK_AND_ASSIGN(std::vector<PutOutcome> results, cat().local().PutMany(many, "admin"));
  EXPECT_EQ(results.size(), kMaxPutManyItems);
  for (const PutOutcome& r : results) EXPECT_OK(r.status);

  ListQuery page;
  page.page_size = kMaxPageSize;
  ASSERT_OK_AND_ASSIGN(ListPage listed, cat().List(page));
  EXPECT_EQ(listed.materials.size(), kMaxPutManyItems);
  page.page_size = kMaxPageSize + 1;
  EXPECT_THAT(cat().List(page),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_size: 1001")));
}

TEST_F(CatalogTest, AFailedWriteLeavesNothingBehind) {
  ASSERT_OK(cat().local().Put(PutOf(MakeMaterial("Kept", "kept")), "admin").status());
  const size_t feed = fed_.node(0).kv->Count(Cf::kFeed);
  const size_t audit = fed_.node(0).kv->Count(Cf::kAudit);
  const uint64_t head = cat().head_lseq();
  fed_.node(0).fault->FailWriteAfter(1);
  EXPECT_THAT(cat().local().Put(PutOf(MakeMaterial("Lost", "lost")), "admin"),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(cat().Get("alpha/lost"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(fed_.node(0).kv->Count(Cf::kFeed), feed);
  EXPECT_EQ(fed_.node(0).kv->Count(Cf::kAudit), audit);
  EXPECT_EQ(cat().head_lseq(), head);
  // The next write works and continues the sequence without a gap.
  ASSERT_OK_AND_ASSIGN(auto next, cat().local().Put(PutOf(MakeMaterial("Next", "next")), "admin"));
  EXPECT_EQ(next.lseq(), head + 1);
}

TEST_F(CatalogTest, DeleteLeavesASignedTombstoneAndPurges) {
  ASSERT_OK_AND_ASSIGN(auto put, cat().local().Put(PutOf(MakeMaterial("Borrar", "b")), "admin"));
  ASSERT_OK_AND_ASSIGN(auto del, cat().local().Delete("alpha/b", 0, "admin"));
  EXPECT_TRUE(del.header().deleted());
  EXPECT_FALSE(del.has_body());
  EXPECT_GT(del.header().version(), put.header().version());
  ASSERT_OK_AND_ASSIGN(auto got, cat().Get("alpha/b"));
  EXPECT_FALSE(got.has_body());
  EXPECT_TRUE(got.header().deleted());
  EXPECT_THAT(cat().local().Delete("beta/x", 0, "admin"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(cat().local().Delete("alpha/none", 0, "admin"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(CatalogTest, ListPaginatesByIdAndSequence) {
  for (int i = 0; i < 25; ++i) {
    ASSERT_OK(
        cat().local().Put(PutOf(MakeMaterial("M", absl::StrCat("m", 100 + i))), "a").status());
  }
  ASSERT_OK(cat().local().Delete("alpha/m105", 0, "admin").status());
  for (bool by_sequence : {false, true}) {
    ListQuery req;
    req.by_sequence = by_sequence;
    req.page_size = 7;
    std::set<std::string> seen;
    int pages = 0;
    do {
      ASSERT_OK_AND_ASSIGN(ListPage page, cat().List(req));
      for (const auto& m : page.materials) EXPECT_TRUE(seen.insert(m.id()).second);
      req.page_token = page.next_page_token;
      ++pages;
    } while (!req.page_token.empty());
    EXPECT_EQ(seen.size(), 24u) << "by sequence " << by_sequence;
    EXPECT_FALSE(seen.count("alpha/m105"));
    EXPECT_GE(pages, 4);
  }
  ListQuery bad;
  bad.page_token = "garbage";
  EXPECT_THAT(cat().List(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
  ListQuery by_origin;
  by_origin.origin = "beta";
  ASSERT_OK_AND_ASSIGN(ListPage none, cat().List(by_origin));
  EXPECT_TRUE(none.materials.empty());
}

TEST_F(CatalogTest, ReopenKeepsEverythingAndVersionsKeepRising) {
  ASSERT_OK_AND_ASSIGN(auto put, cat().local().Put(PutOf(MakeMaterial("A", "a")), "admin"));
  const std::string feed = cat().feed_id();
  fed_.clock().Advance(-1'000'000'000);  // the wall clock steps back
  ASSERT_OK(fed_.Reopen(0));
  EXPECT_EQ(cat().feed_id(), feed);
  EXPECT_EQ(cat().head_lseq(), put.lseq());
  ASSERT_OK_AND_ASSIGN(auto again, cat().local().Put(PutOf(MakeMaterial("A2", "a")), "admin"));
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
  ASSERT_OK_AND_ASSIGN(auto first, cat().local().Put(PutOf(MakeMaterial("Same", "same")), "admin"));
  const uint64_t head = cat().head_lseq();
  ASSERT_OK_AND_ASSIGN(auto again, cat().local().Put(PutOf(MakeMaterial("Same", "same")), "admin"));
  EXPECT_EQ(again.header().version(), first.header().version());
  EXPECT_EQ(cat().head_lseq(), head);
  // A different audience is a change.
  PutItem narrowed = PutOf(MakeMaterial("Same", "same"));
  narrowed.mutable_audience()->set_scope(v1::Audience::PRIVATE);
  ASSERT_OK_AND_ASSIGN(auto changed, cat().local().Put(narrowed, "admin"));
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
  PutItem r = PutOf(MakeMaterial("Protocolo interno de casos"));
  r.mutable_audience()->set_scope(v1::Audience::PRIVATE);
  ASSERT_OK_AND_ASSIGN(auto view, cat().local().Put(r, "admin"));
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
  PutItem put = PutOf(MakeMaterial("Protocolo interno", "interno"));
  put.mutable_audience()->set_scope(v1::Audience::PRIVATE);
  ASSERT_OK(cat().local().Put(put, "t").status());
  // The same material again, as `minga put FILE` or a re-import sends it.
  ASSERT_OK_AND_ASSIGN(v1::MaterialView again,
                       cat().local().Put(PutOf(MakeMaterial("Protocolo interno", "interno")), "t"));
  EXPECT_EQ(again.header().audience().scope(), v1::Audience::PRIVATE);
  std::vector<PutItem> items = {PutOf(MakeMaterial("Protocolo interno v2", "interno"))};
  ASSERT_OK_AND_ASSIGN(auto results, cat().local().PutMany(items, "t"));
  ASSERT_OK(results[0].status);
  ASSERT_OK_AND_ASSIGN(v1::MaterialView imported, cat().Get("alpha/interno"));
  EXPECT_EQ(imported.header().audience().scope(), v1::Audience::PRIVATE);
  EXPECT_EQ(imported.material().title(), "Protocolo interno v2");
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_OK_AND_ASSIGN(v1::MaterialView at_beta, fed_.catalog(1).Get("alpha/interno"));
  EXPECT_FALSE(at_beta.has_body()) << "the private body reached beta";
  // A scope left unspecified is no audience either.
  PutItem unspecified = PutOf(MakeMaterial("Protocolo interno v3", "interno"));
  unspecified.mutable_audience();
  ASSERT_OK_AND_ASSIGN(v1::MaterialView kept, cat().local().Put(unspecified, "t"));
  EXPECT_EQ(kept.header().audience().scope(), v1::Audience::PRIVATE);
  // Widening is an explicit act.
  PutItem widen = PutOf(MakeMaterial("Protocolo interno v3", "interno"));
  widen.mutable_audience()->set_scope(v1::Audience::PUBLIC);
  ASSERT_OK_AND_ASSIGN(v1::MaterialView wide, cat().local().Put(widen, "t"));
  EXPECT_EQ(wide.header().audience().scope(), v1::Audience::PUBLIC);
  // A new material without an audience is public.
  ASSERT_OK_AND_ASSIGN(v1::MaterialView fresh,
                       cat().local().Put(PutOf(MakeMaterial("Nueva", "nueva")), "t"));
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
    ASSERT_OK(fed_.catalog(1).pulls().ApplyBatch("alpha", batch).status());
  }
  for (bool hashes : {false, true}) {
    ListQuery req;
    req.page_size = 100;
    req.include_chunk_hashes = hashes;
    size_t seen = 0;
    int pages = 0;
    do {
      ASSERT_OK_AND_ASSIGN(ListPage list, fed_.catalog(1).List(req));
      size_t bytes = 0;
      for (const v1::MaterialView& v : list.materials) bytes += v.ByteSizeLong();
      EXPECT_LE(bytes, static_cast<size_t>(kMaxMessageBytes));
      EXPECT_FALSE(list.materials.empty());
      for (const v1::MaterialView& v : list.materials) {
        ASSERT_EQ(v.material().files_size(), 1);
        EXPECT_EQ(v.material().files(0).size(), kMaxFileSize);
        EXPECT_EQ(v.material().files(0).chunk_sha256_size(), hashes ? 16384 : 0);
      }
      seen += list.materials.size();
      ++pages;
      req.page_token = list.next_page_token;
    } while (!req.page_token.empty() && pages < 100);
    EXPECT_EQ(seen, 32u);
    EXPECT_EQ(pages, hashes ? 5 : 1);  // about 0.56 MiB a material with its hashes
  }
}

// Security review #13: the audit records local changes, not every revision
// a peer sends (that is in each entry's provenance), so a member's churn
// does not grow every node's store for ever.
TEST_F(CatalogTest, PulledRevisionsAddNoAuditRecords) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(cat().local().Put(PutOf(MakeMaterial("M", absl::StrCat("m", i))), "admin").status());
  }
  EXPECT_EQ(fed_.node(0).kv->Count(Cf::kAudit), 5u);
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_OK_AND_ASSIGN(v1::MaterialView got, fed_.catalog(1).Get("alpha/m3"));
  EXPECT_EQ(got.provenance().from_peer(), "alpha");
  EXPECT_EQ(fed_.node(1).kv->Count(Cf::kAudit), 0u);
}

}  // namespace
}  // namespace minga
