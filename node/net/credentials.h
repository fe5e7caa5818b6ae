// Transport security between nodes: mutual TLS with certificates issued by
// the federation's CA, whose common name is the org id. In plaintext mode
// (loopback only, when the config allows it) the caller names itself in
// the "minga-org" metadata, which is all a demo needs and is why that mode
// refuses non-loopback addresses.
#ifndef MINGA_NODE_NET_CREDENTIALS_H_
#define MINGA_NODE_NET_CREDENTIALS_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "minga/v1/config.pb.h"

namespace minga {

inline constexpr char kOrgMetadataKey[] = "minga-org";

// Server side of the federation listener: requires and verifies a client
// certificate from the CA, or insecure when the config has no TLS.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> FederationServerCredentials(
    const v1::NodeConfig& config);

// Client side, to pull from peers: presents this node's certificate and
// verifies the peer's against the CA.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> FederationChannelCredentials(
    const v1::NodeConfig& config);

// A channel to `address` that accepts only a certificate naming `peer_org`
// (the TLS host name check runs against the org id). Channels with
// different `lane`s to the same peer use different connections; the same
// lane shares one.
std::shared_ptr<grpc::Channel> FederationChannel(
    const std::string& address, const std::string& peer_org,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials, int lane = 0);

// The remote admin endpoint: TLS with this node's certificate (no client
// certificate), and every call must carry "authorization: Bearer <token>"
// whose SHA-256 is one of config.admin_token_sha256.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> RemoteAdminCredentials(
    const v1::NodeConfig& config);

// The caller's org id: the common name of its verified certificate, or with
// plaintext the "minga-org" metadata. UNAUTHENTICATED when there is none;
// PERMISSION_DENIED when the metadata names another org than the
// certificate.
absl::StatusOr<std::string> CallerOrg(const grpc::ServerContextBase& context, bool plaintext);

}  // namespace minga

#endif  // MINGA_NODE_NET_CREDENTIALS_H_
