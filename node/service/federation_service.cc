#include "node/service/federation_service.h"

#include "absl/strings/str_cat.h"
#include "node/core/log.h"
#include "node/core/subscription.h"
#include "node/net/credentials.h"
#include "node/net/grpc_status.h"

namespace minga {

inline constexpr uint32_t kProtocolVersion = 1;

absl::StatusOr<std::string> FederationService::Authenticate(
    const grpc::ServerContext& context) const {
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

grpc::Status FederationService::Hello(grpc::ServerContext* context,
                                      const v1::HelloRequest* request,
                                      v1::HelloResponse* response) {
  absl::StatusOr<std::string> caller = Authenticate(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (request->protocol_version() == 0) {
    return ToGrpcStatus(absl::InvalidArgumentError("protocol_version: required"));
  }
  response->set_protocol_version(std::min(request->protocol_version(), kProtocolVersion));
  response->add_capabilities("pull.follow");
  response->add_capabilities("files.chunks");
  response->set_org_id(catalog_->org_id());
  response->set_feed_id(catalog_->feed_id());
  response->set_head_lseq(catalog_->head_lseq());
  return grpc::Status::OK;
}

grpc::Status FederationService::Pull(grpc::ServerContext* context,
                                     const v1::PullRequest* request,
                                     grpc::ServerWriter<v1::PullBatch>* writer) {
  absl::StatusOr<std::string> caller = Authenticate(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (request->protocol_version() == 0) {
    return ToGrpcStatus(absl::InvalidArgumentError("protocol_version: required"));
  }
  absl::Status valid = ValidateSubscription(request->subscription(), "subscription");
  if (!valid.ok()) return ToGrpcStatus(valid);

  PullQuery query;
  query.requester = *caller;
  query.subscription = request->subscription();
  query.feed_id = request->feed_id();
  query.after_lseq = request->after_lseq();
  query.max_revisions = request->max_revisions();
  query.max_bytes = request->max_bytes();

  const absl::Duration heartbeat =
      request->heartbeat_seconds() == 0
          ? options_.heartbeat
          : absl::Seconds(std::clamp<uint32_t>(request->heartbeat_seconds(), 1, 300));
  bool first = true;
  absl::Time last_sent = absl::Now();
  while (!context->IsCancelled() && !stopping_.load()) {
    absl::StatusOr<v1::PullBatch> batch = catalog_->ReadBatch(query);
    if (!batch.ok()) {
      LogError(absl::StrCat("pull by ", *caller, ": ", batch.status().message()));
      return ToGrpcStatus(batch.status());
    }
    const bool moved = batch->to_lseq() != query.after_lseq ||
                       batch->feed_id() != query.feed_id;
    if (first || moved || batch->revisions_size() > 0 ||
        absl::Now() - last_sent >= heartbeat) {
      if (!writer->Write(*batch)) return grpc::Status::OK;  // the puller left
      last_sent = absl::Now();
    }
    first = false;
    query.feed_id = batch->feed_id();
    query.after_lseq = batch->to_lseq();
    if (query.after_lseq < catalog_->head_lseq()) continue;  // more to send
    if (!request->follow()) return grpc::Status::OK;
    // Caught up: sleep until a commit or the next heartbeat, in short
    // slices so cancellation and shutdown are noticed.
    const absl::Time heartbeat_at = last_sent + heartbeat;
    while (!context->IsCancelled() && !stopping_.load() && absl::Now() < heartbeat_at) {
      const absl::Duration slice = std::min(absl::Milliseconds(250), heartbeat_at - absl::Now());
      if (catalog_->WaitForHead(query.after_lseq, slice)) break;
    }
  }
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the node is stopping");
}

}  // namespace minga

namespace minga {

grpc::Status FederationService::GetChunks(grpc::ServerContext* context,
                                          const v1::GetChunksRequest* request,
                                          grpc::ServerWriter<v1::ChunkData>* writer) {
  absl::StatusOr<std::string> caller = Authenticate(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (request->sha256_size() == 0 || request->sha256_size() > 64) {
    return ToGrpcStatus(absl::InvalidArgumentError("sha256: 1 to 64 chunk hashes per call"));
  }
  // Every chunk is checked before any is sent: a request mixing a chunk
  // the caller may read with one it may not is refused whole.
  for (int i = 0; i < request->sha256_size(); ++i) {
    if (request->sha256(i).size() != 32) {
      return ToGrpcStatus(absl::InvalidArgumentError(
          absl::StrCat("sha256[", i, "]: must be 32 bytes")));
    }
  }
  absl::StatusOr<std::vector<bool>> may_read = catalog_->CheckChunkAccess(
      *caller, request->material_id(),
      std::vector<std::string>(request->sha256().begin(), request->sha256().end()));
  if (!may_read.ok()) return ToGrpcStatus(may_read.status());
  for (int i = 0; i < request->sha256_size(); ++i) {
    if (context->IsCancelled() || stopping_.load()) break;
    const std::string& sha = request->sha256(i);
    // A withheld chunk is answered exactly like one this node lacks.
    absl::StatusOr<std::optional<std::string>> data =
        (*may_read)[i] ? catalog_->ReadChunk(sha)
                    : absl::StatusOr<std::optional<std::string>>(std::nullopt);
    if (!data.ok()) return ToGrpcStatus(data.status());
    v1::ChunkData chunk;
    chunk.set_sha256(sha);
    if (data->has_value()) {
      chunk.set_data(std::move(**data));
    } else {
      chunk.set_missing(true);
    }
    if (!writer->Write(chunk)) break;
  }
  return grpc::Status::OK;
}

}  // namespace minga
