// PeerLink over a gRPC channel to a peer's Federation service.
#ifndef MINGA_NODE_NET_GRPC_PEER_LINK_H_
#define MINGA_NODE_NET_GRPC_PEER_LINK_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "node/sync/peer_link.h"

namespace minga {

// `self_org` is sent as "minga-org" metadata: with plaintext it is all the
// server knows of the caller; with TLS the server checks it against the
// certificate. Chunk calls take turns over `chunk_channels` (channels to
// the same peer on their own connections; empty: `channel`), so a file
// transfer's decryption and framing spread over the cores instead of
// queueing on one connection; hellos and pulls use `channel`.
std::unique_ptr<PeerLink> MakeGrpcPeerLink(
    std::shared_ptr<grpc::Channel> channel, std::string self_org,
    std::vector<std::shared_ptr<grpc::Channel>> chunk_channels = {});

}  // namespace minga

#endif  // MINGA_NODE_NET_GRPC_PEER_LINK_H_
