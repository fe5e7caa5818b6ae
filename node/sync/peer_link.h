// The puller's view of a peer's Federation service, without gRPC types, so
// the sync engine can be tested with fakes. The gRPC implementation is in
// node/net/grpc_peer_link.h.
#ifndef MINGA_NODE_SYNC_PEER_LINK_H_
#define MINGA_NODE_SYNC_PEER_LINK_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "minga/v1/federation.pb.h"

namespace minga {

// One open Pull call. Read and Finish are called by one thread; Cancel may be
// called from any thread, at any time, to end a blocked Read.
class PullStream {
 public:
  virtual ~PullStream() = default;
  // Blocks for the next batch; false when the stream ended (then Finish).
  virtual bool Read(v1::PullBatch* batch) = 0;
  // Why the stream ended. REQUIRES: Read returned false.
  virtual absl::Status Finish() = 0;
  virtual void Cancel() = 0;
  // Bytes of the messages read so far as they crossed the link (batches
  // still compressed; gRPC's own gzip, when used, is not seen). Called by
  // the thread that reads. 0 where there is no link to measure.
  virtual uint64_t bytes_read() const { return 0; }
};

// Thread-safe.
class PeerLink {
 public:
  virtual ~PeerLink() = default;
  // Protocol handshake; the response names the peer's org id and feed.
  virtual absl::StatusOr<v1::HelloResponse> Hello(const v1::HelloRequest& request,
                                                  absl::Duration timeout) = 0;
  virtual std::unique_ptr<PullStream> Pull(const v1::PullRequest& request,
                                           absl::Duration timeout) = 0;
  // Streams the chunks asked for, calling `on_chunk` for each; returning
  // false from it ends the call early (then the result is CANCELLED).
  virtual absl::Status GetChunks(const v1::GetChunksRequest& request, absl::Duration timeout,
                                 const std::function<bool(const v1::ChunkData&)>& on_chunk) = 0;
  // Ends every GetChunks call in progress (they return CANCELLED): the
  // node is stopping.
  virtual void CancelChunkCalls() = 0;
};

}  // namespace minga

#endif  // MINGA_NODE_SYNC_PEER_LINK_H_
