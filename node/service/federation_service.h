// The Federation service: serves this node's feed to member peers.
//
// Thin: it authenticates the caller (certificate common name, or metadata
// in plaintext loopback mode), checks membership, and streams batches the
// catalog builds. While following, it waits for new commits and sends an
// empty heartbeat batch when there is no news.
//
// Thread safety: gRPC calls handlers concurrently; Shutdown from any thread.
#ifndef MINGA_NODE_SERVICE_FEDERATION_SERVICE_H_
#define MINGA_NODE_SERVICE_FEDERATION_SERVICE_H_

#include <atomic>

#include "absl/time/time.h"
#include "minga/v1/federation.grpc.pb.h"
#include "node/catalog/catalog.h"

namespace minga {

struct FederationServiceOptions {
  // Callers name themselves in metadata (no TLS). Loopback only.
  bool plaintext = false;
  // An empty batch goes out after this long without news.
  absl::Duration heartbeat = absl::Seconds(15);
};

class FederationService final : public v1::Federation::Service {
 public:
  // catalog: borrowed, must outlive the service.
  FederationService(Catalog* catalog, FederationServiceOptions options)
      : catalog_(catalog), options_(options) {}

  grpc::Status Hello(grpc::ServerContext* context, const v1::HelloRequest* request,
                     v1::HelloResponse* response) override;
  grpc::Status Pull(grpc::ServerContext* context, const v1::PullRequest* request,
                    grpc::ServerWriter<v1::PullBatch>* writer) override;
  grpc::Status GetChunks(grpc::ServerContext* context, const v1::GetChunksRequest* request,
                         grpc::ServerWriter<v1::ChunkData>* writer) override;

  // Ends following streams promptly (before the server shuts down).
  void Shutdown() { stopping_.store(true); }

 private:
  absl::StatusOr<std::string> Authenticate(const grpc::ServerContext& context) const;

  Catalog* const catalog_;
  const FederationServiceOptions options_;
  std::atomic<bool> stopping_{false};
};

}  // namespace minga

#endif  // MINGA_NODE_SERVICE_FEDERATION_SERVICE_H_
