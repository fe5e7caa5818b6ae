// Chunk references, purging on retraction, garbage collection, access.
#include <algorithm>
#include <cstring>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/catalog/catalog.h"
#include "node/catalog/chunk_refs.h"
#include "node/core/chunker.h"
#include "node/core/revision.h"
#include "node/store/keys.h"
#include "tests/util/status_matchers.h"
#include "tests/util/test_federation.h"
#include "tests/util/test_materials.h"

namespace minga {
namespace {

using ::minga::testing::StatusIs;
using ::minga::testing::TestFederation;
using ::testing::HasSubstr;

// Bytes without repeating chunks (repeats would be stored once).
std::string Data(size_t n, char seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// The chunks `data` is split into, in order.
std::vector<std::string> ChunksOf(const std::string& data) {
  std::vector<std::string> out;
  for (const ChunkSpan& c : ChunkSpans(ChunkBytes(data)))
    out.push_back(data.substr(c.offset, c.length));
  return out;
}

class FilesTest : public ::testing::Test {
 protected:
  size_t ChunkFiles(int i) {
    size_t n = 0;
    EXPECT_TRUE(fed_.node(i).chunks->ForEach([&](const std::string&) { ++n; }).ok());
    return n;
  }
  Catalog& cat(int i = 0) { return fed_.catalog(i); }
  size_t StoredChunks(int i = 0) {
    size_t n = 0;
    auto it = fed_.node(i).kv->NewIterator(Cf::kChunkRefs);
    for (it->Seek(kPresentPrefix); it->Valid() && absl::StartsWith(it->key(), kPresentPrefix);
         it->Next()) {
      ++n;
    }
    EXPECT_EQ(n, ChunkFiles(i));
    return n;
  }
  std::string Put(const std::string& local, v1::Audience::Scope scope = v1::Audience::PUBLIC,
                  std::vector<std::string> members = {}) {
    PutItem r;
    r.material = testing::MakeMaterial("Con archivos", local);
    r.mutable_audience()->set_scope(scope);
    for (auto& m : members) r.mutable_audience()->add_members(m);
    auto v = cat().local().Put(r, "t");
    EXPECT_TRUE(v.ok()) << v.status();
    return v->id();
  }
  // Stores the chunks and attaches the file, as an upload does.
  absl::StatusOr<v1::MaterialView> Attach(const std::string& id, const std::string& name,
                                          const std::string& data) {
    Chunker chunker([&](const Sha256Digest& d, absl::string_view c) {
      return cat().files().StoreChunk(DigestToBytes(d), c, false);
    });
    if (auto s = chunker.Add(data); !s.ok()) return s;
    auto info = chunker.Finish();
    if (!info.ok()) return info.status();
    info->set_name(name);
    info->set_media_type("application/pdf");
    return cat().local().AttachFile(id, *info, "t");
  }

  TestFederation fed_{std::vector<std::string>{"alpha", "beta", "gamma"}};
};

TEST_F(FilesTest, SameContentIsStoredOnce) {
  const std::string a = Put("a"), b = Put("b");
  const std::string data = Data(2 * kChunkSize + 10, 1);
  ASSERT_OK(Attach(a, "guia.pdf", data).status());
  ASSERT_OK(Attach(b, "copia.pdf", data).status());
  EXPECT_GE(ChunksOf(data).size(), 3u);
  EXPECT_EQ(StoredChunks(), ChunksOf(data).size());
  ASSERT_OK_AND_ASSIGN(auto files, cat().files().ListFiles(b));
  ASSERT_EQ(files.size(), 1u);
  EXPECT_TRUE(files[0].complete);
  EXPECT_EQ(files[0].bytes_present, data.size());
}

TEST_F(FilesTest, RetractionPurgesChunksNoHeldMaterialLists) {
  const std::string a = Put("a"), b = Put("b");
  const std::string shared = Data(kChunkSize, 2), own = Data(100, 3);
  ASSERT_OK(Attach(a, "shared.pdf", shared).status());
  ASSERT_OK(Attach(a, "own.pdf", own).status());
  ASSERT_OK(Attach(b, "shared.pdf", shared).status());
  const size_t shared_chunks = ChunksOf(shared).size();
  EXPECT_EQ(StoredChunks(), shared_chunks + 1);
  ASSERT_OK(cat().local().Delete(a, 0, "t").status());
  EXPECT_EQ(StoredChunks(), shared_chunks);  // b still lists the shared chunks
  ASSERT_OK(cat().local().Delete(b, 0, "t").status());
  EXPECT_EQ(StoredChunks(), 0u);
}

TEST_F(FilesTest, ReplacingAFileKeepsOnlyTheNewContent) {
  const std::string a = Put("a");
  ASSERT_OK(Attach(a, "guia.pdf", Data(500, 4)).status());
  ASSERT_OK(Attach(a, "guia.pdf", Data(600, 5)).status());
  ASSERT_OK_AND_ASSIGN(auto view, cat().Get(a));
  ASSERT_EQ(view.material().files_size(), 1);
  EXPECT_EQ(view.material().files(0).size(), 600u);
  EXPECT_EQ(StoredChunks(), 1u);
}

TEST_F(FilesTest, GcRemovesUnlistedChunksButNotPinnedOnes) {
  const std::string a = Put("a");
  ASSERT_OK(Attach(a, "guia.pdf", Data(1000, 6)).status());
  // An upload that stopped after storing chunks (a crash) left these.
  const std::string orphan = Data(700, 7), pinned = Data(800, 8);
  ASSERT_OK(cat().files().StoreChunk(DigestToBytes(Sha256(orphan)), orphan, false));
  ASSERT_OK(cat().files().StoreChunk(DigestToBytes(Sha256(pinned)), pinned, false));
  cat().files().PinChunk(DigestToBytes(Sha256(pinned)));
  ASSERT_OK_AND_ASSIGN(GcStats gc, cat().files().Gc());
  EXPECT_EQ(gc.chunks_freed, 1u);
  EXPECT_EQ(gc.bytes_freed, 700u);
  EXPECT_EQ(gc.chunks_kept, 2u);
  ASSERT_OK_AND_ASSIGN(bool has_pinned, cat().files().HasChunk(DigestToBytes(Sha256(pinned))));
  EXPECT_TRUE(has_pinned);
  cat().files().UnpinChunk(DigestToBytes(Sha256(pinned)));
  ASSERT_OK(cat().files().DropUnlisted({DigestToBytes(Sha256(pinned))}));
  EXPECT_EQ(StoredChunks(), 1u);
}

// kill -9 during `minga attach`: the upload never ends, so only its marks
// say which chunks it stored. At the next open they go, unless a material
// lists them (the attach committed just before the kill).
TEST_F(FilesTest, AnUploadTheNodeStoppedInTheMiddleLeavesNothingAtTheNextOpen) {
  const std::string a = Put("a");
  const std::string cut = Data(700, 17), attached = Data(900, 18);
  ASSERT_OK(cat().files().StoreUploadedChunk(DigestToBytes(Sha256(cut)), cut));
  ASSERT_OK(cat().files().StoreUploadedChunk(DigestToBytes(Sha256(attached)), attached));
  v1::FileInfo file = ChunkBytes(attached);
  file.set_name("guia.pdf");
  file.set_media_type("application/pdf");
  ASSERT_OK(cat().local().AttachFile(a, file, "t").status());
  EXPECT_EQ(StoredChunks(), 2u);
  ASSERT_OK(fed_.Reopen(0));
  EXPECT_EQ(StoredChunks(), 1u);
  ASSERT_OK_AND_ASSIGN(bool has_cut, cat().files().HasChunk(DigestToBytes(Sha256(cut))));
  EXPECT_FALSE(has_cut);
  ASSERT_OK_AND_ASSIGN(bool has_attached, cat().files().HasChunk(DigestToBytes(Sha256(attached))));
  EXPECT_TRUE(has_attached);
  // The marks are gone too.
  auto it = fed_.node(0).kv->NewIterator(Cf::kChunkRefs);
  it->Seek(kUploadPrefix);
  EXPECT_FALSE(it->Valid() && absl::StartsWith(it->key(), kUploadPrefix));
}

// A peer's chunk that no held material lists is dropped, but not the bytes
// of an upload that holds the same chunk and has yet to record it.
TEST_F(FilesTest, AnUnwantedChunkLeavesTheBytesOfAnUploadHoldingIt) {
  const std::string data = Data(400, 40);
  const std::string sha = DigestToBytes(Sha256(data));
  cat().files().PinChunk(sha);
  ASSERT_OK(cat().files().StoreChunk(sha, data, /*only_if_wanted=*/true));
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> kept, fed_.node(0).chunks->Get(sha));
  EXPECT_TRUE(kept.has_value());
  ASSERT_OK_AND_ASSIGN(bool recorded, cat().files().HasChunk(sha));
  EXPECT_FALSE(recorded);
  cat().files().UnpinChunk(sha);
  // Unpinned, the same chunk from a peer goes.
  ASSERT_OK(cat().files().StoreChunk(sha, data, /*only_if_wanted=*/true));
  ASSERT_OK_AND_ASSIGN(kept, fed_.node(0).chunks->Get(sha));
  EXPECT_FALSE(kept.has_value());
}

TEST_F(FilesTest, WrongContentIsRefusedAndUnwantedChunksDropped) {
  const std::string data = Data(300, 9);
  EXPECT_THAT(cat().files().StoreChunk(DigestToBytes(Sha256("other")), data, false),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("does not match")));
  ASSERT_OK(cat().files().StoreChunk(DigestToBytes(Sha256(data)), data, /*only_if_wanted=*/true));
  EXPECT_EQ(StoredChunks(), 0u);
}

TEST_F(FilesTest, PeersWantChunksUntilTheyArriveAndAccessFollowsTheAudience) {
  const std::string a = Put("a", v1::Audience::MEMBERS, {"beta"});
  const std::string data = Data(kChunkSize + 5, 10);
  ASSERT_OK_AND_ASSIGN(auto view, Attach(a, "guia.pdf", data));
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_OK_AND_ASSIGN(auto wanted, cat(1).files().WantedChunksOf(a));
  const std::vector<std::string> chunks = ChunksOf(data);
  EXPECT_EQ(wanted.size(), chunks.size());
  const v1::FileInfo& file = view.material().files(0);
  // beta may read the chunks through the material; gamma may not, and a
  // hash not listed by the material is no permission either.
  ASSERT_OK_AND_ASSIGN(std::vector<bool> may,
                       cat().files().CheckChunkAccess("beta", a, {file.chunk_sha256(0)}));
  EXPECT_THAT(may, ::testing::ElementsAre(true));
  EXPECT_THAT(cat().files().CheckChunkAccess("gamma", a, {file.chunk_sha256(0)}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("outside the audience")));
  EXPECT_THAT(cat().files().CheckChunkAccess("beta", a, {DigestToBytes(Sha256("x"))}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("is not a chunk of")));
  for (size_t i = 0; i < chunks.size(); ++i) {
    ASSERT_OK(cat(1).files().StoreChunk(file.chunk_sha256(static_cast<int>(i)), chunks[i], true));
  }
  ASSERT_OK_AND_ASSIGN(auto after, cat(1).files().WantedChunksOf(a));
  EXPECT_TRUE(after.empty());
  ASSERT_OK_AND_ASSIGN(auto files, cat(1).files().ListFiles(a));
  EXPECT_TRUE(files[0].complete);
  // The audience narrows to alpha alone: beta purges the chunks.
  PutItem narrow;
  narrow.material = view.material();
  narrow.mutable_audience()->set_scope(v1::Audience::PRIVATE);
  ASSERT_OK(cat().local().Put(narrow, "t").status());
  ASSERT_OK(fed_.PullAll(1, 0));
  EXPECT_EQ(StoredChunks(1), 0u);
}

// Fetching threads store chunks at once: chunks that wait behind a commit
// share the next one (the same chunk twice among them too), each chunk is
// recorded once, every file ends complete, and the tally matches a recount.
TEST_F(FilesTest, ChunksStoredByManyThreadsAtOnceShareCommits) {
  std::vector<std::string> ids;
  std::map<std::string, std::string> chunks;  // sha -> bytes
  for (int i = 0; i < 4; ++i) {
    ids.push_back(Put(absl::StrCat("m", i)));
    // The last material lists the first one's file again.
    const std::string data = Data(3 * kChunkSize, static_cast<char>(i == 3 ? 20 : 20 + i));
    ASSERT_OK_AND_ASSIGN(auto view, Attach(ids.back(), "guia.pdf", data));
    const std::vector<std::string> bytes = ChunksOf(data);
    for (size_t c = 0; c < bytes.size(); ++c) {
      chunks[view.material().files(0).chunk_sha256(static_cast<int>(c))] = bytes[c];
    }
  }
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_EQ(cat(1).Counts().files_missing(), 4u);
  std::vector<std::string> shas;
  for (const auto& [sha, bytes] : chunks) shas.push_back(sha);
  ASSERT_GE(shas.size(), 12u);
  CatalogFiles& files = cat(1).files();
  FaultKv& kv = *fed_.node(1).fault;

  // Four chunks (one of them twice) wait while the store's writes are held.
  const std::vector<std::string> first = {shas[0], shas[1], shas[2], shas[2]};
  kv.HoldWrites(true);
  const int writes_before = kv.writes();
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back(
        [&, t] { results[t] = files.StoreChunk(first[t], chunks[first[t]], true); });
  }
  for (absl::Time deadline = absl::Now() + absl::Seconds(60);
       files.ChunksWaiting() < 4 && absl::Now() < deadline;) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  const size_t waiting = files.ChunksWaiting();
  kv.HoldWrites(false);
  for (std::thread& t : threads) t.join();
  threads.clear();
  ASSERT_EQ(waiting, 4u);
  for (const absl::Status& r : results) EXPECT_OK(r);
  // One commit for the chunk that was writing, one for those behind it.
  EXPECT_LE(kv.writes() - writes_before, 2);

  // The rest, a quarter per thread.
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::string> order;
      for (size_t i = 3; i < shas.size(); ++i) {
        if (i % 4 == static_cast<size_t>(t)) order.push_back(shas[i]);
      }
      std::shuffle(order.begin(), order.end(), std::mt19937(static_cast<uint32_t>(t)));
      for (const std::string& sha : order)
        results[t].Update(files.StoreChunk(sha, chunks[sha], true));
    });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& r : results) EXPECT_OK(r);
  EXPECT_EQ(StoredChunks(1), chunks.size());
  for (const std::string& id : ids) {
    ASSERT_OK_AND_ASSIGN(auto wanted, files.WantedChunksOf(id));
    EXPECT_TRUE(wanted.empty()) << id;
    ASSERT_OK_AND_ASSIGN(auto listed, files.ListFiles(id));
    EXPECT_TRUE(listed[0].complete) << id;
  }
  EXPECT_EQ(cat(1).Counts().files_complete(), 4u);
  EXPECT_EQ(cat(1).Counts().files_missing(), 0u);
  EXPECT_EQ(cat(1).Counts().chunks_missing(), 0u);
  EXPECT_EQ(cat(1).Counts().chunks_stored(), chunks.size());
  TestFederation::ExpectTallyMatchesStore(cat(1));
}

// gamma lists, in a public material of its own, the hashes of alpha's
// members-only file: that does not open alpha's content to gamma.
TEST_F(FilesTest, ListingSomeoneElsesHashesGrantsNothing) {
  const std::string secret = Put("secret", v1::Audience::MEMBERS, {"beta"});
  const std::string data = Data(5000, 11);
  ASSERT_OK_AND_ASSIGN(auto view, Attach(secret, "s.pdf", data));
  const v1::FileInfo& file = view.material().files(0);
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_OK(cat(1).files().StoreChunk(file.chunk_sha256(0), data, true));
  // A node of gamma's, modified, signs a public material listing the file.
  v1::Material lure = testing::MakeMaterial("Señuelo", "gamma/lure");
  *lure.add_files() = file;
  const v1::PullBatch batch = testing::SignedBatch(*fed_.node(2).key, "gamma-feed", lure);
  ASSERT_OK(cat(1).pulls().ApplyBatch("gamma", batch).status());
  ASSERT_OK_AND_ASSIGN(
      std::vector<bool> gamma_may,
      cat(1).files().CheckChunkAccess("gamma", "gamma/lure", {file.chunk_sha256(0)}));
  EXPECT_THAT(gamma_may, ::testing::ElementsAre(false));
  // The origin listing its own file in a public material is its own call.
  const std::string open = Put("open");
  ASSERT_OK(Attach(open, "s.pdf", data).status());
  ASSERT_OK_AND_ASSIGN(std::vector<bool> via_own,
                       cat().files().CheckChunkAccess("gamma", open, {file.chunk_sha256(0)}));
  EXPECT_THAT(via_own, ::testing::ElementsAre(true));
}

TEST_F(FilesTest, PutCannotListFilesThatWereNeverAttached) {
  PutItem r;
  r.material = testing::MakeMaterial("x", "x");
  *r.material.add_files() = ChunkBytes("hello");
  r.material.mutable_files(0)->set_name("h.txt");
  EXPECT_THAT(cat().local().Put(r, "t"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("minga attach")));
}

}  // namespace
}  // namespace minga

namespace minga {
namespace {

// Security review #5: a newer revision that reaches a member of the
// audience header-only (through a relay outside it) keeps the chunks it
// holds, so the body that follows by another path fetches nothing again;
// a retraction still purges them.
TEST_F(FilesTest, AHeaderOnlyNewerRevisionKeepsTheFilesOfAMemberOfTheAudience) {
  const std::string a = Put("a", v1::Audience::MEMBERS, {"beta"});
  const std::string data = Data(2 * kChunkSize + 5, 12);
  ASSERT_OK_AND_ASSIGN(auto view, Attach(a, "guia.pdf", data));
  const v1::FileInfo& file = view.material().files(0);
  ASSERT_OK(fed_.PullAll(1, 0));
  const std::vector<std::string> chunks = ChunksOf(data);
  for (size_t i = 0; i < chunks.size(); ++i) {
    ASSERT_OK(cat(1).files().StoreChunk(file.chunk_sha256(static_cast<int>(i)), chunks[i], true));
  }
  EXPECT_EQ(StoredChunks(1), chunks.size());
  // alpha edits the title; gamma (outside the audience) relays the header.
  PutItem edit;
  edit.material = view.material();
  edit.material.set_title("Con archivos, segunda edición");
  ASSERT_OK(cat().local().Put(edit, "t").status());
  ASSERT_OK(fed_.PullAll(2, 0));
  ASSERT_OK(fed_.PullAll(1, 2));
  ASSERT_OK_AND_ASSIGN(v1::MaterialView header_only, cat(1).Get(a));
  EXPECT_FALSE(header_only.has_body());
  EXPECT_EQ(StoredChunks(1), chunks.size())
      << "the chunks of a member of the audience were dropped";
  ASSERT_OK_AND_ASSIGN(auto wanted_meanwhile, cat(1).files().WantedChunksOf(a));
  EXPECT_TRUE(wanted_meanwhile.empty());
  // The body comes from alpha: nothing to fetch again.
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_OK_AND_ASSIGN(v1::MaterialView full, cat(1).Get(a));
  EXPECT_TRUE(full.has_body());
  ASSERT_OK_AND_ASSIGN(auto wanted, cat(1).files().WantedChunksOf(a));
  EXPECT_TRUE(wanted.empty()) << wanted.size() << " chunks fetched again";
  ASSERT_OK_AND_ASSIGN(auto files, cat(1).files().ListFiles(a));
  EXPECT_TRUE(files[0].complete);
  // A retraction arriving header-only (it always is) purges them.
  ASSERT_OK(cat().local().Delete(a, 0, "t").status());
  ASSERT_OK(fed_.PullAll(2, 0));
  ASSERT_OK(fed_.PullAll(1, 2));
  EXPECT_EQ(StoredChunks(1), 0u);
}

// What a header-only entry keeps goes when the body never comes and an
// administrator collects garbage.
TEST_F(FilesTest, GcDropsWhatHeaderOnlyEntriesKept) {
  const std::string a = Put("a", v1::Audience::MEMBERS, {"beta"});
  const std::string data = Data(1000, 13);
  ASSERT_OK_AND_ASSIGN(auto view, Attach(a, "guia.pdf", data));
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_OK(cat(1).files().StoreChunk(view.material().files(0).chunk_sha256(0), data, true));
  PutItem edit;
  edit.material = view.material();
  edit.material.set_title("Otra");
  ASSERT_OK(cat().local().Put(edit, "t").status());
  ASSERT_OK(fed_.PullAll(2, 0));
  ASSERT_OK(fed_.PullAll(1, 2));
  EXPECT_EQ(StoredChunks(1), 1u);
  ASSERT_OK_AND_ASSIGN(GcStats gc, cat(1).files().Gc());
  EXPECT_EQ(gc.chunks_freed, 1u);
  EXPECT_EQ(StoredChunks(1), 0u);
}

// A peer's subscription narrowed to health: beta keeps the signed header of
// alpha's justice material, without its body or file.
TEST_F(FilesTest, NarrowingASubscriptionDropsTheBodiesAndFilesItNoLongerSelects) {
  const std::string health = Put("salud");
  PutItem item;
  item.material = testing::MakeMaterial("Protocolo judicial", "justicia");
  item.material.clear_sectors();
  item.material.add_sectors("justice");
  item.mutable_audience()->set_scope(v1::Audience::PUBLIC);
  ASSERT_OK_AND_ASSIGN(v1::MaterialView justice, cat().local().Put(item, "t"));
  const std::string data = Data(1000, 14);
  ASSERT_OK_AND_ASSIGN(auto view, Attach(justice.id(), "protocolo.pdf", data));
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_OK(cat(1).files().StoreChunk(view.material().files(0).chunk_sha256(0), data, true));
  PutItem own;
  own.material = testing::MakeMaterial("Propia", "propia");
  own.material.clear_sectors();
  own.material.add_sectors("police");
  ASSERT_OK(cat(1).local().Put(own, "t").status());
  EXPECT_EQ(StoredChunks(1), 1u);

  v1::Subscription only_health;
  only_health.add_sectors("health");
  v1::Subscription only_gamma;
  only_gamma.add_origins("gamma");
  ASSERT_OK_AND_ASSIGN(size_t dropped, cat(1).pulls().DropUnsubscribed({only_health, only_gamma}));
  EXPECT_EQ(dropped, 1u);  // beta's own material stays whatever it is
  ASSERT_OK_AND_ASSIGN(v1::MaterialView kept, cat(1).Get(health));
  EXPECT_TRUE(kept.has_body());
  ASSERT_OK_AND_ASSIGN(v1::MaterialView header_only, cat(1).Get(justice.id()));
  EXPECT_FALSE(header_only.has_body());
  EXPECT_FALSE(header_only.header().deleted());
  EXPECT_EQ(StoredChunks(1), 0u);
  EXPECT_EQ(cat(1).Counts().origins().at("alpha").headers_only(), 1u);
  // Pulled again under the narrow subscription, it stays as it is.
  v1::Subscription sub = only_health;
  ASSERT_OK(fed_.PullOnce(1, 0, 100, sub).status());
  ASSERT_OK_AND_ASSIGN(size_t again, cat(1).pulls().DropUnsubscribed({only_health}));
  EXPECT_EQ(again, 0u);
  // No peers at all: nothing to narrow by, nothing dropped.
  ASSERT_OK_AND_ASSIGN(size_t none, cat(1).pulls().DropUnsubscribed({}));
  EXPECT_EQ(none, 0u);
  ASSERT_OK_AND_ASSIGN(v1::MaterialView still, cat(1).Get(health));
  EXPECT_TRUE(still.has_body());
}

// Security review #2: one GetChunks call decodes its material once, not
// once per hash, however many hashes it asks for.
TEST_F(FilesTest, AccessChecksDecodeTheMaterialOncePerCall) {
  v1::Material m = testing::MakeMaterial("Grande", "alpha/phantom");
  v1::FileInfo* f = m.add_files();
  f->set_name("v.mp4");
  f->set_media_type("video/mp4");
  f->set_size(kMaxFileSize);
  f->set_sha256(std::string(32, 'x'));
  for (uint64_t i = 0; i < kMaxFileSize / kChunkSize; ++i) {
    std::string h(32, '\0');
    std::memcpy(h.data(), &i, sizeof(i));
    f->add_chunk_sha256(h);
  }
  ASSERT_OK(cat(1)
                .pulls()
                .ApplyBatch("alpha", testing::SignedBatch(*fed_.node(0).key, "feed", m))
                .status());
  std::vector<std::string> asked;
  for (int i = 0; i < 64; ++i) asked.push_back(f->chunk_sha256(16383 - i % 32));
  const int reads = fed_.node(1).fault->material_reads();
  ASSERT_OK_AND_ASSIGN(std::vector<bool> may,
                       cat(1).files().CheckChunkAccess("gamma", "alpha/phantom", asked));
  EXPECT_EQ(may, std::vector<bool>(64, true));
  EXPECT_EQ(fed_.node(1).fault->material_reads() - reads, 1);
}

}  // namespace
}  // namespace minga
