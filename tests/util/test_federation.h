// In-process nodes for catalog and property tests: each a Catalog over its
// own MemKv, all sharing one keyring, with a fake clock.
#ifndef MINGA_TESTS_UTIL_TEST_FEDERATION_H_
#define MINGA_TESTS_UTIL_TEST_FEDERATION_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "node/catalog/catalog.h"
#include "node/catalog/tally.h"
#include "node/core/crypto.h"
#include "node/core/revision.h"
#include "node/store/chunk_store.h"
#include "node/store/fault_kv.h"
#include "node/store/mem_kv.h"
#include "node/sync/local_peer_link.h"

namespace minga::testing {

struct TestNode {
  std::string org;
  std::unique_ptr<SigningKey> key;
  std::unique_ptr<MemKv> kv;
  std::unique_ptr<FaultKv> fault;  // wraps kv
  std::unique_ptr<ChunkStore> chunks;
  std::unique_ptr<Catalog> catalog;
};

class TestFederation {
 public:
  // Nodes "org-0" .. "org-<n-1>" (or the given names).
  explicit TestFederation(int n) {
    std::vector<std::string> names;
    for (int i = 0; i < n; ++i) names.push_back(absl::StrCat("org-", i));
    Init(names);
  }
  explicit TestFederation(const std::vector<std::string>& names) { Init(names); }

  // Every test that used the federation also checks, at its end, that the
  // tally each catalog kept through its commits is what a recount of its
  // store finds.
  ~TestFederation() {
    for (auto& n : nodes_) {
      if (n->catalog != nullptr) ExpectTallyMatchesStore(*n->catalog);
    }
  }

  static void ExpectTallyMatchesStore(Catalog& catalog) {
    const v1::storage::Tally kept = catalog.Counts();
    absl::StatusOr<v1::storage::Tally> recount = Recount(catalog.kv(), catalog.org_id());
    absl::StatusOr<std::string> digest = catalog.Digest();
    if (!recount.ok() || !digest.ok()) {
      ADD_FAILURE() << catalog.org_id() << ": recount failed";
      return;
    }
    const std::string who = catalog.org_id() + ": the kept tally differs from a recount: ";
    EXPECT_EQ(DigestHex(kept), *digest) << who << "digest";
    EXPECT_EQ(kept.files_complete(), recount->files_complete()) << who << "files_complete";
    EXPECT_EQ(kept.files_missing(), recount->files_missing()) << who << "files_missing";
    EXPECT_EQ(kept.chunks_stored(), recount->chunks_stored()) << who << "chunks_stored";
    EXPECT_EQ(kept.chunk_bytes(), recount->chunk_bytes()) << who << "chunk_bytes";
    EXPECT_EQ(kept.chunks_missing(), recount->chunks_missing()) << who << "chunks_missing";
    EXPECT_EQ(kept.origins().size(), recount->origins().size()) << who << "origins";
    for (const auto& [origin, count] : kept.origins()) {
      auto it = recount->origins().find(origin);
      if (it == recount->origins().end()) {
        ADD_FAILURE() << who << "origin " << origin << " is not in the store";
        continue;
      }
      EXPECT_EQ(count.materials(), it->second.materials()) << who << origin;
      EXPECT_EQ(count.headers_only(), it->second.headers_only()) << who << origin;
      EXPECT_EQ(count.retracted(), it->second.retracted()) << who << origin;
    }
  }

  TestNode& node(int i) { return *nodes_[i]; }
  Catalog& catalog(int i) { return *nodes_[i]->catalog; }
  int size() const { return static_cast<int>(nodes_.size()); }
  const Keyring& keyring() const { return *keyring_; }
  FakeClock& clock() { return clock_; }
  // The interlock's thresholds of nodes opened (or reopened) from now on.
  InterlockOptions interlock;

  // Reopens node i's catalog on its store, as a restart would.
  absl::Status Reopen(int i) {
    TestNode& n = *nodes_[i];
    n.catalog.reset();
    auto catalog = Catalog::Open(n.fault.get(), Options(n));
    if (!catalog.ok()) return catalog.status();
    n.catalog = std::move(*catalog);
    return absl::OkStatus();
  }

  // Gives every node a new keyring (an edited federation file) and reopens
  // those still members, as a restart with the new file would; a node no
  // longer a member stays closed (catalog(i) must not be used).
  absl::Status ReplaceKeyring(std::unique_ptr<Keyring> keyring) {
    for (auto& n : nodes_) n->catalog.reset();
    keyring_ = std::move(keyring);
    for (int i = 0; i < size(); ++i) {
      if (!keyring_->IsMember(nodes_[i]->org)) continue;
      absl::Status s = Reopen(i);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // Replaces node i's store with an empty one (a lost disk).
  absl::Status Wipe(int i) {
    nodes_[i]->chunks = NewMemChunkStore();
    return Restore(i, std::make_unique<MemKv>());
  }

  // Replaces node i's store with `kv` (a backup put back) and reopens it.
  absl::Status Restore(int i, std::unique_ptr<MemKv> kv) {
    TestNode& n = *nodes_[i];
    n.catalog.reset();
    n.fault.reset();
    n.kv = std::move(kv);
    n.fault = std::make_unique<FaultKv>(n.kv.get());
    return Reopen(i);
  }

  // A copy of node i's whole store, as a backup holds it.
  std::unique_ptr<MemKv> Backup(int i) {
    auto copy = std::make_unique<MemKv>();
    WriteBatch batch;
    for (int c = 0; c < kNumCfs; ++c) {
      auto it = nodes_[i]->kv->NewIterator(static_cast<Cf>(c));
      for (it->Seek(""); it->Valid(); it->Next())
        batch.Put(static_cast<Cf>(c), it->key(), it->value());
    }
    EXPECT_TRUE(copy->Write(batch, WriteOptions{}).ok());
    return copy;
  }

  // One step of a pull of up to `max` revisions by node `to` from node
  // `from`: the first batch of a pull resumed from `to`'s checkpoint, served
  // by `from` as a peer serves it (node/sync/local_peer_link.h).
  absl::StatusOr<ApplyStats> PullOnce(int to, int from, uint32_t max = 100,
                                      const v1::Subscription& sub = {}) {
    Catalog& src = catalog(from);
    Catalog& dst = catalog(to);
    auto state = dst.pulls().GetPeerState(src.org_id());
    if (!state.ok()) return state.status();
    LocalPeerLink link(&src, dst.org_id(), &clock_);
    auto batch = ReadFirstBatch(&link, ResumeRequest(*state, sub, /*follow=*/false, max, 0));
    if (!batch.ok()) return batch.status();
    return dst.pulls().ApplyBatch(src.org_id(), *batch);
  }

  // Pulls until caught up.
  absl::Status PullAll(int to, int from) {
    for (int guard = 0; guard < 100000; ++guard) {
      auto stats = PullOnce(to, from);
      if (!stats.ok()) return stats.status();
      auto state = catalog(to).pulls().GetPeerState(catalog(from).org_id());
      if (!state.ok()) return state.status();
      if (state->checkpoint() >= catalog(from).head_lseq()) return absl::OkStatus();
    }
    return absl::InternalError("PullAll did not finish");
  }

 private:
  CatalogOptions Options(const TestNode& n) {
    CatalogOptions o;
    o.org_id = n.org;
    o.signing_key = n.key.get();
    o.keyring = keyring_.get();
    o.clock = &clock_;
    o.chunks = n.chunks.get();
    o.interlock = interlock;
    return o;
  }

  void Init(const std::vector<std::string>& names) {
    if (!InitCrypto().ok()) abort();
    std::map<std::string, PublicKey, std::less<>> keys;
    for (const std::string& name : names) {
      auto n = std::make_unique<TestNode>();
      n->org = name;
      n->key = std::make_unique<SigningKey>(SigningKey::Generate());
      n->kv = std::make_unique<MemKv>();
      n->fault = std::make_unique<FaultKv>(n->kv.get());
      n->chunks = NewMemChunkStore();
      keys.emplace(name, n->key->public_key());
      nodes_.push_back(std::move(n));
    }
    keyring_ = std::make_unique<Keyring>(std::move(keys));
    for (int i = 0; i < size(); ++i) {
      auto catalog = Catalog::Open(nodes_[i]->fault.get(), Options(*nodes_[i]));
      if (!catalog.ok()) abort();
      nodes_[i]->catalog = std::move(*catalog);
    }
  }

  FakeClock clock_;
  std::unique_ptr<Keyring> keyring_;
  std::vector<std::unique_ptr<TestNode>> nodes_;
};

// A one-revision batch, from a feed named `feed_id`, holding `body` as a
// public material signed with `key`: what a node of that key's org could
// send, whatever its software.
inline v1::PullBatch SignedBatch(const SigningKey& key, const std::string& feed_id,
                                 const v1::Material& body) {
  RevisionSpec spec;
  spec.material_id = body.id();
  spec.version = 1;
  spec.audience.set_scope(v1::Audience::PUBLIC);
  v1::PullBatch batch;
  batch.set_feed_id(feed_id);
  batch.set_to_lseq(1);
  batch.set_head_lseq(1);
  batch.set_revision_count(1);
  *batch.add_revisions() = SignRevision(key, spec, body.SerializeAsString());
  return batch;
}

}  // namespace minga::testing

#endif  // MINGA_TESTS_UTIL_TEST_FEDERATION_H_
