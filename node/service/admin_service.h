// The Admin service on the admin endpoint: status, peers and sync.
// Thread safety: handlers run concurrently; the objects used are safe so.
#ifndef MINGA_NODE_SERVICE_ADMIN_SERVICE_H_
#define MINGA_NODE_SERVICE_ADMIN_SERVICE_H_

#include "absl/time/time.h"
#include "minga/v1/admin.grpc.pb.h"
#include "node/catalog/catalog.h"
#include "node/core/task_queue.h"
#include "node/maintenance/purger.h"
#include "node/search/search_view.h"
#include "node/sync/sync_engine.h"

namespace minga {

// Sync, the one request with a string (a peer's org id), is a raw handler
// whose strings are checked before parsing (wire_check.h); it waits on
// `long_workers`.
class AdminService final : public v1::Admin::WithRawCallbackMethod_Sync<v1::Admin::Service> {
 public:
  // catalog, sync, search, long_workers: borrowed, must outlive the service.
  // purger may be null (nothing to purge on Gc).
  AdminService(Catalog* catalog, SyncEngine* sync, search::SearchView* search, Purger* purger,
               TaskQueue* long_workers)
      : catalog_(catalog),
        sync_(sync),
        search_(search),
        purger_(purger),
        long_workers_(long_workers),
        started_(absl::Now()) {}

  grpc::Status Status(grpc::ServerContext*, const v1::StatusRequest*,
                      v1::StatusResponse* response) override;
  grpc::Status Peers(grpc::ServerContext*, const v1::PeersRequest*,
                     v1::PeersResponse* response) override;
  grpc::ServerUnaryReactor* Sync(grpc::CallbackServerContext* context,
                                 const grpc::ByteBuffer* request,
                                 grpc::ByteBuffer* response) override;
  grpc::Status Reindex(grpc::ServerContext* context, const v1::ReindexRequest*,
                       grpc::ServerWriter<v1::ReindexProgress>* writer) override;
  grpc::Status Gc(grpc::ServerContext*, const v1::GcRequest*, v1::GcResponse* response) override;
  grpc::Status Release(grpc::ServerContext*, const v1::ReleaseRequest* request,
                       v1::ReleaseResponse* response) override;

 private:
  Catalog* const catalog_;
  SyncEngine* const sync_;
  search::SearchView* const search_;
  Purger* const purger_;
  TaskQueue* const long_workers_;
  const absl::Time started_;
};

}  // namespace minga

#endif  // MINGA_NODE_SERVICE_ADMIN_SERVICE_H_
