// The one place where absl::Status and grpc::Status meet. The codes are the
// same numbers in both.
#ifndef MINGA_NODE_NET_GRPC_STATUS_H_
#define MINGA_NODE_NET_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace minga {

inline grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

inline absl::Status FromGrpcStatus(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

}  // namespace minga

#endif  // MINGA_NODE_NET_GRPC_STATUS_H_
