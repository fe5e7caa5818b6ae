#include "node/service/admin_service.h"

#include <map>

#include "node/catalog/tally.h"
#include "node/net/grpc_status.h"
#include "node/service/raw_unary.h"

namespace minga {
namespace {

// Counts from the catalog's tally: no scan, whatever the catalog's size.
void FillCounts(const v1::storage::Tally& tally, v1::StatusResponse* status) {
  for (const auto& [origin, count] : OriginsInOrder(tally)) {
    v1::OriginCount* c = status->add_origins();
    c->set_origin(origin);
    c->set_materials(count.materials());
    c->set_headers_only(count.headers_only());
    c->set_retracted(count.retracted());
  }
  status->set_files_complete(tally.files_complete());
  status->set_files_missing(tally.files_missing());
  status->set_chunks_stored(tally.chunks_stored());
  status->set_chunk_bytes(tally.chunk_bytes());
  status->set_chunks_missing(tally.chunks_missing());
  status->set_digest(DigestHex(tally));
}

}  // namespace

grpc::Status AdminService::Status(grpc::ServerContext*, const v1::StatusRequest*,
                                  v1::StatusResponse* response) {
  response->set_org_id(catalog_->org_id());
  response->set_feed_id(catalog_->feed_id());
  response->set_head_lseq(catalog_->head_lseq());
  response->set_signing_public_key(catalog_->public_key().ToBase64());
  response->set_store_error(catalog_->kv()->damage());
  response->set_store_bytes(catalog_->kv()->ApproximateDiskBytes());
  FillCounts(catalog_->Counts(), response);
  response->set_uptime_seconds(absl::ToInt64Seconds(absl::Now() - started_));
  response->set_node_version(MINGA_VERSION);
  const uint64_t indexed = search_->position();
  response->set_index_position(indexed);
  response->set_index_lag(response->head_lseq() > indexed ? response->head_lseq() - indexed : 0);
  response->set_index_documents(search_->documents());
  response->set_index_error(search_->last_error());
  absl::StatusOr<std::vector<InterlockHoldInfo>> holds = catalog_->interlock().Holds();
  if (!holds.ok()) return ToGrpcStatus(holds.status());
  for (const InterlockHoldInfo& h : *holds) {
    v1::InterlockHold* out = response->add_interlock();
    out->set_origin(h.origin);
    out->set_held(h.held);
    out->set_tripped_unix_micros(h.tripped_unix_micros);
    out->set_expires_unix_micros(h.expires_unix_micros);
    out->set_tripped_losses(h.tripped_losses);
    out->set_tripped_of(h.tripped_of);
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::Peers(grpc::ServerContext*, const v1::PeersRequest*,
                                 v1::PeersResponse* response) {
  absl::StatusOr<std::vector<InterlockHoldInfo>> holds = catalog_->interlock().Holds();
  if (!holds.ok()) return ToGrpcStatus(holds.status());
  std::map<std::string, uint64_t> held;
  for (const InterlockHoldInfo& h : *holds) held[h.origin] = h.held;
  for (v1::PeerStatus& p : sync_->Peers()) {
    if (auto it = held.find(p.org_id()); it != held.end()) p.set_interlock_held(it->second);
    *response->add_peers() = std::move(p);
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::Release(grpc::ServerContext*, const v1::ReleaseRequest* request,
                                   v1::ReleaseResponse* response) {
  if (request->origin().empty()) {
    return ToGrpcStatus(absl::InvalidArgumentError("origin: required"));
  }
  absl::StatusOr<uint64_t> released = catalog_->interlock().Release(request->origin(), "admin");
  if (!released.ok()) return ToGrpcStatus(released.status());
  // What the released bodies left in the store's files goes now too.
  if (purger_ != nullptr) {
    absl::Status purged = purger_->PurgeNow();
    if (!purged.ok()) return ToGrpcStatus(purged);
  }
  response->set_released(*released);
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* AdminService::Sync(grpc::CallbackServerContext* context,
                                             const grpc::ByteBuffer* request,
                                             grpc::ByteBuffer* response) {
  return RawUnary<v1::SyncRequest, v1::SyncResponse>(
      context, request, response, long_workers_, [this, context](const v1::SyncRequest& r) {
        SyncEngine::SyncOrder order;
        order.peer = r.peer();
        order.wait = r.wait();
        if (r.timeout_seconds() != 0) order.timeout = absl::Seconds(r.timeout_seconds());
        absl::StatusOr<SyncEngine::SyncOutcome> outcome =
            sync_->Sync(order, [context] { return context->IsCancelled(); });
        if (!outcome.ok()) return absl::StatusOr<v1::SyncResponse>(outcome.status());
        v1::SyncResponse response;
        response.set_caught_up(outcome->caught_up);
        for (v1::PeerStatus& p : outcome->peers) *response.add_peers() = std::move(p);
        return absl::StatusOr<v1::SyncResponse>(std::move(response));
      });
}

grpc::Status AdminService::Reindex(grpc::ServerContext* context, const v1::ReindexRequest*,
                                   grpc::ServerWriter<v1::ReindexProgress>* writer) {
  absl::Status s = search_->Reindex([&](uint64_t done, uint64_t total) {
    v1::ReindexProgress p;
    p.set_done(done);
    p.set_total(total);
    writer->Write(p);  // a client that left just misses the progress
  });
  return ToGrpcStatus(s);
}

grpc::Status AdminService::Gc(grpc::ServerContext*, const v1::GcRequest*,
                              v1::GcResponse* response) {
  absl::StatusOr<GcStats> result = catalog_->files().Gc();
  if (!result.ok()) return ToGrpcStatus(result.status());
  // What retractions left in the files goes now too.
  if (purger_ != nullptr) {
    absl::Status purged = purger_->PurgeNow();
    if (!purged.ok()) return ToGrpcStatus(purged);
  }
  response->set_chunks_freed(result->chunks_freed);
  response->set_bytes_freed(result->bytes_freed);
  response->set_chunks_kept(result->chunks_kept);
  response->set_store_bytes_before(result->store_bytes_before);
  response->set_store_bytes_after(result->store_bytes_after);
  return grpc::Status::OK;
}

}  // namespace minga
