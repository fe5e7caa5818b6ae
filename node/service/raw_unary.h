// A raw unary call: its request's strings are checked and it is parsed
// (wire_check.h), then `fn` runs on `workers` (it may block on the store)
// and its result becomes the answer. The glue every raw handler shares.
//
// Thread safety: as the handlers that call it.
#ifndef MINGA_NODE_SERVICE_RAW_UNARY_H_
#define MINGA_NODE_SERVICE_RAW_UNARY_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "node/core/task_queue.h"
#include "node/net/grpc_status.h"
#include "node/service/wire_check.h"

namespace minga {

// `fn`: absl::StatusOr<Response>(Request&), which may move from the
// request. `in` and `out` live until the reactor finishes, which happens on
// the worker.
template <typename Request, typename Response, typename Fn>
grpc::ServerUnaryReactor* RawUnary(grpc::CallbackServerContext* context, const grpc::ByteBuffer* in,
                                   grpc::ByteBuffer* out, TaskQueue* workers, Fn fn) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  workers->Post([in, out, reactor, fn = std::move(fn)] {
    absl::StatusOr<Request> request = ParseRequest<Request>(*in);
    if (!request.ok()) {
      reactor->Finish(ToGrpcStatus(request.status()));
      return;
    }
    absl::StatusOr<Response> response = fn(*request);
    if (!response.ok()) {
      reactor->Finish(ToGrpcStatus(response.status()));
      return;
    }
    ToByteBuffer(*response, out);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

}  // namespace minga

#endif  // MINGA_NODE_SERVICE_RAW_UNARY_H_
