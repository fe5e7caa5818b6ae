// Fuzzes the files an administrator (or whoever can write them) gives a
// node: the node config and the federation file, both protobuf text format,
// through parsing, defaults, validation and resolving the federation. The
// input is the config, then a line "---", then the federation file.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "node/config/config.h"
#include "node/core/crypto.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const minga::SigningKey* key = [] {
    if (!minga::InitCrypto().ok()) abort();
    return new minga::SigningKey(minga::SigningKey::Generate());
  }();
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t cut = input.find("\n---\n");
  const absl::string_view config_text = input.substr(0, cut);
  const absl::string_view federation_text =
      cut == absl::string_view::npos ? absl::string_view() : input.substr(cut + 5);

  absl::StatusOr<minga::v1::FederationFile> federation =
      minga::ParseFederationFile(federation_text, "federation.textproto");
  if (federation.ok() && minga::ValidateFederationFile(*federation).ok()) {
    (void)minga::KeyringOf(*federation);
  }
  absl::StatusOr<minga::v1::NodeConfig> config =
      minga::ParseNodeConfig(config_text, "node.textproto");
  if (!config.ok()) return 0;
  minga::ApplyDefaults(&*config, "/nonexistent/minga");
  if (federation.ok()) (void)minga::ValidateNodeConfig(*config, *federation);
  (void)minga::ResolveFederation(&*config, key->public_key());
  return 0;
}
