// Loading and validating the node config and the federation file (protobuf
// text format, see proto/minga/v1/config.proto and config/*.textproto).
//
// Every error is INVALID_ARGUMENT (or NOT_FOUND for a missing file) and
// names the file, the line where the parser knows it, and the field:
//   "config/alpha.textproto:7:3: peers[0].org_id: 'Beta' is not an org id"
// Thread-safe: pure functions over files.
#ifndef MINGA_NODE_CONFIG_CONFIG_H_
#define MINGA_NODE_CONFIG_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "minga/v1/config.pb.h"
#include "node/core/crypto.h"
#include "node/core/keyring.h"

namespace minga {

// The configuration with no file: org "local", data in ./minga-data, the
// admin socket in it, and no federation listener (a node alone has no
// partner to serve).
v1::NodeConfig DefaultNodeConfig();

// Parses text-format `text`; `source` names it in errors.
absl::StatusOr<v1::NodeConfig> ParseNodeConfig(absl::string_view text, absl::string_view source);
absl::StatusOr<v1::FederationFile> ParseFederationFile(absl::string_view text,
                                                       absl::string_view source);

// Reads, parses, fills defaults, resolves relative paths against the file's
// directory, and validates.
absl::StatusOr<v1::NodeConfig> LoadNodeConfig(const std::string& path);
absl::StatusOr<v1::FederationFile> LoadFederationFile(const std::string& path);

// Fills defaults (data_dir, admin_socket, sync limits) and resolves relative
// paths against `base_dir` ("" leaves them relative).
void ApplyDefaults(v1::NodeConfig* config, const std::string& base_dir);

// Checks a config with defaults applied. `federation` is the membership the
// peers must belong to.
absl::Status ValidateNodeConfig(const v1::NodeConfig& config, const v1::FederationFile& federation);
absl::Status ValidateFederationFile(const v1::FederationFile& federation);

// The federation a node uses: the file's, or when the config names none, a
// federation of this node alone with `own_key`. Checks that the node is a
// member and that the listed key is `own_key`, gives peers without an
// address the member's first listed one, then validates the config.
absl::StatusOr<v1::FederationFile> ResolveFederation(v1::NodeConfig* config,
                                                     const PublicKey& own_key);

Keyring KeyringOf(const v1::FederationFile& federation);

// True for "127.0.0.1:p", "localhost:p", "[::1]:p".
bool IsLoopbackAddress(absl::string_view host_port);

}  // namespace minga

#endif  // MINGA_NODE_CONFIG_CONFIG_H_
