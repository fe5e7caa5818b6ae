// Making, decoding and checking signed revisions (see revision.proto).
//
// A revision is accepted only when (1) its header decodes and is well formed,
// (2) the header's signature verifies with the origin's key, and (3) the body,
// when present, has the size and SHA-256 the header names and decodes to a
// material with the header's id. Pure functions, thread-safe.
#ifndef MINGA_NODE_CORE_REVISION_H_
#define MINGA_NODE_CORE_REVISION_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "minga/v1/material.pb.h"
#include "minga/v1/revision.pb.h"
#include "node/core/crypto.h"
#include "node/core/keyring.h"
#include "node/core/validate.h"

namespace minga {

inline constexpr uint32_t kHeaderFormat = 1;

// What the origin decides for a new revision; the body hash and size are
// computed by SignRevision.
struct RevisionSpec {
  std::string material_id;
  uint64_t version = 0;
  bool deleted = false;
  v1::Audience audience;  // canonical (see NormalizeAudience)
  int64_t time_unix_micros = 0;
};

// The bytes an Ed25519 signature covers: "minga.v1.header", a zero byte, then
// the serialized header.
std::string SignaturePayload(absl::string_view header_bytes);

// Builds and signs a revision. `body` is the serialized Material, empty when
// spec.deleted. The origin is the prefix of spec.material_id.
v1::Revision SignRevision(const SigningKey& key, const RevisionSpec& spec, std::string body);

// Parses a signed header and checks its structure (format, ids, version,
// canonical audience, hash and size fields). Does not check the signature.
// INVALID_ARGUMENT names the field ("header.version: must be positive").
absl::StatusOr<v1::RevisionHeader> DecodeHeader(const v1::SignedHeader& signed_header);

// UNAUTHENTICATED when the signature does not verify with `key`.
absl::Status VerifyHeaderSignature(const v1::SignedHeader& signed_header, const PublicKey& key);

// The key of `keyring` that `signed_header` (decoded as `header`) verifies
// with, among those its origin may sign at its version (Keyring::KeysFor).
// UNAUTHENTICATED otherwise, saying so when a retired key signed it at a
// version it no longer vouches for. The pointer lives as long as `keyring`.
absl::StatusOr<const PublicKey*> VerifyWithKeyring(const v1::SignedHeader& signed_header,
                                                   const v1::RevisionHeader& header,
                                                   const Keyring& keyring);

// Checks a body against its header: size, SHA-256, and that it decodes to a
// valid material (at `strictness`) whose id is the header's material id.
// INVALID_ARGUMENT or DATA_LOSS (hash mismatch) otherwise.
absl::StatusOr<v1::Material> DecodeBody(const v1::RevisionHeader& header, absl::string_view body,
                                        Strictness strictness);

// SHA-256 of the signed header bytes: identifies a revision exactly.
Sha256Digest HeaderHash(const v1::SignedHeader& signed_header);

}  // namespace minga

#endif  // MINGA_NODE_CORE_REVISION_H_
