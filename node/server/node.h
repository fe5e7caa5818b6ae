// Node: wires a running minga-node from its config: the store, the catalog,
// the sync engine, and the gRPC servers (admin on a unix socket, federation
// on TCP), with the standard health service and server reflection.
//
// Thread safety: Shutdown may be called from any thread (a signal handler
// thread, say) and more than once; Wait blocks until it is done.
#ifndef MINGA_NODE_SERVER_NODE_H_
#define MINGA_NODE_SERVER_NODE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "minga/v1/config.pb.h"

namespace minga {

class Node {
 public:
  // Owns threads or locks: neither copied nor moved.
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Starts everything. Errors name the config field or file at fault;
  // nothing is left running on error.
  static absl::StatusOr<std::unique_ptr<Node>> Start(v1::NodeConfig config);
  ~Node();

  void Shutdown();
  void Wait();

  // The federation listener's port (useful when `listen` asked for port 0).
  int federation_port() const;

 private:
  struct Parts;
  explicit Node(std::unique_ptr<Parts> parts);
  // The steps of Start, each filling `parts`; on error, Parts' destructor
  // stops what was started.
  static absl::Status OpenStores(const v1::NodeConfig& config, Parts* parts);
  static absl::Status MakeServices(const v1::NodeConfig& config, Parts* parts);
  static absl::Status StartServers(const v1::NodeConfig& config, Parts* parts);
  // Parts of StartServers: the HTTP listener (metrics, OAI-PMH) and the
  // two admin endpoints (local socket, remote mutual TLS).
  static absl::Status StartHttp(const v1::NodeConfig& config, Parts* parts);
  static absl::Status StartAdminServers(const v1::NodeConfig& config, Parts* parts);
  std::unique_ptr<Parts> parts_;
  absl::Notification done_;
};

}  // namespace minga

#endif  // MINGA_NODE_SERVER_NODE_H_
