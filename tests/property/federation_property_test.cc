// Property tests of the merge laws over in-process nodes (catalogs over
// in-memory stores): random writes, retractions and audience changes at 3
// to 8 nodes, random connected topologies, and pulls whose batches are
// dropped, duplicated, replayed late, cut short or tampered with. At
// quiescence every law of DESIGN.md must hold:
//   convergence   every node holds the same digest (the same headers),
//   authenticity  every stored header verifies with its origin's key and is
//                 the origin's newest; every body matches its header,
//   confinement   no node ever holds a body outside its audience,
//   retraction    no retracted body survives.
// (The search index is a view that follows each node's feed; its laws are
// tested in node/search.)
// Each run is seeded; a failure prints the seed. Replay one with
//   MINGA_PROPERTY_SEED=<seed> ./property_test
// and change the number of runs with MINGA_PROPERTY_RUNS (default 2000).
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

struct Edge {
  int to;
  int from;
  v1::Subscription subscription;
  std::vector<v1::PullBatch> seen;  // for late replays
};

class Simulation {
 public:
  Simulation(uint64_t seed, bool random_subscriptions)
      : rng_(seed), fed_(3 + static_cast<int>(rng_() % 6)) {
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
          auto state = fed_.catalog(e.to).GetPeerState(fed_.catalog(e.from).org_id());
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
            << h.version() << " from " << entry->stored.provenance().from_peer()
            << ", origin has " << (*at_origin)->header.version();
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
    v1::PutRequest r;
    *r.mutable_material() = testing::MakeMaterial(
        absl::StrCat("Material ", slot, " v", rng_() % 1000), absl::StrCat("m", slot));
    if (rng_() % 2) {
      r.mutable_material()->clear_sectors();
      r.mutable_material()->add_sectors("police");
    }
    *r.mutable_audience() = RandomAudience(node);
    auto put = fed_.catalog(node).Put(r, "sim");
    ASSERT_TRUE(put.ok()) << put.status();
    ++written_;
  }

  void Retract() {
    const int node = rng_() % fed_.size();
    const std::string id = absl::StrCat(fed_.catalog(node).org_id(), "/m", rng_() % 6);
    auto del = fed_.catalog(node).Delete(id, 0, "sim");
    ASSERT_TRUE(del.ok() || del.status().code() == absl::StatusCode::kNotFound) << del.status();
  }

  void Restart() {
    const int node = rng_() % fed_.size();
    ASSERT_TRUE(fed_.Reopen(node).ok());
  }

  // Alters one revision of the batch the way a faulty or hostile relay
  // might; the receiver must refuse or ignore it, never store it.
  void Tamper(v1::PullBatch* batch, int relay) {
    if (batch->revisions().empty()) return;
    v1::Revision* rev = batch->mutable_revisions(rng_() % batch->revisions_size());
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
  }

  void Pull() {
    Edge& e = edges_[rng_() % edges_.size()];
    Catalog& src = fed_.catalog(e.from);
    Catalog& dst = fed_.catalog(e.to);
    auto state = dst.GetPeerState(src.org_id());
    ASSERT_TRUE(state.ok());
    PullQuery q;
    q.requester = dst.org_id();
    q.subscription = e.subscription;
    q.feed_id = state->feed_id();
    q.after_lseq = state->checkpoint();
    q.max_revisions = 1 + rng_() % 8;
    auto batch = src.ReadBatch(q);
    ASSERT_TRUE(batch.ok()) << batch.status();
    e.seen.push_back(*batch);
    const int fault = rng_() % 100;
    if (fault < 55) {
      ASSERT_TRUE(dst.ApplyBatch(src.org_id(), *batch).ok());
    } else if (fault < 65) {
      // Dropped on the way.
    } else if (fault < 75) {  // duplicated
      ASSERT_TRUE(dst.ApplyBatch(src.org_id(), *batch).ok());
      ASSERT_TRUE(dst.ApplyBatch(src.org_id(), *batch).ok());
    } else if (fault < 85) {  // an old batch arrives late
      const v1::PullBatch& old = e.seen[rng_() % e.seen.size()];
      ASSERT_TRUE(dst.ApplyBatch(src.org_id(), old).ok());
    } else if (fault < 92) {  // the stream is cut inside the batch
      const std::string bytes = batch->SerializeAsString();
      v1::PullBatch cut;
      if (cut.ParseFromString(bytes.substr(0, rng_() % (bytes.size() + 1)))) {
        (void)dst.ApplyBatch(src.org_id(), cut);  // whatever parses must be harmless
      }
    } else {
      v1::PullBatch tampered = *batch;
      Tamper(&tampered, e.from);
      (void)dst.ApplyBatch(src.org_id(), tampered);  // refused or ignored
    }
    CheckConfinement(e.to);
  }

  std::mt19937_64 rng_;
  TestFederation fed_;
  std::vector<Edge> edges_;
  bool full_subscriptions_ = true;
  uint64_t written_ = 0;
};

int Runs() {
  const char* env = std::getenv("MINGA_PROPERTY_RUNS");
  return env ? std::atoi(env) : 2000;
}

void RunSeeds(uint64_t first, bool random_subscriptions) {
  const char* only = std::getenv("MINGA_PROPERTY_SEED");
  const int shards = 4;
  const int runs = Runs() / shards;
  for (int k = 0; k < (only ? 1 : runs); ++k) {
    const uint64_t seed = only ? std::strtoull(only, nullptr, 10) : first + k;
    SCOPED_TRACE(absl::StrCat("seed ", seed, " (replay: MINGA_PROPERTY_SEED=", seed, ")"));
    Simulation sim(seed, random_subscriptions);
    sim.Run(40 + static_cast<int>(seed % 80));
    if (::testing::Test::HasFailure()) return;
    sim.Quiesce();
    if (::testing::Test::HasFailure()) return;
    sim.CheckLaws();
    if (::testing::Test::HasFailure()) return;
  }
}

// Four shards so ctest runs them in parallel; seeds do not overlap.
TEST(FederationLaws, FullSubscriptionsShard0) { RunSeeds(0, false); }
TEST(FederationLaws, FullSubscriptionsShard1) { RunSeeds(1000000, false); }
TEST(FederationLaws, RandomSubscriptionsShard0) { RunSeeds(2000000, true); }
TEST(FederationLaws, RandomSubscriptionsShard1) { RunSeeds(3000000, true); }

}  // namespace
}  // namespace minga
