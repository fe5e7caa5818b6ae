// The data directory: where each part of a node lives in it, and this
// node's Ed25519 signing key, kept there.
#ifndef MINGA_NODE_SERVER_IDENTITY_H_
#define MINGA_NODE_SERVER_IDENTITY_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "node/core/crypto.h"

namespace minga {

// The store (RocksDB), chunk files and search index under `data_dir`.
std::string StorePath(const std::string& data_dir);
std::string ChunksPath(const std::string& data_dir);
std::string SearchPath(const std::string& data_dir);

// Creates `data_dir` (mode 0700) if missing. Errors name the path.
absl::Status EnsureDataDir(const std::string& data_dir);

// Reads "<data_dir>/signing.key" (the base64 seed, mode 0600): nullopt when
// there is none yet, DATA_LOSS when the file is not a key. Writes nothing.
absl::StatusOr<std::optional<SigningKey>> LoadSigningKey(const std::string& data_dir);

// Reads "<data_dir>/signing.key" (the base64 seed, mode 0600), or makes a
// new key there when the file does not exist. DATA_LOSS when it exists but
// is not a key: a node must never silently change its identity.
absl::StatusOr<SigningKey> LoadOrCreateSigningKey(const std::string& data_dir);

// Replaces the signing key with a new one (after the old one was lost or
// stolen). The old file is kept as "signing.key.retired-<fingerprint>".
// Returns the old public key and the new key. The node must be stopped.
struct RotatedKey {
  PublicKey old_key;
  SigningKey new_key;
};
absl::StatusOr<RotatedKey> RotateSigningKey(const std::string& data_dir);

}  // namespace minga

#endif  // MINGA_NODE_SERVER_IDENTITY_H_
