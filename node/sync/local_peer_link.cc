#include "node/sync/local_peer_link.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"

namespace minga {
namespace {

// One pull, served as the gRPC reactor serves it: read while there is a
// backlog, then (following) wait for news, a heartbeat or the end.
class LocalPullStream : public PullStream {
 public:
  LocalPullStream(Catalog* serving, PlannedPull plan, Clock* clock)
      : serving_(serving), clock_(clock) {
    session_.emplace(std::move(plan.query), plan.session, clock);
  }
  // A pull the partner refused: no batch, and Finish says why.
  explicit LocalPullStream(absl::Status refused)
      : serving_(nullptr), clock_(nullptr), ended_(true), status_(std::move(refused)) {}

  bool Read(v1::PullBatch* batch) override {
    while (!ended_) {
      if (Cancelled()) return End(absl::CancelledError("cancelled"));
      if (next_ == PullSession::Next::kEnd) return End(absl::OkStatus());
      if (next_ == PullSession::Next::kWait) {
        Wait();
        continue;
      }
      absl::StatusOr<v1::PullBatch> read = serving_->feed().ReadBatch(session_->query());
      if (!read.ok()) return End(read.status());
      const bool send = session_->ShouldSend(*read);
      if (send) {
        session_->Sent(*read);
      } else {
        session_->Skipped(*read);
      }
      next_ = session_->After(serving_->head_lseq());
      if (send) {
        *batch = *std::move(read);
        return true;
      }
    }
    return false;
  }
  absl::Status Finish() override { return status_; }
  void Cancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
  }

 private:
  bool Cancelled() {
    absl::MutexLock lock(&mu_);
    return cancelled_;
  }
  bool End(absl::Status status) {
    ended_ = true;
    status_ = std::move(status);
    return false;
  }
  // Caught up and following: until the head moves or the session's next
  // wake, in short steps so a Cancel is seen soon.
  void Wait() {
    const uint64_t head = session_->after_lseq();
    const absl::Duration until_wake =
        absl::Microseconds(std::max<int64_t>(0, session_->NextWakeMicros() - clock_->NowMicros()));
    serving_->WaitForHead(head,
                          std::clamp(until_wake, absl::Milliseconds(1), absl::Milliseconds(50)));
    next_ = session_->OnWake(serving_->head_lseq());
  }
  Catalog* const serving_;
  Clock* const clock_;
  std::optional<PullSession> session_;  // empty when refused
  PullSession::Next next_ = PullSession::Next::kRead;
  bool ended_ = false;
  absl::Status status_;
  absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

LocalPeerLink::LocalPeerLink(Catalog* serving, std::string requester, Clock* clock,
                             ServeLimits limits)
    : serving_(serving), requester_(std::move(requester)), clock_(clock), limits_(limits) {}

absl::StatusOr<v1::HelloResponse> LocalPeerLink::Hello(const v1::HelloRequest& request,
                                                       absl::Duration) {
  return AnswerHello(*serving_, request);
}

std::unique_ptr<PullStream> LocalPeerLink::Pull(const v1::PullRequest& request, absl::Duration) {
  absl::StatusOr<PlannedPull> plan = PlanPull(request, requester_, limits_);
  if (!plan.ok()) return std::make_unique<LocalPullStream>(plan.status());
  return std::make_unique<LocalPullStream>(serving_, *std::move(plan), clock_);
}

absl::Status LocalPeerLink::GetChunks(const v1::GetChunksRequest& request, absl::Duration,
                                      const std::function<bool(const v1::ChunkData&)>& on_chunk) {
  if (absl::Status valid = CheckChunksRequest(request); !valid.ok()) return valid;
  // As the service does: every chunk checked before any is sent, and a
  // withheld chunk answered exactly like one this node lacks.
  absl::StatusOr<std::vector<bool>> may = serving_->files().CheckChunkAccess(
      requester_, request.material_id(),
      std::vector<std::string>(request.sha256().begin(), request.sha256().end()));
  if (!may.ok()) return may.status();
  for (int i = 0; i < request.sha256_size(); ++i) {
    v1::ChunkData chunk;
    chunk.set_sha256(request.sha256(i));
    absl::StatusOr<std::optional<std::string>> data =
        (*may)[i] ? serving_->files().ReadChunk(request.sha256(i))
                  : absl::StatusOr<std::optional<std::string>>(std::nullopt);
    if (!data.ok()) return data.status();
    if (data->has_value()) {
      chunk.set_data(std::move(**data));
    } else {
      chunk.set_missing(true);
    }
    if (!on_chunk(chunk)) return absl::CancelledError("cancelled");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::PullBatch> ReadFirstBatch(PeerLink* link, const v1::PullRequest& request) {
  std::unique_ptr<PullStream> stream = link->Pull(request, absl::Seconds(60));
  v1::PullBatch batch;
  if (!stream->Read(&batch)) {
    absl::Status finished = stream->Finish();
    return finished.ok() ? absl::InternalError("the pull ended before its first batch") : finished;
  }
  stream->Cancel();
  return batch;
}

}  // namespace minga
