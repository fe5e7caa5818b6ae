// LocalPeerLink: a PeerLink to a partner's Catalog in the same process. It
// serves Hello, Pull and GetChunks by the same rules as the gRPC service
// (protocol.h, PullSession), without a network, for the unit tests of the
// sync engine, the test harness, the property tests and the benchmark.
//
// A pull is served on the thread that reads it: Read() reads the next batch
// of the partner's feed, and while following waits for a commit, a
// heartbeat or the session's end (the clock decides when those are due).
//
// Thread safety: thread-safe, as PeerLink requires; one PullStream is read
// by one thread, and Cancel may come from any.
#ifndef MINGA_NODE_SYNC_LOCAL_PEER_LINK_H_
#define MINGA_NODE_SYNC_LOCAL_PEER_LINK_H_

#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "node/catalog/catalog.h"
#include "node/core/clock.h"
#include "node/sync/peer_link.h"
#include "node/sync/protocol.h"

namespace minga {

class LocalPeerLink : public PeerLink {
 public:
  // serving: the partner's catalog; requester: the org id the partner sees
  // as the caller (what mutual TLS would authenticate). serving and clock:
  // borrowed, must outlive the link and its streams.
  LocalPeerLink(Catalog* serving, std::string requester, Clock* clock, ServeLimits limits = {});

  absl::StatusOr<v1::HelloResponse> Hello(const v1::HelloRequest& request,
                                          absl::Duration timeout) override;
  // A request the partner refuses gives a stream whose Finish says why.
  std::unique_ptr<PullStream> Pull(const v1::PullRequest& request, absl::Duration timeout) override;
  absl::Status GetChunks(const v1::GetChunksRequest& request, absl::Duration timeout,
                         const std::function<bool(const v1::ChunkData&)>& on_chunk) override;
  void CancelChunkCalls() override {}  // calls run on the caller's thread

 private:
  Catalog* const serving_;
  const std::string requester_;
  Clock* const clock_;
  const ServeLimits limits_;
};

// The first batch a pull with `request` gets (then the stream is ended):
// one step of a pull, for tests that interleave steps and faults.
absl::StatusOr<v1::PullBatch> ReadFirstBatch(PeerLink* link, const v1::PullRequest& request);

}  // namespace minga

#endif  // MINGA_NODE_SYNC_LOCAL_PEER_LINK_H_
