#include "node/sync/puller.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "node/core/bounded_queue.h"
#include "node/core/log.h"
#include "node/core/subscription.h"
#include "node/core/threads.h"
#include "node/sync/backoff.h"
#include "node/sync/protocol.h"

namespace minga {

std::string PullFingerprint(const v1::Subscription& subscription, absl::string_view membership) {
  return absl::StrCat(SubscriptionFingerprint(subscription), "/", membership);
}

bool SubscriptionChanged(absl::string_view stored, const v1::Subscription& subscription) {
  return !stored.empty() &&
         stored.substr(0, stored.find('/')) != SubscriptionFingerprint(subscription);
}

Puller::Puller(Catalog* catalog, std::shared_ptr<PeerLink> link, PullerOptions options,
               Clock* clock, uint64_t seed)
    : catalog_(catalog),
      link_(std::move(link)),
      options_(std::move(options)),
      clock_(clock),
      rng_(seed) {
  absl::MutexLock lock(&mu_);
  status_.set_org_id(options_.peer);
  status_.set_address(options_.address);
  status_.set_state(v1::PeerStatus::CONNECTING);
  // What the store remembers, so status is meaningful before the first pull.
  absl::StatusOr<v1::storage::PeerState> stored = catalog_->pulls().GetPeerState(options_.peer);
  if (stored.ok()) {
    status_.set_feed_id(stored->feed_id());
    status_.set_checkpoint(stored->checkpoint());
    status_.set_peer_head(stored->peer_head());
    status_.set_last_error(stored->last_error());
    status_.set_last_error_unix_micros(stored->last_error_unix_micros());
    status_.set_last_success_unix_micros(stored->last_success_unix_micros());
    caught_up_micros_ = stored->caught_up_unix_micros();
  }
}

Puller::~Puller() { Stop(); }

void Puller::Start() {
  thread_ = std::thread([this] {
    NameThisThread(absl::StrCat("pull ", options_.peer).c_str());
    Run();
  });
}

void Puller::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (stream_ != nullptr) stream_->Cancel();
  }
  if (thread_.joinable()) thread_.join();
  SetState(v1::PeerStatus::STOPPED);
}

void Puller::Kick() {
  absl::MutexLock lock(&mu_);
  kick_micros_ = clock_->NowMicros();
  wake_ = true;
  if (stream_ != nullptr) stream_->Cancel();
}

void Puller::CheckSilence() {
  absl::MutexLock lock(&mu_);
  if (stream_ == nullptr) return;
  const int64_t silent = clock_->NowMicros() - last_batch_micros_;
  if (silent > absl::ToInt64Microseconds(options_.heartbeat * 3)) {
    silenced_ = true;
    stream_->Cancel();
  }
}

void Puller::SetState(v1::PeerStatus::State state) {
  absl::MutexLock lock(&mu_);
  status_.set_state(state);
}

v1::PeerStatus Puller::Status() const {
  absl::MutexLock lock(&mu_);
  v1::PeerStatus s = status_;
  const uint64_t lag = s.peer_head() > s.checkpoint() ? s.peer_head() - s.checkpoint() : 0;
  s.set_lag_changes(lag);
  if (lag > 0 && caught_up_micros_ > 0) {
    s.set_lag_seconds((clock_->NowMicros() - caught_up_micros_) / 1e6);
  }
  return s;
}

bool Puller::WaitCaughtUp(int64_t since_micros, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto caught_up = [this, since_micros]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return last_applied_micros_ >= since_micros && stream_start_micros_ >= since_micros &&
           status_.checkpoint() >= status_.peer_head();
  };
  // A stopping puller wakes its waiters: the node is shutting down.
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || caught_up(); };
  mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  return caught_up();
}

void Puller::Run() {
  absl::Status prepared =
      catalog_->pulls().PrepareSubscription(options_.peer, options_.fingerprint);
  if (!prepared.ok())
    LogError("sync", absl::StrCat("peer ", options_.peer, ": ", prepared.message()),
             {{"peer", options_.peer}});
  while (true) {
    const absl::Status s = PullOnce();
    absl::Duration delay;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      if (s.ok()) {
        status_.set_failures(0);
        continue;  // a follow ended normally, or we were asked to pull now
      }
      status_.set_failures(status_.failures() + 1);
      ++(*status_.mutable_failures_by_code())[absl::AsciiStrToLower(
          absl::StatusCodeToString(s.code()))];
      status_.set_last_error(std::string(s.message()));
      status_.set_last_error_unix_micros(clock_->NowMicros());
      status_.set_state(v1::PeerStatus::BACKOFF);
      const double unit = std::uniform_real_distribution<double>(0, 1)(rng_);
      delay =
          BackoffDelay(status_.failures(), options_.backoff_initial, options_.backoff_max, unit);
    }
    LogWarning("sync",
               absl::StrCat("peer ", options_.peer, " (", options_.address, "): ", s.message(),
                            "; retrying in ", absl::FormatDuration(delay)),
               {{"peer", options_.peer},
                {"code", absl::AsciiStrToLower(absl::StatusCodeToString(s.code()))},
                {"retry_ms", absl::ToInt64Milliseconds(delay)}});
    // Best effort: the error is also in memory for `minga peers`.
    catalog_->pulls().RecordPeerError(options_.peer, s.message()).IgnoreError();
    absl::MutexLock lock(&mu_);
    auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || wake_; };
    mu_.AwaitWithTimeout(absl::Condition(&woken), delay);
    wake_ = false;
    if (stopping_) return;
  }
}

void Puller::RecordApplied(const std::vector<FeedPosition>& positions,
                           const std::vector<ApplyStats>& applied) {
  const int64_t now = clock_->NowMicros();
  absl::MutexLock lock(&mu_);
  last_batch_micros_ = now;
  last_applied_micros_ = now;
  for (size_t i = 0; i < applied.size(); ++i) {
    const ApplyStats& stats = applied[i];
    status_.set_feed_id(positions[i].feed_id);
    status_.set_checkpoint(stats.checkpoint);
    status_.set_peer_head(positions[i].head);
    status_.set_revisions_applied(status_.revisions_applied() + stats.replaced +
                                  stats.bodies_added);
    status_.set_revisions_received(status_.revisions_received() + stats.received);
  }
  status_.set_batches_applied(status_.batches_applied() + applied.size());
  status_.set_last_success_unix_micros(now);
  // A stream that lives is a success; one the peer ends at once is not,
  // so its back-off keeps growing (see Outcome).
  if (now - stream_start_micros_ >= 1'000'000) status_.set_failures(0);
  const bool caught_up = status_.checkpoint() >= status_.peer_head();
  if (caught_up) caught_up_micros_ = now;
  status_.set_state(caught_up ? v1::PeerStatus::FOLLOWING : v1::PeerStatus::PULLING);
}

// What one pull amounts to, for the back-off: `refused` (a batch refused),
// `finished` (how the stream ended), `batches` applied.
absl::Status Puller::Outcome(const absl::Status& refused, const absl::Status& finished,
                             int batches) {
  if (!refused.ok()) return refused;
  if (stopping_ || kick_micros_ >= stream_start_micros_) return absl::OkStatus();
  if (silenced_) {
    return absl::UnavailableError(
        absl::StrCat("no batch or heartbeat for ", absl::FormatDuration(options_.heartbeat * 3)));
  }
  if (finished.ok()) {
    // A follow ends by its deadline; one the peer ends at once, again and
    // again, would make a tight loop: treat it as a failure to back off.
    if (clock_->NowMicros() - stream_start_micros_ < 1'000'000) {
      return absl::UnavailableError("the peer ended the pull at once");
    }
    return absl::OkStatus();
  }
  if (finished.code() == absl::StatusCode::kDeadlineExceeded && batches > 0) {
    return absl::OkStatus();  // a healthy follow reached its deadline
  }
  return finished;
}

// Hello, then the request that resumes from the stored checkpoint.
absl::StatusOr<v1::PullRequest> Puller::Handshake() {
  SetState(v1::PeerStatus::CONNECTING);
  v1::HelloRequest hello;
  hello.set_protocol_version(kProtocolVersion);
  hello.add_capabilities(std::string(kCapabilityFollow));
  absl::StatusOr<v1::HelloResponse> answer = link_->Hello(hello, kHelloTimeout);
  if (!answer.ok()) return answer.status();
  if (answer->org_id() != options_.peer) {
    return absl::PermissionDeniedError(absl::StrCat("the node at ", options_.address, " is '",
                                                    answer->org_id(), "', not '", options_.peer,
                                                    "'"));
  }
  if (answer->protocol_version() < 1) {
    return absl::FailedPreconditionError("the peer speaks no protocol version this node knows");
  }
  absl::StatusOr<v1::storage::PeerState> state = catalog_->pulls().GetPeerState(options_.peer);
  if (!state.ok()) return state.status();

  v1::PullRequest request = ResumeRequest(*state, options_.subscription, /*follow=*/true,
                                          options_.batch_max_revisions, options_.batch_max_bytes);
  request.set_compression(options_.compression);
  request.set_heartbeat_seconds(
      static_cast<uint32_t>(std::max<int64_t>(1, absl::ToInt64Seconds(options_.heartbeat))));
  return request;
}

absl::Status Puller::PullOnce() {
  absl::StatusOr<v1::PullRequest> request = Handshake();
  if (!request.ok()) return request.status();
  std::unique_ptr<PullStream> stream = link_->Pull(*request, options_.pull_deadline);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::OkStatus();
    stream_ = stream.get();
    stream_start_micros_ = clock_->NowMicros();
    last_batch_micros_ = stream_start_micros_;
    silenced_ = false;
    wake_ = false;
    status_.set_state(v1::PeerStatus::PULLING);
  }
  // Three stages, so the cores overlap the wire, the signatures and the
  // disk: this thread reads and decodes batches, a verifier checks them
  // (signatures on the executor), and an applier writes every verified
  // batch that is ready in one transaction with one sync. While the disk
  // is the slower stage its groups grow, so commits adapt to throughput.
  BoundedQueue<v1::PullBatch> received(kReceivedBatches);
  BoundedQueue<VerifiedBatch> verified(kVerifiedBatches);
  absl::Mutex result_mu;
  absl::Status result;  // the first refusal
  int batches = 0;      // applied; written by the applier only
  auto refuse = [&](const absl::Status& s) {
    {
      absl::MutexLock lock(&result_mu);
      if (result.ok()) {
        result = absl::Status(s.code(), absl::StrCat("refused a batch: ", s.message()));
      }
    }
    stream->Cancel();
    received.Abandon();
  };
  std::thread verifier([&] {
    NameThisThread("pull-verify");
    while (std::optional<v1::PullBatch> batch = received.Pop()) {
      absl::StatusOr<VerifiedBatch> v = catalog_->pulls().VerifyBatch(std::move(*batch));
      if (!v.ok()) {
        // What was verified before it is authentic: it is still applied.
        refuse(v.status());
        break;
      }
      if (!verified.Push(*std::move(v))) break;
    }
    verified.Close();
  });
  std::thread applier([&] {
    NameThisThread("pull-apply");
    while (true) {
      std::vector<VerifiedBatch> group = verified.PopUpTo(kMaxBatchesPerCommit);
      if (group.empty()) return;
      std::vector<FeedPosition> positions;
      for (const VerifiedBatch& v : group) {
        positions.push_back({v.batch.feed_id(), std::max(v.batch.head_lseq(), v.batch.to_lseq())});
      }
      absl::StatusOr<std::vector<ApplyStats>> applied =
          catalog_->pulls().ApplyVerified(options_.peer, std::move(group));
      if (!applied.ok()) {
        refuse(applied.status());
        verified.Abandon();
        return;
      }
      batches += static_cast<int>(applied->size());
      RecordApplied(positions, *applied);
    }
  });
  {
    v1::PullBatch batch;
    uint64_t counted = 0;
    while (stream->Read(&batch)) {
      {
        absl::MutexLock lock(&mu_);
        last_batch_micros_ = clock_->NowMicros();
        const uint64_t bytes = stream->bytes_read();
        status_.set_bytes_received(status_.bytes_received() + (bytes - counted));
        counted = bytes;
      }
      if (!received.Push(std::move(batch))) break;
      batch.Clear();
    }
    received.Close();
    while (stream->Read(&batch)) {
      // Refused: the stream was cancelled, drain it.
    }
  }
  verifier.join();
  applier.join();
  const absl::Status finished = stream->Finish();
  absl::MutexLock lock(&mu_);
  stream_ = nullptr;
  return Outcome(result, finished, batches);
}

}  // namespace minga
