// The Catalog service on the admin endpoint: converts requests, calls the
// catalog, converts back. No logic of its own.
//
// Thread safety: gRPC calls handlers concurrently; the catalog is safe so.
#ifndef MINGA_NODE_SERVICE_CATALOG_SERVICE_H_
#define MINGA_NODE_SERVICE_CATALOG_SERVICE_H_

#include "minga/v1/catalog.grpc.pb.h"
#include "node/catalog/catalog.h"
#include "node/search/search_view.h"
#include "node/sync/sync_engine.h"

namespace minga {

class CatalogService final : public v1::Catalog::Service {
 public:
  // catalog, sync, search: borrowed, must outlive the service. `actor` is
  // recorded as the author of changes ("admin" on the local socket).
  CatalogService(Catalog* catalog, SyncEngine* sync, search::SearchView* search,
                 std::string actor)
      : catalog_(catalog), sync_(sync), search_(search), actor_(std::move(actor)) {}

  grpc::Status Put(grpc::ServerContext*, const v1::PutRequest* request,
                   v1::PutResponse* response) override;
  grpc::Status PutMany(grpc::ServerContext*, const v1::PutManyRequest* request,
                       v1::PutManyResponse* response) override;
  grpc::Status Get(grpc::ServerContext*, const v1::GetRequest* request,
                   v1::GetResponse* response) override;
  grpc::Status Delete(grpc::ServerContext*, const v1::DeleteRequest* request,
                      v1::DeleteResponse* response) override;
  grpc::Status List(grpc::ServerContext*, const v1::ListRequest* request,
                    v1::ListResponse* response) override;
  grpc::Status Search(grpc::ServerContext*, const v1::SearchRequest* request,
                      v1::SearchResponse* response) override;
  grpc::Status Attach(grpc::ServerContext* context,
                      grpc::ServerReader<v1::AttachRequest>* reader,
                      v1::AttachResponse* response) override;
  grpc::Status ListFiles(grpc::ServerContext*, const v1::ListFilesRequest* request,
                         v1::ListFilesResponse* response) override;
  grpc::Status Fetch(grpc::ServerContext* context, const v1::FetchRequest* request,
                     grpc::ServerWriter<v1::FetchResponse>* writer) override;

 private:
  Catalog* const catalog_;
  SyncEngine* const sync_;
  search::SearchView* const search_;
  const std::string actor_;
};

}  // namespace minga

#endif  // MINGA_NODE_SERVICE_CATALOG_SERVICE_H_
