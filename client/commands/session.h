// What every `minga` command shares: the node it talks to, the output mode
// and the deadline of each call.
#ifndef MINGA_CLIENT_COMMANDS_SESSION_H_
#define MINGA_CLIENT_COMMANDS_SESSION_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/cli/args.h"
#include "minga/v1/admin.grpc.pb.h"
#include "minga/v1/catalog.grpc.pb.h"

namespace minga::cli {

struct Session {
  // gRPC target: "unix:PATH" or "host:port".
  std::string node;
  bool json = false;
  absl::Duration timeout = absl::Seconds(30);
  // Sent as "authorization: Bearer <token>" (remote admin over TLS).
  std::string token;
  std::shared_ptr<grpc::Channel> channel;

  // A context whose deadline is `timeout` from now (or `override` if set).
  std::unique_ptr<grpc::ClientContext> Context(
      absl::Duration override_timeout = absl::ZeroDuration()) const;
  std::unique_ptr<v1::Catalog::Stub> Catalog() const { return v1::Catalog::NewStub(channel); }
  std::unique_ptr<v1::Admin::Stub> Admin() const { return v1::Admin::NewStub(channel); }
};

struct Command {
  const char* name;
  const char* summary;  // one line, for `minga --help`
  const char* usage;    // the full help of the command
  FlagSpec flags;
  std::function<int(Session&, const Args&)> run;
};

// The command table, in the order `minga --help` lists them.
std::vector<Command> CatalogCommands();
std::vector<Command> TransferCommands();
std::vector<Command> AdminCommands();
std::vector<Command> SearchCommands();
std::vector<Command> FileCommands();
std::vector<Command> HarvestCommands();

}  // namespace minga::cli

#endif  // MINGA_CLIENT_COMMANDS_SESSION_H_
