#include "node/core/revision.h"

#include "absl/strings/str_cat.h"
#include "node/core/audience.h"
#include "node/core/ids.h"
#include "node/core/limits.h"
#include "node/core/status_macros.h"

namespace minga {

std::string SignaturePayload(absl::string_view header_bytes) {
  static constexpr absl::string_view kPrefix("minga.v1.header\0", 16);
  std::string payload;
  payload.reserve(kPrefix.size() + header_bytes.size());
  payload.append(kPrefix.data(), kPrefix.size());
  payload.append(header_bytes.data(), header_bytes.size());
  return payload;
}

v1::Revision SignRevision(const SigningKey& key, const RevisionSpec& spec, std::string body) {
  v1::RevisionHeader header;
  header.set_format(kHeaderFormat);
  header.set_material_id(spec.material_id);
  header.set_origin(std::string(OriginOf(spec.material_id)));
  header.set_version(spec.version);
  header.set_deleted(spec.deleted);
  *header.mutable_audience() = spec.audience;
  if (!spec.deleted) {
    header.set_body_sha256(DigestToBytes(Sha256(body)));
    header.set_body_size(body.size());
  }
  header.set_time_unix_micros(spec.time_unix_micros);

  v1::Revision revision;
  v1::SignedHeader* signed_header = revision.mutable_signed_();
  header.SerializeToString(signed_header->mutable_header());
  signed_header->set_signature(key.Sign(SignaturePayload(signed_header->header())));
  if (!spec.deleted) revision.set_body(std::move(body));
  return revision;
}

absl::StatusOr<v1::RevisionHeader> DecodeHeader(const v1::SignedHeader& signed_header) {
  if (signed_header.header().size() > kMaxHeaderBytes) {
    return absl::InvalidArgumentError("header: larger than 16 KiB");
  }
  if (signed_header.signature().size() != SigningKey::kSignatureSize) {
    return absl::InvalidArgumentError("signature: must be 64 bytes");
  }
  v1::RevisionHeader h;
  if (!h.ParseFromString(signed_header.header())) {
    return absl::InvalidArgumentError("header: not a serialized RevisionHeader");
  }
  if (h.format() != kHeaderFormat) {
    return absl::InvalidArgumentError(
        absl::StrCat("header.format: ", h.format(), " is not a format this node knows (1)"));
  }
  ASSIGN_OR_RETURN(MaterialId id, ParseMaterialId(h.material_id(), "header.material_id"));
  if (h.origin() != id.origin) {
    return absl::InvalidArgumentError(
        absl::StrCat("header.origin: '", h.origin(), "' does not own '", h.material_id(), "'"));
  }
  if (h.version() == 0) {
    return absl::InvalidArgumentError("header.version: must be positive");
  }
  RETURN_IF_ERROR(CheckCanonicalAudience(h.audience(), h.origin()));
  if (h.deleted()) {
    if (!h.body_sha256().empty() || h.body_size() != 0) {
      return absl::InvalidArgumentError("header.body_sha256: a retraction has no body");
    }
  } else {
    if (h.body_sha256().size() != 32) {
      return absl::InvalidArgumentError("header.body_sha256: must be 32 bytes");
    }
    if (h.body_size() == 0 || h.body_size() > kMaxBodyBytes) {
      return absl::InvalidArgumentError(absl::StrCat("header.body_size: ", h.body_size(),
                                                     " is not between 1 and ", kMaxBodyBytes));
    }
  }
  return h;
}

absl::Status VerifyHeaderSignature(const v1::SignedHeader& signed_header, const PublicKey& key) {
  if (!key.Verify(SignaturePayload(signed_header.header()), signed_header.signature())) {
    return absl::UnauthenticatedError("signature: does not verify with the origin's key");
  }
  return absl::OkStatus();
}

absl::StatusOr<const PublicKey*> VerifyWithKeyring(const v1::SignedHeader& signed_header,
                                                   const v1::RevisionHeader& header,
                                                   const Keyring& keyring) {
  const std::string payload = SignaturePayload(signed_header.header());
  for (const PublicKey* key : keyring.KeysFor(header.origin(), header.version())) {
    if (key->Verify(payload, signed_header.signature())) return key;
  }
  if (const RetiredKey* r = keyring.RetiredBelow(header.origin(), header.version());
      r != nullptr && r->key.Verify(payload, signed_header.signature())) {
    return absl::UnauthenticatedError(
        absl::StrCat("signature: made with a key of '", header.origin(), "' retired from version ",
                     r->retired_from_version, ", at version ", header.version()));
  }
  return absl::UnauthenticatedError("signature: does not verify with the origin's key");
}

absl::StatusOr<v1::Material> DecodeBody(const v1::RevisionHeader& header, absl::string_view body,
                                        Strictness strictness) {
  if (header.deleted()) {
    return absl::InvalidArgumentError("body: a retraction has no body");
  }
  if (body.size() != header.body_size()) {
    return absl::DataLossError(
        absl::StrCat("body: ", body.size(), " bytes, the header says ", header.body_size()));
  }
  if (DigestToBytes(Sha256(body)) != header.body_sha256()) {
    return absl::DataLossError("body: SHA-256 does not match the signed header");
  }
  v1::Material material;
  if (!material.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError("body: not a serialized Material");
  }
  if (material.id() != header.material_id()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "body.id: '", material.id(), "' is not the header's '", header.material_id(), "'"));
  }
  absl::Status valid = ValidateMaterial(material, strictness);
  if (!valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("body.", valid.message()));
  }
  return material;
}

Sha256Digest HeaderHash(const v1::SignedHeader& signed_header) {
  return Sha256(signed_header.header());
}

}  // namespace minga
