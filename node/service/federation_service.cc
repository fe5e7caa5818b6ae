// Over 400 lines because the two streaming reactors (Pull, GetChunks) are
// nested classes of the service: they share its admission slots, watcher
// and shutdown, which a split would have to expose in a header.
#include "node/service/federation_service.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "node/core/log.h"
#include "node/core/subscription.h"
#include "node/net/credentials.h"
#include "node/net/grpc_status.h"
#include "node/service/reactor_lock.h"
#include "node/sync/batch_codec.h"
#include "node/sync/protocol.h"
#include "node/sync/pull_session.h"

namespace minga {
namespace {

// A stream refused before it began.
template <typename T>
class Refused : public grpc::ServerWriteReactor<T> {
 public:
  explicit Refused(const absl::Status& status) { this->Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

// One Pull. Its state changes under mu_; at most one store read (on the
// node's workers) and one write are in flight, so one batch waits beside
// the one on the wire at most. It finishes only when neither is in flight.
// It is deleted when gRPC is done with it and the watcher holds no
// reference (refs_), so neither a task nor the watcher touches it after.
class FederationService::PullReactor : public grpc::ServerWriteReactor<v1::PullBatch> {
 public:
  // encoder: null to send batches as they are.
  PullReactor(FederationService* service, std::string caller, PullQuery query,
              PullSessionOptions options, std::unique_ptr<BatchEncoder> encoder)
      : service_(service),
        caller_(std::move(caller)),
        slot_(service, &service->pulls_, &service->total_pulls_, caller_),
        encoder_(std::move(encoder)),
        session_(std::move(query), options, service->clock_) {
    finish_.BeforeFinish([this] { slot_.GiveBack(); });
  }

  void Begin() {
    ReactorLock lock(this);
    ReadLocked();
  }

  void Ref() { refs_.fetch_add(1); }
  void Unref() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

  // From the watcher: news, a heartbeat or the end may be due.
  void Wake(uint64_t head) {
    ReactorLock lock(this);
    if (!waiting_) return;
    switch (session_.OnWake(head)) {
      case PullSession::Next::kWait:
        return;
      case PullSession::Next::kRead:
        StopWaitingLocked();
        ReadLocked();
        return;
      case PullSession::Next::kEnd:
        StopWaitingLocked();
        FinishLocked(grpc::Status::OK);
        return;
    }
  }

  // The service is stopping.
  void Stop() {
    ReactorLock lock(this);
    StopWaitingLocked();
    FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the node is stopping"));
  }

  void OnWriteDone(bool ok) override {
    ReactorLock lock(this);
    writing_ = false;
    if (!ok) {
      FinishLocked(grpc::Status::OK);  // the puller left
    } else if (ready_.has_value()) {
      v1::PullBatch batch = std::move(*ready_);
      ready_.reset();
      DeliverLocked(std::move(batch));
    } else {
      ContinueLocked();
    }
  }

  void OnCancel() override {
    ReactorLock lock(this);
    StopWaitingLocked();
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
  }

  void OnDone() override {
    service_->Unwait(this);
    slot_.GiveBack();
    Unref();
  }

 private:
  void ReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    reading_ = true;
    PullQuery query = session_.query();
    service_->workers_.Post([this, query = std::move(query)] {
      absl::StatusOr<v1::PullBatch> batch = service_->catalog_->feed().ReadBatch(query);
      // Compressed here, off the reactor's lock, while the previous batch
      // travels. Reads run one at a time and every batch with revisions is
      // sent, so the batches enter the zstd stream in the order they go out.
      if (batch.ok() && encoder_ != nullptr) {
        if (absl::Status s = encoder_->Encode(&*batch); !s.ok()) batch = s;
      }
      ReactorLock lock(this);
      reading_ = false;
      if (finish_.asked().has_value()) {
        FinishLocked(*finish_.asked());
      } else if (!batch.ok()) {
        LogError("federation", absl::StrCat("pull by ", caller_, ": ", batch.status().message()),
                 {{"peer", caller_}});
        FinishLocked(ToGrpcStatus(batch.status()));
      } else if (writing_) {
        ready_ = std::move(*batch);  // sent when the one on the wire lands
      } else {
        DeliverLocked(std::move(*batch));
      }
    });
  }

  void DeliverLocked(v1::PullBatch batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!session_.ShouldSend(batch)) {
      session_.Skipped(batch);
      ContinueLocked();
      return;
    }
    session_.Sent(batch);
    sending_ = std::move(batch);
    writing_ = true;
    StartWrite(&sending_);
    // The next batch is read while this one travels.
    if (session_.After(service_->catalog_->head_lseq()) == PullSession::Next::kRead) ReadLocked();
  }

  // Once nothing is in flight: read on, wait for news, or end.
  void ContinueLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finish_.asked().has_value()) {
      FinishLocked(*finish_.asked());
      return;
    }
    if (writing_ || reading_) return;
    switch (session_.After(service_->catalog_->head_lseq())) {
      case PullSession::Next::kRead:
        ReadLocked();
        return;
      case PullSession::Next::kEnd:
        FinishLocked(grpc::Status::OK);
        return;
      case PullSession::Next::kWait:
        if (service_->stopping()) {
          FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the node is stopping"));
          return;
        }
        waiting_ = true;
        service_->Wait(this);
        // A commit just before Wait would be missed until the next pass:
        // look once more.
        if (session_.OnWake(service_->catalog_->head_lseq()) == PullSession::Next::kRead) {
          StopWaitingLocked();
          ReadLocked();
        }
        return;
    }
  }

  void StopWaitingLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!waiting_) return;
    waiting_ = false;
    service_->Unwait(this);
  }

  // Finishes now if nothing is in flight, else as soon as it lands.
  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    finish_.Ask(status, reading_ || writing_);
  }

  FederationService* const service_;
  const std::string caller_;
  Slot slot_;
  // Used only by the one read in flight.
  const std::unique_ptr<BatchEncoder> encoder_;
  std::atomic<int> refs_{1};  // gRPC's, plus the watcher's while it wakes us
  absl::Mutex mu_;
  PullSession session_ ABSL_GUARDED_BY(mu_);
  v1::PullBatch sending_ ABSL_GUARDED_BY(mu_);
  std::optional<v1::PullBatch> ready_ ABSL_GUARDED_BY(mu_);
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool waiting_ ABSL_GUARDED_BY(mu_) = false;
  ReactorFinish finish_ ABSL_GUARDED_BY(mu_);
  friend class ReactorLock<PullReactor>;
};

// One GetChunks: the access check, then one chunk read and written at a
// time.
class FederationService::ChunkReactor : public grpc::ServerWriteReactor<v1::ChunkData> {
 public:
  ChunkReactor(FederationService* service, std::string caller, v1::GetChunksRequest request)
      : service_(service),
        caller_(std::move(caller)),
        slot_(service, &service->chunk_calls_, &service->total_chunk_calls_, caller_),
        request_(std::move(request)) {
    finish_.BeforeFinish([this] { slot_.GiveBack(); });
  }

  void Begin() {
    ReactorLock lock(this);
    busy_ = true;
    service_->workers_.Post([this] {
      // Every chunk is checked before any is sent: a request mixing a chunk
      // the caller may read with one it may not is refused whole. The
      // material is decoded once for the call.
      absl::StatusOr<std::vector<bool>> may = service_->catalog_->files().CheckChunkAccess(
          caller_, request_.material_id(),
          std::vector<std::string>(request_.sha256().begin(), request_.sha256().end()));
      ReactorLock lock(this);
      busy_ = false;
      if (!may.ok()) {
        FinishLocked(ToGrpcStatus(may.status()));
        return;
      }
      may_read_ = std::move(*may);
      NextLocked();
    });
  }

  void OnWriteDone(bool ok) override {
    ReactorLock lock(this);
    busy_ = false;
    if (!ok) {
      FinishLocked(grpc::Status::OK);
      return;
    }
    NextLocked();
  }
  void OnCancel() override {
    ReactorLock lock(this);
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
  }
  void OnDone() override {
    slot_.GiveBack();
    delete this;
  }

 private:
  void NextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finish_.asked().has_value() || next_ >= static_cast<size_t>(request_.sha256_size())) {
      FinishLocked(finish_.asked().value_or(grpc::Status::OK));
      return;
    }
    const size_t i = next_++;
    const bool may_read = may_read_[i];
    busy_ = true;
    service_->workers_.Post([this, i, may_read] {
      const std::string& sha = request_.sha256(static_cast<int>(i));
      // A withheld chunk is answered exactly like one this node lacks.
      absl::StatusOr<std::optional<std::string>> data =
          may_read ? service_->catalog_->files().ReadChunk(sha)
                   : absl::StatusOr<std::optional<std::string>>(std::nullopt);
      ReactorLock lock(this);
      busy_ = false;
      if (!data.ok()) {
        FinishLocked(ToGrpcStatus(data.status()));
        return;
      }
      if (finish_.asked().has_value()) {
        FinishLocked(*finish_.asked());
        return;
      }
      chunk_.Clear();
      chunk_.set_sha256(sha);
      if (data->has_value()) {
        service_->chunks_served_.fetch_add(1);
        service_->chunk_bytes_served_.fetch_add((*data)->size());
        chunk_.set_data(std::move(**data));
      } else {
        chunk_.set_missing(true);
      }
      busy_ = true;
      StartWrite(&chunk_);
    });
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    finish_.Ask(status, busy_);
  }

  FederationService* const service_;
  const std::string caller_;
  Slot slot_;
  const v1::GetChunksRequest request_;
  absl::Mutex mu_;
  std::vector<bool> may_read_ ABSL_GUARDED_BY(mu_);
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  v1::ChunkData chunk_ ABSL_GUARDED_BY(mu_);
  bool busy_ ABSL_GUARDED_BY(mu_) = false;  // a read or a write in flight
  ReactorFinish finish_ ABSL_GUARDED_BY(mu_);
  friend class ReactorLock<ChunkReactor>;
};

FederationService::FederationService(Catalog* catalog, FederationServiceOptions options,
                                     Clock* clock)
    : catalog_(catalog), options_(options), clock_(clock), workers_(options.workers) {
  watcher_ = std::thread([this] { Watch(); });
}

FederationService::~FederationService() { Shutdown(); }

absl::StatusOr<std::string> FederationService::Authenticate(
    const grpc::CallbackServerContext& context) const {
  absl::StatusOr<std::string> org = CallerOrg(context, options_.plaintext);
  if (!org.ok()) return org.status();
  // Nobody pulls from itself: a caller naming this node is an impostor (in
  // plaintext mode, any local process can claim any name), and the audience
  // check would hand it every private body.
  if (*org == catalog_->org_id()) {
    return absl::PermissionDeniedError(
        absl::StrCat("the caller claims to be '", *org, "', this node itself"));
  }
  if (!catalog_->keyring().IsMember(*org)) {
    return absl::PermissionDeniedError(
        absl::StrCat("'", *org, "' is not a member of this federation"));
  }
  return org;
}

absl::Status FederationService::Acquire(std::map<std::string, int>* per_peer, int* total,
                                        int per_peer_max, int total_max, const std::string& org,
                                        absl::string_view what) {
  if (stopping_) return absl::UnavailableError("the node is stopping");
  int& mine = (*per_peer)[org];
  if (mine >= per_peer_max) {
    return absl::ResourceExhaustedError(
        absl::StrCat("'", org, "' has ", mine, " ", what, " open here, the most one member may"));
  }
  if (*total >= total_max) {
    return absl::ResourceExhaustedError(
        absl::StrCat(*total, " ", what, " are open here, the most this node serves at once"));
  }
  ++mine;
  ++*total;
  return absl::OkStatus();
}

void FederationService::Release(std::map<std::string, int>* per_peer, int* total,
                                const std::string& org) {
  auto it = per_peer->find(org);
  if (it != per_peer->end() && --it->second == 0) per_peer->erase(it);
  --*total;
}

void FederationService::Slot::GiveBack() {
  if (given_back_.exchange(true)) return;
  absl::MutexLock lock(&service_->mu_);
  service_->Release(per_peer_, total_, org_);
}

grpc::ServerUnaryReactor* FederationService::Hello(grpc::CallbackServerContext* context,
                                                   const v1::HelloRequest* request,
                                                   v1::HelloResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> caller = Authenticate(*context);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  absl::StatusOr<v1::HelloResponse> answer = AnswerHello(*catalog_, *request);
  if (answer.ok()) *response = *std::move(answer);
  reactor->Finish(ToGrpcStatus(answer.status()));
  return reactor;
}

grpc::ServerWriteReactor<v1::PullBatch>* FederationService::Pull(
    grpc::CallbackServerContext* context, const v1::PullRequest* request) {
  absl::StatusOr<std::string> caller = Authenticate(*context);
  if (!caller.ok()) return new Refused<v1::PullBatch>(caller.status());
  absl::StatusOr<PlannedPull> plan = PlanPull(*request, *caller, options_.limits);
  if (!plan.ok()) return new Refused<v1::PullBatch>(plan.status());
  {
    absl::MutexLock lock(&mu_);
    absl::Status slot = Acquire(&pulls_, &total_pulls_, options_.max_pulls_per_peer,
                                options_.max_pulls, *caller, "pulls");
    if (!slot.ok()) return new Refused<v1::PullBatch>(slot);
  }
  std::unique_ptr<BatchEncoder> encoder;
  if (request->compression() == kCompressionZstd) {
    absl::StatusOr<std::unique_ptr<BatchEncoder>> made =
        BatchEncoder::Create(options_.compression_level);
    if (!made.ok()) {
      absl::MutexLock lock(&mu_);
      Release(&pulls_, &total_pulls_, *caller);
      return new Refused<v1::PullBatch>(made.status());
    }
    encoder = std::move(*made);
  } else if (request->compression() == "gzip") {
    context->set_compression_algorithm(GRPC_COMPRESS_GZIP);
  }
  auto* reactor =
      new PullReactor(this, *caller, std::move(plan->query), plan->session, std::move(encoder));
  reactor->Begin();
  return reactor;
}

grpc::ServerWriteReactor<v1::ChunkData>* FederationService::GetChunks(
    grpc::CallbackServerContext* context, const v1::GetChunksRequest* request) {
  absl::StatusOr<std::string> caller = Authenticate(*context);
  if (!caller.ok()) return new Refused<v1::ChunkData>(caller.status());
  if (absl::Status valid = CheckChunksRequest(*request); !valid.ok()) {
    return new Refused<v1::ChunkData>(valid);
  }
  {
    absl::MutexLock lock(&mu_);
    absl::Status slot =
        Acquire(&chunk_calls_, &total_chunk_calls_, options_.max_chunk_calls_per_peer,
                options_.max_chunk_calls, *caller, "chunk calls");
    if (!slot.ok()) return new Refused<v1::ChunkData>(slot);
  }
  auto* reactor = new ChunkReactor(this, *caller, *request);
  reactor->Begin();
  return reactor;
}

void FederationService::Wait(PullReactor* reactor) {
  absl::MutexLock lock(&wait_mu_);
  waiting_.insert(reactor);
}

void FederationService::Unwait(PullReactor* reactor) {
  absl::MutexLock lock(&wait_mu_);
  waiting_.erase(reactor);
}

void FederationService::Watch() {
  uint64_t head = catalog_->head_lseq();
  while (true) {
    // Wakes on a commit at once, else every 250 ms for heartbeats and ends.
    catalog_->WaitForHead(head, absl::Milliseconds(250));
    head = catalog_->head_lseq();
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      stopping = stopping_;
    }
    // A reference each, so none is deleted while woken outside the lock.
    std::vector<PullReactor*> waiting;
    {
      absl::MutexLock lock(&wait_mu_);
      for (PullReactor* r : waiting_) {
        r->Ref();
        waiting.push_back(r);
      }
    }
    for (PullReactor* r : waiting) {
      if (stopping) {
        r->Stop();
      } else {
        r->Wake(head);
      }
      r->Unref();
    }
    if (stopping) return;
  }
}

void FederationService::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  // The watcher stops the waiting streams and ends; after this, nothing of
  // the service touches the catalog but streams still in flight, which the
  // server's own shutdown cancels.
  if (watcher_.joinable()) watcher_.join();
}

bool FederationService::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

int FederationService::open_pulls() const {
  absl::MutexLock lock(&mu_);
  return total_pulls_;
}

int FederationService::open_chunk_calls() const {
  absl::MutexLock lock(&mu_);
  return total_chunk_calls_;
}

}  // namespace minga
