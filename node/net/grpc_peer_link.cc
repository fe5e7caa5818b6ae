#include "node/net/grpc_peer_link.h"

#include <atomic>
#include <set>

#include "absl/synchronization/mutex.h"
#include "minga/v1/federation.grpc.pb.h"
#include "node/core/limits.h"
#include "node/net/credentials.h"
#include "node/net/grpc_status.h"
#include "node/sync/batch_codec.h"

namespace minga {
namespace {

class GrpcPullStream : public PullStream {
 public:
  GrpcPullStream(v1::Federation::Stub* stub, const v1::PullRequest& request, absl::Duration timeout,
                 const std::string& self_org) {
    context_.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
    context_.AddMetadata(kOrgMetadataKey, self_org);
    if (request.compression() == kCompressionZstd) {
      // Revisions decompress to at most a batch's bytes, plus one material
      // (a batch may pass its limit by the revision that reached it).
      absl::StatusOr<std::unique_ptr<BatchDecoder>> decoder =
          BatchDecoder::Create(kMaxBatchBytes + 2 * (kMaxBodyBytes + kMaxHeaderBytes));
      if (decoder.ok())
        decoder_ = std::move(*decoder);
      else
        error_ = decoder.status();
    }
    reader_ = stub->Pull(&context_, request);
  }
  bool Read(v1::PullBatch* batch) override {
    if (!error_.ok() || !reader_->Read(batch)) return false;
    bytes_ += batch->ByteSizeLong();
    if (decoder_ == nullptr) return true;
    error_ = decoder_->Decode(batch);
    if (error_.ok()) return true;
    context_.TryCancel();
    return false;
  }
  absl::Status Finish() override {
    const absl::Status finished = FromGrpcStatus(reader_->Finish());
    return error_.ok() ? finished : error_;
  }
  void Cancel() override { context_.TryCancel(); }
  uint64_t bytes_read() const override { return bytes_; }

 private:
  uint64_t bytes_ = 0;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::PullBatch>> reader_;
  std::unique_ptr<BatchDecoder> decoder_;
  absl::Status error_;  // of decoding: ends the stream
};

class GrpcPeerLink : public PeerLink {
 public:
  GrpcPeerLink(std::shared_ptr<grpc::Channel> channel, std::string self_org,
               const std::vector<std::shared_ptr<grpc::Channel>>& chunk_channels)
      : stub_(v1::Federation::NewStub(channel)), self_org_(std::move(self_org)) {
    for (const auto& c : chunk_channels) chunk_stubs_.push_back(v1::Federation::NewStub(c));
  }

  absl::StatusOr<v1::HelloResponse> Hello(const v1::HelloRequest& request,
                                          absl::Duration timeout) override {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
    context.AddMetadata(kOrgMetadataKey, self_org_);
    v1::HelloResponse response;
    grpc::Status s = stub_->Hello(&context, request, &response);
    if (!s.ok()) return FromGrpcStatus(s);
    return response;
  }

  absl::Status GetChunks(const v1::GetChunksRequest& request, absl::Duration timeout,
                         const std::function<bool(const v1::ChunkData&)>& on_chunk) override {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
    context.AddMetadata(kOrgMetadataKey, self_org_);
    {
      absl::MutexLock lock(&mu_);
      if (cancelled_) return absl::CancelledError("the node is stopping");
      calls_.insert(&context);
    }
    struct Unregister {
      GrpcPeerLink* link;
      grpc::ClientContext* context;
      ~Unregister() {
        absl::MutexLock lock(&link->mu_);
        link->calls_.erase(context);
      }
    } unregister{this, &context};
    v1::Federation::Stub* stub =
        chunk_stubs_.empty()
            ? stub_.get()
            : chunk_stubs_[next_chunk_stub_.fetch_add(1, std::memory_order_relaxed) %
                           chunk_stubs_.size()]
                  .get();
    std::unique_ptr<grpc::ClientReader<v1::ChunkData>> reader = stub->GetChunks(&context, request);
    v1::ChunkData chunk;
    while (reader->Read(&chunk)) {
      if (!on_chunk(chunk)) {
        context.TryCancel();
        while (reader->Read(&chunk)) {
        }
        break;
      }
    }
    return FromGrpcStatus(reader->Finish());
  }

  void CancelChunkCalls() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    for (grpc::ClientContext* c : calls_) c->TryCancel();
  }

  std::unique_ptr<PullStream> Pull(const v1::PullRequest& request,
                                   absl::Duration timeout) override {
    return std::make_unique<GrpcPullStream>(stub_.get(), request, timeout, self_org_);
  }

 private:
  std::unique_ptr<v1::Federation::Stub> stub_;
  std::vector<std::unique_ptr<v1::Federation::Stub>> chunk_stubs_;
  std::atomic<size_t> next_chunk_stub_{0};
  const std::string self_org_;
  absl::Mutex mu_;
  std::set<grpc::ClientContext*> calls_ ABSL_GUARDED_BY(mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

std::unique_ptr<PeerLink> MakeGrpcPeerLink(
    std::shared_ptr<grpc::Channel> channel, std::string self_org,
    std::vector<std::shared_ptr<grpc::Channel>> chunk_channels) {
  return std::make_unique<GrpcPeerLink>(std::move(channel), std::move(self_org), chunk_channels);
}

}  // namespace minga
