// The pull protocol's facts and rules, for both sides, without gRPC: the
// version, the capabilities and the bounds of a request; on the pulling
// side, the request that resumes from a stored checkpoint; on the serving
// side, the answer to Hello and how a request is checked and becomes a
// query of the feed and a PullSession. The gRPC service
// (node/service/federation_service.h), the in-process LocalPeerLink
// (local_peer_link.h) and the Puller all use these. See docs/protocol.md.
//
// Thread safety: constants and pure functions (the catalog's are
// thread-safe reads).
#ifndef MINGA_NODE_SYNC_PROTOCOL_H_
#define MINGA_NODE_SYNC_PROTOCOL_H_

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "minga/v1/federation.pb.h"
#include "minga/v1/storage.pb.h"
#include "node/catalog/catalog.h"
#include "node/core/defaults.h"
#include "node/sync/pull_session.h"

namespace minga {

inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr absl::string_view kCapabilityFollow = "pull.follow";
inline constexpr absl::string_view kCapabilityChunks = "files.chunks";

// Hashes one GetChunks call may ask for.
inline constexpr int kMaxChunksPerCall = 64;
// A request (Hello, Pull, GetChunks) is a few KiB; the federation listener
// refuses larger ones before parsing them.
inline constexpr int kMaxFederationRequestBytes = 64 << 10;

// What a Pull request asks of this node's feed, for `requester` (the org
// the transport authenticated).
inline PullQuery QueryOf(const v1::PullRequest& request, std::string requester) {
  PullQuery q;
  q.requester = std::move(requester);
  q.subscription = request.subscription();
  q.feed_id = request.feed_id();
  q.after_lseq = request.after_lseq();
  q.max_revisions = request.max_revisions();
  q.max_bytes = request.max_bytes();
  return q;
}

// How long a puller waits for a partner's answer to Hello: a small unary
// call, so longer means the partner or the link is not working.
inline constexpr absl::Duration kHelloTimeout = absl::Seconds(10);

// The heartbeat interval a puller asked for (1 to 300 seconds), or `fallback`.
inline absl::Duration HeartbeatOf(const v1::PullRequest& request, absl::Duration fallback) {
  if (request.heartbeat_seconds() == 0) return fallback;
  return absl::Seconds(std::clamp<uint32_t>(request.heartbeat_seconds(), 1, 300));
}

// Pulling side: the request that resumes from `state` (the stored
// checkpoint of a peer), following or not.
v1::PullRequest ResumeRequest(const v1::storage::PeerState& state,
                              const v1::Subscription& subscription, bool follow,
                              uint32_t max_revisions, uint32_t max_bytes);

// Serving side: this node's answer to a Hello. INVALID_ARGUMENT names the
// field a request gets wrong.
absl::StatusOr<v1::HelloResponse> AnswerHello(const Catalog& catalog,
                                              const v1::HelloRequest& request);

// Serving side: what this node allows any pull.
struct ServeLimits {
  absl::Duration heartbeat = defaults::kHeartbeat;  // when the puller names none
  absl::Duration max_age = defaults::kMaxPullAge;
  uint32_t max_batch_bytes = 2 << 20;  // whatever the puller asks
};

// Serving side: a Pull request, checked (INVALID_ARGUMENT naming the
// field), as the query of the feed for `requester` and the session's
// options.
struct PlannedPull {
  PullQuery query;
  PullSessionOptions session;
};
absl::StatusOr<PlannedPull> PlanPull(const v1::PullRequest& request, std::string requester,
                                     const ServeLimits& limits);

// Serving side: a GetChunks request's bounds (INVALID_ARGUMENT naming the
// field).
absl::Status CheckChunksRequest(const v1::GetChunksRequest& request);

}  // namespace minga

#endif  // MINGA_NODE_SYNC_PROTOCOL_H_
