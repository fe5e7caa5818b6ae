#include "node/server/check_config.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "node/config/config.h"
#include "node/core/status_macros.h"
#include "node/server/identity.h"

namespace minga {
namespace {

// The key ResolveFederation checks the federation file against: this node's
// when it has one; before --init, the one the file lists (so everything
// else is still checked), or a throwaway one for a node alone.
absl::StatusOr<PublicKey> KeyToCheckAgainst(const v1::NodeConfig& config, bool* have_key) {
  ASSIGN_OR_RETURN(std::optional<SigningKey> own, LoadSigningKey(config.data_dir()));
  *have_key = own.has_value();
  if (own.has_value()) return own->public_key();
  if (!config.federation_file().empty()) {
    ASSIGN_OR_RETURN(v1::FederationFile f, LoadFederationFile(config.federation_file()));
    for (const v1::Member& m : f.members()) {
      if (m.org_id() != config.org_id()) continue;
      absl::StatusOr<PublicKey> listed = PublicKey::FromBase64(m.signing_public_key());
      if (listed.ok()) return *listed;
    }
  }
  return SigningKey::Generate().public_key();
}

}  // namespace

absl::StatusOr<std::string> CheckConfigFile(const std::string& config_path) {
  ASSIGN_OR_RETURN(v1::NodeConfig config, LoadNodeConfig(config_path));
  bool have_key = false;
  ASSIGN_OR_RETURN(PublicKey key, KeyToCheckAgainst(config, &have_key));
  ASSIGN_OR_RETURN(v1::FederationFile federation, ResolveFederation(&config, key));
  std::string summary =
      absl::StrCat(config_path, ": valid\n  org_id: ", config.org_id(),
                   "\n  data_dir: ", config.data_dir(), "\n  admin socket: ", config.admin_socket(),
                   "\n  federation listener: ", config.listen().empty() ? "none" : config.listen(),
                   config.listen().empty() ? ""
                   : config.has_tls()      ? " (mutual TLS)"
                                           : " (plaintext, loopback)",
                   "\n  federation: ", federation.members_size(), " member(s)",
                   config.federation_file().empty() ? " (this node alone)" : "", "\n  peers:");
  if (config.peers().empty()) absl::StrAppend(&summary, " none");
  for (const v1::PeerConfig& p : config.peers()) {
    absl::StrAppend(&summary, " ", p.org_id(), " (", p.address(), ")");
  }
  if (!config.http().listen().empty()) {
    absl::StrAppend(&summary, "\n  metrics: ", config.http().listen(), "/metrics");
  }
  if (!have_key && !config.federation_file().empty()) {
    absl::StrAppend(&summary,
                    "\n  not checked yet: the data directory has no signing key (run "
                    "--init), so the federation file's key for '",
                    config.org_id(), "' was not compared with it");
  }
  return absl::StrCat(summary, "\n");
}

}  // namespace minga
