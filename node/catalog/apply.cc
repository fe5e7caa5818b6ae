#include "node/catalog/apply.h"

#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "node/core/audience.h"
#include "node/core/limits.h"
#include "node/core/parallel.h"
#include "node/core/revision.h"
#include "node/core/status_macros.h"
#include "node/core/subscription.h"
#include "node/store/keys.h"

namespace minga {
namespace {

absl::Status AtRevision(int i, const VerifiedRevision& in, const absl::Status& s) {
  const std::string where =
      in.header.material_id().empty()
          ? absl::StrCat("revisions[", i, "]")
          : absl::StrCat("revisions[", i, "] (", in.header.material_id(), ")");
  return absl::Status(s.code(), absl::StrCat(where, ": ", s.message()));
}

}  // namespace

absl::StatusOr<ApplyStats> PullApplier::ApplyBatch(absl::string_view peer,
                                                   const v1::PullBatch& batch) {
  ASSIGN_OR_RETURN(VerifiedBatch verified, VerifyBatch(batch));
  std::vector<VerifiedBatch> one;
  one.push_back(std::move(verified));
  ASSIGN_OR_RETURN(std::vector<ApplyStats> stats, ApplyVerified(peer, std::move(one)));
  return stats.front();
}

absl::StatusOr<VerifiedBatch> PullApplier::VerifyBatch(v1::PullBatch batch) {
  if (batch.feed_id().empty() || batch.feed_id().size() > 64) {
    return absl::InvalidArgumentError("batch.feed_id: must be 1 to 64 characters");
  }
  if (!batch.has_revision_count() ||
      batch.revision_count() != static_cast<uint32_t>(batch.revisions_size())) {
    return absl::DataLossError(
        absl::StrCat("batch.revision_count: the batch holds ", batch.revisions_size(),
                     " revisions but announces ",
                     batch.has_revision_count() ? absl::StrCat(batch.revision_count()) : "none",
                     " (cut short?)"));
  }
  if (batch.to_lseq() < batch.from_lseq()) {
    return absl::InvalidArgumentError("batch.to_lseq: is below from_lseq");
  }
  if (batch.revisions_size() > static_cast<int>(kMaxBatchRevisions)) {
    return absl::InvalidArgumentError(absl::StrCat("batch.revisions: ", batch.revisions_size(),
                                                   " revisions, at most ", kMaxBatchRevisions));
  }
  VerifiedBatch out;
  ApplyStats& stats = out.stats;
  stats.received = batch.revisions_size();
  const int n = batch.revisions_size();
  std::vector<VerifiedRevision>& in = out.revisions;
  in.resize(n);

  const uint64_t max_version =
      static_cast<uint64_t>(std::max<int64_t>(0, options_.clock->NowMicros())) + kMaxVersionAhead;
  // 1. Decode and screen, without the write lock. What this node already
  // holds at the same or a higher rank is skipped before any signature is
  // checked: the same bytes are never verified twice.
  for (int i = 0; i < n; ++i) {
    const v1::Revision& rev = batch.revisions(i);
    absl::StatusOr<v1::RevisionHeader> header = DecodeHeader(rev.signed_());
    if (!header.ok()) return AtRevision(i, in[i], header.status());
    in[i].header = std::move(*header);
    const v1::RevisionHeader& h = in[i].header;
    if (options_.keyring->Find(h.origin()) == nullptr) {
      // Not a member here (yet): the federation file is updated node by
      // node. Skipped; a membership change restarts checkpoints.
      in[i].skip = true;
      continue;
    }
    if (!rev.body().empty() && !InAudience(h.audience(), h.origin(), options_.org_id)) {
      return AtRevision(
          i, in[i],
          absl::PermissionDeniedError(
              "the peer sent a body of a material whose audience excludes this node"));
    }
    in[i].state =
        MergeState{RevisionRank{h.version(), HeaderHash(rev.signed_())}, !rev.body().empty()};
    ASSIGN_OR_RETURN(std::optional<v1::storage::StoredEntry> held,
                     LoadStored(kv_, h.material_id()));
    // The header held was verified when stored: the same bytes are not
    // verified again. Any other header is, even an older one that will be
    // ignored, so a batch with a tampered revision is refused whole rather
    // than accepted with the revision silently passed over (which would move
    // the checkpoint past a change this node never saw).
    const bool same_header = held.has_value() && held->signed_().header() == rev.signed_().header();
    in[i].check_signature = !same_header;
    if (same_header && !(in[i].state.has_body && held->body().empty())) {
      in[i].skip = true;  // nothing new: not even a missing body
    }
    // Versions are microseconds of the origin's clock. One this far ahead
    // would freeze the material (nothing later could replace it), so once
    // its signature is checked (a forged one still refuses the batch) it
    // is passed over, like a revision of an unknown origin.
    in[i].far_ahead = !in[i].skip && h.version() > max_version;
  }

  // 2. Verify signatures and bodies in parallel.
  auto verify = [&](size_t i) {
    VerifiedRevision& x = in[i];
    if (x.skip) return;
    const v1::Revision& rev = batch.revisions(i);
    if (x.check_signature) {
      absl::StatusOr<const PublicKey*> key =
          VerifyWithKeyring(rev.signed_(), x.header, *options_.keyring);
      if (!key.ok()) {
        x.status = key.status();
        return;
      }
      x.signer = (*key)->Fingerprint();
    }
    if (x.far_ahead) return;
    if (!rev.body().empty()) {
      absl::StatusOr<v1::Material> m = DecodeBody(x.header, rev.body(), Strictness::kPeer);
      if (!m.ok()) {
        x.status = m.status();
        return;
      }
      x.material = std::move(*m);
    }
  };
  ParallelForOrInline(options_.executor, n, verify);
  for (int i = 0; i < n; ++i) {
    if (!in[i].skip && in[i].check_signature) ++stats.verified;
    if (!in[i].status.ok()) return AtRevision(i, in[i], in[i].status);
  }
  for (VerifiedRevision& x : in) {
    if (!x.far_ahead) continue;
    x.skip = true;
    ++stats.too_far_ahead;
  }
  out.batch = std::move(batch);
  return out;
}

absl::StatusOr<std::vector<ApplyStats>> PullApplier::ApplyVerified(
    absl::string_view peer, std::vector<VerifiedBatch> batches) {
  // 3. Apply under the write lock, re-reading what is held: another pull
  // may have stored something since (or an earlier batch of this group).
  // Held state only grows, so a revision skipped above would still be
  // skipped. All the batches go in one write with one sync.
  absl::MutexLock lock(&w_.mu);
  Pending pending = w_.Begin();
  const int64_t now = options_.clock->NowMicros();
  const std::string actor = absl::StrCat("peer:", peer);
  std::vector<ApplyStats> all;
  bool moved = false;
  for (VerifiedBatch& verified : batches) {
    ASSIGN_OR_RETURN(bool batch_moved, ApplyOneLocked(&pending, peer, actor, now, &verified));
    moved = moved || batch_moved;
    all.push_back(verified.stats);
  }
  const bool stored = pending.last_lseq != w_.last_lseq();
  if (!stored && !moved) {
    // Heartbeats, or batches of nothing new: the times they would record
    // are the puller's to show. No write, no fsync under the lock.
    return all;
  }
  // Synced when it stores revisions: a checkpoint never survives a crash
  // that lost what it covers, and this node's own feed never hands out an
  // lseq twice. A checkpoint that moved over nothing stored may be lost in
  // a crash harmlessly (the batch is pulled again).
  RETURN_IF_ERROR(w_.Commit(&pending, /*sync=*/stored));
  return all;
}

absl::StatusOr<bool> PullApplier::ApplyOneLocked(Pending* p, absl::string_view peer,
                                                 const std::string& actor, int64_t now,
                                                 VerifiedBatch* verified) {
  Pending& pending = *p;
  v1::PullBatch& batch = verified->batch;
  std::vector<VerifiedRevision>& in = verified->revisions;
  ApplyStats& stats = verified->stats;
  const int n = batch.revisions_size();
  ASSIGN_OR_RETURN(const std::set<int> held_losses, HeldLosses(p, now, *verified));
  for (int i = 0; i < n; ++i) {
    VerifiedRevision& x = in[i];
    if (x.skip) {
      ++stats.ignored;
      continue;
    }
    const std::string& id = x.header.material_id();
    ASSIGN_OR_RETURN(std::optional<Entry> held, LoadEntry(&pending.txn, id));
    std::optional<MergeState> held_state;
    if (held.has_value()) held_state = held->merge_state();
    const MergeAction action = Merge(held_state, x.state);
    if (action == MergeAction::kIgnore) {
      ++stats.ignored;
      continue;
    }
    Entry entry;
    v1::Revision& rev = *batch.mutable_revisions(i);
    if (action == MergeAction::kReplace) {
      *entry.stored.mutable_signed_() = std::move(*rev.mutable_signed_());
      entry.stored.set_signer(x.signer);
      entry.header = x.header;
      ++stats.replaced;
    } else {
      entry.stored = held->stored;
      entry.header = held->header;
      ++stats.bodies_added;
    }
    entry.stored.set_body(std::move(*rev.mutable_body()));
    entry.material = std::move(x.material);
    if (held_losses.count(i) > 0) {
      RETURN_IF_ERROR(interlock_.Hold(&pending, id, *held, peer, now));
      entry.lost_chunks = Entry::LostChunks::kKeep;
      ++stats.purges_held;
    } else if (entry.has_body()) {
      RETURN_IF_ERROR(interlock_.Forget(&pending, x.header.origin(), id));
    } else {
      // A later header of a material whose body is held keeps it held.
      ASSIGN_OR_RETURN(const bool body_held, interlock_.IsHeld(&pending, x.header.origin(), id));
      if (body_held) entry.lost_chunks = Entry::LostChunks::kKeep;
    }
    v1::Provenance* p = entry.stored.mutable_provenance();
    p->set_from_peer(std::string(peer));
    p->set_received_unix_micros(now);
    p->clear_actor();
    if (x.header.origin() == options_.org_id) w_.versions().Observe(x.header.version());
    RETURN_IF_ERROR(w_.StoreEntry(&pending, id, held, &entry, actor, /*action=*/""));
  }

  // 4. The checkpoint travels in the same write as the revisions.
  ASSIGN_OR_RETURN(std::optional<std::string> raw, pending.txn.Get(Cf::kPeers, peer));
  v1::storage::PeerState state;
  if (raw.has_value() && !state.ParseFromString(*raw)) {
    return absl::DataLossError(absl::StrCat("store: state of peer '", peer, "' is corrupt"));
  }
  const v1::storage::PeerState before = state;
  if (batch.feed_id() != state.feed_id()) {
    if (batch.from_lseq() == 0) {
      // The peer's store is new (or new to us): follow its feed from here.
      stats.feed_reset = !state.feed_id().empty();
      state.set_feed_id(batch.feed_id());
      state.set_checkpoint(batch.to_lseq());
    }
    // Otherwise the batch continues a feed we do not follow: its revisions
    // are harmless, but the checkpoint stays.
  } else if (batch.from_lseq() == 0 &&
             std::max(batch.head_lseq(), batch.to_lseq()) < state.checkpoint()) {
    // Same feed, yet the peer started from the beginning because our
    // checkpoint is beyond its head: its store went back (restored from a
    // backup), and the lseqs in between mean other changes now. Start over.
    // (A late or repeated first batch, whose head is not behind, is not a
    // restart: it leaves the checkpoint where it is.)
    stats.feed_reset = true;
    state.set_checkpoint(batch.to_lseq());
  } else if (batch.from_lseq() <= state.checkpoint()) {
    state.set_checkpoint(std::max(state.checkpoint(), batch.to_lseq()));
  }
  state.set_peer_head(std::max(batch.head_lseq(), batch.to_lseq()));
  state.set_last_success_unix_micros(now);
  if (state.feed_id() == batch.feed_id() && state.checkpoint() >= state.peer_head()) {
    state.set_caught_up_unix_micros(now);
  }
  state.clear_last_error();
  stats.checkpoint = state.checkpoint();
  stats.caught_up_unix_micros = state.caught_up_unix_micros();
  const bool moved = state.feed_id() != before.feed_id() ||
                     state.checkpoint() != before.checkpoint() ||
                     state.peer_head() != before.peer_head() || !before.last_error().empty();
  if (moved || !pending.txn.empty()) pending.txn.Put(Cf::kPeers, peer, state.SerializeAsString());
  return moved;
}

absl::StatusOr<std::set<int>> PullApplier::HeldLosses(Pending* pending, int64_t now,
                                                      const VerifiedBatch& verified) {
  // Losses per origin: revisions that replace a body held here with a
  // header only, retracted or out of this node's audience. (A header-only
  // revision this node is still in the audience of is not one: its body is
  // on its way.)
  std::map<std::string, std::vector<int>> losses;
  const int n = static_cast<int>(verified.revisions.size());
  for (int i = 0; i < n; ++i) {
    const VerifiedRevision& x = verified.revisions[i];
    if (x.skip || x.state.has_body) continue;
    const v1::RevisionHeader& h = x.header;
    if (!h.deleted() && InAudience(h.audience(), h.origin(), options_.org_id)) continue;
    ASSIGN_OR_RETURN(std::optional<Entry> held, LoadEntry(&pending->txn, h.material_id()));
    if (!held.has_value() || !held->has_body()) continue;
    if (Merge(held->merge_state(), x.state) != MergeAction::kReplace) continue;
    losses[h.origin()].push_back(i);
  }
  std::set<int> out;
  for (const auto& [origin, indices] : losses) {
    ASSIGN_OR_RETURN(bool hold, interlock_.CountLosses(pending, origin, indices.size(), now));
    if (hold) out.insert(indices.begin(), indices.end());
  }
  return out;
}

absl::StatusOr<v1::storage::PeerState> PullApplier::GetPeerState(absl::string_view peer) {
  v1::storage::PeerState state;
  ASSIGN_OR_RETURN(std::optional<std::string> raw, kv_->Get(Cf::kPeers, peer));
  if (raw.has_value() && !state.ParseFromString(*raw)) {
    return absl::DataLossError(absl::StrCat("store: state of peer '", peer, "' is corrupt"));
  }
  return state;
}

absl::Status PullApplier::PrepareSubscription(absl::string_view peer,
                                              absl::string_view fingerprint) {
  absl::MutexLock lock(&w_.mu);
  ASSIGN_OR_RETURN(v1::storage::PeerState state, GetPeerState(peer));
  if (state.subscription_fingerprint() == fingerprint) return absl::OkStatus();
  // What the new subscription includes arrives again from the start; what
  // is held already is skipped by the merge rule without verification.
  state.set_checkpoint(0);
  state.set_subscription_fingerprint(std::string(fingerprint));
  WriteBatch batch;
  batch.Put(Cf::kPeers, peer, state.SerializeAsString());
  return kv_->Write(batch, WriteOptions{});
}

absl::StatusOr<size_t> PullApplier::DropUnsubscribed(
    const std::vector<v1::Subscription>& subscriptions) {
  if (subscriptions.empty()) return 0;
  auto selected = [&](const Entry& e) {
    for (const v1::Subscription& sub : subscriptions) {
      if (SubscriptionMatches(sub, e.header.origin(), *e.material)) return true;
    }
    return false;
  };
  auto doomed_now = [&](const Entry& e) {
    return e.has_body() && e.header.origin() != options_.org_id && !selected(e);
  };
  // Found without the lock, then demoted under it in slices, checked again.
  std::vector<std::string> doomed;
  auto it = kv_->NewIterator(Cf::kMaterials);
  for (it->Seek(""); it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(Entry e, DecodeEntry(it->key(), it->value()));
    if (doomed_now(e)) doomed.emplace_back(it->key());
  }
  RETURN_IF_ERROR(it->status());
  size_t dropped = 0;
  absl::MutexLock lock(&w_.mu);
  for (size_t start = 0; start < doomed.size(); start += 1000) {
    Pending pending = w_.Begin();
    for (size_t i = start; i < std::min(doomed.size(), start + 1000); ++i) {
      ASSIGN_OR_RETURN(std::optional<Entry> held, LoadEntry(&pending.txn, doomed[i]));
      if (!held.has_value() || !doomed_now(*held)) continue;
      Entry demoted;
      demoted.stored = held->stored;
      demoted.stored.clear_body();
      demoted.header = held->header;
      demoted.lost_chunks = Entry::LostChunks::kDrop;
      RETURN_IF_ERROR(w_.StoreEntry(&pending, doomed[i], held, &demoted, "subscription", ""));
      ++dropped;
    }
    RETURN_IF_ERROR(w_.Commit(&pending, /*sync=*/true));
  }
  return dropped;
}

absl::Status PullApplier::RecordPeerError(absl::string_view peer, absl::string_view error) {
  absl::MutexLock lock(&w_.mu);
  ASSIGN_OR_RETURN(v1::storage::PeerState state, GetPeerState(peer));
  state.set_last_error(std::string(error));
  state.set_last_error_unix_micros(options_.clock->NowMicros());
  WriteBatch batch;
  batch.Put(Cf::kPeers, peer, state.SerializeAsString());
  return kv_->Write(batch, WriteOptions{});
}

}  // namespace minga
