// Property tests of the merge laws over in-process nodes (catalogs over
// in-memory stores): random writes, retractions and audience changes at 3
// to 8 nodes, random connected topologies, and pulls whose batches are
// dropped, duplicated, replayed late, cut short or tampered with. At
// quiescence every law of docs/protocol.md must hold:
//   model         each origin holds what was written there: the audience
//                 asked for, the last title, the retractions (a model of
//                 every write is kept beside the nodes),
//   convergence   every node holds the same digest (the same headers),
//   authenticity  every stored header verifies with its origin's key and is
//                 the origin's newest; every body matches its header,
//   confinement   no node ever holds a body outside its audience,
//   retraction    no retracted body survives.
// Faults have asserted outcomes: a batch cut at a revision boundary and a
// tampered revision are refused and change nothing; a batch that arrives
// before the one it follows does not move the checkpoint.
// (The search index is a view that follows each node's feed; its laws are
// tested in node/search.)
// Each run is seeded; a failure prints the seed. Replay one with
//   MINGA_PROPERTY_SEED=<seed> ./property_test
// and change the number of runs with MINGA_PROPERTY_RUNS (default 2000).
// One suite over one fixture: its length is its cases.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "node/core/audience.h"
#include "node/core/revision.h"
#include "node/core/subscription.h"
#include "node/store/keys.h"
#include "tests/util/status_matchers.h"
#include "tests/util/test_federation.h"
#include "tests/util/test_materials.h"

namespace minga {
namespace {

using ::minga::testing::TestFederation;

// How often each fault with an asserted outcome happened, over a shard: a
// shard in which they never happen proves nothing about them.
struct FaultCounts {
  int cuts_refused = 0;
  int early_held_back = 0;
  int tampered_refused = 0;
  int tampered_ignored = 0;  // the receiver already held that version
  int late_applied = 0;
};

// What a write asked for, per material id.
struct Written {
  bool deleted = false;
  v1::Audience audience;
  std::string title;
};

struct Edge {
  int to;
  int from;
  v1::Subscription subscription;
  std::vector<v1::PullBatch> seen;  // for late replays
};

class Simulation {
 public:
  Simulation(uint64_t seed, bool random_subscriptions, FaultCounts* counts)
      : rng_(seed), fed_(3 + static_cast<int>(rng_() % 6)), counts_(counts) {
    const int n = fed_.size();
    // A random spanning tree keeps the graph connected; extra edges add
    // cycles and multiple paths.
    std::set<std::pair<int, int>> links;
    for (int i = 1; i < n; ++i) links.insert({static_cast<int>(rng_() % i), i});
    const int extra = static_cast<int>(rng_() % (n + 1));
    for (int k = 0; k < extra; ++k) {
      const int a = rng_() % n, b = rng_() % n;
      if (a != b) links.insert({std::min(a, b), std::max(a, b)});
    }
    for (const auto& [a, b] : links) {
      for (const auto& [to, from] : {std::pair{a, b}, std::pair{b, a}}) {
        Edge e{to, from, {}, {}};
        if (random_subscriptions && rng_() % 3 == 0) {
          e.subscription.add_sectors(rng_() % 2 ? "health" : "police");
        }
        edges_.push_back(std::move(e));
      }
    }
    full_subscriptions_ = !random_subscriptions;
  }

  void Run(int steps) {
    for (int step = 0; step < steps && !::testing::Test::HasFatalFailure(); ++step) {
      fed_.clock().Advance(1 + rng_() % 1000);
      const int dice = rng_() % 100;
      if (dice < 25) {
        Write();
      } else if (dice < 30) {
        Retract();
      } else if (dice < 32) {
        Restart();
      } else {
        Pull();
      }
    }
  }

  void Quiesce() {
    for (int round = 0; round < 64; ++round) {
      bool changed = false;
      std::shuffle(edges_.begin(), edges_.end(), rng_);
      for (Edge& e : edges_) {
        for (int guard = 0; guard < 1000; ++guard) {
          auto stats = fed_.PullOnce(e.to, e.from, 50, e.subscription);
          ASSERT_TRUE(stats.ok()) << stats.status();
          changed |= stats->replaced + stats->bodies_added > 0;
          auto state = fed_.catalog(e.to).pulls().GetPeerState(fed_.catalog(e.from).org_id());
          ASSERT_TRUE(state.ok());
          if (state->checkpoint() >= fed_.catalog(e.from).head_lseq()) break;
        }
        CheckConfinement(e.to);
      }
      if (!changed) return;
    }
    FAIL() << "no quiescence after 64 rounds";
  }

  void CheckLaws() {
    const int n = fed_.size();
    CheckModel();
    // Convergence.
    auto digest0 = fed_.catalog(0).Digest();
    ASSERT_TRUE(digest0.ok());
    for (int i = 1; i < n; ++i) {
      EXPECT_EQ(*fed_.catalog(i).Digest(), *digest0) << "node " << i << " diverged";
    }
    for (int i = 0; i < n; ++i) {
      KvStore* kv = fed_.node(i).kv.get();
      auto it = kv->NewIterator(Cf::kMaterials);
      for (it->Seek(""); it->Valid(); it->Next()) {
        const std::string id(it->key());
        auto entry = DecodeEntry(id, it->value());
        ASSERT_TRUE(entry.ok()) << entry.status();
        const v1::RevisionHeader& h = entry->header;
        // Authenticity: signed by the origin, and the origin's newest.
        const PublicKey* key = fed_.keyring().Find(h.origin());
        ASSERT_NE(key, nullptr);
        EXPECT_TRUE(VerifyHeaderSignature(entry->stored.signed_(), *key).ok()) << id;
        auto at_origin = fed_.catalog(OriginIndex(h.origin())).GetEntry(id);
        ASSERT_TRUE(at_origin.ok() && at_origin->has_value()) << id;
        EXPECT_EQ((*at_origin)->stored.signed_().header(), entry->stored.signed_().header())
            << id << " at node " << i << " is not the origin's newest revision: holds version "
            << h.version() << " from " << entry->stored.provenance().from_peer() << ", origin has "
            << (*at_origin)->header.version();
        if (entry->has_body()) {
          EXPECT_TRUE(DecodeBody(h, entry->stored.body(), Strictness::kPeer).ok()) << id;
          // Confinement and retraction.
          EXPECT_FALSE(h.deleted()) << id << " retracted but its body is held at node " << i;
          EXPECT_TRUE(InAudience(h.audience(), h.origin(), fed_.catalog(i).org_id()))
              << id << " body held at node " << i << " outside its audience";
        } else if (full_subscriptions_ && !h.deleted() &&
                   ReachableWithinAudience(OriginIndex(h.origin()), i, h)) {
          // Liveness: with full subscriptions, a member reachable from the
          // origin through members of the audience gets the body.
          ADD_FAILURE() << id << " missing its body at node " << i;
        }
      }
    }
  }

  uint64_t materials() const { return written_; }

 private:
  // Each origin holds exactly what was written there; the laws below then
  // carry it to every node ("the origin's newest").
  void CheckModel() {
    ASSERT_GT(written_, 0u);
    for (const auto& [id, want] : model_) {
      const int origin = OriginIndex(id.substr(0, id.find('/')));
      auto got = fed_.catalog(origin).GetEntry(id);
      ASSERT_TRUE(got.ok() && got->has_value()) << id << " missing at its origin";
      const v1::RevisionHeader& h = (*got)->header;
      ASSERT_EQ(h.deleted(), want.deleted) << id;
      if (want.deleted) continue;
      for (int i = 0; i < fed_.size(); ++i) {
        const std::string& org = fed_.catalog(i).org_id();
        EXPECT_EQ(InAudience(h.audience(), h.origin(), org),
                  InAudience(want.audience, h.origin(), org))
            << id << ": the stored audience and the one written disagree about " << org;
      }
      ASSERT_TRUE((*got)->has_body()) << id << " lost its body at its origin";
      auto body = DecodeBody(h, (*got)->stored.body(), Strictness::kPeer);
      ASSERT_TRUE(body.ok()) << body.status();
      EXPECT_EQ(body->title(), want.title) << id;
    }
    // And nothing it did not write.
    for (int i = 0; i < fed_.size(); ++i) {
      auto it = fed_.node(i).kv->NewIterator(Cf::kMaterials);
      for (it->Seek(""); it->Valid(); it->Next()) {
        auto entry = DecodeEntry(it->key(), it->value());
        ASSERT_TRUE(entry.ok());
        if (entry->header.origin() == fed_.catalog(i).org_id()) {
          EXPECT_TRUE(model_.count(std::string(it->key()))) << it->key() << " was never written";
        }
      }
    }
  }

  // What a node's state looks like from outside, to prove a refused batch
  // changed nothing.
  std::pair<std::string, uint64_t> Snapshot(int node, const std::string& peer) {
    auto digest = fed_.catalog(node).Digest();
    auto state = fed_.catalog(node).pulls().GetPeerState(peer);
    EXPECT_TRUE(digest.ok() && state.ok());
    return {digest.ok() ? *digest : "", state.ok() ? state->checkpoint() : 0};
  }

  // The signed header and the body a node stores for `id` (empty when none).
  std::pair<std::string, std::string> Stored(int node, const std::string& id) {
    auto got = fed_.catalog(node).GetEntry(id);
    EXPECT_TRUE(got.ok());
    if (!got.ok() || !got->has_value()) return {};
    return {(*got)->stored.signed_().SerializeAsString(), (*got)->stored.body()};
  }

  int OriginIndex(const std::string& org) const {
    return std::atoi(org.c_str() + 4);  // "org-<i>"
  }

  bool ReachableWithinAudience(int origin, int target, const v1::RevisionHeader& h) {
    auto in = [&](int i) { return InAudience(h.audience(), h.origin(), fed_.catalog(i).org_id()); };
    if (!in(target)) return false;
    std::set<int> seen{origin};
    std::vector<int> todo{origin};
    while (!todo.empty()) {
      const int cur = todo.back();
      todo.pop_back();
      for (const Edge& e : edges_) {
        if (e.from == cur && in(e.to) && seen.insert(e.to).second) todo.push_back(e.to);
      }
    }
    return seen.count(target) > 0;
  }

  void CheckConfinement(int node) {
    KvStore* kv = fed_.node(node).kv.get();
    auto it = kv->NewIterator(Cf::kMaterials);
    for (it->Seek(""); it->Valid(); it->Next()) {
      auto entry = DecodeEntry(it->key(), it->value());
      ASSERT_TRUE(entry.ok());
      if (entry->has_body()) {
        const v1::RevisionHeader& h = entry->header;
        ASSERT_TRUE(InAudience(h.audience(), h.origin(), fed_.catalog(node).org_id()))
            << it->key() << " reached node " << node << " outside its audience";
      }
    }
  }

  v1::Audience RandomAudience(int origin) {
    v1::Audience a;
    const int r = rng_() % 10;
    if (r < 5) {
      a.set_scope(v1::Audience::PUBLIC);
    } else if (r < 7) {
      a.set_scope(v1::Audience::PRIVATE);
    } else {
      a.set_scope(v1::Audience::MEMBERS);
      for (int i = 0; i < fed_.size(); ++i) {
        if (i != origin && rng_() % 2) a.add_members(fed_.catalog(i).org_id());
      }
    }
    return a;
  }

  void Write() {
    const int node = rng_() % fed_.size();
    const int slot = rng_() % 6;  // few ids per origin: updates are common
    PutItem r;
    r.material = testing::MakeMaterial(absl::StrCat("Material ", slot, " v", rng_() % 1000),
                                       absl::StrCat("m", slot));
    if (rng_() % 2) {
      r.material.clear_sectors();
      r.material.add_sectors("police");
    }
    *r.mutable_audience() = RandomAudience(node);
    auto put = fed_.catalog(node).local().Put(r, "sim");
    ASSERT_TRUE(put.ok()) << put.status();
    ++written_;
    model_[absl::StrCat(fed_.catalog(node).org_id(), "/m", slot)] =
        Written{false, *r.audience, r.material.title()};
  }

  void Retract() {
    const int node = rng_() % fed_.size();
    const std::string id = absl::StrCat(fed_.catalog(node).org_id(), "/m", rng_() % 6);
    auto del = fed_.catalog(node).local().Delete(id, 0, "sim");
    ASSERT_TRUE(del.ok() || del.status().code() == absl::StatusCode::kNotFound) << del.status();
    auto written = model_.find(id);
    if (del.ok()) {
      ASSERT_NE(written, model_.end()) << id << " retracted but never written";
      written->second.deleted = true;
    } else {
      ASSERT_EQ(written, model_.end()) << id << " written, yet not found to retract";
    }
  }

  void Restart() {
    const int node = rng_() % fed_.size();
    ASSERT_TRUE(fed_.Reopen(node).ok());
  }

  // Alters one revision of the batch the way a faulty or hostile relay
  // might; the receiver must refuse or ignore it, never store it.
  // Returns the index of the revision altered, or -1 when nothing was.
  int Tamper(v1::PullBatch* batch, int relay) {
    if (batch->revisions().empty()) return -1;
    const int which = rng_() % batch->revisions_size();
    const std::string before = batch->revisions(which).SerializeAsString();
    v1::Revision* rev = batch->mutable_revisions(which);
    std::string* header = rev->mutable_signed_()->mutable_header();
    switch (rng_() % 5) {
      case 0:  // flip a header bit
        (*header)[rng_() % header->size()] ^= static_cast<char>(1 << (rng_() % 8));
        break;
      case 1:  // flip a signature bit
        (*rev->mutable_signed_()->mutable_signature())[rng_() % 64] ^= 0x10;
        break;
      case 2:  // alter the body
        if (!rev->body().empty()) (*rev->mutable_body())[rng_() % rev->body().size()] ^= 0x04;
        break;
      case 3: {  // widen the audience, keeping the signature
        v1::RevisionHeader h;
        if (!h.ParseFromString(*header)) break;
        h.mutable_audience()->set_scope(v1::Audience::PUBLIC);
        h.mutable_audience()->clear_members();
        h.SerializeToString(header);
        break;
      }
      case 4: {  // forge a newer version signed with a member's key, not the origin's
        v1::RevisionHeader h;
        if (!h.ParseFromString(*header)) break;
        int forger = relay;
        if (fed_.catalog(forger).org_id() == h.origin()) forger = (forger + 1) % fed_.size();
        h.set_version(h.version() + 1000000);
        h.SerializeToString(header);
        rev->mutable_signed_()->set_signature(
            fed_.node(forger).key->Sign(SignaturePayload(*header)));
        break;
      }
    }
    return rev->SerializeAsString() == before ? -1 : which;
  }

  // The id a revision is about, from its header as first signed.
  static std::string IdOf(const v1::Revision& rev) {
    v1::RevisionHeader h;
    if (!h.ParseFromString(rev.signed_().header())) return "";
    return h.material_id();
  }

  void Pull() {
    Edge& e = edges_[rng_() % edges_.size()];
    Catalog& src = fed_.catalog(e.from);
    Catalog& dst = fed_.catalog(e.to);
    auto state = dst.pulls().GetPeerState(src.org_id());
    ASSERT_TRUE(state.ok());
    LocalPeerLink link(&src, dst.org_id(), &fed_.clock());
    v1::PullRequest request =
        ResumeRequest(*state, e.subscription, /*follow=*/false, 1 + rng_() % 8, 0);
    auto batch = ReadFirstBatch(&link, request);
    ASSERT_TRUE(batch.ok()) << batch.status();
    e.seen.push_back(*batch);
    const int fault = rng_() % 100;
    if (fault < 50) {
      ASSERT_TRUE(dst.pulls().ApplyBatch(src.org_id(), *batch).ok());
    } else if (fault < 60) {
      // Dropped on the way.
    } else if (fault < 68) {  // duplicated
      ASSERT_TRUE(dst.pulls().ApplyBatch(src.org_id(), *batch).ok());
      ASSERT_TRUE(dst.pulls().ApplyBatch(src.org_id(), *batch).ok());
    } else if (fault < 76) {  // an old batch arrives late
      const v1::PullBatch& old = e.seen[rng_() % e.seen.size()];
      ASSERT_TRUE(dst.pulls().ApplyBatch(src.org_id(), old).ok());
      ++counts_->late_applied;
    } else if (fault < 82) {  // this batch is lost and the next one arrives
      request.set_feed_id(batch->feed_id());
      request.set_after_lseq(batch->to_lseq());
      auto next = ReadFirstBatch(&link, request);
      ASSERT_TRUE(next.ok()) << next.status();
      const uint64_t before = state->checkpoint();
      ASSERT_TRUE(dst.pulls().ApplyBatch(src.org_id(), *next).ok());
      if (next->from_lseq() > before && state->feed_id() == next->feed_id()) {
        auto after = dst.pulls().GetPeerState(src.org_id());
        ASSERT_TRUE(after.ok());
        ASSERT_EQ(after->checkpoint(), before) << "the checkpoint jumped a gap";
        ++counts_->early_held_back;
      }
    } else if (fault < 90) {  // the stream is cut inside the batch
      const auto before = Snapshot(e.to, src.org_id());
      v1::PullBatch cut;
      if (rng_() % 2 && batch->revisions_size() > 0) {
        // At a revision boundary: what arrived parses and verifies, but is
        // not the whole batch.
        cut = *batch;
        const int drop = 1 + rng_() % batch->revisions_size();
        for (int k = 0; k < drop; ++k) cut.mutable_revisions()->RemoveLast();
        if (rng_() % 2) cut.clear_revision_count();
        ASSERT_FALSE(dst.pulls().ApplyBatch(src.org_id(), cut).ok()) << "a cut batch was taken";
        ASSERT_EQ(Snapshot(e.to, src.org_id()), before) << "a refused batch changed the node";
        ++counts_->cuts_refused;
      } else {
        const std::string bytes = batch->SerializeAsString();
        if (cut.ParseFromString(bytes.substr(0, rng_() % (bytes.size() + 1)))) {
          (void)dst.pulls().ApplyBatch(src.org_id(), cut);  // whatever parses must be harmless
        }
      }
    } else {
      v1::PullBatch tampered = *batch;
      const int which = Tamper(&tampered, e.from);
      const std::string id = which >= 0 ? IdOf(batch->revisions(which)) : "";
      const auto held = id.empty() ? std::pair<std::string, std::string>() : Stored(e.to, id);
      const auto before = Snapshot(e.to, src.org_id());
      const bool applied = dst.pulls().ApplyBatch(src.org_id(), tampered).ok();
      if (!id.empty()) {
        // Refused whole, or ignored because the receiver already held that
        // version (a body that matches the header it holds may fill in):
        // either way no altered byte is stored.
        const v1::Revision& original = batch->revisions(which);
        const auto now = Stored(e.to, id);
        ASSERT_TRUE(now.first == held.first || now.first == original.signed_().SerializeAsString())
            << id << ": a tampered header or signature was stored";
        ASSERT_TRUE(now.second == held.second || now.second == original.body())
            << id << ": a tampered body was stored";
        if (!applied) {
          ASSERT_EQ(Snapshot(e.to, src.org_id()), before) << "a refused batch changed the node";
          ++counts_->tampered_refused;
        } else {
          ++counts_->tampered_ignored;
        }
      }
    }
    CheckConfinement(e.to);
  }

  std::mt19937_64 rng_;
  TestFederation fed_;
  std::vector<Edge> edges_;
  bool full_subscriptions_ = true;
  uint64_t written_ = 0;
  FaultCounts* const counts_;
  std::map<std::string, Written> model_;
};

int Runs() {
  const char* env = std::getenv("MINGA_PROPERTY_RUNS");
  return env ? std::atoi(env) : 2000;
}

void RunSeeds(uint64_t first, bool random_subscriptions) {
  const char* only = std::getenv("MINGA_PROPERTY_SEED");
  const int shards = 4;
  const int runs = only ? 1 : Runs() / shards;
  ASSERT_GE(runs, 1) << "MINGA_PROPERTY_RUNS must be a number of at least " << shards;
  FaultCounts counts;
  for (int k = 0; k < runs; ++k) {
    const uint64_t seed = only ? std::strtoull(only, nullptr, 10) : first + k;
    SCOPED_TRACE(absl::StrCat("seed ", seed, " (replay: MINGA_PROPERTY_SEED=", seed, ")"));
    Simulation sim(seed, random_subscriptions, &counts);
    sim.Run(40 + static_cast<int>(seed % 80));
    if (::testing::Test::HasFailure()) return;
    sim.Quiesce();
    if (::testing::Test::HasFailure()) return;
    sim.CheckLaws();
    if (::testing::Test::HasFailure()) return;
  }
  printf(
      "%d seeds: %d cut batches refused, %d early batches held back, %d tampered refused, "
      "%d tampered ignored (version held), %d late batches applied\n",
      runs, counts.cuts_refused, counts.early_held_back, counts.tampered_refused,
      counts.tampered_ignored, counts.late_applied);
  if (runs >= 100) {
    // Enough seeds that each asserted fault must have happened.
    EXPECT_GT(counts.cuts_refused, runs / 10);
    EXPECT_GT(counts.early_held_back, runs / 10);
    EXPECT_GT(counts.tampered_refused, runs / 10);
  }
}

// Four shards so ctest runs them in parallel; seeds do not overlap.
TEST(FederationLaws, FullSubscriptionsShard0) { RunSeeds(0, false); }
TEST(FederationLaws, FullSubscriptionsShard1) { RunSeeds(1000000, false); }
TEST(FederationLaws, RandomSubscriptionsShard0) { RunSeeds(2000000, true); }
TEST(FederationLaws, RandomSubscriptionsShard1) { RunSeeds(3000000, true); }

}  // namespace
}  // namespace minga
