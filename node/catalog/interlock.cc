#include "node/catalog/interlock.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "node/core/log.h"
#include "node/core/proto_util.h"
#include "node/core/status_macros.h"

namespace minga {
namespace {

constexpr int64_t kMicrosPerMinute = 60'000'000;
// Release stores held entries again in commits of this many, so a hold of
// a whole catalog is not one huge transaction.
constexpr size_t kReleaseCommit = 1000;

std::string StateKey(absl::string_view origin) { return absl::StrCat("o", origin); }
std::string BodyPrefix(absl::string_view origin) {
  return absl::StrCat("b", origin, absl::string_view("\0", 1));
}
std::string BodyKey(absl::string_view origin, absl::string_view id) {
  return absl::StrCat(BodyPrefix(origin), id);
}

// Drops the minutes that left the window; returns the losses still in it.
uint64_t Prune(v1::storage::InterlockState* state, int64_t now_micros, absl::Duration window) {
  const int64_t first = (now_micros - absl::ToInt64Microseconds(window)) / kMicrosPerMinute + 1;
  auto* recent = state->mutable_recent();
  recent->erase(std::remove_if(recent->begin(), recent->end(),
                               [first](const auto& m) { return m.minute() < first; }),
                recent->end());
  uint64_t losses = 0;
  for (const auto& m : *recent) losses += m.losses();
  return losses;
}

void AddLosses(v1::storage::InterlockState* state, int64_t now_micros, uint64_t count) {
  const int64_t minute = now_micros / kMicrosPerMinute;
  for (auto& m : *state->mutable_recent()) {
    if (m.minute() == minute) {
      m.set_losses(m.losses() + count);
      return;
    }
  }
  auto* m = state->add_recent();
  m->set_minute(minute);
  m->set_losses(count);
}

// Tripped, or still holding bodies: what status shows and Release ends.
bool Holding(const v1::storage::InterlockState& s) {
  return s.tripped_unix_micros() != 0 || s.held() != 0;
}

bool Empty(const v1::storage::InterlockState& s) { return s.recent().empty() && !Holding(s); }

absl::StatusOr<v1::storage::InterlockState> ParseState(absl::string_view origin,
                                                       absl::string_view raw) {
  v1::storage::InterlockState state;
  if (!ParseProto(raw, &state)) {
    return absl::DataLossError(
        absl::StrCat("store: interlock state of origin '", origin, "' is corrupt"));
  }
  return state;
}

void PutState(Txn* txn, absl::string_view origin, const v1::storage::InterlockState& state) {
  if (Empty(state)) {
    txn->Delete(Cf::kHeld, StateKey(origin));
  } else {
    txn->Put(Cf::kHeld, StateKey(origin), state.SerializeAsString());
  }
}

std::string Time(int64_t micros) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixMicros(micros),
                          absl::UTCTimeZone());
}

}  // namespace

Interlock::Interlock(CatalogWriter* writer) : w_(*writer) {}

absl::StatusOr<v1::storage::InterlockState> Interlock::LoadState(Txn* txn,
                                                                 absl::string_view origin) {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, txn->Get(Cf::kHeld, StateKey(origin)));
  if (!raw.has_value()) return v1::storage::InterlockState();
  return ParseState(origin, *raw);
}

absl::StatusOr<v1::storage::InterlockState> Interlock::LoadState(absl::string_view origin) {
  Txn txn(w_.kv());
  return LoadState(&txn, origin);
}

absl::Status Interlock::Restore() {
  absl::MutexLock lock(&mu_);
  holding_.clear();
  auto it = w_.kv()->NewIterator(Cf::kHeld);
  for (it->Seek("o"); it->Valid() && absl::StartsWith(it->key(), "o"); it->Next()) {
    holding_.insert(std::string(it->key().substr(1)));
  }
  return it->status();
}

bool Interlock::MayHold(absl::string_view origin) const {
  absl::MutexLock lock(&mu_);
  return holding_.find(origin) != holding_.end();
}

absl::StatusOr<bool> Interlock::CountLosses(Pending* pending, absl::string_view origin,
                                            uint64_t count, int64_t now_micros) {
  const InterlockOptions& o = w_.options().interlock;
  if (!o.enabled || count == 0 || origin == w_.options().org_id) return false;
  ASSIGN_OR_RETURN(v1::storage::InterlockState state, LoadState(&pending->txn, origin));
  const uint64_t before = Prune(&state, now_micros, o.window);
  AddLosses(&state, now_micros, count);
  bool hold = state.tripped_unix_micros() != 0;
  if (!hold) {
    // The origin's bodies held before this window's losses: those held now
    // (this transaction's earlier changes counted) and those lost since.
    const auto& origins = pending->tally.origins();
    const auto held_now = origins.find(std::string(origin));
    const uint64_t of = (held_now == origins.end() ? 0 : held_now->second.materials()) + before;
    const uint64_t losses = before + count;
    if (losses >= o.min_materials && losses * 100 > uint64_t{o.share_percent} * of) {
      hold = true;
      state.set_tripped_unix_micros(now_micros);
      state.set_tripped_losses(losses);
      state.set_tripped_of(of);
      const int64_t until = now_micros + absl::ToInt64Microseconds(o.grace);
      LogWarning("interlock",
                 absl::StrCat("origin ", origin, " retracted or narrowed ", losses, " of the ", of,
                              " materials held here within ", absl::FormatDuration(o.window),
                              ": their headers apply, but their bodies and files are held until "
                              "released (minga release ",
                              origin, ") or until ", Time(until)),
                 {{"origin", origin}, {"losses", losses}, {"of", of}, {"until", Time(until)}});
      absl::MutexLock lock(&mu_);
      holding_.insert(std::string(origin));
    }
  }
  PutState(&pending->txn, origin, state);
  return hold;
}

absl::Status Interlock::Hold(Pending* pending, const std::string& id, const Entry& old,
                             absl::string_view peer, int64_t now_micros) {
  const std::string& origin = old.header.origin();
  v1::storage::HeldBody held;
  *held.mutable_entry() = old.stored;
  held.set_held_unix_micros(now_micros);
  held.set_from_peer(std::string(peer));
  const std::string key = BodyKey(origin, id);
  ASSIGN_OR_RETURN(std::optional<std::string> present, pending->txn.Get(Cf::kHeld, key));
  pending->txn.Put(Cf::kHeld, key, held.SerializeAsString());
  if (present.has_value()) return absl::OkStatus();
  ASSIGN_OR_RETURN(v1::storage::InterlockState state, LoadState(&pending->txn, origin));
  state.set_held(state.held() + 1);
  PutState(&pending->txn, origin, state);
  return absl::OkStatus();
}

absl::StatusOr<bool> Interlock::IsHeld(Pending* pending, absl::string_view origin,
                                       absl::string_view id) {
  if (!MayHold(origin)) return false;
  ASSIGN_OR_RETURN(std::optional<std::string> present,
                   pending->txn.Get(Cf::kHeld, BodyKey(origin, id)));
  return present.has_value();
}

absl::Status Interlock::Forget(Pending* pending, absl::string_view origin, absl::string_view id) {
  ASSIGN_OR_RETURN(bool held, IsHeld(pending, origin, id));
  if (!held) return absl::OkStatus();
  pending->txn.Delete(Cf::kHeld, BodyKey(origin, id));
  ASSIGN_OR_RETURN(v1::storage::InterlockState state, LoadState(&pending->txn, origin));
  if (state.held() > 0) state.set_held(state.held() - 1);
  PutState(&pending->txn, origin, state);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<InterlockHoldInfo>> Interlock::Holds() {
  std::vector<InterlockHoldInfo> out;
  const absl::Duration grace = w_.options().interlock.grace;
  auto it = w_.kv()->NewIterator(Cf::kHeld);
  for (it->Seek("o"); it->Valid() && absl::StartsWith(it->key(), "o"); it->Next()) {
    const absl::string_view origin = it->key().substr(1);
    ASSIGN_OR_RETURN(v1::storage::InterlockState state, ParseState(origin, it->value()));
    if (!Holding(state)) continue;
    InterlockHoldInfo info;
    info.origin = std::string(origin);
    info.held = state.held();
    info.tripped_unix_micros = state.tripped_unix_micros();
    info.expires_unix_micros = state.tripped_unix_micros() + absl::ToInt64Microseconds(grace);
    info.tripped_losses = state.tripped_losses();
    info.tripped_of = state.tripped_of();
    out.push_back(std::move(info));
  }
  RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<uint64_t> Interlock::Release(absl::string_view origin, absl::string_view actor) {
  absl::MutexLock lock(&w_.mu);
  ASSIGN_OR_RETURN(v1::storage::InterlockState state, LoadState(origin));
  if (!Holding(state)) {
    return absl::NotFoundError(
        absl::StrCat("origin: the interlock holds nothing of '", origin, "'"));
  }
  uint64_t released = 0;
  const std::string prefix = BodyPrefix(origin);
  while (true) {
    // Each round re-reads from the start: the previous round's keys are gone.
    Pending pending = w_.Begin();
    size_t n = 0;
    auto it = w_.kv()->NewIterator(Cf::kHeld);
    for (it->Seek(prefix); it->Valid() && absl::StartsWith(it->key(), prefix) && n < kReleaseCommit;
         it->Next(), ++n) {
      const std::string id(it->key().substr(prefix.size()));
      pending.txn.Delete(Cf::kHeld, it->key());
      ASSIGN_OR_RETURN(std::optional<Entry> held, LoadEntry(&pending.txn, id));
      if (!held.has_value() || held->has_body()) continue;
      // Stored again as it is, by its audience: the chunks it kept go.
      Entry again = *held;
      RETURN_IF_ERROR(w_.StoreEntry(&pending, id, held, &again, actor, "release"));
      ++released;
    }
    RETURN_IF_ERROR(it->status());
    const bool last = n < kReleaseCommit;
    if (last) pending.txn.Delete(Cf::kHeld, StateKey(origin));
    RETURN_IF_ERROR(w_.Commit(&pending, /*sync=*/true));
    if (last) break;
  }
  {
    absl::MutexLock hold_lock(&mu_);
    holding_.erase(std::string(origin));
  }
  LogInfo("interlock",
          absl::StrCat("origin ", origin, ": released by ", actor, "; ", released,
                       " held bodies purged"),
          {{"origin", origin}, {"actor", actor}, {"released", released}});
  return released;
}

absl::StatusOr<uint64_t> Interlock::ExpireDue() {
  ASSIGN_OR_RETURN(std::vector<InterlockHoldInfo> holds, Holds());
  const int64_t now = w_.options().clock->NowMicros();
  uint64_t released = 0;
  for (const InterlockHoldInfo& hold : holds) {
    if (hold.tripped_unix_micros == 0 || hold.expires_unix_micros > now) continue;
    absl::StatusOr<uint64_t> n = Release(hold.origin, "interlock:expired");
    if (absl::IsNotFound(n.status())) continue;  // released meanwhile
    RETURN_IF_ERROR(n.status());
    released += *n;
  }
  return released;
}

absl::Status Interlock::DropOrigin(Pending* pending, absl::string_view origin) {
  if (!MayHold(origin)) return absl::OkStatus();
  const std::string prefix = BodyPrefix(origin);
  auto it = w_.kv()->NewIterator(Cf::kHeld);
  for (it->Seek(prefix); it->Valid() && absl::StartsWith(it->key(), prefix); it->Next()) {
    pending->txn.Delete(Cf::kHeld, it->key());
  }
  RETURN_IF_ERROR(it->status());
  pending->txn.Delete(Cf::kHeld, StateKey(origin));
  return absl::OkStatus();
}

}  // namespace minga
