#include "node/service/catalog_service.h"

#include "node/net/grpc_status.h"

namespace minga {

grpc::Status CatalogService::Put(grpc::ServerContext*, const v1::PutRequest* request,
                                 v1::PutResponse* response) {
  absl::StatusOr<v1::MaterialView> view = catalog_->Put(*request, actor_);
  if (!view.ok()) return ToGrpcStatus(view.status());
  *response->mutable_material() = std::move(*view);
  return grpc::Status::OK;
}

grpc::Status CatalogService::PutMany(grpc::ServerContext*,
                                     const v1::PutManyRequest* request,
                                     v1::PutManyResponse* response) {
  std::vector<v1::PutRequest> items(request->items().begin(), request->items().end());
  absl::StatusOr<std::vector<v1::PutResult>> results =
      catalog_->PutMany(std::move(items), actor_);
  if (!results.ok()) return ToGrpcStatus(results.status());
  for (v1::PutResult& r : *results) *response->add_results() = std::move(r);
  return grpc::Status::OK;
}

grpc::Status CatalogService::Get(grpc::ServerContext*, const v1::GetRequest* request,
                                 v1::GetResponse* response) {
  absl::StatusOr<v1::MaterialView> view = catalog_->Get(request->id());
  if (!view.ok()) return ToGrpcStatus(view.status());
  *response->mutable_material() = std::move(*view);
  return grpc::Status::OK;
}

grpc::Status CatalogService::Delete(grpc::ServerContext*,
                                    const v1::DeleteRequest* request,
                                    v1::DeleteResponse* response) {
  absl::StatusOr<v1::MaterialView> view =
      catalog_->Delete(request->id(), request->if_version(), actor_);
  if (!view.ok()) return ToGrpcStatus(view.status());
  *response->mutable_material() = std::move(*view);
  return grpc::Status::OK;
}

grpc::Status CatalogService::List(grpc::ServerContext*, const v1::ListRequest* request,
                                  v1::ListResponse* response) {
  absl::StatusOr<v1::ListResponse> list = catalog_->List(*request);
  if (!list.ok()) return ToGrpcStatus(list.status());
  *response = std::move(*list);
  return grpc::Status::OK;
}

grpc::Status CatalogService::Search(grpc::ServerContext*, const v1::SearchRequest* request,
                                    v1::SearchResponse* response) {
  absl::StatusOr<v1::SearchResponse> result = search_->Search(*request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

}  // namespace minga
