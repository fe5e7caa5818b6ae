// The puller's pipeline against a fake peer: what it stores when every
// batch is good, and when one in the middle is refused; and the whole pull
// protocol in process, against a partner's catalog served by LocalPeerLink.
#include "node/sync/puller.h"

#include <deque>

#include "gtest/gtest.h"
#include "node/sync/local_peer_link.h"
#include "node/sync/protocol.h"
#include "tests/util/status_matchers.h"
#include "tests/util/test_federation.h"
#include "tests/util/test_materials.h"

namespace minga {
namespace {

using ::minga::testing::TestFederation;

// Plays batches read beforehand, then ends the call. Each Pull replays
// them from the first, as a peer asked from checkpoint 0 would.
class ScriptedStream : public PullStream {
 public:
  explicit ScriptedStream(std::deque<v1::PullBatch> batches) : batches_(std::move(batches)) {}
  bool Read(v1::PullBatch* batch) override {
    absl::MutexLock lock(&mu_);
    if (cancelled_ || batches_.empty()) return false;
    *batch = std::move(batches_.front());
    batches_.pop_front();
    return true;
  }
  absl::Status Finish() override {
    absl::MutexLock lock(&mu_);
    return cancelled_ ? absl::CancelledError("cancelled") : absl::OkStatus();
  }
  void Cancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
  }

 private:
  absl::Mutex mu_;
  std::deque<v1::PullBatch> batches_ ABSL_GUARDED_BY(mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

class ScriptedLink : public PeerLink {
 public:
  ScriptedLink(std::string org, std::deque<v1::PullBatch> batches)
      : org_(std::move(org)), batches_(std::move(batches)) {}
  absl::StatusOr<v1::HelloResponse> Hello(const v1::HelloRequest&, absl::Duration) override {
    v1::HelloResponse r;
    r.set_org_id(org_);
    r.set_protocol_version(kProtocolVersion);
    return r;
  }
  std::unique_ptr<PullStream> Pull(const v1::PullRequest& request, absl::Duration) override {
    absl::MutexLock lock(&mu_);
    ++pulls_;
    std::deque<v1::PullBatch> rest;
    for (const v1::PullBatch& b : batches_) {
      if (b.from_lseq() >= request.after_lseq()) rest.push_back(b);
    }
    return std::make_unique<ScriptedStream>(std::move(rest));
  }
  absl::Status GetChunks(const v1::GetChunksRequest&, absl::Duration,
                         const std::function<bool(const v1::ChunkData&)>&) override {
    return absl::UnavailableError("no chunks here");
  }
  void CancelChunkCalls() override {}
  int pulls() {
    absl::MutexLock lock(&mu_);
    return pulls_;
  }

 private:
  const std::string org_;
  const std::deque<v1::PullBatch> batches_;
  absl::Mutex mu_;
  int pulls_ ABSL_GUARDED_BY(mu_) = 0;
};

class PullerTest : public ::testing::Test {
 protected:
  // alpha's `n` public materials, as batches of 5 for beta.
  std::deque<v1::PullBatch> Batches(int n) {
    for (int i = 0; i < n; ++i) {
      PutItem put;
      put.material = testing::MakeMaterial(absl::StrCat("Guía ", i), absl::StrCat("guia-", i));
      put.mutable_audience()->set_scope(v1::Audience::PUBLIC);
      EXPECT_OK(fed_.catalog(0).local().Put(put, "t").status());
    }
    std::deque<v1::PullBatch> out;
    PullQuery q;
    q.requester = "beta";
    q.max_revisions = 5;
    while (true) {
      absl::StatusOr<v1::PullBatch> b = fed_.catalog(0).feed().ReadBatch(q);
      EXPECT_OK(b.status());
      if (!b.ok() || b->revisions_size() == 0) break;
      q.feed_id = b->feed_id();
      q.after_lseq = b->to_lseq();
      out.push_back(*b);
    }
    return out;
  }

  std::unique_ptr<Puller> StartPuller(std::shared_ptr<PeerLink> link) {
    PullerOptions o;
    o.peer = "alpha";
    o.address = "scripted";
    o.backoff_initial = absl::Hours(1);  // one attempt, then the test looks
    o.backoff_max = absl::Hours(1);
    auto puller = std::make_unique<Puller>(&fed_.catalog(1), std::move(link), o, SystemClock(), 1);
    puller->Start();
    return puller;
  }

  // Puts a material of alpha's with the given audience; returns its id.
  std::string PutAtAlpha(const std::string& local, v1::Audience::Scope scope,
                         std::vector<std::string> members = {}) {
    PutItem put;
    put.material = testing::MakeMaterial(absl::StrCat("Guía ", local), local);
    put.mutable_audience()->set_scope(scope);
    for (std::string& m : members) put.mutable_audience()->add_members(std::move(m));
    absl::StatusOr<v1::MaterialView> view = fed_.catalog(0).local().Put(put, "t");
    EXPECT_OK(view.status());
    return view.ok() ? view->id() : "";
  }

  // Waits (no fixed sleep: polls the puller's own state) until `done`.
  template <typename F>
  void WaitFor(Puller& puller, F done) {
    const absl::Time give_up = absl::Now() + absl::Seconds(60);
    while (!done(puller.Status()) && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(5));
    ASSERT_TRUE(done(puller.Status())) << puller.Status().DebugString();
  }

  size_t HeldAtBeta() {
    const v1::storage::Tally counts = fed_.catalog(1).Counts();
    auto alpha = counts.origins().find("alpha");
    return alpha == counts.origins().end() ? 0 : alpha->second.materials();
  }

  TestFederation fed_{std::vector<std::string>{"alpha", "beta", "gamma"}};
};

TEST_F(PullerTest, AppliesEveryBatchThroughThePipeline) {
  std::deque<v1::PullBatch> batches = Batches(53);
  const uint64_t head = batches.back().to_lseq();
  auto link = std::make_shared<ScriptedLink>("alpha", batches);
  std::unique_ptr<Puller> puller = StartPuller(link);
  WaitFor(*puller, [&](const v1::PeerStatus& s) { return s.checkpoint() == head; });
  puller->Stop();
  EXPECT_EQ(HeldAtBeta(), 53u);
  absl::StatusOr<v1::storage::PeerState> state = fed_.catalog(1).pulls().GetPeerState("alpha");
  ASSERT_OK(state.status());
  EXPECT_EQ(state->checkpoint(), head);
}

// A batch that fails verification stops the pull; the authentic batches
// before it are kept with their checkpoint, nothing of it or after it.
TEST_F(PullerTest, ARefusedBatchKeepsWhatCameBeforeIt) {
  std::deque<v1::PullBatch> batches = Batches(40);  // 8 batches of 5
  ASSERT_EQ(batches.size(), 8u);
  // The 5th batch's first body no longer matches its signed header.
  v1::Revision* forged = batches[4].mutable_revisions(0);
  ASSERT_FALSE(forged->body().empty());
  v1::Material m;
  ASSERT_TRUE(m.ParseFromString(forged->body()));
  m.set_title("Forged");
  forged->set_body(m.SerializeAsString());
  const uint64_t good_until = batches[3].to_lseq();

  auto link = std::make_shared<ScriptedLink>("alpha", batches);
  std::unique_ptr<Puller> puller = StartPuller(link);
  WaitFor(*puller, [](const v1::PeerStatus& s) { return s.failures() > 0; });
  const v1::PeerStatus status = puller->Status();
  puller->Stop();
  EXPECT_NE(status.last_error().find("refused a batch"), std::string::npos) << status.last_error();
  // Counted by the code it was refused with, for the node's metrics.
  EXPECT_GE(status.failures_by_code().count("data_loss"), 1u) << status.DebugString();
  EXPECT_EQ(status.batches_applied(), 4u);
  EXPECT_EQ(HeldAtBeta(), 20u);
  absl::StatusOr<v1::storage::PeerState> state = fed_.catalog(1).pulls().GetPeerState("alpha");
  ASSERT_OK(state.status());
  EXPECT_EQ(state->checkpoint(), good_until);
}

// The real protocol, in process: beta follows alpha through a LocalPeerLink
// (Hello, a following Pull served by a PullSession, heartbeats), takes the
// backlog, then each new change as it commits. What alpha shares with
// others only never reaches beta.
TEST_F(PullerTest, FollowsAPartnerInProcessAndOnlyGetsWhatItMaySee) {
  for (int i = 0; i < 12; ++i) PutAtAlpha(absl::StrCat("guia-", i), v1::Audience::PUBLIC);
  const std::string hidden = PutAtAlpha("interna", v1::Audience::MEMBERS, {"gamma"});
  auto link = std::make_shared<LocalPeerLink>(&fed_.catalog(0), "beta", SystemClock());
  PullerOptions o;
  o.peer = "alpha";
  o.address = "in-process";
  o.batch_max_revisions = 5;
  o.heartbeat = absl::Seconds(1);
  Puller puller(&fed_.catalog(1), link, o, SystemClock(), 1);
  puller.Start();
  WaitFor(puller, [&](const v1::PeerStatus& s) {
    return s.state() == v1::PeerStatus::FOLLOWING && s.checkpoint() == fed_.catalog(0).head_lseq();
  });
  EXPECT_EQ(HeldAtBeta(), 12u);

  // Followed: a change at alpha arrives without a new pull being asked for.
  const std::string later = PutAtAlpha("nueva", v1::Audience::PUBLIC);
  WaitFor(puller,
          [&](const v1::PeerStatus& s) { return s.checkpoint() == fed_.catalog(0).head_lseq(); });
  puller.Stop();
  EXPECT_EQ(HeldAtBeta(), 13u);
  absl::StatusOr<std::optional<Entry>> got = fed_.catalog(1).GetEntry(later);
  ASSERT_OK(got.status());
  ASSERT_TRUE(got->has_value());
  EXPECT_TRUE((*got)->has_body());
  // Confinement: beta may hold the header (it learns the id exists, as
  // with any peer), never the body.
  absl::StatusOr<std::optional<Entry>> secret = fed_.catalog(1).GetEntry(hidden);
  ASSERT_OK(secret.status());
  EXPECT_FALSE(secret->has_value() && (*secret)->has_body());
  EXPECT_EQ(puller.Status().failures(), 0);
}

}  // namespace
}  // namespace minga
