// The file fetcher against fake peer links: whom it asks, what it refuses,
// and how often it asks again for chunks nobody has.
#include "node/sync/file_fetcher.h"

#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/core/chunker.h"
#include "node/core/revision.h"
#include "tests/util/status_matchers.h"
#include "tests/util/test_federation.h"
#include "tests/util/test_materials.h"

namespace minga {
namespace {

using ::minga::testing::TestFederation;

std::string Data(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// A peer that records every GetChunks request and serves what `chunks`
// holds (the rest as missing), or fails every call with `failure`.
class FakeLink : public PeerLink {
 public:
  explicit FakeLink(absl::Status failure = absl::OkStatus()) : failure_(failure) {}
  absl::StatusOr<v1::HelloResponse> Hello(const v1::HelloRequest&, absl::Duration) override {
    return absl::UnavailableError("not used");
  }
  std::unique_ptr<PullStream> Pull(const v1::PullRequest&, absl::Duration) override {
    return nullptr;
  }
  absl::Status GetChunks(const v1::GetChunksRequest& request, absl::Duration,
                         const std::function<bool(const v1::ChunkData&)>& on_chunk) override {
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(request);
    }
    if (!failure_.ok()) return failure_;
    for (const std::string& sha : request.sha256()) {
      v1::ChunkData chunk;
      chunk.set_sha256(sha);
      auto it = chunks_.find(sha);
      if (it == chunks_.end()) {
        chunk.set_missing(true);
      } else {
        chunk.set_data(it->second);
      }
      if (!on_chunk(chunk)) return absl::CancelledError("stopped");
    }
    return absl::OkStatus();
  }
  void CancelChunkCalls() override {}

  void Serve(const std::string& data) { chunks_[DigestToBytes(Sha256(data))] = data; }
  std::vector<v1::GetChunksRequest> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  const absl::Status failure_;
  std::map<std::string, std::string> chunks_;
  absl::Mutex mu_;
  std::vector<v1::GetChunksRequest> requests_ ABSL_GUARDED_BY(mu_);
};

class FileFetcherTest : public ::testing::Test {
 protected:
  // alpha's material with one file of `data`, pulled by beta (header and
  // body); the chunks are wanted at beta.
  v1::MaterialView Share(const std::string& data, v1::Audience audience) {
    PutItem put;
    put.material = testing::MakeMaterial("Con archivo", "doc");
    *put.mutable_audience() = audience;
    auto view = fed_.catalog(0).local().Put(put, "t");
    EXPECT_TRUE(view.ok()) << view.status();
    Chunker chunker([&](const Sha256Digest& d, absl::string_view c) {
      return fed_.catalog(0).files().StoreChunk(DigestToBytes(d), c, false);
    });
    EXPECT_TRUE(chunker.Add(data).ok());
    absl::StatusOr<v1::FileInfo> file = chunker.Finish();
    EXPECT_TRUE(file.ok());
    file->set_name("f.bin");
    auto attached = fed_.catalog(0).local().AttachFile(view->id(), *file, "t");
    EXPECT_TRUE(attached.ok()) << attached.status();
    EXPECT_TRUE(fed_.PullAll(1, 0).ok());
    return *attached;
  }

  TestFederation fed_{std::vector<std::string>{"alpha", "beta", "gamma"}};
};

// Security review #4: a members-only material's id and chunk hashes go
// only to peers in its audience, even when the one that has them is down.
TEST_F(FileFetcherTest, AsksOnlyPeersInTheAudience) {
  v1::Audience audience;
  audience.set_scope(v1::Audience::MEMBERS);
  audience.add_members("alpha");
  audience.add_members("beta");
  const v1::MaterialView view = Share(Data(2 * kChunkSize, 9), audience);
  auto alpha = std::make_shared<FakeLink>(absl::UnavailableError("alpha is down"));
  auto gamma = std::make_shared<FakeLink>();
  FileFetcher fetcher(
      &fed_.catalog(1),
      {{"alpha", alpha, v1::Subscription::EAGER}, {"gamma", gamma, v1::Subscription::EAGER}},
      FetcherOptions());
  EXPECT_FALSE(fetcher.FetchNow(view.id(), {}, absl::Seconds(1), [] { return false; }).ok());
  EXPECT_FALSE(alpha->requests().empty());
  EXPECT_TRUE(gamma->requests().empty()) << "gamma, outside the audience, learnt the chunk hashes";
  // A public material may be asked of anyone.
  v1::Audience everyone;
  everyone.set_scope(v1::Audience::PUBLIC);
  PutItem put;
  put.material = testing::MakeMaterial("Abierto", "abierto");
  *put.mutable_audience() = everyone;
  ASSERT_OK(fed_.catalog(0).local().Put(put, "t").status());
  const std::string open = Data(1000, 10);
  Chunker chunker([&](const Sha256Digest& d, absl::string_view c) {
    return fed_.catalog(0).files().StoreChunk(DigestToBytes(d), c, false);
  });
  ASSERT_OK(chunker.Add(open));
  ASSERT_OK_AND_ASSIGN(v1::FileInfo file, chunker.Finish());
  file.set_name("a.bin");
  ASSERT_OK(fed_.catalog(0).local().AttachFile("alpha/abierto", file, "t").status());
  ASSERT_OK(fed_.PullAll(1, 0));
  gamma->Serve(open);
  ASSERT_OK(fetcher.FetchNow("alpha/abierto", {}, absl::Seconds(5), [] { return false; }));
  EXPECT_FALSE(gamma->requests().empty());
}

// Security review #6: a chunk is checked against the length its file
// listing implies, not only its hash; a listing that lies is never stored.
TEST_F(FileFetcherTest, AChunkWhoseLengthBelieTheListingIsRefused) {
  // alpha (or anyone holding its key) lists two 1,000-byte chunks as a
  // 2 MiB file: the chunk count is what 2 MiB needs, so the body is valid.
  const std::string first = Data(1000, 1), second = Data(1000, 2);
  v1::Material m = testing::MakeMaterial("Miente", "alpha/miente");
  v1::FileInfo* f = m.add_files();
  f->set_name("f.bin");
  f->set_media_type("application/octet-stream");
  f->set_size(2 * kChunkSize);
  f->set_sha256(DigestToBytes(Sha256(first + second)));
  f->add_chunk_sha256(DigestToBytes(Sha256(first)));
  f->add_chunk_sha256(DigestToBytes(Sha256(second)));
  ASSERT_OK(fed_.catalog(1)
                .pulls()
                .ApplyBatch("alpha", testing::SignedBatch(*fed_.node(0).key, "feed", m))
                .status());
  auto alpha = std::make_shared<FakeLink>();
  alpha->Serve(first);
  alpha->Serve(second);
  FileFetcher fetcher(&fed_.catalog(1), {{"alpha", alpha, v1::Subscription::EAGER}},
                      FetcherOptions());
  EXPECT_EQ(fetcher.RoundForTest(), 0u);
  ASSERT_OK_AND_ASSIGN(bool has, fed_.catalog(1).files().HasChunk(f->chunk_sha256(0)));
  EXPECT_FALSE(has);
  v1::PeerStatus status;
  status.set_org_id("alpha");
  fetcher.AddStats(&status);
  EXPECT_EQ(status.chunks_refused(), 2u);
  EXPECT_THAT(status.last_transfer_error(), ::testing::HasSubstr("its file listing implies"));
}

// Security review #6: chunks no peer holds (a "phantom" listing) are not
// asked for again in every round.
TEST_F(FileFetcherTest, ChunksNobodyHasAreAskedForLessAndLessOften) {
  v1::Audience everyone;
  everyone.set_scope(v1::Audience::PUBLIC);
  Share(Data(3 * kChunkSize, 3), everyone);
  auto alpha = std::make_shared<FakeLink>();  // answers every chunk as missing
  FileFetcher fetcher(&fed_.catalog(1), {{"alpha", alpha, v1::Subscription::EAGER}},
                      FetcherOptions());
  EXPECT_EQ(fetcher.RoundForTest(), 0u);
  const size_t asked = alpha->requests().size();
  EXPECT_GT(asked, 0u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(fetcher.RoundForTest(), 0u);
  EXPECT_EQ(alpha->requests().size(), asked);
}

// The same under the node's own clock, moved by hand: a material whose
// chunks nobody had is asked for again only once its wait has passed on
// that clock, and the wait doubles (1 s, then 2 s).
TEST_F(FileFetcherTest, WaitsFollowTheClockNotTheWall) {
  v1::Audience everyone;
  everyone.set_scope(v1::Audience::PUBLIC);
  Share(Data(2 * kChunkSize, 4), everyone);
  FakeClock& clock = fed_.clock();
  auto alpha = std::make_shared<FakeLink>();  // answers every chunk as missing
  FileFetcher fetcher(&fed_.catalog(1), {{"alpha", alpha, v1::Subscription::EAGER}},
                      FetcherOptions(), &clock);
  EXPECT_EQ(fetcher.RoundForTest(), 0u);
  size_t asked = alpha->requests().size();
  ASSERT_GT(asked, 0u);
  clock.Advance(900'000);  // 0.9 s: the 1 s wait has not passed
  fetcher.RoundForTest();
  EXPECT_EQ(alpha->requests().size(), asked);
  clock.Advance(200'000);  // 1.1 s
  fetcher.RoundForTest();
  EXPECT_GT(alpha->requests().size(), asked);
  asked = alpha->requests().size();
  clock.Advance(1'500'000);  // 1.5 s of the doubled 2 s wait
  fetcher.RoundForTest();
  EXPECT_EQ(alpha->requests().size(), asked);
  clock.Advance(600'000);  // 2.1 s
  fetcher.RoundForTest();
  EXPECT_GT(alpha->requests().size(), asked);
}

}  // namespace
}  // namespace minga
