#include "node/sync/protocol.h"

#include "absl/strings/str_cat.h"
#include "node/core/status_macros.h"
#include "node/core/subscription.h"

namespace minga {

v1::PullRequest ResumeRequest(const v1::storage::PeerState& state,
                              const v1::Subscription& subscription, bool follow,
                              uint32_t max_revisions, uint32_t max_bytes) {
  v1::PullRequest request;
  request.set_protocol_version(kProtocolVersion);
  request.set_feed_id(state.feed_id());
  request.set_after_lseq(state.checkpoint());
  *request.mutable_subscription() = subscription;
  request.set_follow(follow);
  request.set_max_revisions(max_revisions);
  request.set_max_bytes(max_bytes);
  return request;
}

absl::StatusOr<v1::HelloResponse> AnswerHello(const Catalog& catalog,
                                              const v1::HelloRequest& request) {
  if (request.protocol_version() == 0) {
    return absl::InvalidArgumentError("protocol_version: required");
  }
  v1::HelloResponse response;
  response.set_protocol_version(std::min(request.protocol_version(), kProtocolVersion));
  response.add_capabilities(std::string(kCapabilityFollow));
  response.add_capabilities(std::string(kCapabilityChunks));
  response.set_org_id(catalog.org_id());
  response.set_feed_id(catalog.feed_id());
  response.set_head_lseq(catalog.head_lseq());
  return response;
}

absl::StatusOr<PlannedPull> PlanPull(const v1::PullRequest& request, std::string requester,
                                     const ServeLimits& limits) {
  if (request.protocol_version() == 0) {
    return absl::InvalidArgumentError("protocol_version: required");
  }
  RETURN_IF_ERROR(ValidateSubscription(request.subscription(), "subscription"));
  PlannedPull plan;
  plan.query = QueryOf(request, std::move(requester));
  plan.query.max_bytes =
      std::min(plan.query.max_bytes == 0 ? kDefaultBatchBytes : plan.query.max_bytes,
               limits.max_batch_bytes);
  plan.session.follow = request.follow();
  plan.session.heartbeat = HeartbeatOf(request, limits.heartbeat);
  plan.session.max_age = limits.max_age;
  return plan;
}

absl::Status CheckChunksRequest(const v1::GetChunksRequest& request) {
  if (request.sha256_size() == 0 || request.sha256_size() > kMaxChunksPerCall) {
    return absl::InvalidArgumentError(
        absl::StrCat("sha256: 1 to ", kMaxChunksPerCall, " chunk hashes per call"));
  }
  for (int i = 0; i < request.sha256_size(); ++i) {
    if (request.sha256(i).size() != 32) {
      return absl::InvalidArgumentError(absl::StrCat("sha256[", i, "]: must be 32 bytes"));
    }
  }
  return absl::OkStatus();
}

}  // namespace minga
