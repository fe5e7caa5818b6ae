#include "node/sync/sync_engine.h"

#include "absl/strings/str_cat.h"
#include "node/core/log.h"

namespace minga {

SyncEngine::~SyncEngine() { Stop(); }

void SyncEngine::AddPeer(std::shared_ptr<PeerLink> link, PullerOptions options,
                         uint64_t max_file_bytes_per_second) {
  const uint64_t seed =
      std::hash<std::string>()(options.peer) ^ static_cast<uint64_t>(clock_->NowMicros());
  v1::Subscription::FilePolicy policy = options.subscription.files();
  if (policy == v1::Subscription::FILE_POLICY_UNSPECIFIED) policy = v1::Subscription::EAGER;
  fetch_peers_.push_back({options.peer, link, policy, max_file_bytes_per_second});
  pullers_.push_back(
      std::make_unique<Puller>(catalog_, std::move(link), std::move(options), clock_, seed));
}

void SyncEngine::DropNarrowedBodies() {
  bool narrowed = false;
  std::vector<v1::Subscription> all;
  for (const auto& p : pullers_) {
    all.push_back(p->subscription());
    absl::StatusOr<v1::storage::PeerState> state = catalog_->pulls().GetPeerState(p->peer());
    if (!state.ok()) {
      LogError("sync", absl::StrCat("peer ", p->peer(), ": ", state.status().message()),
               {{"peer", p->peer()}});
      continue;
    }
    narrowed =
        narrowed || SubscriptionChanged(state->subscription_fingerprint(), p->subscription());
  }
  if (!narrowed) return;
  absl::StatusOr<size_t> dropped = catalog_->pulls().DropUnsubscribed(all);
  if (!dropped.ok()) {
    LogError("sync", absl::StrCat("subscription changed: ", dropped.status().message()));
  } else if (*dropped > 0) {
    LogInfo("sync",
            absl::StrCat("subscription changed: ", *dropped,
                         " materials no peer's subscription selects are kept as their signed "
                         "header only; their bodies and files were dropped"),
            {{"materials", *dropped}});
  }
}

void SyncEngine::Start() {
  // Before any puller records its new subscription: a crash in between
  // finds the change again at the next start.
  DropNarrowedBodies();
  started_ = true;
  files_ = std::make_unique<FileFetcher>(catalog_, fetch_peers_, FetcherOptions(), clock_);
  files_->Start();
  for (auto& p : pullers_) p->Start();
  watchdog_ = std::thread([this] {
    while (!stop_.WaitForNotificationWithTimeout(absl::Seconds(1))) {
      for (auto& p : pullers_) p->CheckSilence();
    }
  });
}

void SyncEngine::Stop() {
  if (!started_) return;
  started_ = false;
  stop_.Notify();
  if (watchdog_.joinable()) watchdog_.join();
  for (auto& p : pullers_) p->Stop();
  files_->Stop();
}

std::vector<v1::PeerStatus> SyncEngine::Peers() const {
  std::vector<v1::PeerStatus> out;
  for (const auto& p : pullers_) {
    out.push_back(p->Status());
    if (files_ != nullptr) files_->AddStats(&out.back());
  }
  return out;
}

absl::StatusOr<SyncEngine::SyncOutcome> SyncEngine::Sync(const SyncOrder& order,
                                                         const std::function<bool()>& cancelled) {
  if (order.timeout > kMaxSyncTimeout) {
    return absl::InvalidArgumentError(
        absl::StrCat("timeout_seconds: at most ", absl::ToInt64Seconds(kMaxSyncTimeout)));
  }
  std::vector<Puller*> selected;
  for (const auto& p : pullers_) {
    if (order.peer.empty() || p->peer() == order.peer) selected.push_back(p.get());
  }
  if (!order.peer.empty() && selected.empty()) {
    return absl::NotFoundError(
        absl::StrCat("peer: '", order.peer, "' is not a configured peer of this node"));
  }
  const int64_t since = clock_->NowMicros();
  for (Puller* p : selected) p->Kick();
  SyncOutcome outcome;
  bool caught_up = true;
  if (order.wait) {
    const absl::Time deadline = absl::FromUnixMicros(clock_->NowMicros()) + order.timeout;
    for (Puller* p : selected) {
      // In slices, so a client that gave up or a stopping node ends the wait.
      bool done = false;
      while (!done && absl::FromUnixMicros(clock_->NowMicros()) < deadline && !cancelled() &&
             !stop_.HasBeenNotified()) {
        done =
            p->WaitCaughtUp(since, std::min(absl::Milliseconds(500),
                                            deadline - absl::FromUnixMicros(clock_->NowMicros())));
      }
      caught_up &= done;
    }
  }
  outcome.caught_up = order.wait && caught_up;
  for (Puller* p : selected) outcome.peers.push_back(p->Status());
  return outcome;
}

}  // namespace minga
