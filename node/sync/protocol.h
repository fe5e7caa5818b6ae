// The pull protocol's facts, for both sides (the puller, and the service
// that serves a pull): the version, the capabilities, the bounds of a
// request, and how a request becomes a query of the feed. See
// docs/protocol.md.
//
// Thread safety: constants and pure functions.
#ifndef MINGA_NODE_SYNC_PROTOCOL_H_
#define MINGA_NODE_SYNC_PROTOCOL_H_

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "minga/v1/federation.pb.h"
#include "node/catalog/catalog.h"

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

// The heartbeat interval a puller asked for (1 to 300 seconds), or `fallback`.
inline absl::Duration HeartbeatOf(const v1::PullRequest& request, absl::Duration fallback) {
  if (request.heartbeat_seconds() == 0) return fallback;
  return absl::Seconds(std::clamp<uint32_t>(request.heartbeat_seconds(), 1, 300));
}

}  // namespace minga

#endif  // MINGA_NODE_SYNC_PROTOCOL_H_
