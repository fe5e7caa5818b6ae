#include "client/commands/session.h"

#include <chrono>

namespace minga::cli {

std::unique_ptr<grpc::ClientContext> Session::Context(absl::Duration override_timeout) const {
  auto context = std::make_unique<grpc::ClientContext>();
  const absl::Duration t = override_timeout > absl::ZeroDuration() ? override_timeout : timeout;
  context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(t));
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  return context;
}

}  // namespace minga::cli
