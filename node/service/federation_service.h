// The Federation service: serves this node's feed and file chunks to member
// peers, on gRPC's callback API.
//
// It authenticates the caller (certificate common name, or metadata in
// plaintext loopback mode), refuses a caller naming this node itself or no
// member, and hands the protocol to PullSession (node/sync). A stream holds
// no thread: store reads run on the node's TaskQueue, writes complete
// asynchronously, and a following pull that waits for news is only an
// entry in a list one thread watches. So a member that opens streams and
// never reads them costs memory for one batch each, within these bounds:
//   - concurrent pulls: max_pulls_per_peer per org, max_pulls in all;
//   - concurrent chunk calls: max_chunk_calls_per_peer, max_chunk_calls;
//   - a pull ends after limits.max_age (the puller resumes from its
//     checkpoint), so a stalled one frees its slot;
// and a call over a bound is refused at once with RESOURCE_EXHAUSTED.
//
// Thread safety: gRPC calls handlers concurrently; Shutdown from any
// thread, before the server shuts down.
#ifndef MINGA_NODE_SERVICE_FEDERATION_SERVICE_H_
#define MINGA_NODE_SERVICE_FEDERATION_SERVICE_H_

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "minga/v1/federation.grpc.pb.h"
#include "node/catalog/catalog.h"
#include "node/core/clock.h"
#include "node/core/defaults.h"
#include "node/core/task_queue.h"
#include "node/sync/protocol.h"

namespace minga {

struct FederationServiceOptions {
  // Callers name themselves in metadata (no TLS). Loopback only.
  bool plaintext = false;
  // Heartbeat, the age at which a pull ends (the puller opens it again) and
  // the largest batch this node builds, whatever a puller asks (bounds the
  // memory of a stream its reader left).
  ServeLimits limits;
  int max_pulls_per_peer = defaults::kMaxPullsPerPeer;
  int max_pulls = defaults::kMaxPulls;
  int max_chunk_calls_per_peer = defaults::kMaxChunkCallsPerPeer;
  int max_chunk_calls = defaults::kMaxChunkCalls;
  // Threads that read the store for streams.
  int workers = 2;
  // zstd level of batches for pullers that ask for zstd.
  int compression_level = defaults::kCompressionLevel;
};

class FederationService final : public v1::Federation::CallbackService {
 public:
  // catalog, clock: borrowed, must outlive the service.
  FederationService(Catalog* catalog, FederationServiceOptions options,
                    Clock* clock = SystemClock());
  ~FederationService() override;

  grpc::ServerUnaryReactor* Hello(grpc::CallbackServerContext* context,
                                  const v1::HelloRequest* request,
                                  v1::HelloResponse* response) override;
  grpc::ServerWriteReactor<v1::PullBatch>* Pull(grpc::CallbackServerContext* context,
                                                const v1::PullRequest* request) override;
  grpc::ServerWriteReactor<v1::ChunkData>* GetChunks(grpc::CallbackServerContext* context,
                                                     const v1::GetChunksRequest* request) override;

  // Ends every waiting stream (UNAVAILABLE), refuses new ones, and stops
  // watching the catalog. Idempotent; call it before the server shuts down
  // and before the catalog goes.
  void Shutdown();

  // Streams open now (for tests and status).
  int open_pulls() const;
  int open_chunk_calls() const;
  // File chunks (and their bytes) sent to partners since the node started.
  uint64_t chunks_served() const { return chunks_served_.load(); }
  uint64_t chunk_bytes_served() const { return chunk_bytes_served_.load(); }

 private:
  class PullReactor;
  class ChunkReactor;
  friend class PullReactor;
  friend class ChunkReactor;

  // A slot one caller holds (a pull or a chunk call), taken by Acquire.
  // Given back once, by whichever comes first: the call finishing (so the
  // caller may open the next at once) or gRPC being done with it.
  class Slot {
   public:
    Slot(FederationService* service, std::map<std::string, int>* per_peer, int* total,
         std::string org)
        : service_(service), per_peer_(per_peer), total_(total), org_(std::move(org)) {}
    void GiveBack();

   private:
    FederationService* const service_;
    std::map<std::string, int>* const per_peer_;
    int* const total_;
    const std::string org_;
    std::atomic<bool> given_back_{false};
  };

  absl::StatusOr<std::string> Authenticate(const grpc::CallbackServerContext& context) const;
  // Takes a slot of `kind` for `org`, or says why not.
  absl::Status Acquire(std::map<std::string, int>* per_peer, int* total, int per_peer_max,
                       int total_max, const std::string& org, absl::string_view what)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Release(std::map<std::string, int>* per_peer, int* total, const std::string& org)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Following pulls waiting for news: the watcher wakes them.
  bool stopping() const ABSL_LOCKS_EXCLUDED(mu_);
  void Wait(PullReactor* reactor);
  void Unwait(PullReactor* reactor);
  void Watch();

  Catalog* const catalog_;
  const FederationServiceOptions options_;
  Clock* const clock_;
  TaskQueue workers_;

  mutable absl::Mutex mu_;
  std::map<std::string, int> pulls_ ABSL_GUARDED_BY(mu_);
  int total_pulls_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int> chunk_calls_ ABSL_GUARDED_BY(mu_);
  int total_chunk_calls_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Pulls waiting for news. Lock order: a reactor's lock, then wait_mu_;
  // the watcher holds neither while it calls a reactor.
  absl::Mutex wait_mu_;
  std::set<PullReactor*> waiting_ ABSL_GUARDED_BY(wait_mu_);
  std::thread watcher_;
  std::atomic<uint64_t> chunks_served_{0};
  std::atomic<uint64_t> chunk_bytes_served_{0};
};

}  // namespace minga

#endif  // MINGA_NODE_SERVICE_FEDERATION_SERVICE_H_
