// Fuzzes the decoding and checking of a signed revision received from a
// peer: the header's structure, its signature against a keyring, and the
// body against the header, at both strictness levels.
//
// Property: whatever the bytes, a header that decodes, once signed by its
// origin's key, verifies with the keyring; the same with one bit of the
// signature flipped does not.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "minga/v1/revision.pb.h"
#include "node/core/crypto.h"
#include "node/core/keyring.h"
#include "node/core/revision.h"

namespace {

struct Keys {
  Keys() {
    if (!minga::InitCrypto().ok()) abort();
    std::map<std::string, minga::PublicKey, std::less<>> members;
    for (const char* org : {"alpha", "beta"}) {
      auto [it, unused] = signing.emplace(org, minga::SigningKey::Generate());
      members.emplace(org, it->second.public_key());
    }
    keyring = std::make_unique<minga::Keyring>(std::move(members));
  }
  std::map<std::string, minga::SigningKey, std::less<>> signing;
  std::unique_ptr<minga::Keyring> keyring;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Keys* keys = new Keys();
  minga::v1::Revision revision;
  if (!revision.ParseFromArray(data, static_cast<int>(size))) return 0;
  absl::StatusOr<minga::v1::RevisionHeader> header = minga::DecodeHeader(revision.signed_());
  if (!header.ok()) return 0;
  (void)minga::VerifyWithKeyring(revision.signed_(), *header, *keys->keyring);
  for (minga::Strictness s : {minga::Strictness::kLocal, minga::Strictness::kPeer}) {
    (void)minga::DecodeBody(*header, revision.body(), s);
  }
  auto key = keys->signing.find(header->origin());
  if (key == keys->signing.end()) return 0;
  minga::v1::SignedHeader signed_header = revision.signed_();
  signed_header.set_signature(key->second.Sign(minga::SignaturePayload(signed_header.header())));
  if (!minga::VerifyWithKeyring(signed_header, *header, *keys->keyring).ok()) abort();
  std::string bad = signed_header.signature();
  bad[size % bad.size()] ^= 1;
  signed_header.set_signature(bad);
  if (minga::VerifyWithKeyring(signed_header, *header, *keys->keyring).ok()) abort();
  return 0;
}
