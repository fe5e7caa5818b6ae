// The Catalog service on the admin endpoint: reads each request's bytes,
// checks its strings (wire_check.h), parses it, calls the catalog, the
// search view or an upload, and converts back.
//
// Every method is a raw callback handler, so a request that protobuf would
// refuse for invalid UTF-8 gets INVALID_ARGUMENT naming the field, not
// INTERNAL. Work that may block (the store, an upload, fetching a file
// from peers) runs on the queues the caller gives: `workers` for calls
// that take milliseconds, `long_workers` for a download that first fetches
// missing chunks from peers.
//
// Thread safety: gRPC calls handlers concurrently; the objects used are
// safe so.
#ifndef MINGA_NODE_SERVICE_CATALOG_SERVICE_H_
#define MINGA_NODE_SERVICE_CATALOG_SERVICE_H_

#include <string>

#include "minga/v1/catalog.grpc.pb.h"
#include "node/catalog/catalog.h"
#include "node/core/task_queue.h"
#include "node/search/search_view.h"
#include "node/sync/sync_engine.h"

namespace minga {

using RawCatalogService = v1::Catalog::WithRawCallbackMethod_Put<
    v1::Catalog::WithRawCallbackMethod_PutMany<v1::Catalog::WithRawCallbackMethod_Get<
        v1::Catalog::WithRawCallbackMethod_Delete<v1::Catalog::WithRawCallbackMethod_List<
            v1::Catalog::WithRawCallbackMethod_Search<v1::Catalog::WithRawCallbackMethod_Attach<
                v1::Catalog::WithRawCallbackMethod_ListFiles<
                    v1::Catalog::WithRawCallbackMethod_Fetch<v1::Catalog::Service>>>>>>>>>;

struct CatalogServiceDeps {
  Catalog* catalog = nullptr;
  SyncEngine* sync = nullptr;
  search::SearchView* search = nullptr;
  TaskQueue* workers = nullptr;
  TaskQueue* long_workers = nullptr;
};

class CatalogService final : public RawCatalogService {
 public:
  // Everything in `deps`: borrowed, must outlive the service. `actor` is
  // recorded as the author of changes ("admin" on the local socket).
  CatalogService(CatalogServiceDeps deps, std::string actor)
      : deps_(deps), actor_(std::move(actor)) {}

  using Raw = grpc::ByteBuffer;
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* c, const Raw* in, Raw* out) override;
  grpc::ServerUnaryReactor* PutMany(grpc::CallbackServerContext* c, const Raw* in,
                                    Raw* out) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* c, const Raw* in, Raw* out) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* c, const Raw* in,
                                   Raw* out) override;
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext* c, const Raw* in, Raw* out) override;
  grpc::ServerUnaryReactor* Search(grpc::CallbackServerContext* c, const Raw* in,
                                   Raw* out) override;
  grpc::ServerUnaryReactor* ListFiles(grpc::CallbackServerContext* c, const Raw* in,
                                      Raw* out) override;
  grpc::ServerReadReactor<Raw>* Attach(grpc::CallbackServerContext* c, Raw* out) override;
  grpc::ServerWriteReactor<Raw>* Fetch(grpc::CallbackServerContext* c, const Raw* in) override;

 private:
  class AttachReactor;
  class FetchReactor;

  const CatalogServiceDeps deps_;
  const std::string actor_;
};

}  // namespace minga

#endif  // MINGA_NODE_SERVICE_CATALOG_SERVICE_H_
